"""Helpers for tests that run real agents in network namespaces.

Namespaces are named with a per-run prefix so parallel users of the machine never collide, and
everything started here is tracked and torn down by PID.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
AGENTS_DIR = Path(__file__).resolve().parents[2] / "agents"


def is_root() -> bool:
    return os.geteuid() == 0


def run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=30)


class Lab:
    """A set of namespaces joined by veth pairs; ``close()`` removes all of it."""

    def __init__(self) -> None:
        self.prefix = f"pm{os.getpid() % 100000}{secrets.token_hex(2)}"
        self.namespaces: list[str] = []
        self.procs: list[subprocess.Popen] = []

    def ns(self, role: str) -> str:
        name = f"{self.prefix}-{role}"
        run("ip", "netns", "add", name)
        self.namespaces.append(name)
        run("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def link(self, ns_a: str, if_a: str, ns_b: str, if_b: str, mac_b: str | None = None) -> None:
        """veth if_a (in ns_a) -- if_b (in ns_b), both up; ``mac_b`` is set before if_b comes up."""
        peer = ["peer", "name", if_b, "netns", ns_b, *(("address", mac_b) if mac_b else ())]
        run("ip", "link", "add", if_a, "netns", ns_a, "type", "veth", *peer)
        run("ip", "-n", ns_a, "link", "set", if_a, "up")
        run("ip", "-n", ns_b, "link", "set", if_b, "up")

    def addr(self, ns: str, ifname: str, cidr: str) -> None:
        run("ip", "-n", ns, "-6", "addr", "add", cidr, "dev", ifname, "nodad")

    def spawn(self, ns: str, argv: list[str], log_path: Path) -> subprocess.Popen:
        log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        env = dict(os.environ, PYTHONPATH=str(AGENTS_DIR), PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        proc._log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def start_agent(self, ns: str, config: Path, log_path: Path) -> subprocess.Popen:
        return self.spawn(ns, [sys.executable, "-m", "pmipv6.daemon", "--config", str(config)], log_path)

    @staticmethod
    def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        with contextlib.suppress(Exception):
            proc._log.close()  # type: ignore[attr-defined]
        return proc.returncode

    def close(self) -> None:
        for proc in self.procs:
            self.stop(proc, timeout=5)
        for ns in self.namespaces:
            pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run("ip", "netns", "del", ns, check=False)


def enter_netns(ns: str) -> None:
    """Move the calling thread into network namespace ``ns`` (setns); other threads stay put."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns failed")
    finally:
        os.close(fd)


def call_in(ns: str, fn, *args):
    """``fn(*args)`` on a short-lived thread that entered namespace ``ns`` (setns).

    Sockets (also netlink ones) created there stay in ``ns`` and can be used from any thread."""
    result: dict = {}

    def work() -> None:
        try:
            enter_netns(ns)
            result["value"] = fn(*args)
        except Exception as exc:
            result["error"] = exc

    t = threading.Thread(target=work)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def socket_in(ns: str, family: int, kind: int, proto: int) -> socket.socket:
    """Create a socket inside namespace ``ns``."""
    return call_in(ns, socket.socket, family, kind, proto)


def mh_checksum(src: str, dst: str, mh: bytes) -> int:
    """RFC 6275 §6.1.1: IPv6 pseudo-header checksum over the Mobility Header."""
    pseudo = (
        socket.inet_pton(socket.AF_INET6, src)
        + socket.inet_pton(socket.AF_INET6, dst)
        + struct.pack("!I3xB", len(mh), 135)
    )
    data = pseudo + mh + (b"\0" if len(mh) % 2 else b"")
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class MHPeer:
    """A raw MH socket in a namespace that computes its own checksum, so it can send anything."""

    def __init__(self, ns: str, address: str):
        self.address = address
        self.sock = socket_in(ns, socket.AF_INET6, socket.SOCK_RAW, 135)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, -1)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.05)

    def send(self, dst: str, mh: bytes) -> None:
        data = bytearray(mh)
        if len(data) >= 6:
            data[4:6] = b"\0\0"
            data[4:6] = struct.pack("!H", mh_checksum(self.address, dst, bytes(data)))
        self.sock.sendto(bytes(data), (dst, 0))

    def receive(self, timeout: float = 1.0) -> list[bytes]:
        """Everything that arrives within ``timeout`` seconds."""
        got, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got.append(self.sock.recvfrom(4096)[0])
            except TimeoutError:
                continue
        return got

    def receive_one(self, timeout: float = 2.0) -> bytes | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.sock.recvfrom(4096)[0]
            except TimeoutError:
                continue
        return None

    def close(self) -> None:
        self.sock.close()


def ctl(sock: Path, *args: str, check: bool = True):
    """Run the real pmipv6ctl; parse --json output."""
    env = dict(os.environ, PYTHONPATH=str(AGENTS_DIR))
    proc = subprocess.run(
        [sys.executable, "-m", "pmipv6.cli", "-s", str(sock), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"pmipv6ctl {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    if "--json" in args:  # parsed output, or None when the agent could not answer (check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 else None
    return proc


def write_agent_config(workdir: Path, node: str, role: str, address: str, **settings) -> Path:
    """``<workdir>/<node>.yaml`` for a test agent: control socket ``<workdir>/<node>.sock``, state
    in ``<workdir>/state-<node>``, domain campus, no data plane, unless ``settings`` say otherwise."""
    config = {
        "node": node,
        "role": role,
        "address": address,
        "domain": "campus",
        "dataplane": "none",
        "control_socket": str(workdir / f"{node}.sock"),
        "state_dir": str(workdir / f"state-{node}"),
        **settings,
    }
    path = workdir / f"{node}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")

"""``userspace`` backend: a TUN device per MAG-LMA pair plus relay processes speaking RFC 2473.

For kernels without ip6tnl.  Routes and policy rules are the same as the ``kernel`` backend's
(``linux.py``), pointing at the TUN devices.  The agent creates, per peer, the TUN device and a raw
IPv6 socket for protocol 41 (bound to the local address, connected to the peer) and hands both
descriptors to two relay processes (``relay.py``): ``up`` (TUN -> tunnel) and ``down`` (tunnel ->
TUN, with the LMA reverse-path check).  Prefix updates go to the relays over a control socket;
their counters come back through shared memory (``stats``).

MTU: the TUN MTU is the tunnel MTU (configured ``tunnel_mtu``, or the path MTU towards the peer
minus 40), so the kernel itself answers oversize packets routed into the tunnel with ICMPv6
Packet Too Big, as it would for an ip6tnl device.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import mmap
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from . import DataPlaneError
from .linux import Tunnel, TunnelDataPlane, ipv6_text, log
from .relay import COUNTERS, SLOTS
from .tun import open_tun

RELAY = Path(__file__).with_name("relay.py")
DIRECTIONS = ("up", "down")
SOCKET_BUFFER = 4 << 20
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33  # not in Python's socket module
TUN_TXQUEUELEN = 1000  # packets queued for the up relay (default 500 drops under TCP bursts)
SLOT = 9216  # relay buffer per packet: the largest tunnel MTU (9000) with room to spare
REPLY_TIMEOUT = 10.0
WATCH_INTERVAL = 0.5  # seconds between relay liveness checks
PREFIX_CHUNK = 1000  # prefixes per control message


def _have_numpy() -> bool:
    """Can the relays import numpy (the agent does not: it would only cost it memory)?"""
    return importlib.util.find_spec("numpy") is not None


class _Relay:
    """One relay process and its control socket."""

    def __init__(self, direction: str, row: int, stats_fd: int, offload: bool, vector: bool) -> None:
        self.direction = direction
        self.ctl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            argv = [sys.executable, "-I", str(RELAY), "--direction", direction]
            argv += ["--ctl", str(child.fileno()), "--stats", str(stats_fd), "--row", str(row)]
            argv += ["--slot", str(SLOT), "--vnet", str(int(offload)), "--vector", str(int(vector))]
            self.proc = subprocess.Popen(
                argv, pass_fds=(child.fileno(), stats_fd), stdin=subprocess.DEVNULL, close_fds=True
            )
        finally:
            child.close()
        self.ctl.settimeout(REPLY_TIMEOUT)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def command(self, cmd: dict, fds: list[int] = ()) -> str:
        try:
            socket.send_fds(self.ctl, [json.dumps(cmd).encode()], list(fds))
            reply = self.ctl.recv(4096).decode()
        except OSError as exc:
            if self.alive:  # its replies are out of step now: replace it (see _ensure_relays)
                self.proc.kill()
                self.proc.wait(5)
            raise DataPlaneError(
                f"relay {self.direction} (pid {self.proc.pid}) not answering: {exc}"
            ) from exc
        if not reply:
            raise DataPlaneError(f"relay {self.direction} (pid {self.proc.pid}) exited")
        if reply.startswith("error"):
            raise DataPlaneError(f"relay {self.direction}: {reply}")
        return reply

    def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(Exception):
                self.command({"op": "stop"})
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.ctl.close()


class UserspaceDataPlane(TunnelDataPlane):
    name = "userspace"

    def __init__(self, local: str, *, offload: bool | None = None, **kwargs) -> None:
        super().__init__(local, **kwargs)
        if offload is None:
            offload = os.environ.get("PMIPV6_TUN_OFFLOAD", "1") != "0"
        self.offload = offload  # TUN with virtio-net header: merged TCP segments written as one
        # numpy in the down relay (vector.py): a merge's checksums checked in a few vector sums
        self.vector = offload and os.environ.get("PMIPV6_TUN_VECTOR", "1") != "0" and _have_numpy()
        self._relays: dict[str, _Relay] = {}
        self._stats_fd = -1
        self._stats_map: mmap.mmap | None = None
        self._final = Counter()
        self._fds: dict[bytes, tuple[int, socket.socket]] = {}  # peer -> (TUN fd, raw socket)
        self._watch_stop = threading.Event()
        self._watch: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def _setup(self) -> None:
        size = len(DIRECTIONS) * SLOTS * 8
        self._stats_fd = os.memfd_create("pmipv6-relay-stats")  # close-on-exec; passed explicitly
        os.ftruncate(self._stats_fd, size)
        self._stats_map = mmap.mmap(self._stats_fd, size)
        for row, direction in enumerate(DIRECTIONS):
            self._relays[direction] = _Relay(direction, row, self._stats_fd, self.offload, self.vector)
        log.info(
            "userspace tunnel relays started (pids %s, offload %s, numpy %s)",
            ", ".join(str(r.proc.pid) for r in self._relays.values()),
            "on" if self.offload else "off",
            "on" if self.vector else "off",
        )
        self._watch_stop.clear()
        self._watch = threading.Thread(target=self._watchdog, name="pmipv6-relay-watch", daemon=True)
        self._watch.start()

    def _watchdog(self) -> None:
        """Restart a relay that died, without waiting for the next binding change."""
        while not self._watch_stop.wait(WATCH_INTERVAL):
            worker = self._worker
            if worker is None or all(r.alive for r in list(self._relays.values())):
                continue
            try:
                worker.call(self._revive)
            except Exception:
                log.exception("restarting the tunnel relays failed")

    def _revive(self) -> None:
        if not self._watch_stop.is_set():  # not while (or after) stopping
            self._ensure_relays()

    def _teardown(self) -> None:
        self._watch_stop.set()  # the watchdog ends within WATCH_INTERVAL; it may wait for this thread
        self._watch = None
        for relay in self._relays.values():
            relay.stop()
        self._relays.clear()
        self._final = self._read_stats()
        if self._stats_map is not None:
            self._stats_map.close()
            self._stats_map = None
        if self._stats_fd >= 0:
            os.close(self._stats_fd)
            self._stats_fd = -1

    def _ensure_relays(self) -> None:
        """A relay that died is started again and given every tunnel and prefix set."""
        for row, direction in enumerate(DIRECTIONS):
            relay = self._relays.get(direction)
            if relay is not None and relay.alive:
                continue
            if relay is not None:
                log.error(
                    "relay %s (pid %d) exited with %s: restarting",
                    direction,
                    relay.proc.pid,
                    relay.proc.returncode,
                )
                relay.ctl.close()
            relay = self._relays[direction] = _Relay(
                direction, row, self._stats_fd, self.offload, self.vector
            )
            for peer, (tun, sock) in self._fds.items():
                mtu = self.tunnels[peer].mtu if peer in self.tunnels else 65535
                relay.command({"op": "peer", "peer": peer.hex(), "mtu": mtu}, [tun, sock.fileno()])
                if direction == "down" and self.tunnels.get(peer) and self.tunnels[peer].rpf_rule:
                    bound = [p for p, mag in self._lma.items() if mag == peer]
                    self._send_prefixes(relay, peer, bound, [], reset=True)

    # -- tunnels --------------------------------------------------------------------------------
    def _open_tunnel(self, peer: bytes, ifname: str, mtu: int) -> int:
        self._ensure_relays()
        tun = open_tun(ifname, vnet=self.offload)
        sock = None
        try:
            index = self._link_index(ifname)
            if index is None:
                raise DataPlaneError(f"TUN device {ifname} not visible over netlink")
            self._ipr.link("set", index=index, txqlen=TUN_TXQUEUELEN)
            sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_IPV6)
            for force, plain in (
                (SO_RCVBUFFORCE, socket.SO_RCVBUF),
                (SO_SNDBUFFORCE, socket.SO_SNDBUF),
            ):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
                except OSError:
                    sock.setsockopt(socket.SOL_SOCKET, plain, SOCKET_BUFFER)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)  # outer ECN (RFC 6040)
            sock.bind((self.local, 0))
            sock.connect((ipv6_text(peer), 0))
            for relay in self._relays.values():
                relay.command({"op": "peer", "peer": peer.hex(), "mtu": mtu}, [tun, sock.fileno()])
        except BaseException:
            for relay in self._relays.values():
                with contextlib.suppress(Exception):
                    relay.command({"op": "unpeer", "peer": peer.hex()})
            if sock is not None:
                sock.close()
            os.close(tun)
            raise
        self._fds[peer] = (tun, sock)
        return index

    def _close_tunnel(self, tunnel: Tunnel) -> None:
        problems = []
        for relay in self._relays.values():
            if relay.alive:
                try:
                    relay.command({"op": "unpeer", "peer": tunnel.peer.hex()})
                except DataPlaneError as exc:
                    problems.append(str(exc))
        tun, sock = self._fds.pop(tunnel.peer, (-1, None))
        if sock is not None:
            sock.close()
        if tun >= 0:
            os.close(tun)  # the last descriptor: the kernel removes the TUN device
        deadline = time.monotonic() + 2.0
        while self._link_index(tunnel.ifname) == tunnel.index and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._link_index(tunnel.ifname) == tunnel.index:  # someone still holds it open
            with contextlib.suppress(Exception):
                self._ipr.link("del", index=tunnel.index)
        if problems:
            raise DataPlaneError("; ".join(problems))

    def _prefixes_changed(self, peer: bytes, added: list, removed: list) -> None:
        self._ensure_relays()
        self._send_prefixes(self._relays["down"], peer, added, removed, reset=False)

    @staticmethod
    def _send_prefixes(relay: _Relay, peer: bytes, added: list, removed: list, reset: bool) -> None:
        """Incremental updates of the relay's reverse-path set, in messages of PREFIX_CHUNK."""
        items = [("del", p) for p in removed] + [("add", p) for p in added]
        for at in range(0, max(len(items), 1), PREFIX_CHUNK):
            chunk = items[at : at + PREFIX_CHUNK]
            relay.command(
                {
                    "op": "prefixes",
                    "peer": peer.hex(),
                    "reset": reset and at == 0,
                    "del": [[p.hex(), n] for kind, (p, n) in chunk if kind == "del"],
                    "add": [[p.hex(), n] for kind, (p, n) in chunk if kind == "add"],
                }
            )

    # -- counters -------------------------------------------------------------------------------
    @property
    def stats(self) -> Counter:
        if self._stats_map is None:
            return Counter(self._final)
        return self._read_stats()

    def _read_stats(self) -> Counter:
        out = Counter()
        if self._stats_map is None:
            return out
        values = memoryview(self._stats_map).cast("Q")
        try:
            for row in range(len(DIRECTIONS)):
                for i, name in enumerate(COUNTERS):
                    out[(name,)] += values[row * SLOTS + i]
        finally:
            values.release()
        return out

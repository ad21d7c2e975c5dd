"""pytest fixtures for the IOS-XE emulator (registered by tests/emulators/conftest.py).

``iosxe_router``          one router on 127.0.0.1, free ports, NETCONF (+ CLI when cli.py exists)
``iosxe_router_factory``  make more: ``factory(hostname="R2", candidate=True, seed_xml=PATH, ...)``
``start_emulator_process`` the command-line emulator as a child process (optionally inside a netns)
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .router import Router

MAIN = Path(__file__).resolve().parent


@pytest.fixture
def iosxe_router_factory():
    routers = []

    def make(**spec) -> Router:
        spec.setdefault("cli_port", 0 if (MAIN / "cli").exists() or (MAIN / "cli.py").exists() else None)
        router = Router(**spec).start()
        routers.append(router)
        return router

    yield make
    for router in routers:
        router.stop()


@pytest.fixture
def iosxe_router(iosxe_router_factory):
    return iosxe_router_factory(hostname="R1")


def start_emulator_process(args: list[str], netns: str | None = None, timeout: float = 20.0):
    """Start ``python tests/emulators/iosxe ARGS`` and wait for its READY lines.

    Returns (process, {hostname: {"netconf": port, "cli": port|None, "address": addr}}). Stop it with
    ``stop_emulator_process(process)`` (SIGTERM to that PID, then wait)."""
    cmd = [sys.executable, str(MAIN), *args]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    expected = 1 + sum(a == "--device" for a in args) - ("--no-primary" in args)
    ready: dict[str, dict] = {}
    pending = b""
    deadline = time.monotonic() + timeout
    # Raw reads: a buffered readline() could hide a second READY line from select().
    while len(ready) < expected and time.monotonic() < deadline and proc.poll() is None:
        if not select.select([proc.stdout], [], [], 0.2)[0]:
            continue
        pending += os.read(proc.stdout.fileno(), 4096)
        *lines, pending = pending.split(b"\n")
        for line in lines:
            words = line.decode().split()
            if words[:1] != ["READY"]:
                continue
            info = dict(w.split("=", 1) for w in words[2:])
            ready[words[1]] = {
                "netconf": int(info["netconf"]),
                "cli": None if info["cli"] == "-" else int(info["cli"]),
                "address": info["address"],
            }
    if len(ready) < expected:
        stop_emulator_process(proc)
        raise RuntimeError(f"emulator did not start: {proc.stderr.read().decode(errors='replace')}")
    return proc, ready


def stop_emulator_process(proc, timeout: float = 10.0) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    return proc.returncode

"""Userspace IPv6-in-IPv6 tunnel throughput beside plain kernel forwarding, in one topology.

Four network namespaces MN - MAG - LMA - CN (``tests/agents/tunnellab.py``, the topology of
``test_dataplane_userspace.py``).  Each run measures one iperf3 TCP stream MN -> CN twice, side by
side: through the ``userspace`` data plane (TUN device and relay processes on MAG and LMA, bound
as the engines bind them) and through plain kernel routes in the same namespaces.  The figure is
the ratio of the medians.  Needs root and iperf3.

    python bench/tunnel.py [--runs 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "agents"))
sys.path.insert(0, str(ROOT / "tests" / "agents"))

from tunnellab import Topology, bind_pair, iperf

BEGIN, END = "<!-- tunnel:begin -->", "<!-- tunnel:end -->"
TARGET = 0.10  # the tunnel shall carry at least this share of plain forwarding
MAX_RUNS = 20
MAX_SECONDS = 30


def _tunnel_once(topo: Topology, log: Path, seconds: int) -> tuple[float, dict]:
    """Mbit/s through the userspace tunnel, and the relays' counters."""
    mag, lma = bind_pair(topo)
    try:
        mbit = iperf(topo, log, seconds)
        counters = {k[0]: v for k, v in (mag.stats + lma.stats).items() if v}
    finally:
        mag.stop()
        lma.stop()
    return mbit, counters


def _plain_once(topo: Topology, log: Path, seconds: int) -> float:
    """Mbit/s through plain kernel routes (the tunnel's routes and rules are gone by then)."""
    topo.plain_routes("add")
    try:
        return iperf(topo, log, seconds)
    finally:
        topo.plain_routes("del")


def measure(runs: int = 3, seconds: float = 3.0) -> dict:
    """``runs`` pairs (tunnel, then plain) of ``seconds``-long iperf3 streams; raw and medians."""
    runs = max(1, min(int(runs), MAX_RUNS))
    seconds = max(1, min(round(seconds), MAX_SECONDS))  # iperf3 takes whole seconds
    pairs, counters = [], {}
    topo = Topology()
    try:
        with tempfile.TemporaryDirectory(prefix="pmipv6-bench-tunnel-") as tmp:
            log = Path(tmp) / "iperf3.log"
            for _ in range(runs):
                tunnel, counters = _tunnel_once(topo, log, seconds)
                pairs.append({"tunnel_mbit": tunnel, "plain_mbit": _plain_once(topo, log, seconds)})
    finally:
        topo.close()
    tunnel = statistics.median(p["tunnel_mbit"] for p in pairs)
    plain = statistics.median(p["plain_mbit"] for p in pairs)
    return {
        "runs": pairs,
        "seconds": seconds,
        "tunnel_median_mbit": tunnel,
        "plain_median_mbit": plain,
        "ratio": tunnel / plain if plain else 0.0,
        "target": TARGET,
        "offload": os.environ.get("PMIPV6_TUN_OFFLOAD", "1") != "0",
        "last_counters": counters,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, kernel {platform.release()}",
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _rate(mbit: float) -> str:
    return f"{mbit / 1000:.2f} Gbit/s" if mbit >= 1000 else f"{mbit:.0f} Mbit/s"


def block(result: dict, command: str) -> str:
    """The BENCHMARKS.md block for ``result`` (from ``measure``), produced by ``command``."""
    ratio, target = result["ratio"], result["target"]
    verdict = "met" if ratio >= target else "not met"
    runs = ", ".join(f"{_rate(p['tunnel_mbit'])} / {_rate(p['plain_mbit'])}" for p in result["runs"])
    offload = "on" if result["offload"] else "off"
    lines = [
        BEGIN,
        "| Userspace tunnel (iperf3 TCP, one stream, MN → CN) | Result | Target |",
        "|---|---|---|",
        f"| Through the userspace tunnel (TUN + raw protocol-41 relays, offload {offload}) "
        f"| **{_rate(result['tunnel_median_mbit'])}** | — |",
        f"| Plain kernel forwarding, same namespaces | **{_rate(result['plain_median_mbit'])}** | — |",
        f"| Tunnel / plain (ratio of the medians) | **{100 * ratio:.1f}%** ({verdict}) "
        f"| ≥ {100 * target:.0f}% of plain forwarding |",
        "",
        f"Runs (tunnel / plain, taken side by side): {runs}.",
        "",
        "Four network namespaces MN — MAG — LMA — CN joined by veth pairs on one machine "
        f"({result['machine']}); each run sends one iperf3 TCP stream from the MN to the CN for "
        f"{result['seconds']} s through the userspace tunnel (MAG and LMA data planes bound as the "
        "engines bind them; every tunnel packet a plain RFC 2473 packet of at most the 1460-octet "
        "tunnel MTU), then for as long through plain kernel routes in the same namespaces; "
        f"{len(result['runs'])} such pairs, medians. The machine is shared: single runs swing, "
        f"compare the ratio. This block: `{command}`, {result['when']}.",
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    result = measure(args.runs, args.seconds)
    command = "python " + " ".join(shlex.quote(a) for a in ["bench/tunnel.py", *sys.argv[1:]])
    print(block(result, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())

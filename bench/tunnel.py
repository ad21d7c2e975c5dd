"""Userspace IPv6-in-IPv6 tunnel throughput beside plain kernel forwarding, in one topology.

Four network namespaces MN - MAG - LMA - CN (``tests/agents/tunnellab.py``, the topology of
``test_dataplane_userspace.py``).  Each run measures one iperf3 TCP stream MN -> CN twice, side by
side: through the ``userspace`` data plane (TUN device and relay processes on MAG and LMA, bound
as the engines bind them) and through plain kernel routes in the same namespaces; and it does so
with the MAG-LMA link at veth's defaults and receiving like a NIC (GRO, receive coalescing).  The
figure is the ratio of the medians per setting.  Needs root, iperf3 and ethtool.

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

from tunnellab import CORE_COALESCE_NS, Topology, bind_pair, iperf

BEGIN, END = "<!-- tunnel:begin -->", "<!-- tunnel:end -->"
TARGET = 0.10  # the tunnel shall carry at least this share of plain forwarding
MAX_RUNS = 20
MAX_SECONDS = 30


CORES = {  # core link setting -> how the report names it
    "veth": "veth defaults",
    "nic": "core link receiving like a NIC",
}


def _tunnel_once(topo: Topology, log: Path, seconds: int) -> tuple[float, dict, bool]:
    """Mbit/s through the userspace tunnel, the relays' counters, and whether they had numpy."""
    mag, lma = bind_pair(topo)
    try:
        mbit = iperf(topo, log, seconds)
        counters = {k[0]: v for k, v in (mag.stats + lma.stats).items() if v}
    finally:
        mag.stop()
        lma.stop()
    return mbit, counters, lma.vector


def _plain_once(topo: Topology, log: Path, seconds: int) -> float:
    """Mbit/s through plain kernel routes (the tunnel's routes and rules are gone by then)."""
    topo.plain_routes("add")
    try:
        return iperf(topo, log, seconds)
    finally:
        topo.plain_routes("del")


def measure(runs: int = 3, seconds: float = 3.0) -> dict:
    """For each core link setting, ``runs`` pairs (tunnel, then plain) of ``seconds``-long iperf3
    streams, the settings taking turns within each run; raw figures and medians per setting."""
    runs = max(1, min(int(runs), MAX_RUNS))
    seconds = max(1, min(round(seconds), MAX_SECONDS))  # iperf3 takes whole seconds
    pairs: dict[str, list] = {core: [] for core in CORES}
    counters: dict[str, dict] = {}
    vector = set()
    topo = Topology()
    try:
        with tempfile.TemporaryDirectory(prefix="pmipv6-bench-tunnel-") as tmp:
            log = Path(tmp) / "iperf3.log"
            for _ in range(runs):
                for core in CORES:
                    topo.core_like_nic(core == "nic")
                    tunnel, counters[core], numpy = _tunnel_once(topo, log, seconds)
                    vector.add(numpy)
                    pairs[core].append({"tunnel_mbit": tunnel, "plain_mbit": _plain_once(topo, log, seconds)})
    finally:
        topo.close()
    result = {}
    for core, runs_of in pairs.items():
        tunnel = statistics.median(p["tunnel_mbit"] for p in runs_of)
        plain = statistics.median(p["plain_mbit"] for p in runs_of)
        result[core] = {
            "runs": runs_of,
            "tunnel_median_mbit": tunnel,
            "plain_median_mbit": plain,
            "ratio": tunnel / plain if plain else 0.0,
            "last_counters": counters[core],
        }
    return {
        "cores": result,
        "seconds": seconds,
        "target": TARGET,
        "offload": os.environ.get("PMIPV6_TUN_OFFLOAD", "1") != "0",
        "numpy": vector == {True},
        "coalesce_us": CORE_COALESCE_NS // 1000,
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, kernel {platform.release()}",
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _rate(mbit: float) -> str:
    return f"{mbit / 1000:.2f} Gbit/s" if mbit >= 1000 else f"{mbit:.0f} Mbit/s"


def block(result: dict, command: str) -> str:
    """The BENCHMARKS.md block for ``result`` (from ``measure``), produced by ``command``."""
    cores, target = result["cores"], result["target"]
    veth, nic = cores["veth"], cores["nic"]
    verdict = "met" if nic["ratio"] >= target else "not met"
    offload = "on" if result["offload"] else "off"
    numpy = "on" if result.get("numpy") else "off"

    def runs(core: dict) -> str:
        return ", ".join(f"{_rate(p['tunnel_mbit'])} / {_rate(p['plain_mbit'])}" for p in core["runs"])

    lines = [
        BEGIN,
        f"| Userspace tunnel (iperf3 TCP, one stream, MN → CN) | {CORES['veth']} | {CORES['nic']} | Target |",
        "|---|---|---|---|",
        f"| Through the userspace tunnel (TUN + raw protocol-41 relays, offload {offload}, numpy {numpy}) "
        f"| {_rate(veth['tunnel_median_mbit'])} | **{_rate(nic['tunnel_median_mbit'])}** | — |",
        f"| Plain kernel forwarding, same namespaces | {_rate(veth['plain_median_mbit'])} "
        f"| **{_rate(nic['plain_median_mbit'])}** | — |",
        f"| Tunnel / plain (ratio of the medians) | {100 * veth['ratio']:.1f}% "
        f"| **{100 * nic['ratio']:.1f}%** ({verdict}) | ≥ {100 * target:.0f}% of plain forwarding |",
        "",
        f"Runs (tunnel / plain, taken side by side): {CORES['veth']}: {runs(veth)}; "
        f"{CORES['nic']}: {runs(nic)}.",
        "",
        "Four network namespaces MN — MAG — LMA — CN joined by veth pairs on one machine "
        f"({result['machine']}); each run sends one iperf3 TCP stream from the MN to the CN for "
        f"{result['seconds']} s through the userspace tunnel (MAG and LMA data planes bound as the "
        "engines bind them; every tunnel packet a plain RFC 2473 packet of at most the 1460-octet "
        "tunnel MTU), then for as long through plain kernel routes in the same namespaces, once "
        "with each core link setting; "
        f"{len(veth['runs'])} such rounds, medians. The machine is shared: single runs swing, "
        "compare the ratios.",
        "",
        "*Veth defaults*: a veth hands each packet to the peer namespace inside the "
        "sender's system call, one at a time, so the LMA's kernel and relay take every tunnel "
        "packet singly. No physical link behaves so. "
        "*Core link receiving like a NIC*: the MAG-LMA veth pair gets GRO and "
        f"{result['coalesce_us']} µs of receive coalescing (`gro_flush_timeout`, "
        "`napi_defer_hard_irqs 2`), as a NIC's interrupt coalescing gives: the kernel then merges "
        "IPv6-in-IPv6 TCP segments before the raw socket, and the down relay hands each merged "
        "packet on as one GSO packet. So that both ends keep TSO (plain forwarding unchanged), "
        "veth is told to take this path with `rx-udp-gro-forwarding`, which would also merge "
        "tunnelled UDP: a setting for this TCP measurement, not for real core links (see "
        "`docs/operations.md`, Performance). The wire still "
        "carries only tunnel-MTU packets, and plain forwarding takes the same path in both "
        "settings (veth passes its GSO packets through whole, GRO never sees them), so the "
        f"NIC-like ratio is the one held against the target. This block: `{command}`, {result['when']}.",
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

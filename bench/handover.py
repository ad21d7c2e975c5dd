"""Handover latency in the test domain (tests/agents/domain.py), real agents, userspace data plane.

Latency: from the association at the new AP (the MN's port is up on the new AP bridge) to the
first echo reply from the MN to a request sent after that moment. Such a request can only
reach the MN through the new MAG, so it is the first reply through the new MAG. The
correspondent pings the MN every 2 ms, so a sample is late by 1 ms on average (2 ms at most).

Kinds, each ``handovers`` times, with the MN alternating between mag1 and mag2:

* controller: the harness signals as an AP controller would: detach at the old MAG, and
  ``attach`` with Handoff Indicator 3 at the new MAG through the control API. Both MAGs serve
  other MNs too, so both tunnels exist already. ``mag.detection`` is off.
* rs: no signalling. The MN sends a Router Solicitation right after the association, and the
  new MAG attaches it from that RS (``mag.detection``: RS only, HI=4). The old MAG finds it
  gone by NUD polling.
* controller, lone MN: the same as controller, but the MN is alone in the domain, so every
  handover creates the tunnel towards the new MAG and removes the one towards the old MAG.

Run as root: ``python bench/handover.py [handovers]``.
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "agents"))

from domain import CONTROLLER_ONLY, MAG_OF_AP, RS_ONLY, Domain, measure_handover

INTERVAL = 0.002  # ping interval, s
TARGET_MS = 20.0  # controller-signalled median
KINDS = {
    "controller": "controller-signalled (HI=3), new MAG already has a tunnel",
    "rs": "RS-detected (HI=4), new MAG already has a tunnel",
    "controller_lone": "controller-signalled, lone MN (no other MN at either MAG; unused tunnels linger 1 s)",
}


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(runs: list[dict]) -> dict:
    latencies = [r["latency"] * 1000 for r in runs if r["latency"] is not None]
    return {
        "samples_ms": [round(x, 2) for x in latencies],
        "median_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": percentile(latencies, 95) if latencies else None,
        "failed": len(runs) - len(latencies),
        "lost": [r["lost"] for r in runs],
    }


def series(domain: Domain, signal: str, handovers: int) -> list[dict]:
    """``handovers`` handovers of mn1, alternating between the APs; the old MAG must have let
    go of it (controller: at once; rs: NUD polling) before the next one."""
    runs = []
    for _ in range(handovers):
        old = MAG_OF_AP[domain.ap_of["mn1"]]
        ap = "ap2" if domain.ap_of["mn1"] == "ap1" else "ap1"
        runs.append(measure_handover(domain, "mn1", ap, signal, interval=INTERVAL, settle=0.2))
        deadline = time.monotonic() + 5
        while domain.binding(old, "mn1") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    return runs


def place(domain: Domain, mn: str, ap: str) -> None:
    domain.associate(mn, ap)
    domain.wait_address(mn)


def measure(handovers: int = 20) -> dict:
    """Each kind of ``KINDS`` ``handovers`` times; per kind the raw samples, median, p95, losses."""
    with tempfile.TemporaryDirectory(prefix="pmipv6-handover-") as tmp:
        domain = Domain(Path(tmp), crowd=1)
        try:
            domain.start()
            place(domain, "mn1", "ap1")
            place(domain, "mn2", "ap2")  # residents: both MAGs keep their tunnels
            domain.add_crowd()
            domain.attach("c00", "mag1")  # a resident binding keeps mag1's tunnel (no traffic needed)
            wait_bound(domain, "c00")
            result = {"controller": summary(series(domain, "controller", handovers))}
            domain.set_detection(RS_ONLY)
            result["rs"] = summary(series(domain, "rs", handovers))
            domain.set_detection(CONTROLLER_ONLY)
            domain.detach("c00", "mag1")
            domain.leave("mn2")  # mag2's NUD polling lets it go
            wait_alone(domain)
            result["controller_lone"] = summary(series(domain, "controller", handovers))
        finally:
            domain.close()
    result["handovers"] = handovers
    result["interval_ms"] = INTERVAL * 1000
    return result


def wait_bound(domain: Domain, mn: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        binding = domain.binding("lma", mn)
        if binding is not None and binding["state"] == "active":
            return
        time.sleep(0.05)
    raise AssertionError(f"{mn} was not bound at the LMA within {timeout} s")


def wait_alone(domain: Domain, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(domain.bindings("lma")) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def block(result: dict, command: str) -> str:
    """The BENCHMARKS.md section, between its begin and end markers."""
    n = result["handovers"]
    rows = []
    for kind, what in KINDS.items():
        r = result[kind]
        failed = f", {r['failed']} without a reply" if r["failed"] else ""
        target = f"median <= {TARGET_MS:.0f} ms" if kind == "controller" else "-"
        result_cell = f"{_ms(r['median_ms'])} / {_ms(r['p95_ms'])}{failed}"
        rows.append(f"| {what}: median / p95 | {result_cell} | {target} |")
        lost = sorted(r["lost"])
        rows.append(
            f"| {what}: echo replies lost per handover (every {result['interval_ms']:g} ms), "
            f"median / max | {statistics.median(lost):g} / {max(lost)} | - |"
        )
    samples = "; ".join(f"{kind}: {', '.join(map(str, result[kind]['samples_ms']))}" for kind in KINDS)
    return "\n".join(
        [
            "<!-- handover:begin -->",
            f"### Handover latency ({n} handovers per kind)",
            "",
            "| what | result | target |",
            "|---|---|---|",
            *rows,
            "",
            "Measured in the test domain (`tests/agents/domain.py`: cn, LMA, mag1 and mag2 with an "
            "access point bridge each, unmodified Linux MNs; real agents, userspace data plane). "
            "Latency: the MN's port comes up on the new AP bridge -> the first echo reply to a "
            f"request sent after that moment (such a request can only go through the new MAG); cn "
            f"pings the MN every {result['interval_ms']:g} ms, so a sample is up to that much late. "
            "The MN alternates between mag1 and mag2. Controller-signalled: detach at the old "
            "MAG and `attach` with Handoff Indicator 3 at the new one over the control API, as an "
            "AP controller would. RS-detected: no signalling; the MN solicits right after the "
            "association (Linux itself sends no RS on a carrier flap), the new MAG attaches it from "
            "the RS, the old one finds it gone by NUD polling. "
            f"Samples (ms): {samples}. This block: `{command}`.",
            "<!-- handover:end -->",
        ]
    )


def main() -> None:
    handovers = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(block(measure(handovers), f"python bench/handover.py {handovers}"))


if __name__ == "__main__":
    main()

"""Drift check over many IOS-XE routers: playbooks/drift.yml against 50 emulated devices.

    python bench/drift_iosxe.py [--devices 50] [--forks 10 20] [--runs 3] [--transports netconf cli]

The devices (1 LMA + 49 MAGs of one domain, all platform iosxe) are emulated routers
(tests/emulators/iosxe, a few routers per emulator process) on 127.0.0.1. They are converged with
site.yml first; then drift.yml runs ``--runs`` times per fork count and transport, and must find no
drift. Measured: the wall time of ``ansible-playbook`` (validation and summary plays included) and,
from the task_timing callback (bench/callback_plugins), each device's time in its IOS-XE tasks; the
per-device figure is the median over devices of that sum. ``measure()`` and ``block()`` are used by
``bench/run.py --only drift``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "inventories" / "lab"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import mixed_iosxe
import nslab

BEGIN, END = "<!-- drift:begin -->", "<!-- drift:end -->"
TARGET_S = 30.0  # 50 devices at forks 20
IOSXE_ACTION = "iosxe_pmipv6_"


def bench_domain(mags: list[str]) -> dict:
    return {
        "name": "bench",
        "binding_lifetime": 600,
        "replay_protection": {"mode": "timestamp", "window_ms": 200},  # IOS-XE nodes: 3..255
        "lmas": {
            "lma1": {"platform": "iosxe", "address": "2001:db8:c::1", "hnp_pools": ["2001:db8:100::/48"]},
        },
        "mags": mixed_iosxe.mag_nodes(mags, "lma1", "2001:db8:c::10"),
        "mobile_nodes": {"mn1": {"nai": "mn1@bench.example", "lma": "lma1"}},
    }


def run_playbook(inventory: Path, name: str, *extra: str) -> tuple[int, str, dict, float, dict]:
    """(rc, output, recap, wall seconds, task timings) of one playbook run with the timing callback."""
    timing = inventory / f".timing-{time.monotonic_ns()}.json"
    # nslab.playbook hands this process's environment to ansible-playbook (set, not restored: any
    # later run in this process only rewrites the last timing file, which nobody reads then)
    os.environ.update(
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "bench" / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="task_timing",
        PMIPV6_TASK_TIMING=str(timing),
    )
    started = time.monotonic()
    rc, out, recap = nslab.playbook(inventory, name, *extra, timeout=1800)
    wall = time.monotonic() - started
    timings = json.loads(timing.read_text()) if timing.exists() else {"tasks": []}
    return rc, out, recap, wall, timings


def per_device_seconds(timings: dict) -> dict[str, float]:
    """Each device's time in its IOS-XE module tasks (connect, read, compare) in one run."""
    totals: dict[str, float] = {}
    for task in timings["tasks"]:
        if IOSXE_ACTION in task["action"]:
            totals[task["host"]] = totals.get(task["host"], 0.0) + task["seconds"]
    return totals


def converge(inventory: Path, transport: str, devices: int) -> float:
    """site.yml onto the devices; its wall time."""
    rc, out, recap, wall, _ = run_playbook(inventory, "site.yml")
    reached = [host for host, counts in recap.items() if host != "localhost" and counts["ok"]]
    if rc != 0 or len(reached) != devices:
        raise RuntimeError(f"site.yml ({transport}) reached {len(reached)} of {devices}:\n{out[-4000:]}")
    return wall


def drift_run(inventory: Path, fork: int, devices: int) -> tuple[float, float]:
    """One drift.yml run: (wall seconds, median per-device seconds); it must find no drift."""
    rc, out, _, wall, timings = run_playbook(inventory, "drift.yml", "--forks", str(fork))
    if rc != 0:
        raise RuntimeError(f"drift.yml (forks {fork}) failed:\n{out[-4000:]}")
    seconds = per_device_seconds(timings)
    if len(seconds) != devices:
        raise RuntimeError(f"drift.yml timed {len(seconds)} of {devices} devices")
    return wall, statistics.median(seconds.values())


def measure(devices: int = 50, forks=(10, 20), runs: int = 3, transports=("netconf", "cli"),
            per_process: int = 10) -> dict:  # fmt: skip
    mags = [f"xmag{k:02d}" for k in range(1, devices)]
    routers = mixed_iosxe.start_routers(["lma1", *mags], per_process=per_process)
    result: dict = {"devices": devices, "per_process": per_process, "runs": {}, "converge": {}}
    try:
        with tempfile.TemporaryDirectory(prefix="pmipv6-drift-bench-") as tmp:
            for transport in transports:
                pinned = {node: transport for node in routers.ports}
                inventory = nslab.write_inventory(
                    Path(tmp) / transport, bench_domain(mags), {}, Path("/nonexistent"),
                    groups=mixed_iosxe.inventory_group(routers, pinned),
                )  # fmt: skip
                result["converge"][transport] = converge(inventory, transport, devices)
                for k in range(runs):
                    for fork in forks if k % 2 == 0 else tuple(reversed(forks)):  # alternate the order
                        wall, device = drift_run(inventory, fork, devices)
                        entry = result["runs"].setdefault(f"{transport}/{fork}", {"wall": [], "device": []})
                        entry["wall"].append(wall)
                        entry["device"].append(device)
                        print(f"  {transport} forks {fork}: {wall:.1f} s, per device {device:.2f} s")
    finally:
        routers.stop()
    for entry in result["runs"].values():
        entry["wall_median"] = statistics.median(entry["wall"])
        entry["device_median"] = statistics.median(entry["device"])
    result["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return result


def block(result: dict, command: str) -> str:
    rows = []
    for key, entry in result["runs"].items():
        transport, fork = key.split("/")
        target = f"≤ {TARGET_S:.0f} s" if fork == "20" else "—"
        met = "" if fork != "20" else (" (met)" if entry["wall_median"] <= TARGET_S else " (not met)")
        runs = ", ".join(f"{w:.1f}" for w in entry["wall"])
        rows.append(
            f"| {transport.upper() if transport == 'cli' else 'NETCONF'}, forks {fork} "
            f"| **{entry['wall_median']:.1f} s**{met} (runs: {runs} s); per device "
            f"**{entry['device_median']:.2f} s** | {target} |"
        )
    converge = ", ".join(f"{t} {s:.1f} s" for t, s in result["converge"].items())
    return "\n".join(
        [
            BEGIN,
            f"| Drift check, `drift.yml`, {result['devices']} emulated IOS-XE devices | Result | Target |",
            "|---|---|---|",
            *rows,
            "",
            f"{result['devices']} emulated IOS-XE 17.x routers (1 LMA + {result['devices'] - 1} MAGs of one "
            f"domain; `tests/emulators/iosxe`, {result['per_process']} routers per emulator process, "
            "real NETCONF over SSH and SSH CLI on 127.0.0.1, libyang-validated store), on the same "
            "machine as Ansible. Converged with `site.yml` first "
            f"({converge}); then `playbooks/drift.yml`, which must report no drift, with every device "
            "pinned to one transport. Wall: `ansible-playbook` from start to exit, validation, grouping "
            "and summary plays included. Per device: the median over devices of the time in their "
            "IOS-XE module tasks (open a session, read, compare), from `bench/callback_plugins/"
            f"task_timing.py`. {result['when']}. This block: `{command}`.",
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--forks", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--transports", nargs="+", default=["netconf", "cli"], choices=("netconf", "cli"))
    parser.add_argument("--per-process", type=int, default=10, help="emulated routers per emulator process")
    args = parser.parse_args()
    result = measure(args.devices, args.forks, args.runs, args.transports, args.per_process)
    print(json.dumps(result, indent=1))
    print(block(result, "python bench/drift_iosxe.py " + " ".join(sys.argv[1:])))


if __name__ == "__main__":
    main()

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
import resource
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
SUMMED = ("wall", "device", "cpu_ansible", "cpu_emulator")


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU time of this process's finished descendants: ansible-playbook and its forked workers."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(inventory: Path, name: str, *extra: str, emulators=()) -> dict:
    """One playbook run with the timing callback: rc, output, recap, wall seconds, task timings,
    CPU seconds of Ansible (controller and workers) and of the emulator processes."""
    timing = inventory / f".timing-{time.monotonic_ns()}.json"
    # nslab.playbook hands this process's environment to ansible-playbook (set, not restored: any
    # later run in this process only rewrites the last timing file, which nobody reads then)
    os.environ.update(
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "bench" / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="task_timing",
        PMIPV6_TASK_TIMING=str(timing),
    )
    ansible_cpu, emulator_cpu = children_cpu(), sum(cpu_seconds(proc.pid) for proc in emulators)
    started = time.monotonic()
    rc, out, recap = nslab.playbook(inventory, name, *extra, timeout=1800)
    return {
        "rc": rc,
        "out": out,
        "recap": recap,
        "wall": time.monotonic() - started,
        "cpu_ansible": children_cpu() - ansible_cpu,
        "cpu_emulator": sum(cpu_seconds(proc.pid) for proc in emulators) - emulator_cpu,
        "timings": json.loads(timing.read_text()) if timing.exists() else {"tasks": []},
    }


def per_device_seconds(timings: dict) -> dict[str, float]:
    """Each device's time in its IOS-XE module tasks (connect, read, compare) in one run."""
    totals: dict[str, float] = {}
    for task in timings["tasks"]:
        if IOSXE_ACTION in task["action"]:
            totals[task["host"]] = totals.get(task["host"], 0.0) + task["seconds"]
    return totals


def task_medians(timings: dict) -> dict[str, float]:
    """Median seconds of each task (by name) over the hosts it ran on: where a run's time goes."""
    by_task: dict[str, list[float]] = {}
    for task in timings["tasks"]:
        by_task.setdefault(task["task"], []).append(task["seconds"])
    return {name: round(statistics.median(values), 3) for name, values in by_task.items()}


def failures(out: str) -> str:
    """The failed tasks' lines of a playbook's output (else its end)."""
    lines = [line for line in out.splitlines() if line.startswith(("fatal:", "failed:"))]
    return "\n".join(lines) or out[-4000:]


def converge(inventory: Path, transport: str, devices: int) -> float:
    """site.yml onto the devices; its wall time."""
    run = run_playbook(inventory, "site.yml")
    reached = [host for host, counts in run["recap"].items() if host != "localhost" and counts["ok"]]
    if run["rc"] != 0 or len(reached) != devices:
        raise RuntimeError(f"site.yml ({transport}), rc {run['rc']}, reached {len(reached)} of {devices}:\n"
                           f"{failures(run['out'])}")  # fmt: skip
    return run["wall"]


def drift_run(inventory: Path, fork: int, devices: int, emulators) -> dict:
    """One drift.yml run, which must find no drift: wall and CPU seconds, the median per-device
    seconds, and each task's median."""
    run = run_playbook(inventory, "drift.yml", "--forks", str(fork), emulators=emulators)
    if run["rc"] != 0:
        raise RuntimeError(f"drift.yml (forks {fork}) failed:\n{failures(run['out'])}")
    seconds = per_device_seconds(run["timings"])
    if len(seconds) != devices:
        raise RuntimeError(f"drift.yml timed {len(seconds)} of {devices} devices")
    return {
        "wall": run["wall"],
        "device": statistics.median(seconds.values()),
        "cpu_ansible": run["cpu_ansible"],
        "cpu_emulator": run["cpu_emulator"],
        "tasks": task_medians(run["timings"]),
    }


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
                        one = drift_run(inventory, fork, devices, routers.processes)
                        result["runs"].setdefault(f"{transport}/{fork}", []).append(one)
                        print(f"  {transport} forks {fork}: {one['wall']:.1f} s, per device "
                              f"{one['device']:.2f} s, CPU ansible {one['cpu_ansible']:.0f} s, "
                              f"emulators {one['cpu_emulator']:.0f} s", flush=True)  # fmt: skip
    finally:
        routers.stop()
    result["median"] = {
        key: {field: statistics.median(r[field] for r in runs_) for field in SUMMED}
        for key, runs_ in result["runs"].items()
    }
    result["load"] = os.getloadavg()
    result["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return result


def bound(result: dict) -> str:
    """What limits the wall time, from the CPU figures of the forks-20 runs."""
    cores = os.cpu_count() or 1
    parts = []
    for key, med in result["median"].items():
        if key.endswith("/20"):
            floor = (med["cpu_ansible"] + med["cpu_emulator"]) / cores
            parts.append(f"{key.split('/')[0]}: {floor:.0f} s of the {med['wall']:.0f} s")
    return (
        f"CPU floor at forks 20 (all CPU seconds spread over {cores} cores), "
        + ", ".join(parts)
        + ": the run is bound by Ansible's own CPU (a forked worker per task and host, variable and "
        "result handling in the controller, ncclient or netmiko imported in every module task), not "
        "by the devices."
    )


def block(result: dict, command: str) -> str:
    rows = []
    for key, runs in result["runs"].items():
        transport, fork = key.split("/")
        med = result["median"][key]
        target, met = "—", ""
        if fork == "20":
            target = f"≤ {TARGET_S:.0f} s"
            met = " (met)" if med["wall"] <= TARGET_S else " (not met)"
        walls = ", ".join(f"{r['wall']:.1f}" for r in runs)
        rows.append(
            f"| {'CLI' if transport == 'cli' else 'NETCONF'}, forks {fork} | **{med['wall']:.1f} s**{met} "
            f"(runs: {walls} s); per device **{med['device']:.2f} s**; "
            f"CPU: Ansible {med['cpu_ansible']:.0f} s, emulators {med['cpu_emulator']:.0f} s | {target} |"
        )
    converge = ", ".join(f"{t} {s:.1f} s" for t, s in result["converge"].items())
    load = ", ".join(f"{x:.1f}" for x in result["load"])
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
            f"machine as Ansible ({os.cpu_count()} cores; load average at the end {load}). Converged "
            f"with `site.yml` first ({converge}); then `playbooks/drift.yml`, which must report no "
            "drift, with every device pinned to one transport; medians of the runs. Wall: "
            "`ansible-playbook` from start to exit, validation, grouping and summary plays included. "
            "Per device: the median over devices of the time in their two IOS-XE module tasks (domain, "
            "then MAG or LMA: each opens its own session, reads, compares), from "
            "`bench/callback_plugins/task_timing.py`. CPU: user + system seconds of `ansible-playbook` "
            f"with its workers, and of the emulator processes, during the run. {bound(result)} "
            f"{result['when']}. This block: `{command}`.",
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

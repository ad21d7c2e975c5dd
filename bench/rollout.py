"""Rollout wall time: site.yml over SSH to 1 LMA + 10 MAG lab hosts (network namespaces with sshd,
built by inventories/lab/nslab.py), the first run and an idempotent re-run.

    python bench/rollout.py [--mags 10] [--runs 1]

``measure()`` and ``block()`` are used by ``bench/run.py --only rollout``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "inventories" / "lab"))

import nslab

BEGIN, END = "<!-- rollout:begin -->", "<!-- rollout:end -->"


def timed_run(inventory: Path) -> tuple[float, dict]:
    started = time.monotonic()
    rc, out, recap = nslab.playbook(inventory, "site.yml", timeout=1800)
    elapsed = time.monotonic() - started
    if rc != 0:
        raise RuntimeError(f"site.yml failed:\n{out[-3000:]}")
    return elapsed, recap


def measure(mags: int = 10, runs: int = 1) -> dict:
    """``runs`` times: a fresh lab, the first rollout, then a re-run (which must change nothing)."""
    lab = nslab.Lab(prefix="pmbr", mgmt="198.18.93", mags=mags, workdir=Path("/run/pmipv6-bench-rollout"))
    result: dict = {"mags": mags, "first": [], "again": [], "changed_again": []}
    for _ in range(runs):
        nslab.up(lab)
        try:
            with tempfile.TemporaryDirectory(prefix="pmipv6-rollout-") as tmp:
                hosts = {h: lab.mgmt_address(h) for h in lab.ssh_hosts}
                inventory = nslab.write_inventory(Path(tmp), nslab.lab_domain(lab), hosts, lab.key)
                first, _ = timed_run(inventory)
                again, recap = timed_run(inventory)
        finally:
            nslab.down(lab)
        result["first"].append(first)
        result["again"].append(again)
        result["changed_again"].append(sum(r["changed"] for r in recap.values()))
    result["first_median"] = statistics.median(result["first"])
    result["again_median"] = statistics.median(result["again"])
    return result


def block(result: dict, command: str) -> str:
    runs = ", ".join(f"{a:.1f} / {b:.1f} s" for a, b in zip(result["first"], result["again"], strict=True))
    return "\n".join(
        [
            BEGIN,
            f"| Rollout, `site.yml` over SSH, 1 LMA + {result['mags']} MAG lab hosts | Result | Target |",
            "|---|---|---|",
            f"| First rollout (install, configure, start, verify) | **{result['first_median']:.1f} s** | — |",
            f"| Re-run, nothing to change | **{result['again_median']:.1f} s**, changed tasks: "
            f"{', '.join(map(str, result['changed_again']))} | changed = 0 |",
            "",
            f"Runs (first / re-run): {runs}. Each run builds a fresh lab (`inventories/lab/nslab.py`, "
            "one network namespace with its own sshd per host, all on this machine), then runs "
            "`playbooks/site.yml` twice (forks 20, pipelining, `pmipv6_mag_serial` default 2); wall "
            f"time of `ansible-playbook`, validation and verify plays included. This block: `{command}`.",
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mags", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(block(measure(args.mags, args.runs), "python bench/rollout.py " + " ".join(sys.argv[1:])))


if __name__ == "__main__":
    main()

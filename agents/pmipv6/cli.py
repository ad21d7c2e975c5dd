"""pmipv6ctl: operator CLI for a running pmipv6-agent (over its control socket)."""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys

from .control.server import CommandError, request

RUN_DIR = "/run/pmipv6"


def _default_socket() -> str | None:
    env = os.environ.get("PMIPV6_SOCKET")
    if env:
        return env
    found = sorted(glob.glob(os.path.join(RUN_DIR, "*.sock")))
    return found[0] if len(found) == 1 else None


def _table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """Plain aligned table: columns are (header, key)."""
    cells = [[h for h, _ in columns]]
    for row in rows:
        line = []
        for _, key in columns:
            value = row.get(key)
            if isinstance(value, list):
                value = ",".join(map(str, value)) or "-"
            line.append("-" if value is None or value == "" else str(value))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


BINDING_COLUMNS = {
    "lma": [
        ("MN-ID", "mn_id"), ("MN-LL-ID", "mn_ll_id"), ("HNP", "hnp"), ("ATT", "att"), ("MAG", "mag"),
        ("LIFETIME", "lifetime"), ("STATE", "state"),
    ],
    "mag": [
        ("MN-ID", "mn_id"), ("MN-LL-ID", "mn_ll_id"), ("HNP", "hnp"), ("INTERFACE", "interface"),
        ("LMA", "lma"), ("LIFETIME", "lifetime"), ("STATE", "state"),
    ],
}  # fmt: skip
PEER_COLUMNS = [
    ("NAME", "name"), ("ADDRESS", "address"), ("STATE", "state"), ("RESTART-COUNTER", "restart_counter"),
    ("MISSED", "missed"), ("SENT", "sent"), ("RECEIVED", "received"),
]  # fmt: skip


def _print_result(command: str, result, args) -> None:
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return
    if command == "status":
        for key, value in result.items():
            print(f"{key + ':':<16} {value}")
    elif command == "bindings":
        role = "mag" if result and "lma" in result[0] else "lma"
        print(_table(result, BINDING_COLUMNS[role]) if result else "no bindings")
    elif command == "peers":
        print(_table(result, PEER_COLUMNS) if result else "no peers")
    elif command == "metrics":
        sys.stdout.write(result)
    elif command in ("attach", "detach"):
        hnp = ",".join(result.get("hnp") or []) or "-"
        who = f"{result.get('mn_id')} ({result.get('mn_ll_id')})"
        print(f"{command}: {who} state={result.get('state')} hnp={hnp}")
    else:
        print(json.dumps(result, indent=2, sort_keys=True))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmipv6ctl", description="Operate a running PMIPv6 LMA or MAG agent."
    )
    parser.add_argument(
        "-s",
        "--socket",
        help="agent control socket (default: $PMIPV6_SOCKET, or the only *.sock in /run/pmipv6)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for the agent (default 5)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("status", help="agent identity, uptime, config digest, counts")
    sub.add_parser("bindings", help="binding cache (LMA) or binding update list (MAG)")
    sub.add_parser("peers", help="heartbeat peers and their state")
    sub.add_parser("metrics", help="Prometheus text-format metrics")
    sub.add_parser("reload", help="re-read the config file (same as SIGHUP)")
    attach = sub.add_parser("attach", help="MAG: a mobile node attached (fast path for AP controllers)")
    attach.add_argument("--mac", required=True, help="the MN's link-layer address")
    attach.add_argument("--interface", help="access interface (default: the first configured)")
    attach.add_argument("--id", dest="mn_id", help="MN identifier (NAI) when the MAC is not in the policy")
    attach.add_argument(
        "--handoff",
        type=int,
        choices=(1, 2, 3, 4),
        help="Handoff Indicator to send (default 4, unknown: the LMA tells a new attach from a handover)",
    )
    detach = sub.add_parser("detach", help="MAG: a mobile node left")
    detach.add_argument("--mac", required=True, help="the MN's link-layer address")
    for p in sub.choices.values():  # accept --json after the command too
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    path = args.socket or _default_socket()
    if not path:
        print("pmipv6ctl: no control socket given (-s SOCKET or $PMIPV6_SOCKET)", file=sys.stderr)
        return 2
    call: dict = {}
    if args.command == "attach":
        call = {"mac": args.mac, "interface": args.interface, "id": args.mn_id, "handoff": args.handoff}
    elif args.command == "detach":
        call = {"mac": args.mac}
    try:
        result = request(path, args.command, timeout=args.timeout, **call)
    except CommandError as exc:
        print(f"pmipv6ctl: {args.command}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"pmipv6ctl: cannot reach the agent at {path}: {exc}", file=sys.stderr)
        return 2
    _print_result(args.command, result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

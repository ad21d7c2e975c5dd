"""Run emulated IOS-XE routers in the foreground until SIGTERM / SIGINT.

    python tests/emulators/iosxe --hostname R1 --netconf-port 8300 --cli-port 2200 \\
        --username admin --password admin --enable-password admin [--candidate] [--address ADDR] \\
        [--seed-xml FILE] [--seed-config FILE] \\
        [--device hostname=R2,netconf-port=8301,cli-port=2201,address=::1,candidate=1,seed-xml=F]...

Each --device adds one more router (keys as the long options, credentials shared). Port 0 picks a
free port. When every server listens, one line per router is printed to stdout:
``READY <hostname> netconf=<port> cli=<port|-> address=<addr>``. To run inside a network namespace,
start it with ``ip netns exec NS python tests/emulators/iosxe ...``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a directory: import as a package

from iosxe.router import Router, RouterSpec


def _spec_from_device(text: str, base: argparse.Namespace) -> RouterSpec:
    fields = dict(item.split("=", 1) for item in text.split(",") if item)
    unknown = set(fields) - {
        "hostname",
        "netconf-port",
        "cli-port",
        "address",
        "candidate",
        "seed-xml",
        "seed-config",
    }
    if unknown or "hostname" not in fields:
        raise SystemExit(f"--device {text!r}: needs hostname=..., unknown keys {sorted(unknown)}")
    return RouterSpec(
        hostname=fields["hostname"],
        address=fields.get("address", base.address),
        netconf_port=int(fields["netconf-port"]) if "netconf-port" in fields else 0,
        cli_port=int(fields["cli-port"]) if "cli-port" in fields else None,
        username=base.username,
        password=base.password,
        enable_password=base.enable_password,
        candidate=fields.get("candidate", "0") in ("1", "true", "yes"),
        release=base.release,
        seed_xml=fields.get("seed-xml"),
        seed_config=fields.get("seed-config"),
    )


def parse_args(argv=None) -> tuple[argparse.Namespace, list[RouterSpec]]:
    p = argparse.ArgumentParser(prog="iosxe", description=__doc__.split("\n\n")[0])
    p.add_argument("--hostname", default="R1")
    p.add_argument("--netconf-port", type=int, default=830)
    p.add_argument("--cli-port", type=int, default=None)
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="admin")
    p.add_argument("--enable-password", default="admin")
    p.add_argument("--candidate", action="store_true", help="enable the candidate datastore")
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument(
        "--release", default="17.18.1", choices=("17.18.1", "17.9.1", "16.9.3"), help="hello capability set"
    )
    p.add_argument("--seed-xml", help="initial configuration (<config>, <data> or <native> XML)")
    p.add_argument("--seed-config", help="initial running-config text (applied through the CLI)")
    p.add_argument("--authorized-key", action="append", default=[], help="OpenSSH public key file")
    p.add_argument("--device", action="append", default=[], help="another router: key=value,...")
    p.add_argument("--no-primary", action="store_true", help="only the --device routers")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    specs = (
        []
        if args.no_primary
        else [
            RouterSpec(
                hostname=args.hostname,
                address=args.address,
                netconf_port=args.netconf_port,
                cli_port=args.cli_port,
                username=args.username,
                password=args.password,
                enable_password=args.enable_password,
                candidate=args.candidate,
                release=args.release,
                seed_xml=args.seed_xml,
                seed_config=args.seed_config,
            )
        ]
    )
    specs += [_spec_from_device(d, args) for d in args.device]
    keys = _load_keys(args.authorized_key)
    for spec in specs:
        spec.authorized_keys = keys
    return args, specs


def _load_keys(paths) -> list:
    import base64

    import paramiko

    keys = []
    for path in paths:
        for line in Path(path).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.startswith("#"):
                keys.append(paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1])))
    return keys


def main(argv=None) -> int:
    args, specs = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    routers = []
    try:
        for spec in specs:
            routers.append(Router(spec).start())
        for r in routers:
            cli = r.cli_port if r.cli_port is not None else "-"
            print(
                f"READY {r.spec.hostname} netconf={r.netconf_port} cli={cli} address={r.spec.address}",
                flush=True,
            )
        while not stop.wait(0.5):
            pass
    finally:
        for r in routers:
            r.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

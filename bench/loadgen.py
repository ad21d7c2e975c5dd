"""PBU load generator for the socket benchmarks; runs inside the MAG-side namespace.

closed : keep --window PBUs outstanding, send one more per PBA received, for --duration seconds.
paced  : send --rate PBUs per second and record each PBU->PBA round trip (matched by sequence).

Every loop is bounded by --duration; prints one JSON object with the results.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))

from pmipv6 import wire


def pbu_template(
    i: int, prefix: str, hnp=wire.ALL_ZERO, hi: int = wire.HandoffIndicator.UNKNOWN
) -> bytearray:
    msg = wire.ProxyBindingUpdate(
        sequence=0,
        lifetime=3600,
        options=[
            wire.MobileNodeIdentifier(f"{prefix}{i}@bench.example"),
            hnp,
            wire.HandoffIndicatorOption(hi),
            wire.AccessTechnologyType(wire.AccessTechnology.IEEE_802_11),
            wire.MNLinkLayerIdentifier(struct.pack("!HI", 0x0200, i)),
        ],
    )
    return bytearray(wire.encode(msg))


def register(sock, dest, count: int, prefix: str, seq: int, deadline: float) -> list[bytearray]:
    """Register every MN as a MAG does (ALL_ZERO, HI=4), then return HI=5 refresh templates
    carrying the prefix each MN was assigned - the PBUs a MAG really sends at steady state."""
    first = [pbu_template(i, prefix) for i in range(count)]
    assigned: dict[str, wire.HomeNetworkPrefix] = {}
    pending = list(range(count))
    while pending and time.monotonic() < deadline:
        for i in pending[:256]:
            struct.pack_into("!H", first[i], 6, seq)
            sock.sendto(first[i], dest)
        got = 0
        while got < min(256, len(pending)):
            try:
                pba = wire.decode(sock.recv(4096))
            except (TimeoutError, wire.DecodeError):
                break
            got += 1
            mnid, hnp = pba.find(wire.MobileNodeIdentifier), pba.find(wire.HomeNetworkPrefix)
            if pba.status == 0 and mnid is not None and hnp is not None:
                assigned[mnid.identifier] = hnp
        pending = [i for i in pending if f"{prefix}{i}@bench.example" not in assigned]
    if pending:
        raise SystemExit(f"{len(pending)} MNs could not be registered")
    return [
        pbu_template(i, prefix, assigned[f"{prefix}{i}@bench.example"], wire.HandoffIndicator.NOT_CHANGED)
        for i in range(count)
    ]


def closed_loop(sock, dest, tmpl, window: int, duration: float, warmup: float, seq_start: int) -> dict:
    n = len(tmpl)
    seqs = [seq_start] * n
    nxt = 0
    pack_into = struct.pack_into
    sendto, recv = sock.sendto, sock.recv
    statuses: dict[int, int] = {}

    def send_one() -> None:
        nonlocal nxt
        i = nxt
        nxt = (nxt + 1) % n
        seqs[i] = (seqs[i] + 1) & 0xFFFF
        buf = tmpl[i]
        pack_into("!H", buf, 6, seqs[i])
        sendto(buf, dest)

    for _ in range(window):
        send_one()
    start = time.monotonic()
    counted_from = start + warmup
    end = counted_from + duration
    received = timeouts = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        try:
            data = recv(4096)
        except TimeoutError:
            timeouts += 1
            for _ in range(window):
                send_one()
            continue
        if now >= counted_from:
            received += 1
            st = data[6]
            statuses[st] = statuses.get(st, 0) + 1
        send_one()
    return {"received": received, "seconds": duration, "rate": received / duration, "timeouts": timeouts,
            "statuses": statuses}  # fmt: skip


def paced(sock, dest, tmpl, rate: float, duration: float, seq_start: int) -> dict:
    n = len(tmpl)
    interval = 1.0 / rate
    sent_at: dict[int, float] = {}
    rtts: list[float] = []
    statuses: dict[int, int] = {}
    sock.settimeout(0)
    seq = seq_start
    start = time.monotonic()
    next_send = start
    end = start + duration
    while True:
        now = time.monotonic()
        if now >= end + 0.5:
            break
        if now >= next_send and now < end:
            seq = (seq + 1) & 0xFFFF
            buf = tmpl[seq % n]
            struct.pack_into("!H", buf, 6, seq)
            sent_at[seq] = time.monotonic()
            sock.sendto(buf, dest)
            next_send += interval
        try:
            while True:
                data = sock.recv(4096)
                t = time.monotonic()
                s = struct.unpack_from("!H", data, 8)[0]
                t0 = sent_at.pop(s, None)
                if t0 is not None:
                    rtts.append(t - t0)
                    statuses[data[6]] = statuses.get(data[6], 0) + 1
        except (BlockingIOError, TimeoutError):
            pass
        # sleep in select() until the next send is due, waking at once when a reply arrives, so
        # the measured round trip is the agent's and the kernel's, not this loop's granularity
        select.select([sock], [], [], max(0.0, next_send - time.monotonic()) if now < end else 0.05)
    rtts.sort()

    def pct(p: float) -> float:
        return rtts[min(len(rtts) - 1, int(p * len(rtts)))] * 1000 if rtts else float("nan")

    return {"samples": len(rtts), "lost": len(sent_at), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": rtts[-1] * 1000 if rtts else float("nan"), "statuses": statuses}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=("closed", "paced"))
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--mns", type=int, default=10000)
    p.add_argument("--mn-prefix", default="mn")
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--register", action="store_true", help="register the MNs first, then send HI=5 refreshes")
    p.add_argument(
        "--seq-start", type=int, default=0, help="first sequence number - 1 (per MN in closed mode)"
    )
    a = p.parse_args()
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((a.src, 0))
    sock.settimeout(0.2)
    dest = (a.dst, 0)
    if a.register:  # accepted path: steady-state refreshes of registered MNs
        tmpl = register(sock, dest, a.mns, a.mn_prefix, a.seq_start & 0xFFFF, time.monotonic() + 60)
        a.seq_start += 1
    else:  # e.g. the reject path: PBUs for MNs the LMA has no policy for
        tmpl = [pbu_template(i, a.mn_prefix) for i in range(a.mns)]
    if a.mode == "closed":
        result = closed_loop(sock, dest, tmpl, a.window, a.duration, a.warmup, a.seq_start & 0xFFFF)
    else:
        result = paced(sock, dest, tmpl, a.rate, a.duration, a.seq_start & 0xFFFF)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A running LMA fed a corpus of malformed Mobility Headers over a real raw socket.

It must answer what the RFCs say (Binding Error 2 for an unknown MH type, the PBA status where
one applies), drop the rest, count every drop in its metrics, and stay up.
"""

from __future__ import annotations

import random
import time

import pytest
from nettools import Lab, MHPeer, ctl, is_root, wait_for, write_agent_config

from pmipv6 import wire

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces and raw sockets")

LMA_ADDR, MAG_ADDR = "2001:db8:d::1", "2001:db8:d::2"
MN = "alice@campus.example"


@pytest.fixture(scope="module")
def lma(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("badinput")
    lab = Lab()
    try:
        lma_ns, mag_ns = lab.ns("lma"), lab.ns("mag")
        lab.link(lma_ns, "core0", mag_ns, "core0")
        lab.addr(lma_ns, "core0", f"{LMA_ADDR}/64")
        lab.addr(mag_ns, "core0", f"{MAG_ADDR}/64")
        write_agent_config(
            tmp,
            "lma1",
            "lma",
            LMA_ADDR,
            heartbeat={"interval": 30, "missed": 3},
            lma={"hnp_pools": ["2001:db8:200::/48"], "mags": [{"name": "mag1", "address": MAG_ADDR}]},
            mobile_nodes=[{"id": MN, "mac": "02:00:00:00:00:0a", "lma": "lma1"}],
        )
        proc = lab.start_agent(lma_ns, tmp / "lma1.yaml", tmp / "lma1.log")
        sock = tmp / "lma1.sock"
        wait_for(lambda: sock.exists() and ctl(sock, "status", "--json", check=False), 15, what="LMA up")
        peer = MHPeer(mag_ns, MAG_ADDR)
        yield {"proc": proc, "sock": sock, "peer": peer, "log": tmp / "lma1.log"}
        peer.close()
    finally:
        lab.close()


def pbu(flags=wire.BUFlag.A | wire.BUFlag.P, seq=1, drop=(), mn=MN, ts=None) -> bytes:
    opts = [
        wire.MobileNodeIdentifier(mn),
        wire.ALL_ZERO,
        wire.HandoffIndicatorOption(wire.HandoffIndicator.NEW_INTERFACE),
        wire.AccessTechnologyType(wire.AccessTechnology.IEEE_802_11),
        wire.MNLinkLayerIdentifier.from_mac("02:00:00:00:00:0a"),
        wire.Timestamp.from_seconds(time.time() if ts is None else ts),
    ]
    opts = [o for o in opts if type(o) not in drop]
    return wire.encode(wire.ProxyBindingUpdate(seq, 3600, flags, opts))


def _with_header_len(data: bytes) -> bytes:
    out = bytearray(data)
    out += bytes(-len(out) % 8)
    out[1] = len(out) // 8 - 1
    return bytes(out)


def malformed_corpus() -> dict[str, bytes]:
    good = pbu()
    fixed = good[:12]
    corpus = {
        "short": bytes.fromhex("3b0005000000"),
        "header_len_too_big": bytes([good[0], good[1] + 1]) + good[2:],
        "header_len_too_small": bytes([good[0], good[1] - 1]) + good[2:],
        "option_overruns_message": fixed + bytes([8, 200]) + good[14:],
        "zero_length_nai": _with_header_len(fixed + bytes([8, 1, 1])),
        "truncated_option_header": _with_header_len(fixed + bytes([1, 2, 0, 0, 22])),
        "hnp_wrong_length": _with_header_len(fixed + bytes([22, 10]) + bytes(10)),
        "timestamp_wrong_length": _with_header_len(fixed + bytes([27, 4]) + bytes(4)),
        "fixed_part_missing": _with_header_len(bytes.fromhex("3b0005000000")),
        "invalid_utf8_nai": _with_header_len(fixed + bytes([8, 3, 1, 0xFF, 0xFE])),
    }
    return corpus


def _metric(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_malformed_corpus_dropped_and_counted(lma):
    peer, sock = lma["peer"], lma["sock"]
    before = _metric(ctl(sock, "metrics").stdout, 'pmipv6_malformed_total{reason="decode"}')
    corpus = malformed_corpus()
    for name, data in corpus.items():
        peer.send(LMA_ADDR, data)
        replies = peer.receive(0.2)
        assert replies == [], f"{name}: a malformed message was answered"
    metrics = ctl(sock, "metrics").stdout
    assert _metric(metrics, 'pmipv6_malformed_total{reason="decode"}') - before == len(corpus)
    assert lma["proc"].poll() is None


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("pbu_without_p_flag", lambda: pbu(flags=wire.BUFlag.A), wire.Status.PROXY_REG_NOT_ENABLED),
        (
            "missing_mn_id",
            lambda: pbu(drop=(wire.MobileNodeIdentifier,)),
            wire.Status.MISSING_MN_IDENTIFIER_OPTION,
        ),
        ("unknown_mn", lambda: pbu(mn="mallory@elsewhere.example"), wire.Status.NOT_LMA_FOR_THIS_MOBILE_NODE),
        ("timestamp_off", lambda: pbu(ts=time.time() - 60), wire.Status.TIMESTAMP_MISMATCH),
        (
            "missing_hnp",
            lambda: pbu(drop=(wire.HomeNetworkPrefix,)),
            wire.Status.MISSING_HOME_NETWORK_PREFIX_OPTION,
        ),
        (
            "missing_hi",
            lambda: pbu(drop=(wire.HandoffIndicatorOption,)),
            wire.Status.MISSING_HANDOFF_INDICATOR_OPTION,
        ),
        (
            "missing_att",
            lambda: pbu(drop=(wire.AccessTechnologyType,)),
            wire.Status.MISSING_ACCESS_TECH_TYPE_OPTION,
        ),
    ],
)
def test_rejects_with_rfc_status(lma, name, data, status):
    peer = lma["peer"]
    peer.send(LMA_ADDR, data())
    raw = peer.receive_one(2)
    assert raw is not None, f"{name}: no PBA"
    reply = wire.decode(raw)
    assert isinstance(reply, wire.ProxyBindingAck)
    assert reply.status == status, f"{name}: got {wire.status_name(reply.status)}"
    assert reply.lifetime == 0


def test_unknown_mh_type_gets_binding_error(lma):
    peer = lma["peer"]
    for mh_type in (50, 21, 11):
        peer.send(LMA_ADDR, bytes([59, 0, mh_type, 0, 0, 0, 0, 0]))
        raw = peer.receive_one(2)
        assert raw is not None, f"MH type {mh_type}: no Binding Error"
        be = wire.decode(raw)
        assert isinstance(be, wire.BindingError)
        assert be.status == wire.BindingErrorStatus.UNRECOGNIZED_MH_TYPE


def test_fuzzed_traffic_never_kills_the_agent(lma):
    """3,000 random mutations of a valid PBU (bounded in count and time); the LMA then still registers."""
    peer, sock = lma["peer"], lma["sock"]
    rng = random.Random(5213)
    deadline = time.monotonic() + 20
    sent = 0
    for _ in range(3000):
        if time.monotonic() > deadline:
            break
        data = bytearray(pbu(seq=rng.randrange(65536)))
        for _ in range(rng.randrange(1, 6)):
            op = rng.randrange(3) if data else 2
            pos = rng.randrange(len(data)) if data else 0
            if op == 0:
                data[pos] = rng.randrange(256)
            elif op == 1:
                del data[pos:]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        if len(data) < 6:
            data += bytes(6 - len(data))
        peer.send(LMA_ADDR, bytes(data))
        sent += 1
        if sent % 200 == 0:
            peer.receive(0.01)  # keep our receive queue short
    assert sent >= 500
    peer.receive(0.5)
    assert lma["proc"].poll() is None, "LMA died under fuzzing"
    peer.send(LMA_ADDR, pbu(seq=4242))
    reply = wire.decode(wait_for(lambda: peer.receive_one(0.5), 5, what="PBA after fuzzing"))
    assert reply.sequence == 4242 and reply.status == wire.Status.ACCEPTED
    status = ctl(sock, "status", "--json")
    assert status["role"] == "lma" and status["bindings"] >= 1
    assert "Traceback" not in lma["log"].read_text()

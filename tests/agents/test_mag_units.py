"""Small MAG building blocks: PBU builder (against the reference golden vector), back-off
schedule, 16-bit sequence arithmetic, policy lookup, binding update list."""

from __future__ import annotations

import pytest

from pmipv6.config import MobileNodePolicy, Retransmit
from pmipv6.mag import (
    BindingUpdateList,
    BindingUpdateListEntry,
    NotAttachedError,
    PolicyTable,
    UnknownMobileNode,
)
from pmipv6.mag.pbu import build_pbu
from pmipv6.mag.retransmit import schedule, timeout_after
from pmipv6.mag.sequence import is_newer, next_sequence
from pmipv6.wire import ALL_ZERO, encode, ipv6_bytes, mac_bytes

# Protocol reference section 14: PBU MAG -> LMA, seq 1, lifetime 3600, mn1@example.org, ALL_ZERO,
# HI 1, ATT 4, MN-LL-ID 02:00:00:00:00:0a, Timestamp 1700000000.5; checksum 0xdf51 (the encoder
# leaves octets 4-5 to the kernel).
GOLDEN_PBU = bytes.fromhex(
    "3b0a0500df510001820003840810016d6e31406578616d706c652e6f72670104"
    "0000000016120000000000000000000000000000000000001702000118020004"
    "1908000002000000000a1b0800006553f100800001020000"
)


def test_build_pbu_matches_the_reference_golden_vector():
    pbu = build_pbu(
        sequence=1,
        lifetime=3600,
        mn_id="mn1@example.org",
        prefixes=[ALL_ZERO.key],
        handoff=1,
        att=4,
        mn_ll_id=mac_bytes("02:00:00:00:00:0a"),
        timestamp=1700000000.5,
    )
    expected = GOLDEN_PBU[:4] + b"\0\0" + GOLDEN_PBU[6:]
    assert encode(pbu) == expected


def test_build_pbu_with_link_local_and_without_timestamp():
    lla = ipv6_bytes("fe80::200:5eff:fe00:5213")
    raw = encode(
        build_pbu(
            sequence=7,
            lifetime=0,
            mn_id="a@b",
            prefixes=[(ipv6_bytes("2001:db8::"), 64)],
            handoff=5,
            att=3,
            mn_ll_id=bytes(6),
            timestamp=None,
            link_local=lla,
        )
    )
    assert raw[10:12] == b"\0\0"  # lifetime 0: de-registration
    assert 27 not in _option_types(raw)
    lla_at = raw.index(bytes((26, 16)) + lla)
    assert lla_at % 8 == 6  # 8n+6 alignment


def _option_types(raw: bytes) -> list[int]:
    i, types = 12, []
    while i < len(raw):
        if raw[i] == 0:
            i += 1
            continue
        types.append(raw[i])
        i += 2 + raw[i + 1]
    return [t for t in types if t != 1]


def test_default_backoff_schedule():
    assert schedule(Retransmit()) == [1.5, 3.0, 6.0, 12.0, 24.0, 32.0, 32.0, 32.0]


@pytest.mark.parametrize(
    ("settings", "n", "expected"),
    [
        (Retransmit(1000, 32000, 8), 1, 1.0),
        (Retransmit(1000, 32000, 8), 6, 32.0),
        (Retransmit(1000, 32000, 8), 100, 32.0),
        (Retransmit(10, 600000, 100), 17, 600.0),  # 10 ms * 2**16 is over the cap
    ],
)
def test_timeout_after(settings, n, expected):
    assert timeout_after(settings, n) == pytest.approx(expected)


def test_timeout_after_counts_from_one():
    with pytest.raises(ValueError):
        timeout_after(Retransmit(), 0)


@pytest.mark.parametrize(("seq", "after"), [(0, 1), (1, 2), (0x7FFF, 0x8000), (0xFFFE, 0xFFFF), (0xFFFF, 0)])
def test_next_sequence_wraps(seq, after):
    assert next_sequence(seq) == after


@pytest.mark.parametrize(
    ("a", "b", "newer"),
    [
        (1, 0, True),
        (0, 1, False),
        (5, 5, False),
        (0, 0xFFFF, True),  # wrapped
        (0x7FFF, 0, True),
        (0x8000, 0, False),  # half the space away: not newer
        (100, 0xFF00, True),
    ],
)
def test_is_newer(a, b, newer):
    assert is_newer(a, b) is newer


def test_policy_lookup():
    table = PolicyTable(
        [
            MobileNodePolicy("a@x", "02:00:00:00:00:0A"),
            MobileNodePolicy("b@x", None, None, ["2001:db8::/64"]),
        ]
    )
    assert len(table) == 2
    assert table.lookup(mac_bytes("02:00:00:00:00:0a")).id == "a@x"
    assert table.lookup(mac_bytes("02:00:00:00:00:99"), "b@x").id == "b@x"
    with pytest.raises(UnknownMobileNode, match="02:00:00:00:00:99"):
        table.lookup(mac_bytes("02:00:00:00:00:99"))
    with pytest.raises(UnknownMobileNode, match="c@x"):
        table.lookup(mac_bytes("02:00:00:00:00:0a"), "c@x")


def _entry(mn_id: str, mac: str) -> BindingUpdateListEntry:
    return BindingUpdateListEntry(
        mn_id=mn_id,
        mac=mac_bytes(mac),
        interface="acc0",
        att=4,
        lma=ipv6_bytes("2001:db8:c::1"),
        requested=[ALL_ZERO.key],
        attach_handoff=4,
    )


def test_binding_update_list_indexes():
    bul = BindingUpdateList()
    a1, a2, b = (
        _entry("a@x", "02:00:00:00:00:01"),
        _entry("a@x", "02:00:00:00:00:02"),
        _entry("b@x", "02:00:00:00:00:03"),
    )
    for e in (a1, a2, b):
        bul.add(e)
    with pytest.raises(ValueError):
        bul.add(_entry("c@x", "02:00:00:00:00:01"))
    assert len(bul) == 3
    assert {e.mac for e in bul.for_mn("a@x")} == {a1.mac, a2.mac}
    bul.remove(a1)
    assert bul.for_mn("a@x") == [a2] and bul.get(a1.mac) is None and not bul.contains(a1)
    bul.remove(a2)
    assert bul.for_mn("a@x") == []
    assert list(bul) == [b]


def test_entry_view_before_registration():
    view = _entry("a@x", "02:00:00:00:00:01").to_dict(0.0)
    assert view["hnp"] == [] and view["lifetime"] == 0 and view["state"] == "registering"
    assert view["last_status"] is None and view["lma"] == "2001:db8:c::1"


def test_not_attached_error_is_both_key_and_value_error():
    err = NotAttachedError("02:00:00:00:00:01 is not attached")
    assert isinstance(err, KeyError) and isinstance(err, ValueError)
    assert str(err) == "02:00:00:00:00:01 is not attached"

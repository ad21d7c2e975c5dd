"""Every PBA status the LMA produces, and the RFC 5213 §5.3.1 order of the checks."""

from __future__ import annotations

import pytest

from pmipv6.config import AuthSettings, MobileNodePolicy
from pmipv6.lma.testing import MAG1, MAG2, STRANGER, LmaHarness, build_pbu, lma_config
from pmipv6.wire import (
    AccessTechnologyType,
    HandoffIndicatorOption,
    Heartbeat,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    Timestamp,
    decode,
    ipv6_bytes,
    seconds_to_timestamp,
)
from pmipv6.wire.auth import encode_signed, verify

ALICE, BOB = "alice@example.org", "bob@example.org"
AUTH = AuthSettings(spi=300, key=b"secret")


@pytest.fixture
def make(clock, dataplane):
    def factory(**cfg):
        return LmaHarness(lma_config(**cfg), clock, dataplane)

    return factory


def _register_alice(h, **kw):
    pba = h.pbu(ALICE, **kw)
    assert pba.status == 0
    h.clock.advance(0.01)  # the next PBU carries a later timestamp
    return pba


def _alice_prefix(h):
    return h.row(ALICE)["hnp"][0]


# (id, config overrides, setup(h), pbu kwargs (may be callable(h)), src, expected status)
CASES = [
    ("accepted", {}, None, {}, MAG1, 0),
    ("152-no-P-flag", {}, None, {"flags": 0x8000}, MAG1, 152),
    ("160-no-MN-ID", {}, None, {"mn_id": None}, MAG1, 160),
    ("154-unknown-MAG", {}, None, {}, STRANGER, 154),
    ("153-no-profile", {}, None, {"mn_id": "carol@example.org"}, MAG1, 153),
    (
        "153-other-LMA",
        {"mobile_nodes": [MobileNodePolicy(ALICE, lma="lma2")]},
        None,
        {},
        MAG1,
        153,
    ),
    ("153-profile-for-this-LMA", {"mobile_nodes": [MobileNodePolicy(ALICE, lma="lma1")]}, None, {}, MAG1, 0),
    ("156-timestamp-in-past", {}, None, {"timestamp": 1_699_999_999.0}, MAG1, 156),
    ("156-timestamp-in-future", {}, None, {"timestamp": 1_700_000_000.5}, MAG1, 156),
    ("156-window-edge-accepted", {}, None, {"timestamp": 1_700_000_000.29}, MAG1, 0),
    ("156-no-timestamp-option", {}, None, {"timestamp": None}, MAG1, 156),
    (
        "157-older-than-accepted",
        {},
        lambda h: _register_alice(h, timestamp=1_700_000_000.1),
        {"timestamp": 1_700_000_000.05, "hi": 3},
        MAG1,
        157,
    ),
    (
        "157-equal-to-accepted",
        {},
        lambda h: _register_alice(h, timestamp=1_700_000_000.1),
        {"timestamp": 1_700_000_000.1, "hi": 3},
        MAG1,
        157,
    ),
    (
        "135-sequence-replayed",
        {"replay": "sequence"},
        lambda h: _register_alice(h, sequence=10),
        {"sequence": 10, "hi": 3},
        MAG1,
        135,
    ),
    ("158-no-HNP", {}, None, {"hnps": ()}, MAG1, 158),
    ("161-no-HI", {}, None, {"hi": None}, MAG1, 161),
    ("162-no-ATT", {}, None, {"att": None}, MAG1, 162),
    ("162-ATT-zero", {}, None, {"att": 0}, MAG1, 162),
    ("162-ATT-zero-accepted-when-enabled", {"accept_att_zero": True}, None, {"att": 0}, MAG1, 0),
    ("155-prefix-outside-pools", {}, None, {"hnps": ("2001:db8:999:1::/64",)}, MAG1, 155),
    ("155-prefix-of-wrong-length", {}, None, {"hnps": ("2001:db8:100:1::/60",)}, MAG1, 155),
    (
        "155-prefix-bound-to-another-MN",
        {},
        lambda h: h.pbu(BOB, mac="02:00:00:00:00:0b"),
        lambda h: {"hnps": (h.row(BOB)["hnp"][0],), "hi": 3},
        MAG1,
        155,
    ),
    (
        "155-static-prefix-of-another-MN",
        {"mobile_nodes": [ALICE, MobileNodePolicy(BOB, hnp=["2001:db8:100:b::/64"])]},
        None,
        {"hnps": ("2001:db8:100:b::/64",)},
        MAG1,
        155,
    ),
    ("155-free-pool-prefix-accepted", {}, None, {"hnps": ("2001:db8:100:77::/64",), "hi": 5}, MAG1, 0),
    (
        "159-prefix-set-differs",
        {},
        lambda h: _register_alice(h),
        lambda h: {"hnps": (_alice_prefix(h), "2001:db8:100:77::/64"), "hi": 5},
        MAG1,
        159,
    ),
    (
        "130-pool-exhausted",
        {"pools": ["2001:db8:100::/63"]},
        lambda h: [h.pbu(ALICE, mac="02:00:00:00:00:01"), h.pbu(ALICE, mac="02:00:00:00:00:02")],
        {"mac": "02:00:00:00:00:03"},
        MAG1,
        130,
    ),
    ("146-missing-AUTH", {"auth": AUTH}, None, {"sign": False}, MAG1, 146),
]


@pytest.mark.parametrize(
    ("cfg", "setup", "kwargs", "src", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_status(make, cfg, setup, kwargs, src, expected):
    h = make(**cfg)
    if setup is not None:
        setup(h)
    if callable(kwargs):
        kwargs = kwargs(h)
    kwargs = dict(kwargs)
    mn = kwargs.pop("mn_id", ALICE)
    pba = h.pbu(mn, src, **kwargs)
    assert pba is not None
    assert pba.status == expected
    assert pba.flags & 0x20
    if expected >= 128:
        assert pba.lifetime == 0
    assert h.lma.stats["pba_sent", expected] >= 1


def _signed(h, signer=MAG1, spi=300, key=b"secret") -> bytes:
    msg = build_pbu(ALICE, timestamp=h.clock())
    return encode_signed(msg, spi, key, signer, ipv6_bytes(h.config.address))


@pytest.mark.parametrize(
    ("spi", "key", "expected"),
    [(300, b"secret", 0), (301, b"secret", 144), (300, b"wrong", 146)],
    ids=["good", "144-unknown-SPI", "146-wrong-key"],
)
def test_auth(make, spi, key, expected):
    h = make(auth=AUTH)
    pba = h.deliver(_signed(h, spi=spi, key=key), MAG1)
    assert pba.status == expected
    assert h.lma.stats["auth_failed",] == (0 if expected == 0 else 1)
    # every PBA is signed when auth is configured, and it verifies at the MAG
    dest, data = h.sent[-1]
    assert verify(data, 300, b"secret", dest, ipv6_bytes(h.config.address)) is None


def test_auth_covers_the_sender_address(make):
    """Mobility Data includes the Proxy-CoA: a PBU signed for MAG1 but sent from MAG2 fails."""
    h = make(auth=AUTH)
    assert h.deliver(_signed(h, signer=MAG1), MAG2).status == 146


def test_auth_without_raw_bytes_reencodes(make, clock):
    """handle_pbu without ``raw`` re-encodes the decoded PBU (canonical encoders agree)."""
    h = make(auth=AUTH)
    assert h.lma.handle_pbu(decode(_signed(h)), MAG1).status == 0


# -- order of the checks (§5.3.1): the earlier failing step decides ---------------------------
ORDER = [
    ("P-before-MN-ID", {"flags": 0x8000, "mn_id": None}, MAG1, 152),
    ("MN-ID-before-MAG", {"mn_id": None}, STRANGER, 160),
    ("MAG-before-profile", {"mn_id": "carol@example.org"}, STRANGER, 154),
    ("profile-before-timestamp", {"mn_id": "carol@example.org", "timestamp": 1.0}, MAG1, 153),
    ("timestamp-before-HNP", {"timestamp": 1.0, "hnps": ()}, MAG1, 156),
    ("HNP-before-HI", {"hnps": (), "hi": None}, MAG1, 158),
    ("HI-before-ATT", {"hi": None, "att": None}, MAG1, 161),
    ("ATT-before-prefix-authorisation", {"att": None, "hnps": ("2001:db8:999::/64",)}, MAG1, 162),
]


@pytest.mark.parametrize(("kwargs", "src", "expected"), [c[1:] for c in ORDER], ids=[c[0] for c in ORDER])
def test_check_order(make, kwargs, src, expected):
    h = make()
    kwargs = dict(kwargs)
    mn = kwargs.pop("mn_id", ALICE)
    assert h.pbu(mn, src, **kwargs).status == expected


def test_auth_is_checked_first(make):
    h = make(auth=AUTH)
    assert h.pbu(None, STRANGER, sign=False, flags=0x8000).status == 146


# -- rejection PBA contents -------------------------------------------------------------------
def test_rejection_echoes_options(make, clock):
    h = make()
    pba = h.pbu(ALICE, sequence=4242, att=None, mac="02:00:00:00:00:0a", hi=2)
    assert pba.status == 162
    assert (pba.sequence, pba.lifetime, pba.flags) == (4242, 0, 0x20)
    assert pba.find(MobileNodeIdentifier).identifier == ALICE
    assert pba.find(HandoffIndicatorOption).value == 2
    assert pba.find(AccessTechnologyType) is None
    assert pba.find(MNLinkLayerIdentifier).identifier == bytes.fromhex("02000000000a")
    assert pba.find(Timestamp).value == seconds_to_timestamp(clock())


def test_156_carries_the_lma_clock(make, clock):
    h = make()
    clock.now = 1_700_000_123.5
    pba = h.pbu(ALICE, timestamp=1_600_000_000.0, sequence=7)
    assert pba.status == 156
    assert pba.sequence == 7
    assert pba.find(Timestamp).value == seconds_to_timestamp(1_700_000_123.5)


def test_156_without_timestamp_option_still_gets_lma_time(make, clock):
    pba = make().pbu(ALICE, timestamp=None)
    assert pba.status == 156
    assert pba.find(Timestamp).value == seconds_to_timestamp(clock())


def test_135_carries_last_accepted_sequence(make):
    h = make(replay="sequence")
    assert h.pbu(ALICE, sequence=500).status == 0
    pba = h.pbu(ALICE, sequence=100, hi=3)
    assert (pba.status, pba.sequence) == (135, 500)


def test_rejection_does_not_touch_state(make, dataplane):
    h = make()
    _register_alice(h)
    before = (h.lma.bindings(), list(dataplane.calls))
    assert h.pbu(ALICE, hnps=(_alice_prefix(h), "2001:db8:100:77::/64"), hi=5).status == 159
    assert h.pbu(ALICE, timestamp=1.0).status == 156
    assert (h.lma.bindings(), dataplane.calls) == before


def test_pool_exhaustion_is_counted_and_recovers(make, clock):
    h = make(pools=["2001:db8:100::/64"], mobile_nodes=[ALICE, BOB])
    assert h.pbu(ALICE).status == 0
    assert h.pbu(BOB, MAG2, mac="02:00:00:00:00:0b").status == 130
    assert h.lma.stats["hnp_pool_exhausted",] == 1
    clock.advance(1)
    prefix = _alice_prefix(h)
    assert h.pbu(ALICE, hnps=(prefix,), hi=5, lifetime=0).status == 0
    clock.advance(10)
    h.poll()
    clock.advance(1)
    pba = h.pbu(BOB, MAG2, mac="02:00:00:00:00:0b")
    assert pba.status == 0
    assert h.row(BOB)["hnp"] == [prefix]


def test_129_static_prefix_held_by_another_mn(make, clock):
    """After a policy change hands a dynamically bound prefix to another MN as its static
    prefix, that MN is refused (129) until the holder lets it go; never two MNs on one prefix."""
    h = make(mobile_nodes=[ALICE, BOB])
    h.pbu(ALICE)
    held = _alice_prefix(h)
    h.lma.reload(lma_config(mobile_nodes=[ALICE, MobileNodePolicy(BOB, hnp=[held])]))
    clock.advance(1)
    assert h.pbu(BOB, MAG2, mac="02:00:00:00:00:0b").status == 129
    assert h.pbu(BOB, MAG2, mac="02:00:00:00:00:0b", hnps=(held,)).status == 129
    assert [r["mn_id"] for r in h.lma.bindings()] == [ALICE]


def test_unknown_message_type_is_dropped(make):
    h = make()
    assert h.lma.handle_pbu(Heartbeat(1), MAG1) is None
    assert h.sent == []

"""RFC 5213 §5.4.1: the binding cache existence test, row by row, and §5.3.2-§5.3.4 outcomes."""

from __future__ import annotations

import pytest

from pmipv6.config import MobileNodePolicy
from pmipv6.lma.testing import MAG1, MAG2, MAG3, LmaHarness, lma_config
from pmipv6.wire import HomeNetworkPrefix, LinkLocalAddress, ipv6_bytes, ipv6_text

ALICE, BOB = "alice@example.org", "bob@example.org"
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:aa"
WIFI, LTE = 4, 8


@pytest.fixture
def make(clock, dataplane):
    def factory(**cfg):
        return LmaHarness(lma_config(**cfg), clock, dataplane)

    return factory


@pytest.fixture
def h(make):
    return make()


def _first(h, **kw):
    """Alice's first registration at MAG1 (HI=1, ALL_ZERO, Wi-Fi, MAC_A)."""
    pba = h.pbu(ALICE, MAG1, hi=1, att=WIFI, mac=MAC_A, **kw)
    assert pba.status == 0
    h.clock.advance(0.05)
    return str(pba.find(HomeNetworkPrefix))


def _outcome(h, before_prefix, pba, src):
    rows = h.lma.bindings()
    if pba is None:
        return "deferred"
    assert pba.status == 0, pba
    granted = [str(o) for o in pba.options if type(o) is HomeNetworkPrefix]
    if len(rows) == 2:
        assert before_prefix not in granted
        return "new"
    (row,) = rows
    assert granted == row["hnp"] == [before_prefix]
    assert row["mag"] == ipv6_text(src)
    return "refresh" if src == MAG1 else "handoff"


# id, second PBU: (src, hi, att, mac, hnps: "assigned" | "zero"), expected outcome
ROWS = [
    # §5.4.1.1: non-zero HNP matching the BCE (whatever the HI says)
    ("1.1-match-same-MAG", (MAG1, 5, WIFI, MAC_A, "assigned"), "refresh"),
    ("1.1-match-new-MAG", (MAG2, 3, WIFI, MAC_A, "assigned"), "handoff"),
    ("1.1-match-new-MAG-HI4", (MAG2, 4, WIFI, MAC_A, "assigned"), "handoff"),
    ("1.1-match-new-MAG-HI1", (MAG2, 1, WIFI, MAC_A, "assigned"), "handoff"),
    ("1.1-match-no-MN-LL-ID", (MAG2, 3, WIFI, None, "assigned"), "handoff"),
    # §5.4.1.2: ALL_ZERO with MN-LL-ID
    ("1.2-HI1-new-interface", (MAG2, 1, LTE, MAC_B, "zero"), "new"),
    ("1.2-HI1-same-MAG-other-interface", (MAG1, 1, LTE, MAC_B, "zero"), "new"),
    ("1.2-HI1-retransmission", (MAG1, 1, WIFI, MAC_A, "zero"), "refresh"),
    ("1.2-HI1-same-interface-new-MAG", (MAG2, 1, WIFI, MAC_A, "zero"), "new"),
    ("1.2-HI2-interface-match-same-MAG", (MAG1, 2, WIFI, MAC_A, "zero"), "refresh"),
    ("1.2-HI3-interface-match-new-MAG", (MAG2, 3, WIFI, MAC_A, "zero"), "handoff"),
    ("1.2-HI4-interface-match-new-MAG", (MAG2, 4, WIFI, MAC_A, "zero"), "handoff"),
    ("1.2-HI5-interface-match-same-MAG", (MAG1, 5, WIFI, MAC_A, "zero"), "refresh"),
    ("1.2-HI2-no-match-moves-session", (MAG2, 2, LTE, MAC_B, "zero"), "handoff"),
    ("1.2-HI2-no-match-same-MAG", (MAG1, 2, LTE, MAC_B, "zero"), "refresh"),
    ("1.2-HI3-no-match-MN-ID-lookup", (MAG2, 3, WIFI, MAC_B, "zero"), "handoff"),
    ("1.2-HI5-no-match-MN-ID-lookup", (MAG2, 5, WIFI, MAC_B, "zero"), "handoff"),
    ("1.2-HI4-no-match-bound-elsewhere", (MAG2, 4, LTE, MAC_B, "zero"), "deferred"),
    ("1.2-HI4-no-match-same-MAG-other-interface", (MAG1, 4, LTE, MAC_B, "zero"), "new"),
    # §5.4.1.3: ALL_ZERO without MN-LL-ID
    ("1.3-HI1-new", (MAG2, 1, LTE, None, "zero"), "new"),
    ("1.3-HI2-handoff", (MAG2, 2, LTE, None, "zero"), "handoff"),
    ("1.3-HI3-handoff", (MAG2, 3, WIFI, None, "zero"), "handoff"),
    ("1.3-HI3-same-MAG-refresh", (MAG1, 3, WIFI, None, "zero"), "refresh"),
    ("1.3-HI4-bound-elsewhere", (MAG2, 4, WIFI, None, "zero"), "deferred"),
    ("1.3-HI4-same-MAG-refresh", (MAG1, 4, WIFI, None, "zero"), "refresh"),
]


@pytest.mark.parametrize(("second", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_decision_row(h, dataplane, second, expected):
    prefix = _first(h)
    src, hi, att, mac, hnps = second
    pba = h.pbu(ALICE, src, hi=hi, att=att, mac=mac, hnps=(prefix,) if hnps == "assigned" else ("::/0",))
    assert _outcome(h, prefix, pba, src) == expected
    stats = h.lma.stats
    assert stats["handoff",] == (expected == "handoff")
    assert stats["bce_created",] == (2 if expected == "new" else 1)
    routes = {(ipv6_text(p), n): ipv6_text(m) for (p, n), m in dataplane.routes.items()}
    assert routes[(prefix.split("/")[0], 64)] == ipv6_text(MAG1 if expected != "handoff" else src)
    if expected in ("handoff", "refresh"):
        (row,) = h.lma.bindings()
        assert (row["hi"], row["att"]) == (hi, att)
        if mac is not None:
            assert row["mn_ll_id"] == mac


@pytest.mark.parametrize("hi", [2, 3, 4, 5])
def test_all_zero_without_any_binding_is_a_new_session(h, hi):
    pba = h.pbu(ALICE, MAG2, hi=hi)
    assert pba.status == 0
    assert h.lma.binding_count() == 1


def test_non_zero_prefix_none_matching_is_new_session_after_restart(h, dataplane):
    """A MAG re-registering a pool prefix the LMA no longer knows (the LMA restarted)."""
    pba = h.pbu(ALICE, MAG2, hi=5, hnps=("2001:db8:100:77::/64",))
    assert pba.status == 0
    assert h.row(ALICE)["hnp"] == ["2001:db8:100:77::/64"]
    assert dataplane.routes == {(ipv6_bytes("2001:db8:100:77::"), 64): MAG2}
    # the claimed prefix is never handed out dynamically while bound
    for i in range(5):
        h.pbu(BOB, MAG1, mac=f"02:00:00:00:01:{i:02x}")
    assert "2001:db8:100:77::/64" not in {p for r in h.lma.bindings() if r["mn_id"] == BOB for p in r["hnp"]}


def test_partial_match_of_a_multi_prefix_binding_is_159(make, clock):
    statics = ["2001:db8:200:1::/64", "2001:db8:200:2::/64"]
    h = make(mobile_nodes=[MobileNodePolicy(ALICE, hnp=statics)])
    pba = h.pbu(ALICE)
    assert sorted(str(o) for o in pba.find_all(HomeNetworkPrefix)) == statics
    clock.advance(1)
    assert h.pbu(ALICE, hi=5, hnps=statics[:1]).status == 159
    clock.advance(1)
    assert h.pbu(ALICE, hi=5, hnps=statics[::-1]).status == 0  # same set, any order
    clock.advance(1)
    assert h.pbu(ALICE, MAG2, hi=3, hnps=statics).status == 0
    assert h.lma.stats["handoff",] == 1


# -- HI=4: wait MaxDelayBeforeNewBCEAssign for the old MAG ------------------------------------
def test_hi4_old_mag_deregisters_in_time_is_a_handoff(h, clock, dataplane):
    prefix = _first(h)
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B, sequence=77) is None
    assert h.lma.stats["pbu_deferred",] == 1
    pending = [r for r in h.lma.bindings() if r["state"] == "pending"]
    assert len(pending) == 1 and pending[0]["mag"] == ipv6_text(MAG2) and pending[0]["hnp"] == []
    assert h.lma.next_deadline() == pytest.approx(clock() + 1.5)
    clock.advance(1.0)
    sent_before = len(h.sent)
    dereg = h.pbu(ALICE, MAG1, hi=4, att=WIFI, mac=MAC_A, hnps=(prefix,), lifetime=0)
    assert (dereg.status, dereg.lifetime) == (0, 0)
    # two PBAs: the de-registration's, then the deferred PBU's (to MAG2)
    assert [d for d, _ in h.sent[sent_before:]] == [MAG1, MAG2]
    deferred = h.decode_sent(h.sent[-1][1])
    assert (deferred.status, deferred.sequence, deferred.lifetime) == (0, 77, 3600)
    assert [str(o) for o in deferred.find_all(HomeNetworkPrefix)] == [prefix]
    (row,) = h.lma.bindings()
    assert (row["state"], row["mag"], row["hnp"], row["att"]) == ("active", ipv6_text(MAG2), [prefix], LTE)
    assert h.lma.stats["handoff",] == 1
    assert set(dataplane.routes.values()) == {MAG2}
    clock.advance(5)
    h.poll()  # the cancelled wait never fires
    assert h.lma.binding_count() == 1 and len(h.sent) == sent_before + 2


def test_hi4_timer_fires_creates_a_new_binding(h, clock):
    prefix = _first(h)
    start = clock()
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B, sequence=9) is None
    clock.advance(1.49)
    h.poll()
    assert len(h.lma.bindings()) == 2  # still pending
    clock.now = start + 1.5
    h.poll()
    pba = h.decode_sent(h.sent[-1][1])
    assert h.sent[-1][0] == MAG2
    assert (pba.status, pba.sequence) == (0, 9)
    new_prefix = str(pba.find(HomeNetworkPrefix))
    assert new_prefix != prefix
    rows = {r["mag"]: r for r in h.lma.bindings()}
    assert rows[ipv6_text(MAG1)]["hnp"] == [prefix]
    assert rows[ipv6_text(MAG2)]["hnp"] == [new_prefix]
    assert rows[ipv6_text(MAG2)]["state"] == "active"
    assert rows[ipv6_text(MAG2)]["created"] == start + 1.5


def test_hi4_retransmission_while_waiting_is_answered_once(h, clock):
    _first(h)
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B, sequence=1) is None
    clock.advance(0.5)
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B, sequence=2) is None
    clock.advance(1.0)
    h.poll()
    to_mag2 = [h.decode_sent(d) for dest, d in h.sent if dest == MAG2]
    assert [(p.status, p.sequence) for p in to_mag2] == [(0, 2)]


def test_hi4_when_old_binding_is_already_deleting_takes_over(h, clock):
    prefix = _first(h)
    assert h.pbu(ALICE, MAG1, hnps=(prefix,), hi=4, lifetime=0).status == 0
    clock.advance(0.2)
    pba = h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B)
    assert pba.status == 0 and str(pba.find(HomeNetworkPrefix)) == prefix
    assert h.row(ALICE)["state"] == "active"


def test_hi4_with_zero_wait_creates_at_once(make):
    h = make(new_bce_delay_ms=0)
    _first(h)
    pba = h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B)
    assert pba.status == 0 and h.lma.binding_count() == 2


def test_hi4_deferred_pbu_withdrawn_by_its_own_deregistration(h, clock):
    _first(h)
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B) is None
    clock.advance(0.1)
    assert h.pbu(ALICE, MAG2, hi=4, att=LTE, mac=MAC_B, lifetime=0).status == 0
    clock.advance(5)
    h.poll()
    assert h.lma.binding_count() == 1
    assert h.lma.stats["dereg_stale",] == 1


# -- handoff and multihoming -----------------------------------------------------------------
def test_handoff_repoints_routes(h, dataplane, clock):
    prefix = _first(h)
    key = (ipv6_bytes(prefix.split("/")[0]), 64)
    assert dataplane.calls == [("bind", MAG1, (key,))]
    h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,))
    clock.advance(0.1)
    h.pbu(ALICE, MAG3, hi=3, hnps=(prefix,))
    assert dataplane.calls[1:] == [
        ("unbind", MAG1, (key,)),
        ("bind", MAG2, (key,)),
        ("unbind", MAG2, (key,)),
        ("bind", MAG3, (key,)),
    ]
    assert h.row(ALICE)["mag_name"] == "mag3"
    assert h.lma.stats["handoff",] == 2


def test_multihoming_separate_entries_per_interface(h, clock, dataplane):
    a = h.pbu(ALICE, MAG1, hi=1, att=WIFI, mac=MAC_A)
    clock.advance(0.1)
    b = h.pbu(ALICE, MAG2, hi=1, att=LTE, mac=MAC_B)
    pa, pb = (str(p.find(HomeNetworkPrefix)) for p in (a, b))
    assert pa != pb
    rows = sorted(h.lma.bindings(), key=lambda r: r["att"])
    assert [(r["att"], r["mn_ll_id"], r["hnp"], r["mag"]) for r in rows] == [
        (WIFI, MAC_A, [pa], ipv6_text(MAG1)),
        (LTE, MAC_B, [pb], ipv6_text(MAG2)),
    ]
    # each interface refreshes / moves independently
    clock.advance(0.1)
    assert h.pbu(ALICE, MAG3, hi=3, att=LTE, mac=MAC_B).status == 0
    assert {r["att"]: r["mag"] for r in h.lma.bindings()} == {WIFI: ipv6_text(MAG1), LTE: ipv6_text(MAG3)}
    assert len(dataplane.routes) == 2


def test_multihoming_is_capped(h, clock):
    from pmipv6.lma import MAX_BINDINGS_PER_MN

    for i in range(MAX_BINDINGS_PER_MN):
        assert h.pbu(ALICE, hi=1, mac=f"02:00:00:00:02:{i:02x}").status == 0
    assert h.pbu(ALICE, hi=1, mac="02:00:00:00:03:00").status == 130


def test_link_local_address_from_first_registration(h, clock):
    prefix = _first(h, lla="fe80::1")
    pba = h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,), lla="fe80::2")
    assert str(pba.find(LinkLocalAddress)) == "fe80::1"
    clock.advance(0.1)
    pba = h.pbu(ALICE, MAG2, hi=5, hnps=(prefix,), lla=None)
    assert pba.find(LinkLocalAddress) is None


def test_link_local_address_learned_when_first_pbu_had_none(h, clock):
    prefix = _first(h, lla=None)
    pba = h.pbu(ALICE, MAG1, hi=5, hnps=(prefix,), lla="fe80::9")
    assert str(pba.find(LinkLocalAddress)) == "fe80::9"
    assert h.row(ALICE)["link_local"] == "fe80::9"

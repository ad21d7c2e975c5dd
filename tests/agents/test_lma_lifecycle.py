"""Binding life: lifetimes, expiry, de-registration (§5.3.5), prefixes, reload, bindings()."""

from __future__ import annotations

import json

import pytest

from pmipv6.config import MobileNodePolicy
from pmipv6.lma.testing import MAG1, MAG2, LmaHarness, lma_config
from pmipv6.wire import HomeNetworkPrefix, ipv6_bytes, ipv6_text

ALICE, BOB = "alice@example.org", "bob@example.org"


@pytest.fixture
def make(clock, dataplane):
    def factory(**cfg):
        return LmaHarness(lma_config(**cfg), clock, dataplane)

    return factory


def _prefix(pba):
    return str(pba.find(HomeNetworkPrefix))


# -- lifetime -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("requested", "cap", "granted"),
    [(3600, 3600, 3600), (7200, 3600, 3600), (400, 3600, 400), (3600, 1002, 1000), (4, 3600, 4)],
)
def test_granted_lifetime(make, requested, cap, granted):
    h = make(lifetime_max=cap)
    pba = h.pbu(ALICE, lifetime=requested)
    assert pba.lifetime == granted
    assert h.row(ALICE)["lifetime"] == granted


def test_binding_expires_when_lifetime_runs_out(make, clock, dataplane):
    h = make()
    start = clock()
    prefix = _prefix(h.pbu(ALICE, lifetime=100))
    assert h.lma.next_deadline() <= start + 100
    clock.now = start + 60
    h.poll()
    assert h.row(ALICE)["lifetime"] == 40
    clock.now = start + 99.9
    h.poll()
    assert h.lma.binding_count() == 1
    clock.now = start + 100
    h.poll()
    assert h.lma.binding_count() == 0
    assert h.lma.stats["bce_expired",] == 1
    assert dataplane.routes == {}
    assert dataplane.calls[-1] == ("unbind", MAG1, ((ipv6_bytes(prefix.split("/")[0]), 64),))


@pytest.mark.parametrize("start", [1_700_000_000.25, 1_700_000_000.999, 1_700_000_001.0])
def test_expiry_is_exact_at_fractional_times(make, clock, start):
    h = make(mobile_nodes=[ALICE, BOB])
    clock.now = start
    h.pbu(ALICE, lifetime=8)
    h.pbu(BOB, lifetime=12, mac="02:00:00:00:00:0b")
    assert h.lma.next_deadline() <= start + 8
    h.poll(start + 8 - 1e-6)
    assert h.lma.binding_count() == 2
    assert h.lma.next_deadline() == pytest.approx(start + 8)
    h.poll(start + 8)
    assert [r["mn_id"] for r in h.lma.bindings()] == [BOB]
    assert h.lma.next_deadline() <= start + 12
    h.poll(start + 12)
    assert h.lma.binding_count() == 0 and h.lma.next_deadline() is None


def test_refresh_extends_and_shortening_is_honoured(make, clock):
    h = make()
    start = clock()
    prefix = _prefix(h.pbu(ALICE, lifetime=100))
    clock.now = start + 90
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=100).lifetime == 100
    clock.now = start + 150
    h.poll()
    assert h.row(ALICE)["lifetime"] == 40  # extended to start + 190
    # shortening: the new, earlier expiry applies
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=8).lifetime == 8
    assert h.lma.next_deadline() <= start + 158
    clock.now = start + 158
    h.poll()
    assert h.lma.binding_count() == 0
    clock.now = start + 200
    h.poll()  # the stale slot of the longer lifetime is harmless
    assert h.lma.stats["bce_expired",] == 1


def test_expiry_of_many_bindings_with_a_clock_jump(make, clock):
    h = make(mobile_nodes=[f"mn{i}@x" for i in range(50)])
    for i in range(50):
        h.pbu(f"mn{i}@x", lifetime=4 * (i + 1), mac=f"02:00:00:00:00:{i:02x}")
    clock.advance(4 * 25)
    h.poll()
    assert h.lma.binding_count() == 25
    clock.advance(10_000)
    h.poll()
    assert h.lma.binding_count() == 0
    assert h.lma.stats["bce_expired",] == 50
    assert h.lma.pool.free_count() == h.lma.pool.size


# -- de-registration --------------------------------------------------------------------------
def test_deregistration_keeps_entry_min_delay_then_deletes(make, clock, dataplane):
    h = make(delete_delay_ms=10_000)
    prefix = _prefix(h.pbu(ALICE))
    clock.advance(1)
    start = clock()
    pba = h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0)
    assert (pba.status, pba.lifetime) == (0, 0)
    assert [str(o) for o in pba.find_all(HomeNetworkPrefix)] == [prefix]
    row = h.row(ALICE)
    assert (row["state"], row["lifetime"], row["delete_in"]) == ("deleting", 0, 10.0)
    assert dataplane.routes  # routes stay during the delay
    clock.now = start + 9.99
    h.poll()
    assert h.lma.binding_count() == 1
    clock.now = start + 10
    h.poll()
    assert h.lma.binding_count() == 0
    assert dataplane.routes == {}
    assert h.lma.stats["bce_deleted",] == 1 and h.lma.stats["bce_expired",] == 0


def test_repeated_deregistration_does_not_extend_the_delay(make, clock):
    h = make(delete_delay_ms=10_000)
    prefix = _prefix(h.pbu(ALICE))
    start = clock.advance(1)
    h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0)
    clock.advance(5)
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0).status == 0
    clock.now = start + 10
    h.poll()
    assert h.lma.binding_count() == 0


def test_new_mag_takes_over_a_deleting_binding(make, clock, dataplane):
    h = make()
    prefix = _prefix(h.pbu(ALICE))
    clock.advance(1)
    h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0)
    clock.advance(3)
    pba = h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,))
    assert (pba.status, pba.lifetime, _prefix(pba)) == (0, 3600, prefix)
    row = h.row(ALICE)
    assert (row["state"], row["mag"]) == ("active", ipv6_text(MAG2))
    assert h.lma.stats["handoff",] == 1
    clock.advance(20)
    h.poll()  # the deletion slot comes due but the binding lives on
    assert h.row(ALICE)["state"] == "active"
    assert set(dataplane.routes.values()) == {MAG2}


def test_same_mag_reregistering_revives_a_deleting_binding(make, clock):
    h = make()
    prefix = _prefix(h.pbu(ALICE))
    clock.advance(1)
    h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0)
    clock.advance(1)
    assert h.pbu(ALICE, hi=5, hnps=(prefix,)).status == 0
    clock.advance(60)
    h.poll()
    assert h.row(ALICE)["state"] == "active"


def test_stale_deregistration_from_old_mag_is_ignored(make, clock, dataplane):
    h = make()
    prefix = _prefix(h.pbu(ALICE, MAG1))
    clock.advance(1)
    h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,))
    clock.advance(1)
    pba = h.pbu(ALICE, MAG1, hi=3, hnps=(prefix,), lifetime=0)
    assert (pba.status, pba.lifetime) == (0, 0)
    row = h.row(ALICE)
    assert (row["state"], row["mag"], row["lifetime"]) == ("active", ipv6_text(MAG2), 3599)
    assert h.lma.stats["dereg_stale",] == 1
    assert set(dataplane.routes.values()) == {MAG2}
    clock.advance(60)
    h.poll()
    assert h.lma.binding_count() == 1


def test_deregistration_of_unknown_binding_is_acknowledged(make):
    h = make()
    pba = h.pbu(ALICE, hi=5, hnps=("2001:db8:100:5::/64",), lifetime=0)
    assert (pba.status, pba.lifetime) == (0, 0)
    assert h.lma.binding_count() == 0
    assert h.lma.stats["dereg_unknown",] == 1
    assert h.lma.pool.is_free(bytes(ipv6_bytes("2001:db8:100:5::")) + b"\x40")


def test_zero_delete_delay_deletes_at_once(make):
    h = make(delete_delay_ms=0)
    prefix = _prefix(h.pbu(ALICE))
    h.clock.advance(1)
    h.pbu(ALICE, hi=5, hnps=(prefix,), lifetime=0)
    assert h.lma.binding_count() == 0


# -- prefixes -----------------------------------------------------------------------------------
def test_prefix_returns_to_pool_and_is_reused_last(make, clock):
    h = make(pools=["2001:db8:100::/62"], mobile_nodes=[f"mn{i}@x" for i in range(5)], delete_delay_ms=0)
    got = [_prefix(h.pbu(f"mn{i}@x", mac=f"02:00:00:00:00:{i:02x}")) for i in range(4)]
    assert len(set(got)) == 4
    assert h.pbu("mn4@x", mac="02:00:00:00:00:04").status == 130
    clock.advance(1)
    h.pbu("mn1@x", hi=5, hnps=(got[1],), lifetime=0, mac="02:00:00:00:00:01")
    assert _prefix(h.pbu("mn4@x", mac="02:00:00:00:00:04")) == got[1]


def test_never_two_mns_on_one_prefix(make, clock):
    h = make(mobile_nodes=[f"mn{i}@x" for i in range(30)], pools=["2001:db8:100::/59"], delete_delay_ms=0)
    for step in range(300):
        i = (step * 7) % 30
        mn = f"mn{i}@x"
        rows = [r for r in h.lma.bindings() if r["mn_id"] == mn]
        clock.advance(0.01)
        if rows and step % 3 == 0:
            h.pbu(mn, hi=5, hnps=rows[0]["hnp"], lifetime=0, mac=f"02:00:00:00:00:{i:02x}")
        elif not rows:
            h.pbu(mn, mac=f"02:00:00:00:00:{i:02x}")
        owners: dict[str, str] = {}
        for r in h.lma.bindings():
            for p in r["hnp"]:
                assert owners.setdefault(p, r["mn_id"]) == r["mn_id"]
    # and another MN may not claim a bound prefix
    bound = h.lma.bindings()[0]
    other = next(f"mn{i}@x" for i in range(30) if f"mn{i}@x" != bound["mn_id"])
    assert h.pbu(other, hi=5, hnps=bound["hnp"]).status == 155


def test_static_prefix(make, clock):
    static = "2001:db8:100:b::/64"
    h = make(mobile_nodes=[ALICE, MobileNodePolicy(BOB, hnp=[static])], pools=["2001:db8:100::/60"])
    # the static prefix lies in the pool but is never handed out dynamically
    for i in range(15):
        h.pbu(ALICE, hi=1, mac=f"02:00:00:00:00:{i:02x}")
    alice_prefixes = {p for r in h.lma.bindings() for p in r["hnp"]}
    assert static not in alice_prefixes and len(alice_prefixes) == 15
    assert h.pbu(ALICE, hi=1, mac="02:00:00:00:00:ff").status == 130
    pba = h.pbu(BOB, MAG2, mac="02:00:00:00:00:0b")
    assert (pba.status, _prefix(pba)) == (0, static)
    # after de-registration it stays reserved for Bob
    clock.advance(1)
    h.pbu(BOB, MAG2, hi=5, hnps=(static,), lifetime=0, mac="02:00:00:00:00:0b")
    clock.advance(11)
    h.poll()
    assert h.pbu(ALICE, hi=1, mac="02:00:00:00:00:fe").status == 130
    assert _prefix(h.pbu(BOB, MAG1, mac="02:00:00:00:00:0b")) == static


def test_static_prefix_requested_explicitly(make):
    static = "2001:db8:300::/56"  # outside the pools, another length
    h = make(mobile_nodes=[MobileNodePolicy(ALICE, hnp=[static])])
    pba = h.pbu(ALICE, hi=5, hnps=(static,))
    assert (pba.status, _prefix(pba)) == (0, static)


# -- reload -------------------------------------------------------------------------------------
def test_reload_keeps_bindings_and_applies_new_policy(make, clock, dataplane):
    h = make()
    prefix = _prefix(h.pbu(ALICE, MAG1))
    h.pbu(BOB, MAG1, mac="02:00:00:00:00:0b")
    before = h.lma.bindings()
    new = lma_config(
        mobile_nodes=[ALICE, "carol@x"],
        mags={"mag2": "2001:db8:c::3"},
        lifetime_max=600,
        pools=["2001:db8:100::/48", "2001:db8:200::/48"],
    )
    h.lma.reload(new)
    after = h.lma.bindings()
    assert [r.pop("mag_name") for r in after] == [None, None]  # mag1 is no longer configured
    assert after == [{k: v for k, v in r.items() if k != "mag_name"} for r in before]
    clock.advance(1)
    # MAG1 is no longer authorised; Bob no longer has a profile
    assert h.pbu(ALICE, MAG1, hi=5, hnps=(prefix,)).status == 154
    assert h.pbu(BOB, MAG2, hi=3, mac="02:00:00:00:00:0b").status == 153
    # the new lifetime cap applies to the next registration; the bound prefix stays bound
    pba = h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,))
    assert (pba.status, pba.lifetime) == (0, 600)
    assert _prefix(h.pbu("carol@x", MAG2, mac="02:00:00:00:00:0c")) not in (prefix, before[1]["hnp"][0])
    assert h.lma.binding_count() == 3


def test_reload_with_new_pool_layout_keeps_bound_prefixes_out_of_allocation(make, clock):
    h = make(pools=["2001:db8:100::/62"], mobile_nodes=[f"mn{i}@x" for i in range(6)])
    taken = {_prefix(h.pbu(f"mn{i}@x", mac=f"02:00:00:00:00:{i:02x}")) for i in range(2)}
    h.lma.reload(lma_config(pools=["2001:db8:100::/61"], mobile_nodes=[f"mn{i}@x" for i in range(6)]))
    fresh = {_prefix(h.pbu(f"mn{i}@x", mac=f"02:00:00:00:00:{i:02x}")) for i in range(2, 6)}
    assert not fresh & taken and len(fresh) == 4


# -- bindings() ---------------------------------------------------------------------------------
def test_bindings_shape(make, clock):
    h = make(mobile_nodes=[MobileNodePolicy(ALICE)])
    start = clock()
    h.pbu(ALICE, MAG2, hi=1, att=4, mac="02:00:00:00:00:0A", lifetime=120)
    clock.advance(20.5)
    rows = h.lma.bindings()
    json.dumps(rows)  # JSON-ready
    (row,) = rows
    assert row["mn_id"] == ALICE
    assert row["mn_ll_id"] == "02:00:00:00:00:0a"
    assert row["hnp"] == ["2001:db8:100::/64"]
    assert row["att"] == 4
    assert row["lifetime"] == 99
    assert row["state"] == "active"
    assert row["mag"] == "2001:db8:c::3"
    assert row["mag_name"] == "mag2"
    assert row["hi"] == 1
    assert row["created"] == start
    assert row["timestamp"] == start
    assert row["sequence"] is None
    assert h.lma.binding_count() == 1


def test_bindings_without_mn_ll_id(make):
    h = make()
    h.pbu(ALICE, mac=None)
    assert h.row(ALICE)["mn_ll_id"] is None


def test_stats_counters(make, clock):
    h = make()
    prefix = _prefix(h.pbu(ALICE))
    clock.advance(1)
    h.pbu(ALICE, hi=5, hnps=(prefix,))
    h.pbu("nobody@x")
    s = h.lma.stats
    assert s["pbu_received",] == 3
    assert s["pba_sent", 0] == 2 and s["pba_sent", 153] == 1
    assert (s["bce_created",], s["refresh",]) == (1, 1)
    assert all(isinstance(k, tuple) and isinstance(k[0], str) and len(k) <= 2 for k in s)


def test_accepted_pbu_without_ack_flag_gets_no_pba(make):
    h = make()
    assert h.pbu(ALICE, flags=0x0200) is None
    assert h.lma.binding_count() == 1 and h.sent == []
    assert h.pbu(BOB, flags=0x0200, att=None).status == 162  # rejections are always sent

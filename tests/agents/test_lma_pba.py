"""PBA encoding (same bytes as the generic codec), PBA contents, and the cache's expiry wheel."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmipv6.lma import Binding, BindingCache
from pmipv6.lma.testing import MAG1, LmaHarness, build_pbu, lma_config
from pmipv6.wire import (
    AccessTechnologyType,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    Timestamp,
    decode,
    encode,
    seconds_to_timestamp,
)


def test_success_pba_contents(clock, dataplane):
    h = LmaHarness(lma_config(), clock, dataplane)
    pba = h.pbu("alice@example.org", sequence=321, hi=1, att=4, mac="02:00:00:00:00:0a", lla="fe80::7")
    assert (pba.status, pba.sequence, pba.lifetime, pba.flags) == (0, 321, 3600, 0x20)
    assert [type(o).__name__ for o in pba.options] == [
        "MobileNodeIdentifier",
        "HomeNetworkPrefix",
        "HandoffIndicatorOption",
        "AccessTechnologyType",
        "MNLinkLayerIdentifier",
        "LinkLocalAddress",
        "Timestamp",
    ]
    pbu = build_pbu(timestamp=clock())
    assert pba.find(Timestamp) == pbu.find(Timestamp)


def test_pba_for_the_raw_bytes_of_a_refresh_is_stable(clock, dataplane):
    """Hot path: decode -> handle_pbu -> encode gives the same PBA bytes for the same refresh."""
    h = LmaHarness(lma_config(), clock, dataplane)
    prefix = str(h.pbu("alice@example.org").find(HomeNetworkPrefix))
    clock.advance(1)
    raw = encode(build_pbu(hnps=(prefix,), hi=5, timestamp=clock(), sequence=2))
    h.deliver(raw, MAG1)
    first = h.sent[-1][1]
    clock.advance(1)
    raw = encode(build_pbu(hnps=(prefix,), hi=5, timestamp=clock(), sequence=3))
    h.deliver(raw, MAG1)
    assert len(h.sent[-1][1]) == len(first)


# -- expiry wheel -----------------------------------------------------------------------------
def _binding(key: bytes, now: float, life: float, mn: str = "m") -> Binding:
    return Binding(mn, None, 4, 1, key, MAG1, None, None, now, life)


def test_wheel_lazily_moves_refreshed_entries():
    cache = BindingCache()
    b = _binding(b"k" * 17, 100.0, 10)
    cache.add(b)
    assert cache.next_deadline() == 110.0
    b.t0, b.life = 105.0, 10  # refreshed: later expiry, nothing rescheduled
    assert cache.due(110.0) == []
    assert cache.next_deadline() == 115.0
    assert cache.due(115.0) == [b]


def test_wheel_shortened_entries_and_duplicates():
    cache = BindingCache()
    b = _binding(b"k" * 17, 100.0, 100)
    cache.add(b)
    for life in (50, 100, 20, 90, 10):  # alternate longer and shorter lifetimes
        old = b.t0 + b.life
        b.life = life
        if b.t0 + life < old:
            cache.schedule(b)
    assert cache.due(109.0) == []
    assert cache.due(110.0) == [b]
    cache.remove(b)
    assert cache.due(1e9) == []
    assert len(cache) == 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.floats(0, 50), st.floats(0.1, 30)), max_size=60))
def test_wheel_never_expires_early_and_never_late(events):
    """Random refreshes: due(now) returns exactly the entries whose expiry is <= now."""
    cache = BindingCache()
    entries = {}
    now = 0.0
    for idx, advance, life in events:
        now += advance
        for b in cache.due(now):
            assert b.t0 + b.life <= now
            cache.remove(b)
            del entries[b.hnps]
        assert all(b.t0 + b.life > now for b in entries.values())
        key = bytes([idx]) * 17
        b = entries.get(key)
        if b is None:
            b = entries[key] = _binding(key, now, life)
            cache.add(b)
        else:
            old = b.t0 + b.life
            b.t0, b.life = now, life
            if now + life < old:
                cache.schedule(b)


# -- the refresh fast path agrees with the full §5.3.1 path ------------------------------------
def _pad1_only(raw: bytes) -> bytes:
    """The same PBU with every PadN replaced by Pad1 octets (valid, not canonical)."""
    out, i = bytearray(raw[:12]), 12
    while i < len(raw):
        t = raw[i]
        if t == 0:
            out.append(0)
            i += 1
            continue
        n = raw[i + 1]
        out += bytes(n + 2) if t == 1 else raw[i : i + 2 + n]
        i += 2 + n
    return bytes(out)


# id, config, refresh PBU arguments, whether the fast path takes it
REFRESHES = [
    ("plain", {}, {}, True),
    ("no-MN-LL-ID-no-LLA", {}, {"mac": None, "lla": None}, True),
    ("shorter-lifetime", {}, {"lifetime": 400}, True),
    ("longer-than-cap", {}, {"lifetime": 9000}, True),
    ("new-ATT-same-MAG", {}, {"att": 8}, True),
    ("sequence-mode", {"replay": "sequence"}, {"timestamp": None}, True),
    ("other-LLA", {}, {"lla": "fe80::99"}, False),  # the BCE's LLA must be sent instead
    ("no-ack-flag", {}, {"flags": 0x0200}, False),
    ("deleting-revived", {}, {"_dereg_first": True}, False),
    ("stale-timestamp", {}, {"timestamp": 1.0}, False),
]


@pytest.mark.parametrize(
    ("cfg", "kw", "fast_taken"), [r[1:] for r in REFRESHES], ids=[r[0] for r in REFRESHES]
)
@pytest.mark.parametrize("padding", ["canonical", "pad1"])
def test_fast_path_matches_full_path(clock, dataplane, cfg, kw, fast_taken, padding):
    kw = dict(kw)
    dereg_first = kw.pop("_dereg_first", False)
    results = []
    taken = []
    for fast in (True, False):
        c = type(clock)(clock.now)
        h = LmaHarness(lma_config(**cfg), c, type(dataplane)())
        real = h.lma._fast_refresh
        if fast:
            h.lma._fast_refresh = lambda *a, real=real: taken.append(real(*a)) or taken[-1]
        else:
            h.lma._fast_refresh = lambda *a: None
        prefix = str(h.pbu("alice@example.org", sequence=1).find(HomeNetworkPrefix))
        if dereg_first:
            c.advance(1)
            h.pbu("alice@example.org", sequence=2, hi=5, hnps=(prefix,), lifetime=0)
        c.advance(2)
        kw.setdefault("timestamp", c.now)
        raw = encode(build_pbu(hnps=(prefix,), hi=5, sequence=7, **kw))
        if padding == "pad1":
            raw = _pad1_only(raw)
        del taken[:]
        pba = h.deliver(raw, MAG1)
        sent = h.sent[-1][1] if pba is not None else None
        results.append((pba, sent, h.lma.bindings(), dict(h.lma.stats)))
        if fast:
            assert (taken[-1] is not None) == fast_taken
    (fast_pba, fast_raw, fast_rows, fast_stats), (full_pba, _, full_rows, full_stats) = results
    assert fast_rows == full_rows
    assert fast_stats == full_stats
    if full_pba is None:
        assert fast_pba is None
        return
    key = lambda o: (o.TYPE, repr(o))  # noqa: E731 - option order may differ, the set may not
    assert (fast_pba.status, fast_pba.sequence, fast_pba.lifetime, fast_pba.flags) == (
        full_pba.status,
        full_pba.sequence,
        full_pba.lifetime,
        full_pba.flags,
    )
    assert sorted(fast_pba.options, key=key) == sorted(full_pba.options, key=key)
    assert decode(fast_raw) == fast_pba
    assert len(fast_raw) % 8 == 0


@pytest.mark.parametrize("lla", [None, "fe80::200:5eff:fe00:5213"], ids=["echoed-bytes", "option-by-option"])
def test_rejection_copies_every_hnp_option_of_the_request(clock, lla):
    """RFC 5213 §5.3.6: a rejected PBU's HNP options all come back in the PBA, with MN-ID, HI,
    ATT, MN-LL-ID and Timestamp; lifetime 0, sequence echoed. Both encoding paths agree."""
    h = LmaHarness(lma_config(), clock)
    hnps = ("2001:db8:100:7::/64", "2001:db8:100:8::/64")
    pba = h.pbu("mallory@example.org", sequence=77, hnps=hnps, lla=lla, hi=4)
    assert (pba.status, pba.sequence, pba.lifetime) == (153, 77, 0)
    assert [str(o) for o in pba.find_all(HomeNetworkPrefix)] == list(hnps)
    assert pba.find(MobileNodeIdentifier).identifier == "mallory@example.org"
    assert pba.find(HandoffIndicatorOption).value == 4
    assert pba.find(AccessTechnologyType).value == 4
    assert pba.find(MNLinkLayerIdentifier) is not None and pba.find(Timestamp) is not None
    assert pba.find(LinkLocalAddress) is None
    assert decode(h.sent[-1][1]) == pba


def test_rejection_of_a_pbu_without_hnp_has_no_hnp(clock):
    h = LmaHarness(lma_config(), clock)
    pba = h.pbu(hnps=())
    assert pba.status == 158
    assert pba.find(HomeNetworkPrefix) is None


def test_timestamp_mismatch_rejection_carries_the_lma_time_and_the_hnps(clock):
    h = LmaHarness(lma_config(), clock)
    pba = h.pbu(hnps=("::/0",), timestamp=clock() - 30)
    assert pba.status == 156
    assert pba.find(Timestamp).value == seconds_to_timestamp(clock())
    assert [str(o) for o in pba.find_all(HomeNetworkPrefix)] == ["::/0"]

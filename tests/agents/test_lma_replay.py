"""Replay protection (RFC 5213 §5.5): timestamp mode and sequence-number mode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmipv6.lma import seq_newer
from pmipv6.lma.testing import MAG1, MAG2, LmaHarness, lma_config
from pmipv6.wire import HomeNetworkPrefix, Timestamp, seconds_to_timestamp

ALICE = "alice@example.org"
T0 = 1_700_000_000.0


@pytest.fixture
def make(clock, dataplane):
    def factory(**cfg):
        return LmaHarness(lma_config(**cfg), clock, dataplane)

    return factory


def _prefix(pba):
    return str(pba.find(HomeNetworkPrefix))


# -- timestamp mode ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("window_ms", "offset", "status"),
    [
        (300, 0.0, 0),
        (300, -0.299, 0),
        (300, 0.299, 0),
        (300, -0.301, 156),
        (300, 0.301, 156),
        (1000, 0.9, 0),
        (1000, -1.1, 156),
        (300, -3600.0, 156),
    ],
)
def test_timestamp_window(make, window_ms, offset, status):
    h = make(window_ms=window_ms)
    assert h.pbu(ALICE, timestamp=T0 + offset).status == status


def test_timestamp_must_increase(make, clock):
    h = make()
    prefix = _prefix(h.pbu(ALICE, timestamp=T0))
    clock.now = T0 + 10
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), timestamp=T0 + 10).status == 0
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), timestamp=T0 + 10).status == 157  # replayed
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), timestamp=T0 + 9.9).status == 157
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), timestamp=T0 + 10 + 1 / 65536).status == 0
    assert h.row(ALICE)["timestamp"] == pytest.approx(T0 + 10 + 1 / 65536)


def test_timestamp_orders_pbus_across_mags(make, clock):
    """After a handoff, a late PBU from the old MAG stamped before the handoff is refused."""
    h = make()
    prefix = _prefix(h.pbu(ALICE, MAG1, timestamp=T0))
    clock.now = T0 + 1
    late_stamp = T0 + 0.9
    assert h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,), timestamp=T0 + 1).status == 0
    assert h.pbu(ALICE, MAG1, hi=5, hnps=(prefix,), timestamp=late_stamp).status == 157
    assert h.row(ALICE)["mag_name"] == "mag2"


def test_timestamp_is_echoed_on_success(make):
    h = make()
    pba = h.pbu(ALICE, timestamp=seconds_to_timestamp(T0) + 5)
    assert pba.find(Timestamp).value == seconds_to_timestamp(T0) + 5


def test_timestamp_checked_against_the_matching_binding_only(make, clock):
    """Multihoming: each interface's binding keeps its own last timestamp."""
    h = make()
    a = _prefix(h.pbu(ALICE, MAG1, hi=1, mac="02:00:00:00:00:01", timestamp=T0 + 0.2))
    assert h.pbu(ALICE, MAG2, hi=1, mac="02:00:00:00:00:02", timestamp=T0 + 0.1).status == 0
    clock.now = T0 + 0.25
    assert h.pbu(ALICE, MAG1, hi=5, hnps=(a,), mac="02:00:00:00:00:01", timestamp=T0 + 0.15).status == 157


# -- sequence mode ----------------------------------------------------------------------------
@given(st.integers(0, 0xFFFF), st.integers(1, 0x7FFF))
def test_seq_newer_window(base, step):
    assert seq_newer((base + step) & 0xFFFF, base)
    assert not seq_newer(base, (base + step) & 0xFFFF)
    assert not seq_newer(base, base)


@pytest.mark.parametrize(
    ("last", "new", "status"),
    [
        (10, 11, 0),
        (10, 10, 135),
        (10, 9, 135),
        (65535, 0, 0),  # wrap-around
        (65530, 5, 0),
        (5, 65530, 135),
        (0, 32767, 0),
        (0, 32768, 135),  # exactly half the space away is not newer
    ],
)
def test_sequence_window(make, clock, last, new, status):
    h = make(replay="sequence")
    prefix = _prefix(h.pbu(ALICE, sequence=last, timestamp=None))
    pba = h.pbu(ALICE, hi=5, hnps=(prefix,), sequence=new, timestamp=None)
    assert pba.status == status
    if status == 135:
        assert pba.sequence == last
        assert h.row(ALICE)["sequence"] == last
    else:
        assert pba.sequence == new
        assert h.row(ALICE)["sequence"] == new


def test_sequence_compared_only_with_the_same_mag(make):
    h = make(replay="sequence")
    prefix = _prefix(h.pbu(ALICE, MAG1, sequence=1000))
    # a new MAG's counter is unrelated: accepted as a handoff
    assert h.pbu(ALICE, MAG2, hi=3, hnps=(prefix,), sequence=3).status == 0
    assert h.pbu(ALICE, MAG2, hi=5, hnps=(prefix,), sequence=3).status == 135
    assert h.pbu(ALICE, MAG2, hi=5, hnps=(prefix,), sequence=4).status == 0
    # the old MAG is compared with nothing: its stale de-registration is answered, not applied
    assert h.pbu(ALICE, MAG1, hi=5, hnps=(prefix,), sequence=2, lifetime=0).status == 0
    assert h.row(ALICE)["state"] == "active"


def test_sequence_mode_ignores_timestamps(make):
    h = make(replay="sequence")
    assert h.pbu(ALICE, timestamp=None).status == 0
    assert h.pbu("bob@example.org", timestamp=1.0, mac="02:00:00:00:00:0b").status == 0


def test_switching_mode_on_reload_forgets_stamps(make, clock):
    h = make(replay="sequence")
    prefix = _prefix(h.pbu(ALICE, sequence=50_000))
    h.lma.reload(lma_config(replay="timestamp"))
    assert h.row(ALICE)["timestamp"] is None
    clock.advance(1)
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), sequence=1).status == 0
    h.lma.reload(lma_config(replay="sequence"))
    assert h.pbu(ALICE, hi=5, hnps=(prefix,), sequence=1).status == 0

"""MAG engine (pmipv6.mag.MobileAccessGateway): PBUs on the wire, retransmission, PBA handling.

No sockets and no real time: a fake clock, the engine's own timer heap driven through poll(), and a
send() that records (destination, bytes).  Every assertion on a PBU decodes the real bytes with
pmipv6.wire.decode.
"""

from __future__ import annotations

import itertools
import logging

import pytest

from pmipv6.config import parse_config
from pmipv6.dataplane import DataPlane
from pmipv6.mag import MobileAccessGateway, NotAttachedError, UnknownMobileNode
from pmipv6.wire import (
    ALL_ZERO,
    AccessTechnologyType,
    BAFlag,
    BUFlag,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    MobilityMessageAuthentication,
    ProxyBindingAck,
    ProxyBindingUpdate,
    Timestamp,
    decode,
    ipv6_bytes,
    mac_bytes,
    status_name,
)
from pmipv6.wire.auth import encode_signed, verify

LMA = ipv6_bytes("2001:db8:c::1")
MAG = ipv6_bytes("2001:db8:c::2")
LLA = ipv6_bytes("fe80::200:5eff:fe00:5213")
ALICE, ALICE_MAC = "alice@campus.example", "02:00:00:00:00:0a"
BOB, BOB_MAC = "bob@campus.example", "02:00:00:00:00:0b"
CAROL, CAROL_MAC = "carol@campus.example", "02:00:00:00:00:0c"
HNP_A = (ipv6_bytes("2001:db8:100:1::"), 64)
HNP_B = (ipv6_bytes("2001:db8:100:b::"), 64)
T0 = 1_700_000_000.0
DEFAULT_TIMEOUTS = [1.5, 3.0, 6.0, 12.0, 24.0, 32.0, 32.0, 32.0]

BASE_CONFIG = """
node: mag1
role: mag
address: 2001:db8:c::2
control_socket: /run/pmipv6/mag1.sock
state_dir: /var/lib/pmipv6/mag1
{extra}
mag:
  lma: {{name: lma1, address: "2001:db8:c::1"}}
  access_interfaces:
    - {{name: acc0, access_technology: ieee-802.11}}
    - {{name: acc1, access_technology: ieee-802.3}}
  binding_lifetime: 3600
  {mag_extra}
mobile_nodes:
  - {{id: alice@campus.example, mac: "02:00:00:00:00:0a", lma: lma1}}
  - {{id: bob@campus.example, mac: "02:00:00:00:00:0b", lma: lma1, hnp: ["2001:db8:100:b::/64"]}}
  - {{id: carol@campus.example, mac: "02:00:00:00:00:0c", lma: lma1}}
"""


def make_config(extra: str = "", mag_extra: str = ""):
    return parse_config(BASE_CONFIG.format(extra=extra, mag_extra=mag_extra))


class FakeClock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingDataPlane(DataPlane):
    def __init__(self):
        self.calls: list[tuple] = []

    def mag_bind(self, lma, prefixes, interface, mn_ll_id):
        self.calls.append(("bind", lma, list(prefixes), interface, mn_ll_id))

    def mag_unbind(self, lma, prefixes, interface, mn_ll_id):
        self.calls.append(("unbind", lma, list(prefixes), interface, mn_ll_id))


class Harness:
    def __init__(self, config=None):
        self.clock = FakeClock()
        self.sent: list[tuple[float, bytes, bytes]] = []  # (time, destination, MH bytes)
        self.dataplane = RecordingDataPlane()
        self.config = config or make_config()
        self.mag = MobileAccessGateway(self.config, self.clock, self._send, self.dataplane)

    def _send(self, dest: bytes, data: bytes) -> None:
        self.sent.append((self.clock.now, dest, data))

    def advance(self, when: float) -> None:
        self.clock.now = when
        self.mag.poll(when)

    def run_until(self, limit: float) -> None:
        """Jump from deadline to deadline, as the daemon loop would, up to ``limit``."""
        while (deadline := self.mag.next_deadline()) is not None and deadline <= limit:
            self.advance(deadline)
        self.clock.now = max(self.clock.now, limit)

    def pbus(self) -> list[ProxyBindingUpdate]:
        msgs = [decode(data) for _, _, data in self.sent]
        assert all(isinstance(m, ProxyBindingUpdate) for m in msgs)
        return msgs

    def last_pbu(self) -> ProxyBindingUpdate:
        return self.pbus()[-1]

    def pba(
        self,
        status: int = 0,
        sequence: int | None = None,
        lifetime: int = 3600,
        prefixes=(HNP_A,),
        mn_id: str | None = ALICE,
        mac: str | None = ALICE_MAC,
        timestamp: float | None = None,
        flags: int = BAFlag.P,
        src: bytes = LMA,
        link_local: str | None = None,
    ) -> None:
        """Deliver a PBA answering the last PBU (or the given sequence number)."""
        if sequence is None:
            sequence = self.last_pbu().sequence
        options: list = []
        if mn_id is not None:
            options.append(MobileNodeIdentifier(mn_id))
        options += [HomeNetworkPrefix(p, n) for p, n in prefixes]
        if mac is not None:
            options.append(MNLinkLayerIdentifier(mac_bytes(mac)))
        if timestamp is not None:
            options.append(Timestamp.from_seconds(timestamp))
        if link_local is not None:
            options.append(LinkLocalAddress(ipv6_bytes(link_local)))
        self.mag.handle_pba(ProxyBindingAck(status, sequence, lifetime, flags, options), src)

    def binding(self, mac: str = ALICE_MAC) -> dict:
        (b,) = [b for b in self.mag.bindings() if b["mn_ll_id"] == mac]
        return b

    def register(self, mn: str = ALICE, mac: str = ALICE_MAC, prefix=HNP_A, lifetime: int = 3600) -> None:
        self.mag.attach(mac)
        self.pba(prefixes=(prefix,), mn_id=mn, mac=mac, lifetime=lifetime)
        assert self.binding(mac)["state"] == "registered"


def opt(msg, cls):
    found = msg.find_all(cls)
    assert len(found) == 1, f"expected exactly one {cls.__name__}, got {found}"
    return found[0]


@pytest.fixture
def h() -> Harness:
    return Harness()


# ------------------------------------------------------------------------------------------------
# Attach: the PBU on the wire


def test_attach_sends_a_complete_pbu(h):
    result = h.mag.attach(ALICE_MAC)
    assert len(h.sent) == 1
    when, dest, raw = h.sent[0]
    assert when == T0
    assert dest == LMA
    assert raw[2] == 5  # MH type Binding Update
    assert raw[8:10] == b"\x82\x00"  # A|P, never H
    pbu = decode(raw)
    assert pbu.flags == BUFlag.A | BUFlag.P
    assert pbu.lifetime == 3600
    assert opt(pbu, MobileNodeIdentifier).identifier == ALICE
    assert opt(pbu, MobileNodeIdentifier).subtype == 1  # NAI
    hnp = opt(pbu, HomeNetworkPrefix)
    assert hnp.is_all_zero and hnp == ALL_ZERO
    assert opt(pbu, HandoffIndicatorOption).value == 4  # documented default: handoff state unknown
    assert opt(pbu, AccessTechnologyType).value == 4  # ieee-802.11 on acc0
    assert opt(pbu, MNLinkLayerIdentifier).identifier == mac_bytes(ALICE_MAC)
    assert opt(pbu, Timestamp).seconds == pytest.approx(T0, abs=1 / 65536)
    assert opt(pbu, LinkLocalAddress).address == LLA
    assert result["state"] == "registering"
    assert result["sequence"] == pbu.sequence
    assert h.mag.stats["pbu_sent",] == 1


@pytest.mark.parametrize(
    ("kwargs", "hi", "att", "interface"),
    [
        ({}, 4, 4, "acc0"),
        ({"handoff": 1}, 1, 4, "acc0"),
        ({"handoff": 3}, 3, 4, "acc0"),
        ({"interface": "acc1"}, 4, 3, "acc1"),
        ({"interface": "acc1", "handoff": 2}, 2, 3, "acc1"),
    ],
)
def test_attach_handoff_indicator_and_access_technology(h, kwargs, hi, att, interface):
    result = h.mag.attach(ALICE_MAC, **kwargs)
    pbu = h.last_pbu()
    assert opt(pbu, HandoffIndicatorOption).value == hi
    assert opt(pbu, AccessTechnologyType).value == att
    assert result["interface"] == interface
    assert result["att"] == att


def test_attach_with_static_prefix_requests_it(h):
    h.mag.attach(BOB_MAC)
    hnp = opt(h.last_pbu(), HomeNetworkPrefix)
    assert hnp.key == HNP_B


def test_attach_by_nai_uses_the_given_mac_as_mn_ll_id(h):
    other_mac = "02:00:00:00:01:0a"
    result = h.mag.attach(other_mac, mn_id=ALICE)
    pbu = h.last_pbu()
    assert opt(pbu, MobileNodeIdentifier).identifier == ALICE
    assert opt(pbu, MNLinkLayerIdentifier).identifier == mac_bytes(other_mac)
    assert result["mn_id"] == ALICE and result["mn_ll_id"] == other_mac


@pytest.mark.parametrize(
    ("mac", "mn_id"),
    [("02:00:00:00:00:99", None), (ALICE_MAC, "mallory@campus.example")],
)
def test_unknown_mobile_node_is_refused_and_counted(h, mac, mn_id):
    with pytest.raises(UnknownMobileNode) as err:
        h.mag.attach(mac, mn_id=mn_id)
    assert isinstance(err.value, ValueError)
    assert h.mag.stats["unknown_mn",] == 1
    assert h.sent == [] and h.mag.bindings() == []


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("not-a-mac",), {}),
        ((ALICE_MAC,), {"interface": "eth9"}),
        ((ALICE_MAC,), {"handoff": 5}),
        ((ALICE_MAC,), {"handoff": 0}),
    ],
)
def test_bad_attach_arguments_raise_value_error(h, args, kwargs):
    with pytest.raises(ValueError):
        h.mag.attach(*args, **kwargs)
    assert h.sent == []


def test_attach_without_access_interfaces_is_an_error():
    cfg = make_config()
    cfg.mag.access_interfaces = []
    h = Harness(cfg)
    with pytest.raises(ValueError, match="no access interface"):
        h.mag.attach(ALICE_MAC)


# ------------------------------------------------------------------------------------------------
# Re-attach idempotence


def _to_registering(h):
    """attach() alone leaves the entry registering."""


def _to_registered(h):
    h.pba()


def _to_refreshing(h):
    h.pba()
    h.run_until(T0 + 3540)


def _to_rejected(h):
    h.pba(status=153, prefixes=())


def _to_failed(h):
    h.run_until(T0 + 1000)


@pytest.mark.parametrize(
    ("reach", "state", "new_pbu"),
    [
        (_to_registering, "registering", False),
        (_to_registered, "registered", False),
        (_to_refreshing, "refreshing", False),
        (_to_rejected, "rejected", True),
        (_to_failed, "failed", True),
    ],
)
def test_reattach(h, reach, state, new_pbu):
    h.mag.attach(ALICE_MAC)
    reach(h)
    before = h.binding()
    assert before["state"] == state
    n = len(h.sent)
    result = h.mag.attach(ALICE_MAC)
    assert (len(h.sent) > n) is new_pbu
    if new_pbu:
        assert result["state"] == "registering"
        pbu = h.last_pbu()
        assert pbu.sequence == before["sequence"] + 1  # the sequence continues, it does not restart
        assert opt(pbu, HomeNetworkPrefix).is_all_zero
    else:
        assert result == before
    assert len(h.mag.bindings()) == 1


def test_reattach_under_another_nai_is_refused(h):
    h.mag.attach(ALICE_MAC)
    with pytest.raises(ValueError, match="attached as"):
        h.mag.attach(ALICE_MAC, mn_id=CAROL)


# ------------------------------------------------------------------------------------------------
# Retransmission


def test_retransmission_schedule_with_defaults_and_give_up(h, caplog):
    h.mag.attach(ALICE_MAC)
    with caplog.at_level(logging.WARNING, logger="pmipv6.mag"):
        h.run_until(T0 + 1000)
    times = [t - T0 for t, _, _ in h.sent]
    assert [b - a for a, b in itertools.pairwise(times)] == DEFAULT_TIMEOUTS[:-1]
    assert times == [0.0, 1.5, 4.5, 10.5, 22.5, 46.5, 78.5, 110.5]
    pbus = h.pbus()
    assert len(pbus) == 8  # max_attempts transmissions in all
    # every transmission: a fresh timestamp and the next sequence number, same content otherwise
    for (t, _, _), pbu in zip(h.sent, pbus, strict=True):
        assert opt(pbu, Timestamp).seconds == pytest.approx(t, abs=1 / 65536)
        assert opt(pbu, HomeNetworkPrefix).is_all_zero
        assert opt(pbu, HandoffIndicatorOption).value == 4
    assert [p.sequence for p in pbus] == list(range(pbus[0].sequence, pbus[0].sequence + 8))
    assert h.mag.stats["pbu_retransmitted",] == 7
    assert h.mag.stats["give_up",] == 1
    assert h.binding()["state"] == "failed"
    assert h.mag.next_deadline() is None
    assert any("giving up" in r.getMessage() and ALICE in r.getMessage() for r in caplog.records)
    assert h.dataplane.calls == []


def test_give_up_happens_one_timeout_after_the_last_transmission(h):
    h.mag.attach(ALICE_MAC)
    h.run_until(T0 + 142.4)
    assert h.binding()["state"] == "registering"
    h.run_until(T0 + 142.5)
    assert h.binding()["state"] == "failed"


@pytest.mark.parametrize(
    ("retransmit", "expected_times", "give_up_at"),
    [
        ("{initial_ms: 1000, max_ms: 4000, max_attempts: 4}", [0, 1, 3, 7], 11),
        ("{initial_ms: 500, max_ms: 500, max_attempts: 3}", [0, 0.5, 1.0], 1.5),
        ("{initial_ms: 1500, max_ms: 32000, max_attempts: 1}", [0], 1.5),
    ],
)
def test_retransmission_settings(retransmit, expected_times, give_up_at):
    h = Harness(make_config(mag_extra=f"retransmit: {retransmit}"))
    h.mag.attach(ALICE_MAC)
    h.run_until(T0 + give_up_at - 0.001)
    assert [t - T0 for t, _, _ in h.sent] == pytest.approx(expected_times)
    assert h.binding()["state"] == "registering"
    h.run_until(T0 + give_up_at)
    assert h.binding()["state"] == "failed"
    assert len(h.sent) == len(expected_times)


def test_pba_for_an_earlier_transmission_is_accepted(h):
    h.mag.attach(ALICE_MAC)
    first = h.last_pbu().sequence
    h.run_until(T0 + 5)  # two retransmissions
    assert len(h.sent) == 3
    h.pba(sequence=first)
    assert h.binding()["state"] == "registered"
    h.run_until(T0 + 200)
    assert len(h.sent) == 3  # retransmission stopped


def test_send_errors_are_counted_and_retried():
    h = Harness()
    failures = [OSError("Network is unreachable")]

    def flaky(dest, data):
        if failures:
            raise failures.pop()
        h.sent.append((h.clock.now, dest, data))

    h.mag._send = flaky
    h.mag.attach(ALICE_MAC)
    assert h.mag.stats["send_failed",] == 1 and h.sent == []
    h.run_until(T0 + 1.5)
    assert len(h.sent) == 1


# ------------------------------------------------------------------------------------------------
# PBA status 0: registration, lifetime and refresh


@pytest.mark.parametrize(("granted", "expected"), [(3600, 3600), (1200, 1200), (7200, 3600)])
def test_accepted_pba_registers_and_binds(h, granted, expected):
    h.mag.attach(ALICE_MAC)
    h.pba(lifetime=granted)
    b = h.binding()
    assert b["state"] == "registered"
    assert b["hnp"] == ["2001:db8:100:1::/64"]
    assert b["lifetime"] == expected
    assert b["last_status"] == 0
    assert h.dataplane.calls == [("bind", LMA, [HNP_A], "acc0", mac_bytes(ALICE_MAC))]
    assert h.mag.stats["pba_received", 0] == 1
    h.clock.now = T0 + 100
    assert h.binding()["lifetime"] == expected - 100


@pytest.mark.parametrize(
    ("returned", "stored"),
    [(None, "fe80::200:5eff:fe00:5213"), ("fe80::1234", "fe80::1234")],
    ids=["configured-fixed-address", "returned-by-the-lma"],
)
def test_link_local_address_for_the_access_link(h, returned, stored):
    """§6.9.1.2: the access link uses the link-local address the PBA carries, else the configured one."""
    h.mag.attach(ALICE_MAC)
    h.pba(link_local=returned)
    assert h.binding()["link_local"] == stored


@pytest.mark.parametrize(
    ("granted", "refresh_after"),
    [(3600, 3540), (1200, 1140), (120, 60), (100, 50), (8, 4)],
)
def test_refresh_timing_hi5_and_assigned_prefix(h, granted, refresh_after):
    h.mag.attach(ALICE_MAC)
    h.clock.now = T0 + 0.25  # the PBA arrives a little later: the refresh counts from here
    h.pba(lifetime=granted)
    assert h.mag.next_deadline() == pytest.approx(T0 + 0.25 + refresh_after)
    h.run_until(T0 + 0.25 + refresh_after - 0.001)
    assert len(h.sent) == 1
    h.run_until(T0 + 0.25 + refresh_after)
    assert len(h.sent) == 2
    refresh = h.last_pbu()
    assert opt(refresh, HandoffIndicatorOption).value == 5
    assert opt(refresh, HomeNetworkPrefix).key == HNP_A
    assert refresh.lifetime == 3600  # always asks for the configured lifetime
    assert opt(refresh, Timestamp).seconds == pytest.approx(h.clock.now, abs=1 / 65536)
    assert opt(refresh, MNLinkLayerIdentifier).identifier == mac_bytes(ALICE_MAC)
    assert h.binding()["state"] == "refreshing"
    h.pba(lifetime=granted)
    assert h.binding()["state"] == "registered"
    assert [c[0] for c in h.dataplane.calls] == ["bind"]  # a refresh does not touch the data plane
    assert h.mag.stats["refreshed",] == 1


def test_refresh_with_custom_refresh_before():
    h = Harness(make_config(mag_extra="refresh_before: 300"))
    h.mag.attach(ALICE_MAC)
    h.pba()
    assert h.mag.next_deadline() == T0 + 3300


def test_binding_expires_while_refresh_is_unanswered_then_recovers(h):
    h.mag.attach(ALICE_MAC)
    h.pba(lifetime=100)  # refresh at 50, expiry at 100
    h.run_until(T0 + 99.9)
    assert h.binding()["state"] == "refreshing"
    assert h.binding()["lifetime"] == 0
    h.run_until(T0 + 100)
    assert [c[0] for c in h.dataplane.calls] == ["bind", "unbind"]
    assert h.mag.stats["binding_expired",] == 1
    h.pba(lifetime=100)  # a retransmitted refresh finally gets through
    assert h.binding()["state"] == "registered"
    assert [c[0] for c in h.dataplane.calls] == ["bind", "unbind", "bind"]


def test_refresh_gives_up_and_stops_serving(h):
    h.mag.attach(ALICE_MAC)
    h.pba()
    h.run_until(T0 + 5000)
    assert h.binding()["state"] == "failed"
    assert h.dataplane.calls[-1][0] == "unbind"
    assert h.mag.stats["give_up",] == 1


def test_changed_prefix_in_refresh_rebinds(h):
    h.register()
    h.run_until(T0 + 3540)
    new = (ipv6_bytes("2001:db8:100:2::"), 64)
    h.pba(prefixes=(new,))
    assert h.binding()["hnp"] == ["2001:db8:100:2::/64"]
    assert [(c[0], c[2]) for c in h.dataplane.calls] == [
        ("bind", [HNP_A]),
        ("unbind", [HNP_A]),
        ("bind", [new]),
    ]


# ------------------------------------------------------------------------------------------------
# Detach and de-registration


def test_detach_sends_deregistration_and_removes_on_ack(h):
    h.register()
    h.clock.now = T0 + 10
    result = h.mag.detach(ALICE_MAC)
    assert result["state"] == "deregistering"
    assert h.dataplane.calls[-1] == ("unbind", LMA, [HNP_A], "acc0", mac_bytes(ALICE_MAC))
    dereg = h.last_pbu()
    assert dereg.lifetime == 0
    assert dereg.flags == BUFlag.A | BUFlag.P
    assert dereg.sequence == h.pbus()[0].sequence + 1
    assert opt(dereg, MobileNodeIdentifier).identifier == ALICE
    assert opt(dereg, HomeNetworkPrefix).key == HNP_A
    assert opt(dereg, HandoffIndicatorOption).value == 4
    assert opt(dereg, AccessTechnologyType).value == 4
    assert opt(dereg, MNLinkLayerIdentifier).identifier == mac_bytes(ALICE_MAC)
    assert opt(dereg, Timestamp).seconds == pytest.approx(T0 + 10, abs=1 / 65536)
    assert dereg.find(LinkLocalAddress) is None
    assert h.mag.detach(ALICE_MAC)["state"] == "deregistering"  # idempotent, no second PBU
    assert len(h.sent) == 2
    h.pba(lifetime=0)
    assert h.mag.bindings() == []
    assert h.mag.next_deadline() is None
    assert h.mag.stats["deregistered",] == 1


def test_detach_unknown_mac(h):
    with pytest.raises(NotAttachedError) as err:
        h.mag.detach(BOB_MAC)
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)
    assert str(err.value) == f"{BOB_MAC} is not attached"


def test_detach_while_registering_deregisters_what_was_requested(h):
    h.mag.attach(ALICE_MAC)
    h.mag.detach(ALICE_MAC)
    dereg = h.last_pbu()
    assert dereg.lifetime == 0 and opt(dereg, HomeNetworkPrefix).is_all_zero
    h.pba(lifetime=0, sequence=h.pbus()[0].sequence)  # the late registration ack matches nothing now
    assert h.mag.stats["pba_unmatched",] == 1
    h.pba(lifetime=0)
    assert h.mag.bindings() == []


@pytest.mark.parametrize("reach", [_to_rejected, _to_failed])
def test_detach_of_an_entry_without_binding_sends_nothing(h, reach):
    h.mag.attach(ALICE_MAC)
    reach(h)
    n = len(h.sent)
    h.mag.detach(ALICE_MAC)
    assert len(h.sent) == n and h.mag.bindings() == []


def test_deregistration_gives_up_and_removes(h):
    h.register()
    h.mag.detach(ALICE_MAC)
    h.run_until(T0 + 1000)
    assert h.mag.bindings() == []
    assert len(h.sent) == 1 + 8
    assert all(p.lifetime == 0 for p in h.pbus()[1:])


@pytest.mark.parametrize("status", [128, 153, 154])
def test_rejected_deregistration_still_removes(h, status):
    h.register()
    h.mag.detach(ALICE_MAC)
    h.pba(status=status, lifetime=0, prefixes=())
    assert h.mag.bindings() == []


def test_reattach_while_deregistering_starts_over(h):
    h.register()
    h.mag.detach(ALICE_MAC)
    result = h.mag.attach(ALICE_MAC)
    assert result["state"] == "registering"
    assert h.last_pbu().lifetime == 3600 and opt(h.last_pbu(), HomeNetworkPrefix).is_all_zero
    assert h.last_pbu().sequence == h.pbus()[1].sequence + 1


# ------------------------------------------------------------------------------------------------
# Every PBA status class


def test_status_156_resynchronises_the_clock_and_retries_at_once(h):
    h.mag.attach(ALICE_MAC)
    first = h.last_pbu()
    lma_time = T0 + 100.0  # the LMA's clock runs 100 s ahead
    h.pba(status=156, lifetime=0, prefixes=(), timestamp=lma_time)
    assert len(h.sent) == 2 and h.sent[1][0] == T0  # retried at once
    retry = h.last_pbu()
    assert retry.sequence == first.sequence + 1
    assert opt(retry, Timestamp).seconds == pytest.approx(lma_time, abs=1 / 65536)
    assert h.mag.clock_offset == pytest.approx(100.0)
    assert h.mag.stats["clock_resync",] == 1 and h.mag.stats["pba_received", 156] == 1
    h.pba()
    assert h.binding()["state"] == "registered"
    # the learned offset applies to every later PBU too
    h.clock.now = T0 + 7
    h.mag.attach(CAROL_MAC)
    assert opt(h.last_pbu(), Timestamp).seconds == pytest.approx(T0 + 107, abs=1 / 65536)


def test_status_156_uses_the_midpoint_of_the_round_trip(h):
    h.mag.attach(ALICE_MAC)
    h.clock.now = T0 + 1.0  # one-second round trip
    h.pba(status=156, lifetime=0, prefixes=(), timestamp=T0 - 30.0)
    assert h.mag.clock_offset == pytest.approx(-30.5)
    assert opt(h.last_pbu(), Timestamp).seconds == pytest.approx(T0 + 1.0 - 30.5, abs=1 / 65536)


def test_status_156_without_timestamp_is_a_reject(h, caplog):
    h.mag.attach(ALICE_MAC)
    with caplog.at_level(logging.WARNING, logger="pmipv6.mag"):
        h.pba(status=156, lifetime=0, prefixes=())
    assert h.binding()["state"] == "rejected"
    assert len(h.sent) == 1


def test_repeated_156_is_bounded_by_max_attempts(h):
    h.mag.attach(ALICE_MAC)
    for _ in range(20):
        if h.binding()["state"] != "registering":
            break
        h.pba(status=156, lifetime=0, prefixes=(), timestamp=h.clock.now + 5)
    assert h.binding()["state"] == "failed"
    assert len(h.sent) == 8


def test_status_135_retries_above_the_returned_sequence(h):
    h.mag.attach(ALICE_MAC)
    h.pba(status=135, sequence=500, lifetime=0, prefixes=())  # the LMA's last accepted number
    assert len(h.sent) == 2
    assert h.last_pbu().sequence == 501
    assert h.mag.stats["sequence_resync",] == 1
    h.pba()
    b = h.binding()
    assert b["state"] == "registered" and b["sequence"] == 501


def test_status_135_wraps_the_sequence(h):
    h.mag.attach(ALICE_MAC)
    h.pba(status=135, sequence=0xFFFF, lifetime=0, prefixes=())
    assert h.last_pbu().sequence == 0
    h.pba(status=135, sequence=0xFFFE, lifetime=0, prefixes=())
    assert h.last_pbu().sequence == 0xFFFF


def test_status_135_without_mn_id_cannot_be_matched(h):
    h.mag.attach(ALICE_MAC)
    h.pba(status=135, sequence=500, lifetime=0, prefixes=(), mn_id=None)
    assert h.mag.stats["pba_unmatched",] == 1
    assert len(h.sent) == 1 and h.binding()["state"] == "registering"


HARD_REJECTS = [s for s in range(152, 163) if s not in (156, 157)] + [128, 129, 130, 146, 163, 172, 200]


@pytest.mark.parametrize("status", HARD_REJECTS)
def test_hard_reject_stops_and_logs_the_status(h, caplog, status):
    h.mag.attach(ALICE_MAC)
    with caplog.at_level(logging.WARNING, logger="pmipv6.mag"):
        h.pba(status=status, lifetime=0, prefixes=())
    b = h.binding()
    assert b["state"] == "rejected"
    assert b["last_status"] == status and b["last_status_name"] == status_name(status)
    assert h.mag.stats["pba_received", status] == 1
    lines = [
        r.getMessage() for r in caplog.records if r.name == "pmipv6.mag" and r.levelno >= logging.WARNING
    ]
    assert len(lines) == 1
    assert str(status) in lines[0] and status_name(status) in lines[0] and ALICE in lines[0]
    h.run_until(T0 + 10_000)
    assert len(h.sent) == 1  # no retransmission, ever
    assert h.dataplane.calls == []  # never served


def test_status_157_retries_once_with_a_fresh_timestamp_then_stops(h):
    """A handover race: the old MAG's later-stamped de-registration reached the LMA first."""
    h.mag.attach(ALICE_MAC, handoff=3)
    first = h.last_pbu()
    h.clock.now += 0.01
    h.pba(status=157, lifetime=0, prefixes=())
    retry = h.last_pbu()
    assert len(h.sent) == 2 and retry.sequence == first.sequence + 1
    assert opt(retry, Timestamp).seconds > opt(first, Timestamp).seconds
    assert opt(retry, HandoffIndicatorOption).value == 3
    h.pba(status=157, lifetime=0, prefixes=())  # refused again: a real replay or a clock step back
    assert h.binding()["state"] == "rejected" and len(h.sent) == 2


@pytest.mark.parametrize("status", [153, 155])
def test_rejected_refresh_stops_serving(h, status):
    h.register()
    h.run_until(T0 + 3540)
    h.pba(status=status, lifetime=0, prefixes=())
    assert h.binding()["state"] == "rejected"
    assert [c[0] for c in h.dataplane.calls] == ["bind", "unbind"]
    assert h.mag.next_deadline() is None


@pytest.mark.parametrize("status", [2, 3, 6])
def test_accepted_with_remark_statuses_register(h, status):
    h.mag.attach(ALICE_MAC)
    h.pba(status=status)
    assert h.binding()["state"] == "registered"


def test_accepted_pba_without_prefix_or_lifetime_does_not_serve(h):
    h.mag.attach(ALICE_MAC)
    h.pba(prefixes=())
    assert h.binding()["state"] == "failed"
    assert h.mag.stats["pba_invalid",] == 1 and h.dataplane.calls == []


# ------------------------------------------------------------------------------------------------
# PBAs to ignore


@pytest.mark.parametrize(
    ("kwargs", "counter"),
    [
        ({"sequence": 4242}, ("pba_unmatched",)),
        ({"mn_id": BOB}, ("pba_unmatched",)),
        ({"mac": BOB_MAC}, ("pba_unmatched",)),
        ({"src": ipv6_bytes("2001:db8:c::99")}, ("pba_wrong_source",)),
        ({"flags": 0}, ("pba_not_proxy",)),
    ],
)
def test_pbas_that_are_ignored(h, kwargs, counter):
    h.mag.attach(ALICE_MAC)
    h.pba(**kwargs)
    assert h.mag.stats[counter] == 1
    assert h.binding()["state"] == "registering"


def test_pba_without_mn_id_matches_by_sequence(h):
    h.mag.attach(ALICE_MAC)
    h.pba(mn_id=None, mac=None)
    assert h.binding()["state"] == "registered"


def test_duplicate_pba_is_unmatched(h):
    h.mag.attach(ALICE_MAC)
    h.pba()
    h.pba(sequence=h.pbus()[0].sequence)
    assert h.mag.stats["pba_unmatched",] == 1
    assert len(h.dataplane.calls) == 1


# ------------------------------------------------------------------------------------------------
# Authentication (RFC 4285 option)

AUTH = 'auth: {spi: 300, key: "s3cret"}'


def signed_pba(h, *, key=b"s3cret", spi=300, **kwargs) -> tuple[ProxyBindingAck, bytes]:
    pbu = h.last_pbu()
    options = [
        MobileNodeIdentifier(ALICE),
        HomeNetworkPrefix(*HNP_A),
        MNLinkLayerIdentifier(mac_bytes(ALICE_MAC)),
    ]
    pba = ProxyBindingAck(kwargs.get("status", 0), pbu.sequence, 3600, BAFlag.P, options)
    raw = encode_signed(pba, spi, key, MAG, LMA)
    return decode(raw), raw


def test_auth_pbu_is_signed():
    h = Harness(make_config(extra=AUTH))
    h.mag.attach(ALICE_MAC)
    raw = h.sent[0][2]
    assert verify(raw, 300, b"s3cret", MAG, LMA) is None
    assert opt(decode(raw), MobilityMessageAuthentication).spi == 300


@pytest.mark.parametrize(
    ("sign", "accepted"),
    [
        ({}, True),
        ({"key": b"wrong"}, False),
        ({"spi": 301}, False),
        (None, False),  # no raw bytes handed in
    ],
)
def test_auth_pba_verification(sign, accepted):
    h = Harness(make_config(extra=AUTH))
    h.mag.attach(ALICE_MAC)
    if sign is None:
        pba, _ = signed_pba(h)
        h.mag.handle_pba(pba, LMA)
    else:
        pba, raw = signed_pba(h, **sign)
        h.mag.handle_pba(pba, LMA, raw)
    assert (h.binding()["state"] == "registered") is accepted
    assert h.mag.stats["auth_failed",] == (0 if accepted else 1)


# ------------------------------------------------------------------------------------------------
# Replay protection mode, LMA restart, reload, views


def test_sequence_mode_sends_no_timestamp():
    h = Harness(make_config(extra="replay_protection: {mode: sequence}"))
    h.mag.attach(ALICE_MAC)
    assert h.last_pbu().find(Timestamp) is None


def test_reregister_all_sends_one_pbu_per_mn_at_once(h):
    h.register(ALICE, ALICE_MAC, HNP_A)
    h.register(BOB, BOB_MAC, HNP_B)
    h.mag.attach(CAROL_MAC)  # still registering
    h.clock.now = T0 + 500
    n = len(h.sent)
    assert h.mag.reregister_all() == 3
    new = h.sent[n:]
    assert len(new) == 3 and all(t == T0 + 500 for t, _, _ in new)
    by_mn = {opt(decode(raw), MobileNodeIdentifier).identifier: decode(raw) for _, _, raw in new}
    assert opt(by_mn[ALICE], HandoffIndicatorOption).value == 5
    assert opt(by_mn[ALICE], HomeNetworkPrefix).key == HNP_A
    assert opt(by_mn[BOB], HandoffIndicatorOption).value == 5
    assert opt(by_mn[BOB], HomeNetworkPrefix).key == HNP_B
    assert opt(by_mn[CAROL], HandoffIndicatorOption).value == 4  # never registered: repeats its attach
    assert opt(by_mn[CAROL], HomeNetworkPrefix).is_all_zero
    assert h.binding(ALICE_MAC)["state"] == "refreshing"
    h.pba(mn_id=ALICE, mac=ALICE_MAC, sequence=by_mn[ALICE].sequence)
    assert h.binding(ALICE_MAC)["state"] == "registered"
    assert [c[0] for c in h.dataplane.calls] == ["bind", "bind"]  # kept serving throughout


def test_reregister_all_skips_deregistrations(h):
    h.register()
    h.mag.detach(ALICE_MAC)
    assert h.mag.reregister_all() == 0


def test_reload_keeps_entries(h):
    h.register()
    cfg = make_config(mag_extra="binding_lifetime: 1800")
    h.mag.reload(cfg)
    assert h.binding()["state"] == "registered"
    h.run_until(T0 + 3540)
    assert h.last_pbu().lifetime == 1800  # new settings apply from the next PBU


def test_bindings_view_has_the_fixed_keys(h):
    h.register()
    (b,) = h.mag.bindings()
    for key in (
        "mn_id",
        "mn_ll_id",
        "hnp",
        "att",
        "lifetime",
        "state",
        "lma",
        "interface",
        "last_status",
        "sequence",
    ):
        assert key in b
    assert b["lma"] == "2001:db8:c::1" and b["mn_ll_id"] == ALICE_MAC and b["mn_id"] == ALICE


def test_many_mobile_nodes_have_independent_sequences(h):
    h.mag.attach(ALICE_MAC)
    h.mag.attach(BOB_MAC)
    a, b = h.pbus()
    assert a.sequence == b.sequence == 1
    h.pba(mn_id=BOB, mac=BOB_MAC, prefixes=(HNP_B,))
    assert h.binding(BOB_MAC)["state"] == "registered"
    assert h.binding(ALICE_MAC)["state"] == "registering"

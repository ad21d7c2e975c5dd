"""RFC 5847 heartbeat monitor (pmipv6.heartbeat): requests, responses, peer down/up, restarts.

Fake clock, a real Timers heap, and a send() that records bytes which the tests decode."""

from __future__ import annotations

import pytest

from pmipv6.config import HeartbeatSettings
from pmipv6.heartbeat import HeartbeatMonitor
from pmipv6.timers import Timers
from pmipv6.wire import Heartbeat, HeartbeatFlag, RestartCounter, decode, encode, ipv6_bytes, ipv6_text

PEER = ipv6_bytes("2001:db8:c::1")
OTHER = ipv6_bytes("2001:db8:c::3")
STRANGER = ipv6_bytes("2001:db8:c::99")
T0 = 1_700_000_000.0

# Protocol reference section 14: Heartbeat request seq 1, Restart Counter 1 (checksum octets zeroed).
GOLDEN_REQUEST = bytes.fromhex("3b020d0000000000000000011c0400000001010400000000")


class Harness:
    def __init__(self, interval: float = 30.0, missed: int = 3, restart_counter: int = 1):
        self.now = T0
        self.timers = Timers()
        self.sent: list[tuple[float, bytes, bytes]] = []
        self.events: list[tuple[str, bytes, float]] = []
        self.mon = HeartbeatMonitor(
            HeartbeatSettings(interval, missed),
            lambda: self.now,
            self.timers,
            lambda dest, data: self.sent.append((self.now, dest, data)),
            restart_counter,
            on_down=lambda a: self.events.append(("down", a, self.now)),
            on_up=lambda a: self.events.append(("up", a, self.now)),
            on_restart=lambda a: self.events.append(("restart", a, self.now)),
        )

    def advance(self, when: float) -> None:
        self.now = when
        self.timers.run_due(when)

    def run_until(self, limit: float) -> None:
        while (d := self.timers.next_deadline()) is not None and d <= limit:
            self.advance(d)
        self.now = max(self.now, limit)

    def messages(self, dest: bytes | None = None) -> list[Heartbeat]:
        return [decode(raw) for _, d, raw in self.sent if dest is None or d == dest]

    def requests(self, dest: bytes = PEER) -> list[Heartbeat]:
        return [m for m in self.messages(dest) if not m.is_response]

    def respond(
        self, seq: int | None = None, counter: int | None = 7, src: bytes = PEER, flags=HeartbeatFlag.R
    ):
        if seq is None:
            seq = self.requests(src)[-1].sequence
        options = [] if counter is None else [RestartCounter(counter)]
        self.mon.receive(decode(encode(Heartbeat(seq, flags, options))), src)

    def peer(self, address: bytes = PEER) -> dict:
        (p,) = [p for p in self.mon.peers() if p["address"] == ipv6_text(address)]
        return p


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_first_request_matches_the_reference_vector(h):
    h.mon.add_peer(PEER, "lma1")
    assert h.sent == []  # nothing before the timers run
    h.advance(T0)
    ((when, dest, raw),) = h.sent
    assert (when, dest) == (T0, PEER)
    assert raw == GOLDEN_REQUEST
    assert h.mon.stats["heartbeat_sent",] == 1
    assert h.peer()["name"] == "lma1" and h.peer()["state"] == "unknown"


@pytest.mark.parametrize("interval", [30.0, 1.0, 0.25])
def test_requests_every_interval_with_increasing_sequence(interval):
    h = Harness(interval=interval, missed=100)
    h.mon.add_peer(PEER)
    h.run_until(T0 + 4 * interval)
    assert [t - T0 for t, _, _ in h.sent] == pytest.approx(
        [0, interval, 2 * interval, 3 * interval, 4 * interval]
    )
    assert [m.sequence for m in h.requests()] == [1, 2, 3, 4, 5]
    assert all(m.flags == 0 and m.find(RestartCounter).value == 1 for m in h.requests())
    assert h.peer()["sent"] == 5


@pytest.mark.parametrize("seq", [0, 1, 0x12345678, 0xFFFFFFFF])
def test_request_is_answered_with_the_same_sequence_and_our_counter(seq):
    h = Harness(restart_counter=42)
    h.mon.add_peer(PEER)
    h.respond(seq=seq, counter=9, flags=0)  # a request from the peer
    ((_, dest, raw),) = h.sent
    reply = decode(raw)
    assert dest == PEER
    assert reply.flags == HeartbeatFlag.R and reply.is_response
    assert reply.sequence == seq
    assert reply.find(RestartCounter).value == 42
    assert h.peer()["restart_counter"] == 9 and h.peer()["state"] == "up"


def test_request_from_unknown_peer_is_not_answered(h):
    h.mon.add_peer(PEER)
    h.mon.receive(Heartbeat(5, 0, [RestartCounter(1)]), STRANGER)
    h.mon.receive(Heartbeat(5, HeartbeatFlag.R, [RestartCounter(1)]), STRANGER)
    assert h.sent == []
    assert h.mon.stats["heartbeat_unknown_peer",] == 2
    assert h.mon.stats["heartbeat_received",] == 0


def test_matching_response_marks_the_peer_up(h):
    h.mon.add_peer(PEER)
    h.advance(T0)
    h.now = T0 + 0.01
    h.respond()
    p = h.peer()
    assert p["state"] == "up" and p["missed"] == 0 and p["received"] == 1
    assert p["last_seen"] == T0 + 0.01 and p["restart_counter"] == 7
    assert h.events == []  # first contact is not an "up again"
    assert h.mon.stats["heartbeat_received",] == 1


def test_response_with_unknown_sequence_is_ignored(h):
    h.mon.add_peer(PEER)
    h.advance(T0)
    h.respond(seq=999)
    assert h.peer()["state"] == "unknown" and h.peer()["received"] == 0
    assert h.mon.stats["heartbeat_unmatched",] == 1


@pytest.mark.parametrize("missed", [1, 2, 3, 5])
def test_peer_down_after_missed_requests(missed):
    interval = 10.0
    h = Harness(interval=interval, missed=missed)
    h.mon.add_peer(PEER)
    down_at = T0 + missed * interval
    h.run_until(down_at - 0.001)
    assert h.events == [] and h.peer()["missed"] == missed - 1
    h.run_until(down_at)
    assert h.events == [("down", PEER, down_at)]
    assert h.peer()["state"] == "down"
    h.run_until(down_at + 10 * interval)  # stays down, on_down only once, requests keep going
    assert h.events == [("down", PEER, down_at)]
    assert h.mon.stats["peer_down",] == 1
    assert h.peer()["sent"] == missed + 11


def test_a_response_in_time_resets_the_miss_count(h):
    h.mon.add_peer(PEER)
    for k in range(10):
        h.run_until(T0 + 30 * k + 29)
        h.respond()
    assert h.events == [] and h.peer()["missed"] == 0 and h.peer()["state"] == "up"


def test_up_again_on_the_next_response(h):
    h.mon.add_peer(PEER)
    h.run_until(T0 + 90)
    assert h.peer()["state"] == "down"
    h.now = T0 + 95
    h.respond()
    assert h.events == [("down", PEER, T0 + 90), ("up", PEER, T0 + 95)]
    assert h.peer()["state"] == "up" and h.peer()["missed"] == 0
    assert h.mon.stats["peer_up",] == 1


def test_late_response_to_an_earlier_request_counts(h):
    h.mon.add_peer(PEER)
    h.run_until(T0 + 90)
    first = h.requests()[0].sequence
    h.respond(seq=first)
    assert h.peer()["state"] == "up"


@pytest.mark.parametrize(
    "flags",
    [0, HeartbeatFlag.R | HeartbeatFlag.U],  # a request, or an unsolicited response
)
def test_other_liveness_evidence_brings_the_peer_up(h, flags):
    h.mon.add_peer(PEER)
    h.run_until(T0 + 90)
    h.respond(seq=123456, flags=flags)
    assert h.peer()["state"] == "up"
    assert [e[0] for e in h.events] == ["down", "up"]


def test_request_from_peer_prevents_a_miss(h):
    h.mon.add_peer(PEER)
    for k in range(6):
        h.run_until(T0 + 30 * k + 1)
        h.respond(seq=1000 + k, flags=0)
    assert h.events == [] and h.peer()["missed"] == 0


@pytest.mark.parametrize(
    ("counters", "restarts"),
    [
        ([7], 0),  # the first value is only recorded
        ([7, 7, 7], 0),
        ([7, 8], 1),
        ([7, 8, 8, 9], 2),
        ([7, None, 7], 0),  # a heartbeat without the option changes nothing
        ([0xFFFFFFFF, 0], 1),
    ],
)
def test_restart_counter_change_calls_on_restart(h, counters, restarts):
    h.mon.add_peer(PEER)
    for i, counter in enumerate(counters):
        h.run_until(T0 + 30 * i)
        h.respond(counter=counter)
    assert [e[:2] for e in h.events] == [("restart", PEER)] * restarts
    assert h.mon.stats["peer_restart",] == restarts
    assert h.peer()["restart_counter"] == [c for c in counters if c is not None][-1]


def test_restart_counter_in_a_request_is_checked_too(h):
    h.mon.add_peer(PEER)
    h.respond(seq=1, counter=1, flags=0)
    h.respond(seq=2, counter=2, flags=0)
    assert [e[0] for e in h.events] == ["restart"]


def test_peers_are_independent(h):
    h.mon.add_peer(PEER, "lma1")
    h.mon.add_peer(OTHER, "lma2")
    for k in range(4):
        h.run_until(T0 + 30 * k + 1)
        h.respond(src=OTHER)
    assert h.events == [("down", PEER, T0 + 90)]
    assert h.peer(OTHER)["state"] == "up" and h.peer(PEER)["state"] == "down"
    assert {p["name"] for p in h.mon.peers()} == {"lma1", "lma2"}


def test_remove_peer_stops_requests(h):
    h.mon.add_peer(PEER)
    h.advance(T0)
    h.mon.remove_peer(PEER)
    h.run_until(T0 + 1000)
    assert len(h.sent) == 1 and h.mon.peers() == [] and h.events == []
    h.mon.remove_peer(PEER)  # removing twice is harmless


def test_add_peer_twice_keeps_one_schedule(h):
    h.mon.add_peer(PEER)
    h.mon.add_peer(PEER, "renamed")
    h.run_until(T0 + 30)
    assert len(h.sent) == 2 and h.peer()["name"] == "renamed"


def test_peers_view_keys(h):
    h.mon.add_peer(PEER, "lma1")
    (p,) = h.mon.peers()
    assert set(p) >= {
        "name",
        "address",
        "state",
        "restart_counter",
        "missed",
        "sent",
        "received",
        "last_seen",
    }
    assert p["address"] == "2001:db8:c::1"


def test_send_errors_do_not_stop_the_schedule():
    h = Harness()

    def failing(dest, data):
        raise OSError("Network is unreachable")

    h.mon._send = failing
    h.mon.add_peer(PEER)
    h.run_until(T0 + 90)
    assert h.mon.stats["send_failed",] == 4
    assert h.peer()["state"] == "down"  # unanswered all the same


def test_schedule_does_not_drift_when_the_loop_runs_late(h):
    h.mon.add_peer(PEER)
    for k in range(5):
        h.advance(T0 + 30 * k + 0.4)  # the daemon wakes 0.4 s late every time
    assert [t - T0 for t, _, _ in h.sent] == pytest.approx([0.4, 30.4, 60.4, 90.4, 120.4])
    assert h.timers.next_deadline() == T0 + 150

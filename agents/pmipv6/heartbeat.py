"""RFC 5847 heartbeat between MAG and LMA: peer failure and peer restart detection.

A pure state machine shared by both agents: the clock, the timer heap and the send function are
injected, so it never sleeps and never touches a socket.

Behaviour (the choices RFC 5847 leaves open are marked *):

* Every ``settings.interval`` seconds a Heartbeat Request (R=0) with a fresh 32-bit sequence
  number and our Restart Counter option goes to each peer, on a fixed grid (a late wake-up does
  not shift later requests).  The first request goes out as soon as the timers run after
  ``add_peer`` (*).  Sequence numbers count per peer from 1 and wrap at 2^32 (*).
* When the next request falls due and the previous one got no liveness evidence, that request
  counts as missed.  After ``settings.missed`` consecutive misses the peer is declared down
  (``on_down`` once); the next evidence brings it up again (``on_up``).  ``on_up`` fires only on
  a down -> up transition, not on first contact ("unknown" -> "up") (*).
* Liveness evidence is a response whose sequence number matches one of the recent requests to
  that peer (late answers to earlier requests count (*)), an unsolicited response (U=1, R=1), or a
  request from the peer (*).
* Requests are answered (R=1, same sequence number, our Restart Counter) only for known peers;
  anything from an unknown address is counted and dropped.
* The Restart Counter carried in any heartbeat from a peer is compared with the recorded one: the
  first value is just recorded, a different later value fires ``on_restart`` (the peer lost its
  state).
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import HeartbeatSettings
from .timers import Timer, Timers
from .wire import Heartbeat, HeartbeatFlag, RestartCounter, encode, ipv6_text

log = logging.getLogger("pmipv6.heartbeat")

SEQ_MOD = 1 << 32
# How many recent request sequence numbers a response may match, beyond ``missed``.
_RECENT_EXTRA = 2


@dataclass
class _Peer:
    address: bytes
    name: str
    recent: deque  # sequence numbers of recent requests, newest last
    state: str = "unknown"  # unknown | up | down
    restart_counter: int | None = None
    missed: int = 0
    awaiting: bool = False  # the last request has seen no liveness evidence yet
    next_seq: int = 1
    sent: int = 0  # requests sent to this peer
    received: int = 0  # heartbeat messages (requests and responses) accepted from this peer
    last_seen: float | None = None
    timer: Timer | None = field(default=None, repr=False)


class HeartbeatMonitor:
    """Heartbeat requests, responses and peer state for any number of peers."""

    def __init__(
        self,
        settings: HeartbeatSettings,
        clock: Callable[[], float],
        timers: Timers,
        send: Callable[[bytes, bytes], None],
        restart_counter: int,
        on_down: Callable[[bytes], None] | None = None,
        on_up: Callable[[bytes], None] | None = None,
        on_restart: Callable[[bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.timers = timers
        self._send = send
        self.restart_counter = restart_counter & 0xFFFFFFFF
        self.on_down = on_down
        self.on_up = on_up
        self.on_restart = on_restart
        self.stats: Counter = Counter()
        self._peers: dict[bytes, _Peer] = {}

    # -- peers ---------------------------------------------------------------------------------

    def add_peer(self, address: bytes, name: str = "") -> None:
        """Start monitoring ``address`` (16 raw octets). Adding a known peer only renames it."""
        peer = self._peers.get(address)
        if peer is not None:
            if name:
                peer.name = name
            return
        recent: deque = deque(maxlen=self.settings.missed + _RECENT_EXTRA)
        peer = _Peer(address, name or ipv6_text(address), recent)
        self._peers[address] = peer
        now = self.clock()
        peer.timer = self.timers.call_at(now, self._tick, peer, now)

    def remove_peer(self, address: bytes) -> None:
        peer = self._peers.pop(address, None)
        if peer is not None and peer.timer is not None:
            peer.timer.cancel()

    def peers(self) -> list[dict]:
        return [
            {
                "name": p.name,
                "address": ipv6_text(p.address),
                "state": p.state,
                "restart_counter": p.restart_counter,
                "missed": p.missed,
                "sent": p.sent,
                "received": p.received,
                "last_seen": p.last_seen,
            }
            for p in self._peers.values()
        ]

    def state(self, address: bytes) -> str | None:
        peer = self._peers.get(address)
        return peer.state if peer is not None else None

    def update_settings(self, settings: HeartbeatSettings) -> None:
        """New interval / miss threshold; they apply from each peer's next request."""
        self.settings = settings
        for peer in self._peers.values():
            peer.recent = deque(peer.recent, maxlen=settings.missed + _RECENT_EXTRA)

    # -- timer ---------------------------------------------------------------------------------

    def _tick(self, peer: _Peer, due: float) -> None:
        if self._peers.get(peer.address) is not peer:
            return  # removed meanwhile
        now = self.clock()
        if peer.awaiting:
            peer.missed += 1
            self.stats[("heartbeat_missed",)] += 1
            if peer.missed >= self.settings.missed and peer.state != "down":
                peer.state = "down"
                self.stats[("peer_down",)] += 1
                log.warning(
                    "heartbeat: peer %s (%s) down after %d missed heartbeats",
                    peer.name,
                    ipv6_text(peer.address),
                    peer.missed,
                )
                if self.on_down is not None:
                    self.on_down(peer.address)
        seq = peer.next_seq
        peer.next_seq = (seq + 1) % SEQ_MOD
        peer.recent.append(seq)
        peer.awaiting = True
        peer.sent += 1
        self._transmit(peer.address, Heartbeat(seq, 0, [RestartCounter(self.restart_counter)]))
        # keep to the grid (no drift when the loop runs late), but never schedule in the past
        nxt = max(due + self.settings.interval, now)
        peer.timer = self.timers.call_at(nxt, self._tick, peer, nxt)

    def _transmit(self, address: bytes, msg: Heartbeat) -> None:
        try:
            self._send(address, encode(msg))
        except OSError as exc:
            self.stats[("send_failed",)] += 1
            log.debug("heartbeat: send to %s failed: %s", ipv6_text(address), exc)
            return
        self.stats[("heartbeat_sent",)] += 1

    # -- input ---------------------------------------------------------------------------------

    def receive(self, msg: Heartbeat, src: bytes) -> None:
        """Process a decoded Heartbeat from ``src`` (16 raw octets)."""
        peer = self._peers.get(src)
        if peer is None:
            self.stats[("heartbeat_unknown_peer",)] += 1
            log.debug("heartbeat from unknown peer %s dropped", ipv6_text(src))
            return
        self.stats[("heartbeat_received",)] += 1
        if msg.flags & HeartbeatFlag.R:
            if msg.flags & HeartbeatFlag.U:
                self.stats[("heartbeat_unsolicited",)] += 1
            elif msg.sequence in peer.recent:
                peer.recent.remove(msg.sequence)
            else:
                self.stats[("heartbeat_unmatched",)] += 1
                return
        else:
            self._transmit(
                src, Heartbeat(msg.sequence, HeartbeatFlag.R, [RestartCounter(self.restart_counter)])
            )
        peer.received += 1
        self._alive(peer)
        counter = msg.find(RestartCounter)
        if counter is not None:
            self._check_restart(peer, counter.value)

    def _alive(self, peer: _Peer) -> None:
        peer.last_seen = self.clock()
        peer.missed = 0
        peer.awaiting = False
        previous, peer.state = peer.state, "up"
        if previous == "down":
            self.stats[("peer_up",)] += 1
            log.warning("heartbeat: peer %s (%s) up again", peer.name, ipv6_text(peer.address))
            if self.on_up is not None:
                self.on_up(peer.address)

    def _check_restart(self, peer: _Peer, value: int) -> None:
        previous, peer.restart_counter = peer.restart_counter, value
        if previous is None or previous == value:
            return
        self.stats[("peer_restart",)] += 1
        log.warning(
            "heartbeat: peer %s (%s) restarted (restart counter %d -> %d)",
            peer.name,
            ipv6_text(peer.address),
            previous,
            value,
        )
        if self.on_restart is not None:
            self.on_restart(peer.address)

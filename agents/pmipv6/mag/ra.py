"""Per-mobile-node unicast Router Advertisements (RFC 5213 §6.7, RFC 4861 §6.2).

The MAG emulates each MN's home link: every RA goes to ONE mobile node (IPv6 destination = the
MN's link-local address, scope = the access interface), carries only that MN's home network
prefixes, and leaves from the domain-wide fixed link-local address with the fixed MAC in the
Source Link-Layer Address option (RFC 6543), so every MAG looks like the same router.

``RaSender`` is pure: time comes from ``clock``, timers from a ``pmipv6.timers.Timers`` heap the
caller drives, packets leave through ``send(interface, destination, icmpv6_bytes)`` and the
binding state is read through ``lookup(mac)`` *at every transmission*, so an MN that is not (or
no longer) served never gets an RA with prefixes, whatever the order of events.

Schedule (choices where RFC 4861 leaves room; all in ``RaConfig``):

* ``serve``: one RA at once, then ``initial_count - 1`` more every ``initial_interval`` s (the
  §6.2.4 "initial advertisements", faster than the multicast defaults since they reach one MN);
* then one every uniform(``min_interval``, ``max_interval``) s, but never later than
  ``lifetime_fraction`` of the binding's remaining lifetime, so the PIO and router lifetimes
  (capped by that remaining lifetime) are renewed well before they run out;
* a Router Solicitation from a served MN is answered at once; RAs to one MN are at least
  ``min_solicited_gap`` s apart (MAX_RA_DELAY_TIME, 0.5 s), so an RS burst costs one RA;
* ``unserve``: the final RA, router lifetime 0 and no prefixes.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..timers import Timer, Timers
from .ndp import (
    FIXED_MAC,
    Prefix,
    RaFields,
    build_final_ra,
    build_ra,
    ip6_raw,
    ip6_str,
    is_link_local,
    mac_raw,
    mac_str,
)

log = logging.getLogger("pmipv6.mag.ra")

MAX_RA_DELAY_TIME = 0.5  # RFC 4861 §10


@dataclass(frozen=True)
class ServedMN:
    """What the RA sender needs to know about one served mobile node (from the MAG's BUL)."""

    mac: bytes
    interface: str
    prefixes: tuple[Prefix, ...]
    expires_at: float  # same clock as the sender's


@dataclass
class RaConfig:
    router_lifetime: int = 1800
    fields: RaFields = field(default_factory=RaFields)
    initial_count: int = 3
    initial_interval: float = 1.0
    min_interval: float = 200.0
    max_interval: float = 600.0
    lifetime_fraction: float = 1 / 3
    min_periodic: float = 1.0  # floor of the lifetime-derived interval
    min_solicited_gap: float = MAX_RA_DELAY_TIME
    final_ra: bool = True


@dataclass
class _Advertised:
    mac: bytes
    interface: str
    lla: bytes | None = None  # learned from an RS (or given); otherwise resolve_lla is asked
    sent: int = 0
    last_sent: float | None = None
    timer: Timer | None = None
    solicited: Timer | None = None

    def cancel(self) -> None:
        for t in (self.timer, self.solicited):
            if t is not None:
                t.cancel()
        self.timer = self.solicited = None


class RaSender:
    """Solicited, periodic and final unicast RAs, one state per served MN (keyed by MAC)."""

    def __init__(
        self,
        send: Callable[[str, bytes, bytes], None],
        lookup: Callable[[bytes], ServedMN | None],
        clock: Callable[[], float],
        timers: Timers,
        config: RaConfig | None = None,
        resolve_lla: Callable[[bytes, str], bytes | None] | None = None,
        source_mac: str | bytes = FIXED_MAC,
        rng: random.Random | None = None,
        stats: Counter | None = None,
    ) -> None:
        self._send = send
        self._lookup = lookup
        self.clock = clock
        self.timers = timers
        self.config = config or RaConfig()
        self._resolve = resolve_lla or (lambda mac, interface: None)
        self.source_mac = mac_raw(source_mac)
        self._rng = rng or random.Random()
        self.stats: Counter = stats if stats is not None else Counter()
        self._mns: dict[bytes, _Advertised] = {}

    # -- MAG events -------------------------------------------------------------------------------

    def serve(self, mac: str | bytes, interface: str | None = None, lla: str | bytes | None = None) -> bool:
        """The MN's binding was accepted: start its RAs (the first one now). False if not served."""
        raw = mac_raw(mac)
        binding = self._lookup(raw)
        if binding is None:
            self.stats[("ra_serve_refused",)] += 1
            log.debug("serve %s refused: no binding", mac_str(raw))
            return False
        iface = interface or binding.interface
        state = self._mns.get(raw)
        if state is None or state.interface != iface:
            if state is not None:
                state.cancel()
            state = _Advertised(raw, iface)
            self._mns[raw] = state
        if lla is not None:
            self._learn(state, ip6_raw(lla))
        state.sent = 0
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        self._transmit(state, "initial")
        return True

    def refresh(self, mac: str | bytes) -> None:
        """Prefixes or lifetime changed: advertise now (within the per-MN rate limit)."""
        state = self._mns.get(mac_raw(mac))
        if state is not None:
            self._soon(state, "update")

    def solicit(self, mac: str | bytes, interface: str, source: bytes | None = None) -> bool:
        """An RS from ``mac`` on ``interface``: answer it if the MN is served there."""
        raw = mac_raw(mac)
        state = self._mns.get(raw)
        if state is None:
            self.stats[("rs_unanswered", "unserved")] += 1
            return False
        if state.interface != interface:
            self.stats[("rs_unanswered", "wrong_interface")] += 1
            log.debug("RS from %s on %s but it is served on %s", mac_str(raw), interface, state.interface)
            return False
        if source is not None:
            self._learn(state, source)
        self._soon(state, "solicited")
        return True

    def learn_lla(self, mac: str | bytes, lla: bytes) -> None:
        state = self._mns.get(mac_raw(mac))
        if state is not None:
            self._learn(state, lla)

    def unserve(self, mac: str | bytes, final: bool | None = None) -> bool:
        """Stop the MN's RAs; send the final RA (router lifetime 0) unless ``final`` is False."""
        state = self._mns.pop(mac_raw(mac), None)
        if state is None:
            return False
        state.cancel()
        if self.config.final_ra if final is None else final:
            dest = self._destination(state)
            if dest is None:
                self.stats[("ra_not_sent", "no_destination")] += 1
            else:
                self._emit(state, dest, build_final_ra(self.source_mac, self.config.fields), "final")
        return True

    def unserve_interface(self, interface: str, final: bool = False) -> list[bytes]:
        """Forget every MN of ``interface`` (link down: a final RA could not leave anyway)."""
        macs = [m for m, s in self._mns.items() if s.interface == interface]
        for mac in macs:
            self.unserve(mac, final)
        return macs

    def close(self) -> None:
        for state in self._mns.values():
            state.cancel()
        self._mns.clear()

    # -- views ------------------------------------------------------------------------------------

    def interface_of(self, mac: str | bytes) -> str | None:
        state = self._mns.get(mac_raw(mac))
        return None if state is None else state.interface

    def served(self) -> list[dict]:
        return [
            {
                "mac": mac_str(s.mac),
                "interface": s.interface,
                "destination": None if s.lla is None else ip6_str(s.lla),
                "ras_sent": s.sent,
                "last_sent": s.last_sent,
                "next": None if s.timer is None else s.timer.when,
            }
            for s in self._mns.values()
        ]

    def __contains__(self, mac: object) -> bool:
        try:
            return mac_raw(mac) in self._mns  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    def __len__(self) -> int:
        return len(self._mns)

    # -- internals --------------------------------------------------------------------------------

    def _learn(self, state: _Advertised, lla: bytes) -> None:
        if is_link_local(lla):
            state.lla = lla

    def _destination(self, state: _Advertised) -> bytes | None:
        if state.lla is None:
            found = self._resolve(state.mac, state.interface)
            if found is not None and is_link_local(found):
                state.lla = found
        return state.lla

    def _soon(self, state: _Advertised, kind: str) -> None:
        now = self.clock()
        gap = self.config.min_solicited_gap
        if state.last_sent is None or now - state.last_sent >= gap:
            self._transmit(state, kind)
        elif state.solicited is None:
            self.stats[("ra_rate_limited",)] += 1
            state.solicited = self.timers.call_at(state.last_sent + gap, self._delayed, state, kind)
        else:
            self.stats[("ra_rate_limited",)] += 1

    def _delayed(self, state: _Advertised, kind: str) -> None:
        state.solicited = None
        if self._mns.get(state.mac) is state:
            self._transmit(state, kind)

    def _periodic(self, state: _Advertised) -> None:
        state.timer = None
        if self._mns.get(state.mac) is state:
            self._transmit(state, "initial" if state.sent < self.config.initial_count else "periodic")

    def _transmit(self, state: _Advertised, kind: str) -> None:
        """Send an RA with the binding as it is now, then schedule the next unsolicited one."""
        now = self.clock()
        binding = self._lookup(state.mac)
        remaining = 0.0 if binding is None else binding.expires_at - now
        if binding is None or binding.interface != state.interface or remaining < 1:
            # no longer served here: no RA with prefixes, ever; the MAG calls unserve() for the final RA
            self.stats[("ra_not_sent", "unserved")] += 1
            log.debug("no RA to %s: not served on %s", mac_str(state.mac), state.interface)
            state.cancel()
            return
        dest = self._destination(state)
        if dest is None:
            self.stats[("ra_not_sent", "no_destination")] += 1
            log.debug("no RA to %s yet: its link-local address is unknown", mac_str(state.mac))
        else:
            packet = build_ra(
                binding.prefixes, remaining, self.config.router_lifetime, self.source_mac, self.config.fields
            )
            if self._emit(state, dest, packet, kind):
                state.sent += 1
                state.last_sent = now
        if state.solicited is not None:
            state.solicited.cancel()
            state.solicited = None
        if state.timer is not None:
            state.timer.cancel()
        state.timer = self.timers.call_at(now + self._next_interval(state, remaining), self._periodic, state)

    def _next_interval(self, state: _Advertised, remaining: float) -> float:
        cfg = self.config
        if state.sent < cfg.initial_count:
            return cfg.initial_interval
        interval = self._rng.uniform(cfg.min_interval, cfg.max_interval)
        return min(interval, max(cfg.min_periodic, remaining * cfg.lifetime_fraction))

    def _emit(self, state: _Advertised, dest: bytes, packet: bytes, kind: str) -> bool:
        try:
            self._send(state.interface, dest, packet)
        except OSError as exc:
            self.stats[("ra_not_sent", "send_failed")] += 1
            log.debug("RA to %s%%%s failed: %s", ip6_str(dest), state.interface, exc)
            return False
        self.stats[("ra_sent", kind)] += 1
        return True


__all__ = ["MAX_RA_DELAY_TIME", "RaConfig", "RaFields", "RaSender", "ServedMN", "build_final_ra", "build_ra"]

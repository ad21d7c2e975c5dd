"""Attach and detach detection on access links without an AP controller (RFC 5213 §6.9.1.1, §6.9.1.3).

Pure logic: the sockets and netlink live in ``accesslink.AccessLink``, which feeds parsed
events in; time comes from ``clock``, timers from a ``pmipv6.timers.Timers`` heap.  This layer
reports link-layer addresses only; the policy lookup (is this MAC a mobile node we serve?)
happens in the MAG engine, which answers ``on_attach`` with a truth value.

Signals and what they mean here:

* **Router Solicitation** (``router_solicitation``) from a MAC that is not attached ->
  ``on_attach(mac, interface)``; from an attached MN -> ``on_solicit(mac, interface, source)``.
  The MAC comes from the RS's Source Link-Layer Address option, else from the neighbour cache.
* **Neighbour event** (``neighbour``): an entry on an access interface *turning* REACHABLE (two-way
  reachability confirmed by the MN) with a MAC that is not attached -> ``on_attach``.  Merely
  learned (STALE) entries are not enough: the kernel keeps them for minutes after an MN left.
* **Link down** (``link``): carrier or administrative down, or the interface deleted ->
  ``on_link_down(interface)``; every MN of the interface is forgotten.
* **NUD polling** (``DetachPoller``): every ``interval`` s a unicast Neighbor Solicitation to each
  attached MN's link-local address; no Neighbor Advertisement within ``timeout`` s counts as a
  failure and is retried at once; ``max(1, retries)`` consecutive failures ->
  ``on_detach(mac, interface)``.  An MN that vanished is therefore reported between
  ``retries * timeout`` and ``interval + retries * timeout`` s after it went.

Refusals: when ``on_attach`` returns a false value or raises (an unknown MN, a policy error), the
MAC is counted and ignored for ``refused_holdoff`` s, so an RS storm from a stranger costs one
policy lookup.  After an MN is forgotten (detached), neighbour events for it are ignored for
``forget_holdoff`` s: the MAG's own final RA makes the kernel resolve the MN once more, and that
must not re-attach it.  An RS is an explicit request and is honoured at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..timers import Timer, Timers
from .ndp import UNSPECIFIED, eui64_link_local, ip6_str, is_link_local, mac_raw, mac_str
from .rtnl import NUD_FAILED, NUD_INCOMPLETE, NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE

log = logging.getLogger("pmipv6.mag.detect")

_UNUSABLE = NUD_INCOMPLETE | NUD_FAILED | NUD_NOARP | NUD_PERMANENT


class NeighbourCache:
    """The kernel's IPv6 neighbour table of the access interfaces, kept from netlink.

    Answers "which MAC sent from this link-local address" (an RS without SLLA) and "what is this
    MAC's link-local address" (a destination for RAs and probes)."""

    def __init__(self) -> None:
        self._by_ip: dict[tuple[str, bytes], tuple[bytes, int]] = {}  # (interface, ip) -> (mac, state)

    def update(
        self, interface: str, address: bytes, mac: bytes | None, state: int, deleted: bool
    ) -> int | None:
        """Apply one event; returns the previous state of that entry (None if it was unknown)."""
        key = (interface, address)
        previous = self._by_ip.get(key)
        if deleted or mac is None or state & (NUD_INCOMPLETE | NUD_FAILED):
            self._by_ip.pop(key, None)
        else:
            self._by_ip[key] = (mac, state)
        return None if previous is None else previous[1]

    def mac_of(self, interface: str, address: bytes) -> bytes | None:
        found = self._by_ip.get((interface, address))
        return None if found is None else found[0]

    def link_local_of(self, interface: str, mac: bytes) -> bytes | None:
        """A link-local address ``mac`` uses on ``interface``; the most recently confirmed first."""
        best = None
        for (iface, ip), (m, state) in self._by_ip.items():
            if iface == interface and m == mac and is_link_local(ip):
                if state & NUD_REACHABLE:
                    return ip
                best = best or ip
        return best

    def forget_interface(self, interface: str) -> None:
        for key in [k for k in self._by_ip if k[0] == interface]:
            del self._by_ip[key]

    def __len__(self) -> int:
        return len(self._by_ip)


@dataclass
class Station:
    """An attached mobile node as the access link sees it."""

    mac: bytes
    interface: str
    lla: bytes | None = None
    since: float = 0.0
    via: str = "explicit"  # "rs", "neighbour" or "explicit" (pmipv6ctl / AP controller)

    def to_dict(self) -> dict:
        return {
            "mac": mac_str(self.mac),
            "interface": self.interface,
            "link_local": None if self.lla is None else ip6_str(self.lla),
            "since": self.since,
            "detected_by": self.via,
        }


AttachCallback = Callable[[str, str], object]
SolicitCallback = Callable[[str, str, bytes], object]
LinkDownCallback = Callable[[str], object]
DetachCallback = Callable[[str, str], object]


class AttachDetector:
    """Turns RSs, neighbour and link events into attach / solicit / link-down reports."""

    def __init__(
        self,
        clock: Callable[[], float],
        on_attach: AttachCallback | None = None,
        on_solicit: SolicitCallback | None = None,
        on_link_down: LinkDownCallback | None = None,
        own_macs: frozenset[bytes] = frozenset(),
        neighbours: NeighbourCache | None = None,
        rs_attach: bool = True,
        neighbour_attach: bool = True,
        refused_holdoff: float = 10.0,
        forget_holdoff: float = 5.0,
        stats: Counter | None = None,
        on_track: Callable[[Station], None] | None = None,
        on_forget: Callable[[Station], None] | None = None,
        is_attached: Callable[[bytes], bool] | None = None,
        max_holdoff_entries: int = 4096,
    ) -> None:
        self.clock = clock
        self.on_attach = on_attach
        self.on_solicit = on_solicit
        self.on_link_down = on_link_down
        self.own_macs = frozenset(own_macs)
        self.neighbours = neighbours if neighbours is not None else NeighbourCache()
        self.rs_attach = rs_attach
        self.neighbour_attach = neighbour_attach
        self.refused_holdoff = refused_holdoff
        self.forget_holdoff = forget_holdoff
        self.stats: Counter = stats if stats is not None else Counter()
        self._on_track = on_track
        self._on_forget = on_forget
        self.is_attached = is_attached  # the MAG's view, when it can tell (see AccessLink.connect_engine)
        self.max_holdoff_entries = max_holdoff_entries
        self.stations: dict[bytes, Station] = {}
        self._refused: dict[bytes, float] = {}  # mac -> until
        self._forgotten: dict[bytes, float] = {}  # mac -> until
        self._link_up: dict[str, bool] = {}

    # -- the MAG tells us --------------------------------------------------------------------------

    def track(
        self, mac: str | bytes, interface: str, lla: bytes | None = None, via: str = "explicit"
    ) -> Station:
        """``mac`` is attached on ``interface`` (however the MAG learned it)."""
        raw = mac_raw(mac)
        station = self.stations.get(raw)
        if station is None or station.interface != interface:
            if station is not None and self._on_forget is not None:
                self._on_forget(station)
            station = Station(raw, interface, since=self.clock(), via=via)
            self.stations[raw] = station
            self._refused.pop(raw, None)
            self._forgotten.pop(raw, None)
            if lla is None:
                lla = self.neighbours.link_local_of(interface, raw)
            if lla is not None and is_link_local(lla):
                station.lla = lla
            if self._on_track is not None:
                self._on_track(station)
        elif lla is not None and is_link_local(lla):
            station.lla = lla
        return station

    def forget(self, mac: str | bytes) -> Station | None:
        """``mac`` is no longer attached (detached by whatever means)."""
        raw = mac_raw(mac)
        station = self.stations.pop(raw, None)
        if station is not None:
            now = self.clock()
            self._hold(self._forgotten, raw, now + self.forget_holdoff, now)
            if self._on_forget is not None:
                self._on_forget(station)
        return station

    def lla_for(self, mac: bytes, interface: str, derive: bool = True) -> bytes | None:
        """Best known link-local address of ``mac``: RS source, neighbour table, else EUI-64."""
        station = self.stations.get(mac)
        if station is not None and station.lla is not None and station.interface == interface:
            return station.lla
        found = self.neighbours.link_local_of(interface, mac)
        if found is not None:
            if station is not None and station.interface == interface:
                station.lla = found
            return found
        return eui64_link_local(mac) if derive else None

    # -- events from the access link ----------------------------------------------------------------

    def router_solicitation(self, interface: str, source: bytes, source_mac: bytes | None) -> None:
        self.stats[("rs_received",)] += 1
        mac = source_mac
        if mac is None and source != UNSPECIFIED:
            mac = self.neighbours.mac_of(interface, source)
        if mac is None:
            self.stats[("rs_ignored", "no_mac")] += 1
            log.debug("RS on %s from %s: no link-layer address known", interface, ip6_str(source))
            return
        if mac in self.own_macs:
            self.stats[("rs_ignored", "own")] += 1
            return
        lla = source if source != UNSPECIFIED and is_link_local(source) else None
        station = self.stations.get(mac)
        if station is not None and self.is_attached is not None and not self.is_attached(mac):
            # the MAG dropped it (pmipv6ctl detach, a BRI ...) without telling us: a new attach
            self.stations.pop(mac)
            if self._on_forget is not None:
                self._on_forget(station)
            station = None
        if station is not None and station.interface == interface:
            if lla is not None:
                station.lla = lla
            self.stats[("solicit_reported",)] += 1
            if self.on_solicit is not None:
                self.on_solicit(mac_str(mac), interface, source)
            return
        if not self.rs_attach:
            self.stats[("rs_ignored", "rs_attach_off")] += 1
            return
        self._attach(mac, interface, lla, "rs")

    def neighbour(
        self, interface: str, address: bytes, mac: bytes | None, state: int, deleted: bool = False
    ) -> None:
        previous = self.neighbours.update(interface, address, mac, state, deleted)
        if deleted or mac is None or state & _UNUSABLE or mac in self.own_macs:
            return
        station = self.stations.get(mac)
        if station is not None:
            if (
                station.interface == interface
                and is_link_local(address)
                and (station.lla is None or state & NUD_REACHABLE)
            ):
                station.lla = address
            return
        if not self.neighbour_attach or not state & NUD_REACHABLE:
            return
        if previous is not None and previous & NUD_REACHABLE:
            return  # not a transition into REACHABLE
        until = self._forgotten.get(mac)
        if until is not None:
            if self.clock() < until:
                self.stats[("neighbour_ignored", "recently_detached")] += 1
                return
            del self._forgotten[mac]
        self._attach(mac, interface, address if is_link_local(address) else None, "neighbour")

    def link(self, interface: str, up: bool) -> None:
        """Link state of an access interface (carrier and admin state combined)."""
        was = self._link_up.get(interface)
        self._link_up[interface] = up
        if up or was is not True:  # only a transition from a known "up" is a link-down
            return
        self.stats[("link_down",)] += 1
        gone = [s for s in self.stations.values() if s.interface == interface]
        for station in gone:
            self.forget(station.mac)
        self.neighbours.forget_interface(interface)
        log.info("access interface %s is down: %d mobile node(s) gone", interface, len(gone))
        if self.on_link_down is not None:
            self.on_link_down(interface)

    def seed_link(self, interface: str, up: bool) -> None:
        """The link state as read at start: no report, it is no transition."""
        self._link_up[interface] = up

    def link_known_up(self, interface: str) -> bool | None:
        return self._link_up.get(interface)

    # -- internals ----------------------------------------------------------------------------------

    def _hold(self, table: dict[bytes, float], mac: bytes, until: float, now: float) -> None:
        """Holdoff tables stay bounded under a storm of made-up MACs: expired entries go first,
        then the oldest (a dict keeps insertion order)."""
        table.pop(mac, None)
        if len(table) >= self.max_holdoff_entries:
            for key in [k for k, t in table.items() if t <= now]:
                del table[key]
            while len(table) >= self.max_holdoff_entries:
                del table[next(iter(table))]
        table[mac] = until

    def _attach(self, mac: bytes, interface: str, lla: bytes | None, via: str) -> None:
        now = self.clock()
        until = self._refused.get(mac)
        if until is not None:
            if now < until:
                self.stats[("attach_ignored", "refused_recently")] += 1
                return
            del self._refused[mac]
        self.stats[("attach_detected", via)] += 1
        accepted: object = True
        if self.on_attach is not None:
            try:
                accepted = self.on_attach(mac_str(mac), interface)
            except Exception as exc:  # the engine refused (unknown MN, bad interface ...)
                log.info("attach of %s on %s (%s) refused: %s", mac_str(mac), interface, via, exc)
                accepted = False
        if not accepted:
            self.stats[("attach_refused",)] += 1
            self._hold(self._refused, mac, now + self.refused_holdoff, now)
            return
        self.track(mac, interface, lla, via)
        log.info("%s attached on %s (detected by %s)", mac_str(mac), interface, via)


@dataclass
class _Probe:
    station: Station
    failures: int = 0
    outstanding: bytes | None = None  # the address probed and not yet answered
    timer: Timer | None = field(default=None, repr=False)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class DetachPoller:
    """Neighbour-unreachability polling of attached MNs (Cisco-style ``discover-mn-detach poll``)."""

    def __init__(
        self,
        clock: Callable[[], float],
        timers: Timers,
        send_probe: Callable[[str, bytes], None],
        resolve_lla: Callable[[bytes, str], bytes | None],
        on_detach: Callable[[Station], object],
        interval: float = 10.0,
        timeout: float = 2.0,
        retries: int = 2,
        stats: Counter | None = None,
    ) -> None:
        if interval <= 0 or timeout <= 0:
            raise ValueError("detach_poll interval and timeout must be positive")
        self.clock = clock
        self.timers = timers
        self._send = send_probe
        self._resolve = resolve_lla
        self._on_detach = on_detach
        self.interval = interval
        self.timeout = timeout
        self.failures_allowed = max(1, int(retries))
        self.stats: Counter = stats if stats is not None else Counter()
        self._probes: dict[bytes, _Probe] = {}

    def track(self, station: Station) -> None:
        old = self._probes.pop(station.mac, None)
        if old is not None:
            old.cancel()
        probe = _Probe(station)
        self._probes[station.mac] = probe
        probe.timer = self.timers.call_at(self.clock() + self.interval, self._probe, probe)

    def forget(self, mac: bytes) -> None:
        probe = self._probes.pop(mac, None)
        if probe is not None:
            probe.cancel()

    def alive(self, mac: bytes) -> None:
        """Other evidence that the MN is there (an RS, a confirmed neighbour): failures reset."""
        probe = self._probes.get(mac)
        if probe is not None and probe.failures:
            probe.failures = 0

    def advertisement(self, interface: str, target: bytes, target_mac: bytes | None) -> bool:
        """A Neighbor Advertisement arrived on ``interface``; True if it answered a probe."""
        for probe in self._probes.values():
            st = probe.station
            if st.interface != interface or probe.outstanding != target:
                continue
            if target_mac is not None and target_mac != st.mac:
                continue
            self.stats[("probe_answered",)] += 1
            probe.failures = 0
            probe.outstanding = None
            probe.cancel()
            probe.timer = self.timers.call_at(self.clock() + self.interval, self._probe, probe)
            return True
        return False

    def close(self) -> None:
        for probe in self._probes.values():
            probe.cancel()
        self._probes.clear()

    def pending(self) -> dict[bytes, int]:
        return {mac: p.failures for mac, p in self._probes.items()}

    def _probe(self, probe: _Probe) -> None:
        probe.timer = None
        if self._probes.get(probe.station.mac) is not probe:
            return
        st = probe.station
        target = self._resolve(st.mac, st.interface)
        probe.outstanding = target
        if target is None:
            self.stats[("probe_not_sent", "no_address")] += 1
        else:
            try:
                self._send(st.interface, target)
                self.stats[("probe_sent",)] += 1
            except OSError as exc:  # link gone, no route: the timeout counts it as a failure
                self.stats[("probe_not_sent", "send_failed")] += 1
                log.debug("NUD probe of %s on %s failed: %s", mac_str(st.mac), st.interface, exc)
        probe.timer = self.timers.call_at(self.clock() + self.timeout, self._expired, probe)

    def _expired(self, probe: _Probe) -> None:
        probe.timer = None
        if self._probes.get(probe.station.mac) is not probe:
            return
        probe.failures += 1
        probe.outstanding = None
        self.stats[("probe_timeout",)] += 1
        if probe.failures >= self.failures_allowed:
            del self._probes[probe.station.mac]
            self.stats[("detach_detected", "poll")] += 1
            log.info(
                "%s on %s unreachable after %d probe(s): detached",
                mac_str(probe.station.mac),
                probe.station.interface,
                probe.failures,
            )
            self._on_detach(probe.station)
            return
        self._probe(probe)


__all__ = ["AttachDetector", "DetachPoller", "NeighbourCache", "Station"]

"""The MAG's access links: sockets, netlink and asyncio glue around ``ra`` and ``detect``.

``AccessLink`` owns, per access interface, two raw ICMPv6 sockets:

* the *router* socket, bound to (fixed link-local address, interface index) with unicast and
  multicast hop limits 255: every RA, final RA and NUD probe (Neighbor Solicitation) leaves
  from it, and the Neighbor Advertisements answering the probes arrive on it (ICMPv6 filter:
  type 136).  ``IPV6_FREEBIND`` lets it bind while the address is still missing (link down);
* the *RS* socket, bound to the device, joined to ff02::2 (the kernel joins it only when
  forwarding is on) with an ICMPv6 filter for type 133.

and one rtnetlink socket bound to RTMGRP_LINK | RTMGRP_NEIGH.  All three kinds are read from the
asyncio loop with ``loop.add_reader``; timers run on a ``pmipv6.timers.Timers`` heap, either the
agent's (pass ``timers`` and ``after_event=agent.rearm``) or a private one driven here.

The MAG engine talks to it through:

* callbacks it receives: ``on_attach(mac, interface) -> bool`` (False/raise = refused),
  ``on_detach(mac, interface)`` (NUD polling failed), ``on_link_down(interface)``,
  ``on_solicit(mac, interface, source)`` (informational; the RS is answered here);
* ``lookup(mac_bytes) -> ServedMN | None``: the binding as it is now (``engine_lookup(engine)``);
* calls it makes: ``serve`` / ``unserve`` (binding accepted / gone: ``AccessLinkDataPlane`` does
  that from the engine's data-plane hooks), ``track`` / ``forget`` (attached or detached by
  other means: ``pmipv6ctl``, an AP controller, a BRI).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..dataplane import DataPlane
from ..timers import LoopWakeUp, Timers
from .detect import AttachDetector, DetachPoller, Station
from .ndp import (
    FIXED_LINK_LOCAL,
    FIXED_MAC,
    ICMPV6_NEIGHBOR_ADVERT,
    ICMPV6_ROUTER_SOLICIT,
    NdpError,
    build_ns,
    ip6_raw,
    ip6_str,
    mac_raw,
    mac_str,
    parse_na,
    parse_rs,
)
from .ra import RaConfig, RaSender, ServedMN
from .rtnl import LinkEvent, NeighbourEvent, Rtnl, RtnlMonitor, setup_access_interface

log = logging.getLogger("pmipv6.mag.accesslink")

ICMP6_FILTER = 1  # <netinet/icmp6.h>, level IPPROTO_ICMPV6
IPV6_FREEBIND = 78  # Linux >= 4.15
IP_FREEBIND = 15
ALL_ROUTERS = "ff02::2"
ND_HOP_LIMIT = 255


def icmp6_filter(passed: Iterable[int]) -> bytes:
    """struct icmp6_filter that blocks every ICMPv6 type except ``passed`` (a set bit blocks)."""
    words = [0xFFFFFFFF] * 8
    for kind in passed:
        words[kind >> 5] &= ~(1 << (kind & 31))
    return struct.pack("=8I", *words)


def _hop_limit(ancillary) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT and len(data) >= 4:
            return struct.unpack("=i", data[:4])[0]
    return None


def open_router_socket(link_local: bytes, index: int) -> socket.socket:
    """Raw ICMPv6 socket bound to (link_local, index), hop limits 255, receiving only NAs."""
    sock = socket.socket(
        socket.AF_INET6, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, socket.IPPROTO_ICMPV6
    )
    try:
        try:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        except OSError:
            sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ND_HOP_LIMIT)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ND_HOP_LIMIT)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, icmp6_filter([ICMPV6_NEIGHBOR_ADVERT]))
        sock.bind((ip6_str(link_local), 0, 0, index))
    except OSError:
        sock.close()
        raise
    return sock


def open_rs_socket(name: str, index: int) -> socket.socket:
    """Raw ICMPv6 socket on device ``name`` receiving Router Solicitations (ff02::2 joined)."""
    sock = socket.socket(
        socket.AF_INET6, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, socket.IPPROTO_ICMPV6
    )
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, name.encode())
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, icmp6_filter([ICMPV6_ROUTER_SOLICIT]))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        mreq = socket.inet_pton(socket.AF_INET6, ALL_ROUTERS) + struct.pack("@I", index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class _Port:
    name: str
    index: int | None = None
    router: socket.socket | None = None
    rs: socket.socket | None = None
    up: bool = False

    @property
    def open(self) -> bool:
        return self.router is not None


class AccessLink:
    """RAs, attach/detach detection and NUD polling on a MAG's access interfaces."""

    def __init__(
        self,
        interfaces: Iterable[str],
        *,
        on_attach: Callable[[str, str], object] | None = None,
        on_detach: Callable[[str, str], object] | None = None,
        on_link_down: Callable[[str], object] | None = None,
        on_solicit: Callable[[str, str, bytes], object] | None = None,
        lookup: Callable[[bytes], ServedMN | None] | None = None,
        clock: Callable[[], float] = time.time,
        timers: Timers | None = None,
        after_event: Callable[[], object] | None = None,
        link_local: str | bytes = FIXED_LINK_LOCAL,
        mac: str | bytes = FIXED_MAC,
        detach_poll=None,
        ra: RaConfig | None = None,
        configure_interfaces: bool = True,
        rs_detection: bool = True,
        neighbour_detection: bool = True,
        refused_holdoff: float = 10.0,
        forget_holdoff: float = 5.0,
        rng=None,
    ) -> None:
        """``detach_poll``: an object with ``interval``, ``timeout`` and ``retries`` (the config's
        ``DetachPoll``), or None to disable polling.  ``lookup`` defaults to "nothing is served"."""
        self.ports = {name: _Port(name) for name in interfaces}
        self.clock = clock
        self.link_local = ip6_raw(link_local)
        self.mac = mac_raw(mac)
        self.configure_interfaces = configure_interfaces
        self.stats: Counter = Counter()
        self._on_detach = on_detach
        self._on_link_down = on_link_down
        self._on_solicit = on_solicit
        self._after_event = after_event
        self._drive_timers = timers is None or after_event is None
        self.timers = timers if timers is not None else Timers()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = LoopWakeUp(clock, self._on_wake)
        self._rtnl: Rtnl | None = None
        self._monitor: RtnlMonitor | None = None
        self._running = False

        self.detector = AttachDetector(
            clock,
            on_attach=on_attach,
            on_solicit=self._solicited,
            on_link_down=self._link_down,
            own_macs=frozenset({self.mac}),
            rs_attach=rs_detection,
            neighbour_attach=neighbour_detection,
            refused_holdoff=refused_holdoff,
            forget_holdoff=forget_holdoff,
            stats=self.stats,
            on_track=self._tracked,
            on_forget=self._forgotten,
        )
        self.poller: DetachPoller | None = None
        if detach_poll is not None:
            self.poller = DetachPoller(
                clock,
                self.timers,
                self._send_probe,
                self.detector.lla_for,
                self._poll_detached,
                detach_poll.interval,
                detach_poll.timeout,
                detach_poll.retries,
                stats=self.stats,
            )
        self.ra = RaSender(
            self._send_icmp,
            lookup or (lambda mac: None),
            clock,
            self.timers,
            ra,
            resolve_lla=self.detector.lla_for,
            source_mac=self.mac,
            rng=rng,
            stats=self.stats,
        )

    @property
    def lookup(self) -> Callable[[bytes], ServedMN | None]:
        return self.ra._lookup

    @lookup.setter
    def lookup(self, fn: Callable[[bytes], ServedMN | None]) -> None:
        self.ra._lookup = fn

    def connect_engine(self, engine) -> None:
        """Wire a ``MobileAccessGateway``: detected attaches call ``engine.attach`` (an unknown
        MN raises, which counts as refused), NUD-poll and link-down detaches call
        ``engine.detach``, and RAs read the engine's binding update list."""

        def on_attach(mac: str, interface: str) -> bool:
            engine.attach(mac, interface)
            return True

        def detach(mac: str) -> None:
            if engine.entry(mac) is not None:
                engine.detach(mac)

        def on_detach(mac: str, interface: str) -> None:
            entry = engine.entry(mac)
            if entry is not None and entry.interface == interface:
                engine.detach(mac)

        def on_link_down(interface: str) -> None:
            for binding in engine.bindings():
                if binding["interface"] == interface:
                    detach(binding["mn_ll_id"])

        self.detector.on_attach = on_attach
        self.detector.is_attached = lambda mac: engine.entry(mac_str(mac)) is not None
        self._on_detach = on_detach
        self._on_link_down = on_link_down
        self.lookup = engine_lookup(engine)

    @classmethod
    def from_settings(cls, mag, **kwargs) -> AccessLink:
        """From ``config.MagSettings``: access interface names, link-local address, detach_poll."""
        kwargs.setdefault("link_local", mag.link_local_address)
        kwargs.setdefault("detach_poll", mag.detach_poll)
        return cls([i.name for i in mag.access_interfaces], **kwargs)

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Set up the interfaces that exist, open the sockets, read the neighbour table, subscribe.

        An interface that is missing now is taken into service when it appears."""
        if self._running:
            return
        self._loop = self._wake.loop = loop or asyncio.get_running_loop()
        self._rtnl = Rtnl()
        try:
            self._monitor = RtnlMonitor()  # subscribe before the dumps: no event falls in between
            self._loop.add_reader(self._monitor.fileno(), self._on_netlink)
            self._running = True
            self._resync()
        except Exception:
            self.stop()
            raise
        detection = [
            n
            for n, on in (("rs", self.detector.rs_attach), ("neighbour", self.detector.neighbour_attach))
            if on
        ]
        polling = "off"
        if self.poller is not None:
            p = self.poller
            polling = f"every {p.interval:g} s, {p.timeout:g} s x {p.failures_allowed}"
        log.info(
            "access link on %s: link-local %s, MAC %s, detection %s, NUD polling %s",
            ", ".join(self.ports) or "no interfaces",
            ip6_str(self.link_local),
            mac_str(self.mac),
            "+".join(detection) or "off",
            polling,
        )
        self._kick()

    def stop(self) -> None:
        """Close everything.  No final RAs: a restarting MAG keeps serving its MNs."""
        self._running = False
        self._wake.cancel()
        for port in self.ports.values():
            self._close_port(port)
        if self._monitor is not None:
            if self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._monitor.fileno())
            self._monitor.close()
            self._monitor = None
        if self._rtnl is not None:
            self._rtnl.close()
            self._rtnl = None
        if self.poller is not None:
            self.poller.close()
        self.ra.close()

    # -- calls from the MAG -------------------------------------------------------------------------

    def serve(self, mac: str | bytes, interface: str | None = None) -> bool:
        """The MN's binding is accepted (after the PBA): start its RAs, the first one now."""
        raw = mac_raw(mac)
        ok = self.ra.serve(raw, interface, self._station_lla(raw))
        if ok:
            iface = self.ra.interface_of(raw)
            station = self.detector.stations.get(raw)
            if (station is None or station.interface != iface) and iface in self.ports:
                # served without a detection we saw (pmipv6ctl, a restored binding): watch it too
                self.detector.track(raw, iface, None, "binding")
        self._kick()
        return ok

    def _station_lla(self, mac: bytes) -> bytes | None:
        station = self.detector.stations.get(mac)
        return None if station is None else station.lla

    def unserve(self, mac: str | bytes, final: bool | None = None) -> bool:
        """The MN is no longer served: final RA (router lifetime 0), no more RAs."""
        ok = self.ra.unserve(mac, final)
        self._kick()
        return ok

    def refresh(self, mac: str | bytes) -> None:
        """The binding's prefixes or lifetime changed: advertise now."""
        self.ra.refresh(mac)
        self._kick()

    def track(self, mac: str | bytes, interface: str, lla: str | bytes | None = None) -> None:
        """The MN attached by other means (pmipv6ctl, AP controller): watch it, answer its RSs."""
        if interface not in self.ports:
            raise ValueError(f"{interface!r} is not an access interface of this access link")
        self.detector.track(mac, interface, None if lla is None else ip6_raw(lla), "explicit")
        self._kick()

    def forget(self, mac: str | bytes) -> None:
        """The MN detached by other means: stop watching it (RAs stop with ``unserve``)."""
        self.detector.forget(mac)
        self._kick()

    # -- views ----------------------------------------------------------------------------------------

    def attached(self) -> list[dict]:
        return [s.to_dict() for s in self.detector.stations.values()]

    def served(self) -> list[dict]:
        return self.ra.served()

    def status(self) -> dict:
        return {
            "link_local": ip6_str(self.link_local),
            "mac": mac_str(self.mac),
            "interfaces": [
                {"name": p.name, "index": p.index, "open": p.open, "up": p.up} for p in self.ports.values()
            ],
            "attached": self.attached(),
            "served": self.served(),
        }

    # -- internal wiring ------------------------------------------------------------------------------

    def _solicited(self, mac: str, interface: str, source: bytes) -> None:
        raw = mac_raw(mac)
        if self.poller is not None:
            self.poller.alive(raw)
        self.ra.solicit(raw, interface, source)
        if self._on_solicit is not None:
            self._on_solicit(mac, interface, source)

    def _tracked(self, station: Station) -> None:
        if self.poller is not None:
            self.poller.track(station)

    def _forgotten(self, station: Station) -> None:
        if self.poller is not None:
            self.poller.forget(station.mac)

    def _poll_detached(self, station: Station) -> None:
        self.detector.forget(station.mac)
        if self._on_detach is not None:
            self._call(self._on_detach, mac_str(station.mac), station.interface)

    def _link_down(self, interface: str) -> None:
        self.ra.unserve_interface(interface, final=False)
        if self._on_link_down is not None:
            self._call(self._on_link_down, interface)

    def _call(self, callback, *args) -> None:
        try:
            callback(*args)
        except Exception:  # the engine's business; the access link keeps running
            log.exception("access link callback %s failed", getattr(callback, "__name__", callback))

    # -- sockets --------------------------------------------------------------------------------------

    def _send_icmp(self, interface: str, dest: bytes, packet: bytes) -> None:
        port = self.ports.get(interface)
        if port is None or port.router is None or port.index is None:
            raise OSError(errno.ENODEV, f"access interface {interface} is not open")
        port.router.sendto(packet, (ip6_str(dest), 0, 0, port.index))

    def _send_probe(self, interface: str, target: bytes) -> None:
        self._send_icmp(interface, target, build_ns(target, self.mac))

    def _open_port(self, port: _Port, index: int) -> None:
        if port.open and port.index == index:
            return
        self._close_port(port)
        port.index = index
        if self.configure_interfaces:
            setup_access_interface(self._rtnl, port.name, self.mac, self.link_local)
        port.router = open_router_socket(self.link_local, index)
        try:
            port.rs = open_rs_socket(port.name, index)
        except OSError:
            port.router.close()
            port.router = None
            raise
        self._loop.add_reader(port.router.fileno(), self._on_router_socket, port)
        self._loop.add_reader(port.rs.fileno(), self._on_rs_socket, port)
        log.debug("access interface %s (index %d) open", port.name, index)

    def _close_port(self, port: _Port) -> None:
        for sock in (port.router, port.rs):
            if sock is None:
                continue
            if self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(sock.fileno())
            sock.close()
        port.router = port.rs = None

    def _receive(self, sock: socket.socket, budget: int = 64):
        for _ in range(budget):
            try:
                data, ancillary, _flags, addr = sock.recvmsg(2048, socket.CMSG_SPACE(4))
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.stats[("socket_error",)] += 1
                log.debug("access link receive failed: %s", exc)
                return
            yield data, _hop_limit(ancillary), ip6_raw(addr[0])

    def _on_rs_socket(self, port: _Port) -> None:
        if port.rs is None:
            return
        try:
            for data, hops, source in self._receive(port.rs):
                try:
                    rs = parse_rs(data, source, hops)
                except NdpError as exc:
                    self.stats[("nd_invalid", "rs")] += 1
                    log.debug("invalid RS on %s from %s: %s", port.name, ip6_str(source), exc)
                    continue
                self.detector.router_solicitation(port.name, rs.source, rs.source_mac)
        except Exception:
            log.exception("RS handling on %s failed", port.name)
        self._kick()

    def _on_router_socket(self, port: _Port) -> None:
        if port.router is None:
            return
        try:
            for data, hops, _source in self._receive(port.router):
                try:
                    na = parse_na(data, hops)
                except NdpError:
                    self.stats[("nd_invalid", "na")] += 1
                    continue
                if self.poller is not None and self.poller.advertisement(port.name, na.target, na.target_mac):
                    continue
        except Exception:
            log.exception("NA handling on %s failed", port.name)
        self._kick()

    # -- netlink --------------------------------------------------------------------------------------

    def _resync(self, initial: bool = True) -> None:
        """(Re)read links and neighbours: at start, and after the event socket overflowed (then
        link changes missed meanwhile are reported like events)."""
        by_name = {link.name: link for link in self._rtnl.links()}
        for port in self.ports.values():
            link = by_name.get(port.name)
            if link is None:
                if initial:
                    log.warning("access interface %s does not exist (yet)", port.name)
                elif port.index is not None:
                    self._link_event(LinkEvent(port.index, port.name, None, 0, deleted=True))
                continue
            self._link_event(link, initial=initial)
        names = self._index_names()
        for event in self._rtnl.neighbours():
            name = names.get(event.index)
            if name is not None:
                self.detector.neighbours.update(name, event.address, event.mac, event.state, False)

    def _index_names(self) -> dict[int, str]:
        return {p.index: p.name for p in self.ports.values() if p.index is not None}

    def _on_netlink(self) -> None:
        if self._monitor is None:
            return
        try:
            events = self._monitor.read()
            if self._monitor.overflowed:
                self._monitor.overflowed = False
                self.stats[("netlink_overflow",)] += 1
                log.warning("netlink event socket overflowed: re-reading links and neighbours")
                self._resync(initial=False)
            for event in events:
                if isinstance(event, LinkEvent):
                    self._link_event(event)
                elif isinstance(event, NeighbourEvent):
                    self._neighbour_event(event)
        except Exception:
            log.exception("netlink event handling failed")
        self._kick()

    def _link_event(self, event: LinkEvent, initial: bool = False) -> None:
        port = self.ports.get(event.name) if event.name else None
        if port is None:  # a DELLINK may carry the name; otherwise match the index
            port = next((p for p in self.ports.values() if p.index == event.index), None)
            if port is None:
                return
        if event.deleted:
            port.up = False
            self.detector.link(port.name, False)
            self._close_port(port)
            port.index = None
            return
        was_up = port.up
        port.up = event.up
        try:
            if not port.open or port.index != event.index:
                self._open_port(port, event.index)
            elif event.up and not was_up and self.configure_interfaces:
                setup_access_interface(
                    self._rtnl, port.name, self.mac, self.link_local
                )  # admin down flushed it
        except OSError as exc:
            self.stats[("interface_error",)] += 1
            log.error("access interface %s: %s", port.name, exc)
        if initial:
            self.detector.seed_link(port.name, event.up)
        else:
            self.detector.link(port.name, event.up)

    def _neighbour_event(self, event: NeighbourEvent) -> None:
        if event.family != socket.AF_INET6:
            return
        name = self._index_names().get(event.index)
        if name is None:
            return
        self.detector.neighbour(name, event.address, event.mac, event.state, event.deleted)

    # -- timers ---------------------------------------------------------------------------------------

    def _kick(self) -> None:
        if self._after_event is not None:
            self._call(self._after_event)
        if self._drive_timers:
            self._rearm()

    def _rearm(self) -> None:
        if self._running:
            self._wake.arm(self.timers.next_deadline())

    def _on_wake(self) -> None:
        try:
            self.timers.run_due(self.clock())
        except Exception:
            log.exception("access link timer failed")
        self._kick()


def engine_lookup(engine) -> Callable[[bytes], ServedMN | None]:
    """``lookup`` for ``AccessLink`` backed by a ``MobileAccessGateway``: an MN is served while
    its entry is bound (routes installed) and registered or refreshing, with prefixes."""

    def lookup(mac: bytes) -> ServedMN | None:
        entry = engine.entry(mac_str(mac))
        if entry is None or not entry.bound or not entry.serving or entry.expires_at is None:
            return None
        if not entry.prefixes:
            return None
        return ServedMN(entry.mac, entry.interface, tuple(entry.prefixes), entry.expires_at)

    return lookup


class AccessLinkDataPlane:
    """Wraps the agent's data plane so the engine's bind/unbind hooks also start and stop RAs.

    ``mag_bind`` runs the real backend first (routes before the MN configures its address), then
    ``AccessLink.serve``; ``mag_unbind`` sends the final RA first, then removes the routes.  Every
    other attribute (``name``, ``stats``, ``start``, ``stop``, ``lma_*`` ...) is the inner
    backend's, so the wrapper follows whatever the ``DataPlane`` interface grows."""

    def __init__(self, inner: DataPlane, access_link: AccessLink) -> None:
        self.inner = inner
        self.access_link = access_link

    def __getattr__(self, key):
        return getattr(self.inner, key)

    def mag_bind(self, lma, prefixes, interface, mn_ll_id) -> None:
        self.inner.mag_bind(lma, prefixes, interface, mn_ll_id)
        if interface not in self.access_link.ports or len(mn_ll_id) != 6:
            return  # not one of our links, or an MN-LL-ID that is no MAC: no RAs from here
        try:
            self.access_link.serve(mn_ll_id, interface)
        except Exception:  # RAs failing must not undo the routes just installed
            log.exception("starting RAs for %s failed", mac_str(mn_ll_id))

    def mag_unbind(self, lma, prefixes, interface, mn_ll_id) -> None:
        try:
            if len(mn_ll_id) == 6:
                self.access_link.unserve(mn_ll_id)
                # no binding, no watching: a stale NUD poller would otherwise detach the MN
                # again if it comes back within the poll window (pmipv6ctl detach, then attach)
                self.access_link.forget(mn_ll_id)
        except Exception:
            log.exception("final RA for %s failed", mac_str(mn_ll_id))
        self.inner.mag_unbind(lma, prefixes, interface, mn_ll_id)


__all__ = [
    "AccessLink",
    "AccessLinkDataPlane",
    "engine_lookup",
    "icmp6_filter",
    "open_router_socket",
    "open_rs_socket",
]

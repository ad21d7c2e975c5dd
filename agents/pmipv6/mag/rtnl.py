"""A thin rtnetlink layer for the access link: link, address and neighbour state and events.

Plain ``AF_NETLINK`` sockets from the standard library; pyroute2 only encodes and decodes the
messages.  pyroute2 0.9's synchronous ``IPRoute`` runs its own asyncio loop and cannot be called
from inside a running loop (the agent's), and ``AsyncIPRoute`` would make every caller async;
the few requests here are short, so they are sent blocking on a private socket.

* ``Rtnl``: requests (dump links / addresses / neighbours, set MAC, address generation mode,
  add or delete an address, set a link up or down).
* ``RtnlMonitor``: a non-blocking socket bound to RTMGRP_LINK | RTMGRP_NEIGH whose ``read()``
  returns ``LinkEvent`` / ``NeighbourEvent`` objects, for ``loop.add_reader``.
* ``setup_access_interface``: the idempotent RFC 6543 set-up of one access interface.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import socket
from dataclasses import dataclass

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_REQUEST
from pyroute2.netlink.rtnl import (
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELNEIGH,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWNEIGH,
)
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.marshal import MarshalRtnl
from pyroute2.netlink.rtnl.ndmsg import ndmsg

from .ndp import FIXED_LINK_LOCAL, FIXED_MAC, ip6_raw, ip6_str, is_link_local, mac_raw, mac_str

log = logging.getLogger("pmipv6.mag.rtnl")

RTMGRP_LINK = 0x1
RTMGRP_NEIGH = 0x4
NLMSG_ERROR = 2
NLMSG_DONE = 3

IFF_UP = 0x1
IFF_LOWER_UP = 0x10000

IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80
RT_SCOPE_LINK = 253

IN6_ADDR_GEN_MODE_EUI64 = 0
IN6_ADDR_GEN_MODE_NONE = 1

NUD_INCOMPLETE = 0x01
NUD_REACHABLE = 0x02
NUD_STALE = 0x04
NUD_DELAY = 0x08
NUD_PROBE = 0x10
NUD_FAILED = 0x20
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80


@dataclass(frozen=True)
class LinkEvent:
    index: int
    name: str | None
    mac: bytes | None
    flags: int
    deleted: bool = False
    addr_gen_mode: int | None = None

    @property
    def up(self) -> bool:
        """Administratively up with carrier (what an access link needs)."""
        return not self.deleted and bool(self.flags & IFF_UP) and bool(self.flags & IFF_LOWER_UP)


@dataclass(frozen=True)
class NeighbourEvent:
    index: int
    family: int
    address: bytes  # 4 or 16 octets
    mac: bytes | None
    state: int
    deleted: bool = False


@dataclass(frozen=True)
class AddressInfo:
    index: int
    address: bytes
    prefixlen: int
    flags: int
    scope: int


def _link_event(msg, deleted: bool) -> LinkEvent:
    mac = msg.get("IFLA_ADDRESS")
    mode = None
    spec = msg.get("IFLA_AF_SPEC")
    if spec is not None:
        inet6 = spec.get("AF_INET6")
        if inet6 is not None:
            mode = inet6.get("IFLA_INET6_ADDR_GEN_MODE")
    raw_mac = None
    if isinstance(mac, str) and mac.count(":") == 5:
        raw_mac = mac_raw(mac)
    return LinkEvent(msg["index"], msg.get("IFLA_IFNAME"), raw_mac, msg["flags"], deleted, mode)


def _neighbour_event(msg, deleted: bool) -> NeighbourEvent | None:
    dst = msg.get("NDA_DST")
    if dst is None:
        return None
    family = msg["family"]
    try:
        address = socket.inet_pton(family, dst)
    except (OSError, ValueError):
        return None
    lladdr = msg.get("NDA_LLADDR")
    mac = None
    if isinstance(lladdr, str) and lladdr.count(":") == 5:
        mac = mac_raw(lladdr)
    return NeighbourEvent(msg["ifindex"], family, address, mac, msg["state"], deleted)


def decode_events(data: bytes, marshal: MarshalRtnl | None = None) -> list[LinkEvent | NeighbourEvent]:
    """Events in one netlink datagram (unknown message types are skipped)."""
    out: list[LinkEvent | NeighbourEvent] = []
    for msg in (marshal or MarshalRtnl()).parse(data):
        kind = msg["header"]["type"]
        if kind in (RTM_NEWLINK, RTM_DELLINK):
            out.append(_link_event(msg, kind == RTM_DELLINK))
        elif kind in (RTM_NEWNEIGH, RTM_DELNEIGH):
            event = _neighbour_event(msg, kind == RTM_DELNEIGH)
            if event is not None:
                out.append(event)
    return out


class Rtnl:
    """Blocking rtnetlink requests on a private socket."""

    def __init__(self) -> None:
        self.sock = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE
        )
        self.sock.bind((0, 0))
        self.sock.settimeout(5.0)
        self._seq = itertools.count(1)
        self._marshal = MarshalRtnl()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, msg, msg_type: int, flags: int) -> list:
        seq = next(self._seq)
        msg["header"]["type"] = msg_type
        msg["header"]["flags"] = flags
        msg["header"]["sequence_number"] = seq
        msg["header"]["pid"] = 0
        msg.encode()
        self.sock.send(msg.data)
        replies = []
        while True:
            data = self.sock.recv(1 << 16)
            done = False
            for reply in self._marshal.parse(data):
                header = reply["header"]
                if header["sequence_number"] != seq:
                    continue
                if header["type"] == NLMSG_ERROR:
                    code = reply["error"]
                    if code:
                        code = abs(code)
                        raise OSError(code, f"netlink: {os.strerror(code)}")
                    done = True
                elif header["type"] == NLMSG_DONE:
                    done = True
                else:
                    replies.append(reply)
                    if not flags & NLM_F_DUMP and not flags & NLM_F_ACK:
                        done = True
            if done:
                return replies

    # -- links ------------------------------------------------------------------------------------

    def links(self) -> list[LinkEvent]:
        return [
            _link_event(m, False) for m in self.request(ifinfmsg(), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP)
        ]

    def link(self, name: str) -> LinkEvent | None:
        for link in self.links():
            if link.name == name:
                return link
        return None

    def _set_link(self, index: int, attrs: list, flags: int = 0, change: int = 0) -> None:
        msg = ifinfmsg()
        msg["index"] = index
        msg["flags"] = flags
        msg["change"] = change
        msg["attrs"] = attrs
        self.request(msg, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK)

    def set_mac(self, index: int, mac: str | bytes) -> None:
        self._set_link(index, [("IFLA_ADDRESS", mac_str(mac_raw(mac)))])

    def set_up(self, index: int, up: bool) -> None:
        self._set_link(index, [], IFF_UP if up else 0, IFF_UP)

    def set_addr_gen_mode(self, index: int, mode: int) -> None:
        spec = {"attrs": [("AF_INET6", {"attrs": [("IFLA_INET6_ADDR_GEN_MODE", mode)]})]}
        self._set_link(index, [("IFLA_AF_SPEC", spec)])

    # -- addresses --------------------------------------------------------------------------------

    def addresses(self, index: int | None = None, family: int = socket.AF_INET6) -> list[AddressInfo]:
        msg = ifaddrmsg()
        msg["family"] = family
        out = []
        for m in self.request(msg, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP):
            if index is not None and m["index"] != index:
                continue
            addr = m.get("IFA_ADDRESS") or m.get("IFA_LOCAL")
            if addr is None:
                continue
            flags = m.get("IFA_FLAGS")
            out.append(
                AddressInfo(
                    m["index"],
                    socket.inet_pton(family, addr),
                    m["prefixlen"],
                    m["flags"] if flags is None else flags,
                    m["scope"],
                )
            )
        return out

    def _addr(
        self, kind: int, flags: int, index: int, address: bytes, prefixlen: int, ifa_flags: int
    ) -> None:
        msg = ifaddrmsg()
        msg["family"] = socket.AF_INET6
        msg["prefixlen"] = prefixlen
        msg["flags"] = ifa_flags & 0xFF
        msg["scope"] = RT_SCOPE_LINK if is_link_local(address) else 0
        msg["index"] = index
        msg["attrs"] = [("IFA_ADDRESS", ip6_str(address)), ("IFA_FLAGS", ifa_flags)]
        self.request(msg, kind, flags)

    def add_address(self, index: int, address: bytes, prefixlen: int = 64, nodad: bool = True) -> None:
        flags = IFA_F_PERMANENT | (IFA_F_NODAD if nodad else 0)
        self._addr(
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
            index,
            address,
            prefixlen,
            flags,
        )

    def del_address(self, index: int, address: bytes, prefixlen: int) -> None:
        self._addr(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, index, address, prefixlen, 0)

    # -- neighbours -------------------------------------------------------------------------------

    def neighbours(self, family: int = socket.AF_INET6) -> list[NeighbourEvent]:
        msg = ndmsg()
        msg["family"] = family
        out = []
        for m in self.request(msg, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP):
            event = _neighbour_event(m, False)
            if event is not None:
                out.append(event)
        return out


class RtnlMonitor:
    """Link and neighbour events, non-blocking, for ``loop.add_reader(monitor.fileno(), ...)``."""

    def __init__(self, groups: int = RTMGRP_LINK | RTMGRP_NEIGH, rcvbuf: int = 1 << 20) -> None:
        self.sock = socket.socket(
            socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE
        )
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.bind((0, groups))
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise
        self._marshal = MarshalRtnl()
        self.overflowed = False  # ENOBUFS: events were lost; the owner should re-read the tables

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self, budget: int = 64) -> list[LinkEvent | NeighbourEvent]:
        events: list[LinkEvent | NeighbourEvent] = []
        for _ in range(budget):
            try:
                data = self.sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self.overflowed = True
                    continue
                raise
            events.extend(decode_events(data, self._marshal))
        return events

    def close(self) -> None:
        self.sock.close()


def setup_access_interface(
    rtnl: Rtnl,
    name: str,
    mac: str | bytes = FIXED_MAC,
    link_local: str | bytes = FIXED_LINK_LOCAL,
    remove_other_link_local: bool = True,
) -> list[str]:
    """Make ``name`` look like the domain's one router (RFC 6543).  Idempotent; returns the changes.

    1. MAC := ``mac`` (00:00:5e:00:52:13): the L2 source of everything the MAG sends on the
       link, matching the Source Link-Layer Address option of its RAs.  Changed live; if the
       driver refuses (EBUSY), the link is taken down for the change and brought back up.
    2. ``addr_gen_mode`` := none: the kernel generates no link-local address of its own (a MAC
       change does not regenerate it, and stable-privacy would derive a different one).
    3. ``link_local`` (fe80::200:5eff:fe00:5213) added ``nodad``: usable at once, no 1 s
       tentative period (DAD is pointless: every MAG of the domain uses this address by design).
       A tentative or DAD-failed copy is replaced.
    4. Other link-local addresses on the interface are removed (the kernel's EUI-64 address of
       the old MAC), so neither the kernel's ND nor anything else uses another router identity.

    An administrative down flushes the interface's IPv6 addresses: run this again on link up
    (``AccessLink`` does, on every RTM_NEWLINK that reports the interface up)."""
    link = rtnl.link(name)
    if link is None:
        raise OSError(errno.ENODEV, f"access interface {name!r} does not exist")
    want_mac = mac_raw(mac)
    lla = ip6_raw(link_local)
    changes: list[str] = []
    if link.mac != want_mac:
        try:
            rtnl.set_mac(link.index, want_mac)
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            rtnl.set_up(link.index, False)
            rtnl.set_mac(link.index, want_mac)
            if link.flags & IFF_UP:
                rtnl.set_up(link.index, True)
        changes.append(f"mac {mac_str(want_mac)}")
    if link.addr_gen_mode != IN6_ADDR_GEN_MODE_NONE:
        rtnl.set_addr_gen_mode(link.index, IN6_ADDR_GEN_MODE_NONE)
        changes.append("addr_gen_mode none")
    present = False
    for addr in rtnl.addresses(link.index):
        if not is_link_local(addr.address):
            continue
        if addr.address == lla and not addr.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED):
            present = True
        elif addr.address == lla or remove_other_link_local:
            try:
                rtnl.del_address(link.index, addr.address, addr.prefixlen)
            except OSError as exc:
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
            changes.append(f"removed {ip6_str(addr.address)}")
    if not present:
        rtnl.add_address(link.index, lla, 64, nodad=True)
        changes.append(f"added {ip6_str(lla)} nodad")
    if changes:
        log.info("access interface %s: %s", name, ", ".join(changes))
    return changes


__all__ = [
    "NUD_DELAY",
    "NUD_FAILED",
    "NUD_INCOMPLETE",
    "NUD_NOARP",
    "NUD_PERMANENT",
    "NUD_PROBE",
    "NUD_REACHABLE",
    "NUD_STALE",
    "AddressInfo",
    "LinkEvent",
    "NeighbourEvent",
    "Rtnl",
    "RtnlMonitor",
    "decode_events",
    "setup_access_interface",
]

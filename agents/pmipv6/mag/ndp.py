"""Neighbor Discovery (RFC 4861) messages the MAG sends and receives on its access links.

Pure byte building and parsing; no sockets.  Every message is the ICMPv6 part only: the kernel
adds the IPv6 header and computes the checksum of a raw ``IPPROTO_ICMPV6`` socket (the checksum
field is left zero here).

* Router Advertisement (§4.2) with Prefix Information (§4.6.2), Source Link-Layer Address
  (§4.6.1) and MTU (§4.6.4) options: what the MAG sends to each mobile node.
* Neighbor Solicitation (§4.3): the detach poller's unicast NUD probe.
* Router Solicitation (§4.1) and Neighbor Advertisement (§4.4): parsed and validated as §6.1.1
  and §7.1.2 require (hop limit 255, code 0, lengths, option lengths).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

# RFC 6543: the link-local and link-layer addresses every MAG of a domain uses on its access links.
FIXED_LINK_LOCAL = "fe80::200:5eff:fe00:5213"
FIXED_MAC = "00:00:5e:00:52:13"

ICMPV6_ROUTER_SOLICIT = 133
ICMPV6_ROUTER_ADVERT = 134
ICMPV6_NEIGHBOR_SOLICIT = 135
ICMPV6_NEIGHBOR_ADVERT = 136

OPT_SOURCE_LLA = 1
OPT_TARGET_LLA = 2
OPT_PREFIX_INFO = 3
OPT_MTU = 5

PIO_ON_LINK = 0x80  # L
PIO_AUTONOMOUS = 0x40  # A
RA_MANAGED = 0x80  # M
RA_OTHER = 0x40  # O
NA_ROUTER = 0x80
NA_SOLICITED = 0x40
NA_OVERRIDE = 0x20

ND_HOP_LIMIT = 255  # §6.1.1 / §7.1.1: anything else did not originate on the link
MAX_ROUTER_LIFETIME = 9000  # §6.2.1 AdvDefaultLifetime upper bound
INFINITE_LIFETIME = 0xFFFFFFFF
UNSPECIFIED = bytes(16)

Prefix = tuple[bytes, int]  # 16 raw octets, prefix length (the engine's representation)


class NdpError(ValueError):
    """A received Neighbor Discovery message fails validation."""


# -- addresses ------------------------------------------------------------------------------------


def mac_raw(mac: str | bytes) -> bytes:
    """``"00:00:5e:00:52:13"`` (or ``-`` separated, or 6 raw octets) -> 6 octets."""
    if isinstance(mac, bytes | bytearray):
        raw = bytes(mac)
    else:
        try:
            raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
        except ValueError:
            raise ValueError(f"not a MAC address: {mac!r}") from None
    if len(raw) != 6:
        raise ValueError(f"not a 48-bit MAC address: {mac!r}")
    return raw


def mac_str(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def ip6_raw(addr: str | bytes) -> bytes:
    if isinstance(addr, bytes | bytearray):
        if len(addr) != 16:
            raise ValueError(f"not an IPv6 address: {addr!r}")
        return bytes(addr)
    return ipaddress.IPv6Address(addr.split("%", 1)[0]).packed


def ip6_str(raw: bytes) -> str:
    return str(ipaddress.IPv6Address(raw))


def is_link_local(raw: bytes) -> bool:
    return raw[0] == 0xFE and (raw[1] & 0xC0) == 0x80


def eui64_link_local(mac: str | bytes) -> bytes:
    """The link-local address a host derives from ``mac`` by modified EUI-64 (RFC 4291 App. A).

    With the fixed MAC 00:00:5e:00:52:13 this is exactly fe80::200:5eff:fe00:5213."""
    m = mac_raw(mac)
    return b"\xfe\x80" + bytes(6) + bytes((m[0] ^ 0x02, m[1], m[2], 0xFF, 0xFE, m[3], m[4], m[5]))


def masked_prefix(prefix: bytes, length: int) -> bytes:
    """The prefix with every bit after ``length`` cleared (§4.6.2: those bits MUST be zero)."""
    if not 0 <= length <= 128:
        raise ValueError(f"prefix length {length} out of range")
    value = int.from_bytes(ip6_raw(prefix), "big")
    mask = ((1 << 128) - 1) ^ ((1 << (128 - length)) - 1)
    return (value & mask).to_bytes(16, "big")


# -- options --------------------------------------------------------------------------------------


def lla_option(kind: int, mac: str | bytes) -> bytes:
    """Source/Target Link-Layer Address option for Ethernet: type, length 1 (8 octets), MAC."""
    return bytes((kind, 1)) + mac_raw(mac)


def prefix_option(prefix: bytes, length: int, valid: int, preferred: int, flags: int) -> bytes:
    """Prefix Information option (§4.6.2): 32 octets."""
    if preferred > valid:
        raise ValueError(f"preferred lifetime {preferred} exceeds valid lifetime {valid}")
    return struct.pack(
        "!BBBBIII16s", OPT_PREFIX_INFO, 4, length, flags, valid, preferred, 0, masked_prefix(prefix, length)
    )


def mtu_option(mtu: int) -> bytes:
    if not 1280 <= mtu <= 0xFFFFFFFF:
        raise ValueError(f"MTU {mtu} below the IPv6 minimum of 1280")
    return struct.pack("!BBHI", OPT_MTU, 1, 0, mtu)


def parse_options(data: bytes) -> list[tuple[int, bytes]]:
    """(type, whole option bytes) for each option; §6.1.1/§7.1.1: no option may have length 0."""
    options, offset = [], 0
    while offset < len(data):
        if len(data) - offset < 2:
            raise NdpError("truncated option header")
        kind, units = data[offset], data[offset + 1]
        if units == 0:
            raise NdpError(f"option type {kind} with length 0")
        end = offset + units * 8
        if end > len(data):
            raise NdpError(f"option type {kind} runs past the end of the message")
        options.append((kind, data[offset:end]))
        offset = end
    return options


def _lla_from(options: list[tuple[int, bytes]], kind: int) -> bytes | None:
    for opt_kind, body in options:
        if opt_kind == kind and len(body) >= 8:
            return body[2:8]
    return None


# -- Router Advertisement -------------------------------------------------------------------------


@dataclass(frozen=True)
class RaFields:
    """Header fields of an RA; the defaults are what a PMIPv6 MAG sends for SLAAC."""

    cur_hop_limit: int = 64
    managed: bool = False
    other: bool = False
    reachable_time: int = 0  # ms; 0 = unspecified
    retrans_timer: int = 0  # ms; 0 = unspecified
    mtu: int | None = None
    valid_lifetime_max: int = INFINITE_LIFETIME  # PIO caps besides the binding's remaining lifetime
    preferred_lifetime_max: int = INFINITE_LIFETIME


def build_ra(
    prefixes: list[Prefix] | tuple[Prefix, ...],
    remaining: float,
    router_lifetime: int = 1800,
    source_mac: str | bytes = FIXED_MAC,
    fields: RaFields = RaFields(),
) -> bytes:
    """An RA for ONE mobile node: a PIO (L=1, A=1) per prefix of that MN, SLLA, optional MTU.

    ``remaining`` is what is left of the MN's binding in seconds: the PIO valid and preferred
    lifetimes and the router lifetime are never longer (a fraction of a second rounds down).
    ``router_lifetime`` 0 builds the final RA of a detach; it then carries no prefixes."""
    if not 0 <= router_lifetime <= 0xFFFF:
        raise ValueError(f"router lifetime {router_lifetime} out of range")
    left = max(0, int(remaining))
    flags = (RA_MANAGED if fields.managed else 0) | (RA_OTHER if fields.other else 0)
    lifetime = min(router_lifetime, left, MAX_ROUTER_LIFETIME) if router_lifetime else 0
    out = bytearray(
        struct.pack(
            "!BBHBBHII",
            ICMPV6_ROUTER_ADVERT,
            0,
            0,  # checksum: the kernel fills it in
            fields.cur_hop_limit,
            flags,
            lifetime,
            fields.reachable_time,
            fields.retrans_timer,
        )
    )
    out += lla_option(OPT_SOURCE_LLA, source_mac)
    if fields.mtu is not None:
        out += mtu_option(fields.mtu)
    if router_lifetime:
        valid = min(left, fields.valid_lifetime_max)
        preferred = min(left, fields.preferred_lifetime_max, valid)
        seen = set()
        for prefix, length in prefixes:
            key = (masked_prefix(prefix, length), length)
            if key in seen:
                continue
            seen.add(key)
            out += prefix_option(key[0], length, valid, preferred, PIO_ON_LINK | PIO_AUTONOMOUS)
    return bytes(out)


def build_final_ra(source_mac: str | bytes = FIXED_MAC, fields: RaFields = RaFields()) -> bytes:
    """Router lifetime 0 (§6.2.5 style withdrawal for one MN): the MN drops us as default router."""
    return build_ra((), 0, 0, source_mac, fields)


@dataclass(frozen=True)
class RouterAdvertisement:
    cur_hop_limit: int
    flags: int
    router_lifetime: int
    reachable_time: int
    retrans_timer: int
    source_mac: bytes | None
    mtu: int | None
    prefixes: tuple[tuple[bytes, int, int, int, int], ...]  # prefix, length, flags, valid, preferred


def parse_ra(data: bytes) -> RouterAdvertisement:
    """Decode an RA (used by tests and the troubleshooting docs; the MAG never receives RAs)."""
    if len(data) < 16 or data[0] != ICMPV6_ROUTER_ADVERT or data[1] != 0:
        raise NdpError("not a Router Advertisement")
    hop, flags, rl, reach, retrans = struct.unpack_from("!BBHII", data, 4)
    options = parse_options(data[16:])
    mtu, prefixes = None, []
    for kind, body in options:
        if kind == OPT_MTU and len(body) == 8:
            mtu = struct.unpack_from("!I", body, 4)[0]
        elif kind == OPT_PREFIX_INFO and len(body) == 32:
            length, pflags, valid, preferred = struct.unpack_from("!BBII", body, 2)
            prefixes.append((body[16:32], length, pflags, valid, preferred))
    return RouterAdvertisement(
        hop, flags, rl, reach, retrans, _lla_from(options, OPT_SOURCE_LLA), mtu, tuple(prefixes)
    )


# -- solicitations and advertisements -------------------------------------------------------------


def build_ns(target: bytes, source_mac: str | bytes = FIXED_MAC) -> bytes:
    """Unicast Neighbor Solicitation for ``target`` (a NUD probe, §7.2.2), with SLLA."""
    return struct.pack("!BBHI16s", ICMPV6_NEIGHBOR_SOLICIT, 0, 0, 0, ip6_raw(target)) + lla_option(
        OPT_SOURCE_LLA, source_mac
    )


def build_rs(source_mac: str | bytes | None = None) -> bytes:
    """A Router Solicitation (tests use it to play a mobile node)."""
    body = struct.pack("!BBHI", ICMPV6_ROUTER_SOLICIT, 0, 0, 0)
    return body + (lla_option(OPT_SOURCE_LLA, source_mac) if source_mac is not None else b"")


@dataclass(frozen=True)
class RouterSolicitation:
    source: bytes  # IPv6 source (may be the unspecified address)
    source_mac: bytes | None  # Source Link-Layer Address option


def parse_rs(data: bytes, source: bytes, hop_limit: int | None) -> RouterSolicitation:
    """Validate a received RS (§6.1.1) and return its source and SLLA."""
    if hop_limit is not None and hop_limit != ND_HOP_LIMIT:
        raise NdpError(f"hop limit {hop_limit}, not 255")
    if len(data) < 8:
        raise NdpError(f"RS of {len(data)} octets")
    if data[0] != ICMPV6_ROUTER_SOLICIT or data[1] != 0:
        raise NdpError(f"not an RS (type {data[0]} code {data[1]})")
    options = parse_options(data[8:])
    slla = _lla_from(options, OPT_SOURCE_LLA)
    if source == UNSPECIFIED and slla is not None:
        raise NdpError("RS from the unspecified address with a Source Link-Layer Address option")
    return RouterSolicitation(source, slla)


@dataclass(frozen=True)
class NeighborAdvertisement:
    target: bytes
    flags: int
    target_mac: bytes | None


def parse_na(data: bytes, hop_limit: int | None) -> NeighborAdvertisement:
    """Validate a received NA (§7.1.2)."""
    if hop_limit is not None and hop_limit != ND_HOP_LIMIT:
        raise NdpError(f"hop limit {hop_limit}, not 255")
    if len(data) < 24:
        raise NdpError(f"NA of {len(data)} octets")
    if data[0] != ICMPV6_NEIGHBOR_ADVERT or data[1] != 0:
        raise NdpError(f"not an NA (type {data[0]} code {data[1]})")
    target = data[8:24]
    if target[0] == 0xFF:
        raise NdpError("NA for a multicast target")
    options = parse_options(data[24:])
    return NeighborAdvertisement(target, data[4], _lla_from(options, OPT_TARGET_LLA))

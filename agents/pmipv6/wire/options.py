"""Mobility options: one small class per option, each knowing its data layout and alignment.

Addresses and prefixes are kept as raw 16-octet ``bytes`` (fast to compare, hash and store);
use the ``from_str``/``__str__`` helpers for text.  Pad1/PadN never appear in decoded option
lists: the encoder inserts padding itself to meet each option's alignment rule.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import ClassVar

from .codes import MNIdSubtype, OptionType
from .errors import DecodeError, EncodeError

_IPV6 = socket.AF_INET6
_NAI = int(MNIdSubtype.NAI)
_IPV4 = socket.AF_INET


def ipv6_bytes(text: str) -> bytes:
    return socket.inet_pton(_IPV6, text)


def ipv6_text(raw: bytes) -> str:
    return socket.inet_ntop(_IPV6, raw)


def _fixed(data: bytes, size: int, name: str) -> None:
    if len(data) != size:
        raise DecodeError(f"{name} option: length {len(data)}, expected {size}")


class Option:
    """Base class. ``ALIGN`` is (x, y) for an 'xn+y' rule, or None."""

    __slots__ = ()
    TYPE: ClassVar[int]
    ALIGN: ClassVar[tuple[int, int] | None] = None

    def to_data(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_data(cls, data: bytes) -> Option:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(slots=True)
class UnknownOption(Option):
    """An option this codec does not interpret; re-encoded byte for byte."""

    type: int
    data: bytes = b""

    @property
    def TYPE(self) -> int:  # noqa: N802 - mirrors the class attribute of known options
        return self.type

    def to_data(self) -> bytes:
        if not 2 <= self.type <= 255:
            raise EncodeError(f"unknown option type {self.type} out of range 2..255")
        return bytes(self.data)


@dataclass(slots=True)
class MobileNodeIdentifier(Option):
    """MN-ID (RFC 4283, RFC 8371 subtypes). NAI identifiers are str, the others bytes."""

    TYPE: ClassVar[int] = OptionType.MN_ID
    identifier: str | bytes
    subtype: int = MNIdSubtype.NAI

    def to_data(self) -> bytes:
        ident = self.identifier
        raw = ident.encode("utf-8") if isinstance(ident, str) else bytes(ident)
        if not raw:
            raise EncodeError("MN-ID option: empty identifier")
        return bytes((self.subtype,)) + raw

    @classmethod
    def from_data(cls, data: bytes) -> MobileNodeIdentifier:
        if len(data) < 2:
            raise DecodeError("MN-ID option: empty identifier")
        subtype = data[0]
        if subtype == _NAI:
            try:
                return cls(str(data[1:], "utf-8"), _NAI)
            except UnicodeDecodeError:
                raise DecodeError("MN-ID option: NAI is not valid UTF-8") from None
        return cls(bytes(data[1:]), subtype)

    @property
    def text(self) -> str:
        """The identifier as text: the NAI itself, else subtype-prefixed hex."""
        if isinstance(self.identifier, str):
            return self.identifier
        return f"{self.subtype}:{self.identifier.hex()}"


@dataclass(slots=True)
class MobilityMessageAuthentication(Option):
    """RFC 4285 AUTH option. Must be the last option of its message."""

    TYPE: ClassVar[int] = OptionType.AUTH
    spi: int
    authenticator: bytes = b""
    subtype: int = 1  # MN-HA

    def to_data(self) -> bytes:
        return struct.pack("!BI", self.subtype, self.spi) + bytes(self.authenticator)

    @classmethod
    def from_data(cls, data: bytes) -> MobilityMessageAuthentication:
        if len(data) < 5:
            raise DecodeError(f"AUTH option: length {len(data)}, expected at least 5")
        subtype, spi = struct.unpack_from("!BI", data)
        return cls(spi, bytes(data[5:]), subtype)


@dataclass(slots=True)
class VendorSpecific(Option):
    """RFC 5094: Vendor ID (IANA enterprise number), sub-type, opaque data."""

    TYPE: ClassVar[int] = OptionType.VENDOR_SPECIFIC
    ALIGN: ClassVar[tuple[int, int]] = (4, 2)
    vendor_id: int
    subtype: int
    data: bytes = b""

    def to_data(self) -> bytes:
        return struct.pack("!IB", self.vendor_id, self.subtype) + bytes(self.data)

    @classmethod
    def from_data(cls, data: bytes) -> VendorSpecific:
        if len(data) < 5:
            raise DecodeError(f"Vendor-Specific option: length {len(data)}, expected at least 5")
        vendor_id, subtype = struct.unpack_from("!IB", data)
        return cls(vendor_id, subtype, bytes(data[5:]))


_HNP = struct.Struct("!xB16s")


@dataclass(slots=True)
class HomeNetworkPrefix(Option):
    """HNP (RFC 5213 §8.3). ``prefix`` is 16 raw octets; ::/0 is ALL_ZERO ("please assign")."""

    TYPE: ClassVar[int] = OptionType.HOME_NETWORK_PREFIX
    ALIGN: ClassVar[tuple[int, int]] = (8, 4)
    prefix: bytes
    length: int

    def to_data(self) -> bytes:
        if len(self.prefix) != 16 or not 0 <= self.length <= 128:
            raise EncodeError("HNP option: prefix must be 16 octets and length 0..128")
        return _HNP.pack(self.length, self.prefix)

    @classmethod
    def from_data(cls, data: bytes) -> HomeNetworkPrefix:
        _fixed(data, 18, "HNP")
        length, prefix = _HNP.unpack(data)
        if length > 128:
            raise DecodeError(f"HNP option: prefix length {length} > 128")
        return cls(prefix, length)

    @classmethod
    def from_str(cls, text: str) -> HomeNetworkPrefix:
        addr, _, plen = text.partition("/")
        return cls(ipv6_bytes(addr), int(plen or 128))

    @property
    def is_all_zero(self) -> bool:
        return self.length == 0 and self.prefix == ZERO16

    @property
    def key(self) -> tuple[bytes, int]:
        return (self.prefix, self.length)

    def __str__(self) -> str:
        return f"{ipv6_text(self.prefix)}/{self.length}"


ZERO16 = bytes(16)


def _two_octet(data: bytes, name: str) -> int:
    _fixed(data, 2, name)
    return data[1]


@dataclass(slots=True)
class HandoffIndicatorOption(Option):
    TYPE: ClassVar[int] = OptionType.HANDOFF_INDICATOR
    value: int

    def to_data(self) -> bytes:
        return bytes((0, self.value))

    @classmethod
    def from_data(cls, data: bytes) -> HandoffIndicatorOption:
        return cls(_two_octet(data, "Handoff Indicator"))


@dataclass(slots=True)
class AccessTechnologyType(Option):
    TYPE: ClassVar[int] = OptionType.ACCESS_TECHNOLOGY_TYPE
    value: int

    def to_data(self) -> bytes:
        return bytes((0, self.value))

    @classmethod
    def from_data(cls, data: bytes) -> AccessTechnologyType:
        return cls(_two_octet(data, "Access Technology Type"))


@dataclass(slots=True)
class MNLinkLayerIdentifier(Option):
    """MN-LL-ID (RFC 5213 §8.6): 2 reserved octets, then the link-layer identifier."""

    TYPE: ClassVar[int] = OptionType.MN_LINK_LAYER_ID
    identifier: bytes

    def to_data(self) -> bytes:
        if not self.identifier:
            raise EncodeError("MN-LL-ID option: empty identifier")
        return b"\0\0" + bytes(self.identifier)

    @classmethod
    def from_data(cls, data: bytes) -> MNLinkLayerIdentifier:
        if len(data) < 3:
            raise DecodeError("MN-LL-ID option: empty identifier")
        return cls(bytes(data[2:]))

    @classmethod
    def from_mac(cls, mac: str) -> MNLinkLayerIdentifier:
        return cls(mac_bytes(mac))

    def __str__(self) -> str:
        return mac_text(self.identifier)


def mac_bytes(mac: str) -> bytes:
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) not in (6, 8):
        raise ValueError(f"not a MAC address: {mac!r}")
    return raw


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


@dataclass(slots=True)
class LinkLocalAddress(Option):
    TYPE: ClassVar[int] = OptionType.LINK_LOCAL_ADDRESS
    ALIGN: ClassVar[tuple[int, int]] = (8, 6)
    address: bytes

    def to_data(self) -> bytes:
        if len(self.address) != 16:
            raise EncodeError("Link-local Address option: address must be 16 octets")
        return bytes(self.address)

    @classmethod
    def from_data(cls, data: bytes) -> LinkLocalAddress:
        _fixed(data, 16, "Link-local Address")
        return cls(bytes(data))

    def __str__(self) -> str:
        return ipv6_text(self.address)


_U64 = struct.Struct("!Q")


@dataclass(slots=True)
class Timestamp(Option):
    """RFC 5213 §8.8: 48 bits of seconds since 1970 and 16 bits of 1/65536 s (not NTP format)."""

    TYPE: ClassVar[int] = OptionType.TIMESTAMP
    ALIGN: ClassVar[tuple[int, int]] = (8, 2)
    value: int

    def to_data(self) -> bytes:
        return _U64.pack(self.value)

    @classmethod
    def from_data(cls, data: bytes) -> Timestamp:
        _fixed(data, 8, "Timestamp")
        return cls(_U64.unpack(data)[0])

    @classmethod
    def from_seconds(cls, seconds: float) -> Timestamp:
        return cls(seconds_to_timestamp(seconds))

    @property
    def seconds(self) -> float:
        return self.value / 65536.0


def seconds_to_timestamp(seconds: float) -> int:
    whole = int(seconds)
    return (whole << 16) | int((seconds - whole) * 65536)


_U32 = struct.Struct("!I")


@dataclass(slots=True)
class RestartCounter(Option):
    """RFC 5847 §5.2."""

    TYPE: ClassVar[int] = OptionType.RESTART_COUNTER
    value: int

    def to_data(self) -> bytes:
        return _U32.pack(self.value)

    @classmethod
    def from_data(cls, data: bytes) -> RestartCounter:
        _fixed(data, 4, "Restart Counter")
        return cls(_U32.unpack(data)[0])


@dataclass(slots=True)
class GreKey(Option):
    """RFC 5845. ``key`` None is the form with no key field (Length 2)."""

    TYPE: ClassVar[int] = OptionType.GRE_KEY
    ALIGN: ClassVar[tuple[int, int]] = (4, 2)
    key: int | None = None

    def to_data(self) -> bytes:
        return b"\0\0" if self.key is None else b"\0\0" + _U32.pack(self.key)

    @classmethod
    def from_data(cls, data: bytes) -> GreKey:
        if len(data) == 2:
            return cls(None)
        _fixed(data, 6, "GRE Key")
        return cls(_U32.unpack_from(data, 2)[0])


def ipv4_bytes(text: str) -> bytes:
    return socket.inet_pton(_IPV4, text)


def ipv4_text(raw: bytes) -> str:
    return socket.inet_ntop(_IPV4, raw)


@dataclass(slots=True)
class IPv4HomeAddressRequest(Option):
    """RFC 5844 §3.1: prefix length (6 bits) + 10 reserved bits, IPv4 HoA (0.0.0.0 = allocate)."""

    TYPE: ClassVar[int] = OptionType.IPV4_HOA_REQUEST
    ALIGN: ClassVar[tuple[int, int]] = (4, 0)
    address: bytes = bytes(4)
    prefix_length: int = 0

    def to_data(self) -> bytes:
        if len(self.address) != 4 or not 0 <= self.prefix_length <= 32:
            raise EncodeError("IPv4 HoA Request option: bad address or prefix length")
        return struct.pack("!H4s", self.prefix_length << 10, self.address)

    @classmethod
    def from_data(cls, data: bytes) -> IPv4HomeAddressRequest:
        _fixed(data, 6, "IPv4 HoA Request")
        word, addr = struct.unpack("!H4s", data)
        return cls(addr, word >> 10)


@dataclass(slots=True)
class IPv4HomeAddressReply(Option):
    """RFC 5844 §3.2: status, prefix length (6 bits) + 2 reserved bits, IPv4 HoA."""

    TYPE: ClassVar[int] = OptionType.IPV4_HOA_REPLY
    ALIGN: ClassVar[tuple[int, int]] = (4, 0)
    status: int = 0
    address: bytes = bytes(4)
    prefix_length: int = 0

    def to_data(self) -> bytes:
        if len(self.address) != 4 or not 0 <= self.prefix_length <= 32:
            raise EncodeError("IPv4 HoA Reply option: bad address or prefix length")
        return struct.pack("!BB4s", self.status, self.prefix_length << 2, self.address)

    @classmethod
    def from_data(cls, data: bytes) -> IPv4HomeAddressReply:
        _fixed(data, 6, "IPv4 HoA Reply")
        status, plen, addr = struct.unpack("!BB4s", data)
        return cls(status, addr, plen >> 2)


@dataclass(slots=True)
class IPv4DefaultRouterAddress(Option):
    """RFC 5844 §3.4: 2 reserved octets, IPv4 address."""

    TYPE: ClassVar[int] = OptionType.IPV4_DEFAULT_ROUTER
    ALIGN: ClassVar[tuple[int, int]] = (4, 0)
    address: bytes

    def to_data(self) -> bytes:
        if len(self.address) != 4:
            raise EncodeError("IPv4 Default-Router option: address must be 4 octets")
        return b"\0\0" + bytes(self.address)

    @classmethod
    def from_data(cls, data: bytes) -> IPv4DefaultRouterAddress:
        _fixed(data, 6, "IPv4 Default-Router Address")
        return cls(bytes(data[2:]))


OPTION_CLASSES: dict[int, type[Option]] = {
    cls.TYPE: cls
    for cls in (
        MobileNodeIdentifier,
        MobilityMessageAuthentication,
        VendorSpecific,
        HomeNetworkPrefix,
        HandoffIndicatorOption,
        AccessTechnologyType,
        MNLinkLayerIdentifier,
        LinkLocalAddress,
        Timestamp,
        RestartCounter,
        GreKey,
        IPv4HomeAddressRequest,
        IPv4HomeAddressReply,
        IPv4DefaultRouterAddress,
    )
}


def decode_options(data: bytes, start: int, end: int) -> list[Option]:
    """Parse the option area data[start:end]; padding is validated and dropped."""
    options: list[Option] = []
    append = options.append
    classes = OPTION_CLASSES
    i = start
    while i < end:
        otype = data[i]
        if otype == 0:  # Pad1
            i += 1
            continue
        if i + 2 > end:
            raise DecodeError(f"option type {otype} at offset {i}: truncated before its length")
        olen = data[i + 1]
        j = i + 2 + olen
        if j > end:
            raise DecodeError(f"option type {otype} at offset {i}: length {olen} overruns the message")
        # Inline the well-formed RFC 5213 options a PBU/PBA carries (the hot path); anything
        # else, including a malformed instance of these, goes through the class's checks.
        if otype == 22 and olen == 18 and data[i + 3] <= 128:
            append(_new_hnp(data[i + 4 : j], data[i + 3]))
        elif otype == 23 and olen == 2:
            append(_new_hi(data[i + 3]))
        elif otype == 24 and olen == 2:
            append(_new_att(data[i + 3]))
        elif otype == 27 and olen == 8:
            append(_new_ts(_from_bytes(data[i + 2 : j], "big")))
        elif otype == 25 and olen >= 3:
            append(_new_llid(data[i + 4 : j]))
        elif otype != 1:  # PadN content is not checked (RFC 6275 says ignore it)
            cls = classes.get(otype)
            body = data[i + 2 : j]
            append(cls.from_data(body) if cls is not None else UnknownOption(otype, body))
        i = j
    return options


_new_hnp, _new_hi, _new_att = HomeNetworkPrefix, HandoffIndicatorOption, AccessTechnologyType
_new_ts, _new_llid, _from_bytes = Timestamp, MNLinkLayerIdentifier, int.from_bytes


def encode_options(options, offset: int, out: bytearray) -> None:
    """Append options to ``out`` (which already holds ``offset`` octets), padding for alignment."""
    for opt in options:
        align = opt.ALIGN
        if align is not None:
            x, y = align
            gap = (y - offset) % x
            if gap == 1:
                out.append(0)
            elif gap:
                out += bytes((1, gap - 2)) + bytes(gap - 2)
            offset += gap
        data = opt.to_data()
        if len(data) > 255:
            raise EncodeError(f"option type {opt.TYPE}: data of {len(data)} octets exceeds 255")
        out.append(opt.TYPE)
        out.append(len(data))
        out += data
        offset += 2 + len(data)


def pad_to_8(out: bytearray) -> None:
    gap = -len(out) % 8
    if gap == 1:
        out.append(0)
    elif gap:
        out += bytes((1, gap - 2)) + bytes(gap - 2)

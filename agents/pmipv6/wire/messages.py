"""Mobility Header messages and the top-level encode()/decode().

Every message is a plain dataclass: fixed fields, then ``options`` (a list of option objects,
padding excluded).  ``lifetime`` is in seconds; on the wire it is carried in 4-second units,
so encoding a lifetime that is not a multiple of 4 is an error rather than a silent rounding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar

from . import fastpath
from .codes import BAFlag, BUFlag, MHType
from .errors import DecodeError, EncodeError, UnknownMHType
from .options import ZERO16, Option, decode_options, encode_options, pad_to_8

MAX_LIFETIME = 0xFFFF * 4
_MH = struct.Struct("!BBBBH")  # payload proto, header len, type, reserved, checksum


class Message:
    __slots__ = ()
    MH_TYPE: ClassVar[int]
    FIXED: ClassVar[int]  # octets before the first option (from the start of the MH)

    options: list[Option]

    def find(self, cls):
        """First option of class ``cls``, or None."""
        for opt in self.options:
            if type(opt) is cls:
                return opt
        return None

    def find_all(self, cls) -> list:
        return [opt for opt in self.options if type(opt) is cls]

    def _fixed_part(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fast(self) -> bytes | None:
        """Compiled encoding (``fastpath``) where the message class has one; None otherwise."""
        return None


def _lifetime_units(seconds: int) -> int:
    if seconds < 0 or seconds > MAX_LIFETIME or seconds % 4:
        raise EncodeError(f"lifetime {seconds} s is not a multiple of 4 in 0..{MAX_LIFETIME}")
    return seconds >> 2


_BU = struct.Struct("!HHH")


@dataclass(slots=True)
class ProxyBindingUpdate(Message):
    """Binding Update (MH 5); a Proxy Binding Update when the P flag is set (RFC 5213 §8.1)."""

    MH_TYPE: ClassVar[int] = MHType.BINDING_UPDATE
    FIXED: ClassVar[int] = 12
    sequence: int
    lifetime: int
    flags: int = BUFlag.A | BUFlag.P
    options: list[Option] = field(default_factory=list)

    @property
    def ack_requested(self) -> bool:
        return bool(self.flags & BUFlag.A)

    @property
    def proxy(self) -> bool:
        return bool(self.flags & BUFlag.P)

    def _fixed_part(self) -> bytes:
        return _BU.pack(self.sequence, self.flags, _lifetime_units(self.lifetime))

    def _fast(self) -> bytes | None:
        lifetime = self.lifetime
        if lifetime & 3 or not 0 <= lifetime <= MAX_LIFETIME:
            return None
        return fastpath.pack(5, "HHH", (self.sequence, self.flags, lifetime >> 2), self.options)

    @classmethod
    def _decode(cls, data: bytes) -> ProxyBindingUpdate:
        seq, flags, units = _BU.unpack_from(data, 6)
        return cls(seq, units << 2, flags, decode_options(data, 12, len(data)))


_BA = struct.Struct("!BBHH")


@dataclass(slots=True)
class ProxyBindingAck(Message):
    """Binding Acknowledgement (MH 6); proxy when the P flag is set (RFC 5213 §8.2)."""

    MH_TYPE: ClassVar[int] = MHType.BINDING_ACK
    FIXED: ClassVar[int] = 12
    status: int
    sequence: int
    lifetime: int
    flags: int = BAFlag.P
    options: list[Option] = field(default_factory=list)

    @property
    def proxy(self) -> bool:
        return bool(self.flags & BAFlag.P)

    def _fixed_part(self) -> bytes:
        return _BA.pack(self.status, self.flags, self.sequence, _lifetime_units(self.lifetime))

    def _fast(self) -> bytes | None:
        lifetime = self.lifetime
        if lifetime & 3 or not 0 <= lifetime <= MAX_LIFETIME:
            return None
        return fastpath.pack(6, "BBHH", (self.status, self.flags, self.sequence, lifetime >> 2), self.options)

    @classmethod
    def _decode(cls, data: bytes) -> ProxyBindingAck:
        status, flags, seq, units = _BA.unpack_from(data, 6)
        return cls(status, seq, units << 2, flags, decode_options(data, 12, len(data)))


_BE = struct.Struct("!Bx16s")


@dataclass(slots=True)
class BindingError(Message):
    """Binding Error (MH 7, RFC 6275 §6.1.9): status 2 answers an unrecognized MH type."""

    MH_TYPE: ClassVar[int] = MHType.BINDING_ERROR
    FIXED: ClassVar[int] = 24
    status: int
    home_address: bytes = ZERO16
    options: list[Option] = field(default_factory=list)

    def _fixed_part(self) -> bytes:
        if len(self.home_address) != 16:
            raise EncodeError("Binding Error: home address must be 16 octets")
        return _BE.pack(self.status, self.home_address)

    @classmethod
    def _decode(cls, data: bytes) -> BindingError:
        status, hoa = _BE.unpack_from(data, 6)
        return cls(status, hoa, decode_options(data, 24, len(data)))


_HB = struct.Struct("!HI")


@dataclass(slots=True)
class Heartbeat(Message):
    """Heartbeat (MH 13, RFC 5847 §5.1). ``flags``: U 0x2 (unsolicited), R 0x1 (response)."""

    MH_TYPE: ClassVar[int] = MHType.HEARTBEAT
    FIXED: ClassVar[int] = 12
    sequence: int
    flags: int = 0
    options: list[Option] = field(default_factory=list)

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 1)

    def _fixed_part(self) -> bytes:
        return _HB.pack(self.flags, self.sequence)

    @classmethod
    def _decode(cls, data: bytes) -> Heartbeat:
        flags, seq = _HB.unpack_from(data, 6)
        return cls(seq, flags, decode_options(data, 12, len(data)))


_BR = struct.Struct("!BBHH")


@dataclass(slots=True)
class BindingRevocation(Message):
    """Binding Revocation (MH 16, RFC 5846): BRI (br_type 1, ``code`` = trigger) or BRA
    (br_type 2, ``code`` = status)."""

    MH_TYPE: ClassVar[int] = MHType.BINDING_REVOCATION
    FIXED: ClassVar[int] = 12
    br_type: int
    code: int
    sequence: int
    flags: int = 0x8000
    options: list[Option] = field(default_factory=list)

    def _fixed_part(self) -> bytes:
        return _BR.pack(self.br_type, self.code, self.sequence, self.flags)

    @classmethod
    def _decode(cls, data: bytes) -> BindingRevocation:
        br_type, code, seq, flags = _BR.unpack_from(data, 6)
        return cls(br_type, code, seq, flags, decode_options(data, 12, len(data)))


MESSAGE_CLASSES: dict[int, type] = {
    cls.MH_TYPE: cls
    for cls in (ProxyBindingUpdate, ProxyBindingAck, BindingError, Heartbeat, BindingRevocation)
}


def encode(message: Message) -> bytes:
    """The Mobility Header for ``message``, checksum 0 (the kernel fills it on a raw MH socket)."""
    data = message._fast()
    return data if data is not None else encode_generic(message)


def encode_generic(message: Message) -> bytes:
    """Option-by-option encoding: covers every message; ``encode`` prefers the compiled path."""
    out = bytearray(_MH.pack(59, 0, message.MH_TYPE, 0, 0))
    try:
        out += message._fixed_part()
    except struct.error as exc:
        raise EncodeError(f"{type(message).__name__}: field out of range: {exc}") from None
    encode_options(message.options, len(out), out)
    pad_to_8(out)
    hlen = len(out) // 8 - 1
    if hlen > 255:
        raise EncodeError(f"message of {len(out)} octets exceeds the 2048-octet Mobility Header")
    out[1] = hlen
    return bytes(out)


def decode(data) -> Message:
    """Parse one Mobility Header. Raises only DecodeError (UnknownMHType for an unknown type)."""
    try:
        n = len(data)
        if n < 8:
            raise DecodeError(f"{n} octets: shorter than the 8-octet Mobility Header")
        total = (data[1] + 1) << 3
        if total != n:
            raise DecodeError(f"Header Len {data[1]} says {total} octets, message has {n}")
        cls = MESSAGE_CLASSES.get(data[2])
        if cls is None:
            raise UnknownMHType(data[2])
        if n < cls.FIXED:
            raise DecodeError(f"{cls.__name__}: {n} octets, fixed part needs {cls.FIXED}")
        if not isinstance(data, bytes):
            data = bytes(data)
        return cls._decode(data)
    except DecodeError:
        raise
    except Exception as exc:  # a bug in a parser must never escape as anything but DecodeError
        raise DecodeError(f"malformed Mobility Header: {exc!r}") from exc

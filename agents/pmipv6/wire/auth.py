"""RFC 4285 Mobility Message Authentication (MN-HA subtype) for PBU and PBA.

Authenticator = first 96 bits of HMAC-SHA1(key, Mobility Data), where Mobility Data is
care-of address | home address | the Mobility Header up to and including the SPI of the
AUTH option, with the checksum field zero.  For PMIPv6 the Proxy-CoA stands for the care-of
address and the LMA address for the home address, in both directions.
"""

from __future__ import annotations

import hashlib
import hmac

from .errors import DecodeError
from .messages import MESSAGE_CLASSES, Message, encode
from .options import MobilityMessageAuthentication, OptionType

AUTHENTICATOR_LEN = 12


def _digest(key: bytes, proxy_coa: bytes, lma: bytes, covered: bytes) -> bytes:
    covered = covered[:4] + b"\0\0" + covered[6:]  # checksum counts as zero
    return hmac.new(key, proxy_coa + lma + covered, hashlib.sha1).digest()[:AUTHENTICATOR_LEN]


def encode_signed(message: Message, spi: int, key: bytes, proxy_coa: bytes, lma: bytes) -> bytes:
    """Encode ``message`` with an AUTH option appended as its last option."""
    auth = MobilityMessageAuthentication(spi, bytes(AUTHENTICATOR_LEN))
    options = [o for o in message.options if type(o) is not MobilityMessageAuthentication]
    options.append(auth)
    saved = message.options
    message.options = options
    try:
        raw = bytearray(encode(message))
    finally:
        message.options = saved
    where = _auth_offset(raw)
    data_at = where + 2 + 5  # option type, length, subtype, SPI
    raw[data_at : data_at + AUTHENTICATOR_LEN] = _digest(key, proxy_coa, lma, bytes(raw[:data_at]))
    return bytes(raw)


def verify(data: bytes, spi: int, key: bytes, proxy_coa: bytes, lma: bytes) -> str | None:
    """None when ``data`` carries a valid AUTH option for ``spi``/``key``; otherwise why not."""
    try:
        where = _auth_offset(data)
    except DecodeError as exc:
        return str(exc)
    if where is None:
        return "missing AUTH option"
    length = data[where + 1]
    if length < 5 + AUTHENTICATOR_LEN:
        return "AUTH option too short"
    got_spi = int.from_bytes(data[where + 3 : where + 7], "big")
    if got_spi != spi:
        return f"unknown SPI {got_spi}"
    data_at = where + 7
    expected = _digest(key, proxy_coa, lma, bytes(data[:data_at]))
    if not hmac.compare_digest(expected, bytes(data[data_at : data_at + AUTHENTICATOR_LEN])):
        return "authenticator mismatch"
    return None


def _auth_offset(data) -> int | None:
    """Offset of the AUTH option, which must be the last non-padding option."""
    cls = MESSAGE_CLASSES.get(data[2])
    if cls is None:
        raise DecodeError("not an authenticable message")
    i, end, found = cls.FIXED, len(data), None
    while i < end:
        otype = data[i]
        if otype == 0:
            i += 1
            continue
        if i + 2 > end or i + 2 + data[i + 1] > end:
            raise DecodeError("option overruns the message")
        if otype == OptionType.AUTH:
            found = i
        elif otype != OptionType.PADN and found is not None:
            raise DecodeError("AUTH option is not the last option")
        i += 2 + data[i + 1]
    return found

"""Compiled encoding for the common PMIPv6 messages (PBU and PBA with the RFC 5213 options).

The layout of such a message (offsets and padding) depends only on its option sequence and the
variable lengths, so it is compiled once per signature into a single ``struct.Struct`` and every
later message of that shape is one ``pack`` call.  ``pack`` returns None for anything it does not
cover (other options, out-of-range values); ``messages.encode`` then uses the generic encoder, so
the output is always the generic encoder's bytes (a property test checks the two agree).
"""

from __future__ import annotations

import struct

from .options import (
    AccessTechnologyType,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    Timestamp,
)

_HNP, _HI, _ATT, _LLA, _TS = 1, 2, 3, 4, 5
_MNID = 1000  # + identifier length
_LLID = 2000  # + identifier length
_ALIGN = {_HNP: (8, 4), _LLA: (8, 6), _TS: (8, 2)}  # "xn+y" (RFC 5213 §8)
_MAX_LAYOUTS = 4096
_layouts: dict[tuple, tuple[struct.Struct, int, tuple]] = {}


def _pad(gap: int) -> tuple[str, tuple[int, ...]]:
    """Pad1 for one octet, one PadN otherwise (RFC 6275 §6.2)."""
    if gap == 0:
        return "", ()
    if gap == 1:
        return "B", (0,)
    return (f"BB{gap - 2}x" if gap > 2 else "BB"), (1, gap - 2)


def _compile(head: str, sig: tuple[int, ...]) -> tuple[struct.Struct, int, tuple]:
    """Struct for ``head`` (fixed part after the 6-octet MH header) plus the option signature;
    also the Header Len and where padding values go: ((argument position, values), ...)."""
    fmt = ["!BBBBH", head]
    offset = 12
    nargs = 0  # option arguments so far
    pads: list = []
    for code in sig:
        align = _ALIGN.get(code)
        if align is not None:
            x, y = align
            gap = (y - offset) % x
            f, values = _pad(gap)
            if values:
                pads.append((nargs, values))
                fmt.append(f)
                nargs += len(values)
            offset += gap
        if code >= _LLID:
            n = code - _LLID
            fmt.append(f"BBH{n}s")
            nargs, offset = nargs + 4, offset + 4 + n
        elif code >= _MNID:
            n = code - _MNID
            fmt.append(f"BBB{n}s")
            nargs, offset = nargs + 4, offset + 3 + n
        elif code == _HNP:
            fmt.append("BBxB16s")
            nargs, offset = nargs + 4, offset + 20
        elif code in (_HI, _ATT):
            fmt.append("BBxB")
            nargs, offset = nargs + 3, offset + 4
        elif code == _LLA:
            fmt.append("BB16s")
            nargs, offset = nargs + 3, offset + 18
        else:  # _TS
            fmt.append("BBQ")
            nargs, offset = nargs + 3, offset + 10
    gap = -offset % 8
    f, values = _pad(gap)
    if values:
        pads.append((nargs, values))
        fmt.append(f)
    offset += gap
    return struct.Struct("".join(fmt)), offset // 8 - 1, tuple(pads)


def pack(mh_type: int, head: str, head_args: tuple, options) -> bytes | None:
    """The encoded message, or None when this fast path does not cover it."""
    sig: list[int] = []
    args: list = []
    add = args.extend
    for o in options:
        t = type(o)
        if t is HomeNetworkPrefix:
            if len(o.prefix) != 16 or o.length > 128:
                return None
            sig.append(_HNP)
            add((22, 18, o.length, o.prefix))
        elif t is MobileNodeIdentifier:
            ident = o.identifier
            raw = ident.encode() if type(ident) is str else ident
            if not raw or len(raw) > 254:
                return None
            sig.append(_MNID + len(raw))
            add((8, len(raw) + 1, o.subtype, raw))
        elif t is HandoffIndicatorOption:
            sig.append(_HI)
            add((23, 2, o.value))
        elif t is AccessTechnologyType:
            sig.append(_ATT)
            add((24, 2, o.value))
        elif t is MNLinkLayerIdentifier:
            raw = o.identifier
            if not raw or len(raw) > 253:
                return None
            sig.append(_LLID + len(raw))
            add((25, len(raw) + 2, 0, raw))
        elif t is LinkLocalAddress:
            if len(o.address) != 16:
                return None
            sig.append(_LLA)
            add((26, 16, o.address))
        elif t is Timestamp:
            sig.append(_TS)
            add((27, 8, o.value))
        else:
            return None
    key = (head, *sig)
    layout = _layouts.get(key)
    if layout is None:
        if len(_layouts) >= _MAX_LAYOUTS:
            _layouts.clear()
        layout = _layouts[key] = _compile(head, tuple(sig))
    packer, hlen, pads = layout
    if hlen > 255:
        return None
    for position, values in pads:  # positions already count the padding inserted before them
        args[position:position] = values
    try:
        return packer.pack(59, hlen, mh_type, 0, 0, *head_args, *args)
    except struct.error:
        return None

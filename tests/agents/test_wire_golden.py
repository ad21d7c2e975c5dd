"""Golden vectors for the Mobility Header codec (pmipv6.wire).

Every vector is written by hand from the RFC layouts (hex literals and struct.pack), never with the
project's encoder.  Each one is checked in both directions: decode(bytes) gives the expected object and
encode(object) gives the bytes back (with the checksum octets 4-5 zeroed, since the encoder leaves the
checksum to the kernel).  The section 14 vectors of the protocol reference carry the checksum the Linux
kernel computed; test_reference_vector_checksums re-derives it to prove the hex was copied faithfully.
"""

from __future__ import annotations

import socket
import struct

import pytest

from pmipv6.wire import (
    AccessTechnologyType,
    BindingError,
    BindingRevocation,
    DecodeError,
    EncodeError,
    GreKey,
    HandoffIndicatorOption,
    Heartbeat,
    HomeNetworkPrefix,
    IPv4DefaultRouterAddress,
    IPv4HomeAddressReply,
    IPv4HomeAddressRequest,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingAck,
    ProxyBindingUpdate,
    RestartCounter,
    Timestamp,
    UnknownMHType,
    UnknownOption,
    VendorSpecific,
    decode,
    encode,
)
from pmipv6.wire.options import OPTION_CLASSES

# --------------------------------------------------------------------------------------------------
# Hand-building helpers (RFC 6275 §6.1.1 header, §6.2.1 TLV format, RFC layouts of each option).


def ip6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


def ip4(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET, text)


def mh(mh_type: int, header_len: int, body: bytes) -> bytes:
    """Payload Proto 59, Header Len, MH Type, Reserved 0, Checksum 0, then the message data."""
    return struct.pack("!BBBBH", 59, header_len, mh_type, 0, 0) + body


def tlv(option_type: int, data: bytes) -> bytes:
    return struct.pack("!BB", option_type, len(data)) + data


def padn(n: int) -> bytes:
    """PadN carrying n zero octets (2 + n octets in all)."""
    return struct.pack("!BB", 1, n) + bytes(n)


PAD1 = b"\x00"

NAI = "mn1@example.org"
MNID_NAI = tlv(8, b"\x01" + NAI.encode())  # 18 octets
MAC = bytes.fromhex("02000000000a")
IMSI = bytes.fromhex("2143658709214365")  # TBCD digits, opaque to the codec
HNP_64 = ip6("2001:db8:100:1::")
LLA = ip6("fe80::200:5eff:fe00:5213")

# Alignment rules "xn+y" from the RFCs (RFC 5213 §8, RFC 5845 §3.1, RFC 5094 §3, RFC 5844 §3).
ALIGNMENT = {
    22: (8, 4),  # Home Network Prefix
    26: (8, 6),  # Link-local Address
    27: (8, 2),  # Timestamp
    33: (4, 2),  # GRE Key
    19: (4, 2),  # Vendor-Specific
    36: (4, 0),  # IPv4 Home Address Request
    37: (4, 0),  # IPv4 Home Address Reply
    38: (4, 0),  # IPv4 Default-Router Address
}

# Offset of the first option, per MH type (RFC 6275 §6.1, RFC 5847 §5.1, RFC 5846 §6).
OPTIONS_START = {5: 12, 6: 12, 7: 24, 13: 12, 16: 12}


def zero_checksum(raw: bytes) -> bytes:
    return raw[:4] + b"\0\0" + raw[6:]


def mh_checksum(src: bytes, dst: bytes, data: bytes) -> int:
    """RFC 6275 §6.1.1 / RFC 8200 §8.1: one's-complement sum over the IPv6 pseudo-header and the MH."""
    blob = src + dst + struct.pack("!I3xB", len(data), 135) + zero_checksum(data)
    if len(blob) % 2:
        blob += b"\0"
    total = sum(struct.unpack(f"!{len(blob) // 2}H", blob))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def walk_tlvs(raw: bytes) -> list[tuple[int, int, int | None]]:
    """(offset, type, length) of every TLV after the fixed part, padding included (Pad1 has no length)."""
    out = []
    i = OPTIONS_START[raw[2]]
    while i < len(raw):
        if raw[i] == 0:
            out.append((i, 0, None))
            i += 1
            continue
        assert i + 2 <= len(raw), f"TLV at {i} truncated"
        out.append((i, raw[i], raw[i + 1]))
        i += 2 + raw[i + 1]
    assert i == len(raw), "last TLV overruns the message"
    return out


def check_layout(raw: bytes) -> None:
    """Size rules of RFC 6275 §6.1.1 and the alignment/padding rules of §6.2."""
    assert len(raw) % 8 == 0
    assert raw[1] == len(raw) // 8 - 1
    assert raw[0] == 59 and raw[3] == 0
    pad_run = pads_in_run = 0
    for off, otype, length in walk_tlvs(raw):
        if otype in (0, 1):
            if otype == 1:
                assert raw[off + 2 : off + 2 + length] == bytes(length), "PadN content must be zero"
            pad_run += 1 if otype == 0 else 2 + length
            pads_in_run += 1
            continue
        assert pads_in_run <= 1, "padding must be one Pad1 or one PadN"
        if otype in ALIGNMENT:
            x, y = ALIGNMENT[otype]
            assert off % x == y, f"option {otype} at offset {off}, needs {x}n+{y}"
            assert pad_run < x, f"{pad_run} octets of padding before option {otype}: not minimal"
        else:
            assert pad_run == 0, f"padding before option {otype}, which has no alignment rule"
        pad_run = pads_in_run = 0
    assert pad_run < 8, "trailing padding longer than needed"
    assert pads_in_run <= 1, "padding must be one Pad1 or one PadN"


# --------------------------------------------------------------------------------------------------
# Section 14 of the protocol reference: bytes with the kernel's checksum, as captured.

REF_PBU = bytes.fromhex(
    "3b0a0500df510001820003840810016d6e31406578616d706c652e6f72670104"
    "0000000016120000000000000000000000000000000000001702000118020004"
    "1908000002000000000a1b0800006553f100800001020000"
)
REF_PBA = bytes.fromhex(
    "3b0c060067830020000103840810016d6e31406578616d706c652e6f72670104"
    "000000001612004020010db80100000100000000000000001702000118020004"
    "1908000002000000000a1b0800006553f100800001001a10fe80000000000000"
    "02005efffe005213"
)
REF_PBA_153 = bytes.fromhex("3b0306001d859920000100000810016d6e31406578616d706c652e6f72670100")
REF_HEARTBEAT = bytes.fromhex("3b020d003ec70000000000011c0400000001010400000000")

TS_VALUE = (1700000000 << 16) | 0x8000  # 1700000000.5 s, 48.16 fixed point
COMMON_PBU_OPTIONS = [
    MobileNodeIdentifier(NAI),
    HomeNetworkPrefix(bytes(16), 0),
    HandoffIndicatorOption(1),
    AccessTechnologyType(4),
    MNLinkLayerIdentifier(MAC),
    Timestamp(TS_VALUE),
]

REFERENCE_CHECKSUMS = [
    pytest.param(REF_PBU, 0xDF51, id="pbu"),
    pytest.param(REF_PBA, 0x6783, id="pba"),
    pytest.param(REF_PBA_153, 0x1D85, id="pba-153"),
    pytest.param(REF_HEARTBEAT, 0x3EC7, id="heartbeat"),
]


@pytest.mark.parametrize(("raw", "checksum"), REFERENCE_CHECKSUMS)
def test_reference_vector_checksums(raw, checksum):
    assert struct.unpack_from("!H", raw, 4)[0] == checksum
    assert mh_checksum(ip6("2001:db8:c::2"), ip6("2001:db8:c::1"), raw) == checksum


# --------------------------------------------------------------------------------------------------
# The golden table: (bytes, expected message).

GOLDEN = [
    pytest.param(
        REF_PBU,
        ProxyBindingUpdate(1, 3600, 0x8200, list(COMMON_PBU_OPTIONS)),
        id="ref-pbu",
    ),
    pytest.param(
        REF_PBA,
        ProxyBindingAck(
            0,
            1,
            3600,
            0x20,
            [
                MobileNodeIdentifier(NAI),
                HomeNetworkPrefix(HNP_64, 64),
                HandoffIndicatorOption(1),
                AccessTechnologyType(4),
                MNLinkLayerIdentifier(MAC),
                Timestamp(TS_VALUE),
                LinkLocalAddress(LLA),
            ],
        ),
        id="ref-pba",
    ),
    pytest.param(
        REF_PBA_153,
        ProxyBindingAck(153, 1, 0, 0x20, [MobileNodeIdentifier(NAI)]),
        id="ref-pba-reject-153",
    ),
    pytest.param(
        REF_HEARTBEAT,
        Heartbeat(1, 0, [RestartCounter(1)]),
        id="ref-heartbeat-request",
    ),
    # Binding Error (RFC 6275 §6.1.9): Status, Reserved, Home Address; 24 octets, no options.
    pytest.param(
        mh(7, 2, struct.pack("!BB16s", 2, 0, bytes(16))),
        BindingError(2, bytes(16)),
        id="binding-error-2",
    ),
    pytest.param(
        mh(7, 3, struct.pack("!BB16s", 1, 0, ip6("2001:db8:100:1::5")) + tlv(200, b"abcdef")),
        BindingError(1, ip6("2001:db8:100:1::5"), [UnknownOption(200, b"abcdef")]),
        id="binding-error-1-with-option",
    ),
    # BRI (RFC 5846 §6.1): B.R. Type 1, trigger 1 (administrative), seq 7, P flag; MN-ID + HNP.
    pytest.param(
        mh(16, 6, struct.pack("!BBHH", 1, 1, 7, 0x8000) + MNID_NAI + padn(4) + tlv(22, b"\0\x40" + HNP_64)),
        BindingRevocation(1, 1, 7, 0x8000, [MobileNodeIdentifier(NAI), HomeNetworkPrefix(HNP_64, 64)]),
        id="bri",
    ),
    # BRA (RFC 5846 §6.2): B.R. Type 2, status 128, seq 7, P and G flags, no options.
    pytest.param(
        mh(16, 1, struct.pack("!BBHH", 2, 128, 7, 0xA000) + padn(2)),
        BindingRevocation(2, 128, 7, 0xA000, []),
        id="bra",
    ),
    # GRE Key (RFC 5845 §3.1): Reserved(2), GRE Key(4); 4n+2.  56 is 4n, so PadN(0) comes first.
    pytest.param(
        mh(
            5,
            8,
            struct.pack("!HHH", 2, 0x8280, 900)
            + MNID_NAI
            + padn(4)
            + tlv(22, bytes(18))
            + padn(0)
            + tlv(33, b"\0\0" + struct.pack("!I", 0x01020304))
            + padn(4),
        ),
        ProxyBindingUpdate(
            2,
            3600,
            0x8280,
            [MobileNodeIdentifier(NAI), HomeNetworkPrefix(bytes(16), 0), GreKey(0x01020304)],
        ),
        id="pbu-gre-key-6",
    ),
    pytest.param(
        mh(
            5,
            7,
            struct.pack("!HHH", 2, 0x8280, 900)
            + MNID_NAI
            + padn(4)
            + tlv(22, bytes(18))
            + padn(0)
            + tlv(33, b"\0\0")
            + padn(0),
        ),
        ProxyBindingUpdate(
            2, 3600, 0x8280, [MobileNodeIdentifier(NAI), HomeNetworkPrefix(bytes(16), 0), GreKey(None)]
        ),
        id="pbu-gre-key-2",
    ),
    # IPv4 HoA Request (RFC 5844 §3.1): prefix length in the top 6 bits of a 16-bit word, then the HoA.
    pytest.param(
        mh(5, 4, struct.pack("!HHH", 3, 0x8200, 900) + MNID_NAI + padn(0) + tlv(36, bytes(6))),
        ProxyBindingUpdate(3, 3600, 0x8200, [MobileNodeIdentifier(NAI), IPv4HomeAddressRequest(bytes(4), 0)]),
        id="pbu-ipv4-hoa-request-any",
    ),
    pytest.param(
        mh(
            5,
            4,
            struct.pack("!HHH", 3, 0x8200, 900)
            + MNID_NAI
            + padn(0)
            + tlv(36, struct.pack("!H", 24 << 10) + ip4("192.0.2.10")),
        ),
        ProxyBindingUpdate(
            3, 3600, 0x8200, [MobileNodeIdentifier(NAI), IPv4HomeAddressRequest(ip4("192.0.2.10"), 24)]
        ),
        id="pbu-ipv4-hoa-request-24",
    ),
    # IPv4 HoA Reply (RFC 5844 §3.2): Status, prefix length in the top 6 bits, HoA; Default-Router (§3.4).
    pytest.param(
        mh(
            6,
            5,
            struct.pack("!BBHH", 0, 0x20, 3, 900)
            + MNID_NAI
            + padn(0)
            + tlv(37, struct.pack("!BB", 0, 24 << 2) + ip4("192.0.2.10"))
            + tlv(38, b"\0\0" + ip4("192.0.2.1")),
        ),
        ProxyBindingAck(
            0,
            3,
            3600,
            0x20,
            [
                MobileNodeIdentifier(NAI),
                IPv4HomeAddressReply(0, ip4("192.0.2.10"), 24),
                IPv4DefaultRouterAddress(ip4("192.0.2.1")),
            ],
        ),
        id="pba-ipv4-hoa-reply-default-router",
    ),
    pytest.param(
        mh(
            6,
            4,
            struct.pack("!BBHH", 171, 0x20, 3, 0)
            + MNID_NAI
            + padn(0)
            + tlv(37, struct.pack("!BB", 130, 32 << 2) + ip4("198.51.100.7")),
        ),
        ProxyBindingAck(
            171, 3, 0, 0x20, [MobileNodeIdentifier(NAI), IPv4HomeAddressReply(130, ip4("198.51.100.7"), 32)]
        ),
        id="pba-ipv4-hoa-reply-reject",
    ),
    # Vendor-Specific (RFC 5094 §3): Vendor ID(4), Sub-type(1), data; 4n+2, so PadN(0) at offset 12.
    pytest.param(
        mh(13, 2, struct.pack("!HI", 0, 9) + padn(0) + tlv(19, struct.pack("!IB", 10415, 1) + b"\1\2\3")),
        Heartbeat(9, 0, [VendorSpecific(10415, 1, b"\1\2\3")]),
        id="heartbeat-vendor-specific",
    ),
    # Restart Counter (RFC 5847 §5.2) in a Heartbeat response (R flag) and an unsolicited one (U flag).
    pytest.param(
        mh(13, 2, struct.pack("!HI", 0x0001, 0xFEDCBA98) + tlv(28, struct.pack("!I", 0xDEADBEEF)) + padn(4)),
        Heartbeat(0xFEDCBA98, 0x0001, [RestartCounter(0xDEADBEEF)]),
        id="heartbeat-response-restart-counter",
    ),
    pytest.param(
        mh(13, 2, struct.pack("!HI", 0x0002, 0) + tlv(28, struct.pack("!I", 0xFFFFFFFF)) + padn(4)),
        Heartbeat(0, 0x0002, [RestartCounter(0xFFFFFFFF)]),
        id="heartbeat-unsolicited",
    ),
    # MN-ID with an RFC 8371 subtype (3 = IMSI, bytes identifier); de-registration (lifetime 0).
    # 12 + 11 + 4 + 4 = 31, so the message ends with a single Pad1.
    pytest.param(
        mh(
            5,
            3,
            struct.pack("!HHH", 4, 0x8200, 0)
            + tlv(8, b"\x03" + IMSI)
            + tlv(23, b"\0\x05")
            + tlv(24, b"\0\x08")
            + PAD1,
        ),
        ProxyBindingUpdate(
            4,
            0,
            0x8200,
            [MobileNodeIdentifier(IMSI, 3), HandoffIndicatorOption(5), AccessTechnologyType(8)],
        ),
        id="pbu-mnid-imsi-pad1",
    ),
    pytest.param(
        mh(16, 3, struct.pack("!BBHH", 1, 7, 9, 0x8000) + tlv(8, b"\x02" + ip6("2001:db8:100:1::5")) + PAD1),
        BindingRevocation(1, 7, 9, 0x8000, [MobileNodeIdentifier(ip6("2001:db8:100:1::5"), 2)]),
        id="bri-mnid-ipv6",
    ),
    # Options the codec does not interpret (20 = Service Selection, 200 = unassigned): kept raw.
    pytest.param(
        mh(
            5,
            5,
            struct.pack("!HHH", 5, 0x8200, 900) + MNID_NAI + tlv(20, b"internet") + tlv(200, b"") + padn(4),
        ),
        ProxyBindingUpdate(
            5,
            3600,
            0x8200,
            [MobileNodeIdentifier(NAI), UnknownOption(20, b"internet"), UnknownOption(200, b"")],
        ),
        id="pbu-unknown-options",
    ),
]


def test_unknown_option_types_really_are_unknown():
    assert 20 not in OPTION_CLASSES
    assert 200 not in OPTION_CLASSES


@pytest.mark.parametrize(("raw", "message"), GOLDEN)
def test_golden_decode(raw, message):
    assert decode(raw) == message


@pytest.mark.parametrize(("raw", "message"), GOLDEN)
def test_golden_encode(raw, message):
    assert encode(message) == zero_checksum(raw)


@pytest.mark.parametrize(("raw", "message"), GOLDEN)
def test_golden_layout(raw, message):
    """Vectors and encoder output obey the size, alignment and padding rules."""
    check_layout(raw)
    check_layout(encode(message))


def test_reference_pbu_option_offsets():
    """The offsets listed in section 14 of the protocol reference."""
    offsets = [
        (off, otype)
        for off, otype, _ in walk_tlvs(encode(ProxyBindingUpdate(1, 3600, 0x8200, COMMON_PBU_OPTIONS)))
    ]
    assert offsets == [(12, 8), (30, 1), (36, 22), (56, 23), (60, 24), (64, 25), (74, 27), (84, 1)]


def test_reference_pba_option_offsets():
    msg = decode(REF_PBA)
    offsets = [(off, otype) for off, otype, _ in walk_tlvs(encode(msg))]
    assert offsets == [(12, 8), (30, 1), (36, 22), (56, 23), (60, 24), (64, 25), (74, 27), (84, 1), (86, 26)]


# --------------------------------------------------------------------------------------------------
# Alignment for every gap size: an MN-ID of 1..8 identifier octets moves the next option through all
# eight residues mod 8, so the encoder must produce every padding case (none, Pad1, PadN(0..5)).

ALIGNED_OPTIONS = [
    pytest.param(HomeNetworkPrefix(HNP_64, 64), id="hnp"),
    pytest.param(LinkLocalAddress(LLA), id="link-local"),
    pytest.param(Timestamp(TS_VALUE), id="timestamp"),
    pytest.param(GreKey(7), id="gre-key-6"),
    pytest.param(GreKey(None), id="gre-key-2"),
    pytest.param(VendorSpecific(10415, 2, b"xyz"), id="vendor-specific"),
    pytest.param(IPv4HomeAddressRequest(ip4("192.0.2.10"), 24), id="ipv4-hoa-request"),
    pytest.param(IPv4HomeAddressReply(0, ip4("192.0.2.10"), 24), id="ipv4-hoa-reply"),
    pytest.param(IPv4DefaultRouterAddress(ip4("192.0.2.1")), id="ipv4-default-router"),
]


@pytest.mark.parametrize("id_len", range(1, 9))
@pytest.mark.parametrize("option", ALIGNED_OPTIONS)
def test_alignment_every_gap(option, id_len):
    message = ProxyBindingUpdate(1, 40, 0x8200, [MobileNodeIdentifier("m" * id_len), option, option])
    raw = encode(message)
    check_layout(raw)
    tlvs = [t for t in walk_tlvs(raw) if t[1] not in (0, 1)]
    assert [t[1] for t in tlvs] == [8, option.TYPE, option.TYPE]
    x, y = ALIGNMENT[option.TYPE]
    assert all(off % x == y for off, _, _ in tlvs[1:])
    assert decode(raw) == message


# --------------------------------------------------------------------------------------------------
# A few hand-made malformed inputs and out-of-range objects.

BAD_INPUTS = [
    pytest.param(b"", id="empty"),
    pytest.param(REF_HEARTBEAT[:7], id="shorter-than-header"),
    pytest.param(REF_HEARTBEAT[:16], id="header-len-says-more"),
    pytest.param(REF_HEARTBEAT + bytes(8), id="header-len-says-less"),
    pytest.param(mh(7, 1, bytes(10)), id="binding-error-shorter-than-fixed-part"),
    pytest.param(mh(13, 1, struct.pack("!HI", 0, 1) + b"\x1c\x05\0\0"), id="option-overruns"),
    pytest.param(mh(13, 1, struct.pack("!HI", 0, 1) + b"\0\0\0\x1c"), id="option-truncated-before-length"),
    pytest.param(mh(13, 1, struct.pack("!HI", 0, 1) + tlv(28, b"\0\0")), id="restart-counter-bad-length"),
    pytest.param(mh(5, 3, struct.pack("!HHH", 1, 0x8200, 1) + tlv(22, bytes(16)) + padn(0)), id="hnp-short"),
    pytest.param(
        mh(5, 3, struct.pack("!HHH", 1, 0x8200, 1) + tlv(22, b"\0\x81" + bytes(16))), id="hnp-length-129"
    ),
    pytest.param(mh(5, 1, struct.pack("!HHH", 1, 0x8200, 1) + tlv(8, b"\x01") + PAD1), id="mnid-empty"),
    pytest.param(mh(5, 1, struct.pack("!HHH", 1, 0x8200, 1) + tlv(8, b"\x01\xff")), id="mnid-nai-not-utf8"),
    pytest.param(
        mh(5, 2, struct.pack("!HHH", 1, 0x8200, 1) + tlv(33, b"\0\0\0\0") + padn(4)), id="gre-key-length-4"
    ),
]


@pytest.mark.parametrize("raw", BAD_INPUTS)
def test_malformed_inputs_raise_decode_error(raw):
    with pytest.raises(DecodeError):
        decode(raw)


@pytest.mark.parametrize("mh_type", [0, 1, 8, 12, 14, 17, 19, 20, 21, 255])
def test_unknown_mh_type(mh_type):
    with pytest.raises(UnknownMHType) as info:
        decode(mh(mh_type, 0, bytes(2)))
    assert info.value.mh_type == mh_type


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(ProxyBindingUpdate(1, 3601), id="lifetime-not-multiple-of-4"),
        pytest.param(ProxyBindingUpdate(1, 0x10000 * 4), id="lifetime-too-large"),
        pytest.param(ProxyBindingAck(0, 1, -4), id="lifetime-negative"),
        pytest.param(
            ProxyBindingUpdate(1, 4, options=[HomeNetworkPrefix(bytes(15), 64)]), id="hnp-15-octets"
        ),
        pytest.param(ProxyBindingUpdate(1, 4, options=[MobileNodeIdentifier("")]), id="mnid-empty"),
        pytest.param(ProxyBindingUpdate(1, 4, options=[UnknownOption(1, b"")]), id="unknown-option-padn"),
        pytest.param(
            ProxyBindingUpdate(1, 4, options=[UnknownOption(200, bytes(256))]), id="option-too-long"
        ),
        pytest.param(
            ProxyBindingUpdate(1, 4, options=[UnknownOption(200, bytes(250))] * 9), id="message-over-2048"
        ),
    ],
)
def test_encode_rejects_out_of_range(message):
    with pytest.raises(EncodeError):
        encode(message)

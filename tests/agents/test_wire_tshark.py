"""tshark as an independent oracle for the Mobility Header encoder (pmipv6.wire).

The messages below are encoded with the project's encoder, wrapped in an IPv6 header (2001:db8:c::2 ->
2001:db8:c::1, next header 135) with the real MH checksum, written to a LINKTYPE_RAW pcap and dissected
once by tshark.  Every field the dissector reports must equal what was encoded, and it must find nothing
malformed.  Expected values are derived from the message objects, not typed in.

tshark 4.0 quirks relied on (protocol reference section 13.2, test-environment section 7):
* the HNP option shows as mip6.nemo.mnp.pfl / mip6.nemo.mnp.mnp (shared with the NEMO MNP option);
* an MN-ID identifier is shown as text only for the NAI subtype (and not for a very short NAI);
* options 53, 54 and 56-255 are not dissected ("IE data not dissected yet" note, odd length field);
* a GRE Key option of Length 2 has no mip6.gre_key field.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import struct
import subprocess
from collections import Counter
from datetime import UTC, datetime

import pytest

from pmipv6.wire import (
    AccessTechnologyType,
    BindingError,
    BindingRevocation,
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
    UnknownOption,
    VendorSpecific,
    encode,
)

SRC = ipaddress.IPv6Address("2001:db8:c::2").packed
DST = ipaddress.IPv6Address("2001:db8:c::1").packed
NAI = "mn1@example.org"
MAC = bytes.fromhex("02000000000a")


def ip6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def ip4(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def ts(seconds: int, fraction: int) -> Timestamp:
    """RFC 5213 §8.8 48.16 fixed point, built by hand."""
    return Timestamp((seconds << 16) | fraction)


MESSAGES = [
    pytest.param(
        ProxyBindingUpdate(
            1,
            3600,
            options=[
                MobileNodeIdentifier(NAI),
                HomeNetworkPrefix(bytes(16), 0),
                HandoffIndicatorOption(1),
                AccessTechnologyType(4),
                MNLinkLayerIdentifier(MAC),
                ts(1700000000, 0x8000),
            ],
        ),
        id="pbu",
    ),
    pytest.param(
        ProxyBindingAck(
            0,
            1,
            3600,
            options=[
                MobileNodeIdentifier(NAI),
                HomeNetworkPrefix(ip6("2001:db8:100:1::"), 64),
                HandoffIndicatorOption(1),
                AccessTechnologyType(4),
                MNLinkLayerIdentifier(MAC),
                ts(1700000000, 0x8000),
                LinkLocalAddress(ip6("fe80::200:5eff:fe00:5213")),
            ],
        ),
        id="pba",
    ),
    pytest.param(ProxyBindingAck(153, 1, 0, options=[MobileNodeIdentifier(NAI)]), id="pba-reject-153"),
    pytest.param(
        ProxyBindingUpdate(
            2,
            40,
            options=[
                MobileNodeIdentifier("mag-test-mn-42@lab.example"),
                HomeNetworkPrefix(ip6("2001:db8:100:2::"), 64),
                HomeNetworkPrefix(ip6("2001:db8:200::"), 48),
                HandoffIndicatorOption(3),
                AccessTechnologyType(8),
                MNLinkLayerIdentifier(bytes.fromhex("0200005e00010203")),
                ts(1000000000, 0x4000),
                GreKey(0xCAFE0001),
                IPv4HomeAddressRequest(bytes(4), 0),
            ],
        ),
        id="pbu-handover-gre-ipv4",
    ),
    pytest.param(
        ProxyBindingAck(
            0,
            2,
            40,
            options=[
                MobileNodeIdentifier("mag-test-mn-42@lab.example"),
                HomeNetworkPrefix(ip6("2001:db8:100:2::"), 64),
                GreKey(None),
                IPv4HomeAddressReply(0, ip4("192.0.2.10"), 24),
                IPv4DefaultRouterAddress(ip4("192.0.2.1")),
                ts(1700000123, 0x0200),
            ],
        ),
        id="pba-gre-2-ipv4",
    ),
    pytest.param(
        ProxyBindingUpdate(
            3,
            0,
            options=[
                MobileNodeIdentifier(NAI),
                IPv4HomeAddressRequest(ip4("198.51.100.7"), 32),
                GreKey(0),
                VendorSpecific(32473, 7, b"abc"),
                UnknownOption(20, b"internet"),
                UnknownOption(200, b"xy"),
            ],
        ),
        id="pbu-dereg-vendor-unknown",
    ),
    pytest.param(Heartbeat(1, 0, [RestartCounter(1)]), id="heartbeat-request"),
    pytest.param(Heartbeat(0xFEDCBA98, 0x0001, [RestartCounter(0xDEADBEEF)]), id="heartbeat-response"),
    pytest.param(Heartbeat(7, 0x0002, [RestartCounter(3)]), id="heartbeat-unsolicited"),
    pytest.param(
        BindingRevocation(
            1, 1, 7, 0x8000, [MobileNodeIdentifier(NAI), HomeNetworkPrefix(ip6("2001:db8:100:1::"), 64)]
        ),
        id="bri",
    ),
    pytest.param(BindingRevocation(1, 2, 8, 0xE000, []), id="bri-pvg"),
    pytest.param(BindingRevocation(2, 128, 7, 0x8000, [MobileNodeIdentifier(NAI)]), id="bra-128"),
    pytest.param(BindingRevocation(2, 0, 9, 0x2000, []), id="bra-global"),
    pytest.param(BindingError(2, bytes(16)), id="binding-error"),
    pytest.param(BindingError(1, ip6("2001:db8:100:1::5")), id="binding-error-hoa"),
]
MESSAGE_OBJECTS = [p.values[0] for p in MESSAGES]

# Option types tshark 4.0.17 dissects: 0-52 and 55.
DISSECTED_OPTION_TYPES = set(range(53)) | {55}


# --------------------------------------------------------------------------------------------------
# Packet and pcap writing.


def mh_checksum(src: bytes, dst: bytes, mh: bytes) -> int:
    """RFC 6275 §6.1.1 / RFC 8200 §8.1: one's-complement sum over the pseudo-header and the MH."""
    mh = mh[:4] + b"\0\0" + mh[6:]
    blob = src + dst + struct.pack("!I3xB", len(mh), 135) + mh
    if len(blob) % 2:
        blob += b"\0"
    total = sum(struct.unpack(f"!{len(blob) // 2}H", blob))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv6_packet(mh: bytes) -> bytes:
    mh = mh[:4] + struct.pack("!H", mh_checksum(SRC, DST, mh)) + mh[6:]
    return struct.pack("!IHBB", 6 << 28, len(mh), 135, 64) + SRC + DST + mh


def write_pcap(path, packets: list[bytes]) -> None:
    """Classic libpcap format, microsecond timestamps, LINKTYPE_RAW (101): bare IPv6 packets."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, pkt in enumerate(packets):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)


# Section 14 vectors of the protocol reference, with the checksum the Linux kernel computed.
KERNEL_VECTORS = [
    (
        "3b0a0500df510001820003840810016d6e31406578616d706c652e6f72670104"
        "0000000016120000000000000000000000000000000000001702000118020004"
        "1908000002000000000a1b0800006553f100800001020000",
        0xDF51,
    ),
    ("3b0306001d859920000100000810016d6e31406578616d706c652e6f72670100", 0x1D85),
    ("3b020d003ec70000000000011c0400000001010400000000", 0x3EC7),
]


@pytest.mark.parametrize(("hexdata", "checksum"), KERNEL_VECTORS)
def test_checksum_helper_matches_kernel(hexdata, checksum):
    assert mh_checksum(SRC, DST, bytes.fromhex(hexdata)) == checksum


# --------------------------------------------------------------------------------------------------
# tshark JSON helpers.  With --no-duplicate-keys a repeated field becomes a JSON array, and option
# fields sit in "<name>_tree" objects under "Mobility Options"; walk everything.


def walk(node, parent: str = ""):
    """Yield (key, value, parent_key) for every key in the nested JSON, arrays flattened."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_value(key, value, parent)


def _walk_value(key, value, parent):
    if isinstance(value, list):
        for item in value:
            yield from _walk_value(key, item, parent)
    else:
        yield key, value, parent
        if isinstance(value, dict):
            yield from walk(value, key)


def values(node, name: str) -> list:
    return [v for k, v, _ in walk(node) if k == name]


def one(node, name: str) -> str:
    found = values(node, name)
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


@pytest.fixture(scope="module")
def dissected(tmp_path_factory):
    """The mipv6 layer of every frame, in MESSAGES order, from one tshark run."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark binary not installed (apt-get install tshark)")
    pcap = tmp_path_factory.mktemp("tshark") / "mh.pcap"
    write_pcap(pcap, [ipv6_packet(encode(m)) for m in MESSAGE_OBJECTS])
    proc = subprocess.run(
        [tshark, "-n", "-r", str(pcap), "-T", "json", "--no-duplicate-keys"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    frames = json.loads(proc.stdout)
    assert len(frames) == len(MESSAGE_OBJECTS)
    layers = []
    for frame in frames:
        found = [v for k, v, _ in walk(frame) if k == "mipv6"]
        assert len(found) == 1
        layers.append({"frame": frame, "mipv6": found[0]})
    return layers


def flag(value: int, mask: int) -> str:
    return "1" if value & mask else "0"


def tshark_time(ts_value: int) -> str:
    """How tshark renders an absolute time: 'Sep  9, 2001 01:46:40.250000000 UTC' (day space-padded)."""
    seconds, fraction = ts_value >> 16, ts_value & 0xFFFF
    assert fraction * 10**9 % 65536 == 0, "pick a fraction that is a whole number of nanoseconds"
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%b} {moment.day:2d}, {moment.year} {moment:%H:%M:%S}.{fraction * 10**9 // 65536:09d} UTC"


def fixed_fields(m) -> dict[str, str]:
    """tshark fields of the fixed part, from the message object."""
    if isinstance(m, ProxyBindingUpdate):
        f = m.flags
        return {
            "mip6.bu.seqnr": str(m.sequence),
            "mip6.bu.a_flag": flag(f, 0x8000),
            "mip6.bu.h_flag": flag(f, 0x4000),
            "mip6.bu.l_flag": flag(f, 0x2000),
            "mip6.bu.k_flag": flag(f, 0x1000),
            "mip6.bu.m_flag": flag(f, 0x0800),
            "mip6.nemo.bu.r_flag": flag(f, 0x0400),
            "mip6.bu.p_flag": flag(f, 0x0200),
            "mip6.bu.f_flag": flag(f, 0x0100),
            "mip6.bu.t_flag": flag(f, 0x0080),
            "mip6.bu.b_flag": flag(f, 0x0040),
            "mip6.bu.lifetime": str(m.lifetime // 4),
        }
    if isinstance(m, ProxyBindingAck):
        f = m.flags
        return {
            "mip6.ba.status": str(m.status),
            "mip6.ba.k_flag": flag(f, 0x80),
            "mip6.nemo.ba.r_flag": flag(f, 0x40),
            "mip6.ba.p_flag": flag(f, 0x20),
            "mip6.ba.t_flag": flag(f, 0x10),
            "mip6.ba.b_flag": flag(f, 0x08),
            "mip6.ba.seqnr": str(m.sequence),
            "mip6.ba.lifetime": str(m.lifetime // 4),
        }
    if isinstance(m, Heartbeat):
        return {
            "mip6.hb.u_flag": flag(m.flags, 0x0002),
            "mip6.hb.r_flag": flag(m.flags, 0x0001),
            "mip6.hb.seqnr": str(m.sequence),
        }
    if isinstance(m, BindingRevocation):
        fields = {"mip6.bri_br.type": str(m.br_type), "mip6.bri_seqnr": str(m.sequence)}
        if m.br_type == 1:
            fields["mip6.bri_r.trigger"] = str(m.code)
            names = ("mip6.bri_ip", "mip6.bri_iv", "mip6.bri_ig")
        else:
            fields["mip6.bri_status"] = str(m.code)
            names = ("mip6.bri_ap", "mip6.bri_av", "mip6.bri_ag")
        for name, mask in zip(names, (0x8000, 0x4000, 0x2000), strict=True):
            fields[name] = flag(m.flags, mask)
        return fields
    if isinstance(m, BindingError):
        return {"mip6.be.status": str(m.status), "mip6.be.haddr": str(ipaddress.IPv6Address(m.home_address))}
    raise AssertionError(type(m))


def option_fields(opt) -> list[tuple[str, str]]:
    """tshark fields for one option, from the option object."""
    if isinstance(opt, MobileNodeIdentifier):
        fields = [("mip6.mnid.subtype", str(opt.subtype))]
        if opt.subtype == 1:
            fields.append(("mip6.mnid.identifier", opt.identifier))
        return fields
    if isinstance(opt, HomeNetworkPrefix):
        return [
            ("mip6.nemo.mnp.pfl", str(opt.length)),
            ("mip6.nemo.mnp.mnp", str(ipaddress.IPv6Address(opt.prefix))),
        ]
    if isinstance(opt, HandoffIndicatorOption):
        return [("mip6.hi", str(opt.value))]
    if isinstance(opt, AccessTechnologyType):
        return [("mip6.att", str(opt.value))]
    if isinstance(opt, MNLinkLayerIdentifier):
        return [("mip6.mnlli.lli", ":".join(f"{b:02x}" for b in opt.identifier))]
    if isinstance(opt, LinkLocalAddress):
        return [("mip6.lila_lla", str(ipaddress.IPv6Address(opt.address)))]
    if isinstance(opt, Timestamp):
        return [("mip6.timestamp_tmp", tshark_time(opt.value))]
    if isinstance(opt, RestartCounter):
        return [("mip6.rc", str(opt.value))]
    if isinstance(opt, GreKey):
        return [] if opt.key is None else [("mip6.gre_key", str(opt.key))]
    if isinstance(opt, IPv4HomeAddressRequest):
        return [
            ("mip6.ipv4ha.preflen", str(opt.prefix_length)),
            ("mip6.ipv4ha.ha", str(ipaddress.IPv4Address(opt.address))),
        ]
    if isinstance(opt, IPv4HomeAddressReply):
        return [
            ("mip6.ipv4aa.sts", str(opt.status)),
            ("mip6.ipv4ha.preflen", str(opt.prefix_length)),
            ("mip6.ipv4ha.ha", str(ipaddress.IPv4Address(opt.address))),
        ]
    if isinstance(opt, IPv4DefaultRouterAddress):
        return [("mip6.ipv4dra.dra", str(ipaddress.IPv4Address(opt.address)))]
    if isinstance(opt, VendorSpecific):
        return [("mip6.vsm.vendorId", str(opt.vendor_id)), ("mip6.vsm.subtype", str(opt.subtype))]
    if isinstance(opt, UnknownOption):
        if opt.type == 20:  # Service Selection (RFC 5149), which tshark does decode
            return [("mip6.ss.identifier", opt.data.decode())]
        assert opt.type not in DISSECTED_OPTION_TYPES, "add the tshark fields for this option type"
        return [("mip6.mobility_opt", str(opt.type))]
    raise AssertionError(type(opt))


def encoded_tlvs(raw: bytes, start: int) -> list[tuple[int, bytes]]:
    """(type, whole TLV bytes) for every option in an encoded MH, padding included."""
    out, i = [], start
    while i < len(raw):
        size = 1 if raw[i] == 0 else 2 + raw[i + 1]
        out.append((raw[i], raw[i : i + size]))
        i += size
    return out


def colon_hex(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


# --------------------------------------------------------------------------------------------------
# The checks, one message per test case.

INDEXED = [pytest.param(i, id=p.id) for i, p in enumerate(MESSAGES)]


@pytest.mark.parametrize("index", INDEXED)
def test_header(dissected, index):
    message, layer = MESSAGE_OBJECTS[index], dissected[index]
    raw = encode(message)
    assert one(layer["frame"], "frame.protocols") == "raw:ipv6:mipv6"
    mip6 = layer["mipv6"]
    assert one(mip6, "mip6.proto") == "59"
    assert one(mip6, "mip6.mhtype") == str(message.MH_TYPE)
    assert one(mip6, "mip6.hlen") == str(len(raw) // 8 - 1)
    assert int(one(mip6, "mip6.csum"), 16) == mh_checksum(SRC, DST, raw)
    assert one(layer["frame"], "ipv6.plen") == str(len(raw))


@pytest.mark.parametrize("index", INDEXED)
def test_fixed_part(dissected, index):
    message, mip6 = MESSAGE_OBJECTS[index], dissected[index]["mipv6"]
    for name, expected in fixed_fields(message).items():
        assert one(mip6, name) == expected, name


@pytest.mark.parametrize("index", INDEXED)
def test_options(dissected, index):
    message, mip6 = MESSAGE_OBJECTS[index], dissected[index]["mipv6"]
    expected: dict[str, Counter] = {}
    for opt in message.options:
        for name, value in option_fields(opt):
            expected.setdefault(name, Counter())[value] += 1
    for name, counts in expected.items():
        assert Counter(values(mip6, name)) == counts, name


@pytest.mark.parametrize("index", INDEXED)
def test_option_bytes_and_lengths(dissected, index):
    """Each option tshark dissects (padding included) shows exactly the TLV bytes that were encoded, with
    its Length; undissected types appear as 'Unknown' entries; nothing else is reported."""
    message, mip6 = MESSAGE_OBJECTS[index], dissected[index]["mipv6"]
    raw = encode(message)
    tlvs = encoded_tlvs(raw, message.FIXED)
    dissected_tlvs = [(t, b) for t, b in tlvs if t in DISSECTED_OPTION_TYPES]
    shown = [v for k, v, _ in walk(mip6) if k.startswith("mip6.options.") and not k.endswith("_tree")]
    assert Counter(shown) == Counter(colon_hex(b) for _, b in dissected_tlvs)
    lengths = [v for k, v, parent in walk(mip6) if k == "mip6.mobility_opt.len" and parent.endswith("_tree")]
    assert Counter(lengths) == Counter(str(b[1]) for t, b in dissected_tlvs if t != 0)
    unknown = values(mip6, "mip6.mobility_opt")
    assert Counter(unknown) == Counter(str(t) for t, _ in tlvs if t not in DISSECTED_OPTION_TYPES)


@pytest.mark.parametrize("index", INDEXED)
def test_nothing_malformed(dissected, index):
    message, layer = MESSAGE_OBJECTS[index], dissected[index]
    keys = {k for k, _, _ in walk(layer["frame"])}
    for bad in ("_ws.malformed", "mip6.opt.len.invalid", "mip6.bogus_header_length", "_ws.short"):
        assert bad not in keys, bad
    undissected = [o for o in message.options if o.TYPE not in DISSECTED_OPTION_TYPES]
    experts = values(layer["frame"], "_ws.expert.message")
    assert experts == ["IE data not dissected yet"] * len(undissected)
    for severity in values(layer["frame"], "_ws.expert.severity"):
        assert int(severity) <= 0x00400000, "only notes (PI_NOTE) are acceptable"

"""Property tests for the Mobility Header codec (pmipv6.wire).

* Round trip: every valid message of every class, with any list of every option class, survives
  decode(encode(m)) == m, and its encoding obeys the RFC 6275 size and alignment rules.
* Robustness: decode() of random bytes and of mutated valid encodings returns a message or raises
  DecodeError; nothing else may escape.
* Code tables: the enums carry the IANA numbers.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmipv6.wire import (
    MAX_LIFETIME,
    AccessTechnology,
    AccessTechnologyType,
    BAFlag,
    BindingError,
    BindingErrorStatus,
    BindingRevocation,
    BRFlag,
    BRType,
    BUFlag,
    DecodeError,
    EncodeError,
    GreKey,
    HandoffIndicator,
    HandoffIndicatorOption,
    Heartbeat,
    HeartbeatFlag,
    HomeNetworkPrefix,
    IPv4DefaultRouterAddress,
    IPv4HoAReplyStatus,
    IPv4HomeAddressReply,
    IPv4HomeAddressRequest,
    LinkLocalAddress,
    MHType,
    MNIdSubtype,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    MobilityMessageAuthentication,
    OptionType,
    ProxyBindingAck,
    ProxyBindingUpdate,
    RestartCounter,
    RevocationStatus,
    RevocationTrigger,
    Status,
    Timestamp,
    UnknownOption,
    VendorSpecific,
    decode,
    encode,
)
from pmipv6.wire.messages import MESSAGE_CLASSES
from pmipv6.wire.options import OPTION_CLASSES


def fast(n: int):
    """No example database (nothing written into the tree); bounded so the file runs in a few seconds."""
    return settings(
        max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    )


# Alignment rules "xn+y" (RFC 5213 §8, RFC 5845, RFC 5094, RFC 5844) and the first-option offset per
# MH type; the test's own tables, not the codec's.
ALIGNMENT = {22: (8, 4), 26: (8, 6), 27: (8, 2), 33: (4, 2), 19: (4, 2), 36: (4, 0), 37: (4, 0), 38: (4, 0)}
OPTIONS_START = {5: 12, 6: 12, 7: 24, 13: 12, 16: 12}

# --------------------------------------------------------------------------------------------------
# Strategies.  Sizes are bounded so that a message stays well under the 2048-octet MH limit:
# at most 8 options of at most 2 + 101 octets each, plus at most 7 octets of padding per option.

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
ipv6 = st.binary(min_size=16, max_size=16)
ipv4 = st.binary(min_size=4, max_size=4)
lifetimes = st.integers(0, MAX_LIFETIME // 4).map(lambda units: units * 4)

nai = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(
    lambda s: len(s.encode("utf-8")) <= 100
)

OPTION_STRATEGIES = {
    MobileNodeIdentifier: st.one_of(
        st.builds(MobileNodeIdentifier, nai, st.just(int(MNIdSubtype.NAI))),
        st.builds(
            MobileNodeIdentifier,
            st.binary(min_size=1, max_size=100),
            u8.filter(lambda v: v != MNIdSubtype.NAI),
        ),
    ),
    MobilityMessageAuthentication: st.builds(MobilityMessageAuthentication, u32, st.binary(max_size=40), u8),
    VendorSpecific: st.builds(VendorSpecific, u32, u8, st.binary(max_size=60)),
    HomeNetworkPrefix: st.builds(HomeNetworkPrefix, ipv6, st.integers(0, 128)),
    HandoffIndicatorOption: st.builds(HandoffIndicatorOption, u8),
    AccessTechnologyType: st.builds(AccessTechnologyType, u8),
    MNLinkLayerIdentifier: st.builds(MNLinkLayerIdentifier, st.binary(min_size=1, max_size=30)),
    LinkLocalAddress: st.builds(LinkLocalAddress, ipv6),
    Timestamp: st.builds(Timestamp, u64),
    RestartCounter: st.builds(RestartCounter, u32),
    GreKey: st.builds(GreKey, st.none() | u32),
    IPv4HomeAddressRequest: st.builds(IPv4HomeAddressRequest, ipv4, st.integers(0, 32)),
    IPv4HomeAddressReply: st.builds(IPv4HomeAddressReply, u8, ipv4, st.integers(0, 32)),
    IPv4DefaultRouterAddress: st.builds(IPv4DefaultRouterAddress, ipv4),
}

unknown_option = st.builds(
    UnknownOption,
    st.integers(2, 255).filter(lambda t: t not in OPTION_CLASSES),
    st.binary(max_size=60),
)
any_option = st.one_of(*OPTION_STRATEGIES.values(), unknown_option)
option_lists = st.lists(any_option, max_size=8)

MESSAGE_STRATEGIES = {
    ProxyBindingUpdate: st.builds(ProxyBindingUpdate, u16, lifetimes, u16, option_lists),
    ProxyBindingAck: st.builds(ProxyBindingAck, u8, u16, lifetimes, u8, option_lists),
    BindingError: st.builds(BindingError, u8, ipv6, option_lists),
    Heartbeat: st.builds(Heartbeat, u32, u16, option_lists),
    BindingRevocation: st.builds(BindingRevocation, u8, u8, u16, u16, option_lists),
}
messages = st.one_of(*MESSAGE_STRATEGIES.values())


def test_strategies_cover_every_class():
    """A new option or message class in the codec must get a strategy here."""
    assert set(OPTION_STRATEGIES) == set(OPTION_CLASSES.values())
    assert set(MESSAGE_STRATEGIES) == set(MESSAGE_CLASSES.values())


def tlv_offsets(raw: bytes) -> list[tuple[int, int]]:
    """(offset, type) of every non-padding option, walking the TLVs independently of the codec."""
    out, i = [], OPTIONS_START[raw[2]]
    while i < len(raw):
        if raw[i] == 0:
            i += 1
            continue
        if raw[i] != 1:
            out.append((i, raw[i]))
        i += 2 + raw[i + 1]
    assert i == len(raw)
    return out


# --------------------------------------------------------------------------------------------------
# Round trip.


@fast(300)
@given(messages)
def test_round_trip(message):
    raw = encode(message)
    assert len(raw) % 8 == 0 and len(raw) <= 2048
    assert raw[1] == len(raw) // 8 - 1
    assert raw[2] == message.MH_TYPE
    assert raw[4:6] == b"\0\0"
    assert decode(raw) == message
    offsets = tlv_offsets(raw)
    assert [t for _, t in offsets] == [o.TYPE for o in message.options]
    for off, otype in offsets:
        if otype in ALIGNMENT:
            x, y = ALIGNMENT[otype]
            assert off % x == y


@fast(40)
@given(messages, u16)
def test_decode_ignores_checksum_and_accepts_buffers(message, checksum):
    raw = bytearray(encode(message))
    raw[4:6] = struct.pack("!H", checksum)
    assert decode(bytes(raw)) == message
    assert decode(raw) == message
    assert decode(memoryview(bytes(raw))) == message


# --------------------------------------------------------------------------------------------------
# Robustness: only DecodeError may come out of decode().


def decode_or_error(raw: bytes):
    """decode() that returns the DecodeError instead of raising it; any other exception propagates."""
    try:
        return decode(raw)
    except DecodeError as exc:
        return exc


def check_decode(raw: bytes) -> None:
    result = decode_or_error(raw)
    if isinstance(result, DecodeError):
        return
    # A message that was accepted must survive re-encoding, unless a field cannot be put back on the
    # wire (for example a 6-bit IPv4 prefix length above 32); then only EncodeError is allowed.
    try:
        again = encode(result)
    except EncodeError:
        return
    assert decode(again) == result


@fast(300)
@given(st.binary(max_size=300))
def test_decode_random_bytes(raw):
    check_decode(raw)


@fast(300)
@given(
    st.integers(0, 40),
    st.sampled_from([5, 6, 7, 13, 16]),
    st.binary(min_size=328, max_size=328),
)
def test_decode_random_body_with_consistent_header(header_len, mh_type, noise):
    """Random option areas behind a header that passes the length and type checks."""
    raw = bytearray(noise[: (header_len + 1) * 8])
    raw[1] = header_len
    raw[2] = mh_type
    check_decode(bytes(raw))


MUTATIONS = ("flip", "set", "insert", "delete", "truncate", "extend", "header_len", "option_len", "fix_len")


def _mutate(raw: bytes, data) -> bytes:
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        kind = data.draw(st.sampled_from(MUTATIONS))
        n = len(buf)
        if kind == "flip" and n:
            i = data.draw(st.integers(0, n - 1))
            buf[i] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "set" and n:
            buf[data.draw(st.integers(0, n - 1))] = data.draw(u8)
        elif kind == "insert":
            buf.insert(data.draw(st.integers(0, n)), data.draw(u8))
        elif kind == "delete" and n:
            del buf[data.draw(st.integers(0, n - 1))]
        elif kind == "truncate":
            del buf[data.draw(st.integers(0, n)) :]
        elif kind == "extend":
            buf += data.draw(st.binary(min_size=1, max_size=16))
        elif kind == "header_len" and n > 1:
            buf[1] = data.draw(u8)
        elif kind == "option_len" and n > 2:
            offsets = tlv_offsets_lenient(bytes(buf))
            if offsets:
                i = data.draw(st.sampled_from(offsets))
                buf[i + 1] = data.draw(u8)
        elif kind == "fix_len":
            _fix_header_len(buf)
    if data.draw(st.booleans(), label="fix Header Len at the end"):
        _fix_header_len(buf)
    return bytes(buf)


def _fix_header_len(buf: bytearray) -> None:
    """Pad or cut to a multiple of 8 and make Header Len agree, so that the option parser is reached."""
    buf += bytes(-len(buf) % 8)
    del buf[8 * 256 :]
    if len(buf) >= 8:
        buf[1] = len(buf) // 8 - 1


def tlv_offsets_lenient(raw: bytes) -> list[int]:
    """Offsets of the option TLVs of a possibly broken message, as far as they can be followed."""
    if len(raw) < 3 or raw[2] not in OPTIONS_START:
        return []
    out, i = [], OPTIONS_START[raw[2]]
    while i + 1 < len(raw):
        if raw[i] == 0:
            i += 1
            continue
        out.append(i)
        i += 2 + raw[i + 1]
    return out


@fast(300)
@given(messages, st.data())
def test_decode_mutated_encodings(message, data):
    check_decode(_mutate(encode(message), data))


@fast(100)
@given(messages, st.data())
def test_decode_errors_are_deliberate(message, data):
    """Every DecodeError comes from a validation in the parser, not from decode()'s catch-all
    (which wraps an unexpected exception and chains it as __cause__): the parser checks its bounds."""
    result = decode_or_error(_mutate(encode(message), data))
    if isinstance(result, DecodeError):
        assert result.__cause__ is None, f"parser bug caught by the safety net: {result.__cause__!r}"


# --------------------------------------------------------------------------------------------------
# Code tables against the IANA "Mobile IPv6 parameters" registries (protocol reference sections 1-4).


def _check(enum, expected: dict) -> None:
    for name, value in expected.items():
        assert enum[name] == value, f"{enum.__name__}.{name}"


def test_pmipv6_status_codes():
    _check(
        Status,
        {
            "PROXY_REG_NOT_ENABLED": 152,
            "NOT_LMA_FOR_THIS_MOBILE_NODE": 153,
            "MAG_NOT_AUTHORIZED_FOR_PROXY_REG": 154,
            "NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX": 155,
            "TIMESTAMP_MISMATCH": 156,
            "TIMESTAMP_LOWER_THAN_PREV_ACCEPTED": 157,
            "MISSING_HOME_NETWORK_PREFIX_OPTION": 158,
            "BCE_PBU_PREFIX_SET_DO_NOT_MATCH": 159,
            "MISSING_MN_IDENTIFIER_OPTION": 160,
            "MISSING_HANDOFF_INDICATOR_OPTION": 161,
            "MISSING_ACCESS_TECH_TYPE_OPTION": 162,
        },
    )
    assert sorted(s.value for s in Status if 152 <= s.value <= 162) == list(range(152, 163))


def test_other_status_codes():
    _check(
        Status,
        {
            "ACCEPTED": 0,
            "ACCEPTED_PREFIX_DISCOVERY": 1,
            "GRE_KEY_OPTION_NOT_REQUIRED": 2,
            "GRE_TUNNELING_BUT_TLV_HEADER_NOT_SUPPORTED": 3,
            "REASON_UNSPECIFIED": 128,
            "ADMINISTRATIVELY_PROHIBITED": 129,
            "INSUFFICIENT_RESOURCES": 130,
            "SEQUENCE_OUT_OF_WINDOW": 135,
            "MIPV6_ID_MISMATCH": 144,
            "MIPV6_MESG_ID_REQD": 145,
            "MIPV6_AUTH_FAIL": 146,
            "GRE_KEY_OPTION_REQUIRED": 163,
            "NOT_AUTHORIZED_FOR_IPV4_MOBILITY_SERVICE": 170,
            "NOT_AUTHORIZED_FOR_IPV4_HOME_ADDRESS": 171,
            "NOT_AUTHORIZED_FOR_IPV6_MOBILITY_SERVICE": 172,
            "MULTIPLE_IPV4_HOME_ADDRESS_ASSIGNMENT_NOT_SUPPORTED": 173,
        },
    )
    for status in Status:
        assert status.accepted == (status.value < 128)


def test_handoff_indicator_values():
    assert [int(v) for v in HandoffIndicator] == list(range(7))
    _check(
        HandoffIndicator,
        {
            "NEW_INTERFACE": 1,
            "HANDOFF_BETWEEN_INTERFACES": 2,
            "HANDOFF_BETWEEN_MAGS": 3,
            "UNKNOWN": 4,
            "NOT_CHANGED": 5,
            "NEW_INTERFACE_SHARING_PREFIXES": 6,
        },
    )


def test_access_technology_values():
    assert [int(v) for v in AccessTechnology] == list(range(14))
    _check(
        AccessTechnology,
        {
            "RESERVED": 0,
            "VIRTUAL": 1,
            "PPP": 2,
            "IEEE_802_3": 3,
            "IEEE_802_11": 4,
            "IEEE_802_16E": 5,
            "GERAN": 6,
            "UTRAN": 7,
            "EUTRAN": 8,
            "EHRPD": 9,
            "HRPD": 10,
            "ONE_X_RTT": 11,
            "UMB": 12,
            "NB_IOT": 13,
        },
    )


# IANA mobility option registry (protocol reference section 3.4).
IANA_OPTION_TYPES = {
    "PAD1": 0,
    "PADN": 1,
    "BINDING_REFRESH_ADVICE": 2,
    "ALTERNATE_COA": 3,
    "MN_ID": 8,
    "AUTH": 9,
    "MESG_ID": 10,
    "VENDOR_SPECIFIC": 19,
    "SERVICE_SELECTION": 20,
    "HOME_NETWORK_PREFIX": 22,
    "HANDOFF_INDICATOR": 23,
    "ACCESS_TECHNOLOGY_TYPE": 24,
    "MN_LINK_LAYER_ID": 25,
    "LINK_LOCAL_ADDRESS": 26,
    "TIMESTAMP": 27,
    "RESTART_COUNTER": 28,
    "GRE_KEY": 33,
    "IPV4_HOA_REQUEST": 36,
    "IPV4_HOA_REPLY": 37,
    "IPV4_DEFAULT_ROUTER": 38,
}


def test_option_types():
    _check(OptionType, IANA_OPTION_TYPES)
    assert {m.name for m in OptionType} <= set(IANA_OPTION_TYPES)
    for otype, cls in OPTION_CLASSES.items():
        assert otype == cls.TYPE
        assert otype in set(IANA_OPTION_TYPES.values()) - {0, 1}


def test_mh_types():
    assert [int(v) for v in MHType] == list(range(21))
    _check(
        MHType,
        {
            "BINDING_UPDATE": 5,
            "BINDING_ACK": 6,
            "BINDING_ERROR": 7,
            "HEARTBEAT": 13,
            "BINDING_REVOCATION": 16,
            "UPDATE_NOTIFICATION": 19,
            "UPDATE_NOTIFICATION_ACK": 20,
        },
    )


def test_flag_masks():
    _check(
        BUFlag,
        {
            "A": 0x8000,
            "H": 0x4000,
            "L": 0x2000,
            "K": 0x1000,
            "M": 0x0800,
            "R": 0x0400,
            "P": 0x0200,
            "F": 0x0100,
            "T": 0x0080,
            "B": 0x0040,
            "S": 0x0020,
            "D": 0x0010,
        },
    )
    _check(BAFlag, {"K": 0x80, "R": 0x40, "P": 0x20, "T": 0x10, "B": 0x08, "S": 0x04, "D": 0x02})
    _check(HeartbeatFlag, {"U": 0x0002, "R": 0x0001})
    _check(BRFlag, {"P": 0x8000, "V": 0x4000, "G": 0x2000})


@pytest.mark.parametrize(
    ("enum", "expected"),
    [
        (
            MNIdSubtype,
            {
                "NAI": 1,
                "IPV6_ADDRESS": 2,
                "IMSI": 3,
                "P_TMSI": 4,
                "EUI48": 5,
                "EUI64": 6,
                "GUTI": 7,
                "DUID": 8,
            },
        ),
        (BRType, {"INDICATION": 1, "ACKNOWLEDGEMENT": 2}),
        (BindingErrorStatus, {"UNKNOWN_BINDING_FOR_HOA": 1, "UNRECOGNIZED_MH_TYPE": 2}),
        (
            RevocationTrigger,
            {
                "UNSPECIFIED": 0,
                "ADMINISTRATIVE": 1,
                "INTER_MAG_HANDOVER_SAME_ATT": 2,
                "INTER_MAG_HANDOVER_DIFFERENT_ATT": 3,
                "INTER_MAG_HANDOVER_UNKNOWN": 4,
                "USER_INITIATED_TERMINATION": 5,
                "ACCESS_NETWORK_TERMINATION": 6,
                "POSSIBLE_OUT_OF_SYNC_BCE": 7,
                "PER_PEER_POLICY": 128,
                "REVOKING_MN_LOCAL_POLICY": 129,
            },
        ),
        (
            RevocationStatus,
            {
                "SUCCESS": 0,
                "PARTIAL_SUCCESS": 1,
                "BINDING_DOES_NOT_EXIST": 128,
                "IPV4_HOA_OPTION_REQUIRED": 129,
                "GLOBAL_REVOCATION_NOT_AUTHORIZED": 130,
                "REVOKED_MN_IDENTITY_REQUIRED": 131,
                "REVOCATION_FAILED_MN_ATTACHED": 132,
                "REVOCATION_TRIGGER_NOT_SUPPORTED": 133,
                "REVOCATION_FUNCTION_NOT_SUPPORTED": 134,
                "PROXY_REVOCATION_NOT_SUPPORTED": 135,
            },
        ),
        (
            IPv4HoAReplyStatus,
            {
                "SUCCESS": 0,
                "UNSPECIFIED_FAILURE": 128,
                "ADMINISTRATIVELY_PROHIBITED": 129,
                "INCORRECT_IPV4_HOA": 130,
                "INVALID_IPV4_ADDRESS": 131,
                "DYNAMIC_ASSIGNMENT_NOT_AVAILABLE": 132,
            },
        ),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_other_code_tables(enum, expected):
    _check(enum, expected)
    assert len(enum) == len(expected), f"{enum.__name__} has values the IANA table does not list"

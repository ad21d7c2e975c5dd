"""The compiled fast path (wire.fastpath) gives exactly the generic encoder's bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmipv6.wire import (
    AccessTechnologyType,
    GreKey,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingAck,
    ProxyBindingUpdate,
    Timestamp,
    decode,
    encode,
)
from pmipv6.wire.messages import encode_generic

_option = st.one_of(
    st.builds(MobileNodeIdentifier, st.text(min_size=1, max_size=60).filter(lambda s: len(s.encode()) < 200)),
    st.builds(MobileNodeIdentifier, st.binary(min_size=1, max_size=20), st.integers(2, 8)),
    st.builds(HomeNetworkPrefix, st.binary(min_size=16, max_size=16), st.integers(0, 128)),
    st.builds(HandoffIndicatorOption, st.integers(0, 255)),
    st.builds(AccessTechnologyType, st.integers(0, 255)),
    st.builds(MNLinkLayerIdentifier, st.binary(min_size=1, max_size=16)),
    st.builds(LinkLocalAddress, st.binary(min_size=16, max_size=16)),
    st.builds(Timestamp, st.integers(0, 2**64 - 1)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF).map(lambda u: u * 4),
    st.lists(_option, max_size=9),
)
def test_fast_path_matches_generic_pba(status, seq, lifetime, options):
    pba = ProxyBindingAck(status, seq, lifetime, 0x20, options)
    assert pba._fast() is not None
    data = encode(pba)
    assert data == encode_generic(pba)
    assert decode(data) == pba


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF).map(lambda u: u * 4),
    st.lists(_option, max_size=9),
)
def test_fast_path_matches_generic_pbu(seq, flags, lifetime, options):
    pbu = ProxyBindingUpdate(seq, lifetime, flags, options)
    assert pbu._fast() is not None
    data = encode(pbu)
    assert data == encode_generic(pbu)
    assert decode(data) == pbu


def test_fast_path_declines_other_options():
    pba = ProxyBindingAck(0, 1, 8, 0x20, [MobileNodeIdentifier("a@b"), GreKey(5)])
    assert pba._fast() is None
    assert encode(pba) == encode_generic(pba)

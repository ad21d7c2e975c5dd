"""Building the Proxy Binding Update (RFC 5213 §6.9.1.5): pure, no state."""

from __future__ import annotations

from collections.abc import Sequence

from ..wire import (
    AccessTechnologyType,
    BUFlag,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingUpdate,
    Timestamp,
)

Prefix = tuple[bytes, int]


def build_pbu(
    *,
    sequence: int,
    lifetime: int,
    mn_id: str,
    prefixes: Sequence[Prefix],
    handoff: int,
    att: int,
    mn_ll_id: bytes,
    timestamp: float | None,
    link_local: bytes | None = None,
) -> ProxyBindingUpdate:
    """A PBU with flags A|P and the options in the order of the reference golden vector:
    MN-ID, HNP(s), HI, ATT, MN-LL-ID, Timestamp (when ``timestamp`` is not None), Link-local
    Address (when given).  ``lifetime`` 0 makes it a de-registration."""
    options: list = [MobileNodeIdentifier(mn_id)]
    options += [HomeNetworkPrefix(prefix, length) for prefix, length in prefixes]
    options += [HandoffIndicatorOption(handoff), AccessTechnologyType(att), MNLinkLayerIdentifier(mn_ll_id)]
    if timestamp is not None:
        options.append(Timestamp.from_seconds(timestamp))
    if link_local is not None:
        options.append(LinkLocalAddress(link_local))
    return ProxyBindingUpdate(sequence, lifetime, BUFlag.A | BUFlag.P, options)

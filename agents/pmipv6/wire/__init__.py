"""Mobility Header codec (IPv6 next header 135): pure bytes in, objects out."""

from .codes import (
    ACCESS_TECHNOLOGY_NAMES,
    AccessTechnology,
    BAFlag,
    BindingErrorStatus,
    BRFlag,
    BRType,
    BUFlag,
    HandoffIndicator,
    HeartbeatFlag,
    IPv4HoAReplyStatus,
    MHType,
    MNIdSubtype,
    OptionType,
    RevocationStatus,
    RevocationTrigger,
    Status,
    status_name,
)
from .errors import DecodeError, EncodeError, UnknownMHType
from .messages import (
    MAX_LIFETIME,
    BindingError,
    BindingRevocation,
    Heartbeat,
    Message,
    ProxyBindingAck,
    ProxyBindingUpdate,
    decode,
    encode,
)
from .options import (
    ZERO16,
    AccessTechnologyType,
    GreKey,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    IPv4DefaultRouterAddress,
    IPv4HomeAddressReply,
    IPv4HomeAddressRequest,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    MobilityMessageAuthentication,
    Option,
    RestartCounter,
    Timestamp,
    UnknownOption,
    VendorSpecific,
    ipv4_bytes,
    ipv4_text,
    ipv6_bytes,
    ipv6_text,
    mac_bytes,
    mac_text,
    seconds_to_timestamp,
)

ALL_ZERO = HomeNetworkPrefix(ZERO16, 0)

__all__ = [name for name in dir() if not name.startswith("_")]

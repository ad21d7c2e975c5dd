"""IANA code tables for the Mobility Header (RFC 6275, 5213 and extensions).

Values are from the IANA "Mobile IPv6 parameters" registries; names follow the RFC text.
"""

from enum import IntEnum, IntFlag


class MHType(IntEnum):
    BINDING_REFRESH_REQUEST = 0
    HOME_TEST_INIT = 1
    CARE_OF_TEST_INIT = 2
    HOME_TEST = 3
    CARE_OF_TEST = 4
    BINDING_UPDATE = 5
    BINDING_ACK = 6
    BINDING_ERROR = 7
    FAST_BINDING_UPDATE = 8
    FAST_BINDING_ACK = 9
    FAST_NEIGHBOR_ADVERTISEMENT = 10
    EXPERIMENTAL = 11
    HOME_AGENT_SWITCH = 12
    HEARTBEAT = 13
    HANDOVER_INITIATE = 14
    HANDOVER_ACK = 15
    BINDING_REVOCATION = 16
    LOCALIZED_ROUTING_INITIATION = 17
    LOCALIZED_ROUTING_ACK = 18
    UPDATE_NOTIFICATION = 19
    UPDATE_NOTIFICATION_ACK = 20


class OptionType(IntEnum):
    PAD1 = 0
    PADN = 1
    BINDING_REFRESH_ADVICE = 2
    ALTERNATE_COA = 3
    MN_ID = 8
    AUTH = 9
    MESG_ID = 10
    VENDOR_SPECIFIC = 19
    SERVICE_SELECTION = 20
    HOME_NETWORK_PREFIX = 22
    HANDOFF_INDICATOR = 23
    ACCESS_TECHNOLOGY_TYPE = 24
    MN_LINK_LAYER_ID = 25
    LINK_LOCAL_ADDRESS = 26
    TIMESTAMP = 27
    RESTART_COUNTER = 28
    GRE_KEY = 33
    IPV4_HOA_REQUEST = 36
    IPV4_HOA_REPLY = 37
    IPV4_DEFAULT_ROUTER = 38


class Status(IntEnum):
    """Binding Acknowledgement status (below 128: accepted)."""

    ACCEPTED = 0
    ACCEPTED_PREFIX_DISCOVERY = 1
    GRE_KEY_OPTION_NOT_REQUIRED = 2
    GRE_TUNNELING_BUT_TLV_HEADER_NOT_SUPPORTED = 3
    REASON_UNSPECIFIED = 128
    ADMINISTRATIVELY_PROHIBITED = 129
    INSUFFICIENT_RESOURCES = 130
    SEQUENCE_OUT_OF_WINDOW = 135
    MIPV6_ID_MISMATCH = 144
    MIPV6_MESG_ID_REQD = 145
    MIPV6_AUTH_FAIL = 146
    PROXY_REG_NOT_ENABLED = 152
    NOT_LMA_FOR_THIS_MOBILE_NODE = 153
    MAG_NOT_AUTHORIZED_FOR_PROXY_REG = 154
    NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX = 155
    TIMESTAMP_MISMATCH = 156
    TIMESTAMP_LOWER_THAN_PREV_ACCEPTED = 157
    MISSING_HOME_NETWORK_PREFIX_OPTION = 158
    BCE_PBU_PREFIX_SET_DO_NOT_MATCH = 159
    MISSING_MN_IDENTIFIER_OPTION = 160
    MISSING_HANDOFF_INDICATOR_OPTION = 161
    MISSING_ACCESS_TECH_TYPE_OPTION = 162
    GRE_KEY_OPTION_REQUIRED = 163
    NOT_AUTHORIZED_FOR_IPV4_MOBILITY_SERVICE = 170
    NOT_AUTHORIZED_FOR_IPV4_HOME_ADDRESS = 171
    NOT_AUTHORIZED_FOR_IPV6_MOBILITY_SERVICE = 172
    MULTIPLE_IPV4_HOME_ADDRESS_ASSIGNMENT_NOT_SUPPORTED = 173

    @property
    def accepted(self) -> bool:
        return self.value < 128


def status_name(code: int) -> str:
    """Name of a PBA status, or 'status-N' for codes this table does not carry."""
    try:
        return Status(code).name
    except ValueError:
        return f"status-{code}"


class HandoffIndicator(IntEnum):
    RESERVED = 0
    NEW_INTERFACE = 1
    HANDOFF_BETWEEN_INTERFACES = 2
    HANDOFF_BETWEEN_MAGS = 3
    UNKNOWN = 4
    NOT_CHANGED = 5
    NEW_INTERFACE_SHARING_PREFIXES = 6


class AccessTechnology(IntEnum):
    RESERVED = 0
    VIRTUAL = 1
    PPP = 2
    IEEE_802_3 = 3
    IEEE_802_11 = 4
    IEEE_802_16E = 5
    GERAN = 6
    UTRAN = 7
    EUTRAN = 8
    EHRPD = 9
    HRPD = 10
    ONE_X_RTT = 11
    UMB = 12
    NB_IOT = 13


# Names used in configuration files (agent config `access_technology`).
ACCESS_TECHNOLOGY_NAMES = {
    "virtual": AccessTechnology.VIRTUAL,
    "ppp": AccessTechnology.PPP,
    "ieee-802.3": AccessTechnology.IEEE_802_3,
    "ieee-802.11": AccessTechnology.IEEE_802_11,
    "ieee-802.16e": AccessTechnology.IEEE_802_16E,
    "3gpp-geran": AccessTechnology.GERAN,
    "3gpp-utran": AccessTechnology.UTRAN,
    "3gpp-eutran": AccessTechnology.EUTRAN,
    "3gpp2-ehrpd": AccessTechnology.EHRPD,
    "3gpp2-hrpd": AccessTechnology.HRPD,
    "3gpp2-1xrtt": AccessTechnology.ONE_X_RTT,
    "3gpp2-umb": AccessTechnology.UMB,
    "3gpp-nb-iot": AccessTechnology.NB_IOT,
}


class MNIdSubtype(IntEnum):
    NAI = 1
    IPV6_ADDRESS = 2
    IMSI = 3
    P_TMSI = 4
    EUI48 = 5
    EUI64 = 6
    GUTI = 7
    DUID = 8


class BUFlag(IntFlag):
    """Flags in the 16-bit word at offset 8 of a Binding Update."""

    A = 0x8000
    H = 0x4000
    L = 0x2000
    K = 0x1000
    M = 0x0800
    R = 0x0400
    P = 0x0200
    F = 0x0100
    T = 0x0080
    B = 0x0040
    S = 0x0020
    D = 0x0010


class BAFlag(IntFlag):
    """Flags in the octet at offset 7 of a Binding Acknowledgement."""

    K = 0x80
    R = 0x40
    P = 0x20
    T = 0x10
    B = 0x08
    S = 0x04
    D = 0x02


class HeartbeatFlag(IntFlag):
    U = 0x0002  # unsolicited
    R = 0x0001  # response


class BRType(IntEnum):
    INDICATION = 1
    ACKNOWLEDGEMENT = 2


class BRFlag(IntFlag):
    P = 0x8000  # proxy binding
    V = 0x4000  # IPv4 HoA only
    G = 0x2000  # global


class RevocationTrigger(IntEnum):
    UNSPECIFIED = 0
    ADMINISTRATIVE = 1
    INTER_MAG_HANDOVER_SAME_ATT = 2
    INTER_MAG_HANDOVER_DIFFERENT_ATT = 3
    INTER_MAG_HANDOVER_UNKNOWN = 4
    USER_INITIATED_TERMINATION = 5
    ACCESS_NETWORK_TERMINATION = 6
    POSSIBLE_OUT_OF_SYNC_BCE = 7
    PER_PEER_POLICY = 128
    REVOKING_MN_LOCAL_POLICY = 129


class RevocationStatus(IntEnum):
    SUCCESS = 0
    PARTIAL_SUCCESS = 1
    BINDING_DOES_NOT_EXIST = 128
    IPV4_HOA_OPTION_REQUIRED = 129
    GLOBAL_REVOCATION_NOT_AUTHORIZED = 130
    REVOKED_MN_IDENTITY_REQUIRED = 131
    REVOCATION_FAILED_MN_ATTACHED = 132
    REVOCATION_TRIGGER_NOT_SUPPORTED = 133
    REVOCATION_FUNCTION_NOT_SUPPORTED = 134
    PROXY_REVOCATION_NOT_SUPPORTED = 135


class BindingErrorStatus(IntEnum):
    UNKNOWN_BINDING_FOR_HOA = 1
    UNRECOGNIZED_MH_TYPE = 2


class IPv4HoAReplyStatus(IntEnum):
    SUCCESS = 0
    UNSPECIFIED_FAILURE = 128
    ADMINISTRATIVELY_PROHIBITED = 129
    INCORRECT_IPV4_HOA = 130
    INVALID_IPV4_ADDRESS = 131
    DYNAMIC_ASSIGNMENT_NOT_AVAILABLE = 132

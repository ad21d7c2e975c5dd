"""Mobile Access Gateway (RFC 5213 §6): binding update list, PBU sender, PBA handling.

``MobileAccessGateway`` is the engine (pure: clock, timers, I/O and data plane injected);
``pmipv6.heartbeat.HeartbeatMonitor`` watches the LMA and calls ``reregister_all`` when the
LMA's restart counter changes.
"""

from .bul import STATES, BindingUpdateList, BindingUpdateListEntry
from .engine import DEFAULT_ATTACH_HANDOFF, MobileAccessGateway
from .errors import MagError, NotAttachedError, UnknownMobileNode
from .liveness import monitor_lma
from .policy import PolicyTable

__all__ = [
    "DEFAULT_ATTACH_HANDOFF",
    "STATES",
    "BindingUpdateList",
    "BindingUpdateListEntry",
    "MagError",
    "MobileAccessGateway",
    "NotAttachedError",
    "PolicyTable",
    "UnknownMobileNode",
    "monitor_lma",
]

"""Local Mobility Anchor (RFC 5213 §5): binding cache, prefix allocation, PBU processing.

Modules, one job each: ``pool`` (HNP allocation), ``cache`` (binding cache entries, indexes and
lifetime expiry), ``replay`` (timestamp / sequence-number checks), ``policy`` (the configuration
in lookup form), ``engine`` (the §5.3.1 processing and §5.4.1 decisions).
"""

from .cache import ACTIVE, DELETING, Binding, BindingCache
from .engine import MAX_BINDINGS_PER_MN, LocalMobilityAnchor
from .policy import LmaPolicy
from .pool import PrefixPool, hnp_key, key_text, key_to_tuple
from .replay import ReplayGuard, seq_newer

__all__ = [
    "ACTIVE",
    "DELETING",
    "MAX_BINDINGS_PER_MN",
    "Binding",
    "BindingCache",
    "LmaPolicy",
    "LocalMobilityAnchor",
    "PrefixPool",
    "ReplayGuard",
    "hnp_key",
    "key_text",
    "key_to_tuple",
    "seq_newer",
]

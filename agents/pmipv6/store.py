"""The agent's state store (see ``pmipv6.persist`` for what is kept, and how durably)."""

from .persist import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    STATE_FILE,
    GroupCommitter,
    LmaJournal,
    LmaSnapshot,
    MagJournal,
    MagSnapshot,
    RefreshLog,
    StateInUseError,
    StateStore,
    StoreError,
    pack_prefixes,
    unpack_prefixes,
)

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "STATE_FILE",
    "GroupCommitter",
    "LmaJournal",
    "LmaSnapshot",
    "MagJournal",
    "MagSnapshot",
    "RefreshLog",
    "StateInUseError",
    "StateStore",
    "StoreError",
    "pack_prefixes",
    "unpack_prefixes",
]

"""Agent state on disk under ``state_dir``, so a restarted agent loses no mobility session.

What is kept:

* ``state.db`` (SQLite, schema version 1): ``schema_version(version)`` — one row;
  ``meta(key, value)`` — node, role, created, store_id, restart_counter (RFC 5847), replay_mode,
  pool_layout.  LMA: ``lma_binding`` — one row per binding cache entry keyed by its first HNP
  (the prefix set of an entry never changes, and a prefix belongs to one entry);
  ``lma_pool_cursor`` — per pool range the index of the next never-allocated prefix;
  ``lma_pool_free`` — prefixes returned below a cursor, in return order.  With the bindings these
  are the whole allocation state: a prefix is allocated iff it is below its range's cursor and
  not in the free list, or it is bound.  MAG: ``mag_entry`` — one row per binding update list
  entry keyed by MAC, with its timers as absolute times; ``mag_last_sequence`` — the sequence
  numbers a re-attach continues from.
* ``refresh-0.log``, ``refresh-1.log`` (LMA): the refresh log (``refreshlog``).  Refreshes are
  the bulk of the traffic and only move an entry's lifetime, timestamp / sequence number, HI and
  ATT.  Updating rows in place would cost a statement and a random 4 KiB WAL page per refresh
  (and checkpoints to match), so each commit appends one block of 45-octet records instead.
  Each binding row carries ``gen``, the commit that last wrote it whole; a record applies to it
  only when newer.  A trimming round (``journal.LmaJournal``) keeps the log within about two
  segments' worth of records per binding.

Durability: WAL journal, with the guarantee of ``synchronous=FULL``.  In WAL mode FULL syncs
the WAL after every commit, so a committed transaction survives a power loss; NORMAL syncs only
at checkpoints, and a transaction committed just before the machine crashes can roll back.  A
PBA (or PBU) must never leave before the state it announces is durable (else a rebooted LMA
could hand a prefix it already acknowledged to another MN), so NORMAL alone is not enough.
While serving, ``committer.GroupCommitter`` commits with NORMAL and has a helper process
``fdatasync`` the files each commit wrote (WAL, refresh log); replies wait for that sync, which
is what FULL would do inside the commit, while the agent goes on receiving and processing.
Everywhere else (start-up, restart counter, shutdown, or when no helper can run:
``PMIPV6_WAL_HELPER=0``) the connection uses FULL and the refresh log is synced in line.

Group commits: the engines record changes in journals (plain dict stores, no SQL on the hot
path; repeated changes to one binding coalesce).  The socket asks the committer before each
flush; the pending changes are committed together and the replies held until durable.  Timer
runs and control commands commit the same way.

Trust: the database is opened in exclusive locking mode, so a second agent pointed at the same
``state_dir`` fails to start.  A file that is not a readable database of this schema (random
bytes, truncated, another schema or version) or that belongs to another node or role is
reported, renamed to ``state.db.corrupt-<UTC time>`` or ``state.db.foreign-<UTC time>`` (with its
refresh log), and the agent starts with no stored state.
"""

from .committer import GroupCommitter
from .db import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    STATE_FILE,
    LmaSnapshot,
    MagSnapshot,
    StateInUseError,
    StateStore,
    StoreError,
)
from .journal import LmaJournal, MagJournal, pack_prefixes, unpack_prefixes
from .refreshlog import RefreshLog

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

"""Agent state in SQLite under ``state_dir``, so a restarted agent loses no mobility session.

What is kept (``state.db``, schema version 1):

* ``schema_version(version)`` — one row; ``meta(key, value)`` — node, role, created,
  restart_counter (RFC 5847), replay_mode, pool_layout.
* LMA: ``lma_binding`` — one row per binding cache entry keyed by its first HNP (the prefix set of
  an entry never changes, and a prefix belongs to one entry); ``lma_refresh`` — an append-only
  log of refreshes (see below); ``lma_pool_cursor`` — per pool range the index of the next
  never-allocated prefix; ``lma_pool_free`` — prefixes returned below a cursor, in return order.
  With the bindings these are the whole allocation state: a prefix is allocated iff it is below
  its range's cursor and not in the free list, or it is bound.
* MAG: ``mag_entry`` — one row per binding update list entry keyed by MAC, with its timers as
  absolute times; ``mag_last_sequence`` — the sequence numbers a re-attach continues from.

Durability: WAL journal, with the guarantee of ``synchronous=FULL``.  In WAL mode FULL syncs the
WAL after every commit, so a committed transaction survives a power loss; NORMAL syncs only at
checkpoints, and a transaction committed just before the machine crashes can roll back.  A PBA
(or PBU) must never leave before the state it announces is durable (else a rebooted LMA could hand
a prefix it already acknowledged to another MN), so NORMAL alone is not enough.  While serving,
``GroupCommitter`` commits with NORMAL and has a helper process ``fdatasync`` the WAL; replies
wait for that sync, which is exactly what FULL would do inside the commit, but the agent goes
on receiving and processing during the disk flush.  Everywhere else (start-up, restart counter,
shutdown, or when no helper can run: ``PMIPV6_WAL_HELPER=0``) the connection uses FULL itself.

Group commits: the engines record changes in a journal (plain dict stores, no SQL on the hot
path; repeated changes to one binding coalesce into one row).  The socket asks the committer
before each flush (every chunk of a receive batch, and sends outside a batch): pending changes
are committed in one transaction and the chunk's replies are held until a WAL sync started after
that commit has completed.  Timer runs and control commands commit the same way.

Refreshes (the bulk of the traffic) only move an entry's lifetime and timestamp / sequence
number.  Updating them in place would dirty one random page of ``lma_binding`` per refresh (a
4 KiB WAL frame each) and cost a statement per row, so instead each commit appends *one*
``lma_refresh`` row: its commit number and the packed (first HNP, stamp, t0, life, HI, ATT) of
every entry it refreshed (45 octets each).  Each binding row carries ``gen``, the commit that last
wrote it whole; a log record applies to it only when newer.  To keep the log short, each commit
also appends the current timing of a few more entries, taken round-robin from a list of the
cache's keys made when the round began; once a round has covered every entry, the log rows up
to the round's start are obsolete and deleted.  The log thus stays within about four records
per binding, and refreshes cost no per-row SQL at all.

The database is opened in exclusive locking mode, so a second agent pointed at the same
``state_dir`` fails to start instead of interleaving writes.  A file that is not a readable
database of this schema (random bytes, truncated, another schema or version) or that belongs to
another node or role is reported, renamed to ``state.db.corrupt-<UTC time>`` or
``state.db.foreign-<UTC time>``, and the agent starts with no stored state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("pmipv6.store")

STATE_FILE = "state.db"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x504D4950  # "PMIP": tells our files apart from other SQLite databases
LEGACY_RESTART_COUNTER = "restart_counter"  # the plain file used before the store

_SCHEMA = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) STRICT, WITHOUT ROWID",
    """CREATE TABLE lma_binding (
        hnp BLOB PRIMARY KEY,          -- first HNP key: 16 prefix octets + length octet
        hnps BLOB NOT NULL,            -- every HNP key of the entry, 17 octets each
        mn_id TEXT NOT NULL,
        ll_id BLOB,                    -- MN link-layer identifier
        att INTEGER,
        hi INTEGER,
        mag BLOB NOT NULL,             -- Proxy-CoA
        lla BLOB,                      -- MAG link-local address
        stamp INTEGER,                 -- last accepted Timestamp or Sequence # (see meta replay_mode)
        t0 REAL NOT NULL,              -- last accepted registration (or de-registration)
        life REAL NOT NULL,            -- seconds from t0 (MinDelayBeforeBCEDelete when deleting)
        created REAL NOT NULL,
        state INTEGER NOT NULL,        -- 0 active, 1 deleting
        gen INTEGER NOT NULL           -- commit that last wrote this row (see lma_refresh)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE lma_refresh (
        seq INTEGER PRIMARY KEY,       -- commit number
        records BLOB NOT NULL          -- _REFRESH_RECORD per refreshed entry
    ) STRICT""",
    """CREATE TABLE lma_pool_cursor (
        idx INTEGER PRIMARY KEY, pool TEXT NOT NULL, cursor INTEGER NOT NULL
    ) STRICT""",
    "CREATE TABLE lma_pool_free (hnp BLOB PRIMARY KEY, seq INTEGER NOT NULL) STRICT, WITHOUT ROWID",
    """CREATE TABLE mag_entry (
        mac BLOB PRIMARY KEY,
        mn_id TEXT NOT NULL,
        interface TEXT NOT NULL,
        att INTEGER NOT NULL,
        lma BLOB NOT NULL,
        requested BLOB NOT NULL,       -- 17-octet prefix keys
        attach_handoff INTEGER NOT NULL,
        sequence INTEGER NOT NULL,
        state TEXT NOT NULL,
        prefixes BLOB NOT NULL,        -- assigned by the LMA, 17-octet prefix keys
        link_local BLOB,
        handoff INTEGER NOT NULL,
        lifetime INTEGER NOT NULL,
        expires_at REAL,
        refresh_at REAL,
        last_status INTEGER
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE mag_last_sequence (
        mn_id TEXT NOT NULL, mac BLOB NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (mn_id, mac)
    ) STRICT, WITHOUT ROWID""",
)
_TABLES = frozenset(
    ("schema_version", "meta", "lma_binding", "lma_refresh", "lma_pool_cursor", "lma_pool_free",
     "mag_entry", "mag_last_sequence")
)  # fmt: skip
_ENTRY_TABLES = ("lma_binding", "mag_entry")
_BINDING_TABLES = (
    "lma_refresh",
    "lma_binding",
    "lma_pool_cursor",
    "lma_pool_free",
    "mag_entry",
    "mag_last_sequence",
)

_LMA_UPSERT = "INSERT OR REPLACE INTO lma_binding VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_LMA_TIMING = "UPDATE lma_binding SET stamp=?, t0=?, life=?, gen=? WHERE hnp=?"
# first HNP key, stamp (NO_STAMP: none), t0, life, HI and ATT (NO_VALUE: none)
_REFRESH_RECORD = struct.Struct("<17sQddHH")
NO_STAMP = 0xFFFFFFFFFFFFFFFF
NO_VALUE = 0xFFFF
FOLD_MIN = 16  # entries per commit the log-trimming round appends, at least (else as many as refreshed)
_LMA_DELETE = "DELETE FROM lma_binding WHERE hnp=?"
_MAG_UPSERT = "INSERT OR REPLACE INTO mag_entry VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


class StoreError(Exception):
    """The state file cannot be trusted. ``kind`` is "corrupt" or "foreign"."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class StateInUseError(OSError):
    """Another agent holds the state database."""


@dataclass
class LmaSnapshot:
    """Rows as stored; the engine turns them back into bindings and pool state."""

    bindings: list[tuple] = field(default_factory=list)  # lma_binding columns, log applied, no gen
    seq: int = 0  # the last commit number used
    cursors: dict[str, int] = field(default_factory=dict)  # pool text -> cursor
    free: list[tuple[bytes, int]] = field(default_factory=list)  # (key, seq), return order
    pool_layout: tuple[list[str], int] | None = None
    replay_mode: str | None = None


@dataclass
class MagSnapshot:
    entries: list[dict] = field(default_factory=list)
    last_sequence: dict[tuple[str, bytes], int] = field(default_factory=dict)


def pack_prefixes(prefixes) -> bytes:
    """[(16 octets, length), ...] -> 17-octet keys concatenated."""
    return b"".join(p + bytes((n,)) for p, n in prefixes)


def unpack_prefixes(blob: bytes) -> list[tuple[bytes, int]]:
    return [(blob[i : i + 16], blob[i + 16]) for i in range(0, len(blob), 17)]


def _value(v: int | None) -> int:
    return NO_VALUE if v is None else v


class LmaJournal:
    """Binding cache and pool changes since the last commit (coalesced per binding).

    ``full``: entries to write whole; ``refreshed``: entries whose only change is lifetime,
    timestamp / sequence number (a record in the commit's ``lma_refresh`` row); ``deleted``:
    first-HNP keys to delete.  The engine stores into these dicts directly on its hot path.
    Pool changes are logged by the pool itself (``PrefixPool.log``, ``cursors_changed``)."""

    __slots__ = (
        "deleted", "full", "meta", "pool", "pool_reset", "refreshed", "rewrite", "round_keys", "round_pos",
        "round_start", "seq", "source",
    )  # fmt: skip

    def __init__(self, seq: int = 0) -> None:
        self.full: dict[bytes, object] = {}
        self.refreshed: dict[bytes, object] = {}
        self.deleted: dict[bytes, None] = {}
        self.meta: dict[str, str] = {}
        self.pool = None
        self.pool_reset = False
        self.rewrite = False  # a commit failed after its changes were taken: write everything again
        self.source = None  # the engine (its ``cache``): timing rewrites and full rewrites read it
        self.seq = seq  # the last commit number used (binding ``gen``, ``lma_refresh.seq``)
        self.round_start = seq  # log rows up to here are obsolete once the round completes
        self.round_keys: list[bytes] | None = None  # the cache's keys when the round began
        self.round_pos = 0

    def upsert(self, b) -> None:
        key = b.first_key
        self.full[key] = b
        if self.deleted:
            self.deleted.pop(key, None)

    def delete(self, b) -> None:
        key = b.first_key
        self.full.pop(key, None)
        self.refreshed.pop(key, None)
        self.deleted[key] = None

    def use_pool(self, pool, pools: list[str], length: int, rewrite: bool) -> None:
        """Track ``pool``; ``rewrite``: its whole state replaces what is stored."""
        self.pool = pool
        if pool.log is None:
            pool.log = {}
        if rewrite:
            self.pool_reset = True
            self.meta["pool_layout"] = json.dumps({"pools": list(pools), "length": length})

    def pending(self) -> bool:
        pool = self.pool
        return bool(
            self.full
            or self.refreshed
            or self.deleted
            or self.meta
            or self.pool_reset
            or self.rewrite
            or (pool is not None and (pool.log or pool.cursors_changed))
        )

    def write(self, conn: sqlite3.Connection) -> int:
        self.seq += 1
        seq = self.seq
        rows = 0
        if self.rewrite and self.source is not None:
            conn.execute("DELETE FROM lma_binding")
            conn.execute("DELETE FROM lma_refresh")
            self.full = {b.first_key: b for b in self.source.cache}
            self.refreshed.clear()
            self.deleted.clear()
            self.pool_reset = True
            self.round_start, self.round_keys = seq, None
        if self.deleted:
            conn.executemany(_LMA_DELETE, [(k,) for k in self.deleted])
            rows += len(self.deleted)
        full = self.full
        if full:
            conn.executemany(
                _LMA_UPSERT,
                [
                    (k, b.hnps, b.mn_id, b.ll_id, b.att, b.hi, b.mag, b.lla, b.stamp, b.t0, b.life, b.created,
                     b.state, seq)
                    for k, b in full.items()
                ],
            )  # fmt: skip
            rows += len(full)
        pack = _REFRESH_RECORD.pack
        records = [
            pack(k, NO_STAMP if b.stamp is None else b.stamp, b.t0, b.life, _value(b.hi), _value(b.att))
            for k, b in self.refreshed.items()
            if k not in full
        ]
        rows += len(records)
        if self.source is not None:
            self._fold(conn, records)
        if records:
            conn.execute("INSERT INTO lma_refresh VALUES (?, ?)", (seq, b"".join(records)))
        pool = self.pool
        if pool is not None:
            if self.pool_reset:
                conn.execute("DELETE FROM lma_pool_free")
                conn.execute("DELETE FROM lma_pool_cursor")
                conn.executemany("INSERT INTO lma_pool_free VALUES (?, ?)", pool.free_list())
                rows += 1
            elif pool.log:
                log_ = pool.log
                conn.executemany(
                    "DELETE FROM lma_pool_free WHERE hnp=?", [(k,) for k, s in log_.items() if s is None]
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO lma_pool_free VALUES (?, ?)",
                    [(k, s) for k, s in log_.items() if s is not None],
                )
                rows += len(log_)
            if self.pool_reset or pool.cursors_changed:
                conn.executemany(
                    "INSERT OR REPLACE INTO lma_pool_cursor VALUES (?, ?, ?)",
                    [(i, text, cursor) for i, (text, cursor) in enumerate(pool.cursors())],
                )
        if self.meta:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(self.meta.items()))
        return rows

    def _fold(self, conn: sqlite3.Connection, records: list[bytes]) -> None:
        """Append the current timing of the round's next entries to ``records``; at the end of a
        round delete the log rows it made obsolete and begin the next one."""
        by_hnp = self.source.cache.by_hnp
        keys = self.round_keys
        if keys is None:
            if not by_hnp:
                return
            keys = self.round_keys = list(by_hnp)  # a C-level copy; multi-prefix entries skip extras
            self.round_pos = 0
        pos = self.round_pos
        end = pos + max(FOLD_MIN, len(records))
        pack = _REFRESH_RECORD.pack
        for key in keys[pos:end]:
            b = by_hnp.get(key)
            if b is not None and (b.hnps is key or b.first_key == key):
                stamp = NO_STAMP if b.stamp is None else b.stamp
                records.append(pack(key, stamp, b.t0, b.life, _value(b.hi), _value(b.att)))
        self.round_pos = end
        if end >= len(keys):  # every entry of the round now has a record newer than its start
            conn.execute("DELETE FROM lma_refresh WHERE seq <= ?", (self.round_start,))
            self.round_start, self.round_keys = self.seq, None

    def clear(self) -> None:
        self.full.clear()
        self.refreshed.clear()
        self.deleted.clear()
        self.meta.clear()
        self.pool_reset = self.rewrite = False
        pool = self.pool
        if pool is not None:
            pool.log.clear()
            pool.cursors_changed = False


class MagJournal:
    """Binding update list changes since the last commit: MAC -> entry (write it) or None
    (delete it); (MN-ID, MAC) -> last sequence number (or None: forget it)."""

    __slots__ = ("entries", "last_sequence", "rewrite", "source")

    def __init__(self) -> None:
        self.entries: dict[bytes, object] = {}
        self.last_sequence: dict[tuple[str, bytes], int | None] = {}
        self.rewrite = False  # see LmaJournal
        self.source = None  # the engine (``bul``, ``_last_sequence``), for a rewrite

    def pending(self) -> bool:
        return bool(self.entries or self.last_sequence or self.rewrite)

    def write(self, conn: sqlite3.Connection) -> int:
        if self.rewrite and self.source is not None:
            conn.execute("DELETE FROM mag_entry")
            conn.execute("DELETE FROM mag_last_sequence")
            self.entries = {e.mac: e for e in self.source.bul}
            self.last_sequence = dict(self.source._last_sequence)
        gone = [(mac,) for mac, e in self.entries.items() if e is None]
        if gone:
            conn.executemany("DELETE FROM mag_entry WHERE mac=?", gone)
        live = [_mag_row(e) for e in self.entries.values() if e is not None]
        if live:
            conn.executemany(_MAG_UPSERT, live)
        for (mn_id, mac), seq in self.last_sequence.items():
            if seq is None:
                conn.execute("DELETE FROM mag_last_sequence WHERE mn_id=? AND mac=?", (mn_id, mac))
            else:
                conn.execute("INSERT OR REPLACE INTO mag_last_sequence VALUES (?, ?, ?)", (mn_id, mac, seq))
        return len(self.entries) + len(self.last_sequence)

    def clear(self) -> None:
        self.entries.clear()
        self.last_sequence.clear()
        self.rewrite = False


def _mag_row(e) -> tuple:
    return (
        e.mac, e.mn_id, e.interface, e.att, e.lma, pack_prefixes(e.requested), e.attach_handoff, e.sequence,
        e.state, pack_prefixes(e.prefixes), e.link_local, e.handoff, e.lifetime, e.expires_at, e.refresh_at,
        e.last_status,
    )  # fmt: skip


class StateStore:
    """The agent's state database: open (checked, moved aside when untrustworthy), restart
    counter, the stored snapshot for this role, journals and group commits."""

    def __init__(self, state_dir: str | Path, node: str, role: str, load: bool = True) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE
        self.node, self.role = node, role
        self.stats: Counter = Counter()
        self.moved_aside: Path | None = None
        self.snapshot: LmaSnapshot | MagSnapshot | None = None
        self._journals: list = []
        self._error_logged_at = -1e9
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = self.path.exists()
        try:
            self.conn = self._connect()
            if existed:
                self._check()  # reads only: a file that is moved aside stays as it was
            self._use_wal()
            if not self._has_tables():
                self._create()
            elif load:
                self.snapshot = self._load()
        except StoreError as exc:
            self._close_quietly()
            self.moved_aside = self._move_aside(exc.kind)
            log.error(
                "state file %s is %s (%s): moved aside to %s; starting with no stored state",
                self.path,
                "corrupt" if exc.kind == "corrupt" else "from another agent",
                exc.reason,
                self.moved_aside.name,
            )
            self.conn = self._connect()
            self._use_wal()
            self._create()
        if load and self.snapshot is None:
            self.snapshot = LmaSnapshot() if role == "lma" else MagSnapshot()

    # --- opening ---------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=0)
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # one agent per state file; no -shm
            conn.execute("BEGIN IMMEDIATE")  # take the lock now, not at the first write
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        return conn

    def _use_wal(self) -> None:
        try:
            mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous=FULL")  # see the module docstring
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        if str(mode).lower() != "wal":
            raise StoreError("corrupt", f"cannot use a WAL journal (got {mode})")

    def _open_error(self, exc: sqlite3.Error) -> Exception:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError):
            if "locked" in text or "busy" in text:
                return StateInUseError(f"state database {self.path} is in use by another agent")
            return OSError(f"cannot open state database {self.path}: {text}")
        return StoreError("corrupt", f"not a usable database: {text}")  # SQLITE_NOTADB, SQLITE_CORRUPT

    def _tables(self) -> set[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {r[0] for r in rows}

    def _has_tables(self) -> bool:
        return bool(self._tables())

    def _check(self) -> None:
        conn = self.conn
        try:
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = self._tables()
            if not tables and app == 0:
                return  # created but never initialised (a crash at first start): nothing stored
            if app != APPLICATION_ID:
                raise StoreError("foreign", f"application id {app:#x} is not a pmipv6 state file")
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
            if problems != ["ok"]:
                raise StoreError("corrupt", "integrity check: " + "; ".join(map(str, problems)))
            missing = _TABLES - tables
            if missing:
                raise StoreError("corrupt", f"missing tables {', '.join(sorted(missing))}")
            versions = [r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall()]
            if versions != [SCHEMA_VERSION]:
                raise StoreError("foreign", f"schema version {versions} (this agent uses {SCHEMA_VERSION})")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("node") != self.node or meta.get("role") != self.role:
                raise StoreError(
                    "foreign",
                    f"written by {meta.get('role')} {meta.get('node')!r}, this is {self.role} {self.node!r}",
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError("corrupt", str(exc)) from None

    def _create(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        for table in self._tables():  # an empty shell left by an interrupted first start
            conn.execute(f'DROP TABLE "{table}"')
        for ddl in _SCHEMA:
            conn.execute(ddl)
        conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("node", self.node), ("role", self.role), ("created", _utc(time.time()))],
        )
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute("COMMIT")
        _fsync_dir(self.dir)

    def _move_aside(self, kind: str) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = self.path.with_name(f"{STATE_FILE}.{kind}-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{STATE_FILE}.{kind}-{stamp}.{n}")
        for suffix in ("", "-wal", "-shm", "-journal"):
            src = Path(f"{self.path}{suffix}")
            if src.exists():
                os.replace(src, Path(f"{target}{suffix}"))
        _fsync_dir(self.dir)
        return target

    def _close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            self.conn = None  # type: ignore[assignment]

    # --- loading ---------------------------------------------------------------------------------
    def _load(self) -> LmaSnapshot | MagSnapshot:
        try:
            return self._load_lma() if self.role == "lma" else self._load_mag()
        except sqlite3.DatabaseError as exc:
            raise StoreError("corrupt", str(exc)) from None
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise StoreError("corrupt", f"bad row: {exc}") from None

    def _meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta").fetchall())

    def _load_lma(self) -> LmaSnapshot:
        conn = self.conn
        meta = self._meta()
        snap = LmaSnapshot(replay_mode=meta.get("replay_mode"))
        if meta.get("pool_layout"):
            layout = json.loads(meta["pool_layout"])
            snap.pool_layout = ([str(p) for p in layout["pools"]], int(layout["length"]))
        rows: dict[bytes, list] = {}
        seq = 0
        for row in conn.execute("SELECT * FROM lma_binding"):
            hnp, hnps, mn_id, mag, lla, state = row[0], row[1], row[2], row[6], row[7], row[12]
            if (
                len(hnp) != 17
                or not hnps
                or len(hnps) % 17
                or hnps[:17] != hnp
                or len(mag) != 16
                or (lla is not None and len(lla) != 16)
                or state not in (0, 1)
            ):
                raise ValueError(f"binding {hnp.hex()} of {mn_id!r}")
            rows[hnp] = list(row)
            seq = max(seq, row[13])
        unpack = _REFRESH_RECORD.iter_unpack
        for log_seq, records in conn.execute("SELECT seq, records FROM lma_refresh ORDER BY seq"):
            if len(records) % _REFRESH_RECORD.size:
                raise ValueError(f"refresh log record {log_seq}")
            seq = max(seq, log_seq)
            for key, stamp, t0, life, hi, att in unpack(records):
                row = rows.get(key)
                if row is not None and log_seq > row[13]:  # newer than the row's last whole write
                    row[8] = None if stamp == NO_STAMP else stamp
                    row[9], row[10], row[13] = t0, life, log_seq
                    row[5] = None if hi == NO_VALUE else hi
                    row[4] = None if att == NO_VALUE else att
        snap.bindings = [tuple(row[:13]) for row in rows.values()]
        snap.seq = seq
        snap.cursors = {pool: cursor for _, pool, cursor in conn.execute("SELECT * FROM lma_pool_cursor")}
        snap.free = [(k, s) for k, s in conn.execute("SELECT hnp, seq FROM lma_pool_free ORDER BY seq")]
        return snap

    def _load_mag(self) -> MagSnapshot:
        conn = self.conn
        snap = MagSnapshot()
        names = [
            "mac", "mn_id", "interface", "att", "lma", "requested", "attach_handoff", "sequence", "state",
            "prefixes", "link_local", "handoff", "lifetime", "expires_at", "refresh_at", "last_status",
        ]  # fmt: skip
        for row in conn.execute("SELECT * FROM mag_entry"):
            entry = dict(zip(names, row, strict=True))
            if len(entry["lma"]) != 16 or len(entry["requested"]) % 17 or len(entry["prefixes"]) % 17:
                raise ValueError(f"entry {entry['mac'].hex()} of {entry['mn_id']!r}")
            entry["requested"] = unpack_prefixes(entry["requested"])
            entry["prefixes"] = unpack_prefixes(entry["prefixes"])
            snap.entries.append(entry)
        for mn_id, mac, seq in conn.execute("SELECT * FROM mag_last_sequence"):
            snap.last_sequence[mn_id, mac] = seq
        return snap

    # --- restart counter ---------------------------------------------------------------------------
    def bump_restart_counter(self) -> int:
        """This start's RFC 5847 Restart Counter: +1 on every start, durable before it is used.
        Continues from the plain ``restart_counter`` file older versions kept (then removed).
        After a damaged file was moved aside, it continues from the wall clock, so a peer that
        recorded the lost value sees a change."""
        legacy = self.dir / LEGACY_RESTART_COUNTER
        previous = 0
        stored = self._meta().get("restart_counter")
        if stored is not None and stored.isdigit():
            previous = int(stored)
        elif self.moved_aside is not None:
            previous = int(time.time())
        try:
            previous = max(previous, int(legacy.read_text().strip()))
        except FileNotFoundError:
            pass
        except ValueError:
            log.warning("%s is not a number; ignored", legacy)
        value = (previous + 1) & 0xFFFFFFFF
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('restart_counter', ?)", (str(value),))
        self.conn.execute("COMMIT")
        if legacy.exists():
            legacy.unlink()
        return value

    # --- journals and commits ------------------------------------------------------------------------
    def lma_journal(self, replay_mode: str) -> LmaJournal:
        seq = self.snapshot.seq if isinstance(self.snapshot, LmaSnapshot) else self._max_seq()
        journal = LmaJournal(seq)
        journal.meta["replay_mode"] = replay_mode
        self._journals.append(journal)
        return journal

    def _max_seq(self) -> int:
        conn = self.conn
        a = conn.execute("SELECT max(gen) FROM lma_binding").fetchone()[0] or 0
        b = conn.execute("SELECT max(seq) FROM lma_refresh").fetchone()[0] or 0
        return max(a, b)

    def mag_journal(self) -> MagJournal:
        journal = MagJournal()
        self._journals.append(journal)
        return journal

    def pending(self) -> bool:
        return any(j.pending() for j in self._journals)

    def commit(self) -> bool:
        """Write every pending change in one transaction. With ``synchronous=FULL`` (the default)
        it is durable when this returns True; under a ``GroupCommitter`` (NORMAL) it is durable
        once the committer's WAL sync that follows it completes. On an error every journal is
        marked for a full rewrite by the next commit and False is returned."""
        conn = self.conn
        journals = [j for j in self._journals if j.pending()]
        if conn is None or not journals:
            return True
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            rows = 0
            for j in journals:
                rows += j.write(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            for j in self._journals:
                j.rewrite = True  # a journal written before the failing statement was not cleared
            self._failed(exc)
            return False
        for j in journals:
            j.clear()
        self.stats[("persist_commits",)] += 1
        self.stats[("persist_rows",)] += rows
        self.stats[("persist_commit_us",)] += int((time.perf_counter() - started) * 1e6)
        return True

    def set_synchronous(self, mode: str) -> None:
        """FULL: every COMMIT fsyncs the WAL. NORMAL: only checkpoints sync; a ``GroupCommitter``
        syncs the WAL itself before anything depending on a commit leaves."""
        if self.conn is not None:
            self.conn.execute(f"PRAGMA synchronous={mode}")

    @property
    def wal_path(self) -> Path:
        return Path(f"{self.path}-wal")

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def _failed(self, exc: Exception) -> None:
        self.stats[("persist_errors",)] += 1
        now = time.monotonic()
        if now - self._error_logged_at > 10:
            self._error_logged_at = now
            log.error("cannot write state to %s: %s (written again at the next commit)", self.path, exc)

    def clear_bindings(self) -> int:
        """Forget every stored binding and allocation (persistence switched off, so what is stored
        would go stale); the restart counter stays. Returns the number of bindings removed."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        count = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _ENTRY_TABLES)
        for table in _BINDING_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM meta WHERE key IN ('pool_layout', 'replay_mode')")
        conn.execute("COMMIT")
        return count

    def close(self) -> None:
        if self.conn is None:
            return
        self.commit()
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._close_quietly()


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# The WAL sync helper: a separate small process, so waiting for the disk costs the agent neither
# time nor the GIL. One request byte in -> fdatasync(WAL) -> one byte out (1 ok, 0 failed).
_SYNC_HELPER = """
import os, sys
wal, req, rep = (int(a) for a in sys.argv[1:4])
if os.environ.get("PMIPV6_FIFO", "1") == "1":
  try:  # it only waits for the disk; a real-time class lets it run the moment the disk answers
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
  except (AttributeError, OSError):
    pass
while os.read(req, 4096):
    try:
        os.fdatasync(wal)
        ok = b"\\1"
    except OSError:
        ok = b"\\0"
    os.write(rep, ok)
"""


class _SyncHelper:
    """One WAL sync helper process and its pipes."""

    __slots__ = ("covers", "proc", "rep", "req", "since")

    def __init__(self, wal_fd: int) -> None:
        import subprocess
        import sys

        req_r, self.req = os.pipe()
        self.rep, rep_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _SYNC_HELPER, str(wal_fd), str(req_r), str(rep_w)],
                pass_fds=(wal_fd, req_r, rep_w),
                stdin=subprocess.DEVNULL,
            )
        except OSError:
            os.close(self.req)
            os.close(self.rep)
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
        os.set_blocking(self.rep, False)
        self.covers: int | None = None  # the commit count the running sync covers; None: idle
        self.since = 0.0  # when the running sync was requested

    def close(self) -> None:
        for fd in (self.req, self.rep):
            with contextlib.suppress(OSError):
                os.close(fd)
        try:  # it exits at the end of its request pipe
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait(5)


class GroupCommitter:
    """Group commits whose disk flush overlaps the agent's work; replies wait until durable.

    The transport calls ``ticket()`` at every flush (the end of each receive batch).  Pending
    changes are committed in one transaction with ``synchronous=NORMAL``: the frames reach the
    WAL file (page cache) without waiting for the disk.  Durability comes from an ``fdatasync``
    of the WAL by a helper process: a reply whose state is in commit ``n`` is held until a WAL
    sync *started after* commit ``n`` completes; then ``release(n)`` lets it go.  This is the
    guarantee ``synchronous=FULL`` gives (the WAL is synced after the commit and before anything
    depending on it is acknowledged), but the agent keeps receiving, processing and committing
    while the disk flushes.  Two helpers let syncs overlap, so a reply waits for about one disk
    flush; when both are busy, changes accumulate and are committed together as soon as one is
    free (a group commit).

    Failures: if no helper can run or one dies, commits fall back to ``synchronous=FULL`` in
    line. A failed commit or sync is logged and counted, the whole state is written again by the
    next commit, and the held replies are released anyway (availability over durability).
    """

    HELPERS = 2

    def __init__(self, store: StateStore, loop, release) -> None:
        self.store = store
        self.loop = loop
        self.release = release
        self.stats = store.stats
        self.committed = 0  # commits made under the helpers ...
        self.durable = 0  # ... how many of them completed WAL syncs cover
        self.inline = True  # no helpers: synchronous=FULL, each commit durable when it returns
        self._helpers: list[_SyncHelper] = []
        self._wal_fd = -1
        try:
            if os.environ.get("PMIPV6_WAL_HELPER") == "0":
                raise OSError("PMIPV6_WAL_HELPER=0")
            self._start_helpers()
        except OSError as exc:
            log.warning("WAL sync helper not available (%s): commits wait for the disk in line", exc)
            self._go_inline()

    def _start_helpers(self) -> None:
        if self.store.conn is None:
            raise OSError("state database not open")
        self._wal_fd = os.open(self.store.wal_path, os.O_RDONLY | os.O_CLOEXEC)
        for _ in range(int(os.environ.get("PMIPV6_HELPERS", self.HELPERS))):
            helper = _SyncHelper(self._wal_fd)
            self._helpers.append(helper)
            self.loop.add_reader(helper.rep, self._on_reply, helper)
        self.store.set_synchronous("NORMAL")
        self.inline = False

    def _go_inline(self) -> None:
        """Make every commit so far durable here, stop the helpers, commit with FULL from now on."""
        if self._wal_fd >= 0:
            try:
                os.fdatasync(self._wal_fd)
            except OSError as exc:
                self.stats[("persist_errors",)] += 1
                log.error("fdatasync of %s failed: %s", self.store.wal_path, exc)
            os.close(self._wal_fd)
            self._wal_fd = -1
        for helper in self._helpers:
            with contextlib.suppress(Exception):
                self.loop.remove_reader(helper.rep)
            helper.close()
        self._helpers.clear()
        self.inline = True
        self.store.set_synchronous("FULL")
        self._durable(self.committed)

    # --- the transport's gate -----------------------------------------------------------------------
    def ticket(self) -> int | None:
        """Before queued messages leave: None when everything they depend on is durable (send
        now), else the commit number they must wait for (``release``). Pending changes are
        committed now if a helper is free to sync them, else as soon as one is."""
        store = self.store
        if not self.inline:
            self._poll()
        if self.inline:
            if store.pending():
                store.commit()  # synchronous=FULL: durable on return (a failure is logged)
            return None
        if store.pending():
            idle = self._idle()
            if idle is None:
                return self.committed + 1
            store.commit()  # a failure is logged and rewritten next time; replies are not held for it
            self.committed += 1
            self._request_sync(idle)
            return self.committed
        return self.committed if self.committed > self.durable else None

    def kick(self) -> None:
        """Commit changes no message waits for (timer runs, control commands)."""
        self.ticket()

    def _idle(self) -> _SyncHelper | None:
        for helper in self._helpers:
            if helper.covers is None:
                return helper
        return None

    def _request_sync(self, helper: _SyncHelper) -> None:
        helper.covers = self.committed
        helper.since = time.perf_counter()
        try:
            os.write(helper.req, b"s")
        except OSError as exc:
            self._helper_failed(f"cannot reach a WAL sync helper ({exc})")

    def _on_reply(self, helper: _SyncHelper) -> None:
        """Loop callback: a helper answered while the agent was idle."""
        if self._read_reply(helper):
            self.ticket()  # commit what accumulated while no helper was free

    def _poll(self) -> None:
        """Take in the answers of helpers that finished (cheap: one read per busy helper)."""
        for helper in self._helpers:
            if helper.covers is not None:
                self._read_reply(helper)
                if self.inline:
                    return

    def _read_reply(self, helper: _SyncHelper) -> bool:
        try:
            data = os.read(helper.rep, 64)
        except BlockingIOError:
            return False
        except OSError as exc:
            log.debug("WAL sync helper pipe: %s", exc)
            data = b""
        if not data:
            self._helper_failed("a WAL sync helper exited")
            return False
        covers, helper.covers = helper.covers, None
        self.stats[("persist_syncs",)] += 1
        self.stats[("persist_sync_us",)] += int((time.perf_counter() - helper.since) * 1e6)
        if data[-1:] != b"\1":
            self.stats[("persist_errors",)] += 1
            log.error("fdatasync of %s failed: the whole state is written again", self.store.wal_path)
            for j in self.store._journals:
                j.rewrite = True
        if covers is not None:
            self._durable(covers)
        return True

    def _durable(self, n: int) -> None:
        if n > self.durable:
            self.durable = n
            self.release(n)

    def _helper_failed(self, why: str) -> None:
        self.stats[("persist_errors",)] += 1
        log.error("%s: commits wait for the disk in line from now on", why)
        self._go_inline()

    def close(self) -> None:
        """Commit the rest, make everything durable, let every held message go, stop the helpers."""
        if not self.inline and self.store.pending():
            self.store.commit()
            self.committed += 1
        self._go_inline()
        self.ticket()
        self.release(None)

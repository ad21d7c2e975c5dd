"""The state database: opening (checked; moved aside when it cannot be trusted), the schema, the
stored snapshot of each role, the restart counter, and commits of the engines' journals."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .journal import NO_STAMP, NO_VALUE, REFRESH_RECORD, LmaJournal, MagJournal, unpack_prefixes
from .refreshlog import SEGMENTS, RefreshLog

log = logging.getLogger("pmipv6.persist")

STATE_FILE = "state.db"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x504D4950  # "PMIP": tells our files apart from other SQLite databases
LEGACY_RESTART_COUNTER = "restart_counter"  # the plain file used before the store
WAL_DIRTY = 1 << 2  # take_dirty() bit for the WAL (the refresh log segments use bits 0 and 1)

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
        gen INTEGER NOT NULL           -- the commit that wrote this row (refresh-log records newer apply)
    ) STRICT, WITHOUT ROWID""",
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
    ("schema_version", "meta", "lma_binding", "lma_pool_cursor", "lma_pool_free", "mag_entry",
     "mag_last_sequence")
)  # fmt: skip
_ENTRY_TABLES = ("lma_binding", "mag_entry")
_BINDING_TABLES = ("lma_binding", "lma_pool_cursor", "lma_pool_free", "mag_entry", "mag_last_sequence")


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


_MAG_COLUMNS = (
    "mac", "mn_id", "interface", "att", "lma", "requested", "attach_handoff", "sequence", "state",
    "prefixes", "link_local", "handoff", "lifetime", "expires_at", "refresh_at", "last_status",
)  # fmt: skip


class StateStore:
    """The agent's state database (and, on an LMA, its refresh log)."""

    def __init__(self, state_dir: str | Path, node: str, role: str, load: bool = True) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE
        self.node, self.role = node, role
        self.stats: Counter = Counter()
        self.moved_aside: Path | None = None
        self.snapshot: LmaSnapshot | MagSnapshot | None = None
        self.refresh_log: RefreshLog | None = None
        self.inline_sync = True  # commits are durable on return (else a GroupCommitter syncs)
        self._dirty = 0
        self._journals: list = []
        self._error_logged_at = -1e9
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = self.path.exists()
        try:
            self.conn = self._connect()
            if existed:
                self._check()  # reads only: a file that is moved aside stays as it was
            self._use_wal()
            fresh = not self._has_tables()
            if fresh:
                self._create()
            self._open_refresh_log(fresh)
            if load and not fresh:
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
            self._open_refresh_log(True)
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
            self.conn.execute("PRAGMA synchronous=FULL")  # see the package docstring
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
            meta = self._meta()
            if meta.get("node") != self.node or meta.get("role") != self.role:
                raise StoreError(
                    "foreign",
                    f"written by {meta.get('role')} {meta.get('node')!r}, this is {self.role} {self.node!r}",
                )
            if not str(meta.get("store_id", "")).isdigit():
                raise StoreError("corrupt", "no store id")
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
            [
                ("node", self.node),
                ("role", self.role),
                ("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                ("store_id", str(secrets.randbits(32))),  # ties the refresh log to this database
            ],
        )
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute("COMMIT")
        _fsync_dir(self.dir)

    def _open_refresh_log(self, fresh: bool) -> None:
        if self.role == "lma":
            self.refresh_log = RefreshLog(self.dir, int(self._meta()["store_id"]), fresh)

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
        for name in SEGMENTS:  # the refresh log belongs to that file
            src = self.dir / name
            if src.exists():
                os.replace(src, src.with_name(f"{name}.{target.name.removeprefix(STATE_FILE + '.')}"))
        _fsync_dir(self.dir)
        return target

    def _close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            self.conn = None  # type: ignore[assignment]
        if self.refresh_log is not None:
            self.refresh_log.close()
            self.refresh_log = None

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
        for log_seq, records in self.refresh_log.load():
            if len(records) % REFRESH_RECORD.size:
                raise ValueError(f"refresh log block {log_seq}")
            seq = max(seq, log_seq)
            for key, stamp, t0, life, hi, att in REFRESH_RECORD.iter_unpack(records):
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
        snap = MagSnapshot()
        for row in self.conn.execute("SELECT * FROM mag_entry"):
            entry = dict(zip(_MAG_COLUMNS, row, strict=True))
            if len(entry["lma"]) != 16 or len(entry["requested"]) % 17 or len(entry["prefixes"]) % 17:
                raise ValueError(f"entry {entry['mac'].hex()} of {entry['mn_id']!r}")
            entry["requested"] = unpack_prefixes(entry["requested"])
            entry["prefixes"] = unpack_prefixes(entry["prefixes"])
            snap.entries.append(entry)
        for mn_id, mac, seq in self.conn.execute("SELECT * FROM mag_last_sequence"):
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
        gen = self.conn.execute("SELECT max(gen) FROM lma_binding").fetchone()[0] or 0
        return max(gen, self.refresh_log.top if self.refresh_log is not None else 0)

    def mag_journal(self) -> MagJournal:
        journal = MagJournal()
        self._journals.append(journal)
        return journal

    def pending(self) -> bool:
        return any(j.pending() for j in self._journals)

    def commit(self) -> bool:
        """Write every pending change: one SQLite transaction for rows (if any) and one
        refresh-log block for refreshes (if any). With ``inline_sync`` (the default) both are
        durable when this returns True; under a ``GroupCommitter`` the files written are flagged
        (``take_dirty``) and it syncs them before anything depending on them leaves. On an error
        every journal is marked for a full rewrite by the next commit and False is returned."""
        journals = [j for j in self._journals if j.pending()]
        if self.conn is None or not journals:
            return True
        started = time.perf_counter()
        rows = 0
        conn = self.conn
        for j in journals:
            j.begin()
        try:
            sql = [j for j in journals if j.sql_pending()]
            if sql:
                conn.execute("BEGIN")  # the exclusive locking mode already holds the write lock
                for j in sql:
                    rows += j.write_rows(conn)
                conn.execute("COMMIT")  # with synchronous=FULL (inline) this syncs the WAL too
                self._dirty |= WAL_DIRTY
            for j in journals:
                records, refreshes = j.records()
                if records:
                    self.refresh_log.append(j.seq, records)
                    rows += refreshes
                if j.round_done:
                    self.refresh_log.rotate()
            if self.inline_sync:
                self.refresh_log_sync(self.take_dirty())
        except (sqlite3.Error, OSError) as exc:
            self._rollback()
            for j in self._journals:
                j.rewrite = True  # a journal written before the failure was not cleared
            self._failed(exc)
            return False
        for j in journals:
            j.clear()
        self.stats[("persist_commits",)] += 1
        self.stats[("persist_rows",)] += rows
        self.stats[("persist_commit_us",)] += int((time.perf_counter() - started) * 1e6)
        return True

    def take_dirty(self) -> int:
        """Files written since the last call: WAL_DIRTY, and bit i for refresh-log segment i."""
        dirty = self._dirty
        if self.refresh_log is not None:
            dirty |= self.refresh_log.take_dirty()
        self._dirty = 0
        return dirty

    def refresh_log_sync(self, mask: int) -> None:
        """Sync the refresh-log segments in ``mask`` (the WAL is synced by SQLite when inline)."""
        if self.refresh_log is not None and mask & 3:
            self.refresh_log.sync(mask)

    def set_synchronous(self, mode: str) -> None:
        """FULL: every COMMIT fsyncs the WAL. NORMAL: only checkpoints sync; a ``GroupCommitter``
        syncs the WAL itself before anything depending on a commit leaves."""
        if self.conn is not None:
            self.conn.execute(f"PRAGMA synchronous={mode}")

    @property
    def wal_path(self) -> Path:
        return Path(f"{self.path}-wal")

    def _rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction:
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
        if self.refresh_log is not None:
            self.refresh_log.clear()
        return count

    def close(self) -> None:
        if self.conn is None:
            return
        self.inline_sync = True
        self.set_synchronous("FULL")
        self.commit()
        self.refresh_log_sync(self.take_dirty() | 3)
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._close_quietly()


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

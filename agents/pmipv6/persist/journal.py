"""What the engines changed since the last commit, coalesced per binding, and how it is written.

The engines store into these journals on their hot paths (plain dict stores, no SQL); the store
turns them into one SQLite transaction and, for the LMA's refreshes, one refresh-log block.
"""

from __future__ import annotations

import json
import sqlite3
import struct

# one refresh record: first HNP key, stamp (NO_STAMP: none), t0, life, HI and ATT (NO_VALUE: none)
REFRESH_RECORD = struct.Struct("<17sQddHH")
NO_STAMP = 0xFFFFFFFFFFFFFFFF
NO_VALUE = 0xFFFF
FOLD_MIN = 16  # entries a commit's trimming round covers, at least (else as many as it refreshed)

_LMA_UPSERT = "INSERT OR REPLACE INTO lma_binding VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_LMA_DELETE = "DELETE FROM lma_binding WHERE hnp=?"
_MAG_UPSERT = "INSERT OR REPLACE INTO mag_entry VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


def _value(v: int | None) -> int:
    return NO_VALUE if v is None else v


def pack_prefixes(prefixes) -> bytes:
    """[(16 octets, length), ...] -> 17-octet keys concatenated."""
    return b"".join(p + bytes((n,)) for p, n in prefixes)


def unpack_prefixes(blob: bytes) -> list[tuple[bytes, int]]:
    return [(blob[i : i + 16], blob[i + 16]) for i in range(0, len(blob), 17)]


class LmaJournal:
    """Binding cache and pool changes since the last commit.

    ``full``: entries to write whole (a row of ``lma_binding``); ``refreshed``: entries whose
    change is only lifetime, timestamp / sequence number, HI and ATT (a refresh-log record);
    ``deleted``: first-HNP keys whose rows go.  Pool changes are logged by the pool itself
    (``PrefixPool.log``, ``cursors_changed``).

    Each commit has a number (``seq``).  A row records the commit that wrote it (``gen``) and a
    refresh record applies to it only when newer.  The trimming round: each commit also records
    the current timing of the next few entries of a list of the cache's keys taken when the round
    began; when the list is done, every entry has a record or row newer than the round's start,
    so older log blocks are obsolete (``round_done``)."""

    __slots__ = (
        "deleted", "full", "meta", "pool", "pool_reset", "refreshed", "rewrite", "round_done",
        "round_keys", "round_pos", "seq", "source",
    )  # fmt: skip

    def __init__(self, seq: int = 0) -> None:
        self.full: dict[bytes, object] = {}
        self.refreshed: dict[bytes, object] = {}
        self.deleted: dict[bytes, None] = {}
        self.meta: dict[str, str] = {}
        self.pool = None
        self.pool_reset = False
        self.rewrite = False  # a write failed after its changes were taken: write everything again
        self.source = None  # the engine (its ``cache``): the trimming round and rewrites read it
        self.seq = seq  # the last commit number used
        self.round_keys: list[bytes] | None = None
        self.round_pos = 0
        self.round_done = False  # set by records(): the caller rotates the refresh log

    # --- recording (the engine) -------------------------------------------------------------------
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

    # --- writing (the store) ----------------------------------------------------------------------
    def sql_pending(self) -> bool:
        pool = self.pool
        return bool(
            self.full
            or self.deleted
            or self.meta
            or self.pool_reset
            or self.rewrite
            or (pool is not None and (pool.log or pool.cursors_changed))
        )

    def pending(self) -> bool:
        return bool(self.refreshed) or self.sql_pending()

    def begin(self) -> int:
        self.seq += 1
        return self.seq

    def write_rows(self, conn: sqlite3.Connection) -> int:
        """The SQL part of commit ``seq`` (inside the caller's transaction). Returns rows."""
        seq, rows = self.seq, 0
        if self.rewrite and self.source is not None:
            conn.execute("DELETE FROM lma_binding")
            self.full = {b.first_key: b for b in self.source.cache}
            self.refreshed.clear()
            self.deleted.clear()
            self.pool_reset = True
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
        pool = self.pool
        if pool is not None:
            if self.pool_reset:
                conn.execute("DELETE FROM lma_pool_free")
                conn.execute("DELETE FROM lma_pool_cursor")
                conn.executemany("INSERT INTO lma_pool_free VALUES (?, ?)", pool.free_list())
                rows += 1
            elif pool.log:
                changes = pool.log
                conn.executemany(
                    "DELETE FROM lma_pool_free WHERE hnp=?", [(k,) for k, s in changes.items() if s is None]
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO lma_pool_free VALUES (?, ?)",
                    [(k, s) for k, s in changes.items() if s is not None],
                )
                rows += len(changes)
            if self.pool_reset or pool.cursors_changed:
                conn.executemany(
                    "INSERT OR REPLACE INTO lma_pool_cursor VALUES (?, ?, ?)",
                    [(i, text, cursor) for i, (text, cursor) in enumerate(pool.cursors())],
                )
        if self.meta:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(self.meta.items()))
        return rows

    def records(self) -> tuple[bytes, int]:
        """The refresh-log records of commit ``seq`` (refreshes not written whole, then the
        trimming round's next entries) and how many were refreshes."""
        pack = REFRESH_RECORD.pack
        full = self.full
        out = [
            pack(k, NO_STAMP if b.stamp is None else b.stamp, b.t0, b.life, _value(b.hi), _value(b.att))
            for k, b in self.refreshed.items()
            if k not in full
        ]
        refreshes = len(out)
        self.round_done = False
        if self.source is not None and (out or self.round_keys is not None):
            self._round(out)
        return b"".join(out), refreshes

    def _round(self, out: list[bytes]) -> None:
        by_hnp = self.source.cache.by_hnp
        keys = self.round_keys
        if keys is None:
            keys = self.round_keys = list(by_hnp)  # a C-level copy; multi-prefix entries skip extras
            self.round_pos = 0
        pos = self.round_pos
        end = pos + max(FOLD_MIN, len(out))
        pack = REFRESH_RECORD.pack
        for key in keys[pos:end]:
            b = by_hnp.get(key)
            if b is not None and (b.hnps is key or b.first_key == key):
                stamp = NO_STAMP if b.stamp is None else b.stamp
                out.append(pack(key, stamp, b.t0, b.life, _value(b.hi), _value(b.att)))
        self.round_pos = end
        if end >= len(keys):
            self.round_keys = None
            self.round_done = True

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
    round_done = False  # no refresh log

    def __init__(self) -> None:
        self.entries: dict[bytes, object] = {}
        self.last_sequence: dict[tuple[str, bytes], int | None] = {}
        self.rewrite = False  # see LmaJournal
        self.source = None  # the engine (``bul``, ``_last_sequence``), for a rewrite

    def pending(self) -> bool:
        return bool(self.entries or self.last_sequence or self.rewrite)

    sql_pending = pending

    def begin(self) -> int:
        return 0

    def write_rows(self, conn: sqlite3.Connection) -> int:
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

    def records(self) -> tuple[bytes, int]:
        return b"", 0

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

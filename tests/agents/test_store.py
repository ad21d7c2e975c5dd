"""The SQLite state store (pmipv6.persist): files, schema checks, restart counter, journals, commits.

Untrustworthy files (not SQLite, truncated, another schema or version, another node's or role's)
must be reported and moved aside, never used; the agent then starts empty.
"""

from __future__ import annotations

import logging
import os
import sqlite3

import pytest

from pmipv6.lma.cache import Binding
from pmipv6.persist import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    STATE_FILE,
    LmaJournal,
    LmaSnapshot,
    MagSnapshot,
    RefreshLog,
    StateInUseError,
    StateStore,
)
from pmipv6.persist.journal import REFRESH_RECORD

NOW = 1_700_000_000.0
MAG = bytes(range(16))


def binding(i: int, now: float = NOW, life: int = 3600, n_prefixes: int = 1) -> Binding:
    hnps = b"".join(bytes([0x20, 0x01, 0x0D, 0xB8, 0x01, 0x00, i >> 8, i & 0xFF, k]) + bytes(7) + b"\x40"
                    for k in range(n_prefixes))  # fmt: skip
    return Binding(f"mn{i}@example.org", b"\x02\x00\x00\x00\x00" + bytes([i & 0xFF]), 4, 1, hnps, MAG,
                   None, 1000 + i, now, life)  # fmt: skip


class Source:
    """Stands in for the LMA engine: what a journal's fold and rewrite read."""

    def __init__(self) -> None:
        self.by_hnp: dict[bytes, Binding] = {}

    @property
    def cache(self):
        return self

    def __iter__(self):
        return iter({id(b): b for b in self.by_hnp.values()}.values())

    def add(self, b: Binding) -> None:
        for k in b.hnp_keys():
            self.by_hnp[k] = b

    def remove(self, b: Binding) -> None:
        for k in b.hnp_keys():
            self.by_hnp.pop(k, None)


def open_lma(path, node: str = "lma1") -> tuple[StateStore, LmaJournal, Source]:
    store = StateStore(path, node, "lma")
    journal = store.lma_journal("timestamp")
    source = Source()
    journal.source = source
    return store, journal, source


def aside(path, kind: str) -> list[str]:
    return sorted(
        p.name
        for p in path.iterdir()
        if p.name.startswith(f"{STATE_FILE}.{kind}-") and not p.name.endswith(("-wal", "-shm"))
    )


def log_records(store: StateStore) -> list[tuple]:
    """Every record in the store's refresh log (read through a second reader)."""
    reader = RefreshLog(store.dir, store.refresh_log.store_id, fresh=False)
    try:
        return [r for _, block in reader.load() for r in REFRESH_RECORD.iter_unpack(block)]
    finally:
        reader.close()


def rows(store: StateStore) -> dict[bytes, tuple]:
    return {r[0]: r for r in store.snapshot.bindings}


# -- creating and reopening -------------------------------------------------------------------------
def test_new_store_has_schema_meta_and_wal(tmp_path):
    store = StateStore(tmp_path / "state", "lma1", "lma")
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["node"] == "lma1" and meta["role"] == "lma" and meta["created"].endswith("Z")
    assert isinstance(store.snapshot, LmaSnapshot) and store.snapshot.bindings == []
    assert store.moved_aside is None
    store.close()
    again = StateStore(tmp_path / "state", "lma1", "lma")
    assert again.moved_aside is None and again.snapshot.bindings == []
    again.close()
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == "0o700"


def test_a_second_store_on_the_same_file_is_refused(tmp_path):
    first = StateStore(tmp_path, "lma1", "lma")
    with pytest.raises(StateInUseError, match="in use by another agent"):
        StateStore(tmp_path, "lma1", "lma")
    assert not aside(tmp_path, "corrupt") and not aside(tmp_path, "foreign")
    first.close()
    StateStore(tmp_path, "lma1", "lma").close()  # free again once the first is closed


def test_an_empty_file_is_a_fresh_store(tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"")
    store = StateStore(tmp_path, "mag1", "mag")
    assert store.moved_aside is None and isinstance(store.snapshot, MagSnapshot)
    store.close()


# -- untrustworthy files ------------------------------------------------------------------------------
def _valid_db(path, node="lma1", role="lma", n=200):
    store, journal, source = (
        open_lma(path, node) if role == "lma" else (StateStore(path, node, role), None, None)
    )
    if journal is not None:
        for i in range(n):
            b = binding(i)
            source.add(b)
            journal.upsert(b)
        assert store.commit()
    store.close()


def _random_bytes(path):
    (path / STATE_FILE).write_bytes(os.urandom(8192))


def _truncated(path):
    _valid_db(path, n=3000)
    db = path / STATE_FILE
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.truncate(size // 2)


def _header_garbled(path):
    _valid_db(path)
    with open(path / STATE_FILE, "r+b") as fh:
        fh.seek(100)
        fh.write(os.urandom(3000))


def _other_application(path):
    conn = sqlite3.connect(path / STATE_FILE)
    conn.execute("CREATE TABLE bindings (id INTEGER PRIMARY KEY, prefix TEXT)")
    conn.execute("INSERT INTO bindings VALUES (1, '2001:db8::/64')")
    conn.commit()
    conn.close()


def _missing_table(path):
    _valid_db(path)
    conn = sqlite3.connect(path / STATE_FILE)
    conn.execute("DROP TABLE lma_pool_free")
    conn.commit()
    conn.close()


def _newer_schema(path):
    _valid_db(path)
    conn = sqlite3.connect(path / STATE_FILE)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()


def _other_node(path):
    _valid_db(path, node="lma2")


def _other_role(path):
    _valid_db(path, node="lma1", role="mag")


def _bad_row(path):
    _valid_db(path)
    conn = sqlite3.connect(path / STATE_FILE)
    conn.execute("UPDATE lma_binding SET mag = x'0102'")  # a Proxy-CoA of two octets
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "kind", "reason"),
    [
        (_random_bytes, "corrupt", "not a usable database"),
        (_truncated, "corrupt", ""),
        (_header_garbled, "corrupt", ""),
        (_other_application, "foreign", "not a pmipv6 state file"),
        (_missing_table, "corrupt", "missing tables lma_pool_free"),
        (_newer_schema, "foreign", "schema version"),
        (_other_node, "foreign", "written by lma 'lma2', this is lma 'lma1'"),
        (_other_role, "foreign", "written by mag 'lma1', this is lma 'lma1'"),
        (_bad_row, "corrupt", "bad row"),
    ],
)
def test_untrustworthy_file_is_reported_moved_aside_and_the_store_starts_empty(
    tmp_path, caplog, damage, kind, reason
):
    damage(tmp_path)
    before = (tmp_path / STATE_FILE).read_bytes()
    with caplog.at_level(logging.ERROR, logger="pmipv6.persist"):
        store, journal, _ = open_lma(tmp_path)
    moved = aside(tmp_path, kind)
    assert len(moved) == 1, sorted(p.name for p in tmp_path.iterdir())
    assert store.moved_aside.name == moved[0]
    assert (tmp_path / moved[0]).read_bytes() == before  # kept as it was, for a post-mortem
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    text = record.getMessage()
    assert "moved aside to " + moved[0] in text and "starting with no stored state" in text
    assert reason in text
    assert ("corrupt" in text) == (kind == "corrupt")
    # a fresh, working store in its place
    assert store.snapshot.bindings == []
    b = binding(7)
    journal.source.add(b)
    journal.upsert(b)
    assert store.commit()
    store.close()
    reopened = StateStore(tmp_path, "lma1", "lma")
    assert list(rows(reopened)) == [b.first_key] and reopened.moved_aside is None
    reopened.close()


def test_moving_aside_twice_in_one_second_keeps_both(tmp_path):
    for _ in range(2):
        _random_bytes(tmp_path)
        for suffix in ("-wal", "-shm"):
            (tmp_path / (STATE_FILE + suffix)).unlink(missing_ok=True)
        StateStore(tmp_path, "lma1", "lma").close()
    assert len(aside(tmp_path, "corrupt")) == 2


# -- restart counter ----------------------------------------------------------------------------------
def test_restart_counter_counts_every_start(tmp_path):
    values = []
    for _ in range(3):
        store = StateStore(tmp_path, "lma1", "lma")
        values.append(store.bump_restart_counter())
        store.close()
    assert values == [1, 2, 3]


def test_restart_counter_continues_from_the_legacy_file(tmp_path):
    (tmp_path / "restart_counter").write_text("41\n")
    store = StateStore(tmp_path, "lma1", "lma")
    assert store.bump_restart_counter() == 42
    store.close()
    assert not (tmp_path / "restart_counter").exists()
    store = StateStore(tmp_path, "lma1", "lma")
    assert store.bump_restart_counter() == 43
    store.close()


def test_restart_counter_after_a_moved_aside_file_differs_from_any_small_value(tmp_path):
    store = StateStore(tmp_path, "lma1", "lma")
    assert store.bump_restart_counter() == 1
    store.close()
    _random_bytes(tmp_path)
    store = StateStore(tmp_path, "lma1", "lma")
    value = store.bump_restart_counter()
    store.close()
    assert value > NOW - 10**8  # seeded from the clock: a peer that recorded 1 sees a change


# -- journals and commits -----------------------------------------------------------------------------
def test_group_commit_coalesces_changes_per_binding(tmp_path):
    store, journal, source = open_lma(tmp_path)
    a, b, c = binding(1), binding(2), binding(3)
    for x in (a, b, c):
        source.add(x)
    for _ in range(50):  # one binding changed many times in a batch is one row
        journal.upsert(a)
        journal.refreshed[b.first_key] = b
    journal.upsert(c)
    journal.delete(c)  # created and gone within the batch: only the delete remains
    assert len(journal.full) == 1 and len(journal.refreshed) == 1 and list(journal.deleted) == [c.first_key]
    assert store.pending()
    assert store.commit()
    assert not store.pending() and not journal.full and not journal.refreshed and not journal.deleted
    assert store.stats["persist_commits",] == 1
    assert store.stats["persist_rows",] == 3  # one delete, one whole row, one refresh record
    conn = store.conn
    assert [r[0] for r in conn.execute("SELECT hnp FROM lma_binding")] == [a.first_key]
    keys = [r[0] for r in log_records(store)]
    assert b.first_key in keys  # b's refresh went to the refresh log ...
    assert a.first_key in keys  # ... and the trimming round appended a's timing too
    # a delete after a refresh of the same binding drops the refresh; a new binding under a
    # deleted key (same first prefix) is written whole
    journal.refreshed[a.first_key] = a
    journal.delete(a)
    a2 = binding(1, life=99)
    journal.upsert(a2)
    assert not journal.deleted and journal.full == {a.first_key: a2} and not journal.refreshed
    store.close()


def test_nothing_pending_commits_nothing(tmp_path):
    store, _, _ = open_lma(tmp_path)
    assert store.commit()  # the journal's first commit writes its meta (replay mode, pool layout)
    commits = store.stats["persist_commits",]
    assert not store.pending() and store.commit()
    assert store.stats["persist_commits",] == commits
    store.close()


def test_refresh_log_is_applied_on_load_and_stays_short(tmp_path):
    store, journal, source = open_lma(tmp_path)
    bindings = [binding(i) for i in range(300)]
    for b in bindings:
        source.add(b)
        journal.upsert(b)
    assert store.commit()
    now = NOW
    for step in range(200):  # refresh a rotating tenth of them per commit
        now += 1.0
        for b in bindings[(step * 30) % 300 : (step * 30) % 300 + 30]:
            b.t0, b.stamp, b.life = now, b.stamp + 1, 1000
            journal.refreshed[b.first_key] = b
        assert store.commit()
    n_records = len(log_records(store))
    assert n_records <= 4 * len(bindings) + 64, n_records
    assert sum(os.path.getsize(p) for p in store.refresh_log.paths) <= 2 * (1 << 20)  # one step each
    store.close()
    again = StateStore(tmp_path, "lma1", "lma")
    stored = rows(again)
    for b in bindings:
        row = stored[b.first_key]
        assert (row[8], row[9], row[10]) == (b.stamp, b.t0, b.life)
    again.close()


def test_multi_prefix_binding_and_none_fields_round_trip(tmp_path):
    store, journal, source = open_lma(tmp_path)
    b = binding(5, n_prefixes=3)
    b.ll_id = None
    b.stamp = None
    b.lla = bytes(range(16, 32))
    source.add(b)
    journal.upsert(b)
    assert store.commit()
    journal.refreshed[b.first_key] = b
    b.t0 += 10
    assert store.commit()
    store.close()
    again = StateStore(tmp_path, "lma1", "lma")
    (row,) = again.snapshot.bindings
    assert row[1] == b.hnps and row[3] is None and row[7] == b.lla and row[8] is None and row[9] == b.t0
    again.close()


class _FailingConnection:
    """Forwards to a real connection; the statement ``fail_on`` raises once."""

    def __init__(self, conn, fail_on: str) -> None:
        self._conn, self.fail_on = conn, fail_on

    def _check(self, sql: str) -> None:
        if self.fail_on and sql.startswith(self.fail_on):
            self.fail_on = ""
            raise sqlite3.OperationalError("disk I/O error (simulated)")

    def execute(self, sql, *args):
        self._check(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql, *args):
        self._check(sql)
        return self._conn.executemany(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.mark.parametrize("fail_on", ["DELETE FROM lma_binding", "COMMIT", "refresh log"])
def test_a_failed_commit_is_logged_and_the_next_one_rewrites_everything(tmp_path, caplog, fail_on):
    store, journal, source = open_lma(tmp_path)
    bindings = [binding(i) for i in range(20)]
    for b in bindings:
        source.add(b)
        journal.upsert(b)
    assert store.commit()
    real = store.conn
    if fail_on == "refresh log":  # e.g. a full disk
        append = store.refresh_log.append

        def failing(*args):
            store.refresh_log.append = append
            raise OSError(28, "No space left on device (simulated)")

        store.refresh_log.append = failing
    else:
        store.conn = _FailingConnection(real, fail_on)
    gone = bindings.pop()
    source.remove(gone)
    journal.delete(gone)
    for b in bindings[:5]:
        b.t0 += 30
        journal.refreshed[b.first_key] = b
    with caplog.at_level(logging.ERROR, logger="pmipv6.persist"):
        assert not store.commit()
    assert "cannot write state" in caplog.text and "simulated" in caplog.text
    assert store.stats["persist_errors",] == 1 and journal.rewrite and store.pending()
    assert store.commit()
    store.conn = real
    store.close()
    again = StateStore(tmp_path, "lma1", "lma")
    stored = rows(again)
    assert set(stored) == {b.first_key for b in bindings}
    assert all(stored[b.first_key][9] == b.t0 for b in bindings)
    again.close()


def test_clear_bindings_keeps_the_restart_counter(tmp_path):
    _valid_db(tmp_path, n=10)
    store = StateStore(tmp_path, "lma1", "lma", load=False)
    assert store.snapshot is None
    assert store.bump_restart_counter() == 1
    assert store.clear_bindings() == 10
    store.close()
    again = StateStore(tmp_path, "lma1", "lma")
    assert again.snapshot.bindings == [] and again.bump_restart_counter() == 2
    again.close()


def test_refresh_log_reads_the_newest_run_of_each_segment_only(tmp_path):
    rec = REFRESH_RECORD.pack(bytes(17), 1, 2.0, 3.0, 4, 5)
    log = RefreshLog(tmp_path, 7, fresh=True)
    log.append(1, rec)
    log.append(2, rec)
    log.rotate()  # segment 1
    log.append(3, rec)
    log.rotate()  # back to segment 0, from its start: block 2 is left behind, stale
    log.append(4, rec)
    assert log.take_dirty() == 0b11 and log.take_dirty() == 0

    def seqs(store_id: int = 7) -> list[int]:
        reader = RefreshLog(tmp_path, store_id, fresh=False)
        try:
            return [seq for seq, _ in reader.load()]
        finally:
            reader.close()

    assert seqs() == [3, 4]
    log.append(5, rec)
    with open(log.paths[0], "r+b") as fh:  # a torn write: block 5's last octets never landed
        fh.seek(log.pos - 3)
        fh.write(b"\xff\xff\xff")
    assert seqs() == [3, 4]
    assert seqs(store_id=8) == []  # blocks of another database are not this one's
    reader = RefreshLog(tmp_path, 7, fresh=False)
    reader.load()
    reader.append(6, rec)  # the writer goes on right after the newest valid block
    reader.close()
    assert seqs() == [3, 4, 6]
    log.close()

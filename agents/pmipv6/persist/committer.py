"""Group commits whose disk flush overlaps the agent's work; replies wait until durable.

The transport calls ``ticket()`` at every flush (after each chunk of a receive batch, and for
sends outside a batch).  Pending changes are committed right there: rows in one SQLite
transaction with ``synchronous=NORMAL`` (the frames reach the WAL file, not yet the disk), and
refreshes as one refresh-log block.  Durability comes from an ``fdatasync`` of the files that
commit wrote, done by a helper process: a reply whose state is in commit ``n`` is held until a
sync *started after* commit ``n`` completes; then ``release(n)`` lets it go.  That is the
guarantee ``synchronous=FULL`` gives (the WAL synced after the commit, before anything depending
on it is acknowledged), but the agent goes on receiving and processing while the disk flushes;
what it changes meanwhile is committed as one group as soon as the helper is free again, and
covered by the next sync.

Failures: if no helper can run (or ``PMIPV6_WAL_HELPER=0``) or one dies, commits fall back to
syncing in line (``synchronous=FULL`` and an ``fdatasync`` of the refresh log). A failed commit
or sync is logged and counted, the whole state is written again by the next commit, and the held
replies are released anyway (availability over durability).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time

from .db import WAL_DIRTY, StateStore

log = logging.getLogger("pmipv6.persist")

# The helper: one request byte (a mask of files: 4 WAL, 1 and 2 the refresh-log segments) in,
# fdatasync of those files, one byte out (1 ok, 0 failed). Requests that queued up are merged.
_SYNC_HELPER = """
import os, signal, sys
wal, seg0, seg1, req, rep = (int(a) for a in sys.argv[1:6])
files = ((4, wal), (1, seg0), (2, seg1))
for sig in (signal.SIGINT, signal.SIGTERM):  # the agent stops us by closing the request pipe
    signal.signal(sig, signal.SIG_IGN)
try:  # it only waits for the disk; a real-time class lets it run the moment the disk answers
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
except (AttributeError, OSError):
    pass
try:
    while True:
        data = os.read(req, 4096)
        if not data:
            break
        mask = 0
        for byte in data:
            mask |= byte
        try:
            for bit, fd in files:
                if mask & bit and fd >= 0:
                    os.fdatasync(fd)
            ok = b"\\1"
        except OSError:
            ok = b"\\0"
        os.write(rep, ok)
except OSError:  # the agent went away
    pass
"""

MIN_SYNC = 0.0001  # seconds: no disk flush completes faster; do not look for an answer before


class _SyncHelper:
    """One sync helper process and its pipes."""

    __slots__ = ("covers", "proc", "rep", "req", "since")

    def __init__(self, fds: tuple[int, int, int]) -> None:
        req_r, self.req = os.pipe()
        self.rep, rep_w = os.pipe()
        passed = tuple(fd for fd in fds if fd >= 0)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _SYNC_HELPER, *map(str, fds), str(req_r), str(rep_w)],
                pass_fds=(*passed, req_r, rep_w),
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
    HELPERS = 1  # more overlap buys little: each sync costs kernel time; fewer, larger ones win

    def __init__(self, store: StateStore, loop, release) -> None:
        self.store = store
        self.loop = loop
        self.release = release
        self.stats = store.stats
        self.committed = 0  # commits made under the helpers ...
        self.durable = 0  # ... how many of them completed syncs cover
        self.inline = True  # no helpers: every commit is durable when it returns
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
        store = self.store
        if store.conn is None:
            raise OSError("state database not open")
        self._wal_fd = os.open(store.wal_path, os.O_RDONLY | os.O_CLOEXEC)
        segments = store.refresh_log.fds if store.refresh_log is not None else [-1, -1]
        for _ in range(self.HELPERS):
            helper = _SyncHelper((self._wal_fd, *segments))
            self._helpers.append(helper)
            self.loop.add_reader(helper.rep, self._on_reply, helper)
        store.set_synchronous("NORMAL")
        store.inline_sync = False
        self.inline = False

    def _go_inline(self) -> None:
        """Make every commit so far durable here, stop the helpers, sync in line from now on."""
        store = self.store
        try:
            if self._wal_fd >= 0:
                os.fdatasync(self._wal_fd)
            store.refresh_log_sync(store.take_dirty() | 3)
        except OSError as exc:
            self.stats[("persist_errors",)] += 1
            log.error("fdatasync of %s failed: %s", store.path, exc)
        if self._wal_fd >= 0:
            os.close(self._wal_fd)
            self._wal_fd = -1
        for helper in self._helpers:
            with contextlib.suppress(Exception):
                self.loop.remove_reader(helper.rep)
            helper.close()
        self._helpers.clear()
        self.inline = True
        store.inline_sync = True
        store.set_synchronous("FULL")
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
                store.commit()  # durable on return (a failure is logged)
            return None
        if store.pending():
            idle = self._idle()
            if idle is None:
                return self.committed + 1
            store.commit()  # a failure is logged and rewritten next time; replies are not held for it
            self.committed += 1
            self._request_sync(idle, store.take_dirty() or WAL_DIRTY)
        return self.committed if self.committed > self.durable else None

    def kick(self) -> None:
        """Commit changes no message waits for (timer runs, control commands)."""
        self.ticket()

    def _idle(self) -> _SyncHelper | None:
        for helper in self._helpers:
            if helper.covers is None:
                return helper
        return None

    def _request_sync(self, helper: _SyncHelper, mask: int) -> None:
        helper.covers = self.committed
        helper.since = time.perf_counter()
        try:
            os.write(helper.req, bytes((mask,)))
        except OSError as exc:
            self._helper_failed(f"cannot reach a WAL sync helper ({exc})")

    def _on_reply(self, helper: _SyncHelper) -> None:
        """Loop callback: a helper answered while the agent was idle."""
        if self._read_reply(helper):
            self.ticket()  # commit what accumulated while no helper was free

    def _poll(self) -> None:
        """Take in the answers of helpers that finished (one read per busy helper, skipped while
        its sync cannot have completed yet)."""
        now = time.perf_counter()
        for helper in self._helpers:
            if helper.covers is not None and now - helper.since > MIN_SYNC:
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
            log.error("fdatasync in %s failed: the whole state is written again", self.store.dir)
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

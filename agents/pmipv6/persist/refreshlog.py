"""The LMA refresh log: two reused segment files beside ``state.db`` (``refresh-0.log``, ``-1``).

A commit that refreshed bindings appends one *block* to the active segment with a single
``pwrite``: a header (magic, the store's id, the commit number, length, CRC-32) and the packed
records.  Segments are written from offset 0 with increasing commit numbers and grow in zero-filled
steps, so they keep their size and a WAL-style ``fdatasync`` of them changes no file metadata.

Two segments suffice: when a trimming round (``LmaJournal``) completes, everything up to its
start is obsolete, and that is all the inactive segment holds, so writing switches to it (from
offset 0).  Reading takes, per segment, the run of valid blocks from offset 0 while commit numbers
increase; what follows (a torn block, zeros, or older blocks of an earlier cycle) is ignored.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from pathlib import Path

SEGMENTS = ("refresh-0.log", "refresh-1.log")
MAGIC = 0x504D524C  # "PMRL"
BLOCK = struct.Struct("<IIQII")  # magic, store id, commit number, records length, CRC-32 of records
GROW = 1 << 20  # zero-filled growth step


class RefreshLog:
    def __init__(self, directory: Path, store_id: int, fresh: bool) -> None:
        self.paths = [directory / name for name in SEGMENTS]
        self.fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) for p in self.paths]
        self.store_id = store_id
        self.sizes = [os.fstat(fd).st_size for fd in self.fds]
        self.active = 0
        self.pos = 0  # where the next block goes in the active segment
        self.top = 0  # the newest commit number written
        self.dirty = 0  # bit i: segment i written since take_dirty()
        if fresh:
            self.clear()

    # --- reading --------------------------------------------------------------------------------
    def load(self) -> list[tuple[int, bytes]]:
        """Every valid block as (commit number, records), oldest first; positions the writer
        after the newest."""
        blocks: list[tuple[int, bytes]] = []
        tops = []
        for i, fd in enumerate(self.fds):
            data = os.pread(fd, self.sizes[i], 0) if self.sizes[i] else b""
            pos, last = 0, -1
            while pos + BLOCK.size <= len(data):
                magic, store_id, seq, length, crc = BLOCK.unpack_from(data, pos)
                end = pos + BLOCK.size + length
                if magic != MAGIC or store_id != self.store_id or seq <= last or end > len(data):
                    break
                payload = data[pos + BLOCK.size : end]
                if zlib.crc32(payload) != crc:
                    break
                blocks.append((seq, payload))
                last, pos = seq, end
            tops.append((last, pos))
        self.active = 0 if tops[0][0] >= tops[1][0] else 1
        self.top, self.pos = tops[self.active]
        self.top = max(self.top, 0)
        blocks.sort(key=lambda block: block[0])
        return blocks

    # --- writing --------------------------------------------------------------------------------
    def append(self, seq: int, records: bytes) -> None:
        block = BLOCK.pack(MAGIC, self.store_id, seq, len(records), zlib.crc32(records)) + records
        i, pos = self.active, self.pos
        fd = self.fds[i]
        if pos + len(block) > self.sizes[i]:
            size = max(self.sizes[i] + GROW, pos + len(block))
            os.pwrite(fd, bytes(size - self.sizes[i]), self.sizes[i])  # zeros, not a sparse hole
            self.sizes[i] = size
        if os.pwrite(fd, block, pos) != len(block):
            raise OSError(f"short write to {self.paths[i]}")
        self.pos = pos + len(block)
        self.top = seq
        self.dirty |= 1 << i

    def rotate(self) -> None:
        """A round completed: the inactive segment's blocks are obsolete; write there from now."""
        self.active ^= 1
        self.pos = 0

    def take_dirty(self) -> int:
        dirty, self.dirty = self.dirty, 0
        return dirty

    def sync(self, mask: int) -> None:
        for i, fd in enumerate(self.fds):
            if mask & (1 << i):
                os.fdatasync(fd)

    def clear(self) -> None:
        for i, fd in enumerate(self.fds):
            os.ftruncate(fd, 0)
            self.sizes[i] = 0
        self.active, self.pos, self.top, self.dirty = 0, 0, 0, 0

    def close(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []

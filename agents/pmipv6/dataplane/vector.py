"""numpy for the userspace tunnel's ``down`` relay: a merge's checksum check in a few vector sums.

Optional: the relay uses this module only when the agent finds numpy (``--vector 1``); without it
``relay._merge_sum`` does the same work segment by segment.
"""

from __future__ import annotations

import numpy as np

from .relay import Ring


class MergeSums:
    """The little-endian sum of a merge's segments (for ``relay._sums_hold``, which needs it
    modulo 0xFFFF only) with a few numpy reductions over the ring's slots, where pure Python turns
    every segment into a big number of its own (about 2 µs each, against about 0.2 µs here).
    The segments sit in consecutive slots, all as long as the first but the last."""

    def __init__(self, ring: Ring) -> None:
        self.slot = ring.slot
        self.rows = np.frombuffer(ring.data, dtype=np.uint8).reshape(ring.count, ring.slot)
        self.words = self.rows[:, : ring.slot - ring.slot % 2].view("<u2")

    def __call__(self, merge: list, at: int) -> int:
        k, n = at // self.slot, len(merge)
        size, last = len(merge[0]), len(merge[-1])
        end = k + n - 1  # the last segment's slot
        total = int(self.words[k:end, : size // 2].sum(dtype=np.uint64))
        total += int(self.words[end, : last // 2].sum(dtype=np.uint64))
        if size & 1:  # an odd octet counts as the low octet of a word
            total += int(self.rows[k:end, size - 1].sum(dtype=np.uint64))
        if last & 1:
            total += int(self.rows[end, last - 1])
        return total

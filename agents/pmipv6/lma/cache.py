"""The LMA binding cache (RFC 5213 §5.1): compact entries and their indexes.

Memory matters (a million bindings): an entry is a ``__slots__`` object whose HNP set is one
``bytes`` value of 17 octets per prefix (``pool.hnp_key`` concatenated), so the common one-prefix
entry shares that value with its HNP-index key.  Indexes:

* MN-ID -> the entry, or a list of entries for a multihomed MN (§5.4.1.2 HI=1);
* (MN-ID, ATT, MN-LL-ID) -> resolved inside the MN-ID bucket (a handful of entries at most),
  which costs no memory beyond the MN-ID index;
* HNP key -> entry (a prefix belongs to one MN only).

Lifetime expiry uses no per-entry timer objects: a wheel of one-second buckets holds each
entry's first HNP key under floor(expiry).  Buckets are checked lazily: an entry refreshed to a
later expiry is moved on when its old bucket comes due; only a *shortened* lifetime adds an
entry, and duplicates merge when they are moved on.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

ACTIVE = 0
DELETING = 1
STATE_NAMES = ("active", "deleting")


class Binding:
    """One binding cache entry. ``hnps`` is 17*n octets; expiry = t0 + life."""

    __slots__ = (
        "att",
        "created",
        "hi",
        "hnps",
        "life",
        "ll_id",
        "lla",
        "mag",
        "mn_id",
        "stamp",
        "state",
        "t0",
    )

    def __init__(self, mn_id, ll_id, att, hi, hnps, mag, lla, stamp, now, life) -> None:
        self.mn_id = mn_id  # str (the policy profile's own object)
        self.ll_id = ll_id  # bytes | None
        self.att = att
        self.hi = hi
        self.hnps = hnps
        self.mag = mag  # Proxy-CoA, 16 octets (the MAG table's own object)
        self.lla = lla  # MAG link-local address from the first registration, or None
        self.stamp = stamp  # last accepted Timestamp value or Sequence #, or None
        self.t0 = now  # time of the last accepted registration (or of the de-registration)
        self.life = life  # seconds from t0 (MinDelayBeforeBCEDelete while deleting)
        self.created = now
        self.state = ACTIVE

    @property
    def expiry(self) -> float:
        return self.t0 + self.life

    def hnp_keys(self) -> tuple[bytes, ...]:
        h = self.hnps
        if len(h) == 17:
            return (h,)
        return tuple(h[i : i + 17] for i in range(0, len(h), 17))

    @property
    def first_key(self) -> bytes:
        h = self.hnps
        return h if len(h) == 17 else h[:17]

    def __repr__(self) -> str:
        return f"Binding({self.mn_id!r}, state={STATE_NAMES[self.state]}, hnps={len(self.hnps) // 17})"


class BindingCache:
    def __init__(self) -> None:
        self.by_mn: dict[str, Binding | list[Binding]] = {}
        self.by_hnp: dict[bytes, Binding] = {}
        self._wheel: dict[int, list[bytes]] = {}
        self._wheel_heap: list[int] = []
        self._slots = 0  # wheel slots, live or stale
        self._partial: int | None = None  # the bucket of the current second, partly processed
        self._partial_min = 0.0  # earliest expiry left in it
        self.count = 0

    def __len__(self) -> int:
        return self.count

    # -- lookups ------------------------------------------------------------------------------
    def of_mn(self, mn_id: str) -> tuple[Binding, ...] | list[Binding]:
        found = self.by_mn.get(mn_id)
        if found is None:
            return ()
        if type(found) is Binding:
            return (found,)
        return found

    def by_interface(self, mn_id: str, att: int, ll_id: bytes | None) -> Binding | None:
        """Lookup by (MN-ID, ATT, MN-LL-ID); the most recently registered when several match."""
        best = None
        for b in self.of_mn(mn_id):
            if b.att == att and b.ll_id == ll_id and (best is None or b.t0 >= best.t0):
                best = b
        return best

    def __iter__(self) -> Iterator[Binding]:
        for found in self.by_mn.values():
            if type(found) is Binding:
                yield found
            else:
                yield from found

    # -- changes ------------------------------------------------------------------------------
    def add(self, b: Binding) -> None:
        by_hnp = self.by_hnp
        for key in b.hnp_keys():
            by_hnp[key] = b
        found = self.by_mn.get(b.mn_id)
        if found is None:
            self.by_mn[b.mn_id] = b
        elif type(found) is Binding:
            self.by_mn[b.mn_id] = [found, b]
        else:
            found.append(b)
        self.count += 1
        self.schedule(b)

    def remove(self, b: Binding) -> None:
        by_hnp = self.by_hnp
        for key in b.hnp_keys():
            if by_hnp.get(key) is b:
                del by_hnp[key]
        found = self.by_mn.get(b.mn_id)
        if found is b:
            del self.by_mn[b.mn_id]
        elif type(found) is list and b in found:
            found.remove(b)
            if len(found) == 1:
                self.by_mn[b.mn_id] = found[0]
        else:  # not in the cache
            return
        self.count -= 1

    def schedule(self, b: Binding) -> None:
        """Make sure a wheel bucket at or before ``b``'s expiry names it (call when the expiry
        is new or moved earlier; a later expiry is picked up lazily)."""
        expiry = b.t0 + b.life
        second = int(expiry)
        self._slots += 1
        bucket = self._wheel.get(second)
        if bucket is None:
            self._wheel[second] = [b.first_key]
            heapq.heappush(self._wheel_heap, second)
        else:
            bucket.append(b.first_key)
        if second == self._partial and expiry < self._partial_min:
            self._partial_min = expiry

    def next_deadline(self) -> float | None:
        heap = self._wheel_heap
        if not heap:
            return None
        if heap[0] == self._partial:
            return self._partial_min
        return float(heap[0])

    def due(self, now: float) -> list[Binding]:
        """Entries whose expiry is at or before ``now`` (still in the cache: the caller removes
        them). Bucket ``s`` holds expiries in [s, s+1): a bucket wholly in the past is emptied;
        the bucket of the current second keeps its not-yet-due entries (and their minimum, for
        ``next_deadline``). Entries found early are moved to the bucket of their real expiry."""
        heap, wheel, by_hnp = self._wheel_heap, self._wheel, self.by_hnp
        out: list[Binding] = []
        seen: set[int] = set()
        while heap and heap[0] <= now:
            second = heap[0]
            bucket = wheel[second]
            self._slots -= len(bucket)
            whole = second + 1 <= now
            keep: list[bytes] = []
            low = float("inf")
            for key in bucket:
                b = by_hnp.get(key)
                if b is None or id(b) in seen:
                    continue
                seen.add(id(b))
                expiry = b.t0 + b.life
                if expiry <= now:
                    out.append(b)
                elif not whole and int(expiry) == second:
                    keep.append(key)
                    if expiry < low:
                        low = expiry
                else:
                    seen.discard(id(b))  # may legitimately show up again in its new bucket
                    self.schedule(b)
            if keep:
                wheel[second] = keep
                self._slots += len(keep)
                self._partial, self._partial_min = second, low
                break
            heapq.heappop(heap)
            del wheel[second]
            if self._partial == second:
                self._partial = None
        if self._slots > 2 * self.count + 4096:  # stale slots dominate (shortened/deleted entries)
            self.compact_wheel()
        return out

    def wheel_size(self) -> int:
        return self._slots

    def compact_wheel(self) -> None:
        """Rebuild the wheel from the live entries (drops stale and duplicate slots)."""
        self._wheel.clear()
        self._wheel_heap.clear()
        self._slots = 0
        self._partial = None
        for b in self:
            self.schedule(b)

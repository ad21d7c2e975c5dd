"""Home network prefix allocation (RFC 5213 §5.3.2 "allocate one or more prefixes").

Prefixes are handled as 17-octet keys: the 16 prefix octets followed by one octet of prefix
length (``hnp_key``).  A pool hands out fixed-length prefixes from one or more ranges with a
cursor per range (fresh prefixes first, nothing pre-materialised) and a FIFO of returned ones,
so allocation and release are O(1) amortised whatever the pool size.  Prefixes listed as static
in a policy profile are *reserved*: the cursor skips them and they never return to the free
list, so they are never handed out dynamically.

Persistence (``pmipv6.persist``): the allocation state is the cursors plus the free list (each
returned prefix numbered in return order); prefixes claimed ahead of a cursor are the bound
ones, which the binding cache restores.  With ``log`` set, free-list changes since the last
commit are recorded there (key -> return number, or None when the key left the free list) and
``cursors_changed`` tells when a cursor moved.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable

LEN_OCTET = [bytes((n,)) for n in range(129)]


def hnp_key(prefix: bytes, length: int) -> bytes:
    """17-octet key for a prefix: 16 raw octets + the length octet."""
    return prefix + LEN_OCTET[length]


def key_to_tuple(key: bytes) -> tuple[bytes, int]:
    """The key as the data-plane/wire form ``(prefix_bytes, length)``."""
    return key[:16], key[16]


def key_from_text(text: str) -> bytes:
    net = ipaddress.IPv6Network(text, strict=False)
    return net.network_address.packed + LEN_OCTET[net.prefixlen]


def key_text(key: bytes) -> str:
    return f"{ipaddress.IPv6Address(key[:16])}/{key[16]}"


class _Range:
    __slots__ = ("base", "count", "cursor")

    def __init__(self, base: int, count: int) -> None:
        self.base = base
        self.count = count
        self.cursor = 0  # index of the next never-allocated prefix


class PrefixPool:
    """Fixed-length prefixes carved out of ``pools`` (list of "prefix/len" text)."""

    def __init__(self, pools: Iterable[str], length: int, reserved: Iterable[bytes] = ()) -> None:
        self.length = length
        self.pools = [str(ipaddress.IPv6Network(p, strict=False)) for p in pools]
        self._shift = 128 - length
        self._len_octet = LEN_OCTET[length]
        self._ranges: list[_Range] = []
        for text in self.pools:
            net = ipaddress.IPv6Network(text)
            if net.prefixlen > length:
                raise ValueError(f"pool {text} is longer than /{length}")
            self._ranges.append(_Range(int(net.network_address), 1 << (length - net.prefixlen)))
        self._free: dict[bytes, int] = {}  # returned prefixes below a cursor -> return number
        self._returned = 0  # return numbers handed out
        self._fifo: deque[bytes] = deque()  # the same, in return order (stale members skipped lazily)
        self._ahead: set[int] = set()  # prefixes at/after a cursor taken by claim()
        self._reserved: set[int] = set()
        self.log: dict[bytes, int | None] | None = None  # see the module docstring
        self.cursors_changed = False
        self.set_reserved(reserved)

    # -- helpers ------------------------------------------------------------------------------
    def _locate(self, key: bytes) -> tuple[_Range, int] | None:
        """(range, index) of ``key`` when it is a prefix of this pool's length inside a range."""
        if len(key) != 17 or key[16] != self.length:
            return None
        value = int.from_bytes(key[:16], "big")
        if value & ((1 << self._shift) - 1):
            return None
        for rng in self._ranges:
            index = (value - rng.base) >> self._shift
            if value >= rng.base and index < rng.count:
                return rng, index
        return None

    def _key(self, value: int) -> bytes:
        return value.to_bytes(16, "big") + self._len_octet

    # -- public -------------------------------------------------------------------------------
    def contains(self, key: bytes) -> bool:
        return self._locate(key) is not None

    def is_free(self, key: bytes) -> bool:
        """True when ``key`` lies in the pool, is not reserved and is not allocated."""
        where = self._locate(key)
        if where is None:
            return False
        rng, index = where
        value = int.from_bytes(key[:16], "big")
        if value in self._reserved:
            return False
        if index < rng.cursor:
            return key in self._free
        return value not in self._ahead

    def allocate(self) -> bytes | None:
        """A free prefix key, or None when the pool is exhausted. Fresh prefixes go first; a
        returned prefix is reused only once every range is exhausted (oldest return first)."""
        shift = self._shift
        for rng in self._ranges:
            while rng.cursor < rng.count:
                value = rng.base + (rng.cursor << shift)
                rng.cursor += 1
                self.cursors_changed = True
                if value in self._ahead:
                    self._ahead.discard(value)  # now below the cursor: simply "allocated"
                    continue
                if value in self._reserved:
                    continue
                return self._key(value)
        free, fifo = self._free, self._fifo
        while fifo:
            key = fifo.popleft()
            if key in free:
                del free[key]
                if self.log is not None:
                    self.log[key] = None
                return key
        return None

    def claim(self, key: bytes) -> bool:
        """Take a specific free prefix (a MAG re-registering one after an LMA restart)."""
        if not self.is_free(key):
            return False
        rng, index = self._locate(key)  # type: ignore[misc]
        if index < rng.cursor:
            del self._free[key]  # its FIFO slot goes stale and is skipped later
            if self.log is not None:
                self.log[key] = None
        else:
            self._ahead.add(int.from_bytes(key[:16], "big"))
        return True

    def release(self, key: bytes) -> None:
        """Return a prefix; a no-op for prefixes outside the pool and for reserved ones."""
        where = self._locate(key)
        if where is None:
            return
        rng, index = where
        value = int.from_bytes(key[:16], "big")
        if value in self._reserved:
            return
        if index < rng.cursor:
            if key not in self._free:
                self._returned += 1
                self._free[key] = self._returned
                self._fifo.append(key)
                if self.log is not None:
                    self.log[key] = self._returned
        else:
            self._ahead.discard(value)

    def set_reserved(self, keys: Iterable[bytes], is_bound=lambda key: False) -> None:
        """Replace the set of static (reserved) prefixes. A prefix that stops being reserved
        becomes free unless ``is_bound(key)``; one that becomes reserved leaves the free list."""
        new: set[int] = set()
        for key in keys:
            if self._locate(key) is not None:
                new.add(int.from_bytes(key[:16], "big"))
        old = self._reserved
        self._reserved = new
        for value in old - new:
            key = self._key(value)
            rng, index = self._locate(key)  # type: ignore[misc]
            if index < rng.cursor and not is_bound(key):
                self.release(key)
        for value in new - old:
            key = self._key(value)
            if self._free.pop(key, None) is not None and self.log is not None:
                self.log[key] = None

    @property
    def size(self) -> int:
        return sum(r.count for r in self._ranges)

    def free_count(self) -> int:
        """Prefixes allocate() could still return (O(number of ranges + reserved))."""
        untouched = sum(r.count - r.cursor for r in self._ranges)
        ahead_reserved = 0
        for value in self._reserved:
            rng, index = self._locate(self._key(value))  # type: ignore[misc]
            if index >= rng.cursor and value not in self._ahead:
                ahead_reserved += 1
        return untouched - len(self._ahead) - ahead_reserved + len(self._free)

    def same_layout(self, pools: Iterable[str], length: int) -> bool:
        return (
            length == self.length
            and [str(ipaddress.IPv6Network(p, strict=False)) for p in pools] == self.pools
        )

    # -- persistence --------------------------------------------------------------------------
    def cursors(self) -> list[tuple[str, int]]:
        """(pool text, cursor) per range, in configuration order."""
        return [(text, rng.cursor) for text, rng in zip(self.pools, self._ranges, strict=True)]

    def free_list(self) -> list[tuple[bytes, int]]:
        """The free list as (key, return number), oldest return first."""
        return sorted(self._free.items(), key=lambda item: item[1])

    def restore_state(self, cursors: dict[str, int], free: Iterable[tuple[bytes, int]]) -> int:
        """Load stored cursors (by pool text) and free list; call on a fresh pool, before
        claiming the bound prefixes. Entries that do not fit this pool are skipped; returns how
        many were."""
        skipped = 0
        for text, rng in zip(self.pools, self._ranges, strict=True):
            cursor = cursors.get(text)
            if cursor is None:
                continue
            if 0 <= cursor <= rng.count:
                rng.cursor = cursor
            else:
                skipped += 1
        self._free.clear()
        self._fifo.clear()
        for key, number in free:
            where = self._locate(key)
            if (
                where is None
                or where[1] >= where[0].cursor
                or int.from_bytes(key[:16], "big") in self._reserved
                or key in self._free
            ):
                skipped += 1
                continue
            self._free[key] = number
            self._fifo.append(key)
            self._returned = max(self._returned, number)
        return skipped

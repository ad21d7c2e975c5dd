"""HNP pool: O(1) allocation without materialising prefixes, reuse, static reservations."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmipv6.lma import PrefixPool, hnp_key, key_text
from pmipv6.wire import ipv6_bytes


def K(text: str) -> bytes:  # noqa: N802 - short helper for a key
    addr, _, plen = text.partition("/")
    return hnp_key(ipv6_bytes(addr), int(plen))


def test_allocates_in_order_across_ranges_then_exhausts():
    pool = PrefixPool(["2001:db8:1::/63", "2001:db8:2::/64"], 64)
    got = [key_text(pool.allocate()) for _ in range(3)]
    assert got == ["2001:db8:1::/64", "2001:db8:1:1::/64", "2001:db8:2::/64"]
    assert pool.allocate() is None
    assert pool.free_count() == 0


def test_huge_pool_is_not_materialised():
    start = time.perf_counter()
    pool = PrefixPool(["2001:db8::/32"], 64)  # 2**32 prefixes
    keys = [pool.allocate() for _ in range(10_000)]
    assert time.perf_counter() - start < 2.0
    assert len(set(keys)) == 10_000
    assert pool.size == 2**32
    assert pool.free_count() == 2**32 - 10_000


def test_released_prefixes_are_reused_oldest_first_after_fresh_ones():
    pool = PrefixPool(["2001:db8::/62"], 64)
    a, _, c, _ = (pool.allocate() for _ in range(4))
    pool.release(c)
    pool.release(a)
    pool.release(a)  # double release is harmless
    assert [pool.allocate(), pool.allocate(), pool.allocate()] == [c, a, None]


def test_fresh_prefixes_go_before_returned_ones():
    pool = PrefixPool(["2001:db8::/62"], 64)
    a = pool.allocate()
    pool.release(a)
    assert pool.allocate() != a


def test_reserved_prefixes_are_skipped_and_never_return():
    static = K("2001:db8:0:1::/64")
    pool = PrefixPool(["2001:db8::/62"], 64, reserved=[static])
    got = [pool.allocate() for _ in range(4)]
    assert static not in got and got[-1] is None
    pool.release(static)  # a static prefix's owner de-registered
    assert pool.allocate() is None
    assert not pool.is_free(static)
    assert pool.free_count() == 0


def test_claim_specific_prefixes_ahead_of_and_behind_the_cursor():
    pool = PrefixPool(["2001:db8::/62"], 64)
    ahead = K("2001:db8:0:2::/64")
    assert pool.claim(ahead)
    assert not pool.claim(ahead)
    got = [pool.allocate() for _ in range(4)]
    assert ahead not in got and got[-1] is None
    pool.release(ahead)
    assert pool.allocate() == ahead
    behind = got[0]
    pool.release(behind)
    assert pool.claim(behind) and pool.allocate() is None


@pytest.mark.parametrize(
    ("key", "contained"),
    [
        ("2001:db8::/64", True),
        ("2001:db8:0:3::/64", True),
        ("2001:db8:0:4::/64", False),  # outside
        ("2001:db8::/63", False),  # wrong length
        ("2001:db8::1/64", False),  # host bits set
        ("2001:db7:ffff:ffff::/64", False),
    ],
)
def test_contains(key, contained):
    pool = PrefixPool(["2001:db8::/62"], 64)
    assert pool.contains(K(key)) is contained
    assert pool.is_free(K(key)) is contained


def test_set_reserved_moves_prefixes_between_free_and_reserved():
    pool = PrefixPool(["2001:db8::/62"], 64)
    keys = [pool.allocate() for _ in range(4)]
    for k in keys:
        pool.release(k)
    pool.set_reserved([keys[0]])
    assert not pool.is_free(keys[0])
    pool.set_reserved([], is_bound=lambda k: False)
    assert pool.is_free(keys[0])
    pool.set_reserved([keys[1]])
    pool.set_reserved([], is_bound=lambda k: k == keys[1])  # still bound: stays allocated
    assert not pool.is_free(keys[1])


def test_non_nibble_lengths():
    pool = PrefixPool(["2001:db8::/60"], 62)
    got = [key_text(pool.allocate()) for _ in range(4)]
    assert got == ["2001:db8::/62", "2001:db8:0:4::/62", "2001:db8:0:8::/62", "2001:db8:0:c::/62"]


def test_pool_longer_than_prefix_length_is_rejected():
    with pytest.raises(ValueError):
        PrefixPool(["2001:db8::/72"], 64)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alloc", "release", "claim"]), st.integers(0, 15)), max_size=80))
def test_never_hands_out_a_prefix_twice(ops):
    pool = PrefixPool(["2001:db8::/61"], 64, reserved=[K("2001:db8:0:5::/64")])
    universe = [K(f"2001:db{8 + i // 8}:0:{i % 8:x}::/64") for i in range(16)]
    held: set[bytes] = set()
    for op, i in ops:
        if op == "alloc":
            k = pool.allocate()
            if k is None:
                assert pool.free_count() == 0
                continue
            assert k not in held and k != K("2001:db8:0:5::/64")
            held.add(k)
        elif op == "release" and held:
            k = sorted(held)[i % len(held)]
            held.discard(k)
            pool.release(k)
        elif op == "claim":
            k = universe[i]
            ok = pool.claim(k)
            assert ok == (k not in held and pool.contains(k) and k != K("2001:db8:0:5::/64"))
            if ok:
                held.add(k)
        assert pool.free_count() == 7 - len(held)

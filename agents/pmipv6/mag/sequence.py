"""16-bit Binding Update sequence numbers (RFC 6275 §9.5.1): wrap-around arithmetic."""

from __future__ import annotations

SEQ_MOD = 1 << 16


def next_sequence(seq: int) -> int:
    """The number after ``seq``, wrapping 65535 -> 0."""
    return (seq + 1) % SEQ_MOD


def is_newer(a: int, b: int) -> bool:
    """True when ``a`` is newer than ``b``: 0 < (a - b) mod 2^16 < 2^15."""
    return 0 < (a - b) % SEQ_MOD < SEQ_MOD // 2

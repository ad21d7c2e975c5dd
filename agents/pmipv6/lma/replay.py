"""Replay protection and ordering of PBUs (RFC 5213 §5.5; RFC 6275 §9.5.1 for sequence numbers).

Timestamp mode (TimestampBasedApproachInUse = 1): the PBU's Timestamp must be within the
validity window of the LMA clock (else 156) and later than the one the binding last accepted
(else 157).  A PBU with no Timestamp option in this mode is answered 156: the MAG cannot be
ordered without one, and 156 carries the LMA's clock so a MAG that lost sync can recover
(the RFC does not name a code for this case).

Sequence mode: a PBU is accepted when its Sequence # is newer, modulo 2^16, than the one last
accepted from the *same* MAG (a new MAG's counter is unrelated, so a handoff is not compared);
otherwise 135.
"""

from __future__ import annotations

TIMESTAMP_MISMATCH = 156
TIMESTAMP_LOWER_THAN_PREV_ACCEPTED = 157
SEQUENCE_OUT_OF_WINDOW = 135


def seq_newer(a: int, b: int) -> bool:
    """RFC 6275 §9.5.1: a is newer than b iff 0 < (a - b) mod 2^16 < 2^15."""
    return 0 < ((a - b) & 0xFFFF) < 0x8000


class ReplayGuard:
    """``check`` returns 0 to accept, else the PBA status."""

    __slots__ = ("timestamps", "window")

    def __init__(self, mode: str, window_ms: int) -> None:
        self.timestamps = mode == "timestamp"
        self.window = window_ms * 65.536  # in 1/65536-second Timestamp units

    def check(self, ts: int | None, seq: int, binding, src: bytes, now: float) -> int:
        if self.timestamps:
            if ts is None or abs(ts - now * 65536.0) > self.window:
                return TIMESTAMP_MISMATCH
            if binding is not None and binding.stamp is not None and ts <= binding.stamp:
                return TIMESTAMP_LOWER_THAN_PREV_ACCEPTED
            return 0
        if (
            binding is not None
            and binding.stamp is not None
            and binding.mag == src
            and not 0 < ((seq - binding.stamp) & 0xFFFF) < 0x8000
        ):
            return SEQUENCE_OUT_OF_WINDOW
        return 0

    def stamp_of(self, ts: int | None, seq: int) -> int | None:
        """The value a binding stores after accepting this PBU."""
        return ts if self.timestamps else seq

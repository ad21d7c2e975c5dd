"""PBU retransmission back-off (RFC 6275 §11.8 / §13, RFC 5213 §6.9.4).

The timeout after the n-th transmission (n = 1 for the first PBU) is ``initial_ms * 2**(n-1)``
capped at ``max_ms``: 1.5, 3, 6, 12, 24, 32, 32, ... seconds with the defaults.  A transaction
gives up when the timeout after its ``max_attempts``-th transmission expires unanswered.
"""

from __future__ import annotations

from ..config import Retransmit


def timeout_after(settings: Retransmit, transmission: int) -> float:
    """Seconds to wait for a PBA after the ``transmission``-th PBU (1-based)."""
    if transmission < 1:
        raise ValueError("transmissions are counted from 1")
    ms = settings.initial_ms << min(transmission - 1, 32)
    return min(ms, settings.max_ms) / 1000.0


def schedule(settings: Retransmit) -> list[float]:
    """Every timeout of a transaction that is never answered (for documentation and tests)."""
    return [timeout_after(settings, n) for n in range(1, settings.max_attempts + 1)]

"""A deadline heap the engines use for every timer; the caller supplies the time.

Engines never sleep: they schedule callbacks at absolute times and the daemon (or a test's fake
clock) calls ``run_due(now)``.  Cancelled entries are dropped lazily when they reach the top.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class Timer:
    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable, args: tuple):
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()

    def call_at(self, when: float, callback: Callable, *args) -> Timer:
        timer = Timer(when, callback, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        return timer

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_due(self, now: float) -> int:
        """Run every timer due at or before ``now`` (including ones scheduled while running)."""
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= now:
            _, _, timer = heapq.heappop(heap)
            if timer.cancelled:
                continue
            timer.cancelled = True
            timer.callback(*timer.args)
            ran += 1
        return ran

    def __len__(self) -> int:
        return sum(1 for _, _, t in self._heap if not t.cancelled)


class LoopWakeUp:
    """One asyncio wake-up at the earliest deadline asked for: ``arm(deadline)`` moves it earlier,
    never later, so callers may re-arm after every event without rescheduling each time.
    ``callback`` runs once per wake-up; it re-arms for whatever is due next."""

    def __init__(self, clock: Callable[[], float], callback: Callable[[], object]) -> None:
        self.clock = clock
        self.callback = callback
        self.loop = None
        self._handle = None
        self._at: float | None = None

    def arm(self, deadline: float | None) -> None:
        if deadline is None or self.loop is None:
            return
        if self._handle is not None:
            if self._at <= deadline:
                return
            self._handle.cancel()
        self._at = deadline
        self._handle = self.loop.call_later(max(0.0, deadline - self.clock()), self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._at = None

    def _fire(self) -> None:
        self._handle = self._at = None
        self.callback()

"""LoopWakeUp: one asyncio wake-up at the earliest deadline asked for (daemon and access link)."""

from __future__ import annotations

import asyncio
import time

from pmipv6.timers import LoopWakeUp


def test_wakes_once_at_the_earliest_deadline_and_can_be_cancelled():
    async def scenario():
        fired = []
        wake = LoopWakeUp(time.monotonic, lambda: fired.append(time.monotonic()))
        wake.arm(time.monotonic() + 5)  # no loop yet: ignored
        wake.loop = asyncio.get_running_loop()
        start = time.monotonic()
        wake.arm(start + 0.3)
        wake.arm(start + 0.05)  # earlier: moves the wake-up
        wake.arm(start + 0.2)  # later: keeps the earlier one
        wake.arm(None)  # nothing due: no change
        await asyncio.sleep(0.4)
        assert len(fired) == 1 and 0.04 <= fired[0] - start < 0.3
        wake.arm(time.monotonic() + 0.05)
        wake.cancel()
        await asyncio.sleep(0.15)
        assert len(fired) == 1

    asyncio.run(scenario())

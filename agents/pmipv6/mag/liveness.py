"""Wiring the RFC 5847 heartbeat to the MAG: when the LMA's restart counter changes, the LMA has
lost its binding cache, so every MN is re-registered at once (``reregister_all``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..heartbeat import HeartbeatMonitor
from .engine import MobileAccessGateway

log = logging.getLogger("pmipv6.mag")


def monitor_lma(
    mag: MobileAccessGateway, send: Callable[[bytes, bytes], None], restart_counter: int
) -> HeartbeatMonitor:
    """A HeartbeatMonitor on the MAG's clock and timers, watching its LMA.

    ``restart_counter`` is this MAG's own counter (the daemon persists and bumps it at start-up).
    A peer going down or up is only logged (by the monitor): bindings stay in place until their
    lifetime runs out, and a restart is what tells that the LMA forgot them."""

    def on_restart(address: bytes) -> None:
        if address == mag.lma_address:
            mag.reregister_all()

    monitor = HeartbeatMonitor(
        mag.config.heartbeat, mag.clock, mag.timers, send, restart_counter, on_restart=on_restart
    )
    monitor.add_peer(mag.lma_address, mag.config.mag.lma.name)
    return monitor

"""The one interface the engines use for kernel forwarding state.

The engines call these hooks when a binding appears, moves or goes; a backend turns them into
tunnels and routes.  Backends (see docs/dataplane.md):

``none``       signalling only (this base class; records nothing).
``kernel``     ip6tnl IPv6-in-IPv6 tunnels, routes and policy rules over netlink (pyroute2).
``userspace``  the same routes and rules, pointing at TUN devices; relay processes carry the
               packets through raw protocol-41 sockets (RFC 2473 wire format).
``auto``       ``kernel`` where an ip6tnl link can be created, ``userspace`` otherwise.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import AgentConfig

Prefix = tuple[bytes, int]  # 16 raw octets, prefix length
BACKENDS = ("auto", "kernel", "userspace", "none")
TUNNEL_LINGER = 1.0  # seconds an unused tunnel stays (linux.py: off the handover's critical path)

log = logging.getLogger("pmipv6.dataplane")


class DataPlaneError(OSError):
    """A data-plane operation failed; the message says what and why (and what to do)."""


class DataPlane:
    """Backend interface; the base class is the ``none`` backend (it records nothing)."""

    name = "none"

    @property
    def stats(self) -> Counter:
        """Packet counters with tuple keys, e.g. ``("tunnel_rx",)``, ``("rpf_drop",)``."""
        return Counter()

    def start(self) -> None:
        """Prepare the backend (called once by the daemon before traffic)."""

    def stop(self) -> None:
        """Remove every piece of kernel state this backend created, and only that."""

    def lma_bind(self, mag: bytes, prefixes: Sequence[Prefix]) -> None:
        """LMA: route ``prefixes`` into the tunnel towards the MAG at Proxy-CoA ``mag``."""

    def lma_unbind(self, mag: bytes, prefixes: Sequence[Prefix]) -> None:
        """LMA: withdraw those routes; drop the tunnel when no binding uses it."""

    def mag_bind(self, lma: bytes, prefixes: Sequence[Prefix], interface: str, mn_ll_id: bytes) -> None:
        """MAG: prefixes on the MN's access link, source-routed into the tunnel to ``lma``."""

    def mag_unbind(self, lma: bytes, prefixes: Sequence[Prefix], interface: str, mn_ll_id: bytes) -> None:
        """MAG: undo ``mag_bind``."""


class NullDataPlane(DataPlane):
    pass


def create(name: str, config: AgentConfig | None = None, *, netns: str | None = None) -> DataPlane:
    """Backend for the config value ``dataplane``.

    ``config`` supplies the local address (tunnel source), ``routing`` (table, rule priority) and
    ``tunnel_mtu``; ``kernel`` and ``userspace`` need it.  ``netns`` (tests, tools): do all kernel
    work inside that named network namespace instead of the caller's.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown dataplane backend {name!r} (use one of {', '.join(BACKENDS)})")
    if name == "none":
        return NullDataPlane()
    if config is None:
        if name == "auto":
            log.warning("dataplane auto without the agent config: signalling only (none)")
            return NullDataPlane()
        raise ValueError(f"dataplane {name!r} needs the agent configuration (create(name, config))")
    kwargs = {
        "table": config.routing.table,
        "priority": config.routing.rule_priority,
        "tunnel_mtu": config.tunnel_mtu,
        "netns": netns,
        "tunnel_linger": TUNNEL_LINGER,
    }
    if name == "auto":
        from .kernel import probe_ip6tnl

        usable, why = probe_ip6tnl(config.address, netns=netns)
        name = "kernel" if usable else "userspace"
        log.info("dataplane auto: using %s (%s)", name, why)
    if name == "kernel":
        from .kernel import KernelDataPlane

        return KernelDataPlane(config.address, **kwargs)
    from .userspace import UserspaceDataPlane

    return UserspaceDataPlane(config.address, **kwargs)

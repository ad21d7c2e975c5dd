"""The one interface the engines use for kernel forwarding state.

The engines call these hooks when a binding appears, moves or goes; a backend turns them into
tunnels and routes.  ``none`` (signalling only) is the backend available in this release.
"""

from __future__ import annotations

from collections.abc import Sequence

Prefix = tuple[bytes, int]  # 16 raw octets, prefix length


class DataPlane:
    """Backend interface; the base class is the ``none`` backend (it records nothing)."""

    name = "none"

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


def create(name: str) -> DataPlane:
    """Backend for the config value ``dataplane``. Kernel and userspace come with the data-plane work."""
    if name in ("none", "auto"):
        return NullDataPlane()
    raise ValueError(f"dataplane backend {name!r} is not available in this build (use 'none')")

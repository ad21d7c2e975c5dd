"""``kernel`` backend: one ip6tnl (RFC 2473 IPv6-in-IPv6) link per MAG-LMA pair, over netlink.

Routes, policy rules and the LMA reverse-path check are the shared ones (``linux.py``).  The
tunnel carries no Tunnel Encapsulation Limit option (``encaplimit none``), so its packets look on
the wire exactly like those of the ``userspace`` backend.

Kernels without ip6tnl (``ip link add ... type ip6tnl`` says "Unknown device type") cannot run
this backend: ``start()`` probes by creating and deleting a link and fails with a clear message.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket

from . import DataPlaneError
from .linux import Tunnel, TunnelDataPlane, Worker, _netlink_error, ipv6_text, log

IP6_TNL_F_IGN_ENCAP_LIMIT = 0x1
NO_IP6TNL = (errno.EOPNOTSUPP, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT)
_ERRNO_NAMES = {
    errno.EOPNOTSUPP: "EOPNOTSUPP",
    errno.EAFNOSUPPORT: "EAFNOSUPPORT",
    errno.EPROTONOSUPPORT: "EPROTONOSUPPORT",
}


class KernelDataPlane(TunnelDataPlane):
    name = "kernel"

    def _setup(self) -> None:
        try:
            self._probe()
        except DataPlaneError as exc:
            raise DataPlaneError(f"{exc}; use 'dataplane: userspace' (or 'auto')") from None

    def _probe(self) -> None:
        """Create and delete a throw-away ip6tnl link; raise DataPlaneError when that fails."""
        name = f"pmipprobe{secrets.token_hex(2)}"
        remote = f"fd00::5213:{os.getpid() & 0xFFFF:x}:{secrets.randbelow(0xFFFF):x}"  # never up
        self._create_link(name, self.local, remote)
        index = self._link_index(name)
        if index is not None:
            self._ipr.link("del", index=index)

    def _create_link(self, ifname: str, local: str, remote: str) -> None:
        """The one place a tunnel link is made (tests substitute it where ip6tnl is missing)."""
        try:
            self._ipr.link(
                "add",
                ifname=ifname,
                kind="ip6tnl",
                ip6tnl_local=local,
                ip6tnl_remote=remote,
                ip6tnl_proto=socket.IPPROTO_IPV6,  # ip6ip6 only
                ip6tnl_flags=IP6_TNL_F_IGN_ENCAP_LIMIT,
                ip6tnl_ttl=64,
            )
        except Exception as exc:
            code = _netlink_error(exc)
            if code in NO_IP6TNL:
                raise DataPlaneError(
                    f"cannot create ip6tnl link {ifname}: this kernel has no ip6tnl support "
                    f'("Unknown device type", {_ERRNO_NAMES.get(code, code)})'
                ) from None
            if code == errno.EEXIST:
                raise DataPlaneError(
                    f"cannot create ip6tnl link {ifname} ({local} -> {remote}): a link with that name or "
                    "those endpoints exists and was not created by this agent"
                ) from None
            raise DataPlaneError(f"cannot create ip6tnl link {ifname} ({local} -> {remote}): {exc}") from exc

    def _open_tunnel(self, peer: bytes, ifname: str, mtu: int) -> int:
        index = self._leftover_link(ifname, peer)
        if index is not None:
            log.warning("adopting tunnel %s towards %s left by an earlier run", ifname, ipv6_text(peer))
            return index
        self._create_link(ifname, self.local, ipv6_text(peer))
        index = self._link_index(ifname)
        if index is None:
            raise DataPlaneError(f"tunnel link {ifname} vanished right after it was created")
        return index

    def _leftover_link(self, ifname: str, peer: bytes) -> int | None:
        """An ip6tnl link with our name and exactly our endpoints (an agent that died): its index."""
        index = self._link_index(ifname)
        if index is None:
            return None
        info = self._ipr.get_links(index)[0].get_attr("IFLA_LINKINFO")
        data = info.get_attr("IFLA_INFO_DATA") if info is not None else None
        if (
            data is not None
            and info.get_attr("IFLA_INFO_KIND") == "ip6tnl"
            and data.get_attr("IFLA_IP6TNL_LOCAL") == self.local
            and data.get_attr("IFLA_IP6TNL_REMOTE") == ipv6_text(peer)
        ):
            return index
        return None  # something else has the name: creating the link reports the conflict

    def _close_tunnel(self, tunnel: Tunnel) -> None:
        try:
            self._ipr.link("del", index=tunnel.index)
        except Exception as exc:
            if _netlink_error(exc) not in (errno.ENODEV, errno.ENOENT):
                raise


def probe_ip6tnl(local: str, *, netns: str | None = None) -> tuple[bool, str]:
    """Can an ip6tnl link be created here?  (True/False, why) - for ``dataplane: auto``."""
    worker = Worker(netns)
    backend = KernelDataPlane(local, netns=netns)

    def attempt() -> tuple[bool, str]:
        from pyroute2 import IPRoute

        backend._ipr = IPRoute()
        try:
            backend._probe()
            return True, "an ip6tnl link could be created"
        except DataPlaneError as exc:
            return False, str(exc)
        finally:
            backend._ipr.close()
            backend._ipr = None

    try:
        return worker.call(attempt)
    except Exception as exc:  # no netlink at all, ...
        log.debug("ip6tnl probe failed", exc_info=True)
        return False, f"ip6tnl probe failed: {exc}"
    finally:
        worker.close()

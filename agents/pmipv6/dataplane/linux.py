"""What the kernel and userspace backends share: tunnels per peer (reference counted), the routes and
policy rules of RFC 5213 §5.6 / §6.10, and exact bookkeeping of everything created.

Layout (T = ``routing.table``, R = ``routing.rule_priority``; every route and rule carries
protocol ``RTPROT_PMIPV6`` = 213 so ``ip -6 route show proto 213`` lists them):

LMA, per HNP bound to MAG m (tunnel X towards m):
    route  HNP dev X table T
    rule   R    from HNP iif X goto R+2          source allowed out of that tunnel
LMA, per tunnel X:
    rule   R+1  iif X blackhole                   RFC 5213 §5.6.2 reverse-path check: anything else
LMA, once (while any binding):
    rule   R+2  lookup T                          HNP -> tunnel (also MN-to-MN hairpin)
MAG, per HNP on access link A (tunnel X towards the LMA):
    route  HNP dev A                    (main)    downlink, on-link to the mobile node
    route  default from HNP dev X table T         uplink: one source-specific default per HNP
    rule   R    from HNP iif A lookup T
    nft    (MN MAC, HNP) in table ip6 pmipv6_T    only that MN may send from it (srcguard.py)

All netlink, TUN and socket work runs on one worker thread: pyroute2's synchronous API cannot run
inside the agent's asyncio loop, and the thread pins the network namespace (``netns``).

A tunnel whose last prefix went lingers ``tunnel_linger`` seconds before the worker removes it,
on its own time: taking a link down and its relay state apart costs tens of milliseconds, which
would otherwise sit between a handover PBU and its PBA, and an MN moving back within that time
finds the tunnel still there.  Its routes go at once; its reverse-path blackhole rule stays
with it, so nothing is forwarded out of a lingering tunnel.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import errno
import hashlib
import ipaddress
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import DataPlane, DataPlaneError, Prefix
from .srcguard import SourceGuard

log = logging.getLogger("pmipv6.dataplane")

RTPROT_PMIPV6 = 213  # our mark on routes and rules (unassigned in iproute2's rt_protos)
MAIN_TABLE = 254
CLONE_NEWNET = 0x40000000
IFF_UP, IFF_MULTICAST = 0x1, 0x1000
CALL_TIMEOUT = 60.0
_GONE = (errno.ENOENT, errno.ESRCH, errno.ENODEV)


def tunnel_name(peer: bytes) -> str:
    """Interface name of the tunnel towards ``peer``: stable, 14 characters (IFNAMSIZ is 16)."""
    return "pmip" + hashlib.blake2s(peer, digest_size=5).hexdigest()


def ipv6_text(raw: bytes) -> str:
    return str(ipaddress.IPv6Address(raw))


def prefix_text(prefix: Prefix) -> str:
    return f"{ipaddress.IPv6Address(prefix[0])}/{prefix[1]}"


def _netlink_error(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


class Worker:
    """One thread that runs every call it is given, inside a network namespace.

    ``idle()`` (optional) runs between jobs whenever it is due: it does deferred work and
    returns the seconds until it wants to run again, or None."""

    def __init__(self, netns: str | None = None, idle: Callable[[], float | None] | None = None) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._ready: concurrent.futures.Future = concurrent.futures.Future()
        self.netns = netns
        self._idle = idle
        self._thread = threading.Thread(target=self._main, name="pmipv6-dataplane", daemon=True)
        self._thread.start()
        self._ready.result(CALL_TIMEOUT)

    def _main(self) -> None:
        try:
            if self.netns is not None:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(f"/run/netns/{self.netns}", os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({self.netns}): {os.strerror(err)}")
                finally:
                    os.close(fd)
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        wait: float | None = None
        while True:
            try:
                job = self._jobs.get(timeout=wait)
            except queue.Empty:
                wait = self._run_idle()
                continue
            if job is None:
                while True:  # fail whatever was queued behind the end
                    try:
                        late = self._jobs.get_nowait()
                    except queue.Empty:
                        return
                    if late is not None:
                        late[2].set_exception(DataPlaneError("data plane stopped"))
            fn, args, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)
            wait = self._run_idle()

    def _run_idle(self) -> float | None:
        if self._idle is None:
            return None
        try:
            return self._idle()
        except Exception:  # deferred clean-up must not kill the worker
            log.exception("data plane: deferred work failed")
            return 1.0

    def call(self, fn: Callable, *args):
        if threading.current_thread() is self._thread:
            return fn(*args)
        if not self._thread.is_alive():
            raise DataPlaneError("data plane stopped")
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((fn, args, future))
        return future.result(CALL_TIMEOUT)

    def close(self) -> None:
        self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(CALL_TIMEOUT)


@dataclass
class Tunnel:
    peer: bytes
    ifname: str
    index: int
    mtu: int
    refs: set = field(default_factory=set)  # ("lma" | "mag", prefix)
    rpf_rule: tuple | None = None  # LMA: key of the per-tunnel blackhole rule
    idle_since: float | None = None  # monotonic time the last reference went (lingering)


class TunnelDataPlane(DataPlane):
    """Shared engine of ``kernel`` and ``userspace``; subclasses supply the tunnel links."""

    name = "linux"

    def __init__(
        self,
        local: str,
        *,
        table: int = 5213,
        priority: int = 5213,
        tunnel_mtu: int | None = None,
        netns: str | None = None,
        tunnel_linger: float = 0.0,
    ) -> None:
        self.local = str(ipaddress.IPv6Address(local))
        self.tunnel_linger = tunnel_linger
        self._guard = SourceGuard(table)
        self._guard_warned = False
        self.table = table
        self.priority = priority
        self.tunnel_mtu = tunnel_mtu
        self.netns = netns
        self._worker: Worker | None = None
        self._ipr = None
        self.tunnels: dict[bytes, Tunnel] = {}
        self._lma: dict[Prefix, bytes] = {}  # prefix -> MAG
        self._mag: dict[Prefix, tuple[bytes, str]] = {}  # prefix -> (LMA, access interface)
        self._routes: dict[tuple, tuple[dict, str]] = {}  # created (netlink spec, text), in order
        self._rules: dict[tuple, dict] = {}  # created (netlink spec), in order
        self._lookup_rule: tuple | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._worker is not None:
            return
        self._worker = Worker(self.netns, self._close_idle_tunnels if self.tunnel_linger > 0 else None)
        try:
            self._worker.call(self._start)
        except BaseException:
            with contextlib.suppress(Exception):
                self._worker.call(self._stop)
            self._worker.close()
            self._worker = None
            raise

    def stop(self) -> None:
        if self._worker is None:
            return
        try:
            self._worker.call(self._stop)
        finally:
            self._worker.close()
            self._worker = None

    def _start(self) -> None:
        from pyroute2 import IPRoute

        self._ipr = IPRoute()
        try:
            with open("/proc/sys/net/ipv6/conf/all/forwarding") as f:  # this thread's namespace
                forwarding = f.read().strip() == "1"
        except OSError:
            forwarding = True
        if not forwarding:
            log.warning("net.ipv6.conf.all.forwarding is 0: nothing will be forwarded through the tunnels")
        self._setup()

    def _stop(self) -> None:
        """Remove rules, then routes, then tunnels: exactly what was created, newest first."""
        problems = []
        for key in reversed(list(self._rules)):
            problems += self._del_rule(key)
        for key in reversed(list(self._routes)):
            problems += self._del_route(key)
        self._lookup_rule = None
        for tunnel in list(self.tunnels.values()):
            try:
                self._close_tunnel(tunnel)
            except Exception as exc:
                problems.append(f"tunnel {tunnel.ifname}: {exc}")
        self._guard.close()
        self.tunnels.clear()
        self._lma.clear()
        self._mag.clear()
        try:
            self._teardown()
        except Exception as exc:
            problems.append(str(exc))
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
        for problem in problems:
            log.warning("dataplane stop: %s", problem)

    def _run(self, fn: Callable, *args):
        if self._worker is None:
            self.start()
        return self._worker.call(fn, *args)

    # -- subclass hooks (run on the worker thread) ----------------------------------------------
    def _setup(self) -> None:
        pass

    def _teardown(self) -> None:
        pass

    def _open_tunnel(self, peer: bytes, ifname: str, mtu: int) -> int:
        """Create the tunnel link towards ``peer``; return its ifindex."""
        raise NotImplementedError

    def _close_tunnel(self, tunnel: Tunnel) -> None:
        raise NotImplementedError

    def _prefixes_changed(self, peer: bytes, added: list[Prefix], removed: list[Prefix]) -> None:
        """LMA prefixes bound to ``peer`` came and went (userspace: update the relay's check)."""

    # -- the engine hooks -----------------------------------------------------------------------
    def lma_bind(self, mag: bytes, prefixes: Sequence[Prefix]) -> None:
        self._run(self._lma_bind, bytes(mag), [(bytes(p), int(n)) for p, n in prefixes])

    def lma_unbind(self, mag: bytes, prefixes: Sequence[Prefix]) -> None:
        self._run(self._lma_unbind, bytes(mag), [(bytes(p), int(n)) for p, n in prefixes])

    def mag_bind(self, lma: bytes, prefixes: Sequence[Prefix], interface: str, mn_ll_id: bytes) -> None:
        prefixes = [(bytes(p), int(n)) for p, n in prefixes]
        self._run(self._mag_bind, bytes(lma), prefixes, interface, bytes(mn_ll_id))

    def mag_unbind(self, lma: bytes, prefixes: Sequence[Prefix], interface: str, mn_ll_id: bytes) -> None:
        prefixes = [(bytes(p), int(n)) for p, n in prefixes]
        self._run(self._mag_unbind, bytes(lma), prefixes, interface, bytes(mn_ll_id))

    def snapshot(self) -> dict:
        """What is bound and what was created (for tests and status output)."""
        return self._run(self._snapshot)

    def _snapshot(self) -> dict:
        return {
            "tunnels": {ipv6_text(p): (t.ifname, len(t.refs)) for p, t in self.tunnels.items()},
            "lma": {prefix_text(p): ipv6_text(m) for p, m in self._lma.items()},
            "mag": {prefix_text(p): (ipv6_text(lma), i) for p, (lma, i) in self._mag.items()},
            "routes": len(self._routes),
            "rules": len(self._rules),
        }

    # -- LMA ------------------------------------------------------------------------------------
    def _lma_bind(self, mag: bytes, prefixes: list[Prefix]) -> None:
        changes: dict[bytes, tuple[list, list]] = {}  # peer -> (added, removed)
        try:
            for prefix in prefixes:
                current = self._lma.get(prefix)
                if current == mag:
                    continue
                if current is not None:  # re-pointed without an unbind first: move it
                    self._lma_unbind_one(current, prefix)
                    changes.setdefault(current, ([], []))[1].append(prefix)
                self._lma[prefix] = mag
                try:
                    tunnel = self._acquire(mag, ("lma", prefix), rpf=True)
                    if self._lookup_rule is None:
                        self._lookup_rule = self._add_rule(self.priority + 2, table=self.table)
                    self._add_route(prefix, table=self.table, oif=tunnel.index, dev=tunnel.ifname)
                    self._add_rule(self.priority, src=prefix, iifname=tunnel.ifname, goto=self.priority + 2)
                except BaseException:
                    self._lma_unbind_one(mag, prefix)
                    raise
                changes.setdefault(mag, ([], []))[0].append(prefix)
        finally:
            self._report(changes)

    def _lma_unbind(self, mag: bytes, prefixes: list[Prefix]) -> None:
        removed = []
        try:
            for prefix in prefixes:
                if self._lma.get(prefix) != mag:
                    log.debug("lma_unbind %s via %s: not bound there", prefix_text(prefix), ipv6_text(mag))
                    continue
                self._lma_unbind_one(mag, prefix)
                removed.append(prefix)
        finally:
            self._report({mag: ([], removed)})

    def _report(self, changes: dict[bytes, tuple[list, list]]) -> None:
        for peer, (added, removed) in changes.items():
            if peer in self.tunnels and (added or removed):  # a tunnel that went took its set along
                self._prefixes_changed(peer, added, removed)

    def _lma_unbind_one(self, mag: bytes, prefix: Prefix) -> None:
        tunnel = self.tunnels.get(mag)
        self._lma.pop(prefix, None)
        if tunnel is not None:
            self._del_rule(
                self._rule_key(self.priority, src=prefix, iifname=tunnel.ifname, goto=self.priority + 2)
            )
            self._del_route(self._route_key(prefix, table=self.table, oif=tunnel.index))
            self._release(tunnel, ("lma", prefix))
        if not self._lma and self._lookup_rule is not None:
            self._del_rule(self._lookup_rule)
            self._lookup_rule = None

    # -- MAG ------------------------------------------------------------------------------------
    def _mag_bind(self, lma: bytes, prefixes: list[Prefix], interface: str, mac: bytes = b"") -> None:
        access = self._link_index(interface)
        if access is None:
            raise DataPlaneError(f"access interface {interface!r} not found")
        for prefix in prefixes:
            current = self._mag.get(prefix)
            if current == (lma, interface):
                continue
            if current is not None:
                self._mag_unbind_one(*current, prefix)
            self._mag[prefix] = (lma, interface)
            try:
                tunnel = self._acquire(lma, ("mag", prefix), rpf=False)
                self._add_route(prefix, table=MAIN_TABLE, oif=access, dev=interface)
                self._add_route(
                    (bytes(16), 0), table=self.table, oif=tunnel.index, dev=tunnel.ifname, src=prefix
                )
                self._add_rule(self.priority, src=prefix, iifname=interface, table=self.table)
            except BaseException:
                self._mag_unbind_one(lma, interface, prefix)
                raise
        self._guard_allow(mac, prefixes)

    def _guard_allow(self, mac: bytes, prefixes: list[Prefix]) -> None:
        """After the routes: the MN can already send; from now on only it, from its prefixes."""
        if len(mac) != 6:
            return  # an MN-LL-ID that is no MAC: nothing to match on
        if not self._guard.available:
            if not self._guard_warned:
                log.warning("source address validation off: no nft program (install nftables)")
                self._guard_warned = True
            return
        self._guard.allow(mac, prefixes)

    def _mag_unbind(self, lma: bytes, prefixes: list[Prefix], interface: str, mac: bytes = b"") -> None:
        gone = []
        for prefix in prefixes:
            if self._mag.get(prefix) != (lma, interface):
                log.debug(
                    "mag_unbind %s: not bound to %s on %s", prefix_text(prefix), ipv6_text(lma), interface
                )
                continue
            self._mag_unbind_one(lma, interface, prefix)
            gone.append(prefix)
        if len(mac) == 6:
            self._guard.revoke(mac, gone)

    def _mag_unbind_one(self, lma: bytes, interface: str, prefix: Prefix) -> None:
        self._mag.pop(prefix, None)
        tunnel = self.tunnels.get(lma)
        self._del_rule(self._rule_key(self.priority, src=prefix, iifname=interface, table=self.table))
        for key in [k for k in self._routes if k[0] == MAIN_TABLE and k[1] == prefix and k[2] is None]:
            self._del_route(key)
        if tunnel is not None:
            self._del_route(self._route_key((bytes(16), 0), table=self.table, oif=tunnel.index, src=prefix))
            self._release(tunnel, ("mag", prefix))

    # -- tunnels (reference counted) ------------------------------------------------------------
    def _acquire(self, peer: bytes, ref: tuple, rpf: bool) -> Tunnel:
        tunnel = self.tunnels.get(peer)
        if tunnel is not None and tunnel.idle_since is not None:
            tunnel.idle_since = None  # lingering: in use again
            log.debug("tunnel %s towards %s reused", tunnel.ifname, ipv6_text(peer))
        if tunnel is None:
            ifname = tunnel_name(peer)
            mtu = self._mtu_towards(peer)
            index = self._open_tunnel(peer, ifname, mtu)
            tunnel = self.tunnels[peer] = Tunnel(peer, ifname, index, mtu)
            try:
                self._configure_link(index, mtu)
            except BaseException:
                self._release(tunnel, None)
                raise
            log.info("tunnel %s towards %s created (%s, mtu %d)", ifname, ipv6_text(peer), self.name, mtu)
        if rpf and tunnel.rpf_rule is None:
            tunnel.rpf_rule = self._add_rule(self.priority + 1, iifname=tunnel.ifname, action="blackhole")
        tunnel.refs.add(ref)
        return tunnel

    def _release(self, tunnel: Tunnel, ref: tuple | None) -> None:
        tunnel.refs.discard(ref)
        if tunnel.refs:
            return
        if ref is not None and self.tunnel_linger > 0:
            tunnel.idle_since = time.monotonic()  # removed by _close_idle_tunnels
            return
        self._remove_tunnel(tunnel)

    def _close_idle_tunnels(self) -> float | None:
        """Worker idle hook: remove tunnels unused for ``tunnel_linger``; seconds to the next."""
        now = time.monotonic()
        due: float | None = None
        for tunnel in list(self.tunnels.values()):
            if tunnel.refs or tunnel.idle_since is None:
                continue
            left = tunnel.idle_since + self.tunnel_linger - now
            if left <= 0:
                self._remove_tunnel(tunnel)
            else:
                due = left if due is None else min(due, left)
        return due

    def _remove_tunnel(self, tunnel: Tunnel) -> None:
        if tunnel.rpf_rule is not None:
            self._del_rule(tunnel.rpf_rule)
            tunnel.rpf_rule = None
        for key in [k for k in self._routes if k[3] == tunnel.index]:  # should be none left
            self._del_route(key)
        self.tunnels.pop(tunnel.peer, None)
        self._close_tunnel(tunnel)
        log.info("tunnel %s towards %s removed", tunnel.ifname, ipv6_text(tunnel.peer))

    def _configure_link(self, index: int, mtu: int) -> None:
        """No addresses (no link-local, so no RS or DAD into the tunnel), multicast off, MTU, up."""
        ipr = self._ipr
        ipr.link(
            "set",
            index=index,
            IFLA_AF_SPEC={"attrs": [("AF_INET6", {"attrs": [("IFLA_INET6_ADDR_GEN_MODE", 1)]})]},
        )
        ipr.link("set", index=index, mtu=mtu)
        ipr.link("set", index=index, flags=IFF_UP, change=IFF_UP | IFF_MULTICAST)  # up, multicast off

    def _mtu_towards(self, peer: bytes) -> int:
        """Tunnel MTU: configured, or the MTU of the route to ``peer`` minus 40 (default 1500)."""
        if self.tunnel_mtu:
            return self.tunnel_mtu
        path = 1500
        try:
            route = self._ipr.route("get", dst=ipv6_text(peer))[0]
            link = self._ipr.get_links(route.get_attr("RTA_OIF"))[0]
            path = link.get_attr("IFLA_MTU") or 1500
            metrics = route.get_attr("RTA_METRICS")
            locked = metrics.get_attr("RTAX_MTU") if metrics is not None else None
            if locked:
                path = min(path, locked)
        except Exception as exc:
            log.warning("no route to %s to learn the path MTU (%s): assuming 1500", ipv6_text(peer), exc)
        return max(1280, path - 40)

    def _link_index(self, ifname: str) -> int | None:
        found = self._ipr.link_lookup(ifname=ifname)
        return found[0] if found else None

    # -- routes and rules: created through here, recorded, removed exactly ----------------------
    @staticmethod
    def _route_key(dst: Prefix, *, table: int, oif: int, src: Prefix | None = None) -> tuple:
        return (table, dst, src, oif)

    def _add_route(self, dst: Prefix, *, table: int, oif: int, dev: str, src: Prefix | None = None) -> tuple:
        key = self._route_key(dst, table=table, oif=oif, src=src)
        if key in self._routes:
            return key
        spec = {
            "family": socket.AF_INET6,
            "dst": ipv6_text(dst[0]),
            "dst_len": dst[1],
            "table": table,
            "oif": oif,
            "proto": RTPROT_PMIPV6,
        }
        if src is not None:
            spec.update(src=ipv6_text(src[0]), src_len=src[1])
        what = _describe_route(spec, dev)
        self._add_or_adopt("route", what, lambda: self._ipr.route("add", **spec), self._leftover_route, spec)
        self._routes[key] = (spec, what)
        return key

    @staticmethod
    def _add_or_adopt(
        kind: str, what: str, add: Callable, leftover: Callable[[dict], bool], spec: dict
    ) -> None:
        """Create a route or rule; one that exists already is adopted only if it is exactly ours
        (proto 213, left by an agent that died), never replaced."""
        try:
            add()
        except Exception as exc:
            label = "route" if kind == "route" else "policy rule"
            if _netlink_error(exc) != errno.EEXIST:
                raise DataPlaneError(f"cannot add {label} '{what}': {exc}") from exc
            if not leftover(spec):
                raise DataPlaneError(
                    f"{label} '{what}' already exists and was not created by this agent "
                    f"(remove it with: ip -6 {kind} del {what})"
                ) from None
            log.warning("adopting %s '%s' left by an earlier run (proto %d)", label, what, RTPROT_PMIPV6)

    def _leftover_route(self, spec: dict) -> bool:
        """Is the existing route exactly ``spec`` and marked as ours (an agent that died)?"""
        for route in self._ipr.get_routes(family=socket.AF_INET6, table=spec["table"]):
            if (
                route.get("proto") == RTPROT_PMIPV6
                and route.get_attr("RTA_TABLE") == spec["table"]
                and route.get("dst_len") == spec["dst_len"]
                and (route.get_attr("RTA_DST") or "::") == spec["dst"]
                and route.get("src_len", 0) == spec.get("src_len", 0)
                and (route.get_attr("RTA_SRC") or "::") == spec.get("src", "::")
                and route.get_attr("RTA_OIF") == spec["oif"]
            ):
                return True
        return False

    def _del_route(self, key: tuple) -> list[str]:
        spec, what = self._routes.pop(key, (None, ""))
        if spec is None:
            return []
        try:
            self._ipr.route("del", **spec)
        except Exception as exc:
            if _netlink_error(exc) not in _GONE:
                return [f"route {what}: {exc}"]
        return []

    @staticmethod
    def _rule_key(
        priority: int,
        *,
        src: Prefix | None = None,
        iifname: str | None = None,
        table: int | None = None,
        goto: int | None = None,
        action: str | None = None,
    ) -> tuple:
        return (priority, src, iifname, table, goto, action)

    def _add_rule(
        self,
        priority: int,
        *,
        src: Prefix | None = None,
        iifname: str | None = None,
        table: int | None = None,
        goto: int | None = None,
        action: str | None = None,
    ) -> tuple:
        key = self._rule_key(priority, src=src, iifname=iifname, table=table, goto=goto, action=action)
        if key in self._rules:
            return key
        spec: dict = {"family": socket.AF_INET6, "priority": priority, "protocol": RTPROT_PMIPV6}
        if src is not None:
            spec.update(src=ipv6_text(src[0]), src_len=src[1])
        if iifname is not None:
            spec["iifname"] = iifname
        if table is not None:
            spec["table"] = table
        if goto is not None:
            spec.update(action="goto", goto=goto)
        elif action is not None:
            spec["action"] = action
        self._add_or_adopt(
            "rule", _describe_rule(spec), lambda: self._ipr.rule("add", **spec), self._leftover_rule, spec
        )
        self._rules[key] = spec
        return key

    def _leftover_rule(self, spec: dict) -> bool:
        """Is the existing rule exactly ``spec`` and marked as ours (an agent that died)?"""
        actions = {"goto": 2, "blackhole": 6}
        for rule in self._ipr.get_rules(family=socket.AF_INET6):
            if (
                rule.get_attr("FRA_PROTOCOL") == RTPROT_PMIPV6
                and rule.get_attr("FRA_PRIORITY") == spec["priority"]
                and rule.get("src_len") == spec.get("src_len", 0)
                and (rule.get_attr("FRA_SRC") or "::") == spec.get("src", "::")
                and rule.get_attr("FRA_IIFNAME") == spec.get("iifname")
                and rule.get("action") == actions.get(spec.get("action", ""), 1)
                and rule.get_attr("FRA_GOTO") == spec.get("goto")
                and (spec.get("table") is None or rule.get_attr("FRA_TABLE") == spec["table"])
            ):
                return True
        return False

    def _del_rule(self, key: tuple) -> list[str]:
        spec = self._rules.pop(key, None)
        if spec is None:
            return []
        try:
            self._ipr.rule("del", **spec)
        except Exception as exc:
            if _netlink_error(exc) not in _GONE:
                return [f"rule {_describe_rule(spec)}: {exc}"]
        return []


def _describe_route(spec: dict, dev: str) -> str:
    dst = "default" if spec["dst_len"] == 0 else f"{spec['dst']}/{spec['dst_len']}"
    src = f" from {spec['src']}/{spec['src_len']}" if "src" in spec else ""
    table = "main" if spec["table"] == MAIN_TABLE else spec["table"]
    return f"{dst}{src} dev {dev} table {table}"


def _describe_rule(spec: dict) -> str:
    parts = [f"priority {spec['priority']}"]
    if "src" in spec:
        parts.append(f"from {spec['src']}/{spec['src_len']}")
    if "iifname" in spec:
        parts.append(f"iif {spec['iifname']}")
    if spec.get("action") == "goto":
        parts.append(f"goto {spec['goto']}")
    elif "action" in spec:
        parts.append(spec["action"])
    else:
        parts.append(f"lookup {spec['table']}")
    return " ".join(parts)

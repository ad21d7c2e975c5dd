"""pmipv6-agent: runs one LMA or MAG (by the config's ``role``) in the foreground.

The daemon is glue: it owns the raw MH socket, the control socket, signals and the wake-up
timer, and hands decoded messages to the pure engines.  SIGHUP reloads the config without
dropping bindings; SIGTERM/SIGINT stop the agent and remove the kernel state it created.

State persistence (``pmipv6.persist``, on unless the config says ``persistence: false``): at start the stored
bindings are restored before the socket opens; afterwards the engines record their changes and
a group commit covers each receive batch: the socket's ``before_flush`` gate starts it when the
batch ends and holds the batch's replies until it is durable (``GroupCommitter``); timer runs
and control commands start one too.  So no PBA or PBU leaves before the state behind it is on
disk.  The Restart Counter lives in the same store, whatever the setting.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import logging
import os
import signal
import sys
import time
from collections import Counter

from . import __version__, dataplane
from .config import AgentConfig, ConfigError, load_config
from .control import metrics
from .control.server import CommandError, ControlServer
from .heartbeat import HeartbeatMonitor
from .persist import GroupCommitter, StateStore
from .timers import LoopWakeUp, Timers
from .transport import MobilityHeaderSocket
from .wire import (
    BindingError,
    BindingErrorStatus,
    BindingRevocation,
    DecodeError,
    Heartbeat,
    ProxyBindingAck,
    ProxyBindingUpdate,
    UnknownMHType,
    decode,
    encode,
    ipv6_text,
)

log = logging.getLogger("pmipv6.agent")

BINDING_ERROR_RATE = 100.0  # per second; RFC 6275 §9.3.3 asks for rate limiting


# changing these needs a restart: the socket, the store, the tunnels and the access link's
# sockets and interface set-up are made once, at start
RESTART_KEYS = (
    "role", "address", "control_socket", "state_dir", "node", "persistence", "dataplane", "routing",
    "tunnel_mtu",
)  # fmt: skip
MAG_RESTART_KEYS = ("access_interfaces", "link_local_address", "detection")


class TokenBucket:
    def __init__(self, rate: float, clock):
        self.rate, self.clock = rate, clock
        self.tokens, self.stamp = rate, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Agent:
    def __init__(self, config: AgentConfig, config_path: str = "", clock=time.time):
        self.config = config
        self.config_path = config_path
        self.clock = clock
        self.stats: Counter = Counter()
        self.timers = Timers()
        self.started = clock()
        self.persist = config.persistence
        self.store = StateStore(config.state_dir, config.node, config.role, load=self.persist)
        try:
            self.restart_counter = self.store.bump_restart_counter()
            if not self.persist:
                dropped = self.store.clear_bindings()
                log.info("persistence off: %d stored binding(s) discarded", dropped)
            self.dataplane = dataplane.create(config.dataplane, config)
        except BaseException:
            self.store.close()
            raise
        self.socket: MobilityHeaderSocket | None = None
        self.control: ControlServer | None = None
        self._be_bucket = TokenBucket(BINDING_ERROR_RATE, clock)
        self._wake = LoopWakeUp(clock, self._on_wake)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self.committer: GroupCommitter | None = None
        self.access_link = None

        if config.role == "lma":
            from .lma import LocalMobilityAnchor

            self.engine = LocalMobilityAnchor(config, clock, self.send, self.dataplane, self.timers)
        else:
            from .mag import MobileAccessGateway

            self.engine = MobileAccessGateway(config, clock, self.send, self._mag_dataplane(), self.timers)
            if self.access_link is not None:
                self.access_link.connect_engine(self.engine)
        self.heartbeat = HeartbeatMonitor(
            config.heartbeat,
            clock,
            self.timers,
            self.send,
            self.restart_counter,
            on_down=self._peer_down,
            on_up=self._peer_up,
            on_restart=self._peer_restart,
        )
        self._sync_heartbeat_peers()

    def _mag_dataplane(self):
        """A MAG with access interfaces gets an access link (RAs, attach/detach detection), driven
        by the engine's data-plane hooks: routes first, then RAs; final RA, then no routes."""
        mag = self.config.mag
        if not mag.access_interfaces:
            return self.dataplane
        from .mag.accesslink import AccessLink, AccessLinkDataPlane

        self.access_link = AccessLink.from_settings(
            mag,
            clock=self.clock,
            timers=self.timers,
            after_event=self._after_access_event,
            rs_detection=mag.detection.router_solicitation,
            neighbour_detection=mag.detection.neighbour,
        )
        return AccessLinkDataPlane(self.dataplane, self.access_link)

    def _after_access_event(self) -> None:
        """An access-link event may have attached or detached an MN: persist it, re-arm timers."""
        self.commit()
        self.rearm()

    # --- peers -------------------------------------------------------------------------------
    def _configured_peers(self) -> dict[bytes, str]:
        cfg = self.config
        if cfg.role == "lma":
            return {p.raw: p.name for p in cfg.lma.mags}
        return {cfg.mag.lma.raw: cfg.mag.lma.name}

    def _sync_heartbeat_peers(self) -> None:
        wanted = self._configured_peers()
        current = {p["address"] for p in self.heartbeat.peers()}
        for raw, name in wanted.items():
            if ipv6_text(raw) not in current:
                self.heartbeat.add_peer(raw, name)
        wanted_text = {ipv6_text(raw) for raw in wanted}
        for text in current - wanted_text:
            self.heartbeat.remove_peer(_raw(text))

    def _peer_down(self, addr: bytes) -> None:
        log.warning("peer %s is down (%d heartbeats missed)", ipv6_text(addr), self.config.heartbeat.missed)

    def _peer_up(self, addr: bytes) -> None:
        log.info("peer %s is up", ipv6_text(addr))

    def _peer_restart(self, addr: bytes) -> None:
        log.warning("peer %s restarted (new Restart Counter)", ipv6_text(addr))
        if self.config.role == "mag" and addr == self.config.mag.lma.raw:
            count = self.engine.reregister_all()
            log.info("re-registering %d mobile nodes with the restarted LMA", count)

    # --- packets -----------------------------------------------------------------------------
    def send(self, dest: bytes, data: bytes) -> None:
        if self.socket is not None:
            self.socket.send(dest, data)

    def on_packet(self, data: bytes, src: bytes) -> None:
        try:
            msg = decode(data)
        except UnknownMHType as exc:
            self.stats[("malformed", "unknown_mh_type")] += 1
            self._binding_error(src, exc.mh_type)
            return
        except DecodeError as exc:
            self.stats[("malformed", "decode")] += 1
            log.debug("dropped malformed MH from %s: %s", ipv6_text(src), exc)
            return
        kind = type(msg)
        role = self.config.role
        if kind is ProxyBindingUpdate and role == "lma":
            self.engine.handle_pbu(msg, src, data)
        elif kind is ProxyBindingAck and role == "mag":
            self.engine.handle_pba(msg, src, data)
        elif kind is Heartbeat:
            self.heartbeat.receive(msg, src)
        elif kind is BindingError:
            log.info("Binding Error status %d from %s", msg.status, ipv6_text(src))
            self.stats[("unexpected_message", msg.MH_TYPE)] += 1
        else:  # e.g. a PBA at an LMA, or a revocation we do not implement yet
            self.stats[("unexpected_message", int(msg.MH_TYPE))] += 1
            if kind is BindingRevocation:
                log.info("ignoring Binding Revocation from %s (not supported)", ipv6_text(src))

    def _binding_error(self, dest: bytes, mh_type: int) -> None:
        """RFC 6275 §9.2: an unrecognized MH type is answered with Binding Error status 2."""
        if not self._be_bucket.take():
            return
        self.stats[("binding_error_sent",)] += 1
        self.send(dest, encode(BindingError(BindingErrorStatus.UNRECOGNIZED_MH_TYPE)))
        log.debug("Binding Error (unrecognized MH type %d) to %s", mh_type, ipv6_text(dest))

    # --- timers ------------------------------------------------------------------------------
    def rearm(self) -> None:
        """Schedule one loop wake-up at the earliest engine or heartbeat deadline."""
        deadlines = [d for d in (self.timers.next_deadline(), self.engine.next_deadline()) if d is not None]
        self._wake.arm(min(deadlines) if deadlines else None)

    def _on_wake(self) -> None:
        now = self.clock()
        try:
            self.engine.poll(now)
            self.timers.run_due(now)
        except Exception:  # a timer bug must not stop the agent
            log.exception("timer processing failed")
        self.commit()  # expiry and deletions send nothing, so no flush would commit them
        self.rearm()

    # --- persistence -------------------------------------------------------------------------
    def restore(self) -> None:
        """Take back the stored engine state (data plane started, socket not yet open)."""
        cfg = self.config
        if self.persist:
            if cfg.role == "lma":
                journal = self.store.lma_journal(cfg.replay_protection.mode)
            else:
                journal = self.store.mag_journal()
            counts = self.engine.restore(self.store.snapshot, journal, self.clock())
            self.store.snapshot = None  # the rows are engine objects now
            self.commit()  # what expired while we were down is gone from the file too
            if any(counts.values()):
                log.info(
                    "restored state from %s: %s",
                    self.store.path,
                    ", ".join(f"{n} {k}" for k, n in counts.items()),
                )
            else:
                log.info("no stored bindings in %s", self.store.path)

    def commit(self) -> None:
        """Make the engines' pending changes durable: start a group commit while serving (what
        is sent meanwhile waits for it), else commit right here."""
        if self.committer is not None:
            self.committer.kick()
        elif self.store.conn is not None:
            self.store.commit()

    # --- control API -------------------------------------------------------------------------
    def handlers(self) -> dict:
        h = {
            "status": lambda req: self.status(),
            "bindings": lambda req: self.engine.bindings(),
            "peers": lambda req: self.heartbeat.peers(),
            "metrics": lambda req: self.metrics_text(),
            "reload": self._committing(lambda req: self.reload()),
        }
        if self.config.role == "mag":
            h["attach"] = self._committing(self._attach)
            h["detach"] = self._committing(self._detach)
        return h

    def _committing(self, handler):
        """A control command that changes state: commit what it changed before answering."""

        def run(req):
            try:
                return handler(req)
            finally:
                self.commit()

        return run

    def _attach(self, req: dict):
        mac = req.get("mac")
        if not isinstance(mac, str):
            raise CommandError("attach needs a MAC address (--mac)")
        handoff = req.get("handoff")
        if handoff is not None and handoff not in (1, 2, 3, 4):
            raise CommandError(f"handoff must be 1..4, got {handoff!r}")
        kwargs = {"handoff": handoff} if handoff is not None else {}
        try:
            result = self.engine.attach(mac, req.get("interface"), req.get("id"), **kwargs)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.rearm()
        return result

    def _detach(self, req: dict):
        mac = req.get("mac")
        if not isinstance(mac, str):
            raise CommandError("detach needs a MAC address (--mac)")
        try:
            result = self.engine.detach(mac)
        except (KeyError, ValueError) as exc:
            raise CommandError(str(exc).strip("'\"")) from None
        self.rearm()
        return result

    def binding_count(self) -> int:
        return self.engine.binding_count()  # O(1); bindings() builds a dict per entry

    def config_digest(self) -> str:
        return hashlib.sha256(self.config.source.encode()).hexdigest()

    def status(self) -> dict:
        cfg = self.config
        peers = self.heartbeat.peers()
        return {
            "node": cfg.node,
            "role": cfg.role,
            "domain": cfg.domain,
            "address": cfg.address,
            "version": __version__,
            "pid": os.getpid(),
            "uptime": round(self.clock() - self.started, 3),
            "restart_counter": self.restart_counter,
            "persistence": str(self.store.path) if self.persist else None,
            "dataplane": self.dataplane.name,
            "access_link": self.access_link.status() if self.access_link is not None else None,
            "bindings": self.binding_count(),
            "peers_up": sum(1 for p in peers if p["state"] == "up"),
            "peers": len(peers),
            "config_path": self.config_path,
            "config_digest": self.config_digest(),
        }

    def metrics_text(self) -> str:
        peers = self.heartbeat.peers()
        gauges = {
            "bindings": ("Bindings held by this agent", [({}, self.binding_count())]),
            "peer_up": (
                "Heartbeat state per peer (1 up, 0 down or unknown)",
                [
                    ({"peer": p["address"], "name": p.get("name", "")}, 1 if p["state"] == "up" else 0)
                    for p in peers
                ],
            ),
            "restart_counter": ("This agent's RFC 5847 Restart Counter", [({}, self.restart_counter)]),
        }
        sources = [
            self.stats,
            self.engine.stats,
            self.heartbeat.stats,
            self.store.stats,
            self.dataplane.stats,
        ]
        if self.access_link is not None:
            sources.append(self.access_link.stats)
        return metrics.render(sources, gauges)

    def reload(self) -> dict:
        """SIGHUP / `reload`: re-read the file; keep bindings; refuse changes that need a restart."""
        if not self.config_path:
            raise CommandError("agent was not started from a file")
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, config invalid:\n%s", exc)
            raise CommandError(f"config invalid: {'; '.join(exc.problems)}") from None
        changed = [k for k in RESTART_KEYS if getattr(new, k) != getattr(self.config, k)]
        if new.role == "mag":
            changed += [
                f"mag.{k}" for k in MAG_RESTART_KEYS if getattr(new.mag, k) != getattr(self.config.mag, k)
            ]
        if changed:
            log.error("reload refused: %s changed (needs a restart)", ", ".join(changed))
            raise CommandError(f"{', '.join(changed)} changed; restart the agent to apply it")
        self.config = new
        self.engine.reload(new)
        self.heartbeat.update_settings(new.heartbeat)
        self._sync_heartbeat_peers()
        self.rearm()
        log.info("configuration reloaded (digest %s)", self.config_digest()[:12])
        return {"reloaded": True, "config_digest": self.config_digest()}

    # --- lifecycle ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve until SIGTERM/SIGINT. Whatever was set up is undone on the way out, also when
        start-up fails half-way (address not on this host, control socket in use)."""
        self._loop = self._wake.loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        control_started = False
        self.dataplane.start()
        try:
            if self.access_link is not None:
                self.access_link.start(self._loop)  # restored bindings resume their RAs
            self.restore()
            batch_env = os.environ.get("PMIPV6_BATCH_IO")  # "0": one system call per packet
            batched = None if batch_env is None else batch_env != "0"
            self.socket = MobilityHeaderSocket(self.config.address, self.on_packet, self.stats, batched)
            if self.persist:
                self.committer = GroupCommitter(self.store, self._loop, self.socket.release)
                self.socket.before_flush = self.committer.ticket
            self.socket.after_batch = self.rearm
            self.socket.start(self._loop)
            self.control = ControlServer(self.config.control_socket, self.handlers())
            await self.control.start()
            control_started = True
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stopping.set)
            self._loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            self.rearm()  # heartbeat peers were added in __init__: their first requests are due now
            gc.collect()
            gc.freeze()  # config and policy objects live for the whole run: keep them out of GC scans
            log.info(
                "%s %s up on %s (restart counter %d, dataplane %s, control %s, batched socket I/O %s)",
                self.config.role,
                self.config.node,
                self.config.address,
                self.restart_counter,
                self.dataplane.name,
                self.config.control_socket,
                "on" if self.socket.batched else "off",
            )
            await self._stopping.wait()
            log.info("stopping")
        finally:
            if control_started:
                await self.control.stop()
            if self.committer is not None:
                self.committer.close()  # the last commits, then what waited for them is released
                self.committer = None
            if self.socket is not None:
                self.socket.close()
            self.store.close()
            if self.access_link is not None:
                self.access_link.stop()
            self.dataplane.stop()

    def _on_sighup(self) -> None:
        with contextlib.suppress(CommandError):
            self.reload()
        self.commit()  # a new pool layout or replay mode rewrites stored state


def _raw(text: str) -> bytes:
    import socket

    return socket.inet_pton(socket.AF_INET6, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pmipv6-agent",
        description="Proxy Mobile IPv6 (RFC 5213) LMA or MAG agent; runs in the foreground.",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--config", metavar="FILE", help="run the agent described by FILE")
    group.add_argument(
        "--check-config", metavar="FILE", help="validate FILE, print problems, exit non-zero if any"
    )
    parser.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), help="override log_level"
    )
    parser.add_argument("--version", action="version", version=f"pmipv6-agent {__version__}")
    args = parser.parse_args(argv)

    path = args.check_config or args.config
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}" if not problem.startswith(path) else problem, file=sys.stderr)
        return 1
    if args.check_config:
        print(f"{path}: OK ({config.role} {config.node})")
        return 0

    logging.basicConfig(
        level=(args.log_level or config.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        agent = Agent(config, os.path.abspath(path))
        asyncio.run(agent.run())
    except (OSError, ValueError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

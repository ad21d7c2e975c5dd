"""A PMIPv6 test domain in network namespaces, with the real agents running from their config files.

Reused by tests/agents/test_domain_netns.py and bench/handover.py, and free of pytest so lab
tooling can use it as well.

    cn ---- lma ==== core (bridge) ==== mag1 -- acc0 ~~ ap1 (bridge) ~~ mn1, mn2, crowd
                                   ==== mag2 -- acc0 ~~ ap2 (bridge)

One namespace per node. The bridges live in one more namespace, "air", with IPv6 turned off so
that it adds no traffic of its own. A mobile node's link is a veth pair: ``eth0`` in the MN,
``s-<mn>`` in air. Moving ``s-<mn>`` from one AP bridge to the other (down, re-enslave, up) is
a Wi-Fi re-association: the MN sees its carrier drop and come back, and it sends a Router
Solicitation. The optional "crowd" namespace holds many light MNs, one macvlan each on a single
port of ap1. They are real hosts: they answer the MAG's NUD probes and configure SLAAC
addresses from its RAs.

Everything is named through ``nettools.Lab`` (a unique prefix per run). ``close()`` kills what
was started, by PID, and deletes the namespaces, and with them every link.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import secrets
import select
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import yaml
from nettools import Lab, call_in, run, socket_in, wait_for
from pyroute2 import IPRoute

from pmipv6.control.server import request
from pmipv6.mag.accesslink import ICMP6_FILTER, icmp6_filter
from pmipv6.mag.ndp import build_rs, eui64_link_local, parse_ra

POOL = "2001:db8:100::/48"
LMA_ADDR = "2001:db8:c::1"
MAG_ADDRS = {"mag1": "2001:db8:c::11", "mag2": "2001:db8:c::12"}
LMA_CN_SIDE, CN_ADDR = "2001:db8:cafe::1", "2001:db8:cafe::2"
MAG_OF_AP = {"ap1": "mag1", "ap2": "mag2"}
AP_OF_MAG = {mag: ap for ap, mag in MAG_OF_AP.items()}
ACCESS_IF = "acc0"
TABLE = 5213  # the data plane's routing table (docs/dataplane.md default)

CONTROLLER_ONLY = {"router_solicitation": False, "neighbour": False}
RS_ONLY = {"router_solicitation": True, "neighbour": False}

ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, ICMPV6_RA = 128, 129, 134


def mac_of(mn: str) -> str:
    """Stable MACs: mn<k> -> 02:00:00:00:01:<k>, crowd member c<k> -> 02:00:00:01:<k>."""
    if mn.startswith("mn"):
        return f"02:00:00:00:01:{int(mn[2:]):02x}"
    k = int(mn[1:])
    return f"02:00:00:01:{k >> 8:02x}:{k & 0xFF:02x}"


def mn_id(mn: str) -> str:
    return f"{mn}@campus.example"


def sysctl(ns: str, *settings: str) -> None:
    run("ip", "netns", "exec", ns, "sysctl", "-qw", *settings)


def ip_batch(ns: str, lines: list[str]) -> None:
    """Many ``ip`` commands in one process (creating 50 macvlans one by one costs seconds)."""
    subprocess.run(
        ["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n", check=True, text=True, timeout=60
    )


def ip_json(ns: str, *args: str) -> list[dict]:
    out = run("ip", "-n", ns, "-j", *args).stdout.strip()
    return json.loads(out) if out else []


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text -> {'name{labels}': value}."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
    return samples


def icmp_socket(ns: str, types: list[int]) -> socket.socket:
    """A raw ICMPv6 socket in ``ns`` that receives only the ICMPv6 ``types``."""
    sock = socket_in(ns, socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, icmp6_filter(types))
    return sock


def echo_request(ident: int, seq: int) -> bytes:
    """ICMPv6 Echo Request message (the kernel fills in the checksum on a raw ICMPv6 socket)."""
    return struct.pack("!BBHHH", ICMPV6_ECHO_REQUEST, 0, 0, ident, seq & 0xFFFF) + b"pmipv6-domain-ping"


def ipv6_echo_packet(source, destination, ident: int, seq: int = 0) -> bytes:
    """A whole IPv6 packet carrying an Echo Request, checksum included (to inject into a tunnel)."""
    src, dst = ipaddress.IPv6Address(source).packed, ipaddress.IPv6Address(destination).packed
    icmp = bytearray(echo_request(ident, seq))
    pseudo = src + dst + struct.pack("!I3xB", len(icmp), socket.IPPROTO_ICMPV6) + icmp
    pseudo += b"\0" * (len(pseudo) % 2)
    total = sum(struct.unpack(f"!{len(pseudo) // 2}H", pseudo))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    icmp[2:4] = struct.pack("!H", ~total & 0xFFFF)
    header = struct.pack("!IHBB", 6 << 28, len(icmp), socket.IPPROTO_ICMPV6, 64) + src + dst
    return header + bytes(icmp)


class Domain:
    """cn, lma, mag1, mag2, the MNs in ``mobile_nodes`` and ``crowd`` light MNs; see the module doc."""

    def __init__(
        self,
        workdir: Path,
        mobile_nodes: tuple[str, ...] = ("mn1", "mn2"),
        crowd: int = 0,
        detection: dict = CONTROLLER_ONLY,
        log_level: str = "info",
    ) -> None:
        self.workdir = Path(workdir)
        self.lab = Lab()
        self.ns: dict[str, str] = {}
        self.agents: dict[str, subprocess.Popen] = {}
        self.mns = list(mobile_nodes)
        self.crowd = [f"c{k:02d}" for k in range(crowd)]
        self.detection = dict(detection)
        self.log_level = log_level
        self.ap_of: dict[str, str | None] = dict.fromkeys(self.mns)
        self._air: IPRoute | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> Domain:
        try:
            self._build()
            for node in ("lma", *MAG_ADDRS):
                self.write_config(node)
                self.start_agent(node)
            self.wait_peers()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._air is not None:
            self._air.close()
            self._air = None
        self.lab.close()  # agents by PID, then anything left in our namespaces, then the namespaces

    def __enter__(self) -> Domain:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- topology ---------------------------------------------------------------------------------

    def _build(self) -> None:
        for role in ("air", "cn", "lma", *MAG_ADDRS, *self.mns):
            self.ns[role] = self.lab.ns(role)
        air = self.ns["air"]
        sysctl(air, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        for node in ("lma", *MAG_ADDRS):  # routers; never in an MN (it would ignore RAs)
            sysctl(self.ns[node], "net.ipv6.conf.all.forwarding=1")
        self._air = IPRoute(netns=air)
        for bridge in ("core", *MAG_OF_AP):
            ip_batch(air, [f"link add {bridge} type bridge mcast_snooping 0", f"link set {bridge} up"])
        self._core_port("lma", LMA_ADDR)
        for mag, address in MAG_ADDRS.items():
            self._core_port(mag, address)
            self.lab.link(air, f"a-{mag}", self.ns[mag], ACCESS_IF)
            run("ip", "-n", air, "link", "set", f"a-{mag}", "master", AP_OF_MAG[mag])
        self._correspondent()
        for mn in self.mns:  # out of range of every AP until associate()
            self.lab.link(air, f"s-{mn}", self.ns[mn], "eth0", mac_b=mac_of(mn))
            run("ip", "-n", air, "link", "set", f"s-{mn}", "down")

    def _core_port(self, node: str, address: str) -> None:
        self.lab.link(self.ns["air"], f"c-{node}", self.ns[node], "core0")
        run("ip", "-n", self.ns["air"], "link", "set", f"c-{node}", "master", "core")
        self.lab.addr(self.ns[node], "core0", f"{address}/64")

    def _correspondent(self) -> None:
        cn, lma = self.ns["cn"], self.ns["lma"]
        self.lab.link(lma, "cn0", cn, "eth0")
        self.lab.addr(lma, "cn0", f"{LMA_CN_SIDE}/64")
        self.lab.addr(cn, "eth0", f"{CN_ADDR}/64")
        run("ip", "-n", cn, "-6", "route", "add", "default", "via", LMA_CN_SIDE)

    def add_crowd(self) -> None:
        """Bring the crowd in range of ap1: one namespace, one port on ap1, a macvlan (own MAC,
        own SLAAC state) per crowd MN. Not at start: their kernels keep soliciting (with
        back-off) until they get an RA, and a MAG with RS detection on would attach them."""
        if "crowd" in self.ns:
            return
        crowd = self.ns["crowd"] = self.lab.ns("crowd")
        self.lab.link(self.ns["air"], "s-crowd", crowd, "eth0")
        run("ip", "-n", self.ns["air"], "link", "set", "s-crowd", "master", "ap1")
        sysctl(crowd, "net.ipv6.conf.eth0.disable_ipv6=1")  # the parent itself is no MN
        lines = []
        for mn in self.crowd:
            lines.append(f"link add {mn} link eth0 address {mac_of(mn)} type macvlan mode bridge")
            lines.append(f"link set {mn} up")
        ip_batch(crowd, lines)

    # -- agents -----------------------------------------------------------------------------------

    def sock(self, node: str) -> Path:
        return self.workdir / f"{node}.sock"

    def log(self, node: str) -> Path:
        return self.workdir / f"{node}.log"

    def config(self, node: str) -> dict:
        common = {
            "node": node,
            "domain": "campus",
            "control_socket": str(self.sock(node)),
            "state_dir": str(self.workdir / f"state-{node}"),
            "dataplane": "userspace",
            "persistence": True,
            "log_level": self.log_level,
            "replay_protection": {"mode": "timestamp", "window_ms": 300},
            "heartbeat": {"interval": 0.5, "missed": 3},
            "mobile_nodes": [
                {"id": mn_id(mn), "mac": mac_of(mn), "lma": "lma1"} for mn in (*self.mns, *self.crowd)
            ],
        }
        if node == "lma":
            return {**common, "node": "lma1", "role": "lma", "address": LMA_ADDR, "lma": self._lma_section()}
        return {**common, "role": "mag", "address": MAG_ADDRS[node], "mag": self._mag_section()}

    @staticmethod
    def _lma_section() -> dict:
        return {
            "hnp_pools": [POOL],
            "hnp_length": 64,
            "mags": [{"name": mag, "address": address} for mag, address in MAG_ADDRS.items()],
            "binding_lifetime_max": 3600,
            "min_delay_before_bce_delete_ms": 1000,
            "max_delay_before_new_bce_assign_ms": 300,
        }

    def _mag_section(self) -> dict:
        return {
            "lma": {"name": "lma1", "address": LMA_ADDR},
            "access_interfaces": [{"name": ACCESS_IF, "access_technology": "ieee-802.11"}],
            "binding_lifetime": 300,
            "refresh_before": 60,
            "detach_poll": {"interval": 0.5, "timeout": 0.3, "retries": 2},
            "retransmit": {"initial_ms": 200, "max_ms": 1000, "max_attempts": 20},
            "detection": dict(self.detection),
        }

    def write_config(self, node: str) -> Path:
        path = self.workdir / f"{node}.yaml"
        path.write_text(yaml.safe_dump(self.config(node)))
        return path

    def start_agent(self, node: str, timeout: float = 20) -> None:
        self.sock(node).unlink(missing_ok=True)  # a killed agent leaves its socket file behind
        cfg = self.workdir / f"{node}.yaml"
        self.agents[node] = self.lab.start_agent(self.ns[node], cfg, self.log(node))
        wait_for(lambda: self.call(node, "status", check=False), timeout, what=f"{node} agent up")

    def stop_agent(self, node: str, sig: int = signal.SIGTERM) -> int:
        return self.lab.stop(self.agents.pop(node), sig)

    def call(self, node: str, command: str, check: bool = True, **args):
        """One control API request, in-process (as an AP controller or RADIUS hook would send it)."""
        args = {k: v for k, v in args.items() if v is not None}
        try:
            return request(str(self.sock(node)), command, timeout=5, **args)
        except OSError:
            if check:
                raise
            return None

    def wait_peers(self, timeout: float = 15) -> None:
        for mag in MAG_ADDRS:
            wait_for(
                lambda m=mag: all(p["state"] == "up" for p in self.call(m, "peers")),
                timeout,
                what=f"{mag}'s heartbeat to the LMA",
            )

    def set_detection(self, detection: dict) -> None:
        """New ``mag.detection`` for both MAGs: rewrite the files, restart the MAGs (kept state)."""
        self.detection = dict(detection)
        for mag in MAG_ADDRS:
            self.write_config(mag)
            self.stop_agent(mag)
            self.start_agent(mag)
        self.wait_peers()

    # -- what the agents and kernels say ----------------------------------------------------------

    def bindings(self, node: str) -> list[dict]:
        return self.call(node, "bindings")

    def binding(self, node: str, mn: str) -> dict | None:
        return next((b for b in self.bindings(node) if b["mn_id"] == mn_id(mn)), None)

    def hnp(self, mn: str) -> ipaddress.IPv6Network | None:
        """The MN's home network prefix, as the LMA reports it."""
        b = self.binding("lma", mn)
        return ipaddress.IPv6Network(b["hnp"][0]) if b else None

    def metrics(self, node: str) -> dict[str, float]:
        return parse_metrics(self.call(node, "metrics"))

    def routes(self, node: str, table: int | str = "main") -> list[dict]:
        return ip_json(self.ns[node], "-6", "route", "show", "table", str(table))

    def rules(self, node: str) -> list[dict]:
        return ip_json(self.ns[node], "-6", "rule", "show")

    def tunnels(self, node: str) -> list[str]:
        links = ip_json(self.ns[node], "link", "show")
        return [link["ifname"] for link in links if link["ifname"].startswith("pmip")]

    def served(self, mag: str) -> list[str]:
        """MACs the MAG's access link sends RAs to."""
        return [s["mac"] for s in self.call(mag, "status")["access_link"]["served"]]

    def prefix_state(self, node: str, prefix) -> dict[str, list]:
        """Every route and rule of ``node`` that names ``prefix`` (main table, data plane table, rules)."""
        prefix = str(prefix)
        return {
            "main": [r for r in self.routes(node) if r.get("dst") == prefix],
            "table": [r for r in self.routes(node, TABLE) if prefix in (r.get("dst"), r.get("from"))],
            "rules": [r for r in self.rules(node) if r.get("src") == prefix.split("/")[0]],
        }

    def addresses(self, mn: str, ifname: str = "eth0") -> list[dict]:
        """The MN's global addresses (``local``, ``tentative``, ...) on ``ifname``."""
        data = ip_json(self.ns[self._home(mn)], "-6", "addr", "show", "dev", ifname, "scope", "global")
        return [a for a in data[0]["addr_info"] if "local" in a] if data else []

    def address(self, mn: str) -> ipaddress.IPv6Address | None:
        """The usable (not tentative) address the MN configured from its HNP by SLAAC."""
        prefix = self.hnp(mn)
        ifname = mn if mn in self.crowd else "eth0"
        for a in self.addresses(mn, ifname):
            address = ipaddress.IPv6Address(a["local"])
            if not a.get("tentative") and prefix is not None and address in prefix:
                return address
        return None

    def wait_address(self, mn: str, timeout: float = 10) -> ipaddress.IPv6Address:
        return wait_for(lambda: self.address(mn), timeout, what=f"{mn}'s SLAAC address")

    def _home(self, mn: str) -> str:
        return "crowd" if mn in self.crowd else mn

    # -- mobile nodes -----------------------------------------------------------------------------

    def associate(self, mn: str, ap: str, signal: str = "controller") -> float:
        """Move ``mn`` to ``ap``; returns the moment of association (time.monotonic()).

        ``signal="controller"``: the harness tells the MAGs as an AP controller would, the old
        MAG on the disassociation (detach) and the new one on the association (attach, Handoff
        Indicator 3 when the MN comes from another MAG).
        ``"rs"``: nobody tells them; the MN solicits (``solicit()``), the new MAG learns of it
        from that Router Solicitation, the old one by NUD polling.
        """
        if signal not in ("controller", "rs"):
            raise ValueError(f"signal must be 'controller' or 'rs', not {signal!r}")
        old = self.ap_of[mn]
        port = self._port_index(mn)
        self._air.link("set", index=port, state="down")  # leaves the old AP: carrier lost
        if signal == "controller" and old is not None:
            # disassociation reported (and answered) first: were the old MAG's de-registration
            # and the new MAG's PBU in flight together, the LMA could see them out of timestamp
            # order and refuse the new one (157); see the report on issue 3
            self.detach(mn, MAG_OF_AP[old])
        self._air.link("set", index=port, master=self._air.link_lookup(ifname=ap)[0])
        self._air.link("set", index=port, state="up")
        associated = time.monotonic()
        self.ap_of[mn] = ap
        if signal == "controller":
            self.attach(mn, MAG_OF_AP[ap], handoff=3 if old is not None else None)
        else:
            self.solicit(mn)
        return associated

    def solicit(self, mn: str) -> None:
        """The MN sends a Router Solicitation (from its link-local address, with its MAC).

        A Linux host does not do that by itself on a carrier flap: its interface stays
        configured and it only repeats its MLD reports. Hosts that detect network attachment
        (RFC 6059; most phones) or run ``rdisc6`` solicit at once after a re-association; this
        plays that part."""
        ns, mac = self.ns[mn], mac_of(mn)
        index = call_in(ns, socket.if_nametoindex, "eth0")
        lla = str(ipaddress.IPv6Address(eui64_link_local(mac)))
        with socket_in(ns, socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
            sock.bind((lla, 0, 0, index))
            sock.sendto(build_rs(mac), ("ff02::2", 0, 0, index))

    def leave(self, mn: str) -> None:
        """The MN goes out of range of every AP, without any signal to the MAGs."""
        port = self._port_index(mn)
        self._air.link("set", index=port, state="down")
        self._air.link("set", index=port, master=0)
        self.ap_of[mn] = None

    def _port_index(self, mn: str) -> int:
        return self._air.link_lookup(ifname=f"s-{mn}")[0]

    def attach(self, mn: str, mag: str, handoff: int | None = None):
        return self.call(mag, "attach", mac=mac_of(mn), interface=ACCESS_IF, handoff=handoff)

    def detach(self, mn: str, mag: str):
        return self.call(mag, "detach", mac=mac_of(mn))


class Pinger:
    """ICMPv6 echo requests every ``interval`` s from namespace ``ns`` to ``destination``.

    Records per sequence number when the request left and when its reply came back (monotonic
    time). Bounded in count and duration; stop() waits ``grace`` s for late replies.
    """

    def __init__(
        self, ns: str, destination, interval: float = 0.02, count: int = 5000, duration: float = 60.0
    ) -> None:
        self.destination = str(destination)
        self.interval, self.count, self.duration = interval, min(count, 65536), duration
        self.ident = secrets.randbelow(0xFFFF)
        self.sent: dict[int, float] = {}
        self.replies: dict[int, float] = {}
        self.sock = icmp_socket(ns, [ICMPV6_ECHO_REPLY])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pinger", daemon=True)

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self, grace: float = 0.3) -> Pinger:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(grace + 5)
            self._drain_until(time.monotonic() + grace)
        self.sock.close()
        return self

    def _run(self) -> None:
        start = next_send = time.monotonic()
        seq = 0
        while not self._stop.is_set() and seq < self.count and time.monotonic() - start < self.duration:
            now = time.monotonic()
            if now >= next_send:
                self._send(seq)
                seq += 1
                next_send += self.interval
            self._drain_until(min(next_send, now + 0.05))

    def _send(self, seq: int) -> None:
        self.sent[seq] = time.monotonic()
        with contextlib.suppress(OSError):  # no route yet (EHOSTUNREACH...): a lost request
            self.sock.sendto(echo_request(self.ident, seq), (self.destination, 0))

    def _drain_until(self, deadline: float) -> None:
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([self.sock], [], [], left)[0]:
                return
            data, source = self.sock.recvfrom(2048)
            if len(data) >= 8 and source[0] == self.destination:
                kind, _, _, ident, seq = struct.unpack("!BBHHH", data[:8])
                if kind == ICMPV6_ECHO_REPLY and ident == self.ident:
                    self.replies.setdefault(seq, time.monotonic())

    # -- results (after stop) ---------------------------------------------------------------------

    def lost(self) -> list[int]:
        return [seq for seq in self.sent if seq not in self.replies]

    def first_reply_after(self, moment: float) -> float | None:
        """Delay from ``moment`` to the first reply to a request sent after it.

        Requests sent after the association can only have reached the MN through the new MAG
        (its link is gone from the old AP), so this is the first reply through the new MAG."""
        times = [self.replies[s] for s, t in self.sent.items() if t >= moment and s in self.replies]
        return min(times) - moment if times else None

    def wait_reply_after(self, moment: float, timeout: float) -> float | None:
        """Wait (bounded) until a request sent after ``moment`` is answered; the delay or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delay = self.first_reply_after(moment)
            if delay is not None:
                return delay
            time.sleep(0.005)
        return None


class RaRecorder:
    """Every Router Advertisement the host stack of namespace ``ns`` receives (a raw ICMPv6 socket).

    No promiscuous mode: what it records is what the MN's own stack gets, not what the bridge
    floods past it."""

    def __init__(self, ns: str) -> None:
        self.sock = icmp_socket(ns, [ICMPV6_RA])
        self.sock.setblocking(False)
        self.ras: list[dict] = []

    def collect(self) -> list[dict]:
        """Everything received so far: source, router lifetime and the PIO prefixes of each RA."""
        with contextlib.suppress(BlockingIOError):
            for _ in range(10000):
                data, source = self.sock.recvfrom(2048)
                ra = parse_ra(data)
                prefixes = [str(ipaddress.IPv6Network((p[0], p[1]))) for p in ra.prefixes]
                self.ras.append({"source": source[0], "lifetime": ra.router_lifetime, "prefixes": prefixes})
        return self.ras

    def close(self) -> None:
        self.sock.close()


class EchoListener:
    """Echo Requests arriving in namespace ``ns`` (source, identifier), e.g. at the correspondent."""

    def __init__(self, ns: str) -> None:
        self.sock = icmp_socket(ns, [ICMPV6_ECHO_REQUEST])
        self.sock.setblocking(False)
        self.seen: list[tuple[str, int]] = []

    def received(self, ident: int) -> list[str]:
        """Sources of the requests with ``ident`` that arrived so far."""
        with contextlib.suppress(BlockingIOError):
            for _ in range(10000):
                data, source = self.sock.recvfrom(2048)
                if len(data) >= 8:
                    self.seen.append((source[0], struct.unpack("!H", data[4:6])[0]))
        return [source for source, i in self.seen if i == ident]

    def close(self) -> None:
        self.sock.close()


def measure_handover(
    domain: Domain, mn: str, ap: str, signal: str, interval: float = 0.02, settle: float = 0.3, timeout=5.0
) -> dict:
    """cn pings ``mn`` every ``interval`` s while it moves to ``ap``.

    Returns the latency (association -> first reply through the new MAG, None if none within
    ``timeout`` s), the lost replies and the requests sent; ``settle`` s of steady ping before
    the move and after the first reply."""
    address = domain.address(mn)
    with Pinger(domain.ns["cn"], address, interval=interval, duration=timeout + 10 * settle + 5) as pinger:
        time.sleep(settle)
        associated = domain.associate(mn, ap, signal)
        latency = pinger.wait_reply_after(associated, timeout)
        time.sleep(settle)
    return {"latency": latency, "lost": len(pinger.lost()), "sent": len(pinger.sent), "address": address}

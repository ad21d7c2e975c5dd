"""Access link (MAG) against unmodified Linux mobile nodes in network namespaces.

The ``AccessLink`` runs on an asyncio loop in a thread that entered the MAG namespace (setns), so
its raw sockets and netlink sockets live there, exactly as in the agent; callbacks are recorded
with a monotonic timestamp.  Mobile nodes are plain namespaces with default sysctls (accept_ra=1,
forwarding=0): whatever address and default route they get, their own kernel configured from
the RAs.  Every wait is bounded; namespaces, veths, bridges and tcpdumps are removed afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import json
import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from nettools import Lab, enter_netns, is_root, run, socket_in, wait_for

from pmipv6.config import DetachPoll
from pmipv6.mag.accesslink import AccessLink
from pmipv6.mag.ndp import FIXED_LINK_LOCAL, FIXED_MAC, build_rs, eui64_link_local, parse_ra
from pmipv6.mag.ra import RaConfig, ServedMN

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces and raw sockets")

P1 = ipaddress.IPv6Network("2001:db8:100:1::/64")
P2 = ipaddress.IPv6Network("2001:db8:100:2::/64")


class NsLoop:
    """An asyncio loop on a thread that lives in network namespace ``ns``."""

    def __init__(self, ns: str) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        ready = threading.Event()

        def main() -> None:
            try:
                enter_netns(ns)
                self.loop = asyncio.new_event_loop()
            except BaseException as exc:
                self.error = exc
                ready.set()
                return
            ready.set()
            try:
                self.loop.run_forever()
            finally:
                self.loop.close()

        self.thread = threading.Thread(target=main, name=f"nsloop-{ns}", daemon=True)
        self.thread.start()
        if not ready.wait(5) or self.error is not None:
            raise RuntimeError(f"could not start a loop in {ns}: {self.error}")

    def call(self, fn, *args, timeout: float = 10.0):
        """Run ``fn(*args)`` on the loop thread and return its result."""
        future: concurrent.futures.Future = concurrent.futures.Future()

        def go() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(go)
        return future.result(timeout)

    def close(self) -> None:
        if self.loop is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.lock = threading.Lock()

    def add(self, *event) -> None:
        with self.lock:
            self.events.append((time.monotonic(), *event))

    def find(self, kind: str, *args) -> list[tuple]:
        with self.lock:
            return [e for e in self.events if e[1] == kind and e[2 : 2 + len(args)] == args]


class Env:
    """A lab plus the access links started in it; ``close`` undoes all of it."""

    def __init__(self, tmp_path: Path) -> None:
        self.lab = Lab()
        self.tmp = tmp_path
        self.loops: list[tuple[NsLoop, AccessLink]] = []
        self.rec = Recorder()
        self.served: dict[bytes, ServedMN] = {}

    def access_link(self, ns: str, interfaces: list[str], accept=None, **kwargs) -> tuple[NsLoop, AccessLink]:
        rec = self.rec

        def on_attach(mac: str, interface: str) -> bool:
            rec.add("attach", mac, interface)
            return accept is None or mac in accept

        loop = NsLoop(ns)

        def start() -> AccessLink:
            al = AccessLink(
                interfaces,
                on_attach=on_attach,
                on_solicit=lambda mac, i, src: rec.add("solicit", mac, i, src),
                on_detach=lambda mac, i: rec.add("detach", mac, i),
                on_link_down=lambda i: rec.add("link_down", i),
                lookup=self.served.get,
                **kwargs,
            )
            al.start()
            return al

        try:
            al = loop.call(start)
        except BaseException:
            loop.close()
            raise
        self.loops.append((loop, al))
        return loop, al

    def serve(self, loop: NsLoop, al: AccessLink, mac: str, interface: str, prefix, lifetime: float = 3600):
        raw = bytes.fromhex(mac.replace(":", ""))
        self.served[raw] = ServedMN(
            raw, interface, ((prefix.network_address.packed, 64),), time.time() + lifetime
        )
        assert loop.call(al.serve, mac)

    def close(self) -> None:
        for loop, al in self.loops:
            try:
                loop.call(al.stop)
            finally:
                loop.close()
        self.lab.close()


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    try:
        yield e
    finally:
        e.close()


def sh(*cmd: str) -> str:
    return run(*cmd).stdout


def link_info(ns: str, ifname: str) -> dict:
    return json.loads(sh("ip", "-n", ns, "-j", "link", "show", "dev", ifname))[0]


def addresses(ns: str, ifname: str) -> list[dict]:
    data = json.loads(sh("ip", "-n", ns, "-j", "-6", "addr", "show", "dev", ifname))
    return data[0]["addr_info"] if data else []


def global_addresses(ns: str, ifname: str) -> list[ipaddress.IPv6Address]:
    return [ipaddress.IPv6Address(a["local"]) for a in addresses(ns, ifname) if a.get("scope") == "global"]


def link_local(ns: str, ifname: str) -> str | None:
    for a in addresses(ns, ifname):
        if a.get("scope") == "link" and not a.get("tentative"):
            return a["local"]
    return None


def default_routes(ns: str) -> list[dict]:
    return json.loads(sh("ip", "-n", ns, "-j", "-6", "route", "show", "default"))


def mn_link(lab: Lab, mag: str, mag_if: str, mn: str) -> str:
    """veth mag_if (MAG side) -- eth0 (MN side), MN side left down; returns the MN's MAC."""
    lab.link(mag, mag_if, mn, "eth0")
    sh("ip", "-n", mn, "link", "set", "eth0", "down")
    return link_info(mn, "eth0")["address"]


def up(ns: str, ifname: str) -> None:
    sh("ip", "-n", ns, "link", "set", ifname, "up")


def test_slaac_from_unicast_ras_and_final_ra(env):
    lab = env.lab
    mag, mn = lab.ns("mag"), lab.ns("mn")
    mn_mac = mn_link(lab, mag, "acc0", mn)
    loop, al = env.access_link(mag, ["acc0"])
    # the access interface now looks like the domain's one router (RFC 6543)
    assert link_info(mag, "acc0")["address"] == FIXED_MAC
    lla = [(a["local"], bool(a.get("tentative"))) for a in addresses(mag, "acc0") if a["scope"] == "link"]
    assert lla == [(FIXED_LINK_LOCAL, False)]
    up(mn, "eth0")
    wait_for(lambda: env.rec.find("attach", mn_mac, "acc0"), 8, what="the MN's Router Solicitation")
    assert global_addresses(mn, "eth0") == [] and default_routes(mn) == [], "no RA before the binding"

    env.serve(loop, al, mn_mac, "acc0", P1)
    want = ipaddress.IPv6Address(P1.network_address.packed[:8] + eui64_link_local(mn_mac)[8:])
    wait_for(lambda: want in global_addresses(mn, "eth0"), 5, what=f"SLAAC address {want}")
    routes = wait_for(lambda: default_routes(mn), 5, what="a default route from the RA")
    assert [(r["gateway"], r["dev"], r["protocol"]) for r in routes] == [(FIXED_LINK_LOCAL, "eth0", "ra")]
    assert all(a in P1 for a in global_addresses(mn, "eth0"))

    assert loop.call(al.unserve, mn_mac)
    wait_for(lambda: default_routes(mn) == [], 5, what="the final RA to remove the default route")
    assert al.stats[("ra_sent", "final")] == 1

    # an administrative down flushes the interface's addresses: link-down is reported, and on
    # link up the access link puts the fixed link-local address back (no DAD, no other LLA)
    sh("ip", "-n", mag, "link", "set", "acc0", "down")
    wait_for(lambda: env.rec.find("link_down", "acc0"), 3, what="on_link_down")
    sh("ip", "-n", mag, "link", "set", "acc0", "up")

    def fixed_lla_back():
        return [
            (a["local"], bool(a.get("tentative"))) for a in addresses(mag, "acc0") if a["scope"] == "link"
        ]

    wait_for(lambda: fixed_lla_back() == [(FIXED_LINK_LOCAL, False)], 3, what="the fixed LLA after link up")


def test_rs_detection_attach_then_solicit(env):
    lab = env.lab
    mag, mn = lab.ns("mag"), lab.ns("mn")
    mn_mac = mn_link(lab, mag, "acc0", mn)
    stranger = "02:00:00:00:99:99"
    _, al = env.access_link(mag, ["acc0"], accept={mn_mac})
    up(mn, "eth0")
    wait_for(lambda: env.rec.find("attach", mn_mac, "acc0"), 8, what="on_attach from the kernel's RS")
    mn_lla = wait_for(lambda: link_local(mn, "eth0"), 3, what="the MN's link-local address")
    assert al.attached()[0]["link_local"] == mn_lla and al.attached()[0]["detected_by"] == "rs"

    index = link_info(mn, "eth0")["ifindex"]
    sock = socket_in(mn, socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.bind((mn_lla, 0, 0, index))
        sock.sendto(build_rs(mn_mac), ("ff02::2", 0, 0, index))  # a second RS from the same MN
        wait_for(lambda: env.rec.find("solicit", mn_mac, "acc0"), 3, what="on_solicit")
        solicit = env.rec.find("solicit", mn_mac, "acc0")[0]
        assert solicit[4] == ipaddress.IPv6Address(mn_lla).packed
        assert len(env.rec.find("attach", mn_mac)) == 1, "an attached MN's RS is no new attach"
        assert al.stats[("rs_unanswered", "unserved")] >= 1, "not served yet: no RA"

        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 64)
        sock.sendto(build_rs(mn_mac), ("ff02::2", 0, 0, index))
        wait_for(lambda: al.stats[("nd_invalid", "rs")] == 1, 3, what="the hop-limit-64 RS to be dropped")

        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        for _ in range(3):
            sock.sendto(build_rs(stranger), ("ff02::2", 0, 0, index))
        wait_for(lambda: al.stats[("attach_refused",)] == 1, 3, what="the stranger to be refused")
        wait_for(lambda: al.stats[("attach_ignored", "refused_recently")] == 2, 3, what="the holdoff")
        assert len(env.rec.find("attach", stranger)) == 1
    finally:
        sock.close()
    assert [a["mac"] for a in al.attached()] == [mn_mac]
    assert len(env.rec.find("solicit")) == 1


def read_pcap_ras(path: Path) -> list[dict]:
    """RAs in an Ethernet pcap, decoded by hand: L2/L3 addresses, hop limit, PIO prefixes."""
    data = path.read_bytes() if path.exists() else b""
    if len(data) < 24:
        return []
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D) and linktype == 1
    out, i = [], 24
    while i + 16 <= len(data):
        incl = struct.unpack("<IIII", data[i : i + 16])[2]
        frame = data[i + 16 : i + 16 + incl]
        if len(frame) < incl:  # tcpdump is still writing this one
            break
        i += 16 + incl
        if len(frame) < 54 + 16 or frame[12:14] != b"\x86\xdd" or frame[20] != 58 or frame[54] != 134:
            continue
        ra = parse_ra(frame[54:])
        out.append(
            {
                "eth_dst": ":".join(f"{b:02x}" for b in frame[0:6]),
                "eth_src": ":".join(f"{b:02x}" for b in frame[6:12]),
                "hop_limit": frame[21],
                "src": str(ipaddress.IPv6Address(frame[22:38])),
                "dst": str(ipaddress.IPv6Address(frame[38:54])),
                "prefixes": [str(ipaddress.IPv6Network((p[0], p[1]))) for p in ra.prefixes],
                "router_lifetime": ra.router_lifetime,
            }
        )
    return out


def bridge_with_mns(lab: Lab, mag: str, n: int) -> list[tuple[str, str]]:
    """Bridge acc0 in the MAG namespace (an AP), one veth port per MN; MN sides down."""
    sh("ip", "-n", mag, "link", "add", "acc0", "type", "bridge")
    up(mag, "acc0")
    sh(
        "ip", "netns", "exec", mag, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"
    )  # a router, as in production
    mns = []
    for k in range(1, n + 1):
        mn = lab.ns(f"mn{k}")
        mac = mn_link(lab, mag, f"p{k}", mn)
        sh("ip", "-n", mag, "link", "set", f"p{k}", "master", "acc0")
        mns.append((mn, mac))
    return mns


def test_two_mns_on_one_bridge_each_get_only_their_prefix(env):
    lab = env.lab
    mag = lab.ns("mag")
    (mn1, mac1), (mn2, mac2) = bridge_with_mns(lab, mag, 2)
    loop, al = env.access_link(mag, ["acc0"], ra=RaConfig(initial_count=3, initial_interval=0.5))
    captures = {}
    for mn in (mn1, mn2):
        up(mn, "eth0")  # tcpdump refuses an interface that is down
        pcap, log = env.tmp / f"{mn}.pcap", env.tmp / f"{mn}.log"
        proc = lab.spawn(
            mn, ["tcpdump", "-p", "-n", "-U", "--immediate-mode", "-i", "eth0", "-w", str(pcap), "icmp6"], log
        )
        captures[mn] = (proc, pcap, log)
    for mn, (_, _, log) in captures.items():
        wait_for(lambda log=log: "listening on" in log.read_text(), 5, what=f"tcpdump in {mn}")
    for mac in (mac1, mac2):
        wait_for(lambda mac=mac: env.rec.find("attach", mac, "acc0"), 8, what=f"RS from {mac}")
    env.serve(loop, al, mac1, "acc0", P1)
    env.serve(loop, al, mac2, "acc0", P2)
    wait_for(lambda: any(a in P1 for a in global_addresses(mn1, "eth0")), 5, what="mn1's address")
    wait_for(lambda: any(a in P2 for a in global_addresses(mn2, "eth0")), 5, what="mn2's address")
    wait_for(lambda: al.stats[("ra_sent", "initial")] >= 6, 5, what="all initial RAs")
    for mn, (_, pcap, _) in captures.items():
        wait_for(
            lambda pcap=pcap: len(read_pcap_ras(pcap)) >= 3, 3, what=f"the initial RAs in {mn}'s capture"
        )
    time.sleep(0.2)  # anything else that was on its way
    for proc, _, _ in captures.values():
        lab.stop(proc)

    assert all(a in P1 for a in global_addresses(mn1, "eth0"))
    assert all(a in P2 for a in global_addresses(mn2, "eth0"))
    for mn, mac, lla_mac, prefix in ((mn1, mac1, mac1, P1), (mn2, mac2, mac2, P2)):
        ras = read_pcap_ras(captures[mn][1])
        assert len(ras) >= 3, f"{mn} captured {ras}"
        for ra in ras:
            assert ra["prefixes"] == [str(prefix)], f"{mn} saw a foreign prefix: {ra}"
            assert ra["eth_dst"] == mac and ra["eth_src"] == FIXED_MAC
            assert ra["dst"] == str(ipaddress.IPv6Address(eui64_link_local(lla_mac)))
            assert ra["src"] == FIXED_LINK_LOCAL and ra["hop_limit"] == 255
            assert ra["router_lifetime"] > 0


def test_detach_by_nud_polling_and_link_down(env):
    lab = env.lab
    mag = lab.ns("mag")
    (mn1, mac1), (mn2, mac2) = bridge_with_mns(lab, mag, 2)
    poll = DetachPoll(interval=0.3, timeout=0.2, retries=1)
    _, al = env.access_link(mag, ["acc0"], detach_poll=poll)
    for mn in (mn1, mn2):
        up(mn, "eth0")
    for mac in (mac1, mac2):
        wait_for(lambda mac=mac: env.rec.find("attach", mac, "acc0"), 8, what=f"RS from {mac}")
    wait_for(lambda: al.stats[("probe_answered",)] >= 4, 3, what="answered NUD probes")
    assert env.rec.find("detach") == []

    gone = time.monotonic()
    sh("ip", "-n", mag, "link", "del", "p1")  # mn1 leaves the AP; the bridge keeps its carrier (p2)
    wait_for(lambda: env.rec.find("detach", mac1, "acc0"), 3, what="on_detach of mn1")
    delay = env.rec.find("detach", mac1, "acc0")[0][0] - gone
    assert poll.retries * poll.timeout - 0.05 <= delay <= poll.interval + poll.retries * poll.timeout + 0.6, (
        delay
    )
    assert al.stats[("detach_detected", "poll")] == 1
    time.sleep(1.0)
    assert env.rec.find("detach", mac2) == [], "mn2 still answers"
    assert env.rec.find("link_down") == []
    assert [a["mac"] for a in al.attached()] == [mac2]

    sh("ip", "-n", mag, "link", "del", "p2")  # the last port: the bridge loses its carrier
    wait_for(lambda: env.rec.find("link_down", "acc0"), 3, what="on_link_down")
    assert al.attached() == []
    assert env.rec.find("detach", mac2) == [], "link-down reports the interface, not each MN"

"""Issue 3 acceptance: a whole PMIPv6 domain in network namespaces, userspace data plane.

cn, LMA, two MAGs with an access point bridge each, and unmodified Linux mobile nodes (see
domain.py); the agents are real processes started from their config files. The tests share
one domain and run in file order; each one first puts the MNs where it needs them.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import time

import pytest
from domain import (
    CN_ADDR,
    CONTROLLER_ONLY,
    LMA_ADDR,
    MAG_ADDRS,
    POOL,
    RS_ONLY,
    TABLE,
    Domain,
    EchoListener,
    Pinger,
    RaRecorder,
    ipv6_echo_packet,
    mac_of,
    measure_handover,
)
from nettools import is_root, run, socket_in, wait_for

from pmipv6.mag.ndp import eui64_link_local

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces and raw sockets")

N_BOUND = 50  # for the LMA restart: mn1, mn2 and 48 of the crowd
N_CROWD = N_BOUND - 2 + 2  # two more attach after the restart


@pytest.fixture(scope="module")
def domain(tmp_path_factory):
    d = Domain(tmp_path_factory.mktemp("domain"), crowd=N_CROWD)
    try:
        d.start()
        yield d
    finally:
        d.close()
        for node in ("lma", *MAG_ADDRS):
            log = d.log(node)
            if log.exists():
                print(f"--- {node}.log (tail) ---\n" + "\n".join(log.read_text().splitlines()[-25:]))


def place(d: Domain, mn: str, ap: str) -> ipaddress.IPv6Address:
    """Put ``mn`` at ``ap`` (controller-signalled) unless it is there; its address once usable."""
    if d.ap_of[mn] != ap:
        d.associate(mn, ap)
    mag = MAG_ADDRS[{"ap1": "mag1", "ap2": "mag2"}[ap]]
    wait_for(lambda: (b := d.binding("lma", mn)) and b["mag"] == mag and b["state"] == "active", 5, what=mn)
    return d.wait_address(mn)


def ping(ns: str, destination, count: int = 25) -> Pinger:
    with Pinger(ns, destination, interval=0.02, count=count) as pinger:
        wait_for(lambda: len(pinger.sent) >= count, count * 0.02 + 5, what="pings sent")
    return pinger


def gone_from(d: Domain, mag: str, mn: str, prefix) -> bool:
    """No route, rule, binding or RA state for ``mn`` left on ``mag``."""
    state = d.prefix_state(mag, prefix)
    return (
        not any(state.values())
        and d.binding(mag, mn) is None
        and mac_of(mn) not in d.served(mag)
        and mac_of(mn) not in [a["mac"] for a in d.call(mag, "status")["access_link"]["attached"]]
    )


def test_attach_slaac_and_ping_both_ways(domain):
    d = domain
    address = place(d, "mn1", "ap1")
    binding = d.binding("lma", "mn1")
    prefix = ipaddress.IPv6Network(binding["hnp"][0])
    assert prefix.subnet_of(ipaddress.IPv6Network(POOL)) and prefix.prefixlen == 64
    # the MN's own kernel made it (SLAAC: modified EUI-64 interface identifier, "dynamic")
    assert address.packed == prefix.network_address.packed[:8] + eui64_link_local(mac_of("mn1"))[8:]
    info = next(a for a in d.addresses("mn1") if a["local"] == str(address))
    assert info.get("dynamic") and info.get("mngtmpaddr")
    assert [r["gateway"] for r in d.routes("mn1") if r["dst"] == "default"] == ["fe80::200:5eff:fe00:5213"]

    down, up = ping(d.ns["cn"], address), ping(d.ns["mn1"], CN_ADDR)
    print(f"\nattach: {address} in {prefix}; lost cn->mn1 {down.lost()}, mn1->cn {up.lost()} of 25")
    assert down.lost() == [] and up.lost() == []


def test_handover_keeps_address_and_moves_the_binding(domain):
    """Controller-signalled (HI=3) to mag2, then back to mag1 detected from the MN's RS only.

    mn2 stays at mag2 all along, so mag2 already has its tunnel, as in any domain where the new
    MAG serves other MNs (bench/handover.py measures the lone-MN case too)."""
    d = domain
    before = place(d, "mn1", "ap1")
    place(d, "mn2", "ap2")
    prefix = d.hnp("mn1")

    run = measure_handover(d, "mn1", "ap2", "controller")
    print(f"\ncontroller-signalled handover: latency {run['latency']}, lost {run['lost']} of {run['sent']}")
    assert run["latency"] is not None and run["lost"] <= 5
    assert d.address("mn1") == before
    assert d.binding("lma", "mn1")["mag"] == MAG_ADDRS["mag2"]
    wait_for(lambda: gone_from(d, "mag1", "mn1", prefix), 3, what="mag1 cleaned up after the de-registration")

    d.set_detection(RS_ONLY)
    try:
        run = measure_handover(d, "mn1", "ap1", "rs", timeout=8)
        print(f"RS-detected handover: latency {run['latency']}, lost {run['lost']} of {run['sent']}")
        assert run["latency"] is not None
        assert d.address("mn1") == before
        assert d.binding("lma", "mn1")["mag"] == MAG_ADDRS["mag1"]
        # nobody told mag2: NUD polling finds mn1 gone, mag2 de-registers and cleans up
        wait_for(lambda: gone_from(d, "mag2", "mn1", prefix), 5, what="mag2 cleaned up after NUD detach")
        assert d.binding("lma", "mn1")["mag"] == MAG_ADDRS["mag1"], "the late de-registration moved nothing"
        assert d.metrics("mag1").get('pmipv6_attach_detected_total{via="rs"}', 0) >= 1
    finally:
        d.set_detection(CONTROLLER_ONLY)


def test_two_mns_on_one_mag_get_only_their_own_prefix(domain):
    """Both MNs at mag1: what each one's stack receives (no promiscuous capture) are RAs with
    its own HNP only, although the AP bridge and the MAG's access interface are shared."""
    d = domain
    place(d, "mn1", "ap1")
    recorders = {mn: RaRecorder(d.ns[mn]) for mn in ("mn1", "mn2")}
    try:
        place(d, "mn2", "ap1")  # its initial RAs come now
        d.solicit("mn1")  # and mn1 asks for one
        for mn, recorder in recorders.items():
            wait_for(lambda r=recorder: [ra for ra in r.collect() if ra["prefixes"]], 5, what=f"RA at {mn}")
        time.sleep(1.2)  # the next initial RA to mn2 as well
        for mn, recorder in recorders.items():
            own = str(d.hnp(mn))
            ras = recorder.collect()
            print(f"\n{mn} ({own}) received: {[ra['prefixes'] for ra in ras]}")
            advertising = [ra for ra in ras if ra["lifetime"]]  # not a final RA (no prefixes)
            assert advertising and all(ra["prefixes"] == [own] for ra in advertising)
            assert all(ra["source"].startswith("fe80::200:5eff:fe00:5213") for ra in ras)
    finally:
        for recorder in recorders.values():
            recorder.close()
    assert d.hnp("mn1") != d.hnp("mn2")


def test_spoofed_source_is_not_forwarded_by_the_lma(domain):
    """mn1 at mag1, mn2 at mag2. A packet with a source in mn1's HNP is sent towards cn:

    * by mn2 itself (an address of mn1's prefix added to its interface): mag2 has no rule for
      that source, so it never enters a tunnel;
    * injected straight into the mag2 -> LMA tunnel (a protocol-41 packet from mag2's address,
      what mag2's relay would send if mag2 forwarded it): the LMA's reverse-path check drops
      it (``rpf_drop`` grows) because that HNP is bound to mag1, not mag2. The same injection
      with mn2's own address as source reaches cn, so the drop is the check, not the path.

    Two MNs on the same MAG are not told apart by the LMA (both come out of the same tunnel):
    the MAG's source guard handles that (next test)."""
    d = domain
    place(d, "mn1", "ap1")
    own = place(d, "mn2", "ap2")
    spoofed = d.hnp("mn1").network_address + 0x5F00F
    listener = EchoListener(d.ns["cn"])
    try:
        # 1. from mn2's own stack
        d.lab.addr(d.ns["mn2"], "eth0", f"{spoofed}/128")
        with socket_in(d.ns["mn2"], socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
            sock.bind((str(spoofed), 0))
            for seq in range(3):
                sock.sendto(ipv6_echo_packet(spoofed, CN_ADDR, 0x5A01, seq)[40:], (CN_ADDR, 0))
        # 2. injected into the tunnel, spoofed and (control) genuine
        drops = d.metrics("lma").get("pmipv6_rpf_drop_total", 0)
        with socket_in(d.ns["mag2"], socket.AF_INET6, socket.SOCK_RAW, 41) as tunnel:
            tunnel.bind((MAG_ADDRS["mag2"], 0))
            for seq in range(3):
                tunnel.sendto(ipv6_echo_packet(spoofed, CN_ADDR, 0x5A02, seq), (LMA_ADDR, 0))
                tunnel.sendto(ipv6_echo_packet(own, CN_ADDR, 0x5A03, seq), (LMA_ADDR, 0))
        wait_for(lambda: len(listener.received(0x5A03)) == 3 or None, 3, what="the genuine injected packets")
        time.sleep(0.2)
        assert listener.received(0x5A01) == [] and listener.received(0x5A02) == []
        wait_for(lambda: d.metrics("lma").get("pmipv6_rpf_drop_total", 0) >= drops + 3, 3, what="rpf_drop +3")
    finally:
        listener.close()
        run("ip", "-n", d.ns["mn2"], "-6", "addr", "del", f"{spoofed}/128", "dev", "eth0", check=False)


def test_on_one_mag_an_mn_cannot_send_from_anothers_prefix(domain):
    """mn1 and mn2 both at mag1: the LMA cannot tell them apart (same tunnel), so the MAG checks
    (source MAC, source prefix) as packets arrive (nftables, ``dataplane/srcguard.py``). mn2's
    packets from mn1's prefix never reach the LMA, let alone cn; its own still do."""
    d = domain
    place(d, "mn1", "ap1")
    own = place(d, "mn2", "ap1")
    spoofed = d.hnp("mn1").network_address + 0x5F00F
    listener = EchoListener(d.ns["cn"])
    tunnelled = d.metrics("lma").get("pmipv6_tunnel_rx_total", 0)
    try:
        d.lab.addr(d.ns["mn2"], "eth0", f"{spoofed}/128")
        with socket_in(d.ns["mn2"], socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
            sock.bind((str(spoofed), 0))
            for seq in range(3):
                sock.sendto(ipv6_echo_packet(spoofed, CN_ADDR, 0x5A04, seq)[40:], (CN_ADDR, 0))
        with socket_in(d.ns["mn2"], socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
            sock.bind((str(own), 0))
            for seq in range(3):
                sock.sendto(ipv6_echo_packet(own, CN_ADDR, 0x5A05, seq)[40:], (CN_ADDR, 0))
        wait_for(lambda: len(listener.received(0x5A05)) == 3 or None, 3, what="mn2's genuine packets")
        time.sleep(0.2)
        assert listener.received(0x5A04) == []
        guard = run(
            "ip", "netns", "exec", d.ns["mag1"], "nft", "list", "chain", "ip6", f"pmipv6_{TABLE}", "guard"
        )
        dropped = int(guard.stdout.split("counter packets ")[1].split()[0])
        print(f"\nmag1 source guard dropped {dropped} packet(s); LMA tunnel rx grew by "
              f"{d.metrics('lma').get('pmipv6_tunnel_rx_total', 0) - tunnelled:g}")  # fmt: skip
        assert dropped >= 3
    finally:
        listener.close()
        run("ip", "-n", d.ns["mn2"], "-6", "addr", "del", f"{spoofed}/128", "dev", "eth0", check=False)


def test_detach_removes_binding_routes_and_last_tunnel(domain):
    """mn1, mag1's only MN, leaves without a word: NUD polling detaches it, the LMA keeps the
    de-registered entry MinDelayBeforeBCEDelete (1 s), then deletes it with its routes; the
    mag1 tunnel goes with it on both ends, mag2's (mn2) stays."""
    d = domain
    place(d, "mn1", "ap1")
    place(d, "mn2", "ap2")
    prefix = d.hnp("mn1")
    assert len(d.tunnels("lma")) == 2 and len(d.tunnels("mag1")) == 1
    d.leave("mn1")
    states, deadline = [], time.monotonic() + 8
    while time.monotonic() < deadline and (not states or states[-1][1] is not None):
        binding = d.binding("lma", "mn1")
        states.append((time.monotonic(), binding and binding["state"]))
        time.sleep(0.05)
    dereg = next(t for t, state in states if state != "active")
    deleted = states[-1][0]
    seen = sorted({state for _, state in states}, key=str)
    print(f"\ndetach: LMA states {seen}; deleted {deleted - dereg:.2f} s after the de-registration")
    assert states[-1][1] is None, "the binding was never deleted"
    assert any(state not in ("active", None) for _, state in states), "no de-registered state seen"
    assert 0.9 <= deleted - dereg <= 2.5
    assert not any(d.prefix_state("lma", prefix).values())
    assert gone_from(d, "mag1", "mn1", prefix)
    # an unused tunnel lingers (TUNNEL_LINGER, 1 s) before it goes, off the handover's critical path
    wait_for(lambda: d.tunnels("mag1") == [] and len(d.tunnels("lma")) == 1, 5, what="mag1 tunnel removal")
    assert len(d.tunnels("mag2")) == 1
    assert d.binding("lma", "mn2")["state"] == "active"


def test_lma_restart_with_50_bound_mns(domain):
    """50 MNs bound (mn1 and 48 light ones at mag1, mn2 at mag2, all with SLAAC addresses from
    real RAs). The LMA is killed (SIGKILL) while both MAG agents are frozen (SIGSTOP; their
    relays keep carrying packets): the new LMA restores bindings and routes from its state,
    and cn reaches mn1 again with no PBU at all. Afterwards new MNs get prefixes nobody holds."""
    d = domain
    crowd = d.crowd[: N_BOUND - 2]
    d.add_crowd()
    place(d, "mn1", "ap1")
    place(d, "mn2", "ap2")
    for mn in crowd:
        d.attach(mn, "mag1")
    wait_for(lambda: len(active(d)) == N_BOUND, 20, what=f"{N_BOUND} active bindings")
    wait_for(lambda: all(d.address(mn) for mn in crowd), 10, what="the crowd's SLAAC addresses")
    before = active(d)
    routes = lma_routes(d)
    assert set(routes) == {b["hnp"][0] for b in before.values()}
    assert lma_source_rules(d) == {hnp: [dev] for hnp, dev in routes.items()}, "one RPF rule per HNP"

    for mag in MAG_ADDRS:
        d.agents[mag].send_signal(signal.SIGSTOP)
    try:
        d.stop_agent("lma", signal.SIGKILL)
        d.start_agent("lma")
        assert active(d) == before
        wait_for(lambda: lma_routes(d) == routes, 5, what="the LMA's routes back")
        assert lma_source_rules(d) == {hnp: [dev] for hnp, dev in routes.items()}, "one RPF rule per HNP"
        pinger = ping(d.ns["cn"], d.address("mn1"))
        metrics = d.metrics("lma")
        print(f"\nafter the LMA restart: lost {len(pinger.lost())} of 25 pings to mn1")
        assert len(pinger.lost()) <= 1
        assert metrics.get("pmipv6_pbu_received_total", 0) == 0, "a MAG re-attached: it was frozen"
    finally:
        for mag in MAG_ADDRS:
            d.agents[mag].send_signal(signal.SIGCONT)

    wait_for(lambda: d.metrics("lma").get("pmipv6_pbu_received_total", 0) >= N_BOUND, 10, what="refreshes")
    assert active(d) == before and d.metrics("lma").get("pmipv6_bce_created_total", 0) == 0
    for mn in d.crowd[N_BOUND - 2 :]:
        d.attach(mn, "mag1")
    everything = wait_for(lambda: (a := active(d)) and len(a) == N_CROWD + 2 and a, 10, what="2 more")
    prefixes = [b["hnp"][0] for b in everything.values()]
    assert len(set(prefixes)) == len(prefixes), "a prefix was allocated twice"


def active(d: Domain) -> dict[str, dict]:
    """LMA bindings by MN id: HNPs and serving MAG of the active ones."""
    return {
        b["mn_id"]: {"hnp": b["hnp"], "mag": b["mag"]} for b in d.bindings("lma") if b["state"] == "active"
    }


def lma_routes(d: Domain) -> dict[str, str]:
    """HNP -> tunnel device, from the LMA's data plane table."""
    return {r["dst"]: r["dev"] for r in d.routes("lma", TABLE) if r.get("protocol") == "213"}


def lma_source_rules(d: Domain) -> dict[str, list[str]]:
    """HNP -> the tunnels its reverse-path rules (``from HNP iif tunnel``) name."""
    rules: dict[str, list[str]] = {}
    for r in d.rules("lma"):
        if r.get("protocol") == "213" and r.get("src", "all") != "all":
            rules.setdefault(f"{r['src']}/{r['srclen']}", []).append(r.get("iif"))
    return rules

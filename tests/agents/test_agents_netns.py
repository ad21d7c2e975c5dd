"""Two real agent processes in two network namespaces over a veth pair (signalling only).

A MAG registers 100 MNs via `pmipv6ctl attach`; the LMA's `pmipv6ctl bindings --json` shows them
with distinct prefixes from the pool; re-registration keeps them; detach de-registers and the LMA
removes them after MinDelayBeforeBCEDelete; a PBU from an unlisted address gets 154; restarting
the LMA is detected through the heartbeat Restart Counter and the MAG re-registers every MN.
"""

from __future__ import annotations

import ipaddress
import signal
import time

import pytest
import yaml
from nettools import Lab, MHPeer, ctl, is_root, wait_for, write_agent_config

from pmipv6 import wire

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces and raw sockets")

LMA_ADDR, MAG_ADDR, ROGUE_ADDR = "2001:db8:c::1", "2001:db8:c::2", "2001:db8:c::99"
POOL = "2001:db8:100::/48"
N_MN = 100


def mobile_nodes(n: int) -> list[dict]:
    return [
        {"id": f"mn{i}@campus.example", "mac": f"02:00:00:00:{i >> 8:02x}:{i & 0xFF:02x}", "lma": "lma1"}
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def domain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("domain")
    lab = Lab()
    try:
        lma_ns, mag_ns = lab.ns("lma"), lab.ns("mag")
        lab.link(lma_ns, "core0", mag_ns, "core0")
        lab.addr(lma_ns, "core0", f"{LMA_ADDR}/64")
        lab.addr(mag_ns, "core0", f"{MAG_ADDR}/64")
        lab.addr(mag_ns, "core0", f"{ROGUE_ADDR}/64")
        common = {
            "replay_protection": {"mode": "timestamp", "window_ms": 300},
            "heartbeat": {"interval": 0.5, "missed": 3},
            "mobile_nodes": mobile_nodes(N_MN),
        }
        lma_section = {
            "hnp_pools": [POOL],
            "hnp_length": 64,
            "mags": [{"name": "mag1", "address": MAG_ADDR}],
            "binding_lifetime_max": 3600,
            "min_delay_before_bce_delete_ms": 1000,
            "max_delay_before_new_bce_assign_ms": 300,
        }
        write_agent_config(tmp, "lma1", "lma", LMA_ADDR, lma=lma_section, **common)
        mag_section = {
            "lma": {"name": "lma1", "address": LMA_ADDR},
            "access_interfaces": [{"name": "acc0", "access_technology": "ieee-802.11"}],
            # the MNs here are MAC addresses only: nobody answers the access link's NUD probes
            "detach_poll": {"interval": 3600},
            "binding_lifetime": 8,
            "refresh_before": 4,
            "retransmit": {"initial_ms": 200, "max_ms": 1000, "max_attempts": 20},
        }
        write_agent_config(tmp, "mag1", "mag", MAG_ADDR, mag=mag_section, **common)
        d = {
            "lab": lab,
            "tmp": tmp,
            "lma_ns": lma_ns,
            "mag_ns": mag_ns,
            "lma_sock": tmp / "lma1.sock",
            "mag_sock": tmp / "mag1.sock",
        }
        d["lma"] = lab.start_agent(lma_ns, tmp / "lma1.yaml", tmp / "lma1.log")
        d["mag"] = lab.start_agent(mag_ns, tmp / "mag1.yaml", tmp / "mag1.log")
        for sock in (d["lma_sock"], d["mag_sock"]):
            wait_for(
                lambda s=sock: s.exists() and ctl(s, "status", "--json", check=False), 15, what=f"{sock}"
            )
        yield d
    finally:
        lab.close()
        for name in ("lma1.log", "mag1.log"):
            log = tmp / name
            if log.exists():
                print(f"--- {name} (tail) ---\n" + "\n".join(log.read_text().splitlines()[-30:]))


def lma_bindings(d) -> list[dict]:
    return ctl(d["lma_sock"], "bindings", "--json")


def test_register_refresh_detach_restart(domain):
    d = domain
    nodes = mobile_nodes(N_MN)
    # 1. heartbeat up in both directions
    wait_for(
        lambda: all(p["state"] == "up" for p in ctl(d["mag_sock"], "peers", "--json")), 10, what="MAG->LMA up"
    )

    # 2. attach 100 MNs through the real CLI
    for node in nodes:
        ctl(d["mag_sock"], "attach", "--mac", node["mac"], "--interface", "acc0")

    def all_active():
        b = lma_bindings(d)
        return b if len(b) == N_MN and all(x["state"] == "active" for x in b) else None

    bindings = wait_for(all_active, 20, what="100 active bindings on the LMA")
    pool = ipaddress.IPv6Network(POOL)
    prefixes = [ipaddress.IPv6Network(x["hnp"][0]) for x in bindings]
    assert len(set(prefixes)) == N_MN, "two MNs share a prefix"
    assert all(p.prefixlen == 64 and p.subnet_of(pool) for p in prefixes)
    assert {x["mn_id"] for x in bindings} == {n["id"] for n in nodes}
    assert all(x["mag"] == MAG_ADDR and x["att"] == 4 for x in bindings)
    by_mn = {x["mn_id"]: x["hnp"] for x in bindings}
    mag_side = ctl(d["mag_sock"], "bindings", "--json")
    # bound; with an 8 s lifetime refreshed every 4 s, some may be mid-refresh at this moment
    assert all(x["state"] in ("registered", "refreshing") and x["lma"] == LMA_ADDR for x in mag_side)
    assert {x["mn_id"]: x["hnp"] for x in mag_side} == by_mn

    # 3. re-registration (lifetime 8 s, refresh 4 s before expiry) keeps every binding and prefix
    accepted_before = _metric(ctl(d["lma_sock"], "metrics").stdout, 'pmipv6_pba_sent_total{status="0"}')
    time.sleep(9)
    after = lma_bindings(d)
    assert {x["mn_id"]: x["hnp"] for x in after} == by_mn
    accepted_after = _metric(ctl(d["lma_sock"], "metrics").stdout, 'pmipv6_pba_sent_total{status="0"}')
    assert accepted_after >= accepted_before + N_MN, "no re-registrations seen"

    # 4. detach 10: de-registered, kept MinDelayBeforeBCEDelete (1 s), then removed
    gone = nodes[:10]
    for node in gone:
        ctl(d["mag_sock"], "detach", "--mac", node["mac"])
    gone_ids = {n["id"] for n in gone}
    wait_for(
        lambda: (
            all(x["state"] == "deleting" for x in lma_bindings(d) if x["mn_id"] in gone_ids)
            or not any(x["mn_id"] in gone_ids for x in lma_bindings(d))
        ),
        5,
        what="de-registration",
    )
    wait_for(lambda: not any(x["mn_id"] in gone_ids for x in lma_bindings(d)), 5, what="BCE deletion")
    assert len(lma_bindings(d)) == N_MN - 10

    # 5. a PBU from an address not in lma.mags gets 154
    rogue = MHPeer(d["mag_ns"], ROGUE_ADDR)
    try:
        pbu = wire.ProxyBindingUpdate(
            sequence=7,
            lifetime=3600,
            options=[
                wire.MobileNodeIdentifier(nodes[50]["id"]),
                wire.ALL_ZERO,
                wire.HandoffIndicatorOption(1),
                wire.AccessTechnologyType(4),
                wire.Timestamp.from_seconds(time.time()),
            ],
        )
        rogue.send(LMA_ADDR, wire.encode(pbu))
        reply = wire.decode(wait_for(lambda: rogue.receive_one(0.5), 5, what="PBA to rogue"))
        assert isinstance(reply, wire.ProxyBindingAck)
        assert reply.status == wire.Status.MAG_NOT_AUTHORIZED_FOR_PROXY_REG
        assert reply.sequence == 7
    finally:
        rogue.close()
    assert len(lma_bindings(d)) == N_MN - 10, "the rejected PBU touched the cache"

    # 6. kill the LMA, start it again: new Restart Counter -> MAG re-registers all 90 MNs
    rc_before = ctl(d["lma_sock"], "status", "--json")["restart_counter"]
    d["lab"].stop(d["lma"], signal.SIGKILL)
    d["lma"] = d["lab"].start_agent(d["lma_ns"], d["tmp"] / "lma1.yaml", d["tmp"] / "lma1.log")
    wait_for(lambda: ctl(d["lma_sock"], "status", "--json", check=False), 15, what="LMA back")
    assert ctl(d["lma_sock"], "status", "--json")["restart_counter"] == rc_before + 1
    restored = wait_for(
        lambda: (
            (b := lma_bindings(d)) and len(b) == N_MN - 10 and all(x["state"] == "active" for x in b) and b
        ),
        15,
        what="re-registration after LMA restart",
    )
    assert {x["mn_id"]: x["hnp"] for x in restored} == {k: v for k, v in by_mn.items() if k not in gone_ids}
    peers = ctl(d["mag_sock"], "peers", "--json")
    assert peers[0]["restart_counter"] == rc_before + 1
    restarts = _metric(ctl(d["mag_sock"], "metrics").stdout, "pmipv6_peer_restart_total")
    assert restarts >= 1


def _metric(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_sighup_reload_keeps_bindings_and_refuses_bad_files(domain):
    d = domain
    cfg_path = d["tmp"] / "lma1.yaml"
    original = cfg_path.read_text()
    before = ctl(d["lma_sock"], "status", "--json")
    count = len(lma_bindings(d))
    try:
        # a broken file is refused; the running configuration stays in force
        cfg_path.write_text(original.replace(f"address: {LMA_ADDR}", "address: not-an-address", 1))
        d["lma"].send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert d["lma"].poll() is None
        assert ctl(d["lma_sock"], "status", "--json")["config_digest"] == before["config_digest"]
        refused = ctl(d["lma_sock"], "reload", check=False)
        assert refused.returncode == 1 and "address: not an IPv6 address" in refused.stderr

        # a change that needs a restart (the data plane, the store) is refused by name
        cfg = yaml.safe_load(original)
        cfg.update(dataplane="userspace", persistence=False)
        cfg_path.write_text(yaml.safe_dump(cfg))
        refused = ctl(d["lma_sock"], "reload", check=False)
        assert refused.returncode == 1
        assert "persistence, dataplane changed; restart the agent" in refused.stderr, refused.stderr

        # a valid change (a second authorised MAG) is applied without dropping a binding
        cfg = yaml.safe_load(original)
        cfg["lma"]["mags"].append({"name": "mag2", "address": ROGUE_ADDR})
        cfg_path.write_text(yaml.safe_dump(cfg))
        d["lma"].send_signal(signal.SIGHUP)
        wait_for(
            lambda: ctl(d["lma_sock"], "status", "--json")["config_digest"] != before["config_digest"],
            5,
            what="reloaded config digest",
        )
        assert len(lma_bindings(d)) == count
        assert ctl(d["lma_sock"], "status", "--json")["pid"] == before["pid"]

        # the newly authorised MAG address is now accepted (was 154 before the reload)
        peer = MHPeer(d["mag_ns"], ROGUE_ADDR)
        try:
            pbu = wire.ProxyBindingUpdate(
                sequence=9,
                lifetime=3600,
                options=[
                    wire.MobileNodeIdentifier(mobile_nodes(1)[0]["id"]),
                    wire.ALL_ZERO,
                    wire.HandoffIndicatorOption(1),
                    wire.AccessTechnologyType(4),
                    wire.Timestamp.from_seconds(time.time()),
                ],
            )
            peer.send(LMA_ADDR, wire.encode(pbu))
            reply = wire.decode(wait_for(lambda: peer.receive_one(0.5), 5, what="PBA to mag2"))
            assert reply.status == wire.Status.ACCEPTED and reply.sequence == 9
        finally:
            peer.close()
    finally:
        cfg_path.write_text(original)

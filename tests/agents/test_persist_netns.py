"""Agents keep their bindings across restarts (state persistence), with real processes in namespaces.

50 MNs are attached through `pmipv6ctl attach`. The LMA is killed (SIGKILL) while the MAG is
frozen (SIGSTOP, so no PBU can reach the new LMA): the restarted LMA shows the same 50 bindings
with the same prefixes straight from its state file, the MAG's re-registration after the
heartbeat restart detection is a refresh of each, and new MNs get prefixes nobody holds. Then
the MAG is restarted (SIGTERM, then SIGKILL): its binding update list comes back with the same
prefixes and the bindings go on being refreshed.
"""

from __future__ import annotations

import ipaddress
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from nettools import Lab, ctl, is_root, wait_for, write_agent_config

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for network namespaces and raw sockets")

LMA_ADDR, MAG_ADDR = "2001:db8:c::1", "2001:db8:c::2"
POOL = "2001:db8:100::/48"
N_BOUND, N_MORE = 50, 10
LIFETIME, REFRESH_BEFORE = 12, 6  # the MAG refreshes every 6 s; a binding has >= 6 s left


def node(i: int) -> dict:
    return {"id": f"mn{i}@campus.example", "mac": f"02:00:00:00:{i >> 8:02x}:{i & 0xFF:02x}", "lma": "lma1"}


@pytest.fixture(scope="module")
def domain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("persist")
    lab = Lab()
    try:
        lma_ns, mag_ns = lab.ns("lma"), lab.ns("mag")
        lab.link(lma_ns, "core0", mag_ns, "core0")
        lab.addr(lma_ns, "core0", f"{LMA_ADDR}/64")
        lab.addr(mag_ns, "core0", f"{MAG_ADDR}/64")
        common = {
            "replay_protection": {"mode": "timestamp", "window_ms": 300},
            "heartbeat": {"interval": 0.5, "missed": 3},
            "mobile_nodes": [node(i) for i in range(N_BOUND + N_MORE)],
        }
        lma_section = {
            "hnp_pools": [POOL],
            "mags": [{"name": "mag1", "address": MAG_ADDR}],
            "min_delay_before_bce_delete_ms": 1000,
        }
        write_agent_config(tmp, "lma1", "lma", LMA_ADDR, lma=lma_section, **common)
        mag_section = {
            "lma": {"name": "lma1", "address": LMA_ADDR},
            "access_interfaces": [{"name": "acc0", "access_technology": "ieee-802.11"}],
            # the MNs here are MAC addresses only: nobody answers the access link's NUD probes
            "detach_poll": {"interval": 3600},
            "binding_lifetime": LIFETIME,
            "refresh_before": REFRESH_BEFORE,
            "retransmit": {"initial_ms": 200, "max_ms": 1000, "max_attempts": 30},
        }
        write_agent_config(tmp, "mag1", "mag", MAG_ADDR, mag=mag_section, **common)
        d = {"lab": lab, "tmp": tmp, "lma_ns": lma_ns, "mag_ns": mag_ns}
        start(d, "lma")
        start(d, "mag")
        yield d
    finally:
        lab.close()
        for name in ("lma1.log", "mag1.log"):
            log = tmp / name
            if log.exists():
                print(f"--- {name} (tail) ---\n" + "\n".join(log.read_text().splitlines()[-30:]))


def start(d, role: str) -> None:
    name = f"{role}1"
    sock = d["tmp"] / f"{name}.sock"
    sock.unlink(missing_ok=True)  # a killed agent leaves its socket file behind
    d[role] = d["lab"].start_agent(d[f"{role}_ns"], d["tmp"] / f"{name}.yaml", d["tmp"] / f"{name}.log")
    wait_for(lambda: sock.exists() and ctl(sock, "status", "--json", check=False), 20, what=f"{name} up")


def sock(d, role: str):
    return d["tmp"] / f"{role}1.sock"


def bindings(d, role: str) -> list[dict]:
    return ctl(sock(d, role), "bindings", "--json")


def prefixes(rows: list[dict]) -> dict[str, list[str]]:
    return {r["mn_id"]: r["hnp"] for r in rows}


def metric(d, role: str, sample: str) -> float:
    for line in ctl(sock(d, role), "metrics").stdout.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


ACCEPTED = 'pmipv6_pba_sent_total{status="0"}'


def attach(d, indexes) -> None:
    """`pmipv6ctl attach` per MN, a few at a time (as an AP controller would report them)."""
    with ThreadPoolExecutor(8) as pool:
        for _ in pool.map(
            lambda i: ctl(sock(d, "mag"), "attach", "--mac", node(i)["mac"], "--interface", "acc0"), indexes
        ):
            pass


def all_active(d, n: int):
    rows = bindings(d, "lma")
    return rows if len(rows) == n and all(r["state"] == "active" for r in rows) else None


def test_lma_restart_restores_bindings_and_mag_restart_restores_its_list(domain):
    d = domain
    wait_for(lambda: all(p["state"] == "up" for p in ctl(sock(d, "mag"), "peers", "--json")), 10, what="peer")
    attach(d, range(N_BOUND))
    before = prefixes(wait_for(lambda: all_active(d, N_BOUND), 20, what=f"{N_BOUND} active bindings"))
    assert len({p[0] for p in before.values()}) == N_BOUND
    assert (d["tmp"] / "state-lma1" / "state.db").exists() and (d["tmp"] / "state-mag1" / "state.db").exists()
    status = ctl(sock(d, "lma"), "status", "--json")
    assert status["persistence"].endswith("state.db")

    # -- the LMA dies (kill -9) while the MAG is frozen: nothing can re-register meanwhile
    d["mag"].send_signal(signal.SIGSTOP)
    try:
        d["lab"].stop(d["lma"], signal.SIGKILL)
        start(d, "lma")
        restored = bindings(d, "lma")
        assert metric(d, "lma", "pmipv6_pbu_received_total") == 0  # no PBU reached the new LMA
        assert prefixes(restored) == before
        assert all(r["state"] == "active" and r["lifetime"] > 0 and r["mag"] == MAG_ADDR for r in restored)
        assert ctl(sock(d, "lma"), "status", "--json")["restart_counter"] == status["restart_counter"] + 1
        assert "restored state from" in (d["tmp"] / "lma1.log").read_text()
    finally:
        d["mag"].send_signal(signal.SIGCONT)

    # the MAG sees the new Restart Counter and re-registers every MN: refreshes of kept bindings
    wait_for(lambda: metric(d, "lma", ACCEPTED) >= N_BOUND, 15, what="re-registration after the restart")
    assert metric(d, "lma", "pmipv6_bce_created_total") == 0
    assert metric(d, "mag", "pmipv6_peer_restart_total") >= 1
    assert prefixes(wait_for(lambda: all_active(d, N_BOUND), 10, what="bindings")) == before

    # new MNs get fresh prefixes, none of them held by a restored binding
    attach(d, range(N_BOUND, N_BOUND + N_MORE))
    everything = prefixes(wait_for(lambda: all_active(d, N_BOUND + N_MORE), 20, what="new bindings"))
    new = {everything[node(i)["id"]][0] for i in range(N_BOUND, N_BOUND + N_MORE)}
    assert len(new) == N_MORE and new.isdisjoint(p[0] for p in before.values())
    assert len({p[0] for p in everything.values()}) == N_BOUND + N_MORE  # no prefix twice
    pool = ipaddress.IPv6Network(POOL)
    assert all(ipaddress.IPv6Network(p[0]).subnet_of(pool) for p in everything.values())

    # -- the MAG restarts (SIGTERM, then kill -9): its list comes back and refreshes go on
    for sig in (signal.SIGTERM, signal.SIGKILL):
        mag_before = prefixes(bindings(d, "mag"))
        assert mag_before == everything
        d["lab"].stop(d["mag"], sig)
        restarted_at = time.time()
        start(d, "mag")
        rows = bindings(d, "mag")
        assert prefixes(rows) == mag_before
        assert all(r["state"] in ("registered", "refreshing") and r["lma"] == LMA_ADDR for r in rows)
        accepted = metric(d, "lma", ACCEPTED)
        # within one refresh period every binding is refreshed by the restarted MAG
        wait_for(
            lambda since=restarted_at: all(r["registered"] > since for r in bindings(d, "lma")),
            LIFETIME + 5,
            what=f"refreshes after the MAG restart ({sig.name})",
        )
        assert metric(d, "lma", ACCEPTED) >= accepted + N_BOUND + N_MORE
        assert prefixes(all_active(d, N_BOUND + N_MORE) or []) == everything
        assert metric(d, "lma", "pmipv6_bce_created_total") == N_MORE
        assert all(r["state"] in ("registered", "refreshing") for r in bindings(d, "mag"))  # bound

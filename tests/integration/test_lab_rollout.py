"""End to end: the lab domain (inventories/lab) rolled out with ansible-playbook over real SSH to
namespace hosts built by the same script as ``make lab`` (inventories/lab/nslab.py), under its
own names and management subnet so that it never meets a ``make lab`` of the same machine.

The domain is mixed: besides the Linux LMA and the two Linux MAGs it has three IOS-XE MAGs, emulated
routers (tests/emulators/iosxe, one process on 127.0.0.1) that site.yml configures over NETCONF
(mag3 with a candidate datastore, mag4 on running) and over the SSH CLI (mag5), and that drift.yml
checks beside the Linux nodes (tests/integration/mixed_iosxe.py).

Each test leaves the lab converged for the next one; they run in file order.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "inventories" / "lab"))
sys.path.insert(0, str(REPO / "tests" / "agents"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import mixed_iosxe  # noqa: E402
import nslab  # noqa: E402
from domain import Pinger  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, sshd)")

# Names, work directory and management subnet from the PID: two engineers' runs on one machine (or
# a run beside CI's) get separate bridges and subnets (198.19.0-249.0/24; make lab uses 198.18.90).
LAB = nslab.Lab(prefix=f"pmit{os.getpid() % 10000}", mgmt=f"198.19.{os.getpid() % 250}", mags=2,
                workdir=Path(f"/run/pmipv6-it-{os.getpid()}"))  # fmt: skip
DOMAIN = yaml.safe_load((REPO / "inventories/lab/group_vars/all/domain.yml").read_text())["pmipv6_domain"]
XE_MAGS = ["mag3", "mag4", "mag5"]  # emulated IOS-XE MAGs of the mixed domain
XE_TRANSPORT = {"mag3": "netconf", "mag4": "netconf", "mag5": "cli"}
MIXED = copy.deepcopy(DOMAIN)
MIXED["mags"].update(mixed_iosxe.mag_nodes(XE_MAGS, "lma1", "2001:db8:c::4"))
HOSTS = [*LAB.ssh_hosts, *XE_MAGS]
ROUTERS: mixed_iosxe.Routers | None = None  # set by the lab fixture


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    global ROUTERS
    nslab.up(LAB)
    try:
        ROUTERS = mixed_iosxe.start_routers(XE_MAGS, candidate={"mag3"})
        hosts = {h: LAB.mgmt_address(h) for h in LAB.ssh_hosts}
        inventory = nslab.write_inventory(
            tmp_path_factory.mktemp("inventory"), copy.deepcopy(MIXED), hosts, LAB.key,
            groups=mixed_iosxe.inventory_group(ROUTERS, XE_TRANSPORT),
        )  # fmt: skip
        yield inventory
    finally:
        if ROUTERS is not None:
            ROUTERS.stop()
        nslab.down(LAB)


def xe_running(node: str) -> str:
    return mixed_iosxe.running_config(ROUTERS, node)


# ------------------------------------------------------------------------------------------------
INVALID = {
    "unknown LMA": (["mags", "mag2", "lma"], "lma9", "pmipv6_domain.mags.mag2.lma: unknown LMA 'lma9'"),
    "IPv4 address": (
        ["mags", "mag1", "address"],
        "198.18.1.1",
        "pmipv6_domain.mags.mag1.address: not an IPv6",
    ),
    "overlapping pools": (
        ["lmas", "lma1", "hnp_pools"],
        ["2001:db8:100::/48", "2001:db8:100:8000::/49"],
        "pmipv6_domain.lmas.lma1.hnp_pools[1]: 2001:db8:100:8000::/49 overlaps",
    ),
    "static prefix outside the pools": (
        ["mobile_nodes", "printer", "hnp"],
        ["2001:db8:999:f::/64"],
        "pmipv6_domain.mobile_nodes.printer.hnp[0]: 2001:db8:999:f::/64 is outside every HNP pool",
    ),
    "duplicate MAC": (
        ["mobile_nodes", "mn2", "mac"],
        "02:00:00:00:01:01",
        "pmipv6_domain.mobile_nodes.mn2.mac: 02:00:00:00:01:01 is also the MAC of",
    ),
    "duplicate NAI": (
        ["mobile_nodes", "mn2", "nai"],
        "mn1@lab.example",
        "pmipv6_domain.mobile_nodes.mn2.nai: mn1@lab.example is also the NAI of",
    ),
    "AP on two MAGs": (
        ["mags", "mag2", "access_interfaces"],
        [{"name": "acc0", "aps": ["ap2", "ap1"]}],
        "pmipv6_domain.mags.mag2.access_interfaces[0].aps[1]: AP 'ap1' is already behind",
    ),
    "lifetime not a multiple of 4": (
        ["binding_lifetime"],
        601,
        "pmipv6_domain.binding_lifetime: 601 is not a multiple of 4 seconds",
    ),
    "lifetime out of range": (
        ["binding_lifetime"],
        400000,
        "pmipv6_domain.binding_lifetime: 400000 out of range",
    ),
    "unknown key": (
        ["mags", "mag1", "lma_address"],
        "2001:db8:c::1",
        "pmipv6_domain.mags.mag1.lma_address: unknown key",
    ),
    "node no host realises": (
        ["mags", "mag3"],
        {"address": "2001:db8:c::9", "lma": "lma1"},
        "pmipv6_domain.mags.mag3: no inventory host has pmipv6_node: mag3",
    ),
}


def with_change(path: list[str], value) -> dict:
    domain = copy.deepcopy(DOMAIN)
    node = domain
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return domain


def test_invalid_domains_fail_validation_before_any_host_is_contacted(tmp_path):
    """Hosts at addresses nobody answers (198.18.92.x): a contacted host would show up as
    unreachable in the recap. Each run must end in the validation play, on localhost only."""
    unreachable = {"lma1": "198.18.92.2", "mag1": "198.18.92.3", "mag2": "198.18.92.4"}
    stray = dict(unreachable, mag9="198.18.92.5")

    def run(case):
        name, (path, value, expected) = case
        inventory = nslab.write_inventory(tmp_path / re.sub(r"\W+", "-", name), with_change(path, value),
                                    unreachable, Path("/nonexistent"))  # fmt: skip
        return name, expected, nslab.playbook(inventory, "site.yml")

    cases = list(INVALID.items())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, cases))
    stray_inventory = nslab.write_inventory(
        tmp_path / "stray", copy.deepcopy(DOMAIN), stray, Path("/nonexistent")
    )
    results.append(
        ("host not in the domain", "hostvars[mag9].pmipv6_node: 'mag9' is not a node of the domain",
         nslab.playbook(stray_inventory, "site.yml"))
    )  # fmt: skip
    assert len(results) >= 10
    for name, expected, (rc, out, recap) in results:
        assert rc != 0, f"{name}: the play did not fail"
        assert expected in out, f"{name}: expected {expected!r} in:\n{out[-3000:]}"
        assert set(recap) == {"localhost"}, f"{name}: hosts were contacted: {recap}"
        assert "UNREACHABLE" not in out and "Gathering Facts" not in out, name


def test_check_mode_on_fresh_hosts_changes_nothing(lab):
    """--check --diff before anything is installed: it reports what it would do (the rendered
    configuration as a diff) and leaves the hosts and the routers as they were."""
    before = {h: sorted(p.name for p in (LAB.workdir / h).rglob("*")) for h in LAB.ssh_hosts}
    routers_before = {node: xe_running(node) for node in XE_MAGS}
    rc, out, recap = nslab.playbook(lab, "site.yml", "--check", "--diff")
    assert rc == 0, out[-4000:]
    assert all(recap[h]["changed"] > 0 and recap[h]["failed"] == 0 for h in HOSTS), recap
    assert "+  hnp_pools:" in out  # the LMA's configuration, shown as a diff
    assert "+ipv6 mobile pmipv6-mag mag3 domain lab" in out  # an IOS-XE MAG's, as running-config lines
    after = {h: sorted(p.name for p in (LAB.workdir / h).rglob("*")) for h in LAB.ssh_hosts}
    assert after == before
    assert {node: xe_running(node) for node in XE_MAGS} == routers_before


def test_rollout_converges_then_changes_nothing(lab):
    rc, out, recap = nslab.playbook(lab, "site.yml")
    assert rc == 0, out[-4000:]
    for host in HOSTS:
        assert recap[host]["changed"] > 0 and recap[host]["failed"] == 0, (host, recap)
    for k, node in enumerate(XE_MAGS):
        running = xe_running(node)
        assert f"ipv6 mobile pmipv6-mag {node} domain lab\n" in running
        assert f" address ipv6 2001:db8:c::{4 + k:x}\n" in running and " binding lifetime 600\n" in running
        assert " lma lma1 lab\n  ipv6-address 2001:db8:c::1\n" in running
    rc, out, recap = nslab.playbook(lab, "site.yml")
    assert rc == 0, out[-4000:]
    assert all(recap[host]["changed"] == 0 for host in HOSTS), recap
    print(f"\nsecond run: {recap}")


def test_traffic_flows_and_the_mn_keeps_its_address_across_a_handover(lab):
    assert nslab.demo(LAB) == 0


def drifted_nodes(out: str) -> set[str]:
    summary = next(line for line in out.splitlines() if '"msg": "drifted:' in line)
    return set(re.match(r'.*"msg": "drifted: ([^;"]*)', summary)[1].split(", "))


def test_drift_names_the_edited_hosts_only_and_site_repairs_them(lab):
    """Out-of-band edits typed at the CLI of two IOS-XE MAGs: drift.yml over the whole mixed domain
    names exactly those two, with readable diffs. Then a hand edit of one Linux MAG's config file
    is named too (a drift run limited to that host), and site.yml repairs the three of them alone."""
    mixed_iosxe.configure(
        ROUTERS, "mag3", ["ipv6 mobile pmipv6-mag mag3 domain lab", "binding lifetime 1200"]
    )
    mixed_iosxe.configure(ROUTERS, "mag4", [
        "ipv6 mobile pmipv6-mag mag4 domain lab", f"no interface {mixed_iosxe.ACCESS_INTERFACE}",
        "lma lma1 lab", "no ipv6-address 2001:db8:c::1", "ipv6-address 2001:db8:c::99",
    ])  # fmt: skip
    untouched = xe_running("mag5")
    rc, out, _ = nslab.playbook(lab, "drift.yml")
    assert rc != 0
    assert drifted_nodes(out) == {"mag3", "mag4"}, out[-3000:]
    assert "- binding lifetime 1200" in out and "+ binding lifetime 600" in out  # the diffs
    assert "-  ipv6-address 2001:db8:c::99" in out and "+  ipv6-address 2001:db8:c::1" in out
    assert f"+ interface {mixed_iosxe.ACCESS_INTERFACE}" in out

    config = LAB.workdir / "mag1" / "etc_pmipv6" / "mag1.yaml"
    config.write_text(config.read_text().replace("binding_lifetime: 600", "binding_lifetime: 1200"))
    rc, out, _ = nslab.playbook(lab, "drift.yml", "--limit", "localhost,mag1")
    assert rc != 0
    assert drifted_nodes(out) == {"mag1"}, out[-3000:]
    assert "-  binding_lifetime: 1200" in out and "+  binding_lifetime: 600" in out

    rc, out, recap = nslab.playbook(lab, "site.yml")
    assert rc == 0, out[-4000:]
    assert all(recap[h]["changed"] > 0 for h in ("mag1", "mag3", "mag4")), recap
    assert all(recap[h]["changed"] == 0 for h in ("lma1", "mag2", "mag5")), recap
    assert " binding lifetime 600\n" in xe_running("mag3") and "c::99" not in xe_running("mag4")
    assert xe_running("mag5") == untouched
    rc, out, _ = nslab.playbook(lab, "drift.yml")
    assert rc == 0, out[-3000:]


def test_a_killed_agent_is_reported_by_verify_and_restarted_by_site(lab):
    pidfile = LAB.workdir / "mag2" / "run_pmipv6" / "mag2.pid"
    nslab._kill(int(pidfile.read_text()))
    rc, out, recap = nslab.playbook(lab, "verify.yml")
    assert rc != 0 and recap["mag2"]["failed"] == 1 and recap["mag1"]["failed"] == 0, recap
    assert "mag2: agent not running" in out
    rc, out, recap = nslab.playbook(lab, "site.yml")
    assert rc == 0 and recap["mag2"]["changed"] > 0, out[-3000:]


def test_a_new_mn_profile_reaches_the_agents_by_reload_and_bindings_survive(lab):
    """Add a profile, re-run site.yml while cn1 pings mn1 every 20 ms: the agents reload (same
    PIDs), mn1's binding and address stay, and not a ping is lost."""
    pids = {h: int((LAB.workdir / h / "run_pmipv6" / f"{h}.pid").read_text()) for h in LAB.ssh_hosts}
    address = nslab.mn_address(LAB)
    assert address is not None, "mn1 has no address (the handover test attached it)"
    domain = copy.deepcopy(MIXED)
    domain["mobile_nodes"]["tablet"] = {
        "nai": "tablet@lab.example",
        "mac": "02:00:00:00:01:0a",
        "lma": "lma1",
    }
    domain_file = lab / "group_vars" / "all" / "domain.yml"
    before = domain_file.read_text()
    domain_file.write_text(yaml.safe_dump({"pmipv6_domain": domain}))
    try:
        with Pinger(LAB.ns("cn1"), address, interval=0.02, duration=120) as pinger:
            rc, out, recap = nslab.playbook(lab, "site.yml")
            time.sleep(0.5)
        assert rc == 0, out[-3000:]
        assert all(recap[h]["changed"] > 0 for h in LAB.ssh_hosts), recap
        assert "Reload the agent's configuration" in out
        after = {h: int((LAB.workdir / h / "run_pmipv6" / f"{h}.pid").read_text()) for h in LAB.ssh_hosts}
        assert after == pids, "an agent was restarted instead of reloaded"
        profiles = nslab.ctl(LAB, "lma1", "status")
        assert profiles["pid"] == pids["lma1"]
        assert any(b["mn_ll_id"] == nslab.MN_MAC for b in nslab.ctl(LAB, "lma1", "bindings"))
        assert nslab.mn_address(LAB) == address
        print(f"\nreload rollout: {len(pinger.sent)} pings, {len(pinger.lost())} lost")
        assert len(pinger.sent) > 100 and len(pinger.lost()) == 0
    finally:
        domain_file.write_text(before)

"""The iosxe role through the playbooks, on a domain of emulated IOS-XE routers only (an LMA on a
router with a candidate datastore, a MAG over NETCONF on running, a MAG over the SSH CLI): site.yml
configures and saves, a second run changes nothing, drift.yml names exactly the routers changed out
of band with readable diffs, site.yml repairs only those (saving them), verify.yml passes.

No root needed: the routers are emulator processes on 127.0.0.1 (tests/integration/mixed_iosxe.py).
One router is left on Ansible's default ssh connection: the plays work without
``ansible_connection: local`` (which the example inventory still recommends).
The mixed Linux + IOS-XE domain is test_lab_rollout.py's. Tests run in file order.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "inventories" / "lab"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

import mixed_iosxe  # noqa: E402
import nslab  # noqa: E402

NODES = ["lma1", "xmag1", "xmag2"]
AUTH_KEY = "rtrs-0123456789abcdef"
TRANSPORT = {"lma1": "netconf", "xmag1": "netconf", "xmag2": "cli"}
DOMAIN = {
    "name": "rtrs",
    "binding_lifetime": 600,
    "replay_protection": {"mode": "timestamp", "window_ms": 200},
    "heartbeat": {"interval": 10, "missed": 3},
    "auth": {"spi": 300, "key": "{{ rtrs_auth_key }}"},  # from a (vault) variable, as in production
    "lmas": {"lma1": {"platform": "iosxe", "address": "2001:db8:c::1", "hnp_pools": ["2001:db8:100::/48"]}},
    "mags": mixed_iosxe.mag_nodes(["xmag1", "xmag2"], "lma1", "2001:db8:c::10"),
    "mobile_nodes": {"mn1": {"nai": "mn1@rtrs.example", "lma": "lma1"}},
}


@pytest.fixture(scope="module")
def routers(tmp_path_factory):
    started = mixed_iosxe.start_routers(NODES, candidate={"lma1"})
    try:
        inventory = nslab.write_inventory(
            tmp_path_factory.mktemp("inventory"), DOMAIN, {}, Path("/nonexistent"),
            groups=mixed_iosxe.inventory_group(started, TRANSPORT),
        )  # fmt: skip
        (inventory / "group_vars" / "all" / "secrets.yml").write_text(f"rtrs_auth_key: {AUTH_KEY}\n")
        # The plays need no ansible_connection: local (the modules never use Ansible's connection):
        # xmag2 keeps the default ssh, pointing at its CLI port, with no Python there.
        hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
        hosts["all"]["children"]["iosxe"]["hosts"]["xmag2"].update(
            ansible_connection="ssh", ansible_python_interpreter="/nonexistent/python3"
        )
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
        yield started, inventory
    finally:
        started.stop()


def run(inventory: Path, playbook: str) -> tuple[int, str, dict]:
    rc, out, recap = nslab.playbook(inventory, playbook)
    recap.pop("localhost", None)
    return rc, out, recap


def test_site_configures_and_saves_every_router_and_a_rerun_changes_nothing(routers):
    started, inventory = routers
    rc, out, recap = run(inventory, "site.yml")
    assert rc == 0, out[-4000:]
    assert sorted(recap) == NODES and all(r["changed"] == 2 and r["failed"] == 0 for r in recap.values()), (
        recap
    )
    lma = mixed_iosxe.running_config(started, "lma1")
    assert "ipv6 mobile pmipv6-lma lma1 domain rtrs" in lma and " mag xmag2 rtrs" in lma, lma
    mag = mixed_iosxe.running_config(started, "xmag2")
    assert " lma lma1 rtrs" in mag and "  ipv6-address 2001:db8:c::1" in mag and "nai mn1@rtrs.example" in mag
    assert f"auth-option spi decimal 300 key ascii {AUTH_KEY}" in mag and AUTH_KEY not in out
    assert "ipv6 mobile pmipv6-mag xmag2 domain rtrs" in mixed_iosxe.running_config(
        started, "xmag2", "startup"
    )
    assert out.count("the router holds the domain model (over ") == 3, out[-4000:]  # verify.yml ran

    rc, out, recap = run(inventory, "site.yml")
    assert rc == 0 and all(r["changed"] == 0 for r in recap.values()), recap


def test_drift_names_the_routers_changed_out_of_band_and_site_repairs_only_them(routers):
    started, inventory = routers
    mixed_iosxe.configure(started, "lma1", ["ipv6 mobile pmipv6-lma lma1 domain rtrs", "bce lifetime 1200"])
    mixed_iosxe.configure(started, "xmag2", ["ipv6 mobile pmipv6-domain rtrs", "no nai mn1@rtrs.example"])

    rc, out, _ = run(inventory, "drift.yml")
    assert rc != 0
    summary = next(line for line in out.splitlines() if "drifted: " in line and "Task failed" in line)
    assert set(re.search(r"drifted: ([^;]*);", summary)[1].split(", ")) == {"lma1", "xmag2"}, summary
    assert "lma1: router differs from the domain model in lma" in summary
    assert "xmag2: router differs from the domain model in domain" in summary
    assert "- bce lifetime 1200\n+ bce lifetime 600" in out  # readable running-config diffs
    assert "+nai mn1@rtrs.example" in out or "+ nai mn1@rtrs.example" in out, out[-4000:]

    rc, out, recap = run(inventory, "site.yml")
    assert rc == 0 and AUTH_KEY not in out, out[-4000:]
    assert {host for host, r in recap.items() if r["changed"]} == {"lma1", "xmag2"}, recap
    # only the domain changed on xmag2: its save comes with the (unchanged) MAG task
    assert "nai mn1@rtrs.example" in mixed_iosxe.running_config(started, "xmag2", "startup")
    rc, out, _ = run(inventory, "drift.yml")
    assert rc == 0 and "no drift on 3 node(s)" in out, out[-4000:]

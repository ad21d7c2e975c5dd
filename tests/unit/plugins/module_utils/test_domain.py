"""The domain model: every validation rule names its path, and the agent configs it maps to are
accepted by the agent's own config parser."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain as model

CAMPUS = yaml.safe_load((Path(__file__).parent / "fixtures" / "campus.yml").read_text())
HOSTS = {"lma-host": "lma1", "mag1-host": "mag1", "mag2-host": "mag2", "cn-host": None}


def changed(path: str, value, base=CAMPUS) -> dict:
    """A copy of ``base`` with the dotted ``path`` set to ``value`` (``DELETE`` removes it)."""
    doc = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


DELETE = object()


def test_the_documented_example_is_valid():
    assert model.validate(CAMPUS, HOSTS) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        # unknown references
        ("mags.mag2.lma", "lma9", "pmipv6_domain.mags.mag2.lma: unknown LMA 'lma9'"),
        ("mobile_nodes.alice.lma", "lma9", "pmipv6_domain.mobile_nodes.alice.lma: unknown LMA 'lma9'"),
        ("aps.ap1.mag", "mag9", "pmipv6_domain.aps.ap1.mag: unknown MAG 'mag9'"),
        ("offload.local-printers.mags", ["mag7"], "pmipv6_domain.offload.local-printers.mags[0]: unknown"),
        (
            "mags.mag1.access_interfaces.0.aps",
            ["ap1", "ap9"],
            "pmipv6_domain.mags.mag1.access_interfaces[0].aps[1]: unknown AP 'ap9'",
        ),
        # pools and static prefixes
        (
            "lmas.lma1.hnp_pools",
            ["2001:db8:100::/48", "2001:db8:100:8000::/49"],
            "pmipv6_domain.lmas.lma1.hnp_pools[1]: 2001:db8:100:8000::/49 overlaps",
        ),
        (
            "mobile_nodes.bob.hnp",
            ["2001:db8:999:b::/64"],
            "pmipv6_domain.mobile_nodes.bob.hnp[0]: 2001:db8:999:b::/64 is outside every HNP pool",
        ),
        (
            "mobile_nodes.carol.hnp",
            ["2001:db8:100:b::/64"],
            "pmipv6_domain.mobile_nodes.carol.hnp[0]: 2001:db8:100:b::/64 is already the static prefix of",
        ),
        (
            "mobile_nodes.bob.hnp",
            ["2001:db8:100:b::/80"],
            "pmipv6_domain.mobile_nodes.bob.hnp[0]: 2001:db8:100:b::/80 is not a /64",
        ),
        # duplicate MN identities
        (
            "mobile_nodes.bob.mac",
            "02:00:00:00:00:0a",
            "pmipv6_domain.mobile_nodes.bob.mac: 02:00:00:00:00:0a is also the MAC of",
        ),
        (
            "mobile_nodes.bob.nai",
            "Alice@campus.example",
            "pmipv6_domain.mobile_nodes.bob.nai: Alice@campus.example is also the NAI of",
        ),
        ("mobile_nodes.bob.mac", "02:00:00", "pmipv6_domain.mobile_nodes.bob.mac: not a MAC address"),
        ("mobile_nodes.bob.nai", "bob", "pmipv6_domain.mobile_nodes.bob.nai: not an NAI"),
        # an AP on two MAGs
        (
            "mags.mag2.access_interfaces.0.aps",
            ["ap3", "ap1"],
            "pmipv6_domain.mags.mag2.access_interfaces[0].aps[1]: AP 'ap1' is already behind",
        ),
        ("aps.ap3.mag", "mag1", "pmipv6_domain.aps.ap3.mag: says mag1, but the AP is listed at"),
        # addresses
        ("mags.mag1.address", "198.18.0.1", "pmipv6_domain.mags.mag1.address: not an IPv6 address"),
        ("mags.mag1.address", "2001:db8:c::1", "pmipv6_domain.mags.mag1.address: 2001:db8:c::1 is already"),
        ("lmas.lma1.address", "fe80::1", "pmipv6_domain.lmas.lma1.address: fe80::1 is not a global unicast"),
        ("link_local_address", "2001:db8::1", "pmipv6_domain.link_local_address: 2001:db8::1 is not"),
        # lifetimes and ranges
        ("binding_lifetime", 3601, "pmipv6_domain.binding_lifetime: 3601 is not a multiple of 4 seconds"),
        ("binding_lifetime", 300000, "pmipv6_domain.binding_lifetime: 300000 out of range 4..262140"),
        ("heartbeat.missed", 0, "pmipv6_domain.heartbeat.missed: 0 out of range 1..100"),
        ("replay_protection.mode", "nonce", "pmipv6_domain.replay_protection.mode: 'nonce' is not one of"),
        ("auth.key", "short", "pmipv6_domain.auth.key: expected a string of at least 16 characters"),
        # structure
        ("lmas.lma1.hnp_pools", DELETE, "pmipv6_domain.lmas.lma1.hnp_pools: required"),
        ("mags.mag1.proxy_coa", "2001:db8:c::9", "pmipv6_domain.mags.mag1.proxy_coa: unknown key"),
        (
            "mags.mag1.access_interfaces.0.name",
            "a name with spaces",
            "pmipv6_domain.mags.mag1.access_interfaces[0].name: not a Linux",
        ),
        ("offload.local-printers.action", "drop", "pmipv6_domain.offload.local-printers.action: 'drop'"),
        (
            "offload.local-printers.selectors.ports",
            [0],
            "pmipv6_domain.offload.local-printers.selectors.ports[0]: 0 out",
        ),
    ],
)
def test_each_problem_names_its_path(path, value, expected):
    problems = model.validate(changed(path, value), HOSTS)
    assert any(p.startswith(expected) for p in problems), problems


def test_hosts_must_realise_the_domain_exactly():
    problems = model.validate(CAMPUS, {"lma-host": "lma1", "mag1-host": "mag1", "stray": "mag9"})
    assert "hostvars[stray].pmipv6_node: 'mag9' is not a node of the domain" in problems
    assert "pmipv6_domain.mags.mag2: no inventory host has pmipv6_node: mag2" in problems
    twice = model.validate(CAMPUS, dict(HOSTS, another="mag1"))
    assert any(p.startswith("hostvars[mag1-host].pmipv6_node: mag1 is already") for p in twice), twice


def test_every_problem_is_reported_at_once_and_junk_never_raises():
    doc = changed("mags.mag2.lma", "lma9", changed("binding_lifetime", 3601))
    assert len(model.validate(doc)) == 2
    for junk in (None, [], "campus", {"name": 5, "lmas": [], "mags": {"m": "x"}}):
        assert model.validate(junk)


def agent_parser():
    config = pytest.importorskip("pmipv6.config", reason="the agent package is not installed")
    return config.parse_config


def test_lma_config_maps_pools_mags_and_profiles():
    cfg = model.agent_config(CAMPUS, "lma1")
    assert cfg["lma"]["mags"] == [
        {"name": "mag1", "address": "2001:db8:c::2"},
        {"name": "mag2", "address": "2001:db8:c::3"},  # compressed
    ]
    assert cfg["lma"]["binding_lifetime_max"] == 3600 and cfg["auth"]["spi"] == 256
    assert [p["id"] for p in cfg["mobile_nodes"]] == [
        "alice@campus.example",
        "bob@campus.example",
        "carol@campus.example",
    ]
    assert cfg["mobile_nodes"][1]["mac"] == "02:00:00:00:00:0b"  # canonical form
    parsed = agent_parser()(yaml.safe_dump(cfg))
    assert parsed.role == "lma" and parsed.lma.hnp_pools == ["2001:db8:100::/48"]


def test_mag_config_maps_interfaces_technology_and_offload():
    mag1, mag2 = model.agent_config(CAMPUS, "mag1"), model.agent_config(CAMPUS, "mag2")
    assert mag1["mag"]["lma"] == {"name": "lma1", "address": "2001:db8:c::1"}
    assert mag1["mag"]["access_interfaces"] == [{"name": "acc0", "access_technology": "ieee-802.11"}]
    assert mag2["mag"]["access_interfaces"] == [{"name": "acc0", "access_technology": "ieee-802.3"}]
    assert [r["name"] for r in mag1["offload"]] == ["local-printers"] and mag2["offload"] == []
    assert mag1["control_socket"] == "/run/pmipv6/mag1.sock" and mag1["state_dir"] == "/var/lib/pmipv6/mag1"
    custom = model.agent_config(CAMPUS, "mag1", {"control_socket": "/tmp/{node}.sock"})
    assert custom["control_socket"] == "/tmp/mag1.sock"
    for cfg in (mag1, mag2):
        assert agent_parser()(yaml.safe_dump(cfg)).mag.binding_lifetime == 3600


def test_agent_config_refuses_invalid_domains_and_unknown_nodes():
    with pytest.raises(model.DomainError) as err:
        model.agent_config(changed("mags.mag2.lma", "lma9"), "mag1")
    assert err.value.problems == ["pmipv6_domain.mags.mag2.lma: unknown LMA 'lma9'"]
    with pytest.raises(model.DomainError, match="no LMA or MAG named 'mag9'"):
        model.agent_config(CAMPUS, "mag9")
    iosxe = changed("mags.mag2.platform", "iosxe")
    with pytest.raises(model.DomainError, match="iosxe nodes get no agent configuration"):
        model.agent_config(iosxe, "mag2")

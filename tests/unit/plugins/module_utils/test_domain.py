"""The domain model: every validation rule names its path, the agent configs it maps to are
accepted by the agent's own config parser, and the IOS-XE module configs it maps to fit the
modules' argument specs."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain as model
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import argspec

CAMPUS = yaml.safe_load((Path(__file__).parent / "fixtures" / "campus.yml").read_text())
HOSTS = {"lma-host": "lma1", "mag1-host": "mag1", "mag2-host": "mag2", "cn-host": None}
EXAMPLE = Path(__file__).resolve().parents[4] / "inventories" / "example"


def _example_inventory() -> tuple[dict, dict]:
    """The example inventory's domain (vault placeholders filled in, as Ansible would template
    them) and its host -> pmipv6_node mapping."""
    secrets = yaml.safe_load((EXAMPLE / "group_vars" / "all" / "vault.yml").read_text())
    text = (EXAMPLE / "group_vars" / "all" / "domain.yml").read_text()
    text = re.sub(r"\{\{ *(\w+) *\}\}", lambda m: secrets[m.group(1)], text)
    hosts = {}
    for group in yaml.safe_load((EXAMPLE / "hosts.yml").read_text())["all"]["children"].values():
        hosts.update({name: host.get("pmipv6_node") for name, host in group["hosts"].items()})
    return yaml.safe_load(text)["pmipv6_domain"], hosts


METRO, METRO_HOSTS = _example_inventory()


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
    with pytest.raises(model.DomainError, match="iosxe nodes get no agent configuration"):
        model.agent_config(METRO, "mag3")


# -- IOS-XE nodes -------------------------------------------------------------------------------
def test_the_example_inventory_is_a_valid_mixed_domain():
    assert model.validate(METRO, METRO_HOSTS) == []
    platforms = {name: platform for name, (_role, platform) in model.nodes(METRO).items()}
    assert platforms == {"lma1": "linux", "mag1": "linux", "mag2": "linux", "mag3": "iosxe", "mag4": "iosxe"}


def test_an_iosxe_mag_gets_its_domain_and_mag_entries():
    cfg = model.iosxe_config(METRO, "mag3")
    assert set(cfg) == {"domain", "mag"}
    assert cfg["domain"] == [
        {
            "name": "metro",
            "replay_window": 200,
            "lmas": [{"name": "lma1", "ipv6_address": "2001:db8:c::1"}],
            "nais": [
                {"name": "alice@metro.example", "lma": "lma1", "service": "ipv6"},
                {"name": "bob@metro.example", "lma": "lma1", "service": "ipv6"},
                {"name": "carol@metro.example", "lma": "lma1", "service": "ipv6"},
            ],
            "auth_option": {"spi": 256, "key": {"ascii": METRO["auth"]["key"]}},
        }
    ]
    assert cfg["mag"] == [
        {
            "name": "mag3",
            "domain": "metro",
            "address": {"ipv6": "2001:db8:c::11"},
            "interfaces": ["GigabitEthernet0/0/1"],
            "role": "WLAN",  # ap3 is ieee-802.11
            "binding": {"lifetime": 3600},
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 10},
            "discover_mn_detach": {"interval": 10, "timeout": 2, "retries": 2},  # the domain's detach_poll
            "lmas": [{"name": "lma1", "domain": "metro", "ipv6_addresses": ["2001:db8:c::1"]}],
            "dscp": {"control_plane": 46},  # from the node's iosxe: mapping
        }
    ]
    mag4 = model.iosxe_config(METRO, "mag4")["mag"][0]
    assert mag4["role"] == "LTE" and mag4["interfaces"] == ["GigabitEthernet0/0/2"]
    assert mag4["discover_mn_detach"] == {"interval": 20, "timeout": 2, "retries": 3}  # its own detach_poll
    assert "dscp" not in mag4


def iosxe_lma_domain() -> dict:
    """The example domain with its LMA on IOS-XE too (and BCE timers set)."""
    doc = changed("lmas.lma1.platform", "iosxe", METRO)
    doc["min_delay_before_bce_delete_ms"] = 10000
    doc["max_delay_before_new_bce_assign_ms"] = 1500
    doc["lmas"]["lma1"]["iosxe"] = {
        "networks": [{"name": "metro-net", "pool_ipv6": {"name": "hnp", "pfxlen": 64}}]
    }
    return doc


def test_an_iosxe_lma_gets_its_domain_and_lma_entries():
    doc = iosxe_lma_domain()
    assert model.validate(doc) == []
    cfg = model.iosxe_config(doc, "lma1")
    assert set(cfg) == {"domain", "lma"} and cfg["domain"][0]["nais"][0]["lma"] == "lma1"
    assert cfg["lma"] == [
        {
            "name": "lma1",
            "domain": "metro",
            "address": {"ipv6": ["2001:db8:c::1"]},
            "bce": {"lifetime": 3600, "create_wait_time": 1500, "delete_wait_time": 10000},
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 10},
            "mags": [  # every MAG it serves, Linux or IOS-XE
                {"name": f"mag{n}", "domain": "metro", "ipv6_address": address}
                for n, address in (
                    (1, "2001:db8:c::2"),
                    (2, "2001:db8:c::3"),
                    (3, "2001:db8:c::11"),
                    (4, "2001:db8:c::12"),
                )
            ],
            "networks": [{"name": "metro-net", "pool_ipv6": {"name": "hnp", "pfxlen": 64}}],
        }
    ]


@pytest.mark.parametrize(
    ("technology", "role"),
    [
        ("ieee-802.11", "WLAN"),
        ("3gpp-eutran", "LTE"),
        ("ieee-802.16e", "WIMAX"),
        ("3gpp-utran", "3GPP"),
        ("3gpp-nb-iot", "3GPP"),
        ("ieee-802.3", "WLAN"),  # no IOS-XE role of its own: the device default
        ("3gpp2-ehrpd", "WLAN"),
    ],
)
def test_the_mag_role_follows_the_access_technology(technology, role):
    doc = changed(
        "mags.mag4.access_interfaces",
        [{"name": "GigabitEthernet0/0/2", "access_technology": technology}],
        METRO,
    )
    assert model.iosxe_config(doc, "mag4")["mag"][0]["role"] == role


def test_the_mapped_configs_fit_the_modules_argument_specs():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    for doc, node in ((METRO, "mag3"), (METRO, "mag4"), (iosxe_lma_domain(), "lma1")):
        for resource, config in model.iosxe_config(doc, node).items():
            validator = ArgumentSpecValidator(
                argspec.argument_spec(resource),
                mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
                required_if=argspec.REQUIRED_IF,
            )
            result = validator.validate({"config": config, "state": "replaced"})
            assert not result.error_messages, (node, resource, result.error_messages)


def test_iosxe_overrides_merge_into_keyed_lists_and_default_the_domain():
    doc = changed(
        "mags.mag3.iosxe", {"lmas": [{"name": "lma1", "encap": "gre-ipv6"}], "interfaces": ["Vlan10"]}, METRO
    )
    assert model.validate(doc) == []
    mag = model.iosxe_config(doc, "mag3")["mag"][0]
    assert mag["lmas"] == [
        {"name": "lma1", "domain": "metro", "ipv6_addresses": ["2001:db8:c::1"], "encap": "gre-ipv6"}
    ]
    assert mag["interfaces"] == ["Vlan10"]  # lists of strings are replaced
    domain = changed("iosxe", {"encap": "gre-ipv6", "replay_window": 100}, METRO)
    entry = model.iosxe_config(domain, "mag3")["domain"][0]
    assert entry["encap"] == "gre-ipv6" and entry["replay_window"] == 100


def test_iosxe_config_refuses_linux_nodes_unknown_nodes_and_invalid_domains():
    with pytest.raises(
        model.DomainError, match=r"mags\.mag1\.platform: linux nodes get an agent configuration"
    ):
        model.iosxe_config(METRO, "mag1")
    with pytest.raises(model.DomainError, match="no LMA or MAG named 'mag9'"):
        model.iosxe_config(METRO, "mag9")
    with pytest.raises(model.DomainError) as err:
        model.iosxe_config(changed("binding_lifetime", 65540, METRO), "mag3")
    assert err.value.problems == [
        "pmipv6_domain.binding_lifetime: 65540 is out of the IOS-XE range 8..65532 (IOS-XE nodes: mag3, mag4)"
    ]


def test_linux_nodes_of_a_mixed_domain_still_get_their_agent_configs():
    lma = model.agent_config(METRO, "lma1")
    assert [m["address"] for m in lma["lma"]["mags"]] == [
        "2001:db8:c::2",
        "2001:db8:c::3",
        "2001:db8:c::11",
        "2001:db8:c::12",
    ]
    assert "timeout" not in lma["heartbeat"]  # IOS-XE only
    assert agent_parser()(yaml.safe_dump(model.agent_config(METRO, "mag1"))).role == "mag"


AP3_AND_LTE = [
    {"name": "GigabitEthernet0/0/1", "aps": ["ap3"]},
    {"name": "GigabitEthernet0/0/2", "access_technology": "3gpp-eutran"},
]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        # lifetimes
        (
            "binding_lifetime",
            65540,
            "pmipv6_domain.binding_lifetime: 65540 is out of the IOS-XE range 8..65532 (IOS-XE nodes: "
            "mag3, mag4)",
        ),
        (
            "mags.mag3.iosxe",
            {"binding": {"lifetime": 3601}},
            "pmipv6_domain.mags.mag3.iosxe.binding.lifetime: 3601 is not a multiple of 4",
        ),
        (
            "mags.mag3.iosxe",
            {"binding": {"refresh_time": 2}},
            "pmipv6_domain.mags.mag3.iosxe.binding.refresh_time: 2 is out of the IOS-XE range 4..65532",
        ),
        # heartbeat, detach polling, replay protection
        (
            "heartbeat",
            {"interval": 30, "missed": 20},
            "pmipv6_domain.heartbeat.missed: 20 is out of the IOS-XE range 1..10 (IOS-XE nodes: mag3, mag4)",
        ),
        (
            "heartbeat",
            {"interval": 2.5, "missed": 3},
            "pmipv6_domain.heartbeat.interval: 2.5 is not a whole number",
        ),
        (
            "mags.mag3.iosxe",
            {"heartbeat": {"retries": 11}},
            "pmipv6_domain.mags.mag3.iosxe.heartbeat.retries: 11 is out of the IOS-XE range 1..10",
        ),
        (
            "detach_poll",
            {"interval": 5, "timeout": 1, "retries": 2},
            "pmipv6_domain.detach_poll.interval: 5 is out of the IOS-XE range 10..36000 (IOS-XE nodes: mag3)",
        ),
        (
            "mags.mag4.detach_poll",
            {"interval": 20, "timeout": 0.5, "retries": 3},
            "pmipv6_domain.mags.mag4.detach_poll.timeout: 0.5 is not a whole number",
        ),
        (
            "mags.mag4.detach_poll",
            {"interval": 20, "timeout": 2, "retries": 0},
            "pmipv6_domain.mags.mag4.detach_poll.retries: 0 is out of the IOS-XE range 1..10",
        ),
        (
            "replay_protection",
            {"mode": "timestamp", "window_ms": 300},
            "pmipv6_domain.replay_protection.window_ms: 300 is out of the IOS-XE range 3..255 (IOS-XE "
            "nodes: mag3, mag4)",
        ),
        (
            "replay_protection",
            DELETE,
            "pmipv6_domain.replay_protection.window_ms: unset, and the default 300 is out of the IOS-XE",
        ),
        (
            "replay_protection",
            {"mode": "sequence"},
            "pmipv6_domain.replay_protection.mode: IOS-XE has timestamp replay protection only",
        ),
        (
            "iosxe",
            {"replay_window": 2},
            "pmipv6_domain.iosxe.replay_window: 2 is out of the IOS-XE range 3..255",
        ),
        # authentication
        (
            "auth.spi",
            20000000,
            "pmipv6_domain.auth.spi: 20000000 is out of the IOS-XE range 256..12345678 (IOS-XE nodes: "
            "mag3, mag4)",
        ),
        ("auth.key", "a key with spaces in it", "pmipv6_domain.auth.key: not representable on IOS-XE"),
        # interface names by platform, one role per IOS-XE MAG
        (
            "mags.mag3.access_interfaces.0.name",
            "eth0",
            "pmipv6_domain.mags.mag3.access_interfaces[0].name: not an IOS interface name in full",
        ),
        (
            "mags.mag3.access_interfaces.0.name",
            "gi0/0/1",
            "pmipv6_domain.mags.mag3.access_interfaces[0].name: not an IOS interface name",
        ),
        (
            "mags.mag1.access_interfaces.0.name",
            "GigabitEthernet0/0/1",
            "pmipv6_domain.mags.mag1.access_interfaces[0].name: not a Linux interface name",
        ),
        (
            "mags.mag3.access_interfaces",
            AP3_AND_LTE,
            "pmipv6_domain.mags.mag3.access_interfaces: an IOS-XE MAG has one role, but its access "
            "technologies map to LTE, WLAN",
        ),
        # the LMA address of an IOS-XE MAG is the LMA node's
        (
            "mags.mag3.iosxe",
            {"lmas": [{"name": "lma1", "ipv6_addresses": ["2001:db8:c::99"]}]},
            "pmipv6_domain.mags.mag3.iosxe.lmas[0].ipv6_addresses: must be [2001:db8:c::1], the "
            "address of LMA lma1",
        ),
        (
            "mags.mag3.iosxe",
            {"lmas": [{"name": "lma7"}]},
            "pmipv6_domain.mags.mag3.iosxe.lmas[0].name: 'lma7' is not this MAG's LMA (lma1)",
        ),
        (
            "mags.mag3.iosxe",
            {"lmas": [{"name": "lma1", "domain": "other"}]},
            "pmipv6_domain.mags.mag3.iosxe.lmas[0].domain: 'other' is not this domain (metro)",
        ),
        (
            "mags.mag3.iosxe",
            {"address": {"ipv6": "2001:db8:c::77"}},
            "pmipv6_domain.mags.mag3.iosxe.address.ipv6: must be 2001:db8:c::11, the MAG's address",
        ),
        (
            "iosxe",
            {"lmas": [{"name": "lma1", "ipv6_address": "2001:db8:c::5"}]},
            "pmipv6_domain.iosxe.lmas[0].ipv6_address: must be 2001:db8:c::1, the address of LMA lma1",
        ),
        # overrides fit the modules' model
        (
            "mags.mag3.iosxe",
            {"tunnel_templat": "Tunnel1"},
            "pmipv6_domain.mags.mag3.iosxe.tunnel_templat: unknown option (expected one of",
        ),
        (
            "mags.mag3.iosxe",
            {"name": "other"},
            "pmipv6_domain.mags.mag3.iosxe.name: comes from the domain model",
        ),
        (
            "mags.mag3.iosxe",
            {"role": "wlan"},
            "pmipv6_domain.mags.mag3.iosxe.role: 'wlan' is not one of 3GPP, LTE, WIMAX, WLAN",
        ),
        (
            "mags.mag3.iosxe",
            {"binding": {"lifetime": "long"}},
            "pmipv6_domain.mags.mag3.iosxe.binding.lifetime: expected an int, got 'long'",
        ),
        (
            "mags.mag3.iosxe",
            {"lmas": [{"encap": "gre-ipv6"}]},
            "pmipv6_domain.mags.mag3.iosxe.lmas[0].name: required",
        ),
        ("mags.mag3.iosxe", {"bce": {"lifetime": 100}}, "pmipv6_domain.mags.mag3.iosxe.bce: unknown option"),
        (
            "mags.mag3.iosxe",
            ["dscp"],
            "pmipv6_domain.mags.mag3.iosxe: expected a mapping of IOS-XE model options",
        ),
        (
            "mags.mag1.iosxe",
            {"dscp": {"control_plane": 46}},
            "pmipv6_domain.mags.mag1.iosxe: only IOS-XE nodes (platform: iosxe) take iosxe options",
        ),
        (
            "iosxe",
            {"nais": [{"name": "x@metro.example", "service": "ipv9"}]},
            "pmipv6_domain.iosxe.nais[0].service: 'ipv9' is not one of",
        ),
    ],
)
def test_each_iosxe_problem_names_its_path(path, value, expected):
    problems = model.validate(changed(path, value, METRO), METRO_HOSTS)
    assert any(p.startswith(expected) for p in problems), problems


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "binding_lifetime",
            65540,
            "pmipv6_domain.binding_lifetime: 65540 is out of the IOS-XE range 10..65535 (IOS-XE nodes: lma1)",
        ),
        (
            "max_delay_before_new_bce_assign_ms",
            70000,
            "pmipv6_domain.max_delay_before_new_bce_assign_ms: 70000 is out of the IOS-XE range 1..65535",
        ),
        (
            "lmas.lma1.iosxe",
            {"bce": {"lifetime": 9}},
            "pmipv6_domain.lmas.lma1.iosxe.bce.lifetime: 9 is out of the IOS-XE range 10..65535",
        ),
        (
            "lmas.lma1.iosxe",
            {"mags": [{"name": "mag1", "ipv6_address": "2001:db8:c::9"}]},
            "pmipv6_domain.lmas.lma1.iosxe.mags[0].ipv6_address: must be 2001:db8:c::2, the address of "
            "MAG mag1",
        ),
        (
            "lmas.lma1.iosxe",
            {"address": {"ipv6": ["2001:db8:c::9"]}},
            "pmipv6_domain.lmas.lma1.iosxe.address.ipv6: must include 2001:db8:c::1",
        ),
        (
            "lmas.lma1.iosxe",
            {"replay_window": [7]},
            "pmipv6_domain.lmas.lma1.iosxe.replay_window: expected a str, got [7]",
        ),
    ],
)
def test_each_iosxe_lma_problem_names_its_path(path, value, expected):
    doc = changed(
        "mags", {k: v for k, v in METRO["mags"].items() if k in ("mag1", "mag2")}, iosxe_lma_domain()
    )
    doc["aps"] = {k: v for k, v in METRO["aps"].items() if k != "ap3"}
    assert model.validate(doc) == []
    problems = model.validate(changed(path, value, doc))
    assert any(p.startswith(expected) for p in problems), problems


def test_iosxe_checks_apply_only_where_iosxe_nodes_are():
    """The lab's all-Linux settings (300 ms window, 5 s detach polling) are fine without IOS-XE
    nodes; one IOS-XE MAG makes the domain-wide ones count, naming only that node."""
    linux = changed("detach_poll", {"interval": 5, "timeout": 1, "retries": 2}, CAMPUS)
    assert model.validate(linux) == []
    one = changed(
        "mags.mag2",
        dict(
            CAMPUS["mags"]["mag2"],
            platform="iosxe",
            access_interfaces=[{"name": "GigabitEthernet1", "aps": ["ap3"]}],
        ),
        linux,
    )
    assert sorted(model.validate(one)) == [
        "pmipv6_domain.detach_poll.interval: 5 is out of the IOS-XE range 10..36000 (IOS-XE nodes: mag2)",
        "pmipv6_domain.replay_protection.window_ms: 300 is out of the IOS-XE range 3..255"
        " (IOS-XE nodes: mag2)",
    ]


def test_the_auth_key_is_never_part_of_a_problem():
    secret = "not a good key because of spaces"
    problems = model.validate(changed("auth.key", secret, METRO))
    assert problems and not any(secret in p for p in problems)
    wrong_type = {"lmas": [{"name": "lma1", "auth_option": {"key": {"ascii": [secret]}}}]}
    assert model.validate(changed("mags.mag3.iosxe", wrong_type, METRO)) == [
        "pmipv6_domain.mags.mag3.iosxe.lmas[0].auth_option.key.ascii: expected a str, got (hidden)"
    ]


def test_iosxe_junk_never_raises():
    for junk in (
        {"name": "x", "lmas": {"l": {"platform": "iosxe", "iosxe": 5}}, "mags": {"m": "x"}},
        {
            "name": "x",
            "lmas": {"l": None},
            "mags": {"m": {"platform": "iosxe", "iosxe": {"lmas": [5, None]}, "access_interfaces": "x"}},
        },
        {
            "name": "x",
            "lmas": [],
            "mags": {"m": {"platform": "iosxe", "detach_poll": "x", "iosxe": {"heartbeat": 5}}},
            "heartbeat": [],
        },
    ):
        assert model.validate(junk)

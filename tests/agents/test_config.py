"""Agent config validation: every problem reported as `path: problem`, all at once."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from pmipv6.config import ConfigError, parse_config

LMA = {
    "node": "lma1",
    "role": "lma",
    "domain": "campus",
    "address": "2001:db8:c::1",
    "control_socket": "/run/pmipv6/lma1.sock",
    "state_dir": "/var/lib/pmipv6/lma1",
    "dataplane": "none",
    "replay_protection": {"mode": "timestamp", "window_ms": 300},
    "auth": {"spi": 256, "key": "s3cret", "algorithm": "hmac-sha1"},
    "heartbeat": {"interval": 30, "missed": 3},
    "lma": {
        "hnp_pools": ["2001:db8:100::/48"],
        "hnp_length": 64,
        "mags": [{"name": "mag1", "address": "2001:db8:c::2"}],
        "binding_lifetime_max": 3600,
        "min_delay_before_bce_delete_ms": 10000,
        "max_delay_before_new_bce_assign_ms": 1500,
    },
    "mobile_nodes": [
        {"id": "alice@campus.example", "mac": "02:00:00:00:00:0A", "lma": "lma1"},
        {
            "id": "bob@campus.example",
            "mac": "02:00:00:00:00:0b",
            "lma": "lma1",
            "hnp": ["2001:db8:100:b::/64"],
        },
    ],
    "offload": [],
}

MAG = {
    "node": "mag1",
    "role": "mag",
    "address": "2001:db8:c::2",
    "control_socket": "/run/pmipv6/mag1.sock",
    "state_dir": "/var/lib/pmipv6/mag1",
    "mag": {
        "lma": {"name": "lma1", "address": "2001:db8:c::1"},
        "access_interfaces": [{"name": "acc0", "access_technology": "ieee-802.11"}],
        "link_local_address": "fe80::200:5eff:fe00:5213",
        "binding_lifetime": 3600,
        "detach_poll": {"interval": 10, "timeout": 2, "retries": 2},
    },
}


def test_design_example_lma_parses():
    cfg = parse_config(yaml.safe_dump(LMA))
    assert cfg.role == "lma" and cfg.lma.hnp_pools == ["2001:db8:100::/48"]
    assert cfg.lma.mags[0].raw == bytes.fromhex("20010db8000c00000000000000000002")
    assert cfg.auth.key == b"s3cret"
    assert cfg.mobile_nodes[0].mac == "02:00:00:00:00:0a"  # normalised
    assert cfg.mobile_nodes[1].hnp == ["2001:db8:100:b::/64"]


def test_design_example_mag_parses_with_defaults():
    cfg = parse_config(yaml.safe_dump(MAG))
    assert cfg.mag.access_interfaces[0].access_technology == 4
    assert cfg.replay_protection.mode == "timestamp" and cfg.replay_protection.window_ms == 300
    assert cfg.mag.retransmit.initial_ms == 1500 and cfg.mag.retransmit.max_ms == 32000
    assert cfg.dataplane == "auto"
    assert cfg.persistence is True
    assert cfg.mag.detection.router_solicitation and cfg.mag.detection.neighbour


def test_persistence_and_detection_switches():
    doc = _with(_with(MAG, "persistence", False), "mag.detection", {"router_solicitation": False})
    cfg = parse_config(yaml.safe_dump(doc))
    assert cfg.persistence is False
    assert not cfg.mag.detection.router_solicitation and cfg.mag.detection.neighbour


def _with(base: dict, path: str, value) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(base))
    *parents, last = path.split(".")
    node = doc
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("base", "path", "value", "expected"),
    [
        (LMA, "address", "10.0.0.1", "address: not an IPv6 address"),
        (LMA, "role", "ha", "role: 'ha' is not one of lma, mag"),
        (LMA, "node", _DELETE, "node: required"),
        (LMA, "lma.hnp_pools", ["2001:db8:100::/48", "2001:db8:100:8000::/49"], "lma.hnp_pools[1]: overlaps"),
        (LMA, "lma.hnp_pools", ["not-a-prefix"], "lma.hnp_pools[0]: not an IPv6 prefix"),
        (LMA, "lma.hnp_pools", ["2001:db8:100::/80"], "lma.hnp_pools[0]: pool 2001:db8:100::/80 is longer"),
        (LMA, "lma.binding_lifetime_max", 300000, "lma.binding_lifetime_max: 300000 out of range"),
        (LMA, "lma.mags", [{"name": "m", "address": "zz"}], "lma.mags[0].address: not an IPv6 address"),
        (LMA, "replay_protection.mode", "nonce", "replay_protection.mode: 'nonce' is not one of"),
        (LMA, "auth.spi", 12, "auth.spi: 12 out of range 256"),
        (LMA, "bogus", 1, "bogus: unknown key"),
        (LMA, "mobile_nodes.1.mac", "02:00:00:00:00:0a", "mobile_nodes[1].mac: duplicate MAC"),
        (LMA, "mobile_nodes.1.id", "alice@campus.example", "mobile_nodes[1].id: duplicate mobile node id"),
        (LMA, "mobile_nodes.0.mac", "xx", "mobile_nodes[0].mac: not a MAC address"),
        (LMA, "mag", {"lma": {"address": "2001:db8::1"}}, "mag: only allowed when role is mag"),
        (MAG, "mag.binding_lifetime", 3601, "mag.binding_lifetime: 3601 is not a multiple of 4"),
        (
            MAG,
            "mag.link_local_address",
            "2001:db8::1",
            "mag.link_local_address: 2001:db8::1 is not a link-local",
        ),
        (
            MAG,
            "mag.access_interfaces.0.access_technology",
            "carrier-pigeon",
            "access_technology: 'carrier-pigeon'",
        ),
        (MAG, "mag.lma", {"name": "x"}, "mag.lma.address: required"),
        (MAG, "heartbeat", {"interval": 0, "missed": 3}, "heartbeat.interval: 0 out of range"),
        (MAG, "persistence", "yes", "persistence: expected true or false, got 'yes'"),
        (
            MAG,
            "mag.detection",
            {"router_solicitation": 1},
            "mag.detection.router_solicitation: expected true",
        ),
        (MAG, "mag.detection", {"arp": True}, "mag.detection.arp: unknown key"),
        (LMA, "lma.accept_att_zero", "no", "lma.accept_att_zero: expected true or false"),
    ],
)
def test_problems_name_path_and_cause(base, path, value, expected):
    with pytest.raises(ConfigError) as err:
        parse_config(yaml.safe_dump(_with(base, path, value)))
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_all_problems_reported_at_once():
    doc = _with(_with(LMA, "address", "nope"), "lma.hnp_length", 200)
    with pytest.raises(ConfigError) as err:
        parse_config(yaml.safe_dump(doc))
    assert len(err.value.problems) >= 2


def test_not_yaml():
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_config("node: [unclosed", "x.yaml")


def test_check_config_cli(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump(LMA))
    bad.write_text(yaml.safe_dump(_with(LMA, "address", "10.0.0.1")))
    ok = subprocess.run(
        [sys.executable, "-m", "pmipv6.daemon", "--check-config", str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "OK" in ok.stdout
    ko = subprocess.run(
        [sys.executable, "-m", "pmipv6.daemon", "--check-config", str(bad)], capture_output=True, text=True
    )
    assert ko.returncode == 1
    assert f"{bad}: address: not an IPv6 address: '10.0.0.1'" in ko.stderr

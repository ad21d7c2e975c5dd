"""normalise(): the canonical form, input errors naming their path, and masking of keys."""

from __future__ import annotations

import pytest

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r


def test_canonical_form():
    given = [
        {
            "name": "mag2",
            "domain": "dn1",
            "role": "wlan",  # the default, in another case
            "binding": {"lifetime": 3600, "refresh_time": None, "maximum": 64},
            "generate_grekey": True,
            "ignore_grekey": False,
            "sessionmgr": False,
            "bri": {"delay_min": 1000, "delay_max": 2000, "retries": None},
            "local_routing_mag": {"enabled": None, "acl": "A"},
            "tunnel": {"mtu": None, "nat": "INSIDE"},
            "tunnel_template": "tunnel5",
            "interfaces": ["Gi2", "Gi1", "Gi2"],
            "lmas": [
                {
                    "name": "b",
                    "domain": "dn1",
                    "ipv6_addresses": ["2001:DB8:0::2", "2001:db8::2", "2001:db8::1"],
                },
                {"name": "a", "domain": "dn1", "encap": "GRE-IPV4", "ipv4_addresses": ["198.18.0.1"]},
            ],
        },
        {"name": "mag1", "domain": "dn1"},
    ]
    assert r.normalise("mag", given) == [
        {"name": "mag1", "domain": "dn1"},
        {
            "name": "mag2",
            "domain": "dn1",
            "binding": {"maximum": 64},
            "local_routing_mag": {"enabled": True, "acl": "A"},
            "tunnel": {"nat": "inside"},
            "tunnel_template": "Tunnel5",
            "interfaces": ["Gi1", "Gi2"],
            "lmas": [
                {"name": "a", "domain": "dn1", "encap": "gre-ipv4", "ipv4_addresses": ["198.18.0.1"]},
                {"name": "b", "domain": "dn1", "ipv6_addresses": ["2001:db8::1", "2001:db8::2"]},
            ],
        },
    ]
    assert (
        r.normalise("lma", [{"name": "l", "domain": "d", "replay_window": "IGNORE"}])[0]["replay_window"]
        == "ignore"
    )
    assert r.normalise("lma", [{"name": "l", "domain": "d", "replay_window": "7"}]) == [
        {"name": "l", "domain": "d"}
    ]
    assert r.normalise("mag", None) == [] and r.normalise("mag", []) == []


@pytest.mark.parametrize(
    "resource, config, message",
    [
        (
            "mag",
            [
                {
                    "name": "m",
                    "domain": "d",
                    "lmas": [
                        {"name": "a", "domain": "d"},
                        {"name": "b", "domain": "d", "ipv6_addresses": ["zz"]},
                    ],
                }
            ],
            "config[0].lmas[1].ipv6_addresses[0]: 'zz' is not an IPv6 address",
        ),
        ("mag", [{"name": "m"}], "config[0]: the key option 'domain' is missing"),
        ("mag", [{"name": "", "domain": "d"}], "config[0].name: '' is not a non-empty string"),
        ("mag", [{"name": ["m"], "domain": "d"}], "config[0].name: ['m'] is not a non-empty string"),
        (
            "mag",
            [{"name": "m", "domain": "d", "role": "CAR"}],
            "config[0].role: 'CAR' is not one of: 3GPP, LTE, WIMAX, WLAN",
        ),
        ("mag", [{"name": "m", "domain": "d", "colour": "red"}], "config[0]: unknown option 'colour'"),
        (
            "mag",
            [{"name": "m", "domain": "d", "binding": {"lifespan": 4}}],
            "config[0].binding: unknown option 'lifespan'",
        ),
        ("mag", [{"name": "m", "domain": "d", "binding": 4}], "config[0].binding: expected a dict, got 4"),
        (
            "mag",
            [{"name": "m", "domain": "d", "binding": {"lifetime": "long"}}],
            "config[0].binding.lifetime: 'long' is not an integer",
        ),
        (
            "mag",
            [{"name": "m", "domain": "d", "address": {"ipv4": "198.18.0.300"}}],
            "config[0].address.ipv4: '198.18.0.300' is not an IPv4 address",
        ),
        (
            "mag",
            [{"name": "m", "domain": "d", "heartbeat": {"interval": 5}}],
            "config[0].heartbeat: incomplete, also set heartbeat.retries, heartbeat.timeout",
        ),
        (
            "mag",
            [{"name": "m", "domain": "d", "dscp": {"force": True}}],
            "config[0].dscp: incomplete, also set dscp.control_plane",
        ),
        (
            "mag",
            [{"name": "m", "domain": "d", "local_routing_mag": {"enabled": False, "acl": "A"}}],
            "config[0].local_routing_mag.enabled is false but other options of it are set",
        ),
        (
            "domain",
            [{"name": "d", "auth_option": {"spi": 300, "spi_hex": "1F", "key": {"hex": "AA"}}}],
            "config[0]: auth_option.spi and auth_option.spi_hex exclude each other",
        ),
        (
            "domain",
            [{"name": "d", "nais": [{"name": "alice"}]}],
            "config[0].nais[0].name: 'alice' is not a NAI (user@realm or @realm)",
        ),
        (
            "mag",
            [{"name": "m", "domain": "d"}, {"name": "m", "domain": "d"}],
            "config[1]: duplicate entry m/d (also config[0])",
        ),
        (
            "lma",
            [{"name": "l", "domain": "d", "rats": [{"priority": 3}]}],
            "config[0].rats[0]: the key option 'name' is missing",
        ),
        (
            "lma",
            [{"name": "l", "domain": "d", "replay_window": "often"}],
            "config[0].replay_window: 'often' is not a window (a number or 'ignore')",
        ),
        ("mag", {"name": "m"}, "config: expected a list, got {'name': 'm'}"),
    ],
)
def test_bad_input_names_its_path(resource, config, message):
    with pytest.raises(ValueError) as err:
        r.normalise(resource, config)
    assert str(err.value) == message


def test_ranges_are_left_to_the_device():
    assert r.normalise("mag", [{"name": "m", "domain": "d", "binding": {"lifetime": 3601}}])[0][
        "binding"
    ] == {"lifetime": 3601}


def test_mask_hides_keys_in_models_commands_and_xml():
    config = [
        {
            "name": "d",
            "auth_option": {"spi": 300, "key": {"ascii": "s3cret", "encryption": 7}},
            "nais": [{"name": "@r", "auth_option": {"spi_hex": "1F", "key": {"hex": "ABCD"}}}],
        }
    ]
    canonical = r.normalise("domain", config)
    masked = r.mask("domain", canonical)
    assert masked[0]["auth_option"]["key"] == {"ascii": "********", "encryption": 7}
    assert masked[0]["nais"][0]["auth_option"]["key"] == {"hex": "********"}
    assert config[0]["auth_option"]["key"]["ascii"] == "s3cret"  # a copy
    assert canonical[0]["nais"][0]["auth_option"]["key"]["hex"] == "ABCD"  # of what mask was given
    lines = r.mask_commands(r.render_cli("domain", config))
    text = "\n".join(lines) + r.mask_xml(r.render_xml("domain", config))
    assert "s3cret" not in text and "ABCD" not in text
    assert " auth-option spi decimal 300 key ascii 7 ********" in lines
    assert "<hex-val>1F</hex-val>" in r.mask_xml(r.render_xml("domain", config))
    assert r.mask_xml(None) is None


def test_a_masked_model_renders_for_display():
    config = [{"name": "d", "auth_option": {"spi": 300, "key": {"hex": "ABCD"}}}]
    masked = r.mask("domain", r.normalise("domain", config))
    assert r.render_cli("domain", masked)[1] == " auth-option spi decimal 300 key hex ********"

"""Running-config text <-> model: what the parser tolerates and how the renderer writes."""

from __future__ import annotations

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r

SHOW_RUN = """Building configuration...

Current configuration : 812 bytes
!
version 17.18
!
hostname R1
!
vrf definition blue
!
ipv6 mobile pmipv6-domain dn1
 encap gre-ipv6
 nai alice@example.com
  service ipv4
  lma lma1
!
ipv6 mobile pmipv6-mag mag1 domain dn1
 role WLAN
 binding lifetime 3600
 binding lifetime 4000
 heartbeat label L1 timeout 5
 address dynamic
  roaming interface Gi1 priority 5
 no generate grekey
 interface GigabitEthernet0/0/1
 lma lma1 dn1
  tunnel-template label L2 Tunnel7
  ipv6-address 2001:DB8:0:0::1
  encap gre-ipv6
 sessionmgr
!
end
"""


def test_whole_show_running_config_with_defaults_and_unknown_lines():
    assert r.parse_cli("mag", SHOW_RUN.replace("\n", "\r\n")) == [
        {
            "name": "mag1",
            "domain": "dn1",
            "binding": {"lifetime": 4000},  # the last line wins, as on the device
            "generate_grekey": False,
            "sessionmgr": True,
            "interfaces": ["GigabitEthernet0/0/1"],
            "lmas": [
                {"name": "lma1", "domain": "dn1", "ipv6_addresses": ["2001:db8::1"], "encap": "gre-ipv6"}
            ],
        }
    ]
    # The domain block's nai `lma` line is the NAI's option, not a domain LMA sub-mode.
    assert r.parse_cli("domain", SHOW_RUN) == [
        {"name": "dn1", "encap": "gre-ipv6", "nais": [{"name": "alice@example.com", "lma": "lma1"}]}
    ]
    assert r.parse_cli("lma", SHOW_RUN) == []


def test_section_output_and_nothing():
    section = "ipv6 mobile pmipv6-lma lma1 domain dn1\n rat wlan priority 3\n address ipv6 2001:db8::1\n"
    assert r.parse_cli("lma", section) == [
        {
            "name": "lma1",
            "domain": "dn1",
            "address": {"ipv6": ["2001:db8::1"]},
            "rats": [{"name": "WLAN", "priority": 3}],
        }
    ]
    assert r.parse_cli("lma", "") == [] and r.parse_cli("lma", None) == []


def test_lines_with_bad_values_are_not_configuration():
    text = "ipv6 mobile pmipv6-mag mag1 domain dn1\n binding lifetime forty\n role CAR\n address ipv6 zz\n"
    assert r.parse_cli("mag", text) == [{"name": "mag1", "domain": "dn1"}]


def test_render_order_and_indentation():
    lines = r.render_cli(
        "mag",
        [
            {
                "name": "mag1",
                "domain": "dn1",
                "lmas": [{"name": "lma1", "domain": "dn1", "ipv4_addresses": ["198.18.0.1"]}],
                "interfaces": ["Gi2"],
                "bri": {"retries": 3},
                "binding": {"lifetime": 4000},
                "generate_grekey": False,
                "dscp": {"control_plane": 46},
            }
        ],
    )
    assert lines == [
        "ipv6 mobile pmipv6-mag mag1 domain dn1",
        " binding lifetime 4000",
        " bri retries 3",
        " dscp control-plane 46",
        " no generate grekey",
        " interface Gi2",
        " lma lma1 dn1",
        "  ipv4-address 198.18.0.1",
    ]


def test_group_lines_are_written_whole_with_defaults():
    lines = r.render_cli("mag", [{"name": "m", "domain": "d", "discover_mn_detach": {"retries": 5}}])
    assert lines[1] == " discover-mn-detach poll interval 10 timeout 2 retries 5"
    lines = r.render_cli("domain", [{"name": "d", "auth_option": {"spi_hex": "1f4", "key": {"ascii": "k"}}}])
    assert lines[1] == " auth-option spi 1f4 key ascii k"

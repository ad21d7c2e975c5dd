"""plan(): state semantics and the shape of the commands and edits it writes (no device)."""

from __future__ import annotations

import pytest

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r

HAVE = r.normalise(
    "mag",
    [
        {
            "name": "mag1",
            "domain": "dn1",
            "role": "3GPP",
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 5},
            "generate_grekey": False,
            "local_routing_mag": {"acl": "A"},
            "multipath": True,
            "mobile_map": "MAP1",
            "interfaces": ["Gi1", "Gi2"],
            "lmas": [
                {
                    "name": "lma1",
                    "domain": "dn1",
                    "ipv4_addresses": ["198.18.0.1"],
                    "encap": "gre-ipv4",
                    "auth_option": {"spi": 300, "key": {"ascii": "k", "encryption": 0}},
                },
                {"name": "lma2", "domain": "dn1"},
            ],
        }
    ],
)


def test_merged_updates_part_of_a_line_and_switches_choices():
    want = [
        {
            "name": "mag1",
            "domain": "dn1",
            "heartbeat": {"interval": 10},
            "lmas": [
                {"name": "lma1", "domain": "dn1", "auth_option": {"key": {"hex": "AB"}}, "encap": "gre-ipv6"}
            ],
        }
    ]
    plan = r.plan("mag", want, HAVE, "merged")
    assert plan.commands == [
        "ipv6 mobile pmipv6-mag mag1 domain dn1",
        "heartbeat interval 10 retries 3 timeout 5",
        "lma lma1 dn1",
        "encap gre-ipv6",
        "auth-option spi decimal 300 key hex AB",
        "exit",
    ]
    lma1 = plan.after[0]["lmas"][0]
    assert lma1["auth_option"] == {"spi": 300, "key": {"hex": "AB"}} and lma1["encap"] == "gre-ipv6"
    # the old case goes as a whole container (an empty key-opts would still count as that case)
    assert '<key-opts nc:operation="remove"/>' in plan.xml
    assert '<gre-ipv4 nc:operation="remove"/><gre-ipv6/>' in plan.xml


def test_merged_values_back_to_defaults_and_flags_off():
    want = [
        {
            "name": "mag1",
            "domain": "dn1",
            "role": "WLAN",
            "generate_grekey": True,
            "local_routing_mag": {"enabled": False},
        }
    ]
    plan = r.plan("mag", want, HAVE, "merged")
    assert plan.commands == [
        "ipv6 mobile pmipv6-mag mag1 domain dn1",
        "no local-routing-mag",
        "generate grekey",  # `no generate grekey` would store false
        "no role",
    ]
    assert '<role nc:operation="remove"/>' in plan.xml and "<acl-name" not in plan.xml


def test_replaced_touches_only_listed_entries_and_orders_removals():
    want = [{"name": "mag1", "domain": "dn1", "lmas": [{"name": "lma2", "domain": "dn1"}]}]
    plan = r.plan("mag", want, HAVE, "replaced")
    assert plan.commands == [
        "ipv6 mobile pmipv6-mag mag1 domain dn1",
        "no local-routing-mag",
        "no interface Gi2",
        "no interface Gi1",
        "no mobile-map",  # before multipath, which it needs
        "no multipath",
        "generate grekey",
        "no heartbeat interval",
        "no role",
        "no lma lma1 dn1",
    ]
    assert plan.after == r.normalise("mag", want)
    assert plan.before == HAVE
    assert r.plan("mag", [{"name": "mag9", "domain": "dn1"}], HAVE, "replaced").after[0] == HAVE[0]


def test_overridden_and_deleted_remove_whole_entries_first():
    plan = r.plan("mag", [{"name": "mag2", "domain": "dn1", "role": "LTE"}], HAVE, "overridden")
    assert plan.commands == [
        "no ipv6 mobile pmipv6-mag mag1 domain dn1",
        "ipv6 mobile pmipv6-mag mag2 domain dn1",
        "role LTE",
    ]
    assert r.plan("mag", [{"name": "mag1", "domain": "dn1", "role": "LTE"}], HAVE, "deleted").after == []
    assert r.plan("mag", [], HAVE, "deleted").commands == ["no ipv6 mobile pmipv6-mag mag1 domain dn1"]
    untouched = r.plan("mag", [{"name": "mag7", "domain": "dn1"}], HAVE, "deleted")
    assert not untouched.changed and untouched.commands == [] and untouched.xml is None


def test_sub_list_item_changes():
    have = r.normalise(
        "lma", [{"name": "l", "domain": "d", "rats": [{"name": "WLAN", "priority": 5}, {"name": "PPP"}]}]
    )
    plan = r.plan("lma", [{"name": "l", "domain": "d", "rats": [{"name": "WLAN"}]}], have, "replaced")
    # a line losing an option is taken back first: re-entering it may keep what it leaves out
    assert plan.commands == ["ipv6 mobile pmipv6-lma l domain d", "no rat WLAN", "rat WLAN", "no rat PPP"]
    assert '<rat><rat-type>WLAN</rat-type><priority nc:operation="remove"/></rat>' in plan.xml
    assert '<rat nc:operation="remove"><rat-type>PPP</rat-type></rat>' in plan.xml


def test_merged_result_must_be_complete():
    with pytest.raises(ValueError, match=r"config\[m/d\]\.heartbeat: incomplete, also set heartbeat.retries"):
        r.plan("mag", [{"name": "m", "domain": "d", "heartbeat": {"interval": 5}}], [], "merged")


def test_states_without_a_plan_are_refused():
    with pytest.raises(ValueError, match="state: 'gathered' has no plan"):
        r.plan("mag", [], HAVE, "gathered")
    with pytest.raises(ValueError, match="unknown resource 'bgp'"):
        r.plan("bgp", [], [], "merged")


@pytest.mark.parametrize(
    "have, want, first",
    [
        (
            {"init_retx_time": 40000, "max_retx_time": 50000},
            {"init_retx_time": 200, "max_retx_time": 300},
            "init",
        ),
        ({}, {"init_retx_time": 40000, "max_retx_time": 50000}, "max"),
        ({"init_retx_time": 40000, "max_retx_time": 50000}, {"max_retx_time": 2000}, "init"),
    ],
)
def test_bound_lines_never_cross_on_the_cli(have, want, first):
    """init-retx-time <= max-retx-time is checked line by line: the order keeps it true."""
    have = r.normalise("mag", [{"name": "m", "domain": "d", "binding": have}])
    plan = r.plan("mag", [{"name": "m", "domain": "d", "binding": want}], have, "replaced")
    lines = [line for line in plan.commands if "retx-time" in line]
    assert len(lines) == 2 and f"{first}-retx-time" in lines[0]

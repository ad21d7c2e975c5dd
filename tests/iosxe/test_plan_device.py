"""The codecs and the planner against the emulator, through real clients (ncclient, netmiko).

Each scenario runs over both transports: what render_xml / render_cli write is accepted and reads
back as the same model; applying a plan's xml (NETCONF) or commands (CLI) to a seeded device leaves
exactly plan.after on it, and planning again finds nothing to do. One router serves the module;
every test seeds it afresh.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from iosxe.router import Router
from netmiko import ConnectHandler

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import paths
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r

TRANSPORTS = ("netconf", "cli")

DOMAIN_SEED = """
vrf definition blue
ipv6 mobile pmipv6-domain dn1
 encap gre-ipv6
 lma lma1
  ipv6-address 2001:db8:1::1
 mag mag1
  ipv6-address 2001:db8:2::1
 nai alice@example.com
  lma lma1
  service dual
"""

# Defaults shown explicitly, one option outside the model (ssmo-format label), a sub-mode entry
# with a choice (encap gre-ipv4) and a secret.
MAG_SEED = (
    DOMAIN_SEED
    + """
ipv6 mobile pmipv6-mag mag1 domain dn1
 address ipv6 2001:db8:2::1
 role 3GPP
 binding lifetime 3600
 binding refresh-time 300
 bri retries 1
 generate grekey
 ssmo-format label
 interface GigabitEthernet0/0/1
 interface GigabitEthernet0/0/2
 lma lma1 dn1
  ipv4-address 198.18.0.1
  ipv6-address 2001:db8:1::1
  encap gre-ipv4
  auth-option spi decimal 300 key ascii 0 s3cret
"""
)

LMA_SEED = (
    DOMAIN_SEED
    + """
ipv6 mobile pmipv6-lma lma1 domain dn1
 address ipv6 2001:db8:1::1
 bce lifetime 3600
 replay-protection timestamp window 7
 dynamic mag learning
 multipath
 mobile-map MAP1
 interface GigabitEthernet2
 rat WLAN priority 5
 rat 3GPP_E_UTRAN
 mag mag1 dn1
  ipv6-address 2001:db8:2::1
  encap gre-ipv6
 network net1
  pool ipv6 v6pool pfxlen 64
  mobile-network pool 198.18.5.0 pfxlen 24 network-prefix 28
"""
)


class Lab:
    """The router plus one NETCONF session and one CLI session on it."""

    def __init__(self):
        self.router = Router(hostname="R1", cli_port=0).start()
        self.nc = self.router.netconf_connect()
        spec = self.router.spec
        self.cli = ConnectHandler(
            device_type="cisco_xe",
            host="127.0.0.1",
            port=self.router.cli_port,
            username=spec.username,
            password=spec.password,
            secret=spec.enable_password,
        )
        self.cli.enable()

    def close(self):
        self.cli.disconnect()
        self.nc.close_session()
        self.router.stop()

    def seed(self, text=""):
        self.router.device.seed_xml(f'<native xmlns="{paths.NATIVE_NS}"/>')
        if text:
            self.router.device.seed_cli(text)

    def running(self, resource):
        return self.cli.send_command(f"show running-config | section {paths.cli_section(resource)}")

    def read(self, resource, transport):
        if transport == "netconf":
            reply = self.nc.get_config(source="running", filter=("subtree", paths.subtree_filter(resource)))
            return r.parse_xml(resource, reply.xml)
        return r.parse_cli(resource, self.running(resource))

    def write(self, transport, xml=None, lines=None):
        if transport == "netconf":
            self.nc.edit_config(target="running", config=xml)
        else:
            self.cli.send_config_set(lines, error_pattern=r"^%")

    def apply(self, resource, transport, want, state):
        """Plan against the device, apply, and return (plan, the device's model afterwards)."""
        have = self.read(resource, transport)
        plan = r.plan(resource, want, have, state)
        if plan.changed:
            self.write(transport, plan.xml, plan.commands)
        return plan, self.read(resource, transport)


@pytest.fixture(scope="module")
def lab():
    lab = Lab()
    yield lab
    lab.close()


def converge(lab, resource, transport, want, state):
    """Apply a state; the device must then hold plan.after, and a second plan must be empty."""
    plan, now = lab.apply(resource, transport, want, state)
    assert plan.changed
    assert now == plan.after
    again = r.plan(resource, want, now, state)
    assert not again.changed, again.commands
    assert again.commands == [] and again.xml is None
    return plan, now


# ------------------------------------------------------------------------------- render round trip

RICH = {
    "domain": [
        {
            "name": "dn1",
            "encap": "gre-ipv4",
            "replay_window": 200,
            "local_routing_mag": True,
            "mn_profile_load_aaa": True,
            "auth_option": {"spi_hex": "1F4", "key": {"hex": "A1B2C3"}},
            "lmas": [{"name": "lma1", "ipv4_address": "198.18.0.1", "ipv6_address": "2001:DB8:1:0::1"}],
            "mags": [{"name": "mag1", "ipv6_address": "2001:db8:2::1"}, {"name": "mag2"}],
            "nais": [
                {
                    "name": "bob@example.com",
                    "lma": "lma1",
                    "network": "net1",
                    "service": "ipv6",
                    "gre_encap_key": {"up": 100, "down": 200},
                    "apn": "internet",
                    "customer": "acme",
                    "mobile_local_loop": True,
                    "auth_option": {"spi": 1000, "key": {"ascii": "k3y", "encryption": 0}},
                },
                {"name": "@example.org", "service": "ipv4"},
            ],
        }
    ],
    "mag": [
        {
            "name": "mag1",
            "domain": "dn1",
            "address": {"ipv4": "198.18.0.2", "ipv6": "2001:db8:2::1"},
            "role": "lte",
            "binding": {"lifetime": 4000, "refresh_time": 200, "init_retx_time": 500, "maximum": 64},
            "replay_window": 9,
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 5},
            "discover_mn_detach": {"interval": 20, "timeout": 2, "retries": 3},
            "bri": {"delay_min": 600, "delay_max": 3000, "retries": 2},
            "dscp": {"control_plane": 46, "force": True},
            "generate_grekey": False,
            "ignore_home_address": True,
            "ani": True,
            "apn": "internet",
            "local_routing_mag": {"enabled": True, "acl": "BREAKOUT"},
            "tunnel": {"mtu": 1400, "nat": "inside"},
            "tunnel_template": "Tunnel10",
            "multipath": True,
            "mobile_map": "MAP1",
            "interfaces": ["GigabitEthernet0/0/2", "GigabitEthernet0/0/1"],
            "lmas": [
                {
                    "name": "lma1",
                    "domain": "dn1",
                    "ipv4_addresses": ["198.18.0.1", "198.18.0.9"],
                    "ipv6_addresses": ["2001:db8:1::1"],
                    "encap": "gre-ipv4",
                    "auth_option": {"spi": 300, "key": {"ascii": "s3cret"}},
                    "dscp": {"control_plane": 10},
                    "heartbeat": {"interval": 10, "retries": 2, "timeout": 3},
                    "vrfid": "blue",
                    "tunnel_template": "Tunnel20",
                }
            ],
        }
    ],
    "lma": [
        {
            "name": "lma1",
            "domain": "dn1",
            "address": {"ipv4": ["198.18.0.1"], "ipv6": ["2001:db8:1::1", "2001:db8:1::2"]},
            "dynamic_mag_learning": True,
            "bce": {"lifetime": 7200, "maximum": 5000, "create_wait_time": 100, "delete_wait_time": 200},
            "replay_window": "ignore",
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 5},
            "bri": {"delay_max": 4000},
            "dscp": {"control_plane": 46},
            "generate_grekey": False,
            "ignore_grekey": True,
            "multipath": True,
            "mobile_map": "MAP1",
            "mobile_route_admin_distance": 10,
            "mobile_network": "aaa-authorized",
            "default_profile": "prof1",
            "aaa_accounting": True,
            "enforce_heartbeat_to_mag": True,
            "tunnel": {"acl": "TUN", "mtu": 1400},
            "interfaces": ["GigabitEthernet2"],
            "rats": [{"name": "wlan", "priority": 5}, {"name": "3GPP_E_UTRAN"}],
            "mags": [
                {
                    "name": "mag1",
                    "domain": "dn1",
                    "ipv4_address": "198.18.0.2",
                    "encap": "gre-ipv4",
                    "auth_option": {"spi": 400, "key": {"hex": "ABCD"}},
                    "dscp": {"control_plane": 12, "force": True},
                }
            ],
            "networks": [
                {
                    "name": "net1",
                    "pool_ipv4": {"name": "v4pool", "pfxlen": 24},
                    "pool_ipv6": {"name": "v6pool", "pfxlen": 64},
                    "dns": {"primary": "198.18.0.53", "secondary": "198.18.0.54"},
                }
            ],
        }
    ],
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("resource", ("domain", "mag", "lma"))
def test_rendered_config_is_accepted_and_reads_back(lab, resource, transport):
    lab.seed("" if resource == "domain" else DOMAIN_SEED)
    if transport == "netconf":
        lab.write(transport, xml=r.render_xml(resource, RICH[resource]))
    else:
        lab.write(transport, lines=r.render_cli(resource, RICH[resource]))
    assert lab.read(resource, transport) == r.normalise(resource, RICH[resource])
    # The other transport reads the same model.
    other = "cli" if transport == "netconf" else "netconf"
    assert lab.read(resource, other) == r.normalise(resource, RICH[resource])


# ---------------------------------------------------------------------------------------- states


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_defaults_shown_by_the_device_compare_equal(lab, transport):
    lab.seed(MAG_SEED)
    assert "binding lifetime 3600" in lab.running("mag")
    have = lab.read("mag", transport)
    assert "binding" not in have[0] and "bri" not in have[0]
    want = [
        {
            "name": "mag1",
            "domain": "dn1",
            "address": {"ipv6": "2001:DB8:2:0::1"},
            "role": "3GPP",
            "binding": {"lifetime": 3600},
            "generate_grekey": True,
            "interfaces": ["GigabitEthernet0/0/2", "GigabitEthernet0/0/1"],
            "lmas": [
                {
                    "name": "lma1",
                    "domain": "dn1",
                    "ipv4_addresses": ["198.18.0.1"],
                    "ipv6_addresses": ["2001:db8:1::1"],
                    "encap": "gre-ipv4",
                    "auth_option": {"spi": 300, "key": {"ascii": "s3cret", "encryption": 0}},
                }
            ],
        }
    ]
    for state in ("merged", "replaced", "overridden"):
        assert not r.plan("mag", want, have, state).changed, state


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_merged_switches_choices_and_adds_entries(lab, transport):
    lab.seed(MAG_SEED)
    want = [
        {
            "name": "mag1",
            "domain": "dn1",
            "role": "LTE",
            "binding": {"lifetime": 4000, "refresh_time": 300},
            "heartbeat": {"interval": 30, "retries": 3, "timeout": 5},
            "local_routing_mag": {"acl": "BREAKOUT"},
            "interfaces": ["GigabitEthernet0/0/3"],
            "lmas": [
                {
                    "name": "lma1",
                    "domain": "dn1",
                    "encap": "gre-ipv6",  # gre-ipv4 -> gre-ipv6
                    "auth_option": {"spi_hex": "1F4"},  # decimal -> hex; the key stays
                }
            ],
        }
    ]
    plan, now = converge(lab, "mag", transport, want, "merged")
    mag = now[0]
    assert mag["role"] == "LTE" and mag["binding"] == {"lifetime": 4000}
    assert mag["interfaces"] == ["GigabitEthernet0/0/1", "GigabitEthernet0/0/2", "GigabitEthernet0/0/3"]
    assert mag["lmas"][0]["encap"] == "gre-ipv6"
    assert mag["lmas"][0]["auth_option"] == {"spi_hex": "1F4", "key": {"ascii": "s3cret", "encryption": 0}}
    assert "ssmo-format label" in lab.running("mag")
    if transport == "cli":
        assert "lma lma1 dn1" in plan.commands and plan.commands[-1] == "exit"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_replaced_removes_sub_list_entries_and_keeps_options_outside_the_model(lab, transport):
    lab.seed(MAG_SEED)
    want = [
        {
            "name": "mag1",
            "domain": "dn1",
            "address": {"ipv6": "2001:db8:2::1"},
            "interfaces": ["GigabitEthernet0/0/2"],
            "lmas": [
                {
                    "name": "lma1",
                    "domain": "dn1",
                    "ipv6_addresses": ["2001:db8:1::1"],
                    "encap": "gre-ipv6",  # its ipv4-address goes, so gre-ipv4 must go first
                    "auth_option": {"spi_hex": "ABC", "key": {"hex": "00FF"}},
                }
            ],
        }
    ]
    plan, now = converge(lab, "mag", transport, want, "replaced")
    assert now == r.normalise("mag", want)
    assert "role" not in now[0]
    assert "ssmo-format label" in lab.running("mag")
    assert "no interface GigabitEthernet0/0/1" in plan.commands


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_overridden_replaces_the_entry_and_deleted_removes_it(lab, transport):
    lab.seed(MAG_SEED)
    want = [
        {
            "name": "mag9",
            "domain": "dn1",
            "lmas": [{"name": "lma1", "domain": "dn1", "ipv6_addresses": ["2001:db8:1::1"]}],
        }
    ]
    plan, now = converge(lab, "mag", transport, want, "overridden")
    assert [(m["name"], m["domain"]) for m in now] == [("mag9", "dn1")]
    assert plan.commands[0] == "no ipv6 mobile pmipv6-mag mag1 domain dn1"
    plan, now = converge(lab, "mag", transport, [], "deleted")
    assert now == []
    assert "pmipv6-mag" not in lab.running("mag")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_domain_states(lab, transport):
    lab.seed(DOMAIN_SEED)
    merged = [
        {
            "name": "dn1",
            "replay_window": 100,
            "lmas": [
                {"name": "lma1", "ipv4_address": "198.18.0.1"},
                {"name": "lma2", "ipv6_address": "2001:db8:1::2"},
            ],
            "nais": [{"name": "alice@example.com", "network": "net1", "service": "ipv4"}],
        }
    ]
    _, now = converge(lab, "domain", transport, merged, "merged")
    nai = now[0]["nais"][0]
    assert nai == {"name": "alice@example.com", "lma": "lma1", "network": "net1"}  # service back to default
    replaced = [
        {"name": "dn1", "encap": "udptunnel", "mags": [{"name": "mag1"}], "nais": [{"name": "@example.org"}]}
    ]
    _, now = converge(lab, "domain", transport, replaced, "replaced")
    assert now == r.normalise("domain", replaced)
    _, now = converge(lab, "domain", transport, [{"name": "dn2", "encap": "gre-ipv4"}], "overridden")
    assert [d["name"] for d in now] == ["dn2"]
    _, now = converge(lab, "domain", transport, [{"name": "dn2"}], "deleted")
    assert now == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lma_states(lab, transport):
    lab.seed(LMA_SEED)
    merged = [
        {
            "name": "lma1",
            "domain": "dn1",
            "address": {"ipv4": ["198.18.0.1"]},
            "bce": {"lifetime": 7200},
            "replay_window": "ignore",
            "rats": [{"name": "WLAN"}, {"name": "ETHERNET", "priority": 1}],
            "mags": [{"name": "mag2", "domain": "dn1", "ipv4_address": "198.18.0.3", "encap": "gre-ipv4"}],
            "networks": [{"name": "net1", "dns": {"primary": "198.18.0.53"}}],
        }
    ]
    _, now = converge(lab, "lma", transport, merged, "merged")
    lma = now[0]
    assert lma["rats"] == [
        {"name": "3GPP_E_UTRAN"},
        {"name": "ETHERNET", "priority": 1},
        {"name": "WLAN", "priority": 5},
    ]
    assert [m["name"] for m in lma["mags"]] == ["mag1", "mag2"]
    # replaced: multipath goes, so mobile-map must go before it; rat priority dropped.
    replaced = [
        {
            "name": "lma1",
            "domain": "dn1",
            "address": {"ipv6": ["2001:db8:1::1"]},
            "rats": [{"name": "WLAN"}],
            "mags": [{"name": "mag1", "domain": "dn1", "ipv6_address": "2001:db8:2::1"}],
            "networks": [{"name": "net1", "pool_ipv6": {"name": "v6pool", "pfxlen": 64}}],
        }
    ]
    _, now = converge(lab, "lma", transport, replaced, "replaced")
    assert now == r.normalise("lma", replaced)
    # the network's mobile-network pool is outside the model: it survives replaced
    assert "mobile-network pool 198.18.5.0" in lab.running("lma")
    _, now = converge(lab, "lma", transport, [], "overridden")
    assert now == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_lines_the_yang_ties_together_are_ordered(lab, transport):
    """sessionmgr and local-routing-mag exclude each other; mobile-map needs multipath."""
    lab.seed(DOMAIN_SEED + "ipv6 mobile pmipv6-mag mag1 domain dn1\n sessionmgr\n")
    local = [{"name": "mag1", "domain": "dn1", "local_routing_mag": {"acl": "BREAKOUT"}}]
    converge(lab, "mag", transport, local, "replaced")
    session = [{"name": "mag1", "domain": "dn1", "sessionmgr": True, "multipath": True, "mobile_map": "MAP1"}]
    converge(lab, "mag", transport, session, "replaced")
    _, now = converge(lab, "mag", transport, [{"name": "mag1", "domain": "dn1"}], "replaced")
    assert now == [{"name": "mag1", "domain": "dn1"}]


# ------------------------------------------------------------------------------ generated configs
# Valid by the YANG: ranges kept, lifetimes multiples of 4, min <= max, choices consistent
# (gre-ipv4 with an IPv4 address), mobile-map only with multipath, sessionmgr or local routing.

NAMES = st.sampled_from(["A1", "B-2", "c.3"])
V4 = st.sampled_from(["198.18.0.1", "198.18.0.2", "198.19.255.254"])
V6 = st.sampled_from(["2001:db8::1", "2001:DB8:0:0::2", "fd00::a"])


def _optional(**options):
    return st.fixed_dictionaries({}, optional=options)


def _ints(low, high):
    return st.integers(low, high)


AUTH = st.fixed_dictionaries(
    {
        "key": st.one_of(
            st.fixed_dictionaries({"hex": st.sampled_from(["AB", "00ff"])}),
            _optional(encryption=_ints(0, 7)).map(lambda k: dict(k, ascii="k3y")),
        )
    },
    optional={"spi": _ints(256, 12345678)},
).map(lambda a: a if "spi" in a else dict(a, spi_hex="1F4"))
DSCP = st.fixed_dictionaries({"control_plane": _ints(1, 63)}, optional={"force": st.booleans()})
HEARTBEAT = st.fixed_dictionaries(
    {"interval": _ints(1, 3600), "retries": _ints(1, 10), "timeout": _ints(1, 3600)}
)
BRI = st.tuples(_ints(500, 65535), _ints(500, 65535), _ints(1, 10)).map(
    lambda t: {"delay_min": min(t[:2]), "delay_max": max(t[:2]), "retries": t[2]}
)
# init <= max, each against the other's default (1000 / 32000) when alone
RETX = st.one_of(
    st.just({}),
    _ints(100, 32000).map(lambda n: {"init_retx_time": n}),
    _ints(1000, 65535).map(lambda n: {"max_retx_time": n}),
    st.tuples(_ints(100, 65535), _ints(100, 65535)).map(
        lambda t: {"init_retx_time": min(t), "max_retx_time": max(t)}
    ),
)
MULTIPATH = st.sampled_from([{}, {"multipath": True}, {"multipath": True, "mobile_map": "MAP1"}])
TUNNEL_TEMPLATE = _ints(0, 99).map(lambda n: f"Tunnel{n}")


def _with_encap(entry, v4, v6, encap):
    if (encap == "gre-ipv4" and v4) or (encap == "gre-ipv6" and (v4 or v6)):
        entry["encap"] = encap
    return entry


def _keyed(names, make):
    """A list of entries, one per name of a drawn subset."""
    return st.sets(st.sampled_from(names)).flatmap(
        lambda chosen: st.tuples(*map(make, sorted(chosen))).map(list)
    )


def _merge(*parts):
    return st.tuples(*parts).map(lambda found: {k: v for part in found for k, v in part.items()})


def _mag_lma(name):
    extra = _optional(
        auth_option=AUTH,
        dscp=DSCP,
        heartbeat=HEARTBEAT,
        vrfid=st.just("blue"),
        tunnel_template=TUNNEL_TEMPLATE,
    )
    return st.tuples(st.lists(V4, max_size=2), st.lists(V6, max_size=2), st.sampled_from(ENCAPS), extra).map(
        lambda t: _with_encap(
            dict(t[3], name=name, domain="dn1", ipv4_addresses=t[0], ipv6_addresses=t[1]), *t[:3]
        )
    )


def _lma_mag(name):
    extra = _optional(auth_option=AUTH, dscp=DSCP)
    address = st.one_of(st.none(), V4), st.one_of(st.none(), V6)
    return st.tuples(*address, st.sampled_from(ENCAPS), extra).map(
        lambda t: _with_encap(
            dict(t[3], name=name, domain="dn1", ipv4_address=t[0], ipv6_address=t[1]), *t[:3]
        )
    )


ENCAPS = ["gre-ipv4", "gre-ipv6", None]
KEYS = {"mag": {"name": "mag1", "domain": "dn1"}, "lma": {"name": "lma1", "domain": "dn1"}}
GENERATED = {
    "mag": _merge(
        _optional(
            address=_optional(ipv4=V4, ipv6=V6),
            role=st.sampled_from(["3GPP", "LTE", "WIMAX", "WLAN"]),
            binding=_merge(
                _optional(
                    lifetime=_ints(2, 16383).map(lambda n: n * 4),
                    refresh_time=_ints(1, 16383).map(lambda n: n * 4),
                    maximum=_ints(1, 128000),
                ),
                RETX,
            ),
            replay_window=_ints(3, 255),
            heartbeat=HEARTBEAT,
            discover_mn_detach=_optional(
                interval=_ints(10, 36000), timeout=_ints(1, 10), retries=_ints(1, 10)
            ),
            bri=BRI,
            dscp=DSCP,
            generate_grekey=st.booleans(),
            ignore_grekey=st.booleans(),
            ignore_home_address=st.booleans(),
            ani=st.booleans(),
            apn=NAMES,
            tunnel=_optional(mtu=_ints(68, 17916), nat=st.sampled_from(["inside", "outside"])),
            tunnel_template=TUNNEL_TEMPLATE,
            interfaces=st.lists(st.sampled_from(["Gi1", "Gi2", "GigabitEthernet0/0/3"])),
            lmas=_keyed(["lma1", "lma2"], _mag_lma),
        ),
        st.sampled_from(
            [
                {},
                {"sessionmgr": True},
                {"local_routing_mag": {"enabled": True}},
                {"local_routing_mag": {"acl": "BR"}},
            ]
        ),
        MULTIPATH,
        st.just(KEYS["mag"]),
    ),
    "lma": _merge(
        _optional(
            address=_optional(ipv4=st.lists(V4, max_size=2), ipv6=st.lists(V6, max_size=2)),
            dynamic_mag_learning=st.booleans(),
            bce=_optional(
                lifetime=_ints(10, 65535),
                maximum=_ints(1, 128000),
                create_wait_time=_ints(1, 65535),
                delete_wait_time=_ints(1, 65535),
            ),
            replay_window=st.one_of(st.just("ignore"), _ints(3, 255).map(str)),
            heartbeat=HEARTBEAT,
            bri=BRI,
            dscp=DSCP,
            generate_grekey=st.booleans(),
            ignore_grekey=st.booleans(),
            ani=st.booleans(),
            mobile_route_admin_distance=_ints(1, 255),
            mobile_network=st.sampled_from(["unauthorized", "aaa-authorized"]),
            default_profile=NAMES,
            aaa_accounting=st.booleans(),
            enforce_heartbeat_to_mag=st.booleans(),
            tunnel=_optional(acl=NAMES, mtu=_ints(68, 17916)),
            interfaces=st.lists(st.sampled_from(["Gi1", "Gi2"])),
            rats=_keyed(
                ["WLAN", "3GPP_E_UTRAN", "PPP"],
                lambda n: _optional(priority=_ints(0, 255)).map(lambda p: dict(p, name=n)),
            ),
            mags=_keyed(["mag1", "mag2"], _lma_mag),
            networks=_keyed(
                ["net1", "net2"],
                lambda n: _optional(
                    pool_ipv4=st.fixed_dictionaries({"name": NAMES, "pfxlen": _ints(0, 32)}),
                    pool_ipv6=st.fixed_dictionaries({"name": NAMES, "pfxlen": _ints(0, 128)}),
                    dns=st.fixed_dictionaries({"primary": V4}, optional={"secondary": V4}),
                ).map(lambda e: dict(e, name=n)),
            ),
        ),
        MULTIPATH,
        st.just(KEYS["lma"]),
    ),
    "domain": _merge(
        _optional(
            encap=st.sampled_from(["gre-ipv4", "gre-ipv6", "udptunnel"]),
            replay_window=_ints(3, 255),
            local_routing_mag=st.booleans(),
            mn_profile_load_aaa=st.booleans(),
            auth_option=AUTH,
            lmas=_keyed(
                ["lma1", "lma2"],
                lambda n: _optional(ipv4_address=V4, ipv6_address=V6).map(lambda e: dict(e, name=n)),
            ),
            mags=_keyed(
                ["mag1"], lambda n: _optional(ipv4_address=V4, ipv6_address=V6).map(lambda e: dict(e, name=n))
            ),
            nais=_keyed(
                ["alice@example.com", "@example.org"],
                lambda n: _optional(
                    lma=NAMES,
                    network=NAMES,
                    service=st.sampled_from(["ipv4", "ipv6", "dual"]),
                    gre_encap_key=st.fixed_dictionaries(
                        {"up": _ints(1, 2**32 - 1), "down": _ints(1, 2**32 - 1)}
                    ),
                    apn=NAMES,
                    customer=NAMES,
                    mobile_local_loop=st.booleans(),
                    auth_option=AUTH,
                ).map(lambda e: dict(e, name=n)),
            ),
        ),
        st.just({"name": "dn1"}),  # one domain per device: other names only through overridden
    ),
}
SEEDS = {"domain": "", "mag": DOMAIN_SEED, "lma": DOMAIN_SEED}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("resource", ("domain", "mag", "lma"))
def test_generated_plans_converge_on_the_device(lab, resource, transport):
    """From a generated device config, every state's plan leaves exactly plan.after, once."""

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        GENERATED[resource],
        GENERATED[resource],
        st.sampled_from(["merged", "replaced", "overridden", "deleted"]),
    )
    def check(have, want, state):
        lab.seed(SEEDS[resource])
        lab.write(transport, xml=r.render_xml(resource, [have]), lines=r.render_cli(resource, [have]))
        before = lab.read(resource, transport)
        assert before == r.normalise(resource, [have])
        plan = r.plan(resource, [want], before, state)
        target = plan.after[0] if plan.after else {}
        assume(not (target.get("sessionmgr") and target.get("local_routing_mag")))  # merged may join them
        if plan.changed:
            lab.write(transport, plan.xml, plan.commands)
        now = lab.read(resource, transport)
        assert now == plan.after, plan.commands
        assert not r.plan(resource, [want], now, state).changed

    check()

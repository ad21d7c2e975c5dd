# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the IOS-XE resource modules: the canonical model of each resource.

One model per resource, in the shape of the Cisco-IOS-XE-mobileip YANG tree below
/native/ipv6/mobile, with these simplifications (documented in docs/iosxe-modules.md):
list keys get the names ``name`` (and ``domain``); containers that only wrap one leaf become one
option (``replay-protection/timestamp/window`` -> ``replay_window``, ``generate/grekey`` ->
``generate_grekey``); YANG-only wrappers (``domain-options``, ``heartbeat-default``, ``key-opts``,
``tunnel-template-only``) disappear; empty leaves and presence containers are booleans.

Options the model leaves out (mobile-map, logical-mn, dynamic CoA roaming, heartbeat labels,
mobility-service, mobile-network pools) are never read, written or removed by the modules.
The DOCUMENTATION of each module must stay equal to these specs (validate-modules checks it).
"""

STATES = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
TRANSPORTS = ("auto", "netconf", "cli")
SAVE_WHEN = ("never", "modified", "always")

ENCAP_GRE = ("gre-ipv4", "gre-ipv6")


def _int(**kw):
    return dict(type="int", **kw)


def _str(**kw):
    return dict(type="str", **kw)


def _bool(**kw):
    return dict(type="bool", **kw)


def _dict(options, **kw):
    return dict(type="dict", options=options, **kw)


def _list(options):
    return dict(type="list", elements="dict", options=options)


# auth-option: spi (decimal | hex-val) and key (ascii with optional enc-type | hex).
AUTH_OPTION = _dict(
    dict(
        spi=_int(),  # spi/decimal, 256..12345678
        spi_hex=_str(),  # spi/hex-val
        key=_dict(
            dict(
                ascii=_str(no_log=True),  # key/key-opts/ascii
                encryption=_int(),  # key/key-opts/enc-type, 0..7
                hex=_str(no_log=True),  # key/hex
            ),
            no_log=False,  # the container: its ascii/hex leaves are the secrets
        ),
    )
)
HEARTBEAT = _dict(dict(interval=_int(), retries=_int(), timeout=_int()))  # heartbeat-default/heartbeat
DSCP = _dict(dict(control_plane=_int(), force=_bool()))  # dscp/{control-plane,force}
BRI = _dict(dict(delay_min=_int(), delay_max=_int(), retries=_int()))  # bri/delay/{min,max}, bri/retries
TRANSPORT_ADDRESS = dict(ipv4_address=_str(), ipv6_address=_str())

DOMAIN_CONFIG = dict(
    name=_str(required=True),  # pmipv6-domain/domain
    encap=_str(choices=["gre-ipv4", "gre-ipv6", "udptunnel"]),  # domain-options/encap/encap_type
    replay_window=_int(),  # domain-options/replay-protection/timestamp/window, 3..255, default 7
    local_routing_mag=_bool(),  # domain-options/local-routing-mag (empty)
    mn_profile_load_aaa=_bool(),  # domain-options/mn-profile-load-aaa (empty)
    auth_option=AUTH_OPTION,  # domain-options/auth-option
    lmas=_list(dict(name=_str(required=True), **TRANSPORT_ADDRESS)),  # domain-options/lma[identifier]
    mags=_list(dict(name=_str(required=True), **TRANSPORT_ADDRESS)),  # domain-options/mag[identifier]
    nais=_list(  # domain-options/nai[realm]: MN profiles, "user@realm" or "@realm"
        dict(
            name=_str(required=True),
            lma=_str(),
            network=_str(),
            service=_str(choices=["ipv4", "ipv6", "dual"]),  # service/service-type, default ipv4
            apn=_str(),
            customer=_str(),
            gre_encap_key=_dict(dict(up=_int(), down=_int()), no_log=False),  # GRE keys, not secrets
            mobile_local_loop=_bool(),  # mobility-service/mobile-local-loop (empty)
            auth_option=AUTH_OPTION,
        )
    ),
)

MAG_CONFIG = dict(
    name=_str(required=True),  # pmipv6-mag/mag-name
    domain=_str(required=True),  # pmipv6-mag/domain
    address=_dict(dict(ipv4=_str(), ipv6=_str())),  # address/static/{ipv4,ipv6}
    interfaces=dict(type="list", elements="str"),  # interface[interface-name]: access interfaces
    role=_str(choices=["3GPP", "LTE", "WIMAX", "WLAN"]),  # default WLAN
    binding=_dict(  # binding/*: lifetime 8..65532 (x4, default 3600), refresh-time 4..65532 (x4, 300),
        dict(  # init-retx-time/max-retx-time ms (1000/32000), maximum 1..128000 (10000)
            lifetime=_int(),
            refresh_time=_int(),
            init_retx_time=_int(),
            max_retx_time=_int(),
            maximum=_int(),
        )
    ),
    replay_window=_int(),  # replay-protection/timestamp/window, 3..255, default 7
    heartbeat=HEARTBEAT,
    discover_mn_detach=_dict(dict(interval=_int(), timeout=_int(), retries=_int())),  # .../poll/*
    bri=BRI,
    dscp=DSCP,
    generate_grekey=_bool(),  # generate/grekey, default true
    ignore_grekey=_bool(),  # ignore/grekey
    ignore_home_address=_bool(),  # ignore/home-address
    ani=_bool(),
    apn=_str(),
    sessionmgr=_bool(),  # default false
    local_routing_mag=_dict(dict(enabled=_bool(), acl=_str())),  # presence container + acl-name
    tunnel=_dict(dict(mtu=_int(), nat=_str(choices=["inside", "outside"]))),
    tunnel_template=_str(),  # tunnel-template-only/tunnel-template/Tunnel, e.g. Tunnel10
    multipath=_bool(),
    mobile_map=_str(),  # needs multipath
    lmas=_list(  # lma[lma-id domain]
        dict(
            name=_str(required=True),
            domain=_str(required=True),
            ipv4_addresses=dict(type="list", elements="str"),  # leaf-list ipv4-address
            ipv6_addresses=dict(type="list", elements="str"),  # leaf-list ipv6-address
            encap=_str(choices=list(ENCAP_GRE)),  # encap/(gre-ipv4|gre-ipv6)
            auth_option=AUTH_OPTION,
            dscp=DSCP,
            heartbeat=HEARTBEAT,
            vrfid=_str(),
            tunnel_template=_str(),
        )
    ),
)

LMA_CONFIG = dict(
    name=_str(required=True),  # pmipv6-lma/lma-name
    domain=_str(required=True),  # pmipv6-lma/domain
    address=_dict(  # address/ipv4[address], address/ipv6[address]
        dict(ipv4=dict(type="list", elements="str"), ipv6=dict(type="list", elements="str"))
    ),
    dynamic_mag_learning=_bool(),  # dynamic/mag/learning
    bce=_dict(  # bce/*: lifetime 10..65535 (3600), maximum 1..128000 (128000), create/delete-wait-time ms
        dict(lifetime=_int(), maximum=_int(), create_wait_time=_int(), delete_wait_time=_int())
    ),
    replay_window=_str(),  # replay-protection/timestamp/window: "0".."255" or "ignore", default 7
    heartbeat=HEARTBEAT,
    bri=BRI,
    dscp=DSCP,
    generate_grekey=_bool(),  # default true
    ignore_grekey=_bool(),
    ignore_home_address=_bool(),
    ani=_bool(),
    multipath=_bool(),
    mobile_map=_str(),  # needs multipath
    mobile_route_admin_distance=_int(),  # mobile-route/admin-distance
    mobile_network=_str(choices=["unauthorized", "aaa-authorized"]),  # mobile-network/mobile-network-type
    default_profile=_str(),  # default/profile
    aaa_accounting=_bool(),  # enable/aaa/accounting
    enforce_heartbeat_to_mag=_bool(),  # enforce/heartbeat-to-mag
    tunnel=_dict(dict(acl=_str(), mtu=_int())),
    interfaces=dict(type="list", elements="str"),  # interface[interface-name]
    rats=_list(dict(name=_str(required=True), priority=_int())),  # rat[rat-type]: 3GPP_E_UTRAN, WLAN, ...
    mags=_list(  # mag[mag-id domain-name]
        dict(
            name=_str(required=True),
            domain=_str(required=True),
            encap=_str(choices=list(ENCAP_GRE)),
            auth_option=AUTH_OPTION,
            dscp=DSCP,
            **TRANSPORT_ADDRESS,
        )
    ),
    networks=_list(  # network[nw-name]
        dict(
            name=_str(required=True),
            pool_ipv4=_dict(dict(name=_str(), pfxlen=_int())),  # pool/ipv4/{name,pfxlen}
            pool_ipv6=_dict(dict(name=_str(), pfxlen=_int())),  # pool/ipv6/{name,pfxlen}
            dns=_dict(dict(primary=_str(), secondary=_str())),  # dns/ip/{pri-ip-add,sec-ip-add} (IPv4)
        )
    ),
)

CONFIGS = {"domain": DOMAIN_CONFIG, "mag": MAG_CONFIG, "lma": LMA_CONFIG}


def argument_spec(resource):
    """The module's argument spec. Connection credentials are not options: the action plugin takes
    them from the host's inventory variables (ansible_host, ansible_user, ...)."""
    return dict(
        config=_list(CONFIGS[resource]),
        running_config=_str(),
        state=_str(choices=list(STATES), default="merged"),
        transport=_str(choices=list(TRANSPORTS), default="auto"),
        netconf_port=_int(),
        cli_port=_int(),
        connect_timeout=_int(default=30),
        command_timeout=_int(default=60),
        save_when=_str(choices=list(SAVE_WHEN), default="never"),
    )


MUTUALLY_EXCLUSIVE = [["config", "running_config"]]
REQUIRED_IF = [
    ["state", "merged", ["config"]],
    ["state", "replaced", ["config"]],
    ["state", "overridden", ["config"]],
    ["state", "rendered", ["config"]],
    ["state", "parsed", ["running_config"]],
]

"""The PMIPv6 configuration command tree of IOS-XE 17.x, mode by mode, as grammar strings.

Keywords follow the Cisco-IOS-XE-mobileip YANG node names (reference §2.2); each mode's paths are
relative to its context node in /native. The prompt names of sub-modes that Cisco does not document
are guesses, kept here in one table (PROMPTS) so they are easy to correct.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .grammar import Seq, bound_paths, compile_syntax, leading_keywords

# Mode name -> the part of the prompt between the hostname and "#".
PROMPTS = {
    "config": "(config)",
    "vrf": "(config-vrf)",
    "domain": "(config-ipv6-pmipv6-domain)",
    "domain-lma": "(config-ipv6-pmipv6-domain-lma)",
    "domain-mag": "(config-ipv6-pmipv6-domain-mag)",
    "nai": "(config-ipv6-pmipv6-domain-mn)",
    "mobile-map": "(config-ipv6-pmipv6-domain-mobile-map)",
    "mag": "(config-ipv6-pmipv6-mag)",
    "mag-lma": "(config-ipv6-pmipv6mag-lma)",
    "mag-dynamic": "(config-ipv6-pmipv6mag-addr-dyn)",
    "logical-mn": "(config-ipv6-pmipv6mag-logicalmn)",
    "lma": "(config-ipv6-pmipv6-lma)",
    "lma-mag": "(config-ipv6-pmipv6lma-mag)",
    "lma-network": "(config-ipv6-pmipv6lma-network)",
}


@dataclass(eq=False)
class Command:
    syntax: str
    enter: str | None = None  # mode entered after the line (its context is the command's node)
    no_value: str | None = None  # boolean with default true: `no X` stores this instead of deleting
    grammar: Seq = field(init=False)
    paths: list[str] = field(init=False)
    target: str = field(init=False)  # the node the line sets as a whole (and `no` removes)
    min_no_tokens: int = field(init=False)

    def __post_init__(self):
        self.grammar = compile_syntax(self.syntax)
        self.paths = list(dict.fromkeys(bound_paths(self.grammar)))
        self.target = _target(self.paths)
        self.min_no_tokens = leading_keywords(self.grammar)

    @property
    def target_is_leaf(self) -> bool:
        return self.target in self.paths and not self.target.endswith("[]")

    @property
    def keys(self) -> list[str]:
        """Key leaves (full paths) of the list entry this line addresses, if any."""
        return [p for p in self.paths if p.endswith("*") and p.startswith(self.target + "/")]


def _target(paths: list[str]) -> str:
    """Common ancestor of the bound paths, lifted to the innermost list entry it passes through."""
    split = [p.split("/") for p in paths]
    common = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    for i in range(len(common) - 1, -1, -1):
        if common[i].endswith("[]") and i < len(common) - 1:
            return "/".join(common[: i + 1])
    return "/".join(common)


def auth(prefix: str) -> str:
    p = f"{prefix}auth-option"
    return (
        f"auth-option spi ( decimal <{p}/spi/decimal:int> | <{p}/spi/hex-val:hex> ) "
        f"key ( hex <{p}/spi/key/hex:hex> | "
        f"ascii [ <{p}/spi/key/key-opts/enc-type:int> ] <{p}/spi/key/key-opts/ascii:str> )"
    )


HEARTBEAT = (
    "heartbeat interval <heartbeat-default/heartbeat/interval:int> "
    "retries <heartbeat-default/heartbeat/retries:int> timeout <heartbeat-default/heartbeat/timeout:int>"
)
HEARTBEAT_LABEL = (
    "heartbeat label <heartbeat[]/label*:str> [ interval <heartbeat[]/interval:int> ] "
    "[ retries <heartbeat[]/retries:int> ] timeout <heartbeat[]/timeout:int> "
    "[ natreboot=heartbeat[]/natreboot ]"
)
DSCP = "dscp control-plane <dscp/control-plane:int> [ force=dscp/force ]"
GRE_CHOICE = "encap ( gre-ipv4=encap/gre-ipv4 | gre-ipv6=encap/gre-ipv6 )"
RATS = (
    "3GPP2_1_RTT|3GPP2_EHRPD|3GPP2_HRPD|3GPP2_UMB|3GPP_E_UTRAN|3GPP_GERAN|3GPP_UTRAN|"
    "ETHERNET|PPP|VIRTUAL|WIMAX|WLAN"
)
MOBILE = "ipv6/mobile"


def _cmds(*specs) -> list[Command]:
    return [s if isinstance(s, Command) else Command(s) for s in specs]


# Order inside a mode is the show running-config order: plain lines first, sub-modes last.
MODES: dict[str, list[Command]] = {
    "config": _cmds(
        Command("vrf definition <vrf/definition[]/name*:str>", enter="vrf"),
        Command(f"ipv6 mobile pmipv6-domain <{MOBILE}/pmipv6-domain[]/domain*:str>", enter="domain"),
        Command(
            f"ipv6 mobile pmipv6-mag <{MOBILE}/pmipv6-mag[]/mag-name*:str> "
            f"domain <{MOBILE}/pmipv6-mag[]/domain*:str>",
            enter="mag",
        ),
        Command(
            f"ipv6 mobile pmipv6-lma <{MOBILE}/pmipv6-lma[]/lma-name*:str> "
            f"domain <{MOBILE}/pmipv6-lma[]/domain*:str>",
            enter="lma",
        ),
    ),
    "vrf": [],
    "domain": _cmds(
        auth("domain-options/"),
        "encap {gre-ipv4|gre-ipv6|udptunnel}=domain-options/encap/encap_type",
        "replay-protection timestamp window <domain-options/replay-protection/timestamp/window:int>",
        "local-routing-mag=domain-options/local-routing-mag",
        "mn-profile-load-aaa=domain-options/mn-profile-load-aaa",
        Command("lma <domain-options/lma[]/identifier*:str>", enter="domain-lma"),
        Command("mag <domain-options/mag[]/identifier*:str>", enter="domain-mag"),
        Command("nai <domain-options/nai[]/realm*:nai>", enter="nai"),
        Command(
            "mobile-map <domain-options/mobile-map[]/map-name*:str> "
            "<domain-options/mobile-map[]/sequence*:int>",
            enter="mobile-map",
        ),
    ),
    "domain-lma": _cmds("ipv4-address <ipv4-address:ipv4>", "ipv6-address <ipv6-address:ipv6>"),
    "domain-mag": _cmds("ipv4-address <ipv4-address:ipv4>", "ipv6-address <ipv6-address:ipv6>"),
    "nai": _cmds(
        "lma <lma:str>",
        "network <network:str>",
        "service {ipv4|ipv6|dual}=service/service-type",
        "gre-encap-key up <gre-encap-key/up:int> down <gre-encap-key/down:int>",
        "apn <apn:str>",
        "customer <customer:str>",
        "mobility-service mobile-local-loop=mobility-service/mobile-local-loop",
        auth(""),
    ),
    "mobile-map": _cmds(
        "match access-list <match/access-list:str>",
        "set link-type <setlink/link-type/link1:str> [ <setlink/link-type/link2:str> "
        "[ <setlink/link-type/link3:str> [ {NULL}=setlink/link-type/link4 ] ] ]",
        "traffic-profile <traffic-profile/prof-name:str>",
        "loadbalance=loadbalance",
        "ip df <ip/df:int>",
    ),
    "mag": _cmds(
        "address ipv4 <address/static/ipv4:ipv4>",
        "address ipv6 <address/static/ipv6:ipv6>",
        "role {3GPP|LTE|WIMAX|WLAN}=role",
        "binding lifetime <binding/lifetime:int>",
        "binding refresh-time <binding/refresh-time:int>",
        "binding init-retx-time <binding/init-retx-time:int>",
        "binding max-retx-time <binding/max-retx-time:int>",
        "binding maximum <binding/maximum:int>",
        "replay-protection timestamp window <replay-protection/timestamp/window:int>",
        HEARTBEAT,
        HEARTBEAT_LABEL,
        "discover-mn-detach poll interval <discover-mn-detach/poll/interval:int> "
        "timeout <discover-mn-detach/poll/timeout:int> retries <discover-mn-detach/poll/retries:int>",
        "bri delay min <bri/delay/min:int> max <bri/delay/max:int>",
        "bri retries <bri/retries:int>",
        DSCP,
        Command("generate grekey=generate/grekey@true", no_value="false"),
        "ignore grekey=ignore/grekey",
        "ignore home-address=ignore/home-address",
        "ani=ani",
        "apn <apn:str>",
        "sessionmgr=sessionmgr@true",
        "local-routing-mag=local-routing-mag [ acl <local-routing-mag/acl-name:str> ]",
        "tunnel mtu <tunnel/mtu:int>",
        "tunnel nat {inside|outside}=tunnel/nat",
        "tunnel-template <tunnel-template-only/tunnel-template/Tunnel:tunnel>",
        "ssmo-format label=ssmo-format/label",
        "multipath=multipath",
        "mobile-map <mobile-map:str>",
        "interface <interface[]/interface-name*:str>",
        Command("address dynamic=address/dynamic", enter="mag-dynamic"),
        Command("logical-mn <logical-mn[]/mn-id*:str>", enter="logical-mn"),
        Command("lma <lma[]/lma-id*:str> <lma[]/domain*:str>", enter="mag-lma"),
    ),
    "mag-dynamic": _cmds(
        "roaming interface <roaming[]/interface*:str> [ priority <roaming[]/priority:int> ] "
        "[ egress-att {3G|ETHERNET|LTE|WLAN}=roaming[]/egress-att ] [ label <roaming[]/label:str> ]",
    ),
    "logical-mn": _cmds(
        "home interface <home/interface:str>",
        "mobile network <mobile/network[]/interface*:str> [ label <mobile/network[]/label:str> ] "
        "[ learn-prefix=mobile/network[]/learn-prefix ] [ skip-register=mobile/network[]/skip-register ]",
        "address dynamic=address/dynamic",
        "fixed interface <fixed/interface:str>",
        "mobile-map <mobile-map:str>",
        "service ( dual=service/dual | ipv6=service/ipv6 | ipv4=service/ipv4 )",
    ),
    "mag-lma": _cmds(
        "ipv4-address <ipv4-address[]:ipv4>",
        "ipv6-address <ipv6-address[]:ipv6>",
        GRE_CHOICE,
        auth(""),
        DSCP,
        HEARTBEAT,
        "vrfid <vrfid:str>",
        "tunnel-template <tunnel-template-only/tunnel-template/Tunnel:tunnel>",
        "tunnel-template label <tunnel-template[]/label*:str> <tunnel-template[]/Tunnel:tunnel>",
    ),
    "lma": _cmds(
        "address ipv4 <address/ipv4[]/address*:ipv4>",
        "address ipv6 <address/ipv6[]/address*:ipv6>",
        "dynamic mag learning=dynamic/mag/learning",
        "bce lifetime <bce/lifetime:int>",
        "bce maximum <bce/maximum:int>",
        "bce create-wait-time <bce/create-wait-time:int>",
        "bce delete-wait-time <bce/delete-wait-time:int>",
        "replay-protection timestamp window ( ignore=replay-protection/timestamp/window@ignore "
        "| <replay-protection/timestamp/window:int> )",
        HEARTBEAT,
        HEARTBEAT_LABEL,
        "bri delay min <bri/delay/min:int> max <bri/delay/max:int>",
        "bri retries <bri/retries:int>",
        DSCP,
        Command("generate grekey=generate/grekey@true", no_value="false"),
        "ignore grekey=ignore/grekey",
        "ignore home-address=ignore/home-address",
        "ani=ani",
        "multipath=multipath",
        "mobile-map <mobile-map:str>",
        "mobile-route admin-distance <mobile-route/admin-distance:int>",
        "mobile-network {unauthorized|aaa-authorized}=mobile-network/mobile-network-type",
        "default profile <default/profile:str>",
        "enable aaa accounting=enable/aaa/accounting",
        "enforce heartbeat-to-mag=enforce/heartbeat-to-mag",
        "tunnel acl <tunnel/acl:str>",
        "tunnel mtu <tunnel/mtu:int>",
        "interface <interface[]/interface-name*:str>",
        f"rat {{{RATS}}}=rat[]/rat-type* [ priority <rat[]/priority:int> ]",
        Command("mag <mag[]/mag-id*:str> <mag[]/domain-name*:str>", enter="lma-mag"),
        Command("network <network[]/nw-name*:str>", enter="lma-network"),
    ),
    "lma-mag": _cmds(
        "ipv4-address <ipv4-address:ipv4>",
        "ipv6-address <ipv6-address:ipv6>",
        GRE_CHOICE,
        auth(""),
        DSCP,
    ),
    "lma-network": _cmds(
        "pool ipv4 <pool/ipv4/name:str> pfxlen <pool/ipv4/pfxlen:int>",
        "pool ipv6 <pool/ipv6/name:str> pfxlen <pool/ipv6/pfxlen:int>",
        "mobile-network pool <mobile-network/pool[]/pool-ip-add*:ipv4> "
        "pfxlen <mobile-network/pool[]/pool-prefix:int> "
        "network-prefix <mobile-network/pool[]/network-prefix:int>",
        "mobile-network v6pool <mobile-network/v6pool[]/pool-ipv6-add*:ipv6> "
        "pfxlen <mobile-network/v6pool[]/pool-prefix:int> "
        "network-prefix <mobile-network/v6pool[]/network-prefix:int>",
        "dns ip <dns/ip/pri-ip-add:ipv4> [ <dns/ip/sec-ip-add:ipv4> ]",
    ),
}

PARENT = {
    "config": None,
    "vrf": "config",
    "domain": "config",
    "mag": "config",
    "lma": "config",
    "domain-lma": "domain",
    "domain-mag": "domain",
    "nai": "domain",
    "mobile-map": "domain",
    "mag-lma": "mag",
    "mag-dynamic": "mag",
    "logical-mn": "mag",
    "lma-mag": "lma",
    "lma-network": "lma",
}

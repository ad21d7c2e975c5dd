"""The PMIPv6 configuration command tree of IOS-XE 17.x, mode by mode, as grammar strings.

Keywords follow the Cisco-IOS-XE-mobileip YANG node names (reference §2.2); each mode's paths are
relative to its context node in /native. The prompt names of sub-modes that Cisco does not document
are guesses, kept here in one table (PROMPTS) so they are easy to correct. So is the syntax of the
`mobility-service` sub-trees, logical-mn `fixed watch` and `reverse-tunnel route` (reference §2.2
gives only "…"): their keywords are the YANG node names, YANG-only names (values, prefix lengths,
distances) are positional parameters.
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
    "mag-hybrid": "(config-ipv6-pmipv6mag-hybrid)",
    "mag-hybrid-bw": "(config-ipv6-pmipv6mag-hybrid-bw)",
    "mag-mll": "(config-ipv6-pmipv6mag-mll)",
    "lma-hybrid": "(config-ipv6-pmipv6lma-hybrid)",
    "lma-hybrid-bw": "(config-ipv6-pmipv6lma-hybrid-bw)",
    "lma-hybrid-bw-mag": "(config-ipv6-pmipv6lma-hybrid-bw-mag)",
    "hybrid-profile": "(config-ipv6-pmipv6-hybrid-profile)",
    "lma-mll": "(config-ipv6-pmipv6lma-mll)",
    "mll-customer": "(config-ipv6-pmipv6lma-mll-customer)",
    "mll-network": "(config-ipv6-pmipv6lma-mll-network)",
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
# LMA network pools; the same grouping sits under mobile-local-loop `network authorized`.
POOLS = (
    "pool ipv4 <pool/ipv4/name:str> pfxlen <pool/ipv4/pfxlen:int>",
    "pool ipv6 <pool/ipv6/name:str> pfxlen <pool/ipv6/pfxlen:int>",
    "mobile-network pool <mobile-network/pool[]/pool-ip-add*:ipv4> "
    "pfxlen <mobile-network/pool[]/pool-prefix:int> "
    "network-prefix <mobile-network/pool[]/network-prefix:int>",
    "mobile-network v6pool <mobile-network/v6pool[]/pool-ipv6-add*:ipv6> "
    "pfxlen <mobile-network/v6pool[]/pool-prefix:int> "
    "network-prefix <mobile-network/v6pool[]/network-prefix:int>",
)
# mobility-service: keywords are the YANG node names (reference §2.2 leaves the syntax open).
SLA_OPTIONS = (
    "[ frequency <{p}frequency:int> ] [ interval <{p}interval:int> ] [ num-packets <{p}num-packets:int> ]"
)
HYBRID = (
    Command("disable-sla=disable-sla@true", no_value="false"),
    *(f"sla {leaf} <sla/{leaf}:int>" for leaf in ("frequency", "interval", "num-packets")),
)
BW_LABEL = "label <label[]/label-name*:str> [ bandwidth-ratio <label[]/bandwidth-ratio:int> ]"
MNP = tuple(
    f"mnp {afi} {who} maximum <mnp/{afi}/{who}/maximum:int>"
    for afi in ("afi-all", "ipv4", "ipv6")
    for who in ("customer", "logical-mn")
)
ROUTE = "reverse-tunnel/route/"
TRANSPORT_ADDRESSES = "[ ipv4-address <{p}/ipv4-address:ipv4> ] [ ipv6-address <{p}/ipv6-address:ipv6> ]"


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
        Command("mobility-service hybrid-access=mobility-service/hybrid-access", enter="mag-hybrid"),
        Command("mobility-service mobile-local-loop=mobility-service/mobile-local-loop", enter="mag-mll"),
    ),
    "mag-hybrid": _cmds(
        *HYBRID,
        "sla-responder-stats disable=sla-responder-stats/disable",
        Command("bandwidth-ratio=bandwidth-ratio", enter="mag-hybrid-bw"),
        Command(
            "profile-definition <profile-definition/profile-definition[]/name*:str>", enter="hybrid-profile"
        ),
    ),
    "mag-hybrid-bw": _cmds(BW_LABEL),
    "hybrid-profile": _cmds(
        "loadbalance=loadbalance",
        *(
            f"{m} <{m}/value:int> [ low-threshold <{m}/low-threshold:int> ]"
            for m in ("jitter", "mos", "packet-loss", "rtt")
        ),
    ),
    "mag-mll": _cmds(
        "ignore home-address=ignore/home-address",
        "reverse-tunnel default-route=reverse-tunnel/default-route",
        "reverse-tunnel <reverse-tunnel/value:int>",
        "egress interface <egress/interface:str>",
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
        "fixed watch ipv4 <fixed/watch/ipv4:ipv4> [ length <fixed/watch/length:int> ]",
        "mobile-map <mobile-map:str>",
        "service ( dual=service/dual | ipv6=service/ipv6 | ipv4=service/ipv4 )",
        # IOS `ip route` style: address, prefix length, optional distance, all positional.
        *(
            f"reverse-tunnel route {af} <{ROUTE}{af}[]/address*:{af}> <{ROUTE}{af}[]/prefix-len*:int> "
            f"[ <{ROUTE}{af}[]/distance-metric:int> ]"
            for af in ("ipv4", "ipv6")
        ),
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
        Command("mobility-service hybrid-access=mobility-service/hybrid-access", enter="lma-hybrid"),
        Command("mobility-service mobile-local-loop=mobility-service/mobile-local-loop", enter="lma-mll"),
    ),
    "lma-mag": _cmds(
        "ipv4-address <ipv4-address:ipv4>",
        "ipv6-address <ipv6-address:ipv6>",
        GRE_CHOICE,
        auth(""),
        DSCP,
    ),
    "lma-network": _cmds(*POOLS, "dns ip <dns/ip/pri-ip-add:ipv4> [ <dns/ip/sec-ip-add:ipv4> ]"),
    "lma-hybrid": _cmds(
        *HYBRID,
        "enable-sla {customer|mag}=enable-sla[]/sla-type* <enable-sla[]/name*:str> "
        + SLA_OPTIONS.format(p="enable-sla[]/"),
        Command("bandwidth-ratio=bandwidth-ratio", enter="lma-hybrid-bw"),
        Command("profile-definition <profile-definition[]/name*:str>", enter="hybrid-profile"),
    ),
    "lma-hybrid-bw": _cmds(BW_LABEL, Command("mag <mag[]/mag-name*:str>", enter="lma-hybrid-bw-mag")),
    "lma-hybrid-bw-mag": _cmds(BW_LABEL),
    "lma-mll": _cmds(
        *MNP,
        Command("customer <customer[]/name*:str> vrf <customer[]/vrf*:str>", enter="mll-customer"),
    ),
    "mll-customer": _cmds(
        auth(""),
        "gre-key symmetric <gre-key-default/gre-key/symmetric:int>",
        "gre-key label <gre-key[]/label*:str> symmetric <gre-key[]/symmetric:int>",
        HEARTBEAT,
        "interface <interface[]/interface-name*:str>",
        *MNP,
        "mobile-map <mobile-map:str>",
        "mobile-route admin-distance <mobile-route/admin-distance:int>",
        "transport=transport-default/transport "
        + TRANSPORT_ADDRESSES.format(p="transport-default/transport"),
        "transport vrf <transport-vrf/transport[]/vrf-name*:str> "
        + TRANSPORT_ADDRESSES.format(p="transport-vrf/transport[]"),
        "network unauthorized=network/unauthorized",
        Command("network authorized <network/authorized[]/name*:str>", enter="mll-network"),
    ),
    "mll-network": _cmds(*POOLS),
}

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model <-> YANG <-> CLI table of each resource (documented in docs/iosxe-model.md).

One declarative table per resource drives all four codecs (CLI and XML, both ways), the
normalisation and the planner, so no codec restates another's knowledge. A table is an ``Entry``
(a YANG list entry that is a CLI mode) whose body holds, in ``show running-config`` order:

* ``Line``  one configuration line setting one or more model options (its ``Slot``\\ s);
* ``Each``  one line per item of a model list (access interfaces, leaf-lists, LMA addresses, RATs);
* ``Entry`` a sub-mode: a keyed YANG list whose entries have their own lines.

A ``Slot`` ties one model option (dotted path inside the entry, argspec names) to its YANG path
(relative to the entry's element), its value kind and its YANG default.
"""

import ipaddress
import re

from .syntax import compile_pattern, leading_words, slot_names

# Value kinds. FLAG: YANG empty leaf (model bool); PRESENCE: presence container (model bool);
# BOOL: YANG boolean with a default; CASE: an enumeration naming which empty leaf of a YANG choice
# is set (YANG path with "{}" for the leaf); TUNNEL: "Tunnel<n>" in the model and CLI, "<n>" in YANG;
# WINDOW: the LMA replay window, a number or "ignore".
INT, STR, IPV4, IPV6, ENUM, HEX, NAI = "int", "str", "ipv4", "ipv6", "enum", "hex", "nai"
TUNNEL, WINDOW = "tunnel", "window"
FLAG, PRESENCE, BOOL, CASE = "flag", "presence", "bool", "case"
FLAG_KINDS = (FLAG, PRESENCE, BOOL)

MASK = "********"


class Slot:
    def __init__(self, option, yang, kind=STR, default=None, choices=(), secret=False):
        self.option = option  # dotted model path inside the entry ("" for the item of a plain list)
        self.yang = yang  # YANG path relative to the entry element ("." for a leaf-list value)
        self.kind = kind
        self.default = default
        self.choices = tuple(choices)
        self.secret = secret

    # ---------------------------------------------------------------------------- model values

    def canon(self, value, where):
        """The canonical value of a user-given value; ValueError naming ``where`` when it is bad."""
        if value is None:
            return None
        kind = self.kind
        if kind in FLAG_KINDS:
            if not isinstance(value, bool):
                raise ValueError(f"{where}: {value!r} is not a boolean")
            return value
        if kind == INT:
            if isinstance(value, bool) or not (isinstance(value, int) or str(value).strip().isdigit()):
                raise ValueError(f"{where}: {value!r} is not an integer")
            return int(value)
        if isinstance(value, (dict, list, tuple, set)):  # str() would make a name of it
            raise ValueError(f"{where}: {value!r} is not {self.describe()}")
        text = str(value).strip()
        if self.secret and text == MASK:
            return MASK  # a masked model (for display) stays renderable
        converted = self.from_token(text)
        if converted is None:
            raise ValueError(f"{where}: {value!r} is not {self.describe()}")
        return converted

    def describe(self):
        return {
            IPV4: "an IPv4 address",
            IPV6: "an IPv6 address",
            HEX: "a hex string",
            NAI: "a NAI (user@realm or @realm)",
            TUNNEL: "a tunnel interface (Tunnel<n>)",
            WINDOW: "a window (a number or 'ignore')",
            STR: "a non-empty string",
        }.get(self.kind, "one of: " + ", ".join(self.choices))

    def is_default(self, value):
        return value == self.default or (self.kind in (FLAG, PRESENCE) and value is False)

    # ------------------------------------------------------------------------------------ CLI

    def from_token(self, token):
        """The model value of a CLI word (or YANG text), or None when the word is not one."""
        kind = self.kind
        try:
            if kind == INT:
                return int(token) if token.isdigit() else None
            if kind == IPV4:
                return str(ipaddress.IPv4Address(token))
            if kind == IPV6:
                return ipaddress.IPv6Address(token).compressed
        except ValueError:
            return None
        if kind in (ENUM, CASE):
            found = [c for c in self.choices if c.lower() == token.lower()]
            return found[0] if found else None
        if kind == HEX:
            return token if re.match(r"^[0-9a-fA-F]+$", token) else None
        if kind == NAI:
            return token if "@" in token else None
        if kind == TUNNEL:
            found = re.match(r"^(?:tunnel)?(\d+)$", token, re.IGNORECASE)
            return f"Tunnel{int(found.group(1))}" if found else None
        if kind == WINDOW:
            return str(int(token)) if token.isdigit() else ("ignore" if token.lower() == "ignore" else None)
        return token if token else None

    def to_token(self, value):
        return str(value)

    # ------------------------------------------------------------------------------------ XML

    def to_text(self, value):
        if self.kind == TUNNEL:
            return value[len("Tunnel") :]
        if self.kind == BOOL:
            return "true" if value else "false"
        return str(value)

    def from_text(self, text):
        if self.kind == BOOL:
            return {"true": True, "false": False}.get((text or "").strip())
        return self.from_token((text or "").strip())


class Line:
    """One configuration line. ``flag``: a slot the line's mere presence sets (`no <line>` clears a
    BOOL whose default is true); ``remove_first``: its removal must precede the entry's other
    changes (the YANG makes another line refuse it, e.g. sessionmgr vs local-routing-mag)."""

    def __init__(self, pattern, flag=None, remove_first=False, **slots):
        self.text = pattern
        self.pattern = compile_pattern(pattern)
        self.flag = "flag" if flag else None
        self.slots = dict(slots, flag=flag) if flag else dict(slots)
        self.remove_first = remove_first
        self.no_words = leading_words(self.pattern)
        unknown = set(slot_names(self.pattern)) - set(self.slots)
        if unknown:
            raise ValueError(f"pattern {pattern!r} names unknown slots {sorted(unknown)}")

    def where(self):
        """The model option the line stands for (common prefix of its slots' options)."""
        return ".".join(common_prefix(s.option.split(".") for s in self.slots.values()))

    def values(self, entry):
        """{slot name: value} of the slots set in a canonical entry dict."""
        found = {}
        for name, slot in self.slots.items():
            value = get_option(entry, slot.option)
            if value is not None:
                found[name] = value
        return found


class Each:
    """One line per item of the model list ``option``; a YANG list (or leaf-list) at ``yang``.
    ``key``: the slots identifying an item (the only slot for a list of plain values)."""

    def __init__(self, pattern, option, yang, key=None, **slots):
        self.line = Line(pattern, **slots)
        self.option = option
        self.yang = yang
        self.slots = self.line.slots
        self.key = tuple(key or slots)
        self.plain = next(iter(slots.values())).option == ""

    def items(self, entry):
        """The list's items as {slot name: value} dicts."""
        found = get_option(entry, self.option) or []
        if self.plain:
            name = self.key[0]
            return [{name: item} for item in found]
        return [self.line.values(item) for item in found]

    def item_key(self, values):
        return tuple(values.get(k) for k in self.key)


class Entry:
    """A keyed YANG list whose entries are a CLI mode: header line, then body lines."""

    def __init__(self, pattern, option, yang, keys, body, bounds=()):
        self.header = Line(pattern, **keys)
        self.option = option  # model list holding the entries ("config" at the top)
        self.yang = yang
        self.keys = keys  # slot name -> Slot, in key order
        self.body = body
        # (lower, upper) options of two one-value lines the YANG keeps lower <= upper: the CLI,
        # checking line by line, must write them in the order that never crosses them.
        self.bounds = bounds

    def key_of(self, entry):
        return tuple(entry.get(slot.option) for slot in self.keys.values())

    def entries(self, parent):
        return get_option(parent, self.option) or []


def common_prefix(paths):
    """The leading parts every path (a list of parts) shares."""
    paths = list(paths)
    common = []
    for i, part in enumerate(paths[0] if paths else []):
        if any(len(p) <= i or p[i] != part for p in paths):
            break
        common.append(part)
    return common


def get_option(entry, dotted):
    value = entry
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_option(entry, dotted, value):
    parts = dotted.split(".")
    for part in parts[:-1]:
        entry = entry.setdefault(part, {})
    entry[parts[-1]] = value


# -------------------------------------------------------------------------------------- tables


def leaf(words, option, yang, kind=STR, default=None, choices=()):
    """A line of keywords followed by one value."""
    return Line(words + " $value", value=Slot(option, yang, kind, default, choices))


def flag(words, option, yang, kind=FLAG, default=None, remove_first=False):
    return Line(words, flag=Slot(option, yang, kind, default), remove_first=remove_first)


def auth_line(prefix):
    spi = prefix + "auth-option/spi/"
    return Line(
        "auth-option spi ( decimal $spi | $spi_hex ) key ( hex $hex | ascii [ $encryption ] $ascii )",
        spi=Slot("auth_option.spi", spi + "decimal", INT),
        spi_hex=Slot("auth_option.spi_hex", spi + "hex-val", HEX),
        hex=Slot("auth_option.key.hex", spi + "key/hex", HEX, secret=True),
        encryption=Slot("auth_option.key.encryption", spi + "key/key-opts/enc-type", INT),
        ascii=Slot("auth_option.key.ascii", spi + "key/key-opts/ascii", STR, secret=True),
    )


def heartbeat_line():
    hb = "heartbeat-default/heartbeat/"
    return Line(
        "heartbeat interval $interval retries $retries timeout $timeout",
        interval=Slot("heartbeat.interval", hb + "interval", INT),
        retries=Slot("heartbeat.retries", hb + "retries", INT),
        timeout=Slot("heartbeat.timeout", hb + "timeout", INT),
    )


def dscp_line():
    return Line(
        "dscp control-plane $control_plane [ force=$force ]",
        control_plane=Slot("dscp.control_plane", "dscp/control-plane", INT),
        force=Slot("dscp.force", "dscp/force", FLAG),
    )


def bri_lines():
    return [
        Line(
            "bri delay min $min max $max",
            min=Slot("bri.delay_min", "bri/delay/min", INT, 1000),
            max=Slot("bri.delay_max", "bri/delay/max", INT, 2000),
        ),
        leaf("bri retries", "bri.retries", "bri/retries", INT, 1),
    ]


def transport_address_lines():
    return [
        leaf("ipv4-address", "ipv4_address", "ipv4-address", IPV4),
        leaf("ipv6-address", "ipv6_address", "ipv6-address", IPV6),
    ]


def grekey_lines():
    return [
        flag("generate grekey", "generate_grekey", "generate/grekey", BOOL, default=True),
        flag("ignore grekey", "ignore_grekey", "ignore/grekey"),
        flag("ignore home-address", "ignore_home_address", "ignore/home-address"),
        flag("ani", "ani", "ani"),
    ]


def pool_line(family):
    return Line(
        f"pool {family} $name pfxlen $pfxlen",
        name=Slot(f"pool_{family}.name", f"pool/{family}/name"),
        pfxlen=Slot(f"pool_{family}.pfxlen", f"pool/{family}/pfxlen", INT),
    )


def name_key(yang):
    return {"name": Slot("name", yang)}


def name_domain_keys(name_yang, domain_yang):
    return {"name": Slot("name", name_yang), "domain": Slot("domain", domain_yang)}


def interfaces():
    return Each("interface $name", "interfaces", "interface", name=Slot("", "interface-name"))


ENCAP_GRE = ("gre-ipv4", "gre-ipv6")
ROLES = ("3GPP", "LTE", "WIMAX", "WLAN")
RATS = (
    *("3GPP2_1_RTT", "3GPP2_EHRPD", "3GPP2_HRPD", "3GPP2_UMB", "3GPP_E_UTRAN", "3GPP_GERAN", "3GPP_UTRAN"),
    *("ETHERNET", "PPP", "VIRTUAL", "WIMAX", "WLAN"),
)
TUNNEL_TEMPLATE = "tunnel-template-only/tunnel-template/Tunnel"
REPLAY = "replay-protection/timestamp/window"
DOMAIN_OPTIONS = "domain-options/"

DOMAIN = Entry(
    "ipv6 mobile pmipv6-domain $name",
    "config",
    "pmipv6-domain",
    name_key("domain"),
    [
        auth_line(DOMAIN_OPTIONS),
        leaf("encap", "encap", DOMAIN_OPTIONS + "encap/encap_type", ENUM, None, (*ENCAP_GRE, "udptunnel")),
        leaf("replay-protection timestamp window", "replay_window", DOMAIN_OPTIONS + REPLAY, INT, 7),
        flag("local-routing-mag", "local_routing_mag", DOMAIN_OPTIONS + "local-routing-mag"),
        flag("mn-profile-load-aaa", "mn_profile_load_aaa", DOMAIN_OPTIONS + "mn-profile-load-aaa"),
        Entry("lma $name", "lmas", DOMAIN_OPTIONS + "lma", name_key("identifier"), transport_address_lines()),
        Entry("mag $name", "mags", DOMAIN_OPTIONS + "mag", name_key("identifier"), transport_address_lines()),
        Entry(
            "nai $name",
            "nais",
            DOMAIN_OPTIONS + "nai",
            {"name": Slot("name", "realm", NAI)},
            [
                leaf("lma", "lma", "lma"),
                leaf("network", "network", "network"),
                leaf("service", "service", "service/service-type", ENUM, "ipv4", ("ipv4", "ipv6", "dual")),
                Line(
                    "gre-encap-key up $up down $down",
                    up=Slot("gre_encap_key.up", "gre-encap-key/up", INT),
                    down=Slot("gre_encap_key.down", "gre-encap-key/down", INT),
                ),
                leaf("apn", "apn", "apn"),
                leaf("customer", "customer", "customer"),
                flag(
                    "mobility-service mobile-local-loop",
                    "mobile_local_loop",
                    "mobility-service/mobile-local-loop",
                ),
                auth_line(""),
            ],
        ),
    ],
)

MAG = Entry(
    "ipv6 mobile pmipv6-mag $name domain $domain",
    "config",
    "pmipv6-mag",
    name_domain_keys("mag-name", "domain"),
    [
        leaf("address ipv4", "address.ipv4", "address/static/ipv4", IPV4),
        leaf("address ipv6", "address.ipv6", "address/static/ipv6", IPV6),
        leaf("role", "role", "role", ENUM, "WLAN", ROLES),
        leaf("binding lifetime", "binding.lifetime", "binding/lifetime", INT, 3600),
        leaf("binding refresh-time", "binding.refresh_time", "binding/refresh-time", INT, 300),
        leaf("binding init-retx-time", "binding.init_retx_time", "binding/init-retx-time", INT, 1000),
        leaf("binding max-retx-time", "binding.max_retx_time", "binding/max-retx-time", INT, 32000),
        leaf("binding maximum", "binding.maximum", "binding/maximum", INT, 10000),
        leaf("replay-protection timestamp window", "replay_window", REPLAY, INT, 7),
        heartbeat_line(),
        Line(
            "discover-mn-detach poll interval $interval timeout $timeout retries $retries",
            interval=Slot("discover_mn_detach.interval", "discover-mn-detach/poll/interval", INT, 10),
            timeout=Slot("discover_mn_detach.timeout", "discover-mn-detach/poll/timeout", INT, 2),
            retries=Slot("discover_mn_detach.retries", "discover-mn-detach/poll/retries", INT, 2),
        ),
        *bri_lines(),
        dscp_line(),
        *grekey_lines(),
        leaf("apn", "apn", "apn"),
        # local-routing-mag needs sessionmgr off (a YANG must): either one is removed first
        flag("sessionmgr", "sessionmgr", "sessionmgr", BOOL, default=False, remove_first=True),
        Line(
            "local-routing-mag [ acl $acl ]",
            flag=Slot("local_routing_mag.enabled", "local-routing-mag", PRESENCE),
            acl=Slot("local_routing_mag.acl", "local-routing-mag/acl-name"),
            remove_first=True,
        ),
        leaf("tunnel mtu", "tunnel.mtu", "tunnel/mtu", INT),
        leaf("tunnel nat", "tunnel.nat", "tunnel/nat", ENUM, None, ("inside", "outside")),
        leaf("tunnel-template", "tunnel_template", TUNNEL_TEMPLATE, TUNNEL),
        flag("multipath", "multipath", "multipath"),
        leaf("mobile-map", "mobile_map", "mobile-map"),
        interfaces(),
        Entry(
            "lma $name $domain",
            "lmas",
            "lma",
            name_domain_keys("lma-id", "domain"),
            [
                Each("ipv4-address $address", "ipv4_addresses", "ipv4-address", address=Slot("", ".", IPV4)),
                Each("ipv6-address $address", "ipv6_addresses", "ipv6-address", address=Slot("", ".", IPV6)),
                leaf("encap", "encap", "encap/{}", CASE, None, ENCAP_GRE),
                auth_line(""),
                dscp_line(),
                heartbeat_line(),
                leaf("vrfid", "vrfid", "vrfid"),
                leaf("tunnel-template", "tunnel_template", TUNNEL_TEMPLATE, TUNNEL),
            ],
        ),
    ],
    bounds=[("binding.init_retx_time", "binding.max_retx_time")],
)

LMA = Entry(
    "ipv6 mobile pmipv6-lma $name domain $domain",
    "config",
    "pmipv6-lma",
    name_domain_keys("lma-name", "domain"),
    [
        Each("address ipv4 $address", "address.ipv4", "address/ipv4", address=Slot("", "address", IPV4)),
        Each("address ipv6 $address", "address.ipv6", "address/ipv6", address=Slot("", "address", IPV6)),
        flag("dynamic mag learning", "dynamic_mag_learning", "dynamic/mag/learning"),
        leaf("bce lifetime", "bce.lifetime", "bce/lifetime", INT, 3600),
        leaf("bce maximum", "bce.maximum", "bce/maximum", INT, 128000),
        leaf("bce create-wait-time", "bce.create_wait_time", "bce/create-wait-time", INT, 1500),
        leaf("bce delete-wait-time", "bce.delete_wait_time", "bce/delete-wait-time", INT, 10000),
        leaf("replay-protection timestamp window", "replay_window", REPLAY, WINDOW, "7"),
        heartbeat_line(),
        *bri_lines(),
        dscp_line(),
        *grekey_lines(),
        flag("multipath", "multipath", "multipath"),
        leaf("mobile-map", "mobile_map", "mobile-map"),
        leaf(
            "mobile-route admin-distance", "mobile_route_admin_distance", "mobile-route/admin-distance", INT
        ),
        leaf(
            "mobile-network",
            "mobile_network",
            "mobile-network/mobile-network-type",
            ENUM,
            None,
            ("unauthorized", "aaa-authorized"),
        ),
        leaf("default profile", "default_profile", "default/profile"),
        flag("enable aaa accounting", "aaa_accounting", "enable/aaa/accounting"),
        flag("enforce heartbeat-to-mag", "enforce_heartbeat_to_mag", "enforce/heartbeat-to-mag"),
        leaf("tunnel acl", "tunnel.acl", "tunnel/acl"),
        leaf("tunnel mtu", "tunnel.mtu", "tunnel/mtu", INT),
        interfaces(),
        Each(
            "rat $name [ priority $priority ]",
            "rats",
            "rat",
            key=("name",),
            name=Slot("name", "rat-type", ENUM, choices=RATS),
            priority=Slot("priority", "priority", INT),
        ),
        Entry(
            "mag $name $domain",
            "mags",
            "mag",
            name_domain_keys("mag-id", "domain-name"),
            [
                *transport_address_lines(),
                leaf("encap", "encap", "encap/{}", CASE, None, ENCAP_GRE),
                auth_line(""),
                dscp_line(),
            ],
        ),
        Entry(
            "network $name",
            "networks",
            "network",
            name_key("nw-name"),
            [
                pool_line("ipv4"),
                pool_line("ipv6"),
                Line(
                    "dns ip $primary [ $secondary ]",
                    primary=Slot("dns.primary", "dns/ip/pri-ip-add", IPV4),
                    secondary=Slot("dns.secondary", "dns/ip/sec-ip-add", IPV4),
                ),
            ],
        ),
    ],
)

TABLES = {"domain": DOMAIN, "mag": MAG, "lma": LMA}


def table(resource):
    try:
        return TABLES[resource]
    except KeyError:
        known = ", ".join(TABLES)
        raise ValueError(f"unknown resource {resource!r} (expected one of: {known})") from None

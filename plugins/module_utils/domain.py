# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PMIPv6 domain model: the inventory variable ``pmipv6_domain``, its validation, and the
mapping from it to each Linux node's agent configuration and each IOS-XE node's module configs.

Everything else (the validation play, the lma/mag/iosxe roles) uses this module, so the schema
lives in exactly one place (documented in docs/domain.md); the IOS-XE half of the mapping and of
the checks is in domain_iosxe.py.  Standard library only: it runs on the controller (filters,
action plugins) and inside modules alike.

``validate(domain, hosts)`` returns every problem at once as ``"<path>: <problem>"`` strings,
with paths such as ``pmipv6_domain.mags.mag2.lma``; ``agent_config(domain, node)`` returns the
dict the agent's YAML file holds (keys as in the agent's docs/agent.md); ``iosxe_config(domain,
node)`` the configs of the iosxe_pmipv6_* modules (model of iosxe/argspec.py).
"""

import ipaddress
import re

ROOT = "pmipv6_domain"
DEFAULT_LINK_LOCAL = "fe80::200:5eff:fe00:5213"  # RFC 6543
MAX_LIFETIME = 262140  # the PBU lifetime field: 16 bits of 4-second units
# Defaults of the domain settings, shared by the validation and the Linux and IOS-XE mappings.
DEFAULT_WINDOW_MS = 300  # RFC 5213 TimestampValidityWindow
DEFAULT_LIFETIME = 3600
DEFAULT_HEARTBEAT_INTERVAL = 30
DEFAULT_HEARTBEAT_MISSED = 3
PLATFORMS = ("linux", "iosxe")
DATAPLANES = ("auto", "kernel", "userspace", "none")
REPLAY_MODES = ("timestamp", "sequence")
ACCESS_TECHNOLOGIES = (
    "virtual", "ppp", "ieee-802.3", "ieee-802.11", "ieee-802.16e", "3gpp-geran", "3gpp-utran",
    "3gpp-eutran", "3gpp2-ehrpd", "3gpp2-hrpd", "3gpp2-1xrtt", "3gpp2-umb", "3gpp-nb-iot",
)  # fmt: skip
OFFLOAD_ACTIONS = ("local", "home")  # break out at the MAG / keep in the tunnel to the LMA
OFFLOAD_PROTOCOLS = ("any", "tcp", "udp", "icmpv6")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
NAI = re.compile(r"^[^@\s]+@[^@\s]+$")
# Access interface names by platform: (pattern, what it is called in a problem)
INTERFACE_NAMES = {
    "linux": (re.compile(r"^[^\s/]{1,15}$"), "a Linux interface name"),
    "iosxe": (
        # the full name as the running-config shows it (an abbreviation would never compare equal)
        re.compile(r"^[A-Z][A-Za-z-]*[0-9]+(/[0-9]+)*([.:][0-9]+)?$"),
        "an IOS interface name in full (such as GigabitEthernet0/0/1)",
    ),
}
DEFAULT_PATHS = {"control_socket": "/run/pmipv6/{node}.sock", "state_dir": "/var/lib/pmipv6/{node}"}

TOP_KEYS = (
    "name", "replay_protection", "binding_lifetime", "link_local_address", "heartbeat", "auth",
    "dataplane", "lmas", "mags", "aps", "mobile_nodes", "offload", "min_delay_before_bce_delete_ms",
    "max_delay_before_new_bce_assign_ms", "detach_poll", "iosxe",
)  # fmt: skip
LMA_KEYS = ("platform", "address", "hnp_pools", "hnp_length", "ipv4_pools", "dataplane", "iosxe")
MAG_KEYS = ("platform", "address", "lma", "access_interfaces", "dataplane", "detach_poll", "iosxe")
AP_KEYS = ("mag", "access_technology", "description")
MN_KEYS = ("nai", "mac", "lma", "hnp")
OFFLOAD_KEYS = ("selectors", "action", "mags")
SELECTOR_KEYS = ("destination", "protocol", "ports")


class DomainError(ValueError):
    """The domain is invalid; ``problems`` lists every ``path: problem``."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class _Walker:
    """Collects problems with their paths while reading the raw inventory data."""

    def __init__(self):
        self.problems = []

    def fail(self, path, problem):
        self.problems.append(f"{path}: {problem}")

    def mapping(self, value, path, known, required=()):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type(value).__name__}")
            return {}
        for key in value:
            if key not in known:
                self.fail(f"{path}.{key}", "unknown key (expected one of {})".format(", ".join(known)))
        for key in required:
            if value.get(key) is None:
                self.fail(f"{path}.{key}", "required")
        return value

    def named(self, value, path, what):
        """A mapping of name -> settings (LMAs, MAGs, APs, ...)."""
        items = self.mapping(value, path, known=value.keys() if isinstance(value, dict) else ())
        for name in items:
            if not isinstance(name, str) or not NAME.match(name):
                self.fail(f"{path}.{name}", f"not a valid {what} name (letter, then letters, digits, . _ -)")
        return items

    def items(self, value, path):
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "expected a list")
            return []
        return value

    def integer(self, value, path, default, low, high):
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {value!r}")
            return default
        if not low <= value <= high:
            self.fail(path, f"{value} out of range {low}..{high}")
            return default
        return value

    def number(self, value, path, default, low, high):
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"expected a number, got {value!r}")
            return default
        if not low <= value <= high:
            self.fail(path, f"{value} out of range {low}..{high}")
            return default
        return value

    def choice(self, value, path, default, choices):
        if value is None:
            return default
        if value not in choices:
            self.fail(path, "{!r} is not one of {}".format(value, ", ".join(choices)))
            return default
        return value

    def ipv6(self, value, path):
        try:
            return ipaddress.IPv6Address(str(value)).compressed
        except ValueError:
            self.fail(path, f"not an IPv6 address: {value!r}")
            return None

    def prefix(self, value, path):
        try:
            return ipaddress.IPv6Network(str(value))
        except ValueError as exc:
            self.fail(path, f"not an IPv6 prefix: {value!r} ({exc})")
            return None

    def reference(self, value, path, pool, what):
        if value is None:
            self.fail(path, "required")
            return None
        if value not in pool:
            self.fail(path, f"unknown {what} {value!r}")
            return None
        return value


def mac_text(value):
    """Canonical lower-case colon form of a MAC address."""
    return ":".join(value.replace("-", ":").lower().split(":"))


def _nodes(domain):
    out = {}
    for kind in ("lmas", "mags"):
        for name, node in (domain.get(kind) or {}).items():
            out[name] = (kind[:-1], (node or {}).get("platform", "linux"))
    return out


def nodes(domain):
    """``{name: (role, platform)}`` of every LMA and MAG in the domain."""
    return _nodes(domain if isinstance(domain, dict) else {})


class Checker:
    """One validation pass over a domain; ``problems`` holds what is wrong."""

    def __init__(self, domain):
        self.w = _Walker()
        self.raw = domain
        self.addresses = {}  # address -> path that claimed it
        self.pools = []  # (network, path, lma)

    @property
    def problems(self):
        return self.w.problems

    def run(self, hosts=None):
        w = self.w
        if not isinstance(self.raw, dict):
            w.fail(ROOT, f"expected a mapping describing the domain, got {type(self.raw).__name__}")
            return self.problems
        d = w.mapping(self.raw, ROOT, TOP_KEYS, ("name", "lmas", "mags"))
        self._settings(d)
        lmas = w.named(d.get("lmas"), ROOT + ".lmas", "LMA")
        mags = w.named(d.get("mags"), ROOT + ".mags", "MAG")
        for name in set(lmas) & set(mags):
            w.fail(f"{ROOT}.mags.{name}", "name also used by an LMA")
        for name, lma in lmas.items():
            self._lma(name, lma)
        self._pools_disjoint()
        for name, mag in mags.items():
            self._mag(name, mag, lmas)
        self._aps(w.named(d.get("aps"), ROOT + ".aps", "AP"), mags)
        self._mobile_nodes(w.named(d.get("mobile_nodes"), ROOT + ".mobile_nodes", "mobile node"), lmas)
        self._offload(w.named(d.get("offload"), ROOT + ".offload", "offload rule"), mags)
        if hosts is not None:
            self._hosts(hosts, set(lmas) | set(mags))
        # imported here: domain_iosxe builds on this module
        from ansible_collections.netmobility.pmipv6.plugins.module_utils.domain_iosxe import IosxeChecks

        IosxeChecks(w, d).run()
        return self.problems

    # -- domain-wide settings -------------------------------------------------------------------
    def _settings(self, d):
        w = self.w
        if d.get("name") is not None and (not isinstance(d["name"], str) or not NAME.match(d["name"])):
            w.fail(ROOT + ".name", "not a valid domain name: {!r}".format(d["name"]))
        rp = w.mapping(d.get("replay_protection"), ROOT + ".replay_protection", ("mode", "window_ms"))
        w.choice(rp.get("mode"), ROOT + ".replay_protection.mode", "timestamp", REPLAY_MODES)
        w.integer(rp.get("window_ms"), ROOT + ".replay_protection.window_ms", DEFAULT_WINDOW_MS, 1, 60000)
        lifetime = w.integer(
            d.get("binding_lifetime"), ROOT + ".binding_lifetime", DEFAULT_LIFETIME, 4, MAX_LIFETIME
        )
        if lifetime % 4:
            w.fail(ROOT + ".binding_lifetime", f"{lifetime} is not a multiple of 4 seconds")
        lla = d.get("link_local_address", DEFAULT_LINK_LOCAL)
        text = w.ipv6(lla, ROOT + ".link_local_address")
        if text and not ipaddress.IPv6Address(text).is_link_local:
            w.fail(ROOT + ".link_local_address", f"{lla} is not a link-local address")
        hb = w.mapping(d.get("heartbeat"), ROOT + ".heartbeat", ("interval", "missed", "timeout"))
        w.number(hb.get("interval"), ROOT + ".heartbeat.interval", DEFAULT_HEARTBEAT_INTERVAL, 1, 3600)
        w.integer(hb.get("missed"), ROOT + ".heartbeat.missed", DEFAULT_HEARTBEAT_MISSED, 1, 100)
        w.number(hb.get("timeout"), ROOT + ".heartbeat.timeout", 30, 1, 3600)  # IOS-XE nodes only
        if d.get("auth") is not None:
            a = w.mapping(d["auth"], ROOT + ".auth", ("spi", "key", "algorithm"), ("spi", "key"))
            w.integer(a.get("spi"), ROOT + ".auth.spi", 256, 256, 0xFFFFFFFF)
            if a.get("key") is not None and (not isinstance(a["key"], str) or len(a["key"]) < 16):
                w.fail(
                    ROOT + ".auth.key",
                    "expected a string of at least 16 characters (keep it in Ansible Vault)",
                )
            w.choice(a.get("algorithm"), ROOT + ".auth.algorithm", "hmac-sha1", ("hmac-sha1",))
        w.choice(d.get("dataplane"), ROOT + ".dataplane", "auto", DATAPLANES)
        for key in ("min_delay_before_bce_delete_ms", "max_delay_before_new_bce_assign_ms"):
            w.integer(d.get(key), f"{ROOT}.{key}", 0, 0, 3600000)
        self._detach_poll(d.get("detach_poll"), ROOT + ".detach_poll")

    def _detach_poll(self, raw, path):
        w = self.w
        dp = w.mapping(raw, path, ("interval", "timeout", "retries"))
        w.number(dp.get("interval"), path + ".interval", 10, 0.1, 3600)
        w.number(dp.get("timeout"), path + ".timeout", 2, 0.1, 60)
        w.integer(dp.get("retries"), path + ".retries", 2, 0, 100)

    def _node_common(self, path, raw):
        """Checks every node shares; returns its (address, platform), each None when invalid."""
        w = self.w
        platform = w.choice(raw.get("platform"), path + ".platform", "linux", PLATFORMS)
        w.choice(raw.get("dataplane"), path + ".dataplane", "auto", DATAPLANES)
        if raw.get("address") is None:
            return None, platform
        address = w.ipv6(raw["address"], path + ".address")
        if address is None:
            return None, platform
        parsed = ipaddress.IPv6Address(address)
        if parsed.is_link_local or parsed.is_multicast or parsed.is_unspecified or parsed.is_loopback:
            w.fail(path + ".address", f"{address} is not a global unicast address")
        elif address in self.addresses:
            w.fail(path + ".address", f"{address} is already the address of {self.addresses[address]}")
        else:
            self.addresses[address] = path
        return address, platform

    # -- LMAs, MAGs, APs ---------------------------------------------------------------------------
    def _lma(self, name, raw):
        w = self.w
        path = f"{ROOT}.lmas.{name}"
        lma = w.mapping(raw, path, LMA_KEYS, ("address", "hnp_pools"))
        self._node_common(path, lma)
        length = w.integer(lma.get("hnp_length"), path + ".hnp_length", 64, 1, 128)
        pools = w.items(lma.get("hnp_pools"), path + ".hnp_pools")
        if "hnp_pools" in lma and not pools:
            w.fail(path + ".hnp_pools", "at least one pool is required")
        for i, p in enumerate(pools):
            where = f"{path}.hnp_pools[{i}]"
            net = w.prefix(p, where)
            if net is None:
                continue
            if net.prefixlen > length:
                w.fail(where, f"pool {net} is longer than hnp_length /{length}")
            self.pools.append((net, where, name))
        for i, p in enumerate(w.items(lma.get("ipv4_pools"), path + ".ipv4_pools")):
            try:
                ipaddress.IPv4Network(str(p))
            except ValueError as exc:
                w.fail(f"{path}.ipv4_pools[{i}]", f"not an IPv4 prefix: {p!r} ({exc})")

    def _pools_disjoint(self):
        for i, (net, where, _lma) in enumerate(self.pools):
            for other, other_where, _other_lma in self.pools[:i]:
                if net.overlaps(other):
                    self.w.fail(where, f"{net} overlaps {other_where} ({other})")

    def _mag(self, name, raw, lmas):
        w = self.w
        path = f"{ROOT}.mags.{name}"
        mag = w.mapping(raw, path, MAG_KEYS, ("address", "lma"))
        platform = self._node_common(path, mag)[1]
        if mag.get("lma") is not None:
            w.reference(mag["lma"], path + ".lma", lmas, "LMA")
        pattern, what = INTERFACE_NAMES[platform]
        seen = set()
        for i, item in enumerate(w.items(mag.get("access_interfaces"), path + ".access_interfaces")):
            where = f"{path}.access_interfaces[{i}]"
            a = w.mapping(item, where, ("name", "access_technology", "aps"), ("name",))
            ifname = a.get("name")
            if ifname is not None and (not isinstance(ifname, str) or not pattern.match(ifname)):
                w.fail(where + ".name", f"not {what}: {ifname!r}")
            elif ifname in seen:
                w.fail(where + ".name", f"duplicate access interface {ifname!r}")
            seen.add(ifname)
            w.choice(a.get("access_technology"), where + ".access_technology", None, ACCESS_TECHNOLOGIES)
            w.items(a.get("aps"), where + ".aps")
        if mag.get("detach_poll") is not None:
            self._detach_poll(mag["detach_poll"], path + ".detach_poll")

    def _aps(self, aps, mags):
        """Each AP hangs off one access interface of one MAG: listed there, and (optionally) naming
        that MAG itself; an AP listed under two MAGs (or interfaces) is an error."""
        w = self.w
        owner = {}  # ap -> (mag, path where listed)
        for mag_name, mag in mags.items():
            if not isinstance(mag, dict):
                continue
            for i, item in enumerate(mag.get("access_interfaces") or []):
                if not isinstance(item, dict):
                    continue
                for j, ap in enumerate(item.get("aps") or []):
                    where = f"{ROOT}.mags.{mag_name}.access_interfaces[{i}].aps[{j}]"
                    if ap not in aps:
                        w.fail(where, f"unknown AP {ap!r}")
                    elif ap in owner:
                        w.fail(
                            where, f"AP {ap!r} is already behind {owner[ap][1]} (an AP serves one MAG link)"
                        )
                    else:
                        owner[ap] = (mag_name, where)
        for name, raw in aps.items():
            path = f"{ROOT}.aps.{name}"
            ap = w.mapping(raw, path, AP_KEYS)
            w.choice(ap.get("access_technology"), path + ".access_technology", None, ACCESS_TECHNOLOGIES)
            if ap.get("mag") is not None and not w.reference(ap["mag"], path + ".mag", mags, "MAG"):
                continue
            if name not in owner:
                w.fail(
                    path, "not behind any MAG access interface (list it under a MAG's access_interfaces aps)"
                )
            elif ap.get("mag") not in (None, owner[name][0]):
                w.fail(path + ".mag", "says {}, but the AP is listed at {}".format(ap["mag"], owner[name][1]))

    # -- mobile nodes, offload, hosts ----------------------------------------------------------
    def _mobile_nodes(self, mns, lmas):
        w = self.w
        nais, macs, statics = {}, {}, {}
        for name, raw in mns.items():
            path = f"{ROOT}.mobile_nodes.{name}"
            mn = w.mapping(raw, path, MN_KEYS, ("nai", "lma"))
            nai = mn.get("nai")
            if nai is not None:
                if not isinstance(nai, str) or not NAI.match(nai):
                    w.fail(path + ".nai", f"not an NAI (user@realm): {nai!r}")
                elif nai.lower() in nais:
                    w.fail(path + ".nai", f"{nai} is also the NAI of {nais[nai.lower()]}")
                else:
                    nais[nai.lower()] = path
            mac = mn.get("mac")
            if mac is not None:
                if not isinstance(mac, str) or not MAC.match(mac):
                    w.fail(path + ".mac", f"not a MAC address: {mac!r}")
                elif mac_text(mac) in macs:
                    w.fail(path + ".mac", f"{mac_text(mac)} is also the MAC of {macs[mac_text(mac)]}")
                else:
                    macs[mac_text(mac)] = path
            lma = (
                w.reference(mn.get("lma"), path + ".lma", lmas, "LMA") if mn.get("lma") is not None else None
            )
            for i, p in enumerate(w.items(mn.get("hnp"), path + ".hnp")):
                self._static_prefix(p, f"{path}.hnp[{i}]", lma, lmas, statics)

    def _static_prefix(self, value, where, lma, lmas, statics):
        w = self.w
        net = w.prefix(value, where)
        if net is None:
            return
        if net in statics:
            w.fail(where, f"{net} is already the static prefix of {statics[net]}")
            return
        statics[net] = where
        inside = [(pool, lma_name) for pool, _where, lma_name in self.pools if net.subnet_of(pool)]
        if not inside:
            w.fail(where, f"{net} is outside every HNP pool")
        elif lma is not None and all(owner != lma for _pool, owner in inside):
            w.fail(where, f"{net} lies in a pool of {inside[0][1]}, not of its LMA {lma}")
        if lma is not None and isinstance(lmas.get(lma), dict):
            length = lmas[lma].get("hnp_length", 64)
            if isinstance(length, int) and net.prefixlen != length:
                w.fail(where, f"{net} is not a /{length} (the hnp_length of {lma})")

    def _offload(self, rules, mags):
        w = self.w
        for name, raw in rules.items():
            path = f"{ROOT}.offload.{name}"
            rule = w.mapping(raw, path, OFFLOAD_KEYS, ("selectors", "action"))
            sel = w.mapping(rule.get("selectors"), path + ".selectors", SELECTOR_KEYS, ("destination",))
            if sel.get("destination") is not None:
                w.prefix(sel["destination"], path + ".selectors.destination")
            w.choice(sel.get("protocol"), path + ".selectors.protocol", "any", OFFLOAD_PROTOCOLS)
            for i, port in enumerate(w.items(sel.get("ports"), path + ".selectors.ports")):
                w.integer(port, f"{path}.selectors.ports[{i}]", 0, 1, 65535)
            w.choice(rule.get("action"), path + ".action", "home", OFFLOAD_ACTIONS)
            for i, mag in enumerate(w.items(rule.get("mags"), path + ".mags")):
                w.reference(mag, f"{path}.mags[{i}]", mags, "MAG")

    def _hosts(self, hosts, names):
        """``hosts``: inventory host -> its ``pmipv6_node`` (None when unset: not a domain host)."""
        realised = {}
        for host in sorted(hosts):
            node = hosts[host]
            if node is None:
                continue
            if node not in names:
                self.w.fail(f"hostvars[{host}].pmipv6_node", f"{node!r} is not a node of the domain")
            elif node in realised:
                self.w.fail(
                    f"hostvars[{host}].pmipv6_node", f"{node} is already realised by host {realised[node]}"
                )
            else:
                realised[node] = host
        for node in sorted(names - set(realised)):
            kind = "lmas" if node in (self.raw.get("lmas") or {}) else "mags"
            self.w.fail(f"{ROOT}.{kind}.{node}", f"no inventory host has pmipv6_node: {node}")


def validate(domain, hosts=None):
    """Every problem of ``domain`` (and of the host mapping, when given), as ``path: problem``."""
    return Checker(domain).run(hosts)


def check(domain, hosts=None):
    """Raise ``DomainError`` unless the domain is valid."""
    problems = validate(domain, hosts)
    if problems:
        raise DomainError(problems)


# -- mapping to agent configurations ------------------------------------------------------------
def _common(domain, name, node, role, paths):
    paths = dict(DEFAULT_PATHS, **(paths or {}))
    rp = domain.get("replay_protection") or {}
    hb = domain.get("heartbeat") or {}
    cfg = {
        "node": name,
        "role": role,
        "domain": domain["name"],
        "address": ipaddress.IPv6Address(str(node["address"])).compressed,
        "control_socket": paths["control_socket"].format(node=name),
        "state_dir": paths["state_dir"].format(node=name),
        "dataplane": node.get("dataplane") or domain.get("dataplane") or "auto",
        "replay_protection": {
            "mode": rp.get("mode", "timestamp"),
            "window_ms": rp.get("window_ms", DEFAULT_WINDOW_MS),
        },
        "heartbeat": {
            "interval": hb.get("interval", DEFAULT_HEARTBEAT_INTERVAL),
            "missed": hb.get("missed", DEFAULT_HEARTBEAT_MISSED),
        },
    }
    if domain.get("auth"):
        auth = domain["auth"]
        cfg["auth"] = {
            "spi": auth["spi"],
            "key": auth["key"],
            "algorithm": auth.get("algorithm", "hmac-sha1"),
        }
    return cfg


def _profiles(domain, lma):
    """The mobile-node policy profiles served through LMA ``lma``, sorted by NAI."""
    out = []
    for mn in sorted((domain.get("mobile_nodes") or {}).values(), key=lambda profile: profile["nai"]):
        if mn["lma"] != lma:
            continue
        profile = {"id": mn["nai"], "lma": lma}
        if mn.get("mac"):
            profile["mac"] = mac_text(mn["mac"])
        if mn.get("hnp"):
            profile["hnp"] = [str(ipaddress.IPv6Network(str(p))) for p in mn["hnp"]]
        out.append(profile)
    return out


def _lma_config(domain, name, paths):
    lma = domain["lmas"][name]
    cfg = _common(domain, name, lma, "lma", paths)
    mags = sorted((n, m) for n, m in domain["mags"].items() if m["lma"] == name)
    section = {
        "hnp_pools": [str(ipaddress.IPv6Network(str(p))) for p in lma["hnp_pools"]],
        "hnp_length": lma.get("hnp_length", 64),
        "mags": [
            {"name": n, "address": ipaddress.IPv6Address(str(m["address"])).compressed} for n, m in mags
        ],
        "binding_lifetime_max": domain.get("binding_lifetime", DEFAULT_LIFETIME),
    }
    for key in ("min_delay_before_bce_delete_ms", "max_delay_before_new_bce_assign_ms"):
        if domain.get(key) is not None:
            section[key] = domain[key]
    cfg["lma"] = section
    cfg["mobile_nodes"] = _profiles(domain, name)
    return cfg


def access_interfaces(domain, mag):
    """The access interfaces of MAG settings ``mag``, each with its access technology resolved."""
    aps = domain.get("aps") or {}
    out = []
    for item in mag.get("access_interfaces") or []:
        att = item.get("access_technology")
        if att is None:  # the technology of the APs behind it (validated to be known)
            techs = sorted(
                {aps[a].get("access_technology") for a in item.get("aps") or [] if a in aps} - {None}
            )
            att = techs[0] if techs else "ieee-802.11"
        out.append({"name": item["name"], "access_technology": att})
    return out


def _mag_config(domain, name, paths):
    mag = domain["mags"][name]
    lma_name = mag["lma"]
    cfg = _common(domain, name, mag, "mag", paths)
    section = {
        "lma": {
            "name": lma_name,
            "address": ipaddress.IPv6Address(str(domain["lmas"][lma_name]["address"])).compressed,
        },
        "access_interfaces": access_interfaces(domain, mag),
        "link_local_address": ipaddress.IPv6Address(
            str(domain.get("link_local_address", DEFAULT_LINK_LOCAL))
        ).compressed,
        "binding_lifetime": domain.get("binding_lifetime", DEFAULT_LIFETIME),
    }
    poll = mag.get("detach_poll") or domain.get("detach_poll")
    if poll:
        section["detach_poll"] = dict(poll)
    cfg["mag"] = section
    cfg["mobile_nodes"] = _profiles(domain, lma_name)
    cfg["offload"] = _offload_rules(domain, name)
    return cfg


def _offload_rules(domain, mag):
    out = []
    for rule_name, rule in sorted((domain.get("offload") or {}).items()):
        if rule.get("mags") and mag not in rule["mags"]:
            continue
        sel = rule["selectors"]
        out.append(
            {
                "name": rule_name,
                "destination": str(ipaddress.IPv6Network(str(sel["destination"]))),
                "protocol": sel.get("protocol", "any"),
                "ports": sorted(sel.get("ports") or []),
                "action": rule["action"],
            }
        )
    return out


def _role_on(domain, node, platform, refusal):
    """The role of ``node`` after checking the domain is valid and the node runs on ``platform``;
    ``refusal`` says what nodes of another platform get instead."""
    check(domain)
    known = nodes(domain)
    if node not in known:
        raise DomainError([f"{ROOT}: no LMA or MAG named {node!r}"])
    role, actual = known[node]
    if actual != platform:
        raise DomainError([f"{ROOT}.{role}s.{node}.platform: {actual} nodes get {refusal}"])
    return role


def agent_config(domain, node, paths=None):
    """The agent configuration (a dict, as in docs/agent.md) of Linux node ``node``.

    ``paths`` overrides ``control_socket`` / ``state_dir`` templates (``{node}`` is replaced).
    Raises ``DomainError`` when the domain is invalid or ``node`` is not one of its Linux nodes."""
    if _role_on(domain, node, "linux", "no agent configuration") == "lma":
        return _lma_config(domain, node, paths)
    return _mag_config(domain, node, paths)


def iosxe_config(domain, node):
    """The iosxe_pmipv6_* module configs of IOS-XE node ``node`` (docs/domain.md, "What each
    IOS-XE node gets"): ``{"domain": [entry], "mag": [entry]}`` for a MAG, ``{"domain": [entry],
    "lma": [entry]}`` for an LMA, in the model of iosxe/argspec.py.

    Raises ``DomainError`` when the domain is invalid or ``node`` is not one of its IOS-XE nodes."""
    from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain_iosxe  # builds on this

    _role_on(domain, node, "iosxe", "an agent configuration, not IOS-XE configs")
    return domain_iosxe.entries(domain, node)

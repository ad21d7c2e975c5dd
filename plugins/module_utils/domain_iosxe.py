# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IOS-XE side of the domain model: what each ``platform: iosxe`` node of ``pmipv6_domain``
gets from the IOS-XE resource modules, and the checks that the domain is representable there.

``entries(domain, node)`` maps a node to the module configs (``{"domain": [...], "mag": [...]}``
or ``{"domain": [...], "lma": [...]}``) in the model of ``iosxe/argspec.py``;
``IosxeChecks(walker, domain).run()`` adds every cross-vendor problem, with its path, to the
domain's validation.  The mapping is documented in docs/domain.md ("What each IOS-XE node gets").
Standard library only, like domain.py.
"""

import copy
import ipaddress
import re

from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain as model
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import argspec

ROOT = model.ROOT
DEFAULT_ROLE = "WLAN"  # pmipv6-mag/role default
ROLE_BY_TECHNOLOGY = {"ieee-802.11": "WLAN", "3gpp-eutran": "LTE", "ieee-802.16e": "WIMAX"}
# The device's ranges (Cisco-IOS-XE-mobileip, docs/domain.md): (low, high, multiple of)
RANGES = {
    "mag_lifetime": (8, 65532, 4),  # pmipv6-mag/binding/lifetime
    "refresh_time": (4, 65532, 4),  # pmipv6-mag/binding/refresh-time
    "bce_lifetime": (10, 65535, 1),  # pmipv6-lma/bce/lifetime
    "bce_wait_ms": (1, 65535, 1),  # pmipv6-lma/bce/{create,delete}-wait-time
    "heartbeat_interval": (1, 3600, 1),
    "heartbeat_retries": (1, 10, 1),
    "heartbeat_timeout": (1, 3600, 1),
    "poll_interval": (10, 36000, 1),  # pmipv6-mag/discover-mn-detach/poll/*
    "poll_timeout": (1, 10, 1),
    "poll_retries": (1, 10, 1),
    "replay_window": (3, 255, 1),  # domain and MAG replay-protection/timestamp/window
    "spi": (256, 12345678, 1),  # auth-option/spi/decimal
}
# Options of the model derived from the domain that an ``iosxe:`` override may not set.
DERIVED = {"domain": ("name",), "mag": ("name", "domain"), "lma": ("name", "domain")}


def role_of(technology):
    """The IOS-XE MAG role for an access technology (other technologies: the device default)."""
    if technology in ROLE_BY_TECHNOLOGY:
        return ROLE_BY_TECHNOLOGY[technology]
    if isinstance(technology, str) and technology.startswith("3gpp-"):
        return "3GPP"
    return DEFAULT_ROLE


def _ipv6(value):
    return ipaddress.IPv6Address(str(value)).compressed


def _iosxe_nodes(domain):
    """(lmas, mags): the names of the domain's IOS-XE LMAs and MAGs, sorted (junk tolerated)."""
    found = []
    for kind in ("lmas", "mags"):
        group = domain.get(kind) if isinstance(domain.get(kind), dict) else {}
        found.append(sorted(n for n, node in group.items() if _get(node, "platform") == "iosxe"))
    return tuple(found)


def _heartbeat(domain):
    hb = domain.get("heartbeat") or {}
    interval = hb.get("interval", model.DEFAULT_HEARTBEAT_INTERVAL)
    # RFC 5847 counts a heartbeat as missed when the next one is due: the reply timeout defaults
    # to the interval, as the Linux agents behave.
    missed = hb.get("missed", model.DEFAULT_HEARTBEAT_MISSED)
    return {"interval": interval, "retries": missed, "timeout": hb.get("timeout", interval)}


def _whole(value):
    """30.0 -> 30: the inventory may write whole seconds as floats; the device wants integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- mapping ------------------------------------------------------------------------------------
def _domain_entry(domain, lma_name):
    """The pmipv6-domain entry a node gets: the domain's LMAs, the profiles of the MNs anchored at
    the node's LMA, the replay window and the authentication option."""
    rp = domain.get("replay_protection") or {}
    entry = {
        "name": domain["name"],
        "replay_window": rp.get("window_ms", model.DEFAULT_WINDOW_MS),
        "lmas": [
            {"name": name, "ipv6_address": _ipv6(lma["address"])}
            for name, lma in sorted(domain["lmas"].items())
        ],
        "nais": [
            {"name": mn["nai"], "lma": lma_name, "service": "ipv6"}
            for mn in sorted((domain.get("mobile_nodes") or {}).values(), key=lambda mn: mn["nai"])
            if mn["lma"] == lma_name
        ],
    }
    if domain.get("auth"):
        entry["auth_option"] = {"spi": domain["auth"]["spi"], "key": {"ascii": domain["auth"]["key"]}}
    return _merged(entry, domain.get("iosxe"), argspec.DOMAIN_CONFIG, domain["name"])


def _mag_entry(domain, name):
    mag = domain["mags"][name]
    lma_name = mag["lma"]
    interfaces = model.access_interfaces(domain, mag)
    entry = {
        "name": name,
        "domain": domain["name"],
        "address": {"ipv6": _ipv6(mag["address"])},
        "interfaces": sorted(item["name"] for item in interfaces),
        "binding": {"lifetime": domain.get("binding_lifetime", model.DEFAULT_LIFETIME)},
        "heartbeat": {k: _whole(v) for k, v in _heartbeat(domain).items()},
        "lmas": [
            {
                "name": lma_name,
                "domain": domain["name"],
                "ipv6_addresses": [_ipv6(domain["lmas"][lma_name]["address"])],
            }
        ],
    }
    if interfaces:  # validated: the access interfaces all map to one role
        entry["role"] = role_of(interfaces[0]["access_technology"])
    poll = mag.get("detach_poll") or domain.get("detach_poll")
    if poll:
        defaults = {"interval": 10, "timeout": 2, "retries": 2}  # all three go together on IOS-XE
        entry["discover_mn_detach"] = {k: _whole(poll.get(k, v)) for k, v in defaults.items()}
    return _merged(entry, mag.get("iosxe"), argspec.MAG_CONFIG, domain["name"])


def _lma_entry(domain, name):
    lma = domain["lmas"][name]
    bce = {"lifetime": domain.get("binding_lifetime", model.DEFAULT_LIFETIME)}
    if domain.get("max_delay_before_new_bce_assign_ms") is not None:
        bce["create_wait_time"] = domain["max_delay_before_new_bce_assign_ms"]
    if domain.get("min_delay_before_bce_delete_ms") is not None:
        bce["delete_wait_time"] = domain["min_delay_before_bce_delete_ms"]
    entry = {
        "name": name,
        "domain": domain["name"],
        "address": {"ipv6": [_ipv6(lma["address"])]},
        "bce": bce,
        "heartbeat": {k: _whole(v) for k, v in _heartbeat(domain).items()},
        "mags": [
            {"name": mag_name, "domain": domain["name"], "ipv6_address": _ipv6(mag["address"])}
            for mag_name, mag in sorted(domain["mags"].items())
            if mag["lma"] == name
        ],
    }
    return _merged(entry, lma.get("iosxe"), argspec.LMA_CONFIG, domain["name"])


def entries(domain, node):
    """The module configs of IOS-XE node ``node`` of a valid ``domain``."""
    role, _platform = model.nodes(domain)[node]
    if role == "mag":
        lma_name = domain["mags"][node]["lma"]
        return {"domain": [_domain_entry(domain, lma_name)], "mag": [_mag_entry(domain, node)]}
    return {"domain": [_domain_entry(domain, node)], "lma": [_lma_entry(domain, node)]}


# -- iosxe: overrides ---------------------------------------------------------------------------
def _merged(base, extra, options, domain_name):
    """``base`` with the ``iosxe:`` override ``extra`` merged in, guided by the argspec ``options``:
    mappings key by key, keyed lists entry by entry (by name, and domain where the list has one,
    defaulting to this domain), anything else (leaves, lists of strings) replaced."""
    out = copy.deepcopy(base)
    for key, value in (extra or {}).items():
        spec = options.get(key, {})
        if spec.get("type") == "dict" and isinstance(value, dict):
            out[key] = _merged(out.get(key) or {}, value, spec["options"], domain_name)
        elif spec.get("elements") == "dict" and isinstance(value, list):
            out[key] = _merged_list(out.get(key) or [], value, spec["options"], domain_name)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merged_list(old, new, options, domain_name):
    def key(item):
        return (item.get("name"), item.get("domain"))

    by_key = {key(item): item for item in old}
    for item in new:
        if "domain" in options and not item.get("domain"):
            item = dict(item, domain=domain_name)
        by_key[key(item)] = _merged(by_key.get(key(item), {}), item, options, domain_name)
    return sorted(by_key.values(), key=lambda item: (str(item.get("name")), str(item.get("domain"))))


# -- checks -------------------------------------------------------------------------------------
def _get(mapping, *keys):
    """``mapping[k1][k2]...`` or None when a level is missing or not a mapping (junk input)."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_ipv6(value, expected):
    try:
        return ipaddress.IPv6Address(str(value)).compressed == expected
    except ValueError:
        return False


class IosxeChecks:
    """The cross-vendor checks of one domain: IOS-XE node settings the device can hold, IOS
    interface names, ``iosxe:`` overrides that fit the modules' model and agree with the domain.

    Only IOS-XE nodes are checked, and domain-wide settings only when some IOS-XE node uses them;
    a domain-wide value is reported once, naming the IOS-XE nodes it reaches. Runs after the base
    checks (which already reported wrong types), and never raises on junk input."""

    def __init__(self, walker, domain):
        self.w = walker
        self.d = domain
        self.shared = {}  # (path, problem) -> IOS-XE nodes that take that domain-wide value

    def run(self):
        lmas, mags = _iosxe_nodes(self.d)
        self._overrides_only_on_iosxe()
        if self.d.get("iosxe") is not None:
            self._spec(self.d["iosxe"], argspec.DOMAIN_CONFIG, ROOT + ".iosxe", DERIVED["domain"])
            self._domain_override_lmas()
        for name in lmas + mags:
            self._domain_wide(name)
        for name in mags:
            self._mag(name)
        for name in lmas:
            self._lma(name)
        for (path, problem), names in self.shared.items():
            self.w.fail(path, "{} (IOS-XE nodes: {})".format(problem, ", ".join(sorted(set(names)))))
        return self.w.problems

    # -- helpers --------------------------------------------------------------------------------
    def _report(self, path, problem, node=None):
        """``node`` set: a domain-wide value, reported once for all the nodes it reaches."""
        if node is None:
            self.w.fail(path, problem)
        else:
            self.shared.setdefault((path, problem), []).append(node)

    def _range(self, value, what, path, node=None):
        if not _is_number(value):  # absent, or a type error the base checks report
            return
        low, high, multiple = RANGES[what]
        if value != int(value):
            self._report(path, f"{value} is not a whole number (IOS-XE takes integers)", node)
        elif not low <= value <= high:
            self._report(path, f"{value} is out of the IOS-XE range {low}..{high}", node)
        elif value % multiple:
            self._report(path, f"{value} is not a multiple of {multiple} (IOS-XE)", node)

    def _first(self, candidates):
        """The first set value of ``candidates`` ((value, path, node) triples), or (None, None, None)."""
        for value, path, node in candidates:
            if value is not None:
                return value, path, node
        return None, None, None

    def _setting(self, what, candidates):
        value, path, node = self._first(candidates)
        self._range(value, what, path, node)

    # -- domain-wide settings, as each IOS-XE node takes them ------------------------------------
    def _domain_wide(self, node):
        d = self.d
        rp = d.get("replay_protection") if isinstance(d.get("replay_protection"), dict) else {}
        if rp.get("mode", "timestamp") != "timestamp":
            self._report(
                ROOT + ".replay_protection.mode", "IOS-XE has timestamp replay protection only", node
            )
        if _get(d, "iosxe", "replay_window") is None:
            if rp.get("window_ms") is None:
                self._report(
                    ROOT + ".replay_protection.window_ms",
                    "unset, and the default 300 is out of the IOS-XE range 3..255: set it explicitly",
                    node,
                )
            self._range(rp.get("window_ms"), "replay_window", ROOT + ".replay_protection.window_ms", node)
        else:
            self._range(d["iosxe"]["replay_window"], "replay_window", ROOT + ".iosxe.replay_window")
        auth = d.get("auth")
        if isinstance(auth, dict):
            self._range(auth.get("spi"), "spi", ROOT + ".auth.spi", node)
            key = auth.get("key")
            # The key is typed as one CLI word; never echoed here (it is a secret).
            if isinstance(key, str) and not re.match(r"^[!-~]+$", key.replace("?", " ")):
                self._report(
                    ROOT + ".auth.key",
                    "not representable on IOS-XE (printable ASCII without spaces or '?')",
                    node,
                )

    def _heartbeat(self, node, path, override):
        hb = self.d.get("heartbeat") if isinstance(self.d.get("heartbeat"), dict) else {}
        for option, key in (("interval", "interval"), ("retries", "missed"), ("timeout", "timeout")):
            self._setting(
                "heartbeat_" + option,
                [
                    (_get(override, "heartbeat", option), f"{path}.iosxe.heartbeat.{option}", None),
                    (hb.get(key), f"{ROOT}.heartbeat.{key}", node),
                ],
            )

    # -- MAGs -----------------------------------------------------------------------------------
    def _mag(self, name):
        path = f"{ROOT}.mags.{name}"
        mag = self.d["mags"][name] if isinstance(self.d["mags"][name], dict) else {}
        override = mag.get("iosxe") if isinstance(mag.get("iosxe"), dict) else {}
        self._setting(
            "mag_lifetime",
            [
                (_get(override, "binding", "lifetime"), path + ".iosxe.binding.lifetime", None),
                (self.d.get("binding_lifetime"), ROOT + ".binding_lifetime", name),
            ],
        )
        self._range(
            _get(override, "binding", "refresh_time"), "refresh_time", path + ".iosxe.binding.refresh_time"
        )
        self._range(override.get("replay_window"), "replay_window", path + ".iosxe.replay_window")
        self._heartbeat(name, path, override)
        if isinstance(mag.get("detach_poll"), dict):
            poll, poll_path, poll_node = mag["detach_poll"], path + ".detach_poll", None
        else:
            poll, poll_path, poll_node = self.d.get("detach_poll"), ROOT + ".detach_poll", name
        for option in ("interval", "timeout", "retries"):
            self._setting(
                "poll_" + option,
                [
                    (
                        _get(override, "discover_mn_detach", option),
                        f"{path}.iosxe.discover_mn_detach.{option}",
                        None,
                    ),
                    (_get(poll, option), f"{poll_path}.{option}", poll_node),
                ],
            )
        if "role" not in override:
            self._one_role(path, mag)
        self._mag_override(name, path, mag, override)

    def _one_role(self, path, mag):
        try:  # the technologies exactly as the mapping resolves them
            interfaces = model.access_interfaces(self.d, mag)
        except (AttributeError, KeyError, TypeError):  # junk, which the base checks reported
            return
        roles = sorted({role_of(item["access_technology"]) for item in interfaces})
        if len(roles) > 1:
            self.w.fail(
                path + ".access_interfaces",
                "an IOS-XE MAG has one role, but its access technologies map to {} (set iosxe.role)".format(
                    ", ".join(roles)
                ),
            )

    def _mag_override(self, name, path, mag, override):
        lma = mag.get("lma")
        lma_address = self._address(_get(self.d, "lmas", lma, "address"))
        own = self._address(mag.get("address"))
        ipv6 = _get(override, "address", "ipv6")
        if ipv6 is not None and own and not _same_ipv6(ipv6, own):
            self.w.fail(path + ".iosxe.address.ipv6", f"must be {own}, the MAG's address ({path}.address)")
        for i, item in enumerate(
            override.get("lmas") or [] if isinstance(override.get("lmas"), list) else []
        ):
            where = f"{path}.iosxe.lmas[{i}]"
            if not isinstance(item, dict):
                continue
            if item.get("name") != lma:
                self.w.fail(where + ".name", f"{item.get('name')!r} is not this MAG's LMA ({lma})")
                continue
            self._same_domain(item.get("domain"), where + ".domain")
            addresses = item.get("ipv6_addresses")
            if (
                isinstance(addresses, list)
                and lma_address
                and (len(addresses) != 1 or not _same_ipv6(addresses[0], lma_address))
            ):
                self.w.fail(
                    where + ".ipv6_addresses",
                    f"must be [{lma_address}], the address of LMA {lma} ({ROOT}.lmas.{lma}.address)",
                )

    # -- LMAs -----------------------------------------------------------------------------------
    def _lma(self, name):
        path = f"{ROOT}.lmas.{name}"
        lma = self.d["lmas"][name] if isinstance(self.d["lmas"][name], dict) else {}
        override = lma.get("iosxe") if isinstance(lma.get("iosxe"), dict) else {}
        self._setting(
            "bce_lifetime",
            [
                (_get(override, "bce", "lifetime"), path + ".iosxe.bce.lifetime", None),
                (self.d.get("binding_lifetime"), ROOT + ".binding_lifetime", name),
            ],
        )
        for option, key in (
            ("create_wait_time", "max_delay_before_new_bce_assign_ms"),
            ("delete_wait_time", "min_delay_before_bce_delete_ms"),
        ):
            self._setting(
                "bce_wait_ms",
                [
                    (_get(override, "bce", option), f"{path}.iosxe.bce.{option}", None),
                    (self.d.get(key), f"{ROOT}.{key}", name),
                ],
            )
        self._heartbeat(name, path, override)
        own = self._address(lma.get("address"))
        ipv6 = _get(override, "address", "ipv6")
        if isinstance(ipv6, list) and own and not any(_same_ipv6(a, own) for a in ipv6):
            self.w.fail(
                path + ".iosxe.address.ipv6", f"must include {own}, the LMA's address ({path}.address)"
            )
        mags = self.d.get("mags") if isinstance(self.d.get("mags"), dict) else {}
        for i, item in enumerate(override.get("mags") if isinstance(override.get("mags"), list) else []):
            where = f"{path}.iosxe.mags[{i}]"
            mag = mags.get(item.get("name")) if isinstance(item, dict) else None
            if not isinstance(mag, dict):
                continue  # a MAG outside the domain model: the override alone describes it
            self._same_domain(item.get("domain"), where + ".domain")
            if mag.get("lma") != name:
                self.w.fail(
                    where + ".name",
                    "MAG {} is anchored at {}, not at {}".format(item["name"], mag.get("lma"), name),
                )
            address = self._address(mag.get("address"))
            if (
                item.get("ipv6_address") is not None
                and address
                and not _same_ipv6(item["ipv6_address"], address)
            ):
                self.w.fail(
                    where + ".ipv6_address",
                    "must be {}, the address of MAG {} ({}.mags.{}.address)".format(
                        address, item["name"], ROOT, item["name"]
                    ),
                )

    # -- overrides ------------------------------------------------------------------------------
    def _overrides_only_on_iosxe(self):
        for kind in ("lmas", "mags"):
            nodes = self.d.get(kind) if isinstance(self.d.get(kind), dict) else {}
            role = kind[:-1]
            for name, node in nodes.items():
                if not isinstance(node, dict) or node.get("iosxe") is None:
                    continue
                path = f"{ROOT}.{kind}.{name}.iosxe"
                if node.get("platform", "linux") != "iosxe":
                    self.w.fail(path, "only IOS-XE nodes (platform: iosxe) take iosxe options")
                else:
                    self._spec(node["iosxe"], argspec.CONFIGS[role], path, DERIVED[role])

    def _domain_override_lmas(self):
        lmas = self.d.get("lmas") if isinstance(self.d.get("lmas"), dict) else {}
        items = _get(self.d, "iosxe", "lmas")
        for i, item in enumerate(items if isinstance(items, list) else []):
            node = lmas.get(item.get("name")) if isinstance(item, dict) else None
            if not isinstance(node, dict) or item.get("ipv6_address") is None:
                continue
            address = self._address(node.get("address"))
            if address and not _same_ipv6(item["ipv6_address"], address):
                self.w.fail(
                    f"{ROOT}.iosxe.lmas[{i}].ipv6_address",
                    "must be {}, the address of LMA {} ({}.lmas.{}.address)".format(
                        address, item["name"], ROOT, item["name"]
                    ),
                )

    def _same_domain(self, value, path):
        if value is not None and value != self.d.get("name"):
            self.w.fail(path, "{!r} is not this domain ({})".format(value, self.d.get("name")))

    @staticmethod
    def _address(value):
        try:
            return ipaddress.IPv6Address(str(value)).compressed if value is not None else None
        except ValueError:
            return None

    def _spec(self, value, options, path, derived=()):
        """``value`` against the modules' argspec ``options``: known options, types, choices."""
        if not isinstance(value, dict):
            self.w.fail(path, f"expected a mapping of IOS-XE model options, got {type(value).__name__}")
            return
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in derived:
                self.w.fail(where, "comes from the domain model and cannot be overridden")
            elif key not in options:
                self.w.fail(where, "unknown option (expected one of {})".format(", ".join(sorted(options))))
            else:
                self._option(item, options[key], where)

    def _option(self, value, spec, path):
        kind = spec.get("type", "str")
        if value is None:
            return
        if kind == "dict":
            self._spec(value, spec["options"], path)
        elif kind == "list":
            if not isinstance(value, list):
                self.w.fail(path, "expected a list")
                return
            for i, item in enumerate(value):
                where = f"{path}[{i}]"
                if spec.get("elements") == "dict":
                    self._spec(item, spec["options"], where)
                    if isinstance(item, dict) and item.get("name") is None:
                        self.w.fail(where + ".name", "required")
                else:
                    self._scalar(item, spec.get("elements", "str"), spec, where)
        else:
            self._scalar(value, kind, spec, path)

    def _scalar(self, value, kind, spec, path):
        valid = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "str": isinstance(value, (str, int, float)) and not isinstance(value, bool),
        }[kind]
        shown = "(hidden)" if spec.get("no_log") else repr(value)
        if not valid:
            self.w.fail(path, f"expected {'an' if kind == 'int' else 'a'} {kind}, got {shown}")
        elif spec.get("choices") and value not in spec["choices"]:
            self.w.fail(path, "{} is not one of {}".format(shown, ", ".join(spec["choices"])))

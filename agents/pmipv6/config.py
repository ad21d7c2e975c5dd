"""Agent configuration: YAML file -> validated, typed settings.

Every problem is reported as ``path: problem`` (e.g. ``lma.hnp_pools[1]: not an IPv6 prefix``),
all of them at once, so an operator fixes a file in one pass.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .wire.codes import ACCESS_TECHNOLOGY_NAMES
from .wire.options import mac_bytes

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
DEFAULT_LINK_LOCAL = "fe80::200:5eff:fe00:5213"  # RFC 6543
MAX_LIFETIME = 262140  # 16-bit field in 4-second units


class ConfigError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ReplayProtection:
    mode: str = "timestamp"  # timestamp | sequence
    window_ms: int = 300


@dataclass
class AuthSettings:
    spi: int
    key: bytes
    algorithm: str = "hmac-sha1"


@dataclass
class HeartbeatSettings:
    interval: float = 30.0
    missed: int = 3


@dataclass
class Peer:
    name: str
    address: str

    @property
    def raw(self) -> bytes:
        return ipaddress.IPv6Address(self.address).packed


@dataclass
class LmaSettings:
    hnp_pools: list[str]
    hnp_length: int = 64
    mags: list[Peer] = field(default_factory=list)
    binding_lifetime_max: int = 3600
    min_delay_before_bce_delete_ms: int = 10000
    max_delay_before_new_bce_assign_ms: int = 1500
    accept_att_zero: bool = False  # OPMIP peers send ATT 0; leniency is opt-in


@dataclass
class AccessInterface:
    name: str
    access_technology: int = 4


@dataclass
class DetachPoll:
    interval: float = 10.0
    timeout: float = 2.0
    retries: int = 2


@dataclass
class Detection:
    """How a MAG notices an MN arriving when no AP controller calls ``pmipv6ctl attach``."""

    router_solicitation: bool = True  # a Router Solicitation from an unknown MAC
    neighbour: bool = True  # a netlink neighbour entry for an unknown MAC


@dataclass
class Retransmit:
    initial_ms: int = 1500
    max_ms: int = 32000
    max_attempts: int = 8


@dataclass
class MagSettings:
    lma: Peer
    access_interfaces: list[AccessInterface] = field(default_factory=list)
    link_local_address: str = DEFAULT_LINK_LOCAL
    binding_lifetime: int = 3600
    refresh_before: int = 60  # re-register this many seconds before the binding expires
    detach_poll: DetachPoll = field(default_factory=DetachPoll)
    retransmit: Retransmit = field(default_factory=Retransmit)
    detection: Detection = field(default_factory=Detection)


@dataclass
class RoutingSettings:
    """Where the data plane puts its policy routing state (see docs/dataplane.md)."""

    table: int = 5213  # routing table for the data plane's routes
    rule_priority: int = 5213  # base priority; the data plane uses this one and the next two


@dataclass
class MobileNodePolicy:
    id: str
    mac: str | None = None
    lma: str | None = None
    hnp: list[str] = field(default_factory=list)


@dataclass
class AgentConfig:
    node: str
    role: str
    address: str
    control_socket: str
    state_dir: str
    domain: str = "default"
    dataplane: str = "auto"
    log_level: str = "info"
    replay_protection: ReplayProtection = field(default_factory=ReplayProtection)
    auth: AuthSettings | None = None
    heartbeat: HeartbeatSettings = field(default_factory=HeartbeatSettings)
    lma: LmaSettings | None = None
    mag: MagSettings | None = None
    mobile_nodes: list[MobileNodePolicy] = field(default_factory=list)
    offload: list = field(default_factory=list)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    tunnel_mtu: int | None = None  # None: derived from the egress link towards the peer, minus 40
    persistence: bool = True  # bindings kept in state_dir across restarts
    source: str = ""  # the file text, for the loaded-config digest

    @property
    def address_raw(self) -> bytes:
        return ipaddress.IPv6Address(self.address).packed


class _Checker:
    """Collects problems while walking the raw YAML tree."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    def mapping(self, value, path: str, known: set[str], required: set[str] = frozenset()) -> dict:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type(value).__name__}")
            return {}
        for key in value:
            if key not in known:
                self.fail(f"{path}.{key}" if path else str(key), "unknown key")
        for key in sorted(required - value.keys()):
            self.fail(f"{path}.{key}" if path else key, "required")
        return value

    def text(self, value, path: str, default=None) -> str | None:
        if value is None:
            return default
        if not isinstance(value, str) or not value:
            self.fail(path, "expected a non-empty string")
            return default
        return value

    def integer(self, value, path: str, default: int, lo: int, hi: int) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer, got {value!r}")
            return default
        if not lo <= value <= hi:
            self.fail(path, f"{value} out of range {lo}..{hi}")
            return default
        return value

    def number(self, value, path: str, default: float, lo: float, hi: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"expected a number, got {value!r}")
            return default
        if not lo <= value <= hi:
            self.fail(path, f"{value} out of range {lo}..{hi}")
            return default
        return float(value)

    def ipv6(self, value, path: str) -> str | None:
        try:
            return str(ipaddress.IPv6Address(str(value)))
        except ValueError:
            self.fail(path, f"not an IPv6 address: {value!r}")
            return None

    def prefix(self, value, path: str) -> str | None:
        try:
            return str(ipaddress.IPv6Network(str(value)))
        except ValueError as exc:
            self.fail(path, f"not an IPv6 prefix: {value!r} ({exc})")
            return None

    def items(self, value, path: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "expected a list")
            return []
        return value

    def boolean(self, value, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {value!r}")
            return default
        return value

    def choice(self, value, path: str, default: str, choices: tuple[str, ...]) -> str:
        if value is None:
            return default
        if value not in choices:
            self.fail(path, f"{value!r} is not one of {', '.join(choices)}")
            return default
        return value


_TOP = {
    "node", "role", "domain", "address", "control_socket", "state_dir", "dataplane", "log_level",
    "replay_protection", "auth", "heartbeat", "lma", "mag", "mobile_nodes", "offload", "routing",
    "tunnel_mtu", "persistence",
}  # fmt: skip


def parse_config(text: str, origin: str = "<config>") -> AgentConfig:
    """Validate YAML text; raise ConfigError listing every problem."""
    c = _Checker()
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        raise ConfigError([f"{origin}: not valid YAML: {exc}"]) from None
    top = c.mapping(raw, "", _TOP, {"node", "role", "address", "control_socket", "state_dir"})
    role = c.choice(top.get("role"), "role", "lma", ("lma", "mag"))
    address = c.ipv6(top["address"], "address") if "address" in top else None

    rp_raw = c.mapping(top.get("replay_protection"), "replay_protection", {"mode", "window_ms"})
    replay = ReplayProtection(
        c.choice(rp_raw.get("mode"), "replay_protection.mode", "timestamp", ("timestamp", "sequence")),
        c.integer(rp_raw.get("window_ms"), "replay_protection.window_ms", 300, 1, 60000),
    )

    auth = None
    if top.get("auth") is not None:
        a = c.mapping(top["auth"], "auth", {"spi", "key", "algorithm"}, {"spi", "key"})
        key = a.get("key")
        if key is not None and (not isinstance(key, str) or not key):
            c.fail("auth.key", "expected a non-empty string")
        auth = AuthSettings(
            c.integer(a.get("spi"), "auth.spi", 256, 256, 0xFFFFFFFF),
            str(key or "").encode(),
            c.choice(a.get("algorithm"), "auth.algorithm", "hmac-sha1", ("hmac-sha1",)),
        )

    hb = c.mapping(top.get("heartbeat"), "heartbeat", {"interval", "missed"})
    heartbeat = HeartbeatSettings(
        c.number(hb.get("interval"), "heartbeat.interval", 30.0, 0.05, 3600),
        c.integer(hb.get("missed"), "heartbeat.missed", 3, 1, 100),
    )

    lma = _parse_lma(c, top.get("lma")) if role == "lma" else None
    mag = _parse_mag(c, top.get("mag")) if role == "mag" else None
    if role == "lma" and top.get("mag") is not None:
        c.fail("mag", "only allowed when role is mag")
    if role == "mag" and top.get("lma") is not None:
        c.fail("lma", "only allowed when role is lma")

    nodes = _parse_mobile_nodes(c, top.get("mobile_nodes"))
    offload = c.items(top.get("offload"), "offload")
    routing = _parse_routing(c, top.get("routing"))
    tunnel_mtu = c.integer(top.get("tunnel_mtu"), "tunnel_mtu", None, 1280, 9000)

    cfg = AgentConfig(
        node=c.text(top.get("node"), "node", ""),
        role=role,
        address=address or "::",
        control_socket=c.text(top.get("control_socket"), "control_socket", ""),
        state_dir=c.text(top.get("state_dir"), "state_dir", ""),
        domain=c.text(top.get("domain"), "domain", "default"),
        dataplane=c.choice(
            top.get("dataplane"), "dataplane", "auto", ("auto", "kernel", "userspace", "none")
        ),
        log_level=c.choice(top.get("log_level"), "log_level", "info", ("debug", "info", "warning", "error")),
        replay_protection=replay,
        auth=auth,
        heartbeat=heartbeat,
        lma=lma,
        mag=mag,
        mobile_nodes=nodes,
        offload=offload,
        routing=routing,
        tunnel_mtu=tunnel_mtu,
        persistence=c.boolean(top.get("persistence"), "persistence", True),
        source=text,
    )
    if c.problems:
        raise ConfigError(c.problems)
    return cfg


def _parse_routing(c: _Checker, raw) -> RoutingSettings:
    r = c.mapping(raw, "routing", {"table", "rule_priority"})
    # 253..255 are the kernel's default/main/local tables, 0 is "unspecified"; the data plane uses
    # rule_priority .. rule_priority+2, which must stay below the main-table rule (32766)
    table = c.integer(r.get("table"), "routing.table", 5213, 1, 0xFFFFFFFF)
    if table in (253, 254, 255):
        c.fail("routing.table", f"{table} is a reserved kernel table (default/main/local)")
        table = 5213
    return RoutingSettings(
        table=table,
        rule_priority=c.integer(r.get("rule_priority"), "routing.rule_priority", 5213, 1, 32763),
    )


def _parse_lma(c: _Checker, raw) -> LmaSettings:
    known = {
        "hnp_pools", "hnp_length", "mags", "binding_lifetime_max", "min_delay_before_bce_delete_ms",
        "max_delay_before_new_bce_assign_ms", "accept_att_zero",
    }  # fmt: skip
    m = c.mapping(raw, "lma", known, {"hnp_pools"})
    length = c.integer(m.get("hnp_length"), "lma.hnp_length", 64, 1, 128)
    pools = []
    for i, p in enumerate(c.items(m.get("hnp_pools"), "lma.hnp_pools")):
        net = c.prefix(p, f"lma.hnp_pools[{i}]")
        if net is None:
            continue
        if ipaddress.IPv6Network(net).prefixlen > length:
            c.fail(f"lma.hnp_pools[{i}]", f"pool {net} is longer than hnp_length /{length}")
        for j, other in enumerate(pools):
            if ipaddress.IPv6Network(net).overlaps(ipaddress.IPv6Network(other)):
                c.fail(f"lma.hnp_pools[{i}]", f"overlaps lma.hnp_pools[{j}] {other}")
        pools.append(net)
    if "hnp_pools" in m and not pools and not c.problems:
        c.fail("lma.hnp_pools", "at least one pool is required")
    mags = _parse_peers(c, m.get("mags"), "lma.mags")
    return LmaSettings(
        hnp_pools=pools,
        hnp_length=length,
        mags=mags,
        binding_lifetime_max=c.integer(
            m.get("binding_lifetime_max"), "lma.binding_lifetime_max", 3600, 4, MAX_LIFETIME
        ),
        min_delay_before_bce_delete_ms=c.integer(
            m.get("min_delay_before_bce_delete_ms"), "lma.min_delay_before_bce_delete_ms", 10000, 0, 3600000
        ),
        max_delay_before_new_bce_assign_ms=c.integer(
            m.get("max_delay_before_new_bce_assign_ms"),
            "lma.max_delay_before_new_bce_assign_ms",
            1500,
            0,
            3600000,
        ),
        accept_att_zero=c.boolean(m.get("accept_att_zero"), "lma.accept_att_zero", False),
    )


def _parse_peers(c: _Checker, raw, path: str) -> list[Peer]:
    peers, seen = [], set()
    for i, item in enumerate(c.items(raw, path)):
        p = c.mapping(item, f"{path}[{i}]", {"name", "address"}, {"name", "address"})
        name = c.text(p.get("name"), f"{path}[{i}].name", f"peer{i}")
        addr = c.ipv6(p["address"], f"{path}[{i}].address") if "address" in p else None
        if addr in seen:
            c.fail(f"{path}[{i}].address", f"duplicate address {addr}")
        seen.add(addr)
        if addr:
            peers.append(Peer(name, addr))
    return peers


def _parse_mag(c: _Checker, raw) -> MagSettings:
    known = {
        "lma", "access_interfaces", "link_local_address", "binding_lifetime", "refresh_before",
        "detach_poll", "retransmit", "detection",
    }  # fmt: skip
    m = c.mapping(raw, "mag", known, {"lma"})
    lp = c.mapping(m.get("lma"), "mag.lma", {"name", "address"}, {"address"})
    lma_addr = c.ipv6(lp["address"], "mag.lma.address") if "address" in lp else None
    lma = Peer(c.text(lp.get("name"), "mag.lma.name", "lma"), lma_addr or "::")
    interfaces = []
    for i, item in enumerate(c.items(m.get("access_interfaces"), "mag.access_interfaces")):
        a = c.mapping(item, f"mag.access_interfaces[{i}]", {"name", "access_technology"}, {"name"})
        att_name = a.get("access_technology", "ieee-802.11")
        att = ACCESS_TECHNOLOGY_NAMES.get(att_name)
        if att is None:
            c.fail(
                f"mag.access_interfaces[{i}].access_technology",
                f"{att_name!r} is not one of {', '.join(ACCESS_TECHNOLOGY_NAMES)}",
            )
            att = 4
        interfaces.append(
            AccessInterface(c.text(a.get("name"), f"mag.access_interfaces[{i}].name", f"if{i}"), int(att))
        )
    lla = m.get("link_local_address", DEFAULT_LINK_LOCAL)
    lla_ok = c.ipv6(lla, "mag.link_local_address")
    if lla_ok and not ipaddress.IPv6Address(lla_ok).is_link_local:
        c.fail("mag.link_local_address", f"{lla} is not a link-local address")
    lifetime = c.integer(m.get("binding_lifetime"), "mag.binding_lifetime", 3600, 4, MAX_LIFETIME)
    if lifetime % 4:
        c.fail("mag.binding_lifetime", f"{lifetime} is not a multiple of 4 seconds")
    dp = c.mapping(m.get("detach_poll"), "mag.detach_poll", {"interval", "timeout", "retries"})
    rt = c.mapping(m.get("retransmit"), "mag.retransmit", {"initial_ms", "max_ms", "max_attempts"})
    retransmit = Retransmit(
        c.integer(rt.get("initial_ms"), "mag.retransmit.initial_ms", 1500, 10, 60000),
        c.integer(rt.get("max_ms"), "mag.retransmit.max_ms", 32000, 10, 600000),
        c.integer(rt.get("max_attempts"), "mag.retransmit.max_attempts", 8, 1, 100),
    )
    if retransmit.max_ms < retransmit.initial_ms:
        c.fail("mag.retransmit.max_ms", "smaller than initial_ms")
    dt = c.mapping(m.get("detection"), "mag.detection", {"router_solicitation", "neighbour"})
    detection = Detection(
        c.boolean(dt.get("router_solicitation"), "mag.detection.router_solicitation", True),
        c.boolean(dt.get("neighbour"), "mag.detection.neighbour", True),
    )
    return MagSettings(
        lma=lma,
        access_interfaces=interfaces,
        link_local_address=lla_ok or DEFAULT_LINK_LOCAL,
        binding_lifetime=lifetime,
        refresh_before=c.integer(m.get("refresh_before"), "mag.refresh_before", 60, 1, MAX_LIFETIME),
        detach_poll=DetachPoll(
            c.number(dp.get("interval"), "mag.detach_poll.interval", 10.0, 0.1, 3600),
            c.number(dp.get("timeout"), "mag.detach_poll.timeout", 2.0, 0.1, 60),
            c.integer(dp.get("retries"), "mag.detach_poll.retries", 2, 0, 100),
        ),
        retransmit=retransmit,
        detection=detection,
    )


def _parse_mobile_nodes(c: _Checker, raw) -> list[MobileNodePolicy]:
    nodes, ids, macs = [], set(), set()
    for i, item in enumerate(c.items(raw, "mobile_nodes")):
        path = f"mobile_nodes[{i}]"
        n = c.mapping(item, path, {"id", "mac", "lma", "hnp"}, {"id"})
        nid = c.text(n.get("id"), f"{path}.id", "")
        if nid in ids:
            c.fail(f"{path}.id", f"duplicate mobile node id {nid!r}")
        ids.add(nid)
        mac = n.get("mac")
        if mac is not None:
            try:
                mac = ":".join(f"{b:02x}" for b in mac_bytes(str(mac)))
            except ValueError:
                c.fail(f"{path}.mac", f"not a MAC address: {mac!r}")
                mac = None
            if mac in macs:
                c.fail(f"{path}.mac", f"duplicate MAC {mac}")
            macs.add(mac)
        hnps = [c.prefix(p, f"{path}.hnp[{j}]") for j, p in enumerate(c.items(n.get("hnp"), f"{path}.hnp"))]
        nodes.append(MobileNodePolicy(nid, mac, c.text(n.get("lma"), f"{path}.lma"), [h for h in hnps if h]))
    return nodes


def load_config(path: str | Path) -> AgentConfig:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    return parse_config(text, str(path))

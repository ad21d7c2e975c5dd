"""Access link (MAG): RA/NS bytes, RS/NA validation, RA scheduling, attach/detach detection.

No sockets, no real time.  RAs are checked with an RFC 4861 §4.2 / §4.6 parser written here (not
the project's ``parse_ra``), and once with tshark as an independent dissector.  The last tests wire
the real ``MobileAccessGateway`` to an ``AccessLink`` (never started: packets are captured) the way
the daemon will, and drive it with PBAs.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import random
import shutil
import struct
import subprocess

import pytest

from pmipv6.config import DetachPoll, parse_config
from pmipv6.dataplane import DataPlane
from pmipv6.mag import MobileAccessGateway
from pmipv6.mag.accesslink import AccessLink, AccessLinkDataPlane, engine_lookup, icmp6_filter
from pmipv6.mag.detect import AttachDetector, DetachPoller, NeighbourCache
from pmipv6.mag.ndp import (
    FIXED_LINK_LOCAL,
    FIXED_MAC,
    NdpError,
    RaFields,
    build_final_ra,
    build_ns,
    build_ra,
    build_rs,
    eui64_link_local,
    parse_na,
    parse_ra,
    parse_rs,
)
from pmipv6.mag.ra import RaConfig, RaSender, ServedMN
from pmipv6.mag.rtnl import IFF_LOWER_UP, IFF_UP, NUD_DELAY, NUD_REACHABLE, NUD_STALE, LinkEvent
from pmipv6.timers import Timers
from pmipv6.wire import (
    BAFlag,
    HomeNetworkPrefix,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingAck,
)
from pmipv6.wire import decode as decode_mh


def ip6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


T0 = 1_700_000_000.0
FIXED_MAC_RAW = mac(FIXED_MAC)
MN1, MN2 = mac("02:00:00:00:00:0a"), mac("02:00:00:00:00:0b")
MN1_LLA, MN2_LLA = ip6("fe80::aa:1"), ip6("fe80::bb:2")
P1 = (ip6("2001:db8:100:1::"), 64)
P2 = (ip6("2001:db8:100:2::"), 64)
P3 = (ip6("2001:db8:100:3::"), 64)


# -- an independent RFC 4861 reader ------------------------------------------------------------------


def read_ra(data: bytes) -> dict:
    """RFC 4861 §4.2 header and §4.6 options, decoded from the layout alone."""
    assert len(data) >= 16
    kind, code, checksum, hop, flags, router_lifetime = struct.unpack("!BBHBBH", data[:8])
    reachable, retrans = struct.unpack("!II", data[8:16])
    out = {
        "type": kind,
        "code": code,
        "checksum": checksum,
        "hop": hop,
        "flags": flags,
        "router_lifetime": router_lifetime,
        "reachable": reachable,
        "retrans": retrans,
        "slla": [],
        "mtu": [],
        "pio": [],
        "other": [],
    }
    i = 16
    while i < len(data):
        opt_type, opt_len = data[i], data[i + 1]
        assert opt_len > 0, "zero-length option"
        body = data[i : i + 8 * opt_len]
        assert len(body) == 8 * opt_len, "option runs past the end"
        if opt_type == 1:
            assert opt_len == 1
            out["slla"].append(body[2:8])
        elif opt_type == 5:
            assert opt_len == 1 and body[2:4] == b"\0\0"
            out["mtu"].append(int.from_bytes(body[4:8], "big"))
        elif opt_type == 3:
            assert opt_len == 4
            assert body[12:16] == b"\0\0\0\0", "PIO Reserved2 must be zero"
            out["pio"].append(
                {
                    "prefix": str(ipaddress.IPv6Address(body[16:32])),
                    "length": body[2],
                    "L": bool(body[3] & 0x80),
                    "A": bool(body[3] & 0x40),
                    "reserved1": body[3] & 0x3F,
                    "valid": int.from_bytes(body[4:8], "big"),
                    "preferred": int.from_bytes(body[8:12], "big"),
                }
            )
        else:
            out["other"].append(opt_type)
        i += 8 * opt_len
    assert i == len(data)
    return out


RA_CASES = [
    # id, prefixes, remaining, router lifetime, fields, expected router lifetime, valid, preferred
    ("one-prefix", [P1], 3600.0, 1800, RaFields(), 1800, 3600, 3600),
    ("binding-shorter-than-router-lifetime", [P1], 600.9, 1800, RaFields(), 600, 600, 600),
    ("two-prefixes-of-one-mn", [P1, P2], 3000.0, 1800, RaFields(), 1800, 3000, 3000),
    (
        "pio-caps",
        [P1],
        3600.0,
        1800,
        RaFields(valid_lifetime_max=900, preferred_lifetime_max=300),
        1800,
        900,
        300,
    ),
    ("cap-above-binding", [P1], 120.0, 1800, RaFields(valid_lifetime_max=900), 120, 120, 120),
    ("with-mtu", [P1], 3600.0, 1800, RaFields(mtu=1460), 1800, 3600, 3600),
    ("final", [P1], 3600.0, 0, RaFields(), 0, None, None),
    ("router-lifetime-above-9000", [P1], 86400.0, 0xFFFF, RaFields(), 9000, 86400, 86400),
]


@pytest.mark.parametrize(
    ("prefixes", "remaining", "rl", "fields", "want_rl", "valid", "preferred"),
    [c[1:] for c in RA_CASES],
    ids=[c[0] for c in RA_CASES],
)
def test_ra_bytes(prefixes, remaining, rl, fields, want_rl, valid, preferred):
    ra = read_ra(build_ra(prefixes, remaining, rl, FIXED_MAC, fields))
    assert (ra["type"], ra["code"], ra["checksum"]) == (134, 0, 0)  # checksum: the kernel's job
    assert ra["hop"] == 64
    assert ra["flags"] == 0  # M = O = 0: SLAAC
    assert (ra["reachable"], ra["retrans"]) == (0, 0)
    assert ra["router_lifetime"] == want_rl
    assert ra["slla"] == [FIXED_MAC_RAW]
    assert ra["mtu"] == ([fields.mtu] if fields.mtu else [])
    assert ra["other"] == []
    if valid is None:
        assert ra["pio"] == [], "the final RA carries no prefix"
        return
    assert [(p["prefix"], p["length"]) for p in ra["pio"]] == [
        (str(ipaddress.IPv6Address(p)), n) for p, n in prefixes
    ]
    for p in ra["pio"]:
        assert p["L"] and p["A"] and p["reserved1"] == 0
        assert (p["valid"], p["preferred"]) == (valid, preferred)
        assert p["preferred"] <= p["valid"] <= max(0, int(remaining))


def test_ra_masks_prefix_bits_and_drops_duplicates():
    ra = read_ra(build_ra([(ip6("2001:db8:100:1::dead"), 64), P1], 3600))
    assert [p["prefix"] for p in ra["pio"]] == ["2001:db8:100:1::"]


def test_final_ra_and_project_parser_agree():
    final = build_final_ra()
    assert read_ra(final)["router_lifetime"] == 0 and read_ra(final)["pio"] == []
    parsed = parse_ra(build_ra([P1, P2], 100, 1800, FIXED_MAC, RaFields(mtu=1400)))
    assert parsed.router_lifetime == 100 and parsed.mtu == 1400 and parsed.source_mac == FIXED_MAC_RAW
    assert [(p[0], p[1], p[2], p[3], p[4]) for p in parsed.prefixes] == [
        (P1[0], 64, 0xC0, 100, 100),
        (P2[0], 64, 0xC0, 100, 100),
    ]


def test_fixed_addresses():
    assert eui64_link_local(FIXED_MAC) == ip6(FIXED_LINK_LOCAL)
    assert eui64_link_local("02:00:00:00:00:0a") == ip6("fe80::ff:fe00:a")


def test_ns_bytes():
    ns = build_ns(MN1_LLA)
    assert struct.unpack("!BBHI", ns[:8]) == (135, 0, 0, 0)
    assert ns[8:24] == MN1_LLA
    assert ns[24:] == b"\x01\x01" + FIXED_MAC_RAW


RS_CASES = [
    ("ok-with-slla", build_rs(MN1), MN1_LLA, 255, MN1),
    ("ok-without-slla", build_rs(), MN1_LLA, 255, None),
    ("ok-unspecified-source", build_rs(), bytes(16), 255, None),
    ("hop-limit-64", build_rs(MN1), MN1_LLA, 64, NdpError),
    ("code-1", b"\x85\x01" + build_rs(MN1)[2:], MN1_LLA, 255, NdpError),
    ("short", b"\x85\x00\x00\x00", MN1_LLA, 255, NdpError),
    ("zero-length-option", build_rs() + b"\x01\x00" + bytes(6), MN1_LLA, 255, NdpError),
    ("option-past-end", build_rs() + b"\x01\x02" + bytes(6), MN1_LLA, 255, NdpError),
    ("unspecified-with-slla", build_rs(MN1), bytes(16), 255, NdpError),
    ("an-ra-is-no-rs", build_ra([P1], 100), MN1_LLA, 255, NdpError),
]


@pytest.mark.parametrize(
    ("data", "src", "hops", "want"), [c[1:] for c in RS_CASES], ids=[c[0] for c in RS_CASES]
)
def test_rs_validation(data, src, hops, want):
    if want is NdpError:
        with pytest.raises(NdpError):
            parse_rs(data, src, hops)
    else:
        assert parse_rs(data, src, hops).source_mac == want


def test_na_validation():
    na = struct.pack("!BBHB3x16s", 136, 0, 0, 0x60, MN1_LLA) + b"\x02\x01" + MN1
    parsed = parse_na(na, 255)
    assert (parsed.target, parsed.target_mac, parsed.flags) == (MN1_LLA, MN1, 0x60)
    with pytest.raises(NdpError):
        parse_na(na, 254)
    with pytest.raises(NdpError):
        parse_na(na[:20], 255)
    with pytest.raises(NdpError):
        parse_na(struct.pack("!BBHB3x16s", 136, 0, 0, 0, ip6("ff02::1")), 255)


def test_icmp6_filter_passes_only_the_given_types():
    words = struct.unpack("=8I", icmp6_filter([133, 136]))
    passed = {t for t in range(256) if not words[t >> 5] & (1 << (t & 31))}
    assert passed == {133, 136}


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_ra_decodes_in_tshark(tmp_path):
    src, dst = ip6(FIXED_LINK_LOCAL), MN1_LLA
    ra = bytearray(build_ra([P1, P2], 1000, 1800, FIXED_MAC, RaFields(mtu=1460)))
    pseudo = src + dst + struct.pack("!I3xB", len(ra), 58)
    blob = pseudo + ra
    total = sum(struct.unpack(f"!{len(blob) // 2}H", blob))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    ra[2:4] = struct.pack("!H", ~total & 0xFFFF)
    packet = struct.pack("!IHBB", 6 << 28, len(ra), 58, 255) + src + dst + bytes(ra)
    pcap = tmp_path / "ra.pcap"
    pcap.write_bytes(
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
        + struct.pack("<IIII", 0, 0, len(packet), len(packet))
        + packet
    )
    proc = subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "json", "--no-duplicate-keys"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    layer = json.loads(proc.stdout)[0]["_source"]["layers"]["icmpv6"]
    assert (layer["icmpv6.type"], layer["icmpv6.code"]) == ("134", "0")
    assert layer["icmpv6.checksum.status"] == "1", "tshark recomputed the checksum and agrees"
    assert layer["icmpv6.nd.ra.cur_hop_limit"] == "64"
    assert layer["icmpv6.nd.ra.flag_tree"]["icmpv6.nd.ra.flag.m"] == "0"
    assert layer["icmpv6.nd.ra.flag_tree"]["icmpv6.nd.ra.flag.o"] == "0"
    assert layer["icmpv6.nd.ra.router_lifetime"] == "1000"
    assert (layer["icmpv6.nd.ra.reachable_time"], layer["icmpv6.nd.ra.retrans_timer"]) == ("0", "0")
    opts = layer["icmpv6.opt"]
    assert [o["icmpv6.opt.type"] for o in opts] == ["1", "5", "3", "3"]
    assert opts[0]["icmpv6.opt.src_linkaddr"] == FIXED_MAC
    assert opts[1]["icmpv6.opt.mtu"] == "1460"
    pios = [
        (
            o["icmpv6.opt.prefix"],
            o["icmpv6.opt.prefix.length"],
            o["icmpv6.opt.prefix.flag_tree"]["icmpv6.opt.prefix.flag.l"],
            o["icmpv6.opt.prefix.flag_tree"]["icmpv6.opt.prefix.flag.a"],
            o["icmpv6.opt.prefix.valid_lifetime"],
            o["icmpv6.opt.prefix.preferred_lifetime"],
        )
        for o in opts[2:]
    ]
    assert pios == [
        ("2001:db8:100:1::", "64", "1", "1", "1000", "1000"),
        ("2001:db8:100:2::", "64", "1", "1", "1000", "1000"),
    ]
    assert "_ws.expert" not in json.dumps(layer)


# -- RaSender ------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class RaHarness:
    def __init__(self, config: RaConfig | None = None):
        self.clock = FakeClock()
        self.timers = Timers()
        self.bindings: dict[bytes, ServedMN] = {}
        self.sent: list[tuple[float, str, bytes, dict]] = []
        self.fail = False
        self.ra = RaSender(
            self._send,
            self.bindings.get,
            self.clock,
            self.timers,
            config,
            resolve_lla=lambda m, i: {MN1: MN1_LLA, MN2: MN2_LLA}.get(m),
            rng=random.Random(7),
        )

    def _send(self, interface: str, dest: bytes, packet: bytes) -> None:
        if self.fail:
            raise OSError(100, "Network is down")
        self.sent.append((self.clock.now, interface, dest, read_ra(packet)))

    def bind(self, mn: bytes, prefixes, lifetime: float = 3600, interface: str = "acc0") -> None:
        self.bindings[mn] = ServedMN(mn, interface, tuple(prefixes), self.clock.now + lifetime)

    def run_until(self, when: float) -> None:
        while (d := self.timers.next_deadline()) is not None and d <= when:
            self.clock.now = d
            self.timers.run_due(d)
        self.clock.now = when

    def times(self, dest: bytes | None = None) -> list[float]:
        return [round(t - T0, 3) for t, _, d, _ in self.sent if dest is None or d == dest]


def test_serve_sends_initial_then_periodic_ras():
    h = RaHarness(RaConfig(initial_count=3, initial_interval=1.0, min_interval=200, max_interval=600))
    h.bind(MN1, [P1])
    assert h.ra.serve(MN1)
    h.run_until(T0 + 1500)
    times = h.times()
    assert times[:3] == [0.0, 1.0, 2.0]
    gaps = [b - a for a, b in itertools.pairwise(times[2:])]
    assert gaps and all(200 <= g <= 600 for g in gaps)
    for _, iface, dest, ra in h.sent:
        assert (iface, dest) == ("acc0", MN1_LLA)
        assert [p["prefix"] for p in ra["pio"]] == ["2001:db8:100:1::"]


def test_periodic_ras_follow_a_short_binding_lifetime():
    h = RaHarness()
    h.bind(MN1, [P1], lifetime=60)
    h.ra.serve(MN1)
    h.run_until(T0 + 59)
    sent = h.sent
    assert len(sent) >= 6
    for (t, _, _, _), (t_next, _, _, _) in itertools.pairwise(sent[2:]):
        assert t_next - t <= max(1.0, (T0 + 60 - t) / 3) + 1e-6, "renewed before a third of the rest is gone"
    for t, _, _, ra in sent:
        left = int(h.bindings[MN1].expires_at - t)
        assert ra["router_lifetime"] == left
        assert ra["pio"][0]["valid"] == left and ra["pio"][0]["preferred"] == left


def test_solicited_ra_is_immediate_and_rate_limited():
    h = RaHarness()
    h.bind(MN1, [P1])
    h.ra.serve(MN1)
    h.run_until(T0 + 10)
    n = len(h.sent)
    assert h.ra.solicit(MN1, "acc0", MN1_LLA)
    assert len(h.sent) == n + 1 and h.sent[-1][0] == T0 + 10, "answered at once"
    h.clock.now = T0 + 10.1
    h.ra.solicit(MN1, "acc0", MN1_LLA)
    h.ra.solicit(MN1, "acc0", MN1_LLA)
    assert len(h.sent) == n + 1, "an RS burst within MAX_RA_DELAY_TIME is coalesced"
    h.run_until(T0 + 10.6)
    assert h.times()[n + 1] == 10.5 and len(h.sent) == n + 2
    assert h.ra.stats[("ra_sent", "solicited")] == 2


def test_rs_learns_the_destination():
    h = RaHarness()
    h.bind(MN1, [P1])
    h.ra.serve(MN1)
    h.clock.now += 5
    h.ra.solicit(MN1, "acc0", ip6("fe80::1234"))
    assert h.sent[-1][2] == ip6("fe80::1234")


def test_never_an_ra_to_an_unserved_mn():
    h = RaHarness()
    assert not h.ra.serve(MN1), "no binding, no RAs"
    assert not h.ra.solicit(MN1, "acc0", MN1_LLA)
    assert h.sent == []
    h.bind(MN1, [P1])
    h.ra.serve(MN1)
    h.run_until(T0 + 5)
    n = len(h.sent)
    del h.bindings[MN1]  # the binding went (expired, rejected) before unserve() arrived
    h.run_until(T0 + 2000)
    h.clock.now += 1
    h.ra.solicit(MN1, "acc0", MN1_LLA)
    assert len(h.sent) == n
    assert h.ra.stats[("ra_not_sent", "unserved")] >= 1
    h.bind(MN1, [P1], interface="acc1")  # now served on another interface: still not here
    h.ra.refresh(MN1)
    assert len(h.sent) == n


def test_each_mn_gets_only_its_own_prefixes():
    h = RaHarness()
    h.bind(MN1, [P1])
    h.bind(MN2, [P2, P3])
    h.ra.serve(MN1)
    h.ra.serve(MN2)
    h.run_until(T0 + 3000)
    h.clock.now += 1
    h.ra.solicit(MN1, "acc0", MN1_LLA)
    h.ra.solicit(MN2, "acc0", MN2_LLA)
    by_dest: dict[bytes, set] = {}
    for _, _, dest, ra in h.sent:
        by_dest.setdefault(dest, set()).update(p["prefix"] for p in ra["pio"])
    assert by_dest == {MN1_LLA: {"2001:db8:100:1::"}, MN2_LLA: {"2001:db8:100:2::", "2001:db8:100:3::"}}


def test_unserve_sends_the_final_ra_and_stops():
    h = RaHarness()
    h.bind(MN1, [P1])
    h.ra.serve(MN1)
    h.clock.now += 0.2
    assert h.ra.unserve(MN1)
    final = h.sent[-1][3]
    assert final["router_lifetime"] == 0 and final["pio"] == []
    n = len(h.sent)
    h.run_until(T0 + 5000)
    assert len(h.sent) == n and len(h.timers) == 0
    assert not h.ra.unserve(MN1)


def test_send_failures_and_unknown_destination_are_counted():
    h = RaHarness()
    h.bind(MN1, [P1])
    h.fail = True
    h.ra.serve(MN1)
    assert h.ra.stats[("ra_not_sent", "send_failed")] == 1
    h.fail = False
    h.run_until(T0 + 1)
    assert len(h.sent) == 1, "the schedule survives a failed send"
    stranger = mac("02:00:00:00:00:99")
    h.bind(stranger, [P2])
    h.ra.serve(stranger)  # resolve_lla knows nothing about it
    assert h.ra.stats[("ra_not_sent", "no_destination")] == 1


# -- detection -----------------------------------------------------------------------------------------


class DetectHarness:
    def __init__(self, accept=True, **kwargs):
        self.clock = FakeClock()
        self.events: list[tuple] = []
        self.accept = accept

        def on_attach(m, i):
            self.events.append(("attach", m, i))
            if isinstance(self.accept, Exception):
                raise self.accept
            return self.accept

        self.d = AttachDetector(
            self.clock,
            on_attach=on_attach,
            on_solicit=lambda m, i, s: self.events.append(("solicit", m, i, s)),
            on_link_down=lambda i: self.events.append(("down", i)),
            own_macs=frozenset({FIXED_MAC_RAW}),
            **kwargs,
        )


def test_rs_from_unknown_mac_attaches_then_solicits():
    h = DetectHarness()
    h.d.router_solicitation("acc0", MN1_LLA, MN1)
    h.d.router_solicitation("acc0", MN1_LLA, MN1)
    assert h.events == [
        ("attach", "02:00:00:00:00:0a", "acc0"),
        ("solicit", "02:00:00:00:00:0a", "acc0", MN1_LLA),
    ]
    assert h.d.stations[MN1].lla == MN1_LLA and h.d.stations[MN1].via == "rs"


def test_rs_mac_from_the_neighbour_table_and_own_rs_ignored():
    h = DetectHarness()
    h.d.router_solicitation("acc0", MN1_LLA, None)
    assert h.events == [] and h.d.stats[("rs_ignored", "no_mac")] == 1
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_STALE)
    h.d.router_solicitation("acc0", MN1_LLA, None)
    assert h.events == [("attach", "02:00:00:00:00:0a", "acc0")]
    h.d.router_solicitation("acc0", ip6(FIXED_LINK_LOCAL), FIXED_MAC_RAW)
    assert h.d.stats[("rs_ignored", "own")] == 1


@pytest.mark.parametrize("refusal", [False, None, ValueError("unknown mobile node")])
def test_refused_attach_is_counted_and_held_off(refusal):
    h = DetectHarness(accept=refusal)
    for _ in range(5):
        h.d.router_solicitation("acc0", MN1_LLA, MN1)
    assert len(h.events) == 1, "one policy lookup per holdoff"
    assert h.d.stats[("attach_refused",)] == 1
    assert h.d.stats[("attach_ignored", "refused_recently")] == 4
    assert MN1 not in h.d.stations
    h.clock.now += 10.1
    h.accept = True
    h.d.router_solicitation("acc0", MN1_LLA, MN1)
    assert MN1 in h.d.stations


def test_neighbour_attach_needs_a_transition_into_reachable():
    h = DetectHarness()
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_STALE)
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_DELAY)
    assert h.events == []
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_REACHABLE)
    assert h.events == [("attach", "02:00:00:00:00:0a", "acc0")]
    assert h.d.stations[MN1].via == "neighbour"
    h.d.forget(MN1)
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_STALE)
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_REACHABLE)  # e.g. resolving it for the final RA
    assert len(h.events) == 1 and h.d.stats[("neighbour_ignored", "recently_detached")] == 1
    h.clock.now += 6
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_STALE)
    h.d.neighbour("acc0", MN1_LLA, MN1, NUD_REACHABLE)
    assert len(h.events) == 2
    h.d.neighbour("acc0", MN2_LLA, MN2, NUD_REACHABLE)
    h.d.neighbour_attach = False
    h.d.neighbour("acc0", ip6("fe80::3"), mac("02:00:00:00:00:03"), NUD_REACHABLE)
    assert [e[1] for e in h.events] == ["02:00:00:00:00:0a", "02:00:00:00:00:0a", "02:00:00:00:00:0b"]


def test_holdoff_tables_stay_bounded():
    h = DetectHarness(accept=False, max_holdoff_entries=64)
    for i in range(1000):
        h.d.router_solicitation("acc0", ip6(f"fe80::{i + 1:x}"), (0x020000000000 + i).to_bytes(6, "big"))
    assert len(h.d._refused) <= 64 and h.d.stats[("attach_refused",)] == 1000


def test_link_down_forgets_the_interface_once():
    h = DetectHarness()
    h.d.link("acc0", True)
    h.d.router_solicitation("acc0", MN1_LLA, MN1)
    h.d.track(MN2, "acc1")
    h.d.link("acc0", False)
    h.d.link("acc0", False)
    assert h.events[-1] == ("down", "acc0") and sum(e[0] == "down" for e in h.events) == 1
    assert set(h.d.stations) == {MN2}
    h.d.link("acc1", False)  # never seen up: not a transition
    assert sum(e[0] == "down" for e in h.events) == 1


def test_lla_resolution_order():
    h = DetectHarness()
    assert h.d.lla_for(MN1, "acc0") == eui64_link_local(MN1)
    assert h.d.lla_for(MN1, "acc0", derive=False) is None
    h.d.neighbour("acc0", ip6("fe80::77"), MN1, NUD_STALE)
    assert h.d.lla_for(MN1, "acc0") == ip6("fe80::77")
    h.d.router_solicitation("acc0", MN1_LLA, MN1)
    assert h.d.lla_for(MN1, "acc0") == MN1_LLA


def test_neighbour_cache():
    c = NeighbourCache()
    c.update("acc0", ip6("fe80::1"), MN1, NUD_STALE, False)
    c.update("acc0", ip6("fe80::2"), MN1, NUD_REACHABLE, False)
    c.update("acc0", ip6("2001:db8::1"), MN1, NUD_REACHABLE, False)
    assert c.link_local_of("acc0", MN1) == ip6("fe80::2")
    assert c.mac_of("acc0", ip6("fe80::1")) == MN1 and c.mac_of("acc1", ip6("fe80::1")) is None
    c.update("acc0", ip6("fe80::2"), None, 0, True)
    assert c.link_local_of("acc0", MN1) == ip6("fe80::1")


class PollHarness:
    def __init__(self, interval=0.3, timeout=0.2, retries=1):
        self.clock = FakeClock()
        self.timers = Timers()
        self.probes: list[tuple[float, str, bytes]] = []
        self.detached: list[tuple[float, bytes]] = []
        self.answer = True
        self.fail = False
        self.detector = AttachDetector(self.clock)
        self.poller = DetachPoller(
            self.clock,
            self.timers,
            self._probe,
            self.detector.lla_for,
            lambda st: self.detached.append((self.clock.now, st.mac)),
            interval,
            timeout,
            retries,
        )
        self.detector._on_track = self.poller.track
        self.detector._on_forget = lambda st: self.poller.forget(st.mac)

    def _probe(self, interface, target):
        if self.fail:
            raise OSError(101, "Network is unreachable")
        self.probes.append((self.clock.now, interface, target))
        if self.answer:  # the NA comes back 10 ms later
            self.timers.call_at(self.clock.now + 0.01, self.poller.advertisement, interface, target, None)

    def run_until(self, when):
        while (d := self.timers.next_deadline()) is not None and d <= when:
            self.clock.now = d
            self.timers.run_due(d)
        self.clock.now = when


@pytest.mark.parametrize(
    ("interval", "timeout", "retries"), [(0.3, 0.2, 1), (10, 2, 2), (5, 1, 3), (1, 0.5, 0)]
)
def test_detach_after_interval_plus_retries_timeouts(interval, timeout, retries):
    h = PollHarness(interval, timeout, retries)
    h.detector.track(MN1, "acc0", MN1_LLA)
    h.run_until(T0 + 5 * interval)
    assert h.detached == [] and len(h.probes) >= 4, "an answering MN stays attached"
    h.answer = False
    gone = h.clock.now
    h.run_until(gone + 3 * (interval + retries * timeout) + 1)
    assert len(h.detached) == 1
    delay = h.detached[0][0] - gone
    assert max(1, retries) * timeout - 1e-9 <= delay <= interval + max(1, retries) * timeout + 1e-9
    assert all(target == MN1_LLA for _, _, target in h.probes)


def test_poll_failures_reset_by_an_answer_and_send_errors_count():
    h = PollHarness(1.0, 0.5, 3)
    h.detector.track(MN1, "acc0", MN1_LLA)
    h.answer = False
    h.run_until(T0 + 2.1)  # probe at 1.0 (timeout 1.5), retry at 1.5 (timeout 2.0), retry at 2.0
    assert h.poller.pending()[MN1] == 2
    h.poller.advertisement("acc0", MN1_LLA, MN1)
    assert h.poller.pending()[MN1] == 0
    h.fail = True
    h.run_until(T0 + 10)
    assert len(h.detached) == 1 and h.poller.stats[("probe_not_sent", "send_failed")] == 3


def test_na_from_the_wrong_mac_or_interface_is_no_answer():
    h = PollHarness(1.0, 0.5, 1)
    h.detector.track(MN1, "acc0", MN1_LLA)
    h.answer = False
    h.run_until(T0 + 1.0)
    assert not h.poller.advertisement("acc1", MN1_LLA, None)
    assert not h.poller.advertisement("acc0", MN1_LLA, MN2)
    h.run_until(T0 + 2)
    assert len(h.detached) == 1


def test_link_event_up_needs_admin_up_and_carrier():
    assert LinkEvent(2, "acc0", None, IFF_UP | IFF_LOWER_UP).up
    assert not LinkEvent(2, "acc0", None, IFF_UP).up
    assert not LinkEvent(2, "acc0", None, IFF_LOWER_UP).up
    assert not LinkEvent(2, "acc0", None, IFF_UP | IFF_LOWER_UP, deleted=True).up


# -- wired to the real MAG engine ------------------------------------------------------------------------

ENGINE_CONFIG = """
node: mag1
role: mag
address: 2001:db8:c::2
control_socket: /run/pmipv6/mag1.sock
state_dir: /var/lib/pmipv6/mag1
mag:
  lma: {name: lma1, address: "2001:db8:c::1"}
  access_interfaces: [{name: acc0, access_technology: ieee-802.11}]
  binding_lifetime: 3600
  detach_poll: {interval: 10, timeout: 2, retries: 2}
mobile_nodes:
  - {id: alice@campus.example, mac: "02:00:00:00:00:0a", lma: lma1}
  - {id: bob@campus.example, mac: "02:00:00:00:00:0b", lma: lma1}
"""


class Wired:
    """The daemon's wiring, without sockets: shared Timers, AccessLinkDataPlane, connect_engine."""

    def __init__(self):
        self.clock = FakeClock()
        self.timers = Timers()
        self.pbus: list[bytes] = []
        self.ras: list[tuple[float, str, bytes, dict]] = []
        self.probes: list[bytes] = []
        config = parse_config(ENGINE_CONFIG)
        self.al = AccessLink.from_settings(
            config.mag, clock=self.clock, timers=self.timers, after_event=lambda: None
        )
        self.al.ra._send = lambda i, d, p: self.ras.append((self.clock.now, i, d, read_ra(p)))
        self.alive = {MN1_LLA, MN2_LLA}  # who answers NUD probes
        self.al.poller._send = self._probe
        self.dataplane = AccessLinkDataPlane(DataPlane(), self.al)
        self.engine = MobileAccessGateway(
            config, self.clock, lambda d, m: self.pbus.append(m), self.dataplane, self.timers
        )
        self.al.connect_engine(self.engine)

    def _probe(self, interface: str, target: bytes) -> None:
        self.probes.append(target)
        if target in self.alive:
            self.timers.call_at(self.clock.now + 0.01, self.al.poller.advertisement, interface, target, None)

    def pba(self, mn_id: str, mn_mac: bytes, prefix, lifetime: int = 3600, status: int = 0):
        seq = decode_mh(self.pbus[-1]).sequence
        options = [MobileNodeIdentifier(mn_id), HomeNetworkPrefix(*prefix), MNLinkLayerIdentifier(mn_mac)]
        self.engine.handle_pba(
            ProxyBindingAck(status, seq, lifetime, BAFlag.P, options), ip6("2001:db8:c::1")
        )

    def run_until(self, when):
        while (d := self.timers.next_deadline()) is not None and d <= when:
            self.clock.now = d
            self.timers.run_due(d)
        self.clock.now = when


def test_wired_rs_attach_pba_ra_detach():
    w = Wired()
    w.al.detector.router_solicitation("acc0", MN1_LLA, MN1)  # alice's RS: attach -> PBU
    assert len(w.pbus) == 1 and w.engine.entry("02:00:00:00:00:0a").state == "registering"
    w.clock.now += 0.1
    w.al.detector.router_solicitation("acc0", MN1_LLA, MN1)  # before the PBA: no RA
    assert w.ras == [] and w.al.stats[("rs_unanswered", "unserved")] == 1
    w.pba("alice@campus.example", MN1, P1)
    assert len(w.ras) == 1, "the first RA leaves with the PBA"
    assert w.ras[0][2] == MN1_LLA and [p["prefix"] for p in w.ras[0][3]["pio"]] == ["2001:db8:100:1::"]
    assert w.ras[0][3]["pio"][0]["valid"] == 3600
    w.al.detector.router_solicitation("acc0", MN2_LLA, MN2)  # bob
    w.clock.now += 0.1
    w.pba("bob@campus.example", MN2, P2)
    stranger = mac("02:00:00:00:00:99")
    w.al.detector.router_solicitation("acc0", ip6("fe80::99"), stranger)
    assert w.engine.stats[("unknown_mn",)] == 1 and w.al.stats[("attach_refused",)] == 1
    w.run_until(T0 + 600)
    for _, _, dest, ra in w.ras:
        want = {MN1_LLA: "2001:db8:100:1::", MN2_LLA: "2001:db8:100:2::"}[dest]
        assert [p["prefix"] for p in ra["pio"]] == [want]
    assert len(w.probes) > 50, "both MNs are polled"
    # alice stops answering the NUD probes: de-registered, final RA
    w.alive.discard(MN1_LLA)
    w.run_until(T0 + 640)
    entry = w.engine.entry("02:00:00:00:00:0a")
    assert entry is not None and entry.state == "deregistering"
    finals = [ra for _, _, d, ra in w.ras if d == MN1_LLA and ra["router_lifetime"] == 0]
    assert len(finals) == 1 and finals[0]["pio"] == []
    assert MN1 not in w.al.detector.stations and MN1 not in w.al.ra
    n = len([1 for _, _, d, _ in w.ras if d == MN1_LLA])
    w.run_until(T0 + 2000)
    assert len([1 for _, _, d, _ in w.ras if d == MN1_LLA]) == n, "no RA after the detach"
    assert w.engine.entry("02:00:00:00:00:0b").state == "registered"


def test_wired_link_down_detaches_every_mn_of_the_interface():
    w = Wired()
    w.al.detector.link("acc0", True)
    for mn, lla, mn_id, prefix in ((MN1, MN1_LLA, "alice", P1), (MN2, MN2_LLA, "bob", P2)):
        w.al.detector.router_solicitation("acc0", lla, mn)
        w.pba(f"{mn_id}@campus.example", mn, prefix)
    assert len(w.al.ra) == 2
    w.al.detector.link("acc0", False)
    states = {b["mn_ll_id"]: b["state"] for b in w.engine.bindings()}
    assert states == {"02:00:00:00:00:0a": "deregistering", "02:00:00:00:00:0b": "deregistering"}
    assert len(w.al.ra) == 0 and w.al.detector.stations == {}


def test_wired_detach_by_operator_then_rs_attaches_again():
    w = Wired()
    w.al.detector.router_solicitation("acc0", MN1_LLA, MN1)
    w.pba("alice@campus.example", MN1, P1)
    w.engine.detach("02:00:00:00:00:0a")  # pmipv6ctl detach; the daemon did not call forget()
    w.clock.now += 0.1
    w.pba("alice@campus.example", MN1, P1, lifetime=0)  # de-registration acknowledged
    assert w.engine.entry("02:00:00:00:00:0a") is None
    assert w.ras[-1][3]["router_lifetime"] == 0, "final RA on the unbind"
    w.clock.now += 1
    w.al.detector.router_solicitation("acc0", MN1_LLA, MN1)  # the MN is still there and asks
    assert w.engine.entry("02:00:00:00:00:0a").state == "registering", "a fresh attach, not a solicit"
    assert w.al.stats[("attach_detected", "rs")] == 2


def test_wired_explicit_attach_is_served_and_polled():
    w = Wired()
    w.engine.attach("02:00:00:00:00:0a", "acc0")  # pmipv6ctl attach: no RS seen, nothing tracked
    assert w.al.attached() == []
    w.pba("alice@campus.example", MN1, P1)
    derived = eui64_link_local(MN1)  # nothing better known: the modified EUI-64 address
    assert w.ras[0][2] == derived
    assert [(a["mac"], a["detected_by"]) for a in w.al.attached()] == [("02:00:00:00:00:0a", "binding")]
    w.alive.add(derived)
    w.run_until(T0 + 100)
    assert w.probes and set(w.probes) == {derived}
    assert w.engine.entry("02:00:00:00:00:0a").state == "registered"
    w.al.detector.router_solicitation("acc0", MN1_LLA, MN1)  # its RS teaches the real address
    w.clock.now += 1
    w.al.refresh(MN1)
    assert w.ras[-1][2] == MN1_LLA


def test_dataplane_wrapper_is_transparent():
    w = Wired()
    assert w.dataplane.name == "none" and w.dataplane.stats == DataPlane().stats
    w.dataplane.start()
    w.dataplane.mag_bind(ip6("2001:db8:c::1"), [P1], "acc9", MN1)  # not an access-link interface
    w.dataplane.mag_bind(ip6("2001:db8:c::1"), [P1], "acc0", bytes(8))  # an MN-LL-ID that is no MAC
    assert w.ras == [] and len(w.al.ra) == 0


def test_engine_lookup_serves_only_bound_registered_entries():
    w = Wired()
    lookup = engine_lookup(w.engine)
    w.engine.attach("02:00:00:00:00:0a", "acc0")
    assert lookup(MN1) is None, "registering: not served yet"
    w.pba("alice@campus.example", MN1, P1, lifetime=100)
    served = lookup(MN1)
    assert served.prefixes == (P1,) and served.interface == "acc0" and served.expires_at == T0 + 100
    w.run_until(T0 + 101)  # the refresh goes unanswered: the binding expires
    assert lookup(MN1) is None


def test_from_settings_reads_detach_poll():
    w = Wired()
    assert (w.al.poller.interval, w.al.poller.timeout, w.al.poller.failures_allowed) == (10, 2, 2)
    assert list(w.al.ports) == ["acc0"]
    al = AccessLink(["acc0"], detach_poll=DetachPoll(0.3, 0.2, 1))
    assert al.poller.failures_allowed == 1

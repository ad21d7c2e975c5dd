"""Data-plane pieces without namespaces: config keys, the relay's checksum, TCP segmentation and
segment merging (offload), and the reverse-path prefix check."""

from __future__ import annotations

import ctypes
import ipaddress
import os
import random
import socket
import struct
import subprocess
import sys

import pytest
import yaml

from pmipv6.config import ConfigError, parse_config
from pmipv6.dataplane import relay as r
from pmipv6.dataplane import vector

BASE = {
    "node": "mag1",
    "role": "mag",
    "address": "2001:db8:c::2",
    "control_socket": "/run/pmipv6/mag1.sock",
    "state_dir": "/var/lib/pmipv6/mag1",
    "mag": {"lma": {"address": "2001:db8:c::1"}},
}


def parse(**extra):
    return parse_config(yaml.safe_dump({**BASE, **extra}))


def problems(**extra) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(**extra)
    return info.value.problems


def test_routing_and_tunnel_mtu_defaults_and_values():
    cfg = parse()
    assert (cfg.routing.table, cfg.routing.rule_priority, cfg.tunnel_mtu) == (5213, 5213, None)
    cfg = parse(routing={"table": 100, "rule_priority": 1000}, tunnel_mtu=1400)
    assert (cfg.routing.table, cfg.routing.rule_priority, cfg.tunnel_mtu) == (100, 1000, 1400)
    assert parse(routing={"table": 7}).routing.rule_priority == 5213


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"routing": {"table": "x"}}, "routing.table: expected an integer, got 'x'"),
        ({"routing": {"table": 254}}, "routing.table: 254 is a reserved kernel table (default/main/local)"),
        ({"routing": {"table": 0}}, "routing.table: 0 out of range 1..4294967295"),
        ({"routing": {"rule_priority": 32766}}, "routing.rule_priority: 32766 out of range 1..32763"),
        ({"routing": {"rule_priority": True}}, "routing.rule_priority: expected an integer, got True"),
        ({"routing": {"tabel": 5}}, "routing.tabel: unknown key"),
        ({"routing": [1]}, "routing: expected a mapping, got list"),
        ({"tunnel_mtu": 1279}, "tunnel_mtu: 1279 out of range 1280..9000"),
        ({"tunnel_mtu": 9001}, "tunnel_mtu: 9001 out of range 1280..9000"),
        ({"tunnel_mtu": "1400"}, "tunnel_mtu: expected an integer, got '1400'"),
    ],
)
def test_routing_and_tunnel_mtu_errors(extra, expected):
    assert expected in problems(**extra)


def test_all_problems_at_once():
    got = problems(routing={"table": -1, "rule_priority": 0}, tunnel_mtu=1)
    assert len([p for p in got if p.startswith(("routing.", "tunnel_mtu"))]) == 3


# -- checksums and packets ----------------------------------------------------------------------
def reference_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


@pytest.mark.parametrize("size", [0, 2, 40, 1440, 1441, 65000])
def test_checksum_matches_rfc1071(size):
    rnd = random.Random(size)
    for _ in range(20):
        data = rnd.randbytes(size)
        padded = data + (b"\0" if size % 2 else b"")
        assert r._checksum(padded) == reference_checksum(data)
    assert r._checksum(b"\xff\xff" * 10) == 0xFFFF
    assert r._checksum(bytes(10)) == 0


SRC, DST = "2001:db8:100:1::10", "2001:db8:e::2"


def tcp_segment(seq: int, payload: bytes, flags: int = r.TCP_ACK, ack: int = 77, src: str = SRC) -> bytes:
    options = b"\x01\x01\x08\x0a" + struct.pack("!II", 1000, 2000)  # NOP NOP timestamps
    thl = 20 + len(options)
    tcp = struct.pack("!HHIIBBHHH", 40000, 5201, seq, ack, (thl // 4) << 4, flags, 502, 0, 0) + options
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, DST)
    length = thl + len(payload)
    pseudo = s + d + struct.pack("!IxxxB", length, 6)
    csum = ~reference_checksum(pseudo + tcp + payload) & 0xFFFF
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    ip = struct.pack("!IHBB", 6 << 28, length, 6, 64) + s + d
    return ip + tcp + payload


def valid_tcp(packet: bytes) -> bool:
    length = struct.unpack_from("!H", packet, 4)[0]
    pseudo = packet[8:40] + struct.pack("!IxxxB", length, 6)
    return reference_checksum(pseudo + packet[40:]) == 0xFFFF


def segment(merged: bytes) -> list[bytes]:
    """What the kernel does with a merged (GSO TCPV6) packet: cut it at gso_size again."""
    flags, gso_type, hdr_len, gso_size, csum_start, csum_off = r.VNET.unpack_from(merged)
    assert (flags, gso_type, csum_start, csum_off) == (r.F_NEEDS_CSUM, r.GSO_TCPV6, 40, 16)
    packet = merged[r.VNET_LEN :]
    head, payload = packet[:hdr_len], packet[hdr_len:]
    seq, tcp_flags = struct.unpack_from("!I", head, 44)[0], head[53]
    out = []
    for at in range(0, len(payload), gso_size):
        chunk = payload[at : at + gso_size]
        last = at + gso_size >= len(payload)
        h = bytearray(head)
        struct.pack_into("!H", h, 4, hdr_len - 40 + len(chunk))
        struct.pack_into("!I", h, 44, (seq + at) & 0xFFFFFFFF)
        h[53] = tcp_flags if last else tcp_flags & ~(r.TCP_PSH | r.TCP_FIN)
        h[56:58] = b"\0\0"
        pseudo = h[8:40] + struct.pack("!IxxxB", len(h) - 40 + len(chunk), 6)
        struct.pack_into("!H", h, 56, ~reference_checksum(pseudo + h[40:] + chunk) & 0xFFFF)
        out.append(bytes(h) + chunk)
    return out


class Relay:
    """A real relay object whose sockets are replaced: recvmmsg is fed from a list (a packet, or
    a packet and its outer header's traffic class), the 'TUN' is one end of a datagram socket
    pair, sendmmsg is captured from the messages it is given (their iovecs joined, the outer
    traffic class of their control message in ``sent_tclass``).  ``vector``: with numpy."""

    def __init__(self, direction: str, vnet: bool = True, vector: bool = False):
        self.ctl, self._other = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = os.memfd_create("test-stats", 0)
        os.ftruncate(fd, r.SLOTS * 8)
        self.relay = r.Relay(direction, self.ctl.detach(), fd, 0, 2048, vnet, vector)
        assert (self.relay.merge_sum is not r._merge_sum) == (direction == "down" and vnet and vector)
        self.tun, self.tun_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.tun_peer.setblocking(False)
        self.queue: list[bytes] = []
        self.sent: list[bytes] = []
        self.sent_tclass: list[int] = []
        ring = self.relay.ring
        harness = self

        class FakeLibc:
            @staticmethod
            def recvmmsg(sock, address, batch, flags, timeout):
                n = min(batch, len(harness.queue))
                for k in range(n):
                    packet, outer = harness.queue.pop(0), 0
                    if isinstance(packet, tuple):
                        packet, outer = packet
                    ring.tclass[k] = outer  # the kernel's IPV6_TCLASS control message
                    ring.data[k * ring.slot : k * ring.slot + len(packet)] = packet
                    ring.lens[k * ring.lstep + ring.loff] = len(packet)
                return n

            @staticmethod
            def sendmmsg(sock, address, count, flags):
                for i in range(count):
                    msg = r.MMsgHdr.from_address(address + i * r._HDR).msg_hdr
                    iovs = (r.IoVec * msg.msg_iovlen).from_address(msg.msg_iov)
                    harness.sent.append(b"".join(ctypes.string_at(v.iov_base, v.iov_len) for v in iovs))
                    cmsg = struct.unpack("=Qiii", ctypes.string_at(msg.msg_control, 20))
                    assert cmsg[:3] == (20, socket.IPPROTO_IPV6, r.IPV6_TCLASS)
                    harness.sent_tclass.append(cmsg[3] if msg.msg_controllen else 0)
                return count

        self.relay.libc = FakeLibc()

    def down(self, packets: list[bytes], prefixes: list | None = None, mtu: int = 1460) -> list[bytes]:
        self.queue = list(packets)
        peer = r._Peer("x", self.tun.fileno(), -1, False, mtu)
        if prefixes is not None:
            peer.set_prefixes(prefixes)
            peer.rpf = True
        if self.relay.vnet:
            self.relay._from_tunnel_merging(peer)
        else:
            self.relay._from_tunnel(peer)
        out = []
        if self.tun_peer.fileno() < 0:
            return out
        while True:
            try:
                out.append(self.tun_peer.recv(70000))
            except BlockingIOError:
                return out

    def up(self, packets: list[bytes]) -> list[bytes]:
        for p in packets:
            self.tun_peer.send(p)
        self.tun.setblocking(False)
        self.sent = []
        self.relay._from_tun(r._Peer("x", self.tun.fileno(), -1, False))
        return self.sent

    def counter(self, name: str) -> int:
        return self.relay.st[r.COUNTERS.index(name)]

    def close(self):
        for s in (self._other, self.tun, self.tun_peer):
            s.close()


@pytest.fixture(params=[False, True], ids=["python", "numpy"])
def down(request):
    h = Relay("down", vector=request.param)
    yield h
    h.close()


# the relay's modes: virtio-net headers (offload) or not; with numpy's help or not
MODES = pytest.mark.parametrize(
    ("vnet", "vector"), [(True, True), (True, False), (False, False)], ids=["numpy", "offload", "plain"]
)


def test_merged_segments_cut_again_are_byte_exact(down):
    rnd = random.Random(5)
    mss = 1388
    sizes = [mss] * 100 + [555]  # more than one recvmmsg batch, and more than one merged packet
    seq, segments = 4_294_000_000, []  # wraps around 2**32 on the way
    for i, size in enumerate(sizes):
        flags = r.TCP_ACK | (r.TCP_PSH if i == len(sizes) - 1 else 0)
        segments.append(tcp_segment(seq & 0xFFFFFFFF, rnd.randbytes(size), flags))
        seq += size
    assert all(valid_tcp(s) for s in segments)
    merged = down.down(segments)
    assert len(merged) == 3  # 46 + 46 + 9 segments: each merged packet stays below 65000 octets
    assert down.counter("gro_packets") == 3 and down.counter("tunnel_rx") == len(segments)
    again = [s for m in merged for s in segment(m)]
    assert again == segments  # lengths, sequence numbers, PSH on the very last, checksums
    for m in merged:  # the checksum field carries the pseudo-header sum the kernel completes
        packet = bytearray(m[r.VNET_LEN :]) + b"\0"
        r._complete_checksum(packet, 0, len(packet) - 1, 40, 16)
        assert valid_tcp(bytes(packet[:-1]))
        assert struct.unpack_from("!H", packet, 4)[0] == len(packet) - 1 - 40


def _flow(seq: int, sizes: list[int], rnd: random.Random) -> list[bytes]:
    """Segments of one flow with a flow label, traffic class and hop limit the checksum skips."""
    out = []
    for i, size in enumerate(sizes):
        flags = r.TCP_ACK | (r.TCP_PSH if i == len(sizes) - 1 else 0)
        packet = bytearray(tcp_segment(seq, rnd.randbytes(size), flags))
        packet[0:4] = struct.pack("!I", 6 << 28 | 0x2C << 20 | 0xBEEF5)
        packet[7] = 57
        out.append(bytes(packet))
        seq += size
    return out


def test_merge_refuses_segments_whose_checksums_do_not_hold(down):
    """The kernel fills in a merged packet's checksum, so a segment damaged in the core would be
    delivered as sound: a merge is made only when the segments' own checksums hold, otherwise
    they go on unmerged and untouched, for the receiver's TCP to drop the damaged one."""
    rnd = random.Random(11)
    sound = _flow(7_000, [1200] * 9 + [333], rnd)
    merged = down.down(sound)
    assert len(merged) == 1 and segment(merged[0]) == sound  # flow label and hop limit: sound
    damaged = list(sound)
    for k, at in ((4, 600), (0, 56), (9, 40 + 32 + 332)):  # payload, checksum field, odd last octet
        damaged[k] = damaged[k][:at] + bytes([damaged[k][at] ^ 0x40]) + damaged[k][at + 1 :]
        assert not valid_tcp(damaged[k])
        out = down.down(damaged)
        assert [o[: r.VNET_LEN] for o in out] == [r.NO_VNET] * len(sound)
        assert [o[r.VNET_LEN :] for o in out] == damaged  # nothing repaired
        damaged[k] = sound[k]
    assert down.counter("merge_bad_checksum") == 3 and down.counter("gro_packets") == 1


def test_segments_with_a_malformed_data_offset_are_not_merged(down):
    flow = _flow(9_000, [500] * 4, random.Random(2))
    bad = []
    for i, p in enumerate(flow):  # data offset 4 (16 octets, less than a TCP header): to be dropped
        p = bytearray(p)  # by the receiver; sequence numbers as if the header were 16 octets
        p[52], p[56:58] = 4 << 4, b"\0\0"
        struct.pack_into("!I", p, 44, 9_000 + i * (len(p) - 56))
        pseudo = p[8:40] + struct.pack("!IxxxB", len(p) - 40, 6)
        struct.pack_into("!H", p, 56, ~reference_checksum(bytes(pseudo + p[40:])) & 0xFFFF)
        assert valid_tcp(bytes(p))  # so only the data offset keeps them apart
        bad.append(bytes(p))
    out = down.down(bad)
    assert [o[r.VNET_LEN :] for o in out] == bad and down.counter("gro_packets") == 0


def _after_ecn(packet: bytes, outer: int) -> bytes | None:
    """What RFC 6040 makes of an arriving inner packet (None: dropped)."""
    if len(packet) < 40 or packet[0] >> 4 != 6 or not outer:
        return packet
    ecn = RFC6040_DECAP[(ecn_of(packet), outer)]
    return None if ecn is None else packet[:1] + bytes([packet[1] & 0xCF | ecn << 4]) + packet[2:]


@MODES
def test_down_relay_on_mangled_traffic(vnet, vector):
    """Flows cut into random sizes, some segments damaged (a flipped octet, cut short, the version
    changed), garbage between them, random outer ECN: the relay never fails, drops only what is not
    IPv6 or ECN says to drop, passes everything else on unchanged or in merges, and every segment a
    merge gives back is one that arrived with a checksum that held."""
    rnd = random.Random(2026)
    for trial in range(60):
        h = Relay("down", vnet=vnet, vector=vector)
        try:
            arriving = []
            for _ in range(rnd.randrange(1, 4)):
                sizes = [rnd.choice((1, 7, 512, 1388, 1388, 1388))] * rnd.randrange(1, 30)
                arriving += _flow(rnd.randrange(1 << 32), sizes, rnd)
            if rnd.random() < 0.2:  # flows interleaved, out of order
                rnd.shuffle(arriving)
            for k in range(len(arriving)):
                roll = rnd.random()
                if roll < 0.1:
                    p = bytearray(arriving[k])
                    p[rnd.randrange(len(p))] ^= rnd.randrange(1, 256)
                    arriving[k] = bytes(p)
                elif roll < 0.13:
                    arriving[k] = arriving[k][: rnd.randrange(len(arriving[k]))]
                elif roll < 0.15:
                    arriving[k] = rnd.randbytes(rnd.randrange(0, 200))
            fed = [(p, rnd.choice((NOT_ECT, NOT_ECT, ECT0, ECT1, CE))) for p in arriving]
            out = h.down(fed)
            expected = [_after_ecn(p, outer) for p, outer in fed]
            kept = [p for p in expected if p is not None and len(p) >= 40 and p[0] >> 4 == 6]
            sound = {p for p in kept if p[6] != 6 or valid_tcp(p)}
            passed_on = []
            for o in out:
                if vnet and r.VNET.unpack_from(o)[1] == r.GSO_TCPV6:
                    pieces = segment(o)
                    assert all(piece in sound for piece in pieces), trial  # nothing repaired
                    passed_on += pieces
                else:
                    passed_on.append(o[r.VNET_LEN :] if vnet else o)
            assert passed_on == kept, trial  # in order, nothing lost, nothing changed
            dropped = len(expected) - len(kept)
            assert h.counter("rpf_drop") + h.counter("ecn_dropped") == dropped, trial
            assert h.counter("tunnel_rx") == len(fed)
        finally:
            h.close()


def test_checksum_sum_finds_any_single_damaged_octet():
    rnd = random.Random(3)
    for trial in range(200):
        segments = _flow(rnd.randrange(1 << 32), [rnd.randrange(1, 1400)] * rnd.randrange(2, 6), rnd)
        ring = bytearray(b"".join(segments))
        total = sum(int.from_bytes(p, "little") for p in segments)
        assert r._sums_hold(ring, 0, len(segments), total), trial
        k = rnd.randrange(len(segments))
        at = rnd.randrange(8, len(segments[k]))  # anything the checksum covers
        bad = bytearray(segments[k])
        bad[at] ^= rnd.randrange(1, 256)
        total += int.from_bytes(bad, "little") - int.from_bytes(segments[k], "little")
        assert not r._sums_hold(ring, 0, len(segments), total), (trial, k, at)


def test_merge_keeps_flows_order_and_header_changes_apart(down):
    a1, a2 = tcp_segment(1000, b"a" * 100), tcp_segment(1100, b"b" * 100)
    other_flow = tcp_segment(1200, b"c" * 100, src="2001:db8:100:1::11")
    gap = tcp_segment(5000, b"d" * 100)
    other_ack = tcp_segment(5100, b"e" * 100, ack=78)
    syn = tcp_segment(9, b"", flags=r.TCP_SYN)
    ce = bytearray(tcp_segment(5200, b"f" * 100, ack=78))
    ce[1] |= 0x30  # ECN CE: must not vanish into a merged packet
    icmp = struct.pack("!IHBB", 6 << 28, 8, 58, 64) + bytes(32) + bytes(8)
    out = down.down([a1, a2, other_flow, gap, other_ack, syn, bytes(ce), icmp])
    assert len(out) == 7
    assert r.VNET.unpack_from(out[0])[1] == r.GSO_TCPV6 and segment(out[0]) == [a1, a2]
    assert [o[r.VNET_LEN :] for o in out[1:]] == [other_flow, gap, other_ack, syn, bytes(ce), icmp]
    assert all(o[: r.VNET_LEN] == r.NO_VNET for o in out[1:])


def with_ecn(packet: bytes, ecn: int, dscp: int = 0x2E) -> bytes:
    """``packet`` with its traffic class set to ``dscp`` and ``ecn`` (flow label kept)."""
    tc = dscp << 2 | ecn
    first = struct.unpack_from("!I", packet)[0] & 0xF00FFFFF | tc << 20
    return struct.pack("!I", first) + packet[4:]


def ecn_of(packet: bytes) -> int:
    return packet[1] >> 4 & 3


NOT_ECT, ECT1, ECT0, CE = r.NOT_ECT, r.ECT_1, r.ECT_0, r.CE
# RFC 6040 section 4.2, figure 4: (arriving inner, arriving outer) -> departing inner, None: drop
RFC6040_DECAP = {
    (NOT_ECT, NOT_ECT): NOT_ECT, (NOT_ECT, ECT0): NOT_ECT, (NOT_ECT, ECT1): NOT_ECT, (NOT_ECT, CE): None,
    (ECT0, NOT_ECT): ECT0, (ECT0, ECT0): ECT0, (ECT0, ECT1): ECT1, (ECT0, CE): CE,
    (ECT1, NOT_ECT): ECT1, (ECT1, ECT0): ECT1, (ECT1, ECT1): ECT1, (ECT1, CE): CE,
    (CE, NOT_ECT): CE, (CE, ECT0): CE, (CE, ECT1): CE, (CE, CE): CE,
}  # fmt: skip


@MODES
def test_decapsulation_carries_ecn_as_rfc_6040_says(vnet, vector):
    h = Relay("down", vnet=vnet, vector=vector)
    try:
        arriving = [((inner, outer), with_ecn(tcp_segment(100 * i, b"e" * 40), inner))
                    for i, (inner, outer) in enumerate(RFC6040_DECAP)]  # fmt: skip
        out = h.down([(packet, outer) for (_inner, outer), packet in arriving])
        out = [o[r.VNET_LEN :] if vnet else o for o in out]
        kept = [(combo, p) for combo, p in arriving if RFC6040_DECAP[combo] is not None]
        assert [ecn_of(o) for o in out] == [RFC6040_DECAP[combo] for combo, _ in kept]
        for o, (_combo, p) in zip(out, kept, strict=True):  # nothing else changes: DSCP, flow label, all
            assert o[:1] + bytes([o[1] & 0xCF]) + o[2:] == p[:1] + bytes([p[1] & 0xCF]) + p[2:]
            assert valid_tcp(o)  # the traffic class is outside the checksum
        assert h.counter("ecn_dropped") == 1
        assert h.counter("ecn_marked") == 2  # ECT(0) and ECT(1) under CE; CE stays CE
    finally:
        h.close()


def test_marked_segments_are_not_merged_with_unmarked_ones(down):
    rnd = random.Random(8)
    flow = _flow(50_000, [1000] * 6, rnd)
    flow = [with_ecn(p, ECT0) for p in flow]
    out = down.down([(p, CE if i == 3 else ECT0) for i, p in enumerate(flow)])
    assert [r.VNET.unpack_from(o)[1] for o in out] == [r.GSO_TCPV6, 0, r.GSO_TCPV6]
    assert [ecn_of(o[r.VNET_LEN :]) for o in out] == [ECT0, CE, ECT0]
    assert segment(out[0]) == flow[:3] and segment(out[2]) == flow[4:]


@pytest.mark.parametrize("vnet", [True, False], ids=["offload", "plain"])
def test_encapsulation_copies_the_inner_ecn_field(vnet):
    h = Relay("up", vnet=vnet)
    try:
        hdr = r.NO_VNET if vnet else b""
        packets = [
            with_ecn(tcp_segment(i, b"u" * 20), ecn) for i, ecn in enumerate((NOT_ECT, ECT0, ECT1, CE))
        ]
        assert h.up([hdr + p for p in packets]) == packets
        assert h.sent_tclass == [NOT_ECT, ECT0, ECT1, CE]  # outer DSCP 0, ECN copied (normal mode)
        h.sent_tclass = []
        assert h.up([hdr + p for p in reversed(packets)]) == packets[::-1]  # slots reused
        assert h.sent_tclass == [CE, ECT1, ECT0, NOT_ECT]
    finally:
        h.close()


def test_down_reverse_path_check_drops_and_counts(down):
    hnp = [(ipaddress.IPv6Address("2001:db8:100:1::").packed.hex(), 64)]
    good = tcp_segment(1, b"x" * 10)
    spoofed = tcp_segment(1, b"x" * 10, src="2001:db8:bad::1")
    garbage = b"\x45" + bytes(59)  # IPv4 inside an IPv6 tunnel: not ours either
    out = down.down([good, spoofed, garbage, good], prefixes=hnp)
    assert [o[r.VNET_LEN :] for o in out] == [good, good]
    assert down.counter("rpf_drop") == 2 and down.counter("tunnel_rx") == 4


@MODES
def test_down_lets_only_ipv6_out_of_the_tunnel(vnet, vector):
    """At the MAG too (no reverse-path check there): protocol 41 carries IPv6, nothing else."""
    h = Relay("down", vnet=vnet, vector=vector)
    try:
        ipv4 = b"\x45" + bytes(59)
        short = tcp_segment(1, b"")[:39]
        good = tcp_segment(1, b"ok")
        out = h.down([ipv4, short, good])
        assert [o[r.VNET_LEN :] if vnet else o for o in out] == [good]
        assert h.counter("rpf_drop") == 2
    finally:
        h.close()


def test_down_without_offload_and_tun_write_errors():
    h = Relay("down", vnet=False)
    try:
        packets = [tcp_segment(i * 10, b"y" * 10) for i in range(3)]
        assert h.down(packets) == packets
        h.tun_peer.close()  # the 'TUN' is gone: writes fail, the relay counts and carries on
        assert h.down(packets) == []
        assert h.counter("tun_write_error") == 3 and h.counter("tunnel_rx") == 6
    finally:
        h.close()


@pytest.mark.parametrize("vnet", [True, False], ids=["offload", "plain"])
def test_up_filters_and_completes_partial_checksums(vnet):
    h = Relay("up", vnet=vnet)
    try:
        hdr = (lambda *f: r.VNET.pack(*f)) if vnet else (lambda *f: b"")
        data = tcp_segment(7, b"z" * 301)
        partial = bytearray(data)
        length = struct.unpack_from("!H", partial, 4)[0]
        struct.pack_into(
            "!H", partial, 56, reference_checksum(partial[8:40] + struct.pack("!IxxxB", length, 6))
        )
        mld = struct.pack("!IHBB", 6 << 28, 8, 0, 1) + bytes(16) + ipaddress.IPv6Address("ff02::16").packed
        mld += bytes(8)
        sent = h.up(
            [
                hdr(0, 0, 0, 0, 0, 0) + data,
                hdr(0, 0, 0, 0, 0, 0) + mld,
                hdr(0, 0, 0, 0, 0, 0) + b"short",
            ]
            + ([hdr(r.F_NEEDS_CSUM, 0, 0, 0, 40, 16) + bytes(partial)] if vnet else [])
        )
        assert sent == [data] * (2 if vnet else 1)
        assert h.counter("filtered") == 2 and h.counter("tunnel_tx") == len(sent)
    finally:
        h.close()


def test_a_packet_ecn_drops_ends_the_merge_around_it(down):
    """A packet dropped under CE (its sender does not do ECN) ends the merge in progress: the
    segments of a merge stay in consecutive ring slots, which the numpy sum relies on."""
    flow = [with_ecn(p, ECT0) for p in _flow(70_000, [1000] * 4, random.Random(4))]
    stranger = tcp_segment(5, b"z" * 100, src="2001:db8:100:1::11")  # Not-ECT
    out = down.down([(flow[0], ECT0), (flow[1], ECT0), (stranger, CE), (flow[2], ECT0), (flow[3], ECT0)])
    assert [segment(o) for o in out] == [flow[:2], flow[2:]]
    assert down.counter("ecn_dropped") == 1 and down.counter("merge_bad_checksum") == 0


def test_merge_sums_with_numpy_equal_the_python_ones():
    """The numpy sum over ring slots and Python's per segment agree (modulo 0xFFFF, all that
    ``_sums_hold`` uses): odd and even sizes, a short last segment, merges anywhere in the ring."""
    rnd = random.Random(12)
    ring = r.Ring(r.BATCH, 2048)
    sums = vector.MergeSums(ring)
    for _trial in range(200):
        size = rnd.randrange(1, 2049)
        n = rnd.randrange(1, 10)
        k = rnd.randrange(0, r.BATCH - n + 1)
        last = rnd.randrange(1, size + 1)
        merge = []
        for i in range(n):
            length = last if i == n - 1 else size
            at = (k + i) * ring.slot
            ring.data[at : at + length] = rnd.randbytes(length)
            merge.append(ring.mv[at : at + length])
        assert sums(merge, k * ring.slot) % 0xFFFF == r._merge_sum(merge, k * ring.slot) % 0xFFFF


def test_without_vnet_headers_coalesced_tcp_is_cut_into_valid_segments():
    """No virtio-net header to hand a merged packet to the kernel whole: the relay cuts it into
    checksummed segments itself (PSH and FIN on the last one, CWR on the first), byte-exact."""
    h = Relay("down", vnet=False)
    try:
        payload = random.Random(4).randbytes(5001)  # odd: the last segment needs the checksum pad
        big = bytearray(tcp_segment(4_294_967_000, payload, r.TCP_ACK | r.TCP_PSH | r.TCP_FIN | r.TCP_CWR))
        big[56:58] = b"\xde\xad"  # GRO leaves the first segment's checksum: stale
        udp = struct.pack("!IHBB", 6 << 28, 3000, 17, 64) + bytes(32) + bytes(3000)
        out = h.down([bytes(big), udp], mtu=1460)
        assert h.counter("oversize") == 2
        segments, rest = out[:-1], out[-1]
        assert rest == udp  # not TCP: passed on as it is (the kernel answers Packet Too Big)
        assert [len(p) for p in segments] == [1460, 1460, 1460, 72 + 5001 - 3 * 1388]
        assert all(valid_tcp(p) for p in segments)
        assert b"".join(p[72:] for p in segments) == payload
        seqs = [struct.unpack_from("!I", p, 44)[0] for p in segments]
        assert seqs == [(4_294_967_000 + i * 1388) & 0xFFFFFFFF for i in range(4)]
        flags = [p[53] for p in segments]
        assert flags == [r.TCP_ACK | r.TCP_CWR, r.TCP_ACK, r.TCP_ACK, r.TCP_ACK | r.TCP_PSH | r.TCP_FIN]
    finally:
        h.close()


def test_reverse_path_set_updates_incrementally():
    def hx(p: str) -> str:
        return ipaddress.IPv6Address(p).packed.hex()

    def allowed(peer, src: str) -> bool:
        return peer.source_allowed(bytearray(8) + ipaddress.IPv6Address(src).packed, 0)

    peer = r._Peer("x", -1, -1, True)
    peer.update([[hx("2001:db8:100:1::"), 64], [hx("2001:db8:100:2::"), 64], [hx("2001:db8:200::"), 48]])
    assert allowed(peer, "2001:db8:100:2::1") and allowed(peer, "2001:db8:200:5::1")
    peer.update([], [[hx("2001:db8:100:2::"), 64], [hx("2001:db8:200::"), 48], [hx("2001:db8:9::"), 64]])
    assert allowed(peer, "2001:db8:100:1::1")
    assert not allowed(peer, "2001:db8:100:2::1") and not allowed(peer, "2001:db8:200:5::1")
    assert len(peer.groups) == 1  # the empty /48 group is gone
    peer.update([[hx("2001:db8:100:3::"), 64]], reset=True)
    assert allowed(peer, "2001:db8:100:3::1") and not allowed(peer, "2001:db8:100:1::1")


def test_packets_coalesced_before_the_socket_are_cut_to_the_tunnel_mtu(down):
    big = bytearray(tcp_segment(10, random.Random(3).randbytes(5000), r.TCP_ACK | r.TCP_PSH))
    big[56:58] = b"\xde\xad"  # GRO leaves the first segment's checksum: stale
    udp = struct.pack("!IHBB", 6 << 28, 3000, 17, 64) + bytes(32) + bytes(3000)
    out = down.down([bytes(big), udp], mtu=1460)
    assert down.counter("oversize") == 2
    flags, gso_type, hdr_len, gso_size, _s, _o = r.VNET.unpack_from(out[0])
    assert (flags, gso_type, hdr_len, gso_size) == (r.F_NEEDS_CSUM, r.GSO_TCPV6, 72, 1460 - 72)
    packet = bytearray(out[0][r.VNET_LEN :]) + b"\0"
    r._complete_checksum(packet, 0, len(packet) - 1, 40, 16)  # what the kernel does with it
    assert valid_tcp(bytes(packet[:-1]))
    pieces = segment(out[0])
    assert all(valid_tcp(p) and len(p) <= 1460 for p in pieces)
    assert b"".join(p[72:] for p in pieces) == bytes(big[72:])
    assert out[1] == r.NO_VNET + udp  # not TCP: as it came; the kernel decides (forward or PTB)


def test_relay_runs_standalone_with_the_shared_structures():
    """The relay is started as ``python -I relay.py`` (no package): it still finds
    the ctypes structures it shares with the signalling transport."""
    from pmipv6 import batchio, mmsg

    assert r.MMsgHdr is mmsg.MMsgHdr and batchio.MMsgHdr is mmsg.MMsgHdr
    assert r._HDR == mmsg.MMSGHDR_SIZE
    proc = subprocess.run(
        [sys.executable, "-I", r.__file__], capture_output=True, text=True, timeout=30, check=False
    )
    assert (proc.returncode, proc.stderr.strip()) == (2, r.USAGE)


def test_relay_without_numpy_after_all_checks_merges_in_python(monkeypatch, capsys):
    """The agent found numpy but the relay cannot import it (a broken installation): the relay
    says so on stderr (the agent's) and checks merges the Python way."""
    import pmipv6.dataplane

    monkeypatch.delattr(pmipv6.dataplane, "vector")
    monkeypatch.setitem(sys.modules, "pmipv6.dataplane.vector", None)  # so the import fails
    ctl, other = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fd = os.memfd_create("test-stats", 0)
    os.ftruncate(fd, r.SLOTS * 8)
    try:
        relay = r.Relay("down", ctl.detach(), fd, 0, 2048, True, True)
        assert relay.merge_sum is r._merge_sum
        assert "numpy not usable" in capsys.readouterr().err
    finally:
        other.close()

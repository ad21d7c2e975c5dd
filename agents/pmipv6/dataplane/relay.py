"""Userspace RFC 2473 tunnel relay: one process per direction, outside the agent's event loop.

``up``   reads packets routed into the TUN devices and sends them to the peer through a raw
         IPv6 socket for protocol 41 (the kernel prepends the outer IPv6 header).
``down`` receives tunnelled packets on those raw sockets (the kernel strips the outer header)
         and writes the inner packet into the peer's TUN device; on an LMA it first checks that
         the inner source lies in a prefix bound to that MAG (RFC 5213 §5.6.2) and drops and
         counts the packet otherwise.

ECN crosses as RFC 6040 says: ``up`` copies the inner ECN field to the outer header (an
IPV6_TCLASS control message per packet that has ECN on), ``down`` reads the outer one (the same
message, IPV6_RECVTCLASS) and carries CE inside, or drops a packet that is not ECN-capable.

The agent (``userspace.UserspaceDataPlane``) creates the TUN devices and the raw sockets (one per
peer, bound to the local address and connected to the peer, so the kernel does the demultiplexing)
and passes their descriptors over a SOCK_SEQPACKET control socket with SCM_RIGHTS, together with
JSON commands.  Counters live in a shared memory block (one row of 64-bit slots per process).

Speed: packets move in batches through preallocated buffers: the ``up`` relay reads each TUN
packet straight into a sendmmsg(2) slot and sends up to 64 with one system call; the ``down``
relay takes up to 64 with one recvmmsg(2).  With ``--vnet 1`` (offload) the TUN devices carry
virtio-net headers and the ``down`` relay merges consecutive segments of one TCP flow into one
super-packet per TUN write (like the kernel's GRO, and like it only when the segments' checksums
hold), so the kernel forwards one packet where it would otherwise forward 20 to 45.  The wire
format is untouched: every packet in the tunnel is a plain RFC 2473 packet of at most the tunnel
MTU.  A core NIC's GRO may merge tunnel packets before the raw socket sees them (bigger than the
tunnel MTU: counted ``oversize``); with offload they go on as one GSO packet, without it the relay
cuts them into checksummed segments itself, since the kernel would drop a packet bigger than the
MN's link and answer Packet Too Big.  Merged UDP
(``rx-udp-gro-forwarding`` or ``rx-gro-list`` on the core interface) cannot be split again: the
raw socket returns the datagrams as one block without their boundaries (docs/operations.md).

Stdlib only: this file is started as ``python -I relay.py`` and must import quickly; the ctypes
structures come from ``pmipv6/mmsg.py`` (shared with ``batchio``), found relative to this file.
numpy is optional (``--vector 1`` when the agent finds it): with it the ``down`` relay checks a
merge's checksums with a few vector sums (``vector.py``) instead of a big number per segment.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import mmap
import os
import select
import signal
import socket
import struct
import sys

if __package__:
    from ..mmsg import IOVEC_SIZE, MMSGHDR_SIZE, MSG_DONTWAIT, IoVec, MMsgHdr, MsgHdr, load_libc
else:  # started as ``python -I relay.py`` (no package): the agents directory is two up
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from pmipv6.mmsg import IOVEC_SIZE, MMSGHDR_SIZE, MSG_DONTWAIT, IoVec, MMsgHdr, MsgHdr, load_libc

COUNTERS = (
    "tunnel_rx",  # packets received from the tunnel (from the peer)
    "tunnel_tx",  # packets sent into the tunnel
    "rpf_drop",  # LMA: inner source not in a prefix bound to that MAG; either side: not IPv6 inside
    "tun_write_error",  # TUN write failed (EIO while the link is down, ...): dropped
    "send_error",  # the raw socket refused a packet (no route to the peer, ...): dropped
    "tun_read_error",
    "filtered",  # up: not for the tunnel (unspecified or link-local source, multicast destination)
    "tunnel_rx_bytes",
    "tunnel_tx_bytes",
    "gro_packets",  # down, offload: merged super-packets written
    "oversize",  # down: bigger than the tunnel MTU (merged by GRO on the way in, or a bigger peer MTU)
    "merge_bad_checksum",  # down, offload: a merge whose TCP checksums did not add up: written unmerged
    "ecn_marked",  # down: congestion experienced (CE) on the outer header, carried to the inner one
    "ecn_dropped",  # down: CE on the outer header of a packet whose sender does not do ECN: dropped
)
SLOTS = 16  # 64-bit counters per process row
RX, TX, RPF, TUNW, SENDE, TUNR, FILT, RXB, TXB, GRO, BIG, BADSUM, ECN_CE, ECN_DROP = range(len(COUNTERS))

BATCH = 64
DRAIN_ROUNDS = 16  # batches per wake-up before the control socket and other peers get a turn
MAX_MERGED = 65000  # merged packets stay below the 65535-octet IPv6 payload limit
MAX_DATAGRAM = 65536 + 64  # down: an inner packet the kernel's GRO merged can be this big
VNET = struct.Struct("=BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_LEN = VNET.size
NO_VNET = bytes(VNET_LEN)
F_NEEDS_CSUM = 1
GSO_TCPV6 = 4
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR = 1, 2, 4, 8, 16, 32, 64, 128
_U32 = struct.Struct("!I")
# ECN (RFC 3168) in the IPv6 header: the two low bits of the traffic class, 0x30 of octet 1
NOT_ECT, ECT_1, ECT_0, CE = 0, 1, 2, 3
IPV6_TCLASS = 67  # the ancillary message carrying a packet's traffic class (RFC 3542)
CMSG_TCLASS = struct.pack("=Qii", 20, socket.IPPROTO_IPV6, IPV6_TCLASS)  # CMSG_LEN(sizeof(int))
CONTROL = len(CMSG_TCLASS) + 8  # CMSG_SPACE(sizeof(int)): header, the int, padding


_HDR = MMSGHDR_SIZE


class Ring:
    """``count`` message headers (no addresses: the sockets are connected), each with one iovec
    over its own ``slot``-byte buffer; ``skip`` octets at the start of each slot (a virtio-net
    header read together with the packet) are left out of the iovec.  Each message also carries
    one IPV6_TCLASS control message: the outer header's traffic class, ``tclass[k]``, set for
    sendmmsg or filled in by recvmmsg."""

    def __init__(self, count: int, slot: int, skip: int = 0) -> None:
        self.count, self.slot = count, slot
        self.hdr_buf = bytearray(_HDR * count)
        self.iov_buf = bytearray(IOVEC_SIZE * count)
        self.data = bytearray(slot * count)
        self.control = bytearray((CMSG_TCLASS + bytes(CONTROL - len(CMSG_TCLASS))) * count)
        hdrs = (MMsgHdr * count).from_buffer(self.hdr_buf)
        iovs = (IoVec * count).from_buffer(self.iov_buf)
        base = _address(self.data)
        control = _address(self.control)
        for k in range(count):
            iovs[k].iov_base = base + k * slot + skip
            iovs[k].iov_len = slot - skip
            hdrs[k].msg_hdr.msg_iov = ctypes.addressof(iovs[k])
            hdrs[k].msg_hdr.msg_iovlen = 1
            hdrs[k].msg_hdr.msg_control = control + k * CONTROL
            hdrs[k].msg_hdr.msg_controllen = CONTROL  # recvmmsg sets it to what it used: the same
        self.address = ctypes.addressof(hdrs)
        self._keep = (hdrs, iovs)
        self.mv = memoryview(self.data)
        # msg_len of header k is lens[k * lstep + loff]; iov_len of iovec k is iov_lens[2 * k + 1]
        self.lens = memoryview(self.hdr_buf).cast("I")
        self.lstep, self.loff = _HDR // 4, MMsgHdr.msg_len.offset // 4
        self.iov_lens = memoryview(self.iov_buf).cast("Q")
        self.views = [[self.mv[k * slot : (k + 1) * slot]] for k in range(count)]  # for os.readv
        ints = CONTROL // 4
        self.tclass = memoryview(self.control).cast("i")[len(CMSG_TCLASS) // 4 :: ints]
        # msg_controllen of header k (sendmmsg: 0 leaves the control message out)
        self.control_lens = memoryview(self.hdr_buf).cast("Q")[MsgHdr.msg_controllen.offset // 8 :: _HDR // 8]


def _address(buf: bytearray) -> int:
    """Where ``buf``'s first octet is (it must not be resized while that is in use)."""
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def _checksum(data) -> int:
    """Internet checksum (RFC 1071) of a bytes-like object of even length, not complemented.

    The one's-complement sum of 16-bit words equals the number's value modulo 0xFFFF, which lets
    CPython's big-integer code do the work in C."""
    s = int.from_bytes(data, "big") % 0xFFFF
    return s or (0xFFFF if any(data) else 0)


def _fold(*parts: int) -> int:
    s = sum(parts)
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _prefix_key(text: str, length: int) -> tuple[tuple[int, int], int]:
    octets = (length + 7) // 8
    mask = ((1 << length) - 1) << (octets * 8 - length) if length else 0
    return (octets, mask), int.from_bytes(bytes.fromhex(text)[:octets], "big") & mask


def _local_only(data, at: int) -> bool:
    """Never tunnelled: unspecified/link-local source (the device's own MLD, ...), multicast destination."""
    first = data[at + 8]
    return (
        data[at + 24] == 0xFF
        or (first == 0xFE and data[at + 9] & 0xC0 == 0x80)
        or (first == 0 and not any(data[at + 9 : at + 24]))
    )


def _complete_checksum(data: bytearray, at: int, length: int, start: int, offset: int) -> None:
    """CHECKSUM_PARTIAL: the field at start+offset holds the pseudo-header sum; add the rest.
    Needs one spare octet after the packet (for the pad of an odd length)."""
    if start + offset + 2 > length:
        return
    end = at + length
    odd = (length - start) & 1
    if odd:
        data[end] = 0
    s = _checksum(data[at + start : end + odd])
    struct.pack_into("!H", data, at + start + offset, (~s & 0xFFFF) or 0xFFFF)


class _Peer:
    __slots__ = ("groups", "mtu", "name", "rpf", "sets", "sock", "tun")

    def __init__(self, name: str, tun: int, sock: int, rpf: bool, mtu: int = 65535) -> None:
        self.name, self.tun, self.sock, self.rpf, self.mtu = name, tun, sock, rpf, mtu
        self.sets: dict[tuple[int, int], set] = {}  # (octets, mask) -> {masked source prefix}
        self.groups: list[tuple[int, int, set]] = []  # the same, longest first, for the check

    def update(self, add: list, remove: list = (), reset: bool = False) -> None:
        """Prefixes as [hex of the 16 octets, length]."""
        if reset:
            self.sets.clear()
        for text, length in remove:
            key, value = _prefix_key(text, length)
            allowed = self.sets.get(key)
            if allowed is not None:
                allowed.discard(value)
                if not allowed:
                    del self.sets[key]
        for text, length in add:
            key, value = _prefix_key(text, length)
            self.sets.setdefault(key, set()).add(value)
        self.groups = [(o, m, allowed) for (o, m), allowed in sorted(self.sets.items(), reverse=True)]

    def set_prefixes(self, prefixes: list) -> None:
        self.update(prefixes, reset=True)

    def source_allowed(self, data, off: int) -> bool:
        """Is the IPv6 source of the packet at ``off`` inside one of the prefixes?"""
        for octets, mask, allowed in self.groups:
            if int.from_bytes(data[off + 8 : off + 8 + octets], "big") & mask in allowed:
                return True
        return False


class Relay:
    def __init__(
        self, direction: str, ctl: int, stats_fd: int, row: int, slot: int, vnet: bool, vector: bool = False
    ) -> None:
        self.direction = direction
        self.ctl = socket.socket(fileno=ctl)
        self.vnet = vnet
        self.libc = load_libc()
        if self.libc is None:
            raise OSError("libc lacks recvmmsg/sendmmsg")
        self._stats_map = mmap.mmap(stats_fd, 0)
        os.close(stats_fd)
        self.st = memoryview(self._stats_map).cast("Q")
        self.base = row * SLOTS
        self.peers: dict[int, _Peer] = {}  # by the descriptor this direction waits on
        self.ep = select.epoll()
        self.ep.register(self.ctl.fileno(), select.EPOLLIN)
        self.running = True
        skip = VNET_LEN if vnet else 0
        self.merge_sum = _merge_sum  # down, merging: with numpy, vector.MergeSums
        if direction == "up":
            self.ring = Ring(BATCH, slot + skip + 1, skip)
        else:  # whatever the socket delivers fits: nothing is truncated
            self.ring = Ring(BATCH, MAX_DATAGRAM)
            helpers = _vector_helpers() if vnet and vector else None
            if helpers is not None:
                self.merge_sum = helpers.MergeSums(self.ring)

    # -- control --------------------------------------------------------------------------------
    def _control(self) -> None:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(self.ctl, 1 << 20, 8)
        except OSError:
            msg, fds = b"", []
        if not msg:
            self.running = False  # the agent went away
            return
        try:
            reply = self._command(json.loads(msg), fds) or "ok"
        except Exception as exc:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            reply = f"error: {exc}"
        with contextlib.suppress(OSError):
            self.ctl.send(reply.encode())

    def _command(self, cmd: dict, fds: list[int]) -> str | None:
        op = cmd["op"]
        if op == "peer":  # fds: TUN, raw socket
            tun, sock = fds
            peer = _Peer(cmd["peer"], tun, sock, False, int(cmd.get("mtu", 65535)))
            key = tun if self.direction == "up" else sock
            self.peers[key] = peer
            self.ep.register(key, select.EPOLLIN)
        elif op == "prefixes":  # LMA: from now on, check sources out of this tunnel
            for peer in self.peers.values():
                if peer.name == cmd["peer"]:
                    peer.update(cmd.get("add", []), cmd.get("del", []), bool(cmd.get("reset")))
                    peer.rpf = True
        elif op == "unpeer":
            for key, peer in list(self.peers.items()):
                if peer.name == cmd["peer"]:
                    self.ep.unregister(key)
                    del self.peers[key]
                    os.close(peer.tun)
                    os.close(peer.sock)
        elif op == "stop":
            self.running = False
        elif op == "ping":
            return "pong"
        else:
            raise ValueError(f"unknown op {op!r}")
        return None

    # -- main loop ------------------------------------------------------------------------------
    def run(self) -> None:
        ctl = self.ctl.fileno()
        if self.direction == "up":
            handle = self._from_tun
        else:
            handle = self._from_tunnel_merging if self.vnet else self._from_tunnel
        peers = self.peers
        while self.running:
            try:
                events = self.ep.poll(5.0)
            except InterruptedError:
                continue
            for fd, _ev in events:
                if fd == ctl:
                    self._control()
                    continue
                peer = peers.get(fd)
                if peer is not None:
                    handle(peer)

    # -- up: TUN -> tunnel ----------------------------------------------------------------------
    def _from_tun(self, peer: _Peer) -> None:
        """Read up to BATCH packets straight into the send ring; one sendmmsg for all of them."""
        ring = self.ring
        views, iov_lens, readv, data, slot = ring.views, ring.iov_lens, os.readv, ring.data, ring.slot
        tclass, control_lens = ring.tclass, ring.control_lens
        tun, k, size, filtered = peer.tun, 0, 0, 0
        skip = VNET_LEN if self.vnet else 0
        try:
            while k < BATCH:
                n = readv(tun, views[k]) - skip
                at = k * slot + skip
                first = data[at + 8]
                if (first == 0xFE or first == 0 or data[at + 24] == 0xFF or n < 40) and (
                    n < 40 or _local_only(data, at)
                ):
                    filtered += 1
                    continue
                if skip and data[at - skip]:  # virtio-net flags: NEEDS_CSUM (the device has no TSO)
                    _flags, _gso, _hl, _gs, csum_start, csum_off = VNET.unpack_from(data, at - skip)
                    _complete_checksum(data, at, n, csum_start, csum_off)
                iov_lens[2 * k + 1] = n
                ecn = data[at + 1] >> 4 & 3  # outer ECN = inner ECN (RFC 6040 normal mode)
                if ecn:
                    tclass[k] = ecn
                    control_lens[k] = CONTROL
                else:  # the socket's own traffic class is 0: no control message to parse
                    control_lens[k] = 0
                size += n
                k += 1
        except BlockingIOError:
            pass
        except OSError:
            self.st[self.base + TUNR] += 1
        if filtered:
            self.st[self.base + FILT] += filtered
        if k:
            self._send(peer.sock, ring.address, k, size)

    def _send(self, sock: int, address: int, count: int, size: int) -> None:
        st, base = self.st, self.base
        sent, errors = 0, 0
        sendmmsg = self.libc.sendmmsg
        while sent < count:
            n = sendmmsg(sock, address + sent * _HDR, count - sent, 0)
            if n > 0:
                sent += n
                continue
            if ctypes.get_errno() == errno.EINTR:
                continue
            errors += 1  # this one was refused (no route to the peer, ...): skip it
            sent += 1
        st[base + TX] += count - errors
        st[base + TXB] += size
        if errors:
            st[base + SENDE] += errors

    # -- down: tunnel -> TUN --------------------------------------------------------------------
    def _from_tunnel(self, peer: _Peer) -> None:
        ring, st, base = self.ring, self.st, self.base
        lens, lstep, loff, data, slot = ring.lens, ring.lstep, ring.loff, ring.data, ring.slot
        mv, write, recvmmsg, tclass = ring.mv, os.write, self.libc.recvmmsg, ring.tclass
        tun, check, source_allowed, mtu = peer.tun, peer.rpf, peer.source_allowed, peer.mtu
        for _ in range(DRAIN_ROUNDS):
            n = recvmmsg(peer.sock, ring.address, BATCH, MSG_DONTWAIT, None)
            if n <= 0:
                break
            dropped, errors, size = 0, 0, 0
            for k in range(n):
                length = lens[k * lstep + loff]
                at = k * slot
                size += length
                if tclass[k] & 3 and not self._decapsulate_ecn(data, at, length, tclass[k] & 3):
                    continue
                if length < 40 or data[at] >> 4 != 6 or (check and not source_allowed(data, at)):
                    dropped += 1  # protocol 41 carries IPv6: anything else is not let in either
                    continue
                if length > mtu:  # merged by the core NIC's GRO: cut again, or the LMA would drop it
                    st[base + BIG] += 1
                    errors += _write_cut(tun, data, at, length, mtu)
                    continue
                try:
                    write(tun, mv[at : at + length])
                except OSError:
                    errors += 1
            st[base + RX] += n
            st[base + RXB] += size
            if dropped:
                st[base + RPF] += dropped
            if errors:
                st[base + TUNW] += errors
            if n < BATCH:
                break

    def _from_tunnel_merging(self, peer: _Peer) -> None:
        """As ``_from_tunnel``, but TCP segments that continue each other are merged, like the
        kernel's GRO: same addresses, ports, traffic class, hop limit, ack, window and options, the
        next sequence number, flags ACK (PSH allowed on the last), full-sized but the last.  The
        merged packet gets a virtio-net header (GSO TCPV6) and goes to the TUN device with one
        writev(2) of the pieces in the ring (no copy); the kernel cuts it again only where it must.

        The kernel fills in a merged packet's checksum, so a segment damaged on the way would
        arrive looking sound: as the kernel's GRO does, the relay first checks the segments' own
        TCP checksums (``_sums_hold``) and writes a merge that fails the check unmerged, for the
        receiver to drop the damaged segment."""
        ring, st, base = self.ring, self.st, self.base
        lens, lstep, loff, data, slot = ring.lens, ring.lstep, ring.loff, ring.data, ring.slot
        mv, recvmmsg, writev, tclass = ring.mv, self.libc.recvmmsg, os.writev, ring.tclass
        tun, check, source_allowed, mtu = peer.tun, peer.rpf, peer.source_allowed, peer.mtu
        startswith, unpack_u32 = data.startswith, _U32.unpack_from
        errors = first = most = hl = mss = next_seq = last_flags = 0
        k_head = k_ack = k_opt = b""  # what every merged segment's header must repeat
        for _ in range(DRAIN_ROUNDS):
            n = recvmmsg(peer.sock, ring.address, BATCH, MSG_DONTWAIT, None)
            if n <= 0:
                break
            dropped = size = 0
            merge = None  # the merge in progress: its segments, whole, as views of the ring
            for k in range(n):
                length = lens[k * lstep + loff]
                at = k * slot
                size += length
                if tclass[k] & 3 and not self._decapsulate_ecn(data, at, length, tclass[k] & 3):
                    if merge is not None:  # a merge's segments are in consecutive slots
                        errors += self._write_merged(tun, merge, first, hl, mss, last_flags)
                        merge = None
                    continue
                if merge is not None:
                    # fast path: a full-sized segment with the same header but for the sequence
                    # number and checksum (same source: the reverse-path check was done on the first)
                    if (
                        startswith(k_head, at)  # version..ports, including the payload length
                        and unpack_u32(data, at + 44)[0] == next_seq
                        and startswith(k_ack, at + 48)  # ack, data offset, flags (ACK), window
                        and startswith(k_opt, at + 58)  # urgent pointer, options
                    ):
                        merge.append(mv[at : at + length])
                        next_seq = (next_seq + mss) & 0xFFFFFFFF
                        if len(merge) < most:
                            continue
                    elif _continues(data, at, length, k_head, k_ack, k_opt, hl, mss, next_seq):
                        merge.append(mv[at : at + length])  # short or PSH: the last one
                        last_flags = data[at + 53]
                    else:
                        errors += self._write_merged(tun, merge, first, hl, mss, last_flags)
                        merge = None
                    if merge is not None:
                        errors += self._write_merged(tun, merge, first, hl, mss, last_flags)
                        merge = None
                        continue
                if length < 40 or data[at] >> 4 != 6 or (check and not source_allowed(data, at)):
                    dropped += 1
                    continue
                if length > mtu:  # merged by the kernel's GRO on the way in: let the kernel cut it
                    errors += self._write_oversize(tun, at, length, mtu)
                    continue
                if length >= 60 and data[at + 6] == 6 and data[at + 53] == TCP_ACK:  # TCP, no ext. headers
                    hl = 40 + ((data[at + 52] >> 4) << 2)
                    mss = length - hl
                    if mss > 0 and hl >= 60:  # may be the first of a merge (data offset >= 5)
                        first, last_flags = at, TCP_ACK
                        most = (MAX_MERGED - hl) // mss
                        next_seq = (unpack_u32(data, at + 44)[0] + mss) & 0xFFFFFFFF
                        k_head = bytes(mv[at : at + 44])
                        k_ack = bytes(mv[at + 48 : at + 56])
                        k_opt = bytes(mv[at + 58 : at + hl])
                        merge = [mv[at : at + length]]
                        continue
                try:
                    writev(tun, [NO_VNET, mv[at : at + length]])
                except OSError:
                    errors += 1
            if merge is not None:  # the ring is overwritten by the next batch: write now
                errors += self._write_merged(tun, merge, first, hl, mss, last_flags)
            st[base + RX] += n
            st[base + RXB] += size
            if dropped:
                st[base + RPF] += dropped
            if n < BATCH:
                break
        if errors:
            st[base + TUNW] += errors

    def _decapsulate_ecn(self, data: bytearray, at: int, length: int, outer: int) -> bool:
        """RFC 6040 decapsulation for an outer header whose ECN field is ``outer`` (not Not-ECT):
        CE reaches the inner header unless its sender does not do ECN (then the packet is dropped,
        as a congested router would have dropped it: False); ECT(1) replaces ECT(0)."""
        if length < 40 or data[at] >> 4 != 6:
            return True  # not IPv6 inside: the checks after this one deal with it
        inner = data[at + 1] >> 4 & 3
        if outer == CE:
            if inner == NOT_ECT:
                self.st[self.base + ECN_DROP] += 1
                return False
            if inner != CE:
                data[at + 1] |= CE << 4
                self.st[self.base + ECN_CE] += 1
        elif outer == ECT_1 and inner == ECT_0:
            data[at + 1] ^= (ECT_0 ^ ECT_1) << 4
        return True

    def _write_oversize(self, tun: int, at: int, length: int, mtu: int) -> int:
        """A packet bigger than the tunnel MTU: TCP coalesced by the kernel's GRO before the raw
        socket saw it is handed over as GSO TCPV6 cut to the tunnel MTU; anything else as it is."""
        data = self.ring.data
        self.st[self.base + BIG] += 1
        hl = _cuttable_tcp(data, at, length, mtu)
        header = NO_VNET
        if hl:
            tcp_len = length - 40
            _store_pseudo_sum(data, at, tcp_len)
            header = VNET.pack(F_NEEDS_CSUM, GSO_TCPV6, hl, mtu - hl, 40, 16)
        try:
            os.writev(tun, [header, self.ring.mv[at : at + length]])
        except OSError:
            return 1
        return 0

    def _write_merged(self, tun: int, merge: list, at: int, hl: int, mss: int, flags: int) -> int:
        """Write the segments ``merge`` (views of consecutive ring slots, the first one at offset
        ``at``) as one packet if their checksums hold, else one by one; the number of failed
        writes."""
        if len(merge) == 1:
            return _write_each(tun, merge)
        data = self.ring.data
        if not _sums_hold(data, at, len(merge), self.merge_sum(merge, at)):
            self.st[self.base + BADSUM] += 1
            return _write_each(tun, merge)
        tcp_len = sum(map(len, merge)) - 40 - (len(merge) - 1) * hl
        struct.pack_into("!H", data, at + 4, tcp_len)
        data[at + 53] = flags
        _store_pseudo_sum(data, at, tcp_len)
        iov = [VNET.pack(F_NEEDS_CSUM, GSO_TCPV6, hl, mss, 40, 16), merge[0]]
        iov += [segment[hl:] for segment in merge[1:]]
        self.st[self.base + GRO] += 1
        try:
            os.writev(tun, iov)
        except OSError:
            return 1
        return 0


def _vector_helpers():
    """``vector.py`` (numpy): asked for by the agent, which found numpy; None (and a word on
    stderr, which is the agent's) if it cannot be imported after all."""
    try:
        if __package__:
            from . import vector
        else:  # vector imports this module by its package name: the same one, not a second copy
            sys.modules.setdefault("pmipv6.dataplane.relay", sys.modules[__name__])
            from pmipv6.dataplane import vector
    except ImportError as exc:
        print(f"pmipv6 relay: numpy not usable ({exc}): merges checked without it", file=sys.stderr)
        return None
    return vector


def _merge_sum(merge: list, _at: int) -> int:
    """The segments' values as little-endian numbers, summed (for ``_sums_hold``, which needs
    it only modulo 0xFFFF): each read once, in C, but a new big number each (``vector.MergeSums``
    sums the 16-bit words with numpy instead)."""
    return sum(int.from_bytes(segment, "little") for segment in merge)


def _sums_hold(data, at: int, count: int, total: int) -> bool:
    """Do the TCP checksums of ``count`` segments hold, given ``total``, the sum of the segments'
    values as little-endian numbers (IPv6 header included, no extension headers)?

    A number's value modulo 0xFFFF is the one's-complement sum of its 16-bit words (little-endian
    words here: each is its big-endian twin times 256 modulo 0xFFFF, so a zero sum stays zero,
    and an odd length gets its pad octet for free).  A segment's words add up to its TCP check
    sum (pseudo-header and segment, zero modulo 0xFFFF when it holds) plus version/traffic
    class/flow label and next header/hop limit, less the 6 the pseudo-header counts: those are
    the same in every segment of a merge.  One sum over all segments finds any single damaged one
    (the way the checksum itself would); the segments' bytes are read once, in C."""
    fixed = (
        (data[at] << 8 | data[at + 1])
        + (data[at + 2] << 8 | data[at + 3])
        + (data[at + 6] << 8 | data[at + 7])
        - 6
    )
    return (total - 256 * count * fixed) % 0xFFFF == 0


def _write_each(tun: int, packets: list, vnet: bool = True) -> int:
    """Write ``packets`` one by one, unmerged (``vnet``: each behind an empty virtio-net header);
    the number of failed writes."""
    failed = 0
    for packet in packets:
        try:
            os.writev(tun, [NO_VNET, packet] if vnet else [packet])
        except OSError:
            failed += 1
    return failed


def _store_pseudo_sum(data: bytearray, at: int, tcp_len: int) -> None:
    """CHECKSUM_PARTIAL for a GSO TCPV6 packet: the checksum field holds the pseudo-header sum
    (addresses, TCP length, next header) and the kernel adds the rest, per segment if it cuts."""
    struct.pack_into("!H", data, at + 56, _fold(_checksum(data[at + 8 : at + 40]), tcp_len, 6))


def _cuttable_tcp(data, at: int, length: int, mtu: int) -> int:
    """Headers' length (IPv6 + TCP) of a TCP packet that can be cut into segments of at most
    ``mtu`` octets (data beyond the headers, no SYN, RST or URG); 0 for anything else."""
    if length < 60 or data[at + 6] != 6 or data[at + 53] & (TCP_SYN | TCP_RST | TCP_URG):
        return 0
    hl = 40 + ((data[at + 52] >> 4) << 2)
    return hl if 60 <= hl < length and hl < mtu else 0


def _write_cut(tun: int, data: bytearray, at: int, length: int, mtu: int) -> int:
    """Without virtio-net headers: a TCP packet a NIC's GRO merged is cut into segments of at most
    ``mtu`` octets, as the kernel's GSO would (sequence numbers, PSH and FIN on the last, CWR on the
    first, a checksum each), and written one by one; anything else goes on as it is.  Slow, but
    only this fallback mode needs it.  Returns the number of failed writes."""
    hl = _cuttable_tcp(data, at, length, mtu)
    if not hl:
        pieces = [data[at : at + length]]
    else:
        head, mss, seq = bytearray(data[at : at + hl]), mtu - hl, _U32.unpack_from(data, at + 44)[0]
        flags, pseudo = head[53], _checksum(head[8:40])
        pieces = []
        for start in range(at + hl, at + length, mss):
            payload = data[start : min(start + mss, at + length)]
            last = start + mss >= at + length
            head[53] = flags if last else flags & ~(TCP_PSH | TCP_FIN)
            if start > at + hl:
                head[53] &= ~TCP_CWR
            tcp_len = hl - 40 + len(payload)
            struct.pack_into("!H", head, 4, tcp_len)
            _U32.pack_into(head, 44, seq)
            head[56:58] = b"\0\0"
            odd = len(payload) & 1
            s = _fold(pseudo, tcp_len, 6, _checksum(head[40:]), _checksum(payload + b"\0" * odd))
            struct.pack_into("!H", head, 56, (~s & 0xFFFF) or 0xFFFF)
            pieces.append(bytes(head) + payload)
            seq = (seq + len(payload)) & 0xFFFFFFFF
    return _write_each(tun, pieces, vnet=False)


def _continues(data, at: int, length: int, head: bytes, ack: bytes, opt: bytes, hl: int, mss: int, seq: int):
    """Slow path of the merge: may this segment (shorter, or with PSH) end the merge?"""
    chunk = length - hl
    return (
        0 < chunk <= mss
        and data[at + 53] in (TCP_ACK, TCP_ACK | TCP_PSH)
        and data.startswith(head[:4], at)
        and data.startswith(head[6:], at + 6)
        and _U32.unpack_from(data, at + 44)[0] == seq
        and data.startswith(ack[:5], at + 48)
        and data.startswith(ack[6:], at + 54)
        and data.startswith(opt, at + 58)
    )


USAGE = (
    "usage: relay.py --direction up|down --ctl FD --stats FD --row N [--slot N] [--vnet 0|1] [--vector 0|1]"
)


def main(argv: list[str] | None = None) -> int:
    args = dict(zip(*[iter(argv if argv is not None else sys.argv[1:])] * 2, strict=False))
    if not {"--direction", "--ctl", "--stats", "--row"} <= args.keys():
        print(USAGE, file=sys.stderr)  # started by hand: the agent always passes all of them
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the agent stops us, not the terminal
    relay = Relay(
        args["--direction"],
        int(args["--ctl"]),
        int(args["--stats"]),
        int(args["--row"]),
        int(args.get("--slot", "2048")),
        args.get("--vnet") == "1",
        args.get("--vector") == "1",
    )
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""numpy for the userspace tunnel relays: cutting TCP super-packets (``up``, TSO) and checking
merged segments' checksums (``down``), one vector operation where Python would loop per segment.

Optional: a relay uses this module only when the agent finds numpy (``userspace.vector_helpers``).
Without it the relays do the same work segment by segment, and the ``up`` relay leaves TSO off,
since in pure Python a segment's checksum (about 3.5 µs) costs more than the read(2) of a
segment the kernel cut (about 2.5 µs) that TSO saves; here it costs about 0.15 µs.

``up``: with TSO on its TUN device, the kernel hands the relay a whole TCP super-packet (up to
64 KiB behind a virtio-net header) where it would otherwise cut it and hand over each segment
with a read of its own.  The relay must then do what GSO does, since an RFC 2473 tunnel carries
plain packets and the peer may be a kernel ip6tnl: give every segment its own IPv6 and TCP header
(payload length, sequence number, flags) and its own TCP checksum.  ``Segmenter`` does each step
for all segments at once: headers copied out of the first in one broadcast, sequence numbers and
lengths as vectors, payload checksums summed row by row.  The payload is not copied: a segment
goes out as two iovecs, its header (a row of ``Segmenter.headers``) and its payload (in the read
buffer the kernel filled).
"""

from __future__ import annotations

import numpy as np

from .relay import CONTROL, TCP_CWR, TCP_FIN, TCP_PSH, MsgHdr, Ring, _address

HEADER_ROW = 128  # IPv6 (40) + TCP with the most options (60), rounded up


def _fold(sums: np.ndarray) -> np.ndarray:
    """16-bit one's-complement sums of (up to 48-bit) totals."""
    for _ in range(3):
        sums = (sums & 0xFFFF) + (sums >> 16)
    return sums


class Segmenter:
    """Fills the messages of ``ring`` (a ``relay.Ring`` with two iovecs per message and no
    buffers of its own) with packets read from a TUN device: whole ones (``single``) or the
    segments of super-packets (``cut``); each message's outer traffic class carries the inner
    ECN field (RFC 6040, normal mode)."""

    def __init__(self, ring: Ring) -> None:
        count = ring.count
        self.headers = bytearray(HEADER_ROW * count)
        self.rows = np.frombuffer(self.headers, dtype=np.uint8).reshape(count, HEADER_ROW)
        self.header_bases = _address(self.headers) + HEADER_ROW * np.arange(count, dtype=np.uint64)
        self.iov = np.frombuffer(ring.iov_buf, dtype=np.uint64).reshape(count, 4)  # base, len, base, len
        words = np.frombuffer(ring.hdr_buf, dtype=np.uint64).reshape(count, -1)
        self.control_lens = words[:, MsgHdr.msg_controllen.offset // 8]
        self.tclass = ring.tclass

    def _mark(self, k: int, m: int, ecn: int) -> None:
        """Messages k .. k+m-1: outer ECN ``ecn`` (a control message only where it is not 0)."""
        if ecn:
            for i in range(k, k + m):
                self.tclass[i] = ecn
            self.control_lens[k : k + m] = CONTROL
        else:
            self.control_lens[k : k + m] = 0

    def single(self, k: int, address: int, length: int, ecn: int) -> None:
        """Message ``k``: the packet of ``length`` octets at ``address``, as it is."""
        self.iov[k] = (address, length, 0, 0)
        self._mark(k, 1, ecn)

    def cut(self, k: int, buf, address: int, at: int, length: int, hl: int, mss: int, first: int, m: int):
        """Messages k .. k+m-1: segments ``first`` .. ``first + m - 1`` of the TCP super-packet of
        ``length`` octets at offset ``at`` of ``buf`` (whose first octet is at ``address``):
        ``hl`` octets of IPv6 and TCP header (no extension headers), ``mss`` octets of payload a
        segment, the last one shorter.  As GSO does: a sequence number each, PSH and FIN only on
        the last segment, CWR only on the first, a checksum each.  Returns the octets they carry."""
        payload = length - hl
        total = -(-payload // mss)
        end = first + m
        last = payload - (total - 1) * mss if end == total else mss  # this range's last segment
        index = np.arange(first, end, dtype=np.uint64)
        rows = self.rows[k : k + m]
        template = np.frombuffer(buf, dtype=np.uint8, count=hl, offset=at)
        rows[:, :hl] = template
        tcp_lens = np.full(m, hl - 40 + mss, dtype=np.uint64)
        tcp_lens[-1] = hl - 40 + last
        rows[:, 4] = tcp_lens >> 8
        rows[:, 5] = tcp_lens & 0xFF
        seq = int.from_bytes(buf[at + 44 : at + 48], "big")
        rows[:, 44:48] = ((seq + mss * index) & 0xFFFFFFFF).astype(">u4").view(np.uint8).reshape(m, 4)
        flags = int(template[53])
        rows[:, 53] = flags & ~(TCP_PSH | TCP_FIN | TCP_CWR) & 0xFF
        if first == 0:
            rows[0, 53] |= flags & TCP_CWR
        if end == total:
            rows[-1, 53] |= flags & (TCP_PSH | TCP_FIN)
        rows[:, 56:58] = 0
        # pseudo-header (addresses, TCP length, next header), TCP header, payload
        sums = rows[:, 8:hl].view(">u2").sum(axis=1, dtype=np.uint64) + tcp_lens + 6
        sums += _payload_sums(buf, at + hl + first * mss, mss, m, last)
        check = ~_fold(sums).astype(np.uint16)
        rows[:, 56] = check >> 8
        rows[:, 57] = check & 0xFF
        iov = self.iov[k : k + m]
        iov[:, 0] = self.header_bases[k : k + m]
        iov[:, 1] = hl
        iov[:, 2] = address + at + hl + mss * index
        iov[:, 3] = mss
        iov[-1, 3] = last
        self._mark(k, m, buf[at + 1] >> 4 & 3)
        return m * hl + (m - 1) * mss + last


def _payload_sums(buf, start: int, mss: int, m: int, last: int) -> np.ndarray:
    """Big-endian one's-complement sums (not folded) of ``m`` payloads from ``start``, ``mss``
    octets each but the last, ``last``."""
    sums = np.empty(m, dtype=np.uint64)
    full = m - 1  # the last one on its own: it may be short
    if full and mss % 2 == 0:
        words = np.frombuffer(buf, dtype="<u2", count=full * mss // 2, offset=start)
        little = _fold(words.reshape(full, mss // 2).sum(axis=1, dtype=np.uint64))
        sums[:full] = ((little & 0xFF) << 8) | (little >> 8)  # byte order independence (RFC 1071)
    else:  # an odd mss moves the words' boundaries from one segment to the next
        for i in range(full):
            sums[i] = _sum_be(buf, start + i * mss, mss)
    sums[full] = _sum_be(buf, start + full * mss, last)
    return sums


def _sum_be(buf, start: int, size: int) -> int:
    """One payload's sum, the way ``relay._checksum`` does it (a pad octet if odd)."""
    data = bytes(buf[start : start + size]) + (b"\0" if size & 1 else b"")
    return int.from_bytes(data, "big") % 0xFFFF


class MergeSums:
    """``down``, merging: the little-endian sum of a merge's segments (for ``relay._sums_hold``)
    with a few numpy reductions over the ring's slots, where pure Python turns every segment into
    a big number of its own (about 2 µs each).  The segments sit in consecutive slots, all as
    long as the first but the last."""

    def __init__(self, ring: Ring) -> None:
        self.slot = ring.slot
        self.rows = np.frombuffer(ring.data, dtype=np.uint8).reshape(ring.count, ring.slot)
        self.words = self.rows[:, : ring.slot - ring.slot % 2].view("<u2")

    def __call__(self, merge: list, at: int) -> int:
        k, n = at // self.slot, len(merge)
        size, last = len(merge[0]), len(merge[-1])
        end = k + n - 1  # the last segment's slot
        total = int(self.words[k:end, : size // 2].sum(dtype=np.uint64))
        total += int(self.words[end, : last // 2].sum(dtype=np.uint64))
        if size & 1:  # an odd octet counts as the low octet of a word
            total += int(self.rows[k:end, size - 1].sum(dtype=np.uint64))
        if last & 1:
            total += int(self.rows[end, last - 1])
        return total

"""Batched datagram I/O for raw IPv6 sockets: recvmmsg(2)/sendmmsg(2) through ctypes.

Python's socket module has no recvmmsg/sendmmsg; one system call per packet costs the agent a
large share of its time under load.  This module keeps one preallocated set of ``mmsghdr``
structures per direction and moves up to ``BATCH`` packets per call.  Addresses are handled as
raw 16-octet IPv6 addresses (no text conversion).  ``available()`` is False where libc lacks the
calls (non-glibc); the transport then falls back to recvfrom/sendto.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import struct

from .mmsg import MSG_DONTWAIT, IoVec, MMsgHdr, MsgHdr, load_libc

BATCH = 64
MAX_PACKET = 2048
SOCKADDR_IN6 = 28  # family, port, flowinfo, address (at 8), scope id
_HDR = ctypes.sizeof(MMsgHdr)
_LEN_AT = MMsgHdr.msg_len.offset
_NAMELEN_AT = MsgHdr.msg_namelen.offset
_IOVLEN_AT = IoVec.iov_len.offset
_U32 = struct.Struct("I")
_SIZE = struct.Struct("N")


_LIBC = load_libc()


def available() -> bool:
    return _LIBC is not None


class _Ring:
    """BATCH message headers, each with its own sockaddr_in6 and one buffer of MAX_PACKET."""

    def __init__(self) -> None:
        self.hdr_buf = bytearray(_HDR * BATCH)
        self.name_buf = bytearray(SOCKADDR_IN6 * BATCH)
        self.iov_buf = bytearray(ctypes.sizeof(IoVec) * BATCH)
        self.data_buf = bytearray(MAX_PACKET * BATCH)
        hdrs = (MMsgHdr * BATCH).from_buffer(self.hdr_buf)
        iovs = (IoVec * BATCH).from_buffer(self.iov_buf)
        names = ctypes.addressof((ctypes.c_char * len(self.name_buf)).from_buffer(self.name_buf))
        data = ctypes.addressof((ctypes.c_char * len(self.data_buf)).from_buffer(self.data_buf))
        for k in range(BATCH):
            iovs[k].iov_base = data + k * MAX_PACKET
            iovs[k].iov_len = MAX_PACKET
            h = hdrs[k].msg_hdr
            h.msg_name = names + k * SOCKADDR_IN6
            h.msg_namelen = SOCKADDR_IN6
            h.msg_iov = ctypes.addressof(iovs[k])
            h.msg_iovlen = 1
        self.address = ctypes.addressof(hdrs)
        self._keep = (hdrs, iovs)  # the ctypes views must outlive the calls
        self.hdr = memoryview(self.hdr_buf)
        self.names = memoryview(self.name_buf)
        self.iov = memoryview(self.iov_buf)
        self.data = memoryview(self.data_buf)
        self.pristine = bytes(self.hdr_buf)  # restores msg_namelen after a receive


class BatchReceiver:
    def __init__(self, sock: socket.socket):
        self.fd = sock.fileno()
        self.ring = _Ring()

    def receive(self) -> list[tuple[bytes, bytes]]:
        """Up to BATCH (data, source address) pairs; empty when nothing is waiting."""
        ring = self.ring
        n = _LIBC.recvmmsg(self.fd, ring.address, BATCH, MSG_DONTWAIT, None)
        if n <= 0:
            err = ctypes.get_errno()
            if n < 0 and err not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
                raise OSError(err, errno.errorcode.get(err, "recvmmsg failed"))
            return []
        hdr, names, data = ring.hdr, ring.names, ring.data
        out = []
        for k in range(n):
            length = _U32.unpack_from(hdr, k * _HDR + _LEN_AT)[0]
            start = k * MAX_PACKET
            at = k * SOCKADDR_IN6 + 8
            out.append((bytes(data[start : start + min(length, MAX_PACKET)]), bytes(names[at : at + 16])))
        ring.hdr[:] = ring.pristine
        return out


class BatchSender:
    """Queue datagrams with ``add`` and send them all with ``flush`` (one call per BATCH)."""

    def __init__(self, sock: socket.socket):
        self.fd = sock.fileno()
        self.ring = _Ring()
        self.count = 0
        names = self.ring.names
        for k in range(BATCH):  # AF_INET6, port 0, flow 0, scope 0: only the address changes
            struct.pack_into("=H", names, k * SOCKADDR_IN6, socket.AF_INET6)

    def add(self, dest: bytes, data: bytes) -> bool:
        """Queue one datagram; False when the batch is full (flush first) or it is too big."""
        k = self.count
        if k >= BATCH or len(data) > MAX_PACKET:
            return False
        ring = self.ring
        at = k * SOCKADDR_IN6 + 8
        ring.names[at : at + 16] = dest
        start = k * MAX_PACKET
        ring.data[start : start + len(data)] = data
        _SIZE.pack_into(ring.iov, k * ctypes.sizeof(IoVec) + _IOVLEN_AT, len(data))
        self.count = k + 1
        return True

    def flush(self) -> int:
        """Send everything queued; returns how many datagrams the kernel refused (dropped)."""
        total, sent, dropped = self.count, 0, 0
        self.count = 0
        while sent < total:
            n = _LIBC.sendmmsg(self.fd, self.ring.address + sent * _HDR, total - sent, MSG_DONTWAIT)
            if n > 0:
                sent += n
                continue
            err = ctypes.get_errno()
            if err == errno.EINTR:
                continue
            if n == 0 or err in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS):
                return dropped + total - sent  # socket buffer full: the rest is lost, as with sendto
            dropped += 1  # this datagram was refused (e.g. unreachable peer); go on with the next
            sent += 1
        return dropped

"""Raw IPv6 Mobility Header socket (IPPROTO_MH = 135) bound to the agent's address.

The kernel fills and verifies the MH checksum on raw protocol-135 sockets and returns data
starting at the Mobility Header, so this layer only moves bytes.  Reads are drained in batches
per readiness event to amortise event-loop overhead under load.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from collections.abc import Callable

IPPROTO_MH = 135
MAX_MH = 2048  # Header Len is one octet of 8-octet units
BATCH = 256
log = logging.getLogger("pmipv6.transport")


class MobilityHeaderSocket:
    def __init__(self, address: str, on_packet: Callable[[bytes, bytes], None], stats: Counter):
        self.address = address
        self.on_packet = on_packet
        self.stats = stats
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_MH)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock.bind((address, 0))
        self.sock.setblocking(False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._addr_cache: dict[str, bytes] = {}
        self._text_cache: dict[bytes, tuple] = {}
        self.after_batch: Callable[[], None] | None = None  # e.g. re-arm timers once per batch

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def _readable(self) -> None:
        recvfrom = self.sock.recvfrom
        cache = self._addr_cache
        on_packet = self.on_packet
        try:
            self._drain(recvfrom, cache, on_packet)
        finally:
            if self.after_batch is not None:
                self.after_batch()

    def _drain(self, recvfrom, cache, on_packet) -> None:
        for _ in range(BATCH):
            try:
                data, addr = recvfrom(MAX_MH + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP-reported errors surfacing on the socket
                self.stats[("malformed", "socket_error")] += 1
                log.debug("receive error: %s", exc)
                return
            text = addr[0]
            src = cache.get(text)
            if src is None:
                src = socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0])
                if len(cache) < 65536:
                    cache[text] = src
            try:
                on_packet(data, src)
            except Exception:  # one poisonous packet must never take the agent down
                self.stats[("malformed", "handler_error")] += 1
                log.exception("packet from %s crashed its handler; dropped", text)

    def send(self, dest: bytes, data: bytes) -> None:
        target = self._text_cache.get(dest)
        if target is None:
            target = (socket.inet_ntop(socket.AF_INET6, dest), 0)
            if len(self._text_cache) < 65536:
                self._text_cache[dest] = target
        try:
            self.sock.sendto(data, target)
        except OSError as exc:  # full buffer or unreachable peer: count, never crash
            self.stats[("send_failed",)] += 1
            log.debug("send to %s failed: %s", target[0], exc)

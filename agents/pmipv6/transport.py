"""Raw IPv6 Mobility Header socket (IPPROTO_MH = 135) bound to the agent's address.

The kernel fills and verifies the MH checksum on raw protocol-135 sockets and returns data
starting at the Mobility Header, so this layer only moves bytes.  Under load it works in
batches: up to ``MAX_DRAIN`` packets per readiness event, received and sent with
recvmmsg/sendmmsg where libc has them (``batchio``), else one recvfrom/sendto per packet.
Replies produced while a batch is handled leave together when it ends; a send outside a batch
(a timer, a control command) is flushed on the next loop iteration.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from collections.abc import Callable

from . import batchio

IPPROTO_MH = 135
MAX_MH = 2048  # Header Len is one octet of 8-octet units
MAX_DRAIN = 256  # packets per readiness event, so timers and the control socket still get turns
log = logging.getLogger("pmipv6.transport")


class MobilityHeaderSocket:
    def __init__(
        self,
        address: str,
        on_packet: Callable[[bytes, bytes], None],
        stats: Counter,
        batched: bool | None = None,
    ):
        self.address = address
        self.on_packet = on_packet
        self.stats = stats
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_MH)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock.bind((address, 0))
        self.sock.setblocking(False)
        self.batched = batchio.available() if batched is None else batched
        self._receiver = batchio.BatchReceiver(self.sock) if self.batched else None
        self._sender = batchio.BatchSender(self.sock) if self.batched else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_batch = False
        self._flush_pending = False
        self._text_cache: dict[bytes, tuple] = {}
        self.after_batch: Callable[[], None] | None = None  # e.g. re-arm timers once per batch

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        if self._sender is not None:
            self._flush()
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    # --- receive -------------------------------------------------------------------------------
    def _readable(self) -> None:
        self._in_batch = True
        try:
            if self._receiver is not None:
                self._drain_batched()
            else:
                self._drain_single()
        finally:
            self._in_batch = False
            if self._sender is not None:
                self._flush()
            if self.after_batch is not None:
                self.after_batch()

    def _drain_batched(self) -> None:
        receive = self._receiver.receive
        handled = 0
        while handled < MAX_DRAIN:
            try:
                packets = receive()
            except OSError as exc:  # e.g. an ICMP-reported error surfacing on the socket
                self.stats[("malformed", "socket_error")] += 1
                log.debug("receive error: %s", exc)
                return
            if not packets:
                return
            for data, src in packets:
                self._deliver(data, src)
            handled += len(packets)
            if len(packets) < batchio.BATCH:
                return

    def _drain_single(self) -> None:
        recvfrom = self.sock.recvfrom
        for _ in range(MAX_DRAIN):
            try:
                data, addr = recvfrom(MAX_MH + 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.stats[("malformed", "socket_error")] += 1
                log.debug("receive error: %s", exc)
                return
            self._deliver(data, socket.inet_pton(socket.AF_INET6, addr[0].split("%", 1)[0]))

    def _deliver(self, data: bytes, src: bytes) -> None:
        try:
            self.on_packet(data, src)
        except Exception:  # one poisonous packet must never take the agent down
            self.stats[("malformed", "handler_error")] += 1
            log.exception(
                "packet from %s crashed its handler; dropped", socket.inet_ntop(socket.AF_INET6, src)
            )

    # --- send ----------------------------------------------------------------------------------
    def send(self, dest: bytes, data: bytes) -> None:
        sender = self._sender
        if sender is not None:
            if not sender.add(dest, data):
                self._flush()
                if not sender.add(dest, data):  # larger than any Mobility Header: send alone
                    self._send_single(dest, data)
                    return
            if self._loop is None:
                self._flush()
            elif not self._in_batch and not self._flush_pending:
                self._flush_pending = True
                self._loop.call_soon(self._flush)
            return
        self._send_single(dest, data)

    def _flush(self) -> None:
        self._flush_pending = False
        dropped = self._sender.flush()
        if dropped:
            self.stats[("send_failed",)] += dropped

    def _send_single(self, dest: bytes, data: bytes) -> None:
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

"""Raw IPv6 Mobility Header socket (IPPROTO_MH = 135) bound to the agent's address.

The kernel fills and verifies the MH checksum on raw protocol-135 sockets and returns data
starting at the Mobility Header, so this layer only moves bytes.  Under load it works in
batches: up to ``MAX_DRAIN`` packets per readiness event, received and sent with
recvmmsg/sendmmsg where libc has them (``batchio``), else one recvfrom/sendto per packet.
Replies produced while a batch is handled leave together when it ends; a send outside a batch
(a timer, a control command) is flushed on the next loop iteration.

Write-ahead gate (state persistence): when ``before_flush`` is set, every message is queued,
and before queued messages go out ``before_flush()`` is asked: it commits the state changes made
so far (or schedules them into the next group commit) and returns None when the messages may
leave now, or a ticket: they are then held, in order, until ``release(n)`` with ``n >= ticket``
says the commit covering them is durable.  It is asked after every chunk of a receive batch (so
the disk flush for one chunk overlaps the processing of the next, and the drain goes on until
the queue is empty), at the end of each batch (also one that sent nothing: its changes are
committed too), before the deferred flush of sends outside a batch, and on the
one-packet-per-call path at the end of each batch.  No reply leaves before the state change it
acknowledges is durable.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter, deque
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
        self.before_flush: Callable[[], int | None] | None = None  # the write-ahead gate (docstring)
        self._out: list[tuple[bytes, bytes]] = []  # queued while a gate is set
        self._held: deque[tuple[int | None, list[tuple[bytes, bytes]]]] = deque()  # (ticket, messages)
        self.after_batch: Callable[[], None] | None = None  # e.g. re-arm timers once per batch

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        """Send what is queued or held (the caller has made the state durable first) and close."""
        if self._sender is not None or self.before_flush is not None:
            self._flush()
        self.release(None)
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
            if self._sender is not None or self.before_flush is not None:
                self._flush()  # with a gate: also when nothing was sent, for the batch's changes
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
            if self.before_flush is not None:
                # write-ahead gate: each chunk is committed (or joins the next group commit) as it
                # is done, and replies whose commit became durable meanwhile leave now, so the
                # disk flush of one chunk overlaps the processing of the next; the drain goes on
                # until the queue is empty
                self._flush()
            elif len(packets) < batchio.BATCH:
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
        if self.before_flush is not None:
            self._out.append((dest, data))
            self._schedule_flush()
            return
        sender = self._sender
        if sender is not None:
            if not sender.add(dest, data):
                self._flush()
                if not sender.add(dest, data):  # larger than any Mobility Header: send alone
                    self._send_single(dest, data)
                    return
            self._schedule_flush()
            return
        self._send_single(dest, data)

    def _schedule_flush(self) -> None:
        if self._loop is None:
            self._flush()
        elif not self._in_batch and not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        gate = self.before_flush
        if gate is None:
            self._sender_flush()
            return
        try:
            ticket = gate()
        except Exception:  # a failing gate must not silence the agent; it reports its own errors
            log.exception("before_flush failed; sending anyway")
            ticket = None
        out = self._out
        if not out:
            return
        self._out = []
        if ticket is None:
            if self._held:  # everything recorded so far is durable: older held messages go first
                self.release(None)
            self._transmit(out)
        else:
            self._held.append((ticket, out))

    def release(self, done: int | None) -> None:
        """The commit with ticket ``done`` is durable: send what waited for it (None: everything)."""
        held = self._held
        ready: list[tuple[bytes, bytes]] = []
        while held and (done is None or held[0][0] is None or held[0][0] <= done):
            ready.extend(held.popleft()[1])
        if ready:
            self._transmit(ready)

    def held(self) -> int:
        return sum(len(messages) for _, messages in self._held)

    def _transmit(self, messages: list[tuple[bytes, bytes]]) -> None:
        sender = self._sender
        if sender is None:
            for dest, data in messages:
                self._send_single(dest, data)
            return
        add = sender.add
        for dest, data in messages:
            if not add(dest, data):
                self._sender_flush()
                if not add(dest, data):
                    self._send_single(dest, data)
        self._sender_flush()

    def _sender_flush(self) -> None:
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

"""NETCONF message framing (RFC 6242): ``]]>]]>`` end-of-message and chunked framing."""

from __future__ import annotations

import re

from .errors import RpcError

EOM = b"]]>]]>"
MAX_MESSAGE = 16 * 1024 * 1024  # a runaway client must not exhaust memory
_CHUNK = re.compile(rb"\n#([1-9][0-9]{0,9})\n")


class Reader:
    """Accumulates received bytes and cuts them into messages; ``chunked`` selects base:1.1."""

    def __init__(self):
        self.buffer = b""
        self.chunked = False
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_MESSAGE:
            raise RpcError("too-big", "message too big", error_type="transport")

    def next_message(self) -> bytes | None:
        return self._next_chunked() if self.chunked else self._next_eom()

    def _next_eom(self) -> bytes | None:
        end = self.buffer.find(EOM)
        if end < 0:
            return None
        message, self.buffer = self.buffer[:end], self.buffer[end + len(EOM) :]
        return message.strip() or self._next_eom()

    def _next_chunked(self) -> bytes | None:
        while True:
            if self.buffer.startswith(b"\n##\n"):
                self.buffer = self.buffer[4:]
                message, self._parts = b"".join(self._parts), []
                return message
            header = _CHUNK.match(self.buffer)
            if header is None:
                if len(self.buffer) >= 14 and not self.buffer.startswith(b"\n#"):
                    raise RpcError("malformed-message", "bad chunk header", error_type="rpc")
                return None
            size = int(header.group(1))
            start = header.end()
            if len(self.buffer) < start + size:
                return None
            self._parts.append(self.buffer[start : start + size])
            self.buffer = self.buffer[start + size :]

    def frame(self, message: bytes) -> bytes:
        if self.chunked:
            return b"\n#%d\n%s\n##\n" % (len(message), message)
        return message + b"\n" + EOM

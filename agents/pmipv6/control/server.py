"""Local control API: a Unix stream socket speaking one JSON object per line.

Request ``{"command": "bindings", ...args}``; reply ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "message"}``.  The socket is created mode 0600 (root operates it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("pmipv6.control")

MAX_REQUEST = 64 * 1024


class CommandError(Exception):
    """A request the agent understood but refuses (bad argument, wrong role, unknown MN)."""


Handler = Callable[[dict], object]


class ControlServer:
    def __init__(self, path: str, handlers: dict[str, Handler]):
        self.path = path
        self.handlers = handlers
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        sock_path = Path(self.path)
        sock_path.parent.mkdir(parents=True, exist_ok=True)
        if sock_path.is_socket():
            if _answers(self.path):
                raise OSError(f"control socket {self.path} is in use by a running agent")
            sock_path.unlink()  # a stale socket left by an agent that died
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=self.path, limit=MAX_REQUEST)
        finally:
            os.umask(old_umask)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    writer.write(_reply_error("request too large"))
                    break
                if not line:
                    break
                writer.write(self.dispatch(line))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def dispatch(self, line: bytes) -> bytes:
        try:
            request = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            return _reply_error("request is not valid JSON")
        if not isinstance(request, dict) or not isinstance(request.get("command"), str):
            return _reply_error('request must be an object with a "command" string')
        handler = self.handlers.get(request["command"])
        if handler is None:
            return _reply_error(
                f"unknown command {request['command']!r}; known: {', '.join(sorted(self.handlers))}"
            )
        try:
            result = handler(request)
        except CommandError as exc:
            return _reply_error(str(exc))
        except Exception:  # never let one bad request take the agent down
            log.exception("control command %s failed", request["command"])
            return _reply_error(f"internal error in {request['command']}; see the agent log")
        return (json.dumps({"ok": True, "result": result}, default=str) + "\n").encode()


def _answers(path: str) -> bool:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(path)
        except OSError:
            return False
    return True


def _reply_error(message: str) -> bytes:
    return (json.dumps({"ok": False, "error": message}) + "\n").encode()


def request(path: str, command: str, timeout: float = 5.0, **args) -> object:
    """Blocking client call (used by pmipv6ctl and tests). Raises CommandError or OSError."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((json.dumps({"command": command, **args}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    reply = json.loads(buf)
    if not reply.get("ok"):
        raise CommandError(reply.get("error", "unknown error"))
    return reply["result"]

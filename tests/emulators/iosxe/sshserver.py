"""A small threaded SSH server (paramiko) that hands each channel to a handler.

Shared by the NETCONF server (subsystem ``netconf``) and the CLI (``shell`` with a pty).
Handlers are called as ``handler(request, channel)`` in a thread of their own, where ``request`` is a
ChannelRequest (kind "subsystem" / "shell" / "exec", name, pty term/size, username). The handler owns
the channel and should close it when done.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
from dataclasses import dataclass

import paramiko

log = logging.getLogger(__name__)
_HOST_KEY: paramiko.PKey | None = None
_HOST_KEY_LOCK = threading.Lock()


def default_host_key() -> paramiko.PKey:
    """One RSA host key per process (generation takes a fraction of a second)."""
    global _HOST_KEY
    with _HOST_KEY_LOCK:
        if _HOST_KEY is None:
            _HOST_KEY = paramiko.RSAKey.generate(2048)
        return _HOST_KEY


@dataclass
class ChannelRequest:
    kind: str  # subsystem | shell | exec
    name: str = ""  # subsystem name or exec command
    username: str = ""
    term: str = "vt100"
    width: int = 80
    height: int = 24
    peer: tuple = ()


class _Interface(paramiko.ServerInterface):
    """Authentication and channel requests of one connection."""

    def __init__(self, server: SSHServer, peer):
        self.server = server
        self.peer = peer
        self.username = ""
        self.pty: dict[int, tuple[str, int, int]] = {}
        self.requests: queue.Queue = queue.Queue()

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        if username == self.server.username and password == self.server.password:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        if username == self.server.username and any(
            key.get_base64() == k.get_base64() for k in self.server.authorized_keys
        ):
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def _request(self, channel, kind, name=""):
        term, width, height = self.pty.get(channel.get_id(), ("vt100", 80, 24))
        req = ChannelRequest(kind, name, self.username, term, width, height, self.peer)
        self.requests.put((channel, req))
        return True

    def check_channel_subsystem_request(self, channel, name):
        return name in self.server.subsystems and self._request(channel, "subsystem", name)

    def check_channel_shell_request(self, channel):
        return self.server.shell and self._request(channel, "shell")

    def check_channel_exec_request(self, channel, command):
        return self.server.exec_ and self._request(channel, "exec", command.decode(errors="replace"))

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        self.pty[channel.get_id()] = (
            term.decode(errors="replace") if isinstance(term, bytes) else term,
            width,
            height,
        )
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight):
        return True


class SSHServer:
    """Listen on (address, port); port 0 picks a free one (read ``.port`` after ``start()``).

    ``subsystems``: subsystem names accepted (e.g. {"netconf"}); ``shell`` / ``exec_``: accept those
    requests. ``authorized_keys``: paramiko public keys allowed for ``username``."""

    def __init__(
        self,
        handler,
        address: str = "127.0.0.1",
        port: int = 0,
        username: str = "admin",
        password: str = "admin",
        authorized_keys=(),
        subsystems=(),
        shell: bool = False,
        exec_: bool = False,
        host_key: paramiko.PKey | None = None,
        name: str = "ssh",
    ):
        self.handler = handler
        self.address = address
        self.port = port
        self.username = username
        self.password = password
        self.authorized_keys = list(authorized_keys)
        self.subsystems = set(subsystems)
        self.shell = shell
        self.exec_ = exec_
        self.host_key = host_key or default_host_key()
        self.name = name
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._transports: list[paramiko.Transport] = []
        self._mutex = threading.Lock()

    def start(self) -> SSHServer:
        info = socket.getaddrinfo(self.address, self.port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
        sock.listen(16)
        sock.settimeout(0.2)  # lets the accept loop notice stop()
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._spawn(self._accept_loop, f"{self.name}-accept")
        return self

    def _spawn(self, target, name, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._mutex:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.settimeout(None)
            self._spawn(self._serve_connection, f"{self.name}-conn", conn, peer)

    def _serve_connection(self, conn, peer) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.host_key)
        with self._mutex:
            self._transports.append(transport)
        iface = _Interface(self, peer)
        try:
            transport.start_server(server=iface)
            opened = []  # paramiko keeps channels by weak reference: hold them until their request
            while transport.is_active() and not self._stopping.is_set():
                channel = transport.accept(timeout=0.2)
                if channel is not None:
                    opened.append(channel)
                while not iface.requests.empty():
                    channel, request = iface.requests.get()
                    opened = [c for c in opened if c is not channel and not c.closed]
                    self._spawn(self._run_handler, f"{self.name}-{request.kind}", channel, request)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("ssh connection from %s ended: %s", peer, exc)
        finally:
            if self._stopping.is_set():
                transport.close()
            with self._mutex:
                if transport in self._transports and not transport.is_active():
                    self._transports.remove(transport)

    def _run_handler(self, channel, request) -> None:
        try:
            self.handler(request, channel)
        except Exception:  # one broken session must not take the server down
            log.exception("%s handler failed", self.name)
        finally:
            # the client may be gone already (its transport closed under us): nothing left to close
            with contextlib.suppress(EOFError, OSError, paramiko.SSHException):
                channel.close()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()
        with self._mutex:
            transports, threads = list(self._transports), list(self._threads)
        for transport in transports:
            transport.close()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

"""SSH server for the CLI (paramiko): password login, pty + shell channel, one Shell per session."""

from __future__ import annotations

import socket
import threading

import paramiko

from .shell import Shell

ACCEPT_POLL = 0.2  # seconds: how often the accept loop looks at the stop flag


class _Auth(paramiko.ServerInterface):
    def __init__(self, username: str, password: str):
        self.username, self.password = username, password
        self.shell_requested = threading.Event()

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        ok = username == self.username and password == self.password
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        return True

    def check_channel_window_change_request(self, channel, width, height, pixelwidth, pixelheight):
        return True

    def check_channel_shell_request(self, channel):
        self.shell_requested.set()
        return True


class CliServer:
    """Handle returned by start_cli_server(): `.port`, `.stop()`."""

    def __init__(self, device, address, port, username, password, enable_password):
        self.device = device
        self.credentials = (username, password)
        self.enable_password = enable_password
        self.host_key = paramiko.ECDSAKey.generate()  # fast; a fresh key per server is fine for tests
        family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0][0]
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(16)
        self.sock.settimeout(ACCEPT_POLL)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, name=f"iosxe-cli-{self.port}", daemon=True)
        self._thread.start()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        transport = paramiko.Transport(conn)
        with self._lock:
            if self._stop.is_set():
                conn.close()
                return
            self._transports.append(transport)
        try:
            transport.add_server_key(self.host_key)
            auth = _Auth(*self.credentials)
            transport.start_server(server=auth)
            channel = transport.accept(timeout=10)
            if channel is None or not auth.shell_requested.wait(10):
                return
            self._serve(channel)
        except (paramiko.SSHException, EOFError, OSError):
            pass  # the client went away; nothing to clean up beyond the transport
        finally:
            transport.close()
            with self._lock:
                if transport in self._transports:
                    self._transports.remove(transport)

    def _serve(self, channel):
        shell = Shell(self.device, self.enable_password)
        channel.sendall(b"\r\n" + shell.prompt().encode())
        while not self._stop.is_set() and not shell.closed:
            data = channel.recv(4096)
            if not data:
                break
            out = shell.feed(data.decode("utf-8", errors="replace"))
            if out:
                channel.sendall(out.encode())
        channel.close()

    def stop(self):
        self._stop.set()
        self.sock.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()
        self._thread.join(timeout=5)

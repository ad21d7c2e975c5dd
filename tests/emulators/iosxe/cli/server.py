"""The CLI's SSH side: the emulator's shared SSH server (``iosxe.sshserver``) with a shell
handler that runs one ``Shell`` per session (password login, pty + shell channel)."""

from __future__ import annotations

import time

from ..sshserver import SSHServer
from .shell import Shell


class CliServer:
    """Handle returned by start_cli_server(): `.port`, `.stop()`."""

    def __init__(self, device, address, port, username, password, enable_password):
        self.device = device
        self.enable_password = enable_password
        self._ssh = SSHServer(
            self._serve, address, port, username, password, shell=True, name=f"iosxe-cli-{device.hostname}"
        ).start()
        self.port = self._ssh.port

    def _serve(self, request, channel):
        """One session: the prompt, then each chunk typed goes through the shell, its output back."""
        shell = Shell(self.device, self.enable_password)
        channel.sendall(b"\r\n" + shell.prompt().encode())
        while not shell.closed:
            data = channel.recv(4096)
            if not data:
                break
            out = shell.feed(data.decode("utf-8", errors="replace"))
            if not out:
                continue
            time.sleep(self.device.reply_delay)
            try:
                channel.sendall(out.encode())
            except OSError:  # the client left without waiting for the answer (e.g. after "exit")
                break

    def stop(self):
        self._ssh.stop()

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CLI transport: netmiko's cisco_xe driver over SSH.

apply() sends the plan's lines one at a time in configuration mode, so that when the device
answers a line with a ``%`` message the transport knows which line it refused and which went in
before it; it then leaves configuration mode and reports both. Restoring the section is the
runner's job (re-read, plan back, apply).
"""

from __future__ import annotations

import contextlib
import re

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import paths
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import (
    DeviceError,
    Transport,
    open_socket,
)

try:
    from netmiko import ConnectHandler
    from netmiko.exceptions import (
        NetmikoAuthenticationException,
        NetmikoTimeoutException,
        ReadTimeout,
    )

    HAS_NETMIKO = True
except ImportError:
    HAS_NETMIKO = False

# IOS answers a refused line with "% ..." (after a caret line for invalid input).
ERROR_LINE = re.compile(r"^%.*$", re.M)


def _device_error_text(output: str) -> str | None:
    """The first ``%`` line of a command's output, or None when the device accepted it."""
    match = ERROR_LINE.search(output.replace("\r", ""))
    return match.group(0).strip() if match else None


class CliTransport(Transport):
    name = "cli"
    candidate = False

    def __init__(self, params, connection, reason=""):
        self.params = params
        self.host = params.host
        self.reason = reason
        self._conn = connection

    @classmethod
    def connect(cls, params, reason=""):
        if not HAS_NETMIKO:
            raise DeviceError("unsupported", "the netmiko Python library is not installed", params.host)
        sock = open_socket(params, params.cli_port)
        options = dict(
            device_type="cisco_xe",
            host=params.host,
            port=params.cli_port,
            sock=sock,
            username=params.username or "",
            secret=params.enable_password or "",
            conn_timeout=params.connect_timeout,
            auth_timeout=params.connect_timeout,
            banner_timeout=params.connect_timeout,
            read_timeout_override=params.command_timeout,
            fast_cli=False,
            allow_agent=False,
            ssh_strict=params.host_key_checking,
            system_host_keys=params.host_key_checking,
        )
        if params.password:
            options["password"] = params.password
        if params.private_key_file:
            options.update(use_keys=True, key_file=params.private_key_file)
        try:
            connection = ConnectHandler(**options)
        except Exception as exc:
            sock.close()
            raise cls._connect_error(exc, params) from None
        session = cls(params, connection, reason)
        try:
            session._enable()
        except Exception:
            session.close()
            raise
        return session

    @staticmethod
    def _connect_error(exc, params) -> DeviceError:
        host = params.host
        if isinstance(exc, NetmikoAuthenticationException):
            return DeviceError("authentication", f"SSH login as {params.username!r} refused", host)
        text = str(exc)
        if "known_hosts" in text or "host key" in text.lower():
            return DeviceError("authentication", "host key not known (host_key_checking is on)", host)
        if isinstance(exc, (NetmikoTimeoutException, ReadTimeout)):
            return DeviceError("unreachable", f"no SSH session on port {params.cli_port}: {text}", host)
        return DeviceError("protocol", f"{type(exc).__name__}: {text}", host, secrets=params.secrets())

    def _enable(self) -> None:
        """Privileged EXEC, which configuration and saving need; the enable secret when asked."""
        if self._guard(self._conn.check_enable_mode):
            return
        if not self.params.enable_password:
            raise DeviceError(
                "authentication", "the device asks for an enable secret (ansible_become_password)", self.host
            )
        try:
            self._guard(self._conn.enable)
        except ValueError:
            raise DeviceError("authentication", "enable secret refused", self.host) from None
        if not self._guard(self._conn.check_enable_mode):
            raise DeviceError("authentication", "enable secret refused", self.host)

    def _guard(self, call, *args, **kwargs):
        """Run one netmiko call, turning its read timeouts and lost sessions into DeviceError."""
        try:
            return call(*args, **kwargs)
        except (ReadTimeout, NetmikoTimeoutException):
            raise DeviceError(
                "timeout", f"no prompt within {self.params.command_timeout} s", self.host
            ) from None
        except OSError as exc:
            raise DeviceError(
                "protocol", f"SSH session lost: {exc}", self.host, secrets=self.params.secrets()
            ) from None

    def get_config(self, resource: str) -> str:
        command = f"show running-config | section {paths.cli_section(resource)}"
        output = self._guard(self._conn.send_command, command, read_timeout=self.params.command_timeout)
        error = _device_error_text(output)
        if error:
            raise DeviceError("rejected", error, self.host, detail=command)
        return output

    def apply(self, plan) -> None:
        lines = [line for line in plan.commands or [] if line.strip()]
        if not lines:
            return
        applied = []
        self._guard(self._conn.config_mode)
        try:
            for line in lines:
                output = self._guard(
                    self._conn.send_config_set,
                    [line.strip()],
                    enter_config_mode=False,
                    exit_config_mode=False,
                    cmd_verify=True,
                    read_timeout=self.params.command_timeout,
                )
                error = _device_error_text(output)
                if error:
                    raise DeviceError("rejected", error, self.host, detail=line.strip(), applied=applied)
                applied.append(line)
        except DeviceError as exc:
            exc.applied = applied
            raise
        finally:
            with contextlib.suppress(DeviceError):
                self._guard(self._conn.exit_config_mode)

    def save(self) -> str:
        output = self._guard(self._conn.save_config)
        error = _device_error_text(output)
        if error:
            raise DeviceError("rejected", error, self.host, detail="write memory")
        answer = [line.strip() for line in output.splitlines() if line.strip()]
        return "\n".join(line for line in answer if not line.startswith("write mem"))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the session is going away either way
            self._conn.disconnect()

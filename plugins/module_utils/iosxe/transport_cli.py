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
PASSWORD_PROMPT = re.compile(r"ssword:?\s*$", re.I)
PROMPT_OR_PASSWORD = r"ssword:?\s*$|[>#]\s*$"


def _device_error_text(output: str) -> str | None:
    """The ``%`` lines of a command's output (IOS may add a reason after "% Invalid input"), or
    None when the device accepted it."""
    lines = [match.strip() for match in ERROR_LINE.findall(output.replace("\r", ""))]
    return " ".join(lines) or None


class CliTransport(Transport):
    name = "cli"
    candidate = False

    def __init__(self, params, connection, reason=""):
        self.params = params
        self.host = params.host
        self.reason = reason
        self._conn = connection
        self._broken = False  # after a timeout the terminal's state is unknown: no polite logout

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
        host, secrets = params.host, params.secrets()
        if isinstance(exc, NetmikoAuthenticationException):
            return DeviceError("authentication", f"SSH login as {params.username!r} refused", host)
        text = str(exc)
        if "known_hosts" in text or "host key" in text.lower():
            return DeviceError("authentication", "host key not known (host_key_checking is on)", host)
        if isinstance(exc, (NetmikoTimeoutException, ReadTimeout)):
            return DeviceError(
                "unreachable", f"no SSH session on port {params.cli_port}: {text}", host, secrets=secrets
            )
        return DeviceError("protocol", f"{type(exc).__name__}: {text}", host, secrets=secrets)

    def _enable(self) -> None:
        """Privileged EXEC, which configuration and saving need; the enable secret when asked.

        Done here rather than with netmiko's enable(): IOS answers a wrong secret with another
        ``Password:`` prompt, which netmiko would wait on until its read timeout."""
        if self._guard(self._conn.check_enable_mode):
            return
        answer = self._type("enable")
        if PASSWORD_PROMPT.search(answer):
            if not self.params.enable_password:
                self._leave_password_prompt(answer)
                raise DeviceError(
                    "authentication",
                    "the device asks for an enable secret (ansible_become_password)",
                    self.host,
                )
            answer = self._type(self.params.enable_password)
            if PASSWORD_PROMPT.search(answer):
                self._leave_password_prompt(answer)
                raise DeviceError("authentication", "enable secret refused", self.host)
        if not self._guard(self._conn.check_enable_mode):
            raise DeviceError("authentication", "enable refused: no privileged prompt", self.host)

    def _type(self, text: str) -> str:
        """Send one line; the device's answer up to a prompt or a password question."""
        self._guard(self._conn.write_channel, self._conn.normalize_cmd(text))
        return self._guard(self._conn.read_until_pattern, pattern=PROMPT_OR_PASSWORD, re_flags=re.I)

    def _leave_password_prompt(self, answer: str) -> None:
        """Answer IOS's remaining password prompts empty, back to the exec prompt (at most 3 tries)."""
        for _attempt in range(3):
            if not PASSWORD_PROMPT.search(answer):
                return
            answer = self._type("")

    def _guard(self, call, *args, **kwargs):
        """Run one netmiko call, turning its read timeouts and lost sessions into DeviceError."""
        try:
            return call(*args, **kwargs)
        except (ReadTimeout, NetmikoTimeoutException):
            self._broken = True
            raise DeviceError(
                "timeout", f"no prompt within {self.params.command_timeout} s", self.host
            ) from None
        except OSError as exc:
            self._broken = True
            raise DeviceError(
                "protocol", f"SSH session lost: {exc}", self.host, secrets=self.params.secrets()
            ) from None

    def get_config(self, resource: str) -> str:
        command = f"show running-config | section {paths.cli_section(resource)}"
        output = self._guard(self._conn.send_command, command, read_timeout=self.params.command_timeout)
        error = _device_error_text(output)
        if error:
            raise DeviceError("rejected", error, self.host, detail=command, secrets=self.params.secrets())
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
                    raise DeviceError(
                        "rejected", error, self.host, detail=line.strip(), secrets=self.params.secrets()
                    )
                applied.append(line)
        except DeviceError as exc:  # a refused line or a timeout: what went in before it
            exc.applied = applied
            raise
        finally:
            if not self._broken:
                with contextlib.suppress(DeviceError):
                    self._guard(self._conn.exit_config_mode)

    def save(self) -> str:
        output = self._guard(self._conn.save_config)
        error = _device_error_text(output)
        if error:
            raise DeviceError(
                "rejected", error, self.host, detail="write memory", secrets=self.params.secrets()
            )
        prompt = self._conn.base_prompt
        answer = [line.strip() for line in output.splitlines() if line.strip()]
        # Without the echoed command and the prompt around the device's answer.
        return "\n".join(line for line in answer if not line.startswith((prompt, "write mem")))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the session is going away either way
            if self._broken:
                self._conn.paramiko_cleanup()
            else:
                self._conn.disconnect()

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the IOS-XE resource modules talk to a device: one small interface, two implementations.

``open_transport(params, transport)`` returns a Transport: NETCONF through ncclient
(transport_netconf.py) or CLI through netmiko (transport_cli.py). ``auto`` tries NETCONF first and
keeps it when the device offers the Cisco-IOS-XE-mobileip model, else falls back to the CLI; the
choice and its reason are in ``.reason``. Every failure is a DeviceError with one of a few kinds,
and its text never contains a secret.

Persistent connections later: the interface carries only strings and the plan object (no ncclient
or netmiko types), so an ansible.netcommon ``Connection(socket_path)`` based transport slots in as a
third implementation. Over the netconf connection plugin, get_config is ``conn.get_config(source=
"running", filter=...)``, apply is ``conn.lock``/``conn.edit_config(config=plan.xml, target=...)``/
``conn.validate``/``conn.commit``/``conn.discard_changes`` in the same order as here, and save is
``conn.dispatch`` of cisco-ia save-config; over network_cli with the ios cliconf, get_config is
``conn.get("show running-config | section ...")`` and apply sends plan.commands through
``conn.edit_config(candidate=...)`` one line at a time. ``ansible.module_utils.connection.
ConnectionError`` maps to DeviceError as ncclient's and netmiko's errors do here. The action plugin
would add a ``socket_path`` to ConnectionParams and open_transport would pick that class when it is
set; runner.py and the modules stay as they are, since they only see Transport.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

KINDS = ("unreachable", "authentication", "timeout", "rejected", "unsupported", "protocol")
NETCONF_PORT = 830
NO_MODEL = "NETCONF is up but the device does not offer Cisco-IOS-XE-mobileip"


@dataclass
class ConnectionParams:
    """Where and how to log in; built from the host's inventory variables by the action plugin."""

    host: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    private_key_file: str | None = None
    enable_password: str | None = field(default=None, repr=False)
    netconf_port: int | None = NETCONF_PORT  # None: the device has no NETCONF (auto goes to CLI)
    cli_port: int = 22
    connect_timeout: int = 30
    command_timeout: int = 60
    host_key_checking: bool = True

    def secrets(self) -> list[str]:
        """Texts that must never appear in an error message or a log record."""
        return [s for s in (self.password, self.enable_password) if s]


class DeviceError(Exception):
    """One failure talking to a device. ``kind`` is one of KINDS; ``message`` the device's own text
    for rejections; ``detail`` the offending CLI line or NETCONF error-path; ``applied`` the CLI lines
    the device accepted before it rejected one; ``tag`` a NETCONF rejection's error-tag (RFC 6241
    appendix A), which says what went wrong where the message is free text."""

    def __init__(self, kind, message, host="", detail=None, applied=None, secrets=(), tag=None):
        if kind not in KINDS:
            raise ValueError(f"unknown DeviceError kind {kind!r}")
        self.kind = kind
        self.host = host
        self.message = redact(_one_line(message), secrets)
        self.detail = redact(_one_line(detail), secrets) if detail else None
        self.applied = list(applied or [])
        self.tag = tag
        super().__init__(str(self))

    def __str__(self):
        text = f"{self.host}: {self.kind}: {self.message}" if self.host else f"{self.kind}: {self.message}"
        return f"{text} (at {self.detail})" if self.detail else text


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def redact(text: str, secrets) -> str:
    """Blank out every secret in an error text (a device may echo what it was sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def open_socket(params: ConnectionParams, port: int) -> socket.socket:
    """A TCP connection to the device, so that every client reports unreachability the same way."""
    try:
        return socket.create_connection((params.host, port), timeout=params.connect_timeout)
    except socket.gaierror as exc:
        reason = f"cannot resolve {params.host}: {exc.strerror or exc}"
    except TimeoutError:
        reason = f"no answer on port {port} within {params.connect_timeout} s"
    except ConnectionRefusedError:
        reason = f"connection refused on port {port}"
    except OSError as exc:
        reason = f"cannot connect to port {port}: {exc.strerror or exc}"
    raise DeviceError("unreachable", reason, params.host)


class Transport:
    """A session with one device. Implementations set ``name``, ``candidate`` and ``reason``."""

    name = ""
    candidate = False
    reason = ""

    def get_config(self, resource: str) -> str:
        """The resource's configuration: get-config reply XML (NETCONF) or section text (CLI)."""
        raise NotImplementedError

    def apply(self, plan) -> None:
        """Apply plan.xml (NETCONF) or plan.commands (CLI) safely; DeviceError on failure."""
        raise NotImplementedError

    def save(self) -> str:
        """Copy running to startup; the device's answer."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_transport(params: ConnectionParams, transport: str = "auto") -> Transport:
    """Connect with the requested transport; ``auto``: NETCONF when the device offers the mobileip
    model, else CLI. Authentication failures are raised, never hidden behind the fallback."""
    # Imported here: each implementation imports this module for DeviceError and open_socket.
    from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport_netconf import (
        NetconfTransport,
    )

    if transport == "cli":
        return _cli_connect(params, reason="transport: cli requested")
    if transport == "netconf":
        session = NetconfTransport.connect(params)
        if not session.offers_mobileip:
            session.close()
            raise DeviceError("unsupported", NO_MODEL, params.host)
        session.reason = f"transport: netconf requested; {session.model_source}"
        return session
    if transport != "auto":
        raise ValueError(f"transport must be one of auto, netconf, cli, not {transport!r}")
    try:
        session = NetconfTransport.connect(params)
    except DeviceError as exc:
        if exc.kind not in ("unreachable", "unsupported"):
            raise
        why = f"NETCONF not available ({exc.message})"
    else:
        if session.offers_mobileip:
            session.reason = f"auto: NETCONF, {session.model_source}"
            return session
        session.close()
        why = NO_MODEL
    return _cli_connect(params, reason=f"auto: CLI, {why}")


def _cli_connect(params, reason):
    # netmiko is imported only when the CLI is used: each module task runs in a fresh Ansible worker,
    # and netmiko's import costs about 0.4 s of CPU, twice the whole NETCONF import (bench/drift_iosxe.py)
    from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport_cli import CliTransport

    return CliTransport.connect(params, reason=reason)

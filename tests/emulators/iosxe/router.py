"""One emulated router: a Device with its NETCONF server and (when cli.py is present) its SSH CLI.

Used by the pytest fixtures and by ``__main__``. Ports 0 pick free ports; read ``.netconf_port``
and ``.cli_port`` after ``start()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .netconf import NetconfServer
from .store import Device

log = logging.getLogger(__name__)


@dataclass
class RouterSpec:
    hostname: str = "R1"
    address: str = "127.0.0.1"
    netconf_port: int | None = 0  # None: no NETCONF server
    cli_port: int | None = None  # None: no CLI server
    username: str = "admin"
    password: str = "admin"
    enable_password: str = "admin"
    candidate: bool = False
    release: str = "17.18.1"
    seed_xml: str | None = None  # file with a <config>/<data>/<native> document
    seed_config: str | None = None  # file with running-config text (applied through the CLI module)
    authorized_keys: list = field(default_factory=list)  # paramiko public keys
    yang_dir: str | None = None


def _start_cli(device: Device, spec: RouterSpec):
    try:
        from . import cli
    except ImportError:
        log.warning("cli module not available: no CLI server for %s", spec.hostname)
        return None
    return cli.start_cli_server(
        device, spec.address, spec.cli_port, spec.username, spec.password, spec.enable_password
    )


class Router:
    def __init__(self, spec: RouterSpec | None = None, **overrides):
        self.spec = spec or RouterSpec(**overrides)
        self.device = Device(self.spec.hostname, candidate=self.spec.candidate, yang_dir=self.spec.yang_dir)
        if self.spec.seed_xml:
            self.device.seed_xml(Path(self.spec.seed_xml).read_text())
        if self.spec.seed_config:
            self.device.seed_cli(Path(self.spec.seed_config).read_text())
        self.netconf: NetconfServer | None = None
        self.cli = None

    def start(self) -> Router:
        spec = self.spec
        try:
            if spec.netconf_port is not None:
                self.netconf = NetconfServer(
                    self.device,
                    address=spec.address,
                    port=spec.netconf_port,
                    username=spec.username,
                    password=spec.password,
                    authorized_keys=spec.authorized_keys,
                    release=spec.release,
                ).start()
            if spec.cli_port is not None:
                self.cli = _start_cli(self.device, spec)
                if self.cli is not None and hasattr(self.cli, "start") and not getattr(self.cli, "port", 0):
                    self.cli.start()
        except Exception:
            self.stop()
            raise
        return self

    @property
    def netconf_port(self) -> int | None:
        return self.netconf.port if self.netconf else self.spec.netconf_port

    @property
    def cli_port(self) -> int | None:
        return getattr(self.cli, "port", None) if self.cli else None

    def netconf_connect(self, **kwargs):
        """An ncclient manager connected the way the project's modules connect."""
        from ncclient import manager

        params = {
            "host": self.spec.address,
            "port": self.netconf_port,
            "username": self.spec.username,
            "password": self.spec.password,
            "hostkey_verify": False,
            "device_params": {"name": "iosxe"},
            "allow_agent": False,
            "look_for_keys": False,
            "timeout": 10,
        }
        params.update(kwargs)
        return manager.connect(**params)

    def stop(self) -> None:
        for server in (self.cli, self.netconf):
            if server is not None:
                server.stop()
        self.cli = self.netconf = None

    def __enter__(self) -> Router:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

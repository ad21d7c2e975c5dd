"""SSH CLI of the IOS-XE emulator: an IOS terminal over the device's YANG-validated store.

grammar.py   command syntax strings, matched and rendered both ways
commands.py  the PMIPv6 command tree, mode by mode, and the prompt table
edit.py      a parsed line -> NETCONF <config> edit (merge / replace / remove)
render.py    the store's XML -> show running-config text
exec_cmds.py EXEC commands (show, write, copy, terminal, enable) and output filters
shell.py     modes, prompts, echo, IOS error messages
server.py    paramiko SSH server
"""

from __future__ import annotations

from .server import CliServer
from .shell import Shell


def start_cli_server(device, address: str, port: int, username: str, password: str, enable_password: str):
    """Serve the CLI of `device` on address:port (0 = a free port, see `.port`); `.stop()` ends it."""
    return CliServer(device, address, port, username, password, enable_password)


SKIP = ("!", "Building configuration", "Current configuration")


def seed_cli(device, running_config_text: str) -> None:
    """Apply a running-config text as configuration lines; raise ValueError on the first refused line."""
    shell = Shell(device, enable_password="")
    shell.privileged = True
    shell.enter_config()
    for raw in running_config_text.splitlines():
        text = raw.strip()
        if not text or text == "end" or text.startswith(SKIP):
            continue
        out = shell.run(raw)
        if "%" in out:
            raise ValueError(f"seed line refused: {raw!r}\n{out.strip()}")


seed_running_config = seed_cli  # the name store.Device.seed_cli calls

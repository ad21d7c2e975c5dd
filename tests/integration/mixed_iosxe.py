"""Emulated IOS-XE routers as nodes of a mixed PMIPv6 domain, for the end-to-end test
(test_lab_rollout.py) and the drift benchmark (bench/drift_iosxe.py).

The routers are the command-line emulator (tests/emulators/iosxe, several routers per process) on
127.0.0.1 with free ports; Ansible reaches them through the host's standard inventory variables.
Out-of-band changes go in as an operator's would: over the emulator's real SSH CLI, with netmiko.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "emulators"))

from iosxe.fixtures import start_emulator_process, stop_emulator_process  # noqa: E402

USERNAME = PASSWORD = ENABLE = "admin"
ACCESS_INTERFACE = "GigabitEthernet2"  # the emulator's native stand-in accepts any interface name


@dataclass
class Routers:
    """Emulator processes and where each router (by node name) listens."""

    processes: list
    ports: dict[str, dict]  # node -> {"netconf": port, "cli": port, "address": addr, "hostname": name}

    def stop(self) -> None:
        for proc in self.processes:
            stop_emulator_process(proc)


def hostname_of(node: str) -> str:
    """The router's own hostname (IOS-XE prompts; at most 16 characters here)."""
    return f"xe-{node}"[:16]


def start_routers(nodes: list[str], per_process: int = 25, candidate: set[str] = frozenset()) -> Routers:
    """One emulated router per node, ``per_process`` routers to an emulator process (each process is
    one Python interpreter, so several processes spread the SSH work over the cores)."""
    processes, ports = [], {}
    try:
        for first in range(0, len(nodes), per_process):
            batch = nodes[first : first + per_process]
            args = ["--no-primary"]
            for node in batch:
                flag = ",candidate=1" if node in candidate else ""
                args += ["--device", f"hostname={hostname_of(node)},netconf-port=0,cli-port=0{flag}"]
            args += ["--username", USERNAME, "--password", PASSWORD, "--enable-password", ENABLE]
            proc, ready = start_emulator_process(args, timeout=60)
            processes.append(proc)
            for node in batch:
                ports[node] = dict(ready[hostname_of(node)], hostname=hostname_of(node))
    except BaseException:
        Routers(processes, ports).stop()
        raise
    return Routers(processes, ports)


def mag_nodes(names: list[str], lma: str, first_address: str) -> dict:
    """Domain entries of IOS-XE MAGs with consecutive Proxy-CoAs from ``first_address``."""
    base = ipaddress.IPv6Address(first_address)
    return {
        name: {
            "platform": "iosxe",
            "address": str(base + k),
            "lma": lma,
            "access_interfaces": [{"name": ACCESS_INTERFACE}],
            # IOS-XE polls for detached MNs every 10..36000 s (the lab domain's own 5 s is Linux-only)
            "detach_poll": {"interval": 10, "timeout": 2, "retries": 2},
        }
        for k, name in enumerate(names)
    }


def inventory_group(routers: Routers, transport: dict[str, str] | None = None) -> dict:
    """An inventory group (for nslab.write_inventory's ``groups``) of the routers, host name = node.
    ``transport`` pins some nodes to netconf or cli (others: auto)."""
    hosts = {}
    for node, where in routers.ports.items():
        hosts[node] = {
            "ansible_host": where["address"],
            "ansible_port": where["cli"],
            "iosxe_netconf_port": where["netconf"],
            "pmipv6_node": node,
        }
        if transport and node in transport:
            hosts[node]["iosxe_transport"] = transport[node]
    group_vars = {
        "ansible_user": USERNAME,
        "ansible_password": PASSWORD,
        "ansible_become_password": ENABLE,
        "ansible_host_key_checking": False,
        "ansible_connection": "local",  # the modules open their own sessions from the controller
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }
    return {"iosxe": {"vars": group_vars, "hosts": hosts}}


def _cli(routers: Routers, node: str):
    from netmiko import ConnectHandler

    session = ConnectHandler(
        device_type="cisco_xe",
        host=routers.ports[node]["address"],
        port=routers.ports[node]["cli"],
        username=USERNAME,
        password=PASSWORD,
        secret=ENABLE,
        timeout=30,
    )
    session.enable()
    return session


def running_config(routers: Routers, node: str, which: str = "running") -> str:
    """``show running-config`` (or ``which="startup"``) of the router, as its CLI prints it."""
    session = _cli(routers, node)
    try:
        return session.send_command(f"show {which}-config")
    finally:
        session.disconnect()


def configure(routers: Routers, node: str, lines: list[str]) -> str:
    """Configuration lines typed at the router's CLI (config mode); fails on an IOS error."""
    session = _cli(routers, node)
    try:
        out = session.send_config_set(lines, error_pattern=r"^% ")
    finally:
        session.disconnect()
    return out

"""pmipv6-agent start-up failures: clear message, non-zero exit, nothing left behind."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from nettools import AGENTS_DIR, Lab, ctl, is_root, wait_for

pytestmark = pytest.mark.skipif(not is_root(), reason="needs root for raw sockets and namespaces")


def _config(tmp_path, address: str, sock_name: str = "lma1.sock", state: str = "state") -> dict:
    return {
        "node": "lma1",
        "role": "lma",
        "address": address,
        "control_socket": str(tmp_path / sock_name),
        "state_dir": str(tmp_path / state),
        "dataplane": "none",
        "lma": {"hnp_pools": ["2001:db8:100::/48"], "mags": [{"name": "mag1", "address": "2001:db8:c::2"}]},
    }


def _run(ns: str, cfg_path, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "pmipv6.daemon", "--config", str(cfg_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PYTHONPATH": str(AGENTS_DIR), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


@pytest.fixture
def lab():
    lab = Lab()
    yield lab
    lab.close()


def test_address_not_on_this_host_is_a_clear_error(lab, tmp_path):
    ns = lab.ns("lma")
    cfg = tmp_path / "lma1.yaml"
    cfg.write_text(yaml.safe_dump(_config(tmp_path, "2001:db8:c::1")))  # not assigned in the namespace
    proc = _run(ns, cfg)
    assert proc.returncode == 1
    assert "cannot start" in proc.stderr and "assign requested address" in proc.stderr
    assert not (tmp_path / "lma1.sock").exists()


def test_second_agent_on_the_same_control_socket_refuses_to_start(lab, tmp_path):
    ns = lab.ns("lma")
    lab.link(ns, "core0", lab.ns("peer"), "core0")
    lab.addr(ns, "core0", "2001:db8:c::1/64")
    lab.addr(ns, "core0", "2001:db8:c::9/64")
    first = tmp_path / "first.yaml"
    first.write_text(yaml.safe_dump(_config(tmp_path, "2001:db8:c::1")))
    agent = lab.start_agent(ns, first, tmp_path / "first.log")
    sock = tmp_path / "lma1.sock"
    wait_for(lambda: sock.exists() and ctl(sock, "status", "--json", check=False), 15, what="first agent")
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump(_config(tmp_path, "2001:db8:c::9", state="state2")))
    proc = _run(ns, second)
    assert proc.returncode == 1
    assert "in use by a running agent" in proc.stderr
    assert agent.poll() is None
    assert ctl(sock, "status", "--json")["address"] == "2001:db8:c::1"  # the first still owns it


def test_second_agent_on_the_same_state_dir_refuses_to_start(lab, tmp_path):
    """The state database is held exclusively: two agents never interleave their writes."""
    ns = lab.ns("lma")
    lab.link(ns, "core0", lab.ns("peer"), "core0")
    lab.addr(ns, "core0", "2001:db8:c::1/64")
    lab.addr(ns, "core0", "2001:db8:c::9/64")
    first = tmp_path / "first.yaml"
    first.write_text(yaml.safe_dump(_config(tmp_path, "2001:db8:c::1")))
    agent = lab.start_agent(ns, first, tmp_path / "first.log")
    sock = tmp_path / "lma1.sock"
    wait_for(lambda: sock.exists() and ctl(sock, "status", "--json", check=False), 15, what="first agent")
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump(_config(tmp_path, "2001:db8:c::9", sock_name="other.sock")))
    proc = _run(ns, second)
    assert proc.returncode == 1
    assert "cannot start" in proc.stderr and "is in use by another agent" in proc.stderr
    assert agent.poll() is None
    assert not (tmp_path / "other.sock").exists()
    assert not list((tmp_path / "state").glob("state.db.*-*")), "a live agent's state was moved aside"

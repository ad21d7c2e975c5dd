"""The role's systemd unit, rendered by Ansible's own template module (these machines run no
systemd, so the unit is never started here: what is checked is what systemd would be given)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "roles" / "agent_common" / "templates" / "pmipv6-agent.service.j2"
VARS = {
    "agent_common_role": "mag",
    "pmipv6_node": "mag1",
    "_agent_common_venv": "/opt/pmipv6/venv",
    "_agent_common_config": "/etc/pmipv6/mag1.yaml",
    "_agent_common_state_dir": "/var/lib/pmipv6/mag1",
    "agent_common_run_dir": "/run/pmipv6",
}


def render(tmp_path: Path) -> str:
    dest = tmp_path / "pmipv6-mag1.service"
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible-tmp"))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "-e", json.dumps(VARS),
         "-m", "ansible.builtin.template", "-a", f"src={UNIT} dest={dest} mode=0644"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return dest.read_text()


def test_unit_runs_the_agent_with_only_the_network_capabilities(tmp_path):
    unit = render(tmp_path)
    lines = set(unit.splitlines())
    assert "ExecStart=/opt/pmipv6/venv/bin/pmipv6-agent --config /etc/pmipv6/mag1.yaml" in lines
    assert "ExecReload=/bin/kill -HUP $MAINPID" in lines  # a reload keeps the bindings
    assert "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" in lines
    assert "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW" in lines
    assert {"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"} <= lines
    assert "ReadWritePaths=/var/lib/pmipv6/mag1 /run/pmipv6" in lines  # state and socket only
    assert "Restart=on-failure" in lines and "WantedBy=multi-user.target" in lines
    if shutil.which("systemd-analyze"):  # not on these machines; a parse check where it exists
        done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "pmipv6-mag1.service")],
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert "Unknown" not in done.stderr and "bad" not in done.stderr.lower(), done.stderr

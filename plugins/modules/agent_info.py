#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: agent_info
short_description: Status, peers and bindings of a running pmipv6-agent
version_added: 0.1.0
description:
  - Queries the control socket of the PMIPv6 agent (LMA or MAG) that runs on the target host, and compares
    the configuration the agent has loaded with the configuration file on disk.
  - Read-only; never changes anything.
author: netmobility engineering (@netmobility)
options:
  node:
    description: The agent's node name (C(pmipv6_node)); names the default socket and config paths.
    type: str
    required: true
  socket:
    description: Control socket path. Default C(/run/pmipv6/<node>.sock).
    type: path
  config:
    description: Configuration file path. Default C(/etc/pmipv6/<node>.yaml).
    type: path
  gather:
    description: What to return besides C(status).
    type: list
    elements: str
    choices: [peers, bindings]
    default: [peers, bindings]
  fail_when_down:
    description:
      - Fail when the agent does not answer. With C(false), return C(running=false) instead, for reports.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 5.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Runs on the agent's host, as a user who may open the control socket (mode 0600, normally root).
"""

EXAMPLES = r"""
- name: Read the agent's state
  netmobility.pmipv6.agent_info:
    node: "{{ pmipv6_node }}"
  register: agent

- name: The MAG's heartbeat to its LMA is up
  ansible.builtin.assert:
    that: agent.peers | selectattr('state', 'equalto', 'up') | list | length > 0
"""

RETURN = r"""
running:
  description: Whether the agent answered on its control socket.
  returned: always
  type: bool
status:
  description:
    - The agent's status (node, role, pid, uptime, restart counter, data plane, bindings, config digest ...).
  returned: when running
  type: dict
peers:
  description: Heartbeat peers with their state (up, down, unknown).
  returned: when running and peers are gathered
  type: list
  elements: dict
bindings:
  description: Binding cache (LMA) or binding update list (MAG) rows.
  returned: when running and bindings are gathered
  type: list
  elements: dict
config_digest:
  description: sha256 of the configuration text the agent has loaded.
  returned: when running
  type: str
file_digest:
  description: sha256 of the configuration file on disk, or null when it is missing.
  returned: always
  type: str
config_current:
  description: Whether the agent runs the configuration that is in the file (false after an unapplied edit).
  returned: when running
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netmobility.pmipv6.plugins.module_utils.agent_client import (
    AgentError,
    file_digest,
    request,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node=dict(type="str", required=True),
            socket=dict(type="path"),
            config=dict(type="path"),
            gather=dict(
                type="list", elements="str", choices=["peers", "bindings"], default=["peers", "bindings"]
            ),
            fail_when_down=dict(type="bool", default=True),
            timeout=dict(type="float", default=5.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    sock = p["socket"] or "/run/pmipv6/{}.sock".format(p["node"])
    config = p["config"] or "/etc/pmipv6/{}.yaml".format(p["node"])
    try:
        digest = file_digest(config)
    except OSError:
        digest = None
    result = dict(changed=False, running=False, file_digest=digest, socket=sock, config=config)
    try:
        status = request(sock, "status", p["timeout"])
        result.update(running=True, status=status, config_digest=status.get("config_digest"))
        result["config_current"] = digest is not None and status.get("config_digest") == digest
        for what in p["gather"]:
            result[what] = request(sock, what, p["timeout"])
    except AgentError as exc:
        if p["fail_when_down"] or result["running"]:
            module.fail_json(msg="pmipv6 agent {}: {}".format(p["node"], exc), **result)
        result["error"] = str(exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

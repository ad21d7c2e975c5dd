#!/usr/bin/python
# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: agent_wheel
short_description: Build the collection's bundled pmipv6-agent into a wheel on the controller
version_added: 0.1.0
description:
  - Packs the agent that ships in the collection (C(agents/)) into a pure-Python wheel, so that hosts
    install it with pip alone, offline, without setuptools or a compiler.
  - The wheel is reproducible (sorted entries, fixed times), so an unchanged agent gives identical
    bytes and a copy task reports no change.
  - Runs on the controller (an action plugin); the lma and mag roles use it.
author: netmobility engineering (@netmobility)
options:
  dest:
    description: Controller directory to write the wheel to.
    type: path
    required: true
  source:
    description:
      - The agent project directory (with C(pyproject.toml)). Defaults to the collection's C(agents/).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - Writes only to the controller's O(dest); the target is not contacted, so it reports C(changed=false).
"""

EXAMPLES = r"""
- name: Build the agent wheel
  netmobility.pmipv6.agent_wheel:
    dest: ~/.cache/netmobility.pmipv6
  delegate_to: localhost
  run_once: true
  register: agent_wheel
"""

RETURN = r"""
path:
  description: The wheel on the controller.
  returned: success
  type: str
  sample: /root/.cache/netmobility.pmipv6/pmipv6_agent-0.1.0-py3-none-any.whl
filename:
  description: The wheel's file name.
  returned: success
  type: str
  sample: pmipv6_agent-0.1.0-py3-none-any.whl
"""

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the collection's bundled agent into a wheel on the controller (see module_utils/agent_wheel)."""

import os

from ansible.plugins.action import ActionBase

from ansible_collections.netmobility.pmipv6.plugins.module_utils import agent_wheel

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dest", "source"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dest = self._task.args.get("dest")
        if not dest:
            return dict(result, failed=True, msg="dest: the controller directory for the wheel is required")
        source = self._task.args.get("source") or os.path.join(COLLECTION_ROOT, "agents")
        if not os.path.isfile(os.path.join(source, "pyproject.toml")):
            return dict(result, failed=True, msg=f"no agent sources (pyproject.toml) in {source}")
        try:
            path = agent_wheel.build(source, os.path.expanduser(dest))
        except (OSError, KeyError, ValueError) as exc:
            return dict(result, failed=True, msg=f"building the agent wheel from {source} failed: {exc}")
        return dict(result, changed=False, path=path, filename=os.path.basename(path))

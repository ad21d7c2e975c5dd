# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the whole PMIPv6 domain on the controller, before any host is contacted."""

from ansible.plugins.action import ActionBase

from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain as model


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("domain", "hosts"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        domain = args.get("domain", task_vars.get("pmipv6_domain"))
        # templated, so vaulted or derived values (an auth key from a vault variable) are checked
        # as the roles will render them
        domain = self._templar.template(domain) if domain is not None else None
        if domain is None:
            return dict(result, failed=True, msg="pmipv6_domain is not defined (set it in group_vars)")
        hostvars = task_vars.get("hostvars", {})
        names = args.get("hosts")
        if names is None:
            names = task_vars.get("groups", {}).get("all", [])
        if isinstance(names, str) or not isinstance(names, list):
            return dict(result, failed=True, msg="hosts: expected a list of inventory host names")
        hosts = {}
        for name in names:
            node = hostvars[name].get("pmipv6_node") if name in hostvars else None
            hosts[name] = self._templar.template(node) if node is not None else None
        problems = model.validate(domain, hosts)
        if problems:
            msg = "pmipv6_domain is invalid ({} problem{}):\n{}".format(
                len(problems), "" if len(problems) == 1 else "s", "\n".join(problems)
            )
            return dict(result, failed=True, msg=msg, problems=problems)
        by_node = {node: host for host, node in hosts.items() if node is not None}
        nodes = {
            name: {"role": role, "platform": platform, "host": by_node[name]}
            for name, (role, platform) in model.nodes(domain).items()
        }
        return dict(
            result,
            changed=False,
            problems=[],
            nodes=nodes,
            msg="pmipv6_domain {} is valid: {} LMA(s), {} MAG(s)".format(
                domain["name"],
                sum(1 for n in nodes.values() if n["role"] == "lma"),
                sum(1 for n in nodes.values() if n["role"] == "mag"),
            ),
        )

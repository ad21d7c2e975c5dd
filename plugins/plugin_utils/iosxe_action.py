# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin behind the iosxe_pmipv6_* resource modules.

The modules run on the controller and open their own NETCONF or SSH CLI session to the router, so the
host needs neither a Python interpreter nor a connection from Ansible itself. Credentials come from the
host's standard inventory variables, never from module options, and are never part of a result.
"""

from ansible import constants
from ansible.plugins.action import ActionBase

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import (
    argspec,
    runner,
    transport_cli,
    transport_netconf,
)
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import ConnectionParams

# The strategy loads this class in the controller process before it forks a worker per task, so
# importing the transports (ncclient, netmiko: seconds of imports) here does it once per run and
# every worker inherits them.
PRELOADED = (transport_cli, transport_netconf)

DEFAULT_PORTS = {"netconf": 830, "cli": 22}


class IosxeResourceAction(ActionBase):
    """Subclasses set RESOURCE ("domain", "mag" or "lma")."""

    RESOURCE = None
    TRANSFERS_FILES = False
    _requires_connection = False  # no connection to the host: the transports open their own sessions

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(
            argspec.argument_spec(self.RESOURCE),
            mutually_exclusive=argspec.MUTUALLY_EXCLUSIVE,
            required_if=argspec.REQUIRED_IF,
        )[1]  # the validated arguments, defaults filled in (errors raise AnsibleActionFail)
        params = None
        if args["state"] not in ("rendered", "parsed"):
            params = self._connection_params(args, task_vars or {})
        result.update(
            runner.run(self.RESOURCE, args, params, bool(self._task.check_mode), bool(self._task.diff))
        )
        return result

    def _var(self, task_vars, *names, default=None):
        """The first of the inventory variables that is set, templated."""
        for name in names:
            value = task_vars.get(name)
            if value is not None:
                return self._templar.template(value)
        return default

    def _connection_params(self, args, task_vars):
        # ansible_port is the port of the transport asked for; auto starts with NETCONF but its
        # fallback (and usual inventory meaning of the port) is the SSH CLI.
        port = self._var(task_vars, "ansible_port")
        netconf_port = args.get("netconf_port")
        cli_port = args.get("cli_port")
        if args["transport"] == "netconf":
            netconf_port = netconf_port or port
        else:
            cli_port = cli_port or port
        return ConnectionParams(
            host=self._var(task_vars, "ansible_host", default=task_vars.get("inventory_hostname")),
            username=self._var(task_vars, "ansible_user"),
            password=self._var(task_vars, "ansible_password", "ansible_ssh_pass"),
            private_key_file=self._var(task_vars, "ansible_ssh_private_key_file", "ansible_private_key_file"),
            enable_password=self._var(task_vars, "ansible_become_password", "ansible_become_pass"),
            netconf_port=int(netconf_port or DEFAULT_PORTS["netconf"]),
            cli_port=int(cli_port or DEFAULT_PORTS["cli"]),
            connect_timeout=args["connect_timeout"],
            command_timeout=args["command_timeout"],
            # the host variable, else Ansible's own setting (ANSIBLE_HOST_KEY_CHECKING, ansible.cfg; true)
            host_key_checking=_boolean(
                self._var(task_vars, "ansible_host_key_checking", default=constants.HOST_KEY_CHECKING)
            ),
        )


def _boolean(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)

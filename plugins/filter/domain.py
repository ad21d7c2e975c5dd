# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the domain model: the agent configuration of a Linux node, the module configs of an
IOS-XE node, and the domain's nodes."""

from ansible.errors import AnsibleFilterError

from ansible_collections.netmobility.pmipv6.plugins.module_utils import domain as model


def agent_config(domain, node, paths=None):
    try:
        return model.agent_config(domain, node, paths)
    except model.DomainError as exc:
        raise AnsibleFilterError("invalid PMIPv6 domain:\n" + "\n".join(exc.problems)) from None


def iosxe_config(domain, node, as_gathered=False):
    try:
        configs = model.iosxe_config(domain, node)
    except model.DomainError as exc:
        raise AnsibleFilterError("invalid PMIPv6 domain:\n" + "\n".join(exc.problems)) from None
    if not as_gathered:
        return configs
    # the modules' own canonical form and key masking, so that it compares with a gathered result
    from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources

    return {
        name: resources.mask(name, resources.normalise(name, entries)) for name, entries in configs.items()
    }


def domain_nodes(domain):
    nodes = model.nodes(domain)
    return {name: {"role": role, "platform": platform} for name, (role, platform) in nodes.items()}


class FilterModule:
    def filters(self):
        return {"agent_config": agent_config, "iosxe_config": iosxe_config, "domain_nodes": domain_nodes}

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of iosxe_pmipv6_lma: runs on the controller (plugin_utils/iosxe_action.py)."""

from ansible_collections.netmobility.pmipv6.plugins.plugin_utils.iosxe_action import IosxeResourceAction


class ActionModule(IosxeResourceAction):
    RESOURCE = "lma"

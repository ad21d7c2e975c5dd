# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each resource lives on the device: YANG namespaces, list names, the get-config subtree
filter and the running-config section. Shared by the codecs and the transports."""

NATIVE_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MOBILEIP_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"
MOBILEIP_MODULE = "Cisco-IOS-XE-mobileip"
NETCONF_BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"

# resource -> the YANG list below /native/ipv6/mobile that holds its entries
LISTS = {"domain": "pmipv6-domain", "mag": "pmipv6-mag", "lma": "pmipv6-lma"}


def subtree_filter(resource):
    """The get-config subtree filter selecting every entry of the resource."""
    mobile = f'<mobile xmlns="{MOBILEIP_NS}"><{LISTS[resource]}/></mobile>'
    return f'<native xmlns="{NATIVE_NS}"><ipv6>{mobile}</ipv6></native>'


def cli_section(resource):
    """The regex for ``show running-config | section <regex>`` selecting the resource's blocks."""
    return f"^ipv6 mobile {LISTS[resource]}"

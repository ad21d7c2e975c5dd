# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The codecs and the planner of the IOS-XE resources ("domain", "mag", "lma"), one call each.

    normalise(resource, entries) -> list[dict]   canonical, comparable form (docs/iosxe-model.md)
    render_cli(resource, entries) -> list[str]   running-config lines (sub-modes indented)
    parse_cli(resource, text) -> list[dict]      from show running-config / `| section` text
    render_xml(resource, entries) -> str         NETCONF <config> payload (merge) of the entries
    parse_xml(resource, xml) -> list[dict]       from a get-config rpc-reply, <data> or <config>
    plan(resource, want, have, state) -> Plan    changed, before, after, commands, xml
    mask(resource, entries), mask_commands(lines), mask_xml(xml)   authentication keys hidden

Bad input (unknown option, bad address or enumeration, missing key) raises ValueError naming the
option's path. Ranges are left to the device, so its own message reports them.
"""

from . import canonical, cli_codec, planner, xml_codec
from .model import table
from .planner import Plan

__all__ = [
    "Plan",
    "mask",
    "mask_commands",
    "mask_xml",
    "normalise",
    "parse_cli",
    "parse_xml",
    "plan",
    "render_cli",
    "render_xml",
]


def normalise(resource, entries):
    return canonical.normalise_entries(table(resource), entries, "config")


def render_cli(resource, entries):
    return cli_codec.render_entries(table(resource), normalise(resource, entries))


def parse_cli(resource, text):
    return cli_codec.parse_entries(table(resource), text)


def render_xml(resource, entries):
    spec = table(resource)
    changes = planner.diff_entries(spec, [], normalise(resource, entries))
    return xml_codec.edit_xml(changes) or xml_codec.serialize(
        xml_codec.Node("config", xml_codec.NETCONF_BASE_NS)
    )


def parse_xml(resource, xml):
    return xml_codec.parse_entries(table(resource), xml)


def plan(resource, want, have, state):
    return planner.make_plan(table(resource), want, have, state)


def mask(resource, entries):
    return canonical.mask_entries(table(resource), entries)


def mask_commands(lines):
    return canonical.mask_commands(lines)


def mask_xml(xml):
    return canonical.mask_xml(xml)

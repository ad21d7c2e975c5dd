# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""get-config XML -> canonical entries, and a planned change -> a NETCONF <config> edit, from
model.py's tables. Standard library only (xml.etree for reading; writing is a few lines here so
the payload carries plain default namespaces and an ``nc:`` prefix for nc:operation).

Edits only touch what changes: list keys always present, removals as nc:operation="remove" (no
error when already absent), never a replace, so options outside the model stay as they are.
"""

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from .canonical import filled, normalise_entries
from .model import CASE, FLAG, PRESENCE, Each, Entry, common_prefix, get_option, set_option
from .paths import MOBILEIP_NS, NATIVE_NS, NETCONF_BASE_NS
from .syntax import choices


class Node:
    """An element being written: tag, namespace (inherited when None), text, nc:operation."""

    def __init__(self, tag, ns=None, text=None):
        self.tag = tag
        self.ns = ns
        self.text = text
        self.operation = None
        self.children = []

    def add(self, tag, text=None, ns=None):
        node = Node(tag, ns, text)
        self.children.append(node)
        return node

    def child(self, path):
        """The element at a relative path, created on first use (containers and leaves only)."""
        node = self
        for tag in path.split("/"):
            found = [c for c in node.children if c.tag == tag]
            node = found[0] if found else node.add(tag)
        return node

    def uses_operation(self):
        return self.operation is not None or any(c.uses_operation() for c in self.children)


def serialize(node, parent_ns=None, root=True):
    ns = node.ns or parent_ns
    attrs = f' xmlns="{ns}"' if ns != parent_ns else ""
    if root and node.uses_operation():
        attrs += f' xmlns:nc="{NETCONF_BASE_NS}"'
    if node.operation:
        attrs += f' nc:operation="{node.operation}"'
    if node.children:
        inner = "".join(serialize(c, ns, False) for c in node.children)
        return f"<{node.tag}{attrs}>{inner}</{node.tag}>"
    if node.text is not None:
        return f"<{node.tag}{attrs}>{escape(node.text)}</{node.tag}>"
    return f"<{node.tag}{attrs}/>"


# ------------------------------------------------------------------------------------------ write


def edit_xml(changes):
    """The <config> payload of a list of planner EntryChange (None when there is nothing)."""
    if not changes:
        return None
    config = Node("config", NETCONF_BASE_NS)
    mobile = config.add("native", ns=NATIVE_NS).add("ipv6").add("mobile", ns=MOBILEIP_NS)
    for change in changes:
        _entry(mobile, change)
    return serialize(config)


def _list_element(parent, yang):
    """A new list entry element at ``yang`` (its containers shared)."""
    containers, name = yang.rpartition("/")[::2]
    return (parent.child(containers) if containers else parent).add(name)


def _entry(parent, change):
    spec = change.spec
    elem = _list_element(parent, spec.yang)
    for slot in spec.keys.values():
        elem.add(slot.yang, slot.to_text(change.entry[slot.option]))
    if change.removed:
        elem.operation = "remove"
        return
    for lc in change.lines:
        (_item if isinstance(lc.part, Each) else _line)(elem, lc)
    for sub in change.subs:
        _entry(elem, sub)


def common_node(slots):
    """The YANG node a group of slots stands for: the common prefix of their paths."""
    return "/".join(common_prefix(s.yang.replace("/{}", "").split("/") for s in slots))


def _line(elem, lc):
    line = lc.part
    if not lc.after:
        elem.child(common_node(line.slots.values())).operation = "remove"
        return
    after = filled(line, lc.after)
    # A YANG case left for another: remove the old case's whole node (an empty container left
    # behind would still count as that case being set).
    left = set()
    for branches in choices(line.pattern):
        for branch in branches:
            if branch & set(lc.before) and not branch & set(after):
                elem.child(common_node(line.slots[n] for n in branch)).operation = "remove"
                left |= branch
    for name, slot in line.slots.items():
        if slot.kind == CASE:
            old = lc.before.get(name)
            if old and old != after.get(name):
                elem.child(slot.yang.format(old)).operation = "remove"
            if name in after:
                elem.child(slot.yang.format(after[name]))
        elif name in after:
            node = elem.child(slot.yang)
            if slot.kind not in (FLAG, PRESENCE):
                node.text = slot.to_text(after[name])
        elif name in lc.before and name not in left:
            elem.child(slot.yang).operation = "remove"


def _item(elem, lc):
    each = lc.part
    values = lc.before if lc.after is None else lc.after
    item = _list_element(elem, each.yang)
    for name in each.key:
        slot = each.slots[name]
        if slot.yang == ".":
            item.text = slot.to_text(values[name])
        else:
            item.add(slot.yang, slot.to_text(values[name]))
    if lc.after is None:
        item.operation = "remove"
        return
    for name, slot in each.slots.items():
        if name in each.key:
            continue
        if name in lc.after:
            item.add(slot.yang, slot.to_text(lc.after[name]))
        elif lc.before and name in lc.before:
            item.add(slot.yang).operation = "remove"


# ------------------------------------------------------------------------------------------- read


def parse_entries(spec, xml):
    """Canonical entries of ``spec`` in an rpc-reply, a <data> or a <config> document."""
    if not xml or not xml.strip():
        return []
    root = ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    for elem in root.iter():
        if isinstance(elem.tag, str) and "}" in elem.tag:
            elem.tag = elem.tag.split("}", 1)[1]
    raw = [_read_entry(spec, found) for mobile in root.iter("mobile") for found in mobile.findall(spec.yang)]
    return normalise_entries(spec, raw, "xml")


def _value(elem, slot):
    if slot.kind == CASE:
        hits = [c for c in slot.choices if elem.find(slot.yang.format(c)) is not None]
        return hits[0] if hits else None
    node = elem if slot.yang == "." else elem.find(slot.yang)
    if node is None:
        return None
    if slot.kind in (FLAG, PRESENCE):
        return True
    return slot.from_text(node.text)


def _read_entry(spec, elem):
    entry = {}
    for slot in spec.keys.values():
        entry[slot.option] = _value(elem, slot)
    for part in spec.body:
        if isinstance(part, Entry):
            subs = [_read_entry(part, found) for found in elem.findall(part.yang)]
            if subs:
                entry[part.option] = subs
        elif isinstance(part, Each):
            items = [_read_item(part, found) for found in elem.findall(part.yang)]
            items = [i for i in items if i is not None]
            if items:
                set_option(entry, part.option, items)
        else:
            for slot in part.slots.values():
                value = _value(elem, slot)
                if value is not None:
                    set_option(entry, slot.option, value)
    return entry


def _read_item(each, elem):
    if each.plain:
        return _value(elem, each.slots[each.key[0]])
    item = {}
    for slot in each.slots.values():
        value = _value(elem, slot)
        if value is not None:
            item[slot.option] = value
    return item if all(get_option(item, each.slots[k].option) is not None for k in each.key) else None

"""CLI line -> NETCONF <config> edit for the store (the same documents the NETCONF side accepts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MOBILEIP = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"

# A mode's context: the chain of nodes below /native, each (tag, ((key, value), ...)).
Chain = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def seg_name(seg: str) -> str:
    return seg.rstrip("*").removesuffix("[]")


def _ns(parent_tag: str, parent_ns: str, tag: str) -> str:
    # mobileip augments /native/ipv6 with `mobile`: that subtree is in the mobileip namespace.
    return MOBILEIP if (tag == "mobile" and parent_tag == "ipv6") else parent_ns


class _Builder:
    """Builds one <config> tree, creating each node once (one list entry per command line)."""

    def __init__(self, chain: Chain):
        self.config = ET.Element(f"{{{NC}}}config")
        self.root = ET.SubElement(self.config, f"{{{NATIVE}}}native")
        self.ctx = (self.root, "native", NATIVE)
        for tag, keys in chain:
            self.ctx = self._child(self.ctx, tag)
            for key, value in keys:
                ET.SubElement(self.ctx[0], f"{{{self.ctx[2]}}}{key}").text = value
        self.nodes: dict[str, tuple] = {"": self.ctx}

    def _child(self, parent, tag):
        elem, ptag, pns = parent
        ns = _ns(ptag, pns, tag)
        return ET.SubElement(elem, f"{{{ns}}}{tag}"), tag, ns

    def node(self, path: str, text: str | None = None, new: bool = False):
        """The element for `path` (relative to the context), created on first use."""
        if path in self.nodes and not new:
            if text is not None:
                self.nodes[path][0].text = text
            return self.nodes[path][0]
        parent_path, _, seg = path.rpartition("/")
        parent = self.nodes.get(parent_path, None)
        if parent is None:
            self.node(parent_path)
            parent = self.nodes[parent_path]
        made = self._child(parent, seg_name(seg))
        if text is not None:
            made[0].text = text
        self.nodes[path] = made
        return made[0]

    def xml(self) -> str:
        return ET.tostring(self.config, encoding="unicode")


def set_edit(chain: Chain, command, bindings, replace: bool) -> str:
    """A merge of the line's values; the line's own node is replaced when it is a whole
    container or list entry (re-entering a command on IOS drops its omitted options)."""
    b = _Builder(chain)
    if command.target:
        target = b.node(command.target) if not _is_leaf_list(command) else None
        if replace and target is not None and not command.target_is_leaf:
            target.set(f"{{{NC}}}operation", "replace")
    for path, value, *_ in bindings:
        leaf_list = path.endswith("[]")
        b.node(path, text=value if value is not None else None, new=leaf_list)
    return b.xml()


def delete_edit(chain: Chain, command, bindings) -> str:
    """`no` form: remove the line's node (silently when absent, as IOS does)."""
    values = {b[0]: b[1] for b in bindings}
    b = _Builder(chain)
    if _is_leaf_list(command):
        elem = b.node(command.target, text=values[command.target])
    else:
        elem = b.node(command.target)
        for key in command.keys:
            b.node(key, text=values[key])
    elem.set(f"{{{NC}}}operation", "remove")
    return b.xml()


def _is_leaf_list(command) -> bool:
    return command.target in command.paths and command.target.endswith("[]")


def enter_chain(chain: Chain, command, bindings) -> Chain:
    """The context of the sub-mode a line enters: the chain extended down to its node."""
    values = {b[0]: b[1] for b in bindings}
    segs = command.target.split("/")
    out = list(chain)
    for i, seg in enumerate(segs):
        prefix = "/".join(segs[: i + 1])
        keys = ()
        if seg.endswith("[]"):
            keys = tuple(
                (seg_name(k.rpartition("/")[2]), values[k])
                for k in command.keys
                if k.rpartition("/")[0] == prefix
            )
        out.append((seg_name(seg), keys))
    return tuple(out)

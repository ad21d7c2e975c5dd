"""Store XML -> IOS running-config text, through the same command table the parser uses.

Rendering choices (reference §2.3 leaves them open): values are shown exactly as stored, so a
default that was set explicitly is shown and an unset default is hidden; a boolean whose default is
true is shown as `no <cmd>` when false; lines follow the command table's order inside a mode, with
sub-modes last; each top-level block ends with `!`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .commands import MODES
from .edit import seg_name
from .grammar import Kw, unparse


def strip_ns(elem: ET.Element) -> ET.Element:
    for e in elem.iter():
        if isinstance(e.tag, str) and "}" in e.tag:
            e.tag = e.tag.split("}", 1)[1]
    return elem


def native_of(data_xml: str) -> ET.Element:
    """The <native> element of a get-config <data> reply (an empty one when nothing is set)."""
    root = strip_ns(ET.fromstring(data_xml))
    if root.tag == "native":
        return root
    found = root.find("native")
    return found if found is not None else ET.Element("native")


def find_all(elem: ET.Element, path: str) -> list[ET.Element]:
    nodes = [elem]
    for seg in path.split("/"):
        nodes = [c for n in nodes for c in n.findall(seg_name(seg))]
    return nodes


def _lookup(ctx: ET.Element, scope: str, entry: ET.Element | None):
    def lookup(path: str):
        base, rel = ctx, path
        if entry is not None and path.startswith(scope + "/"):
            base, rel = entry, path[len(scope) + 1 :]
        elif entry is not None and path == scope:
            return entry.text or ""
        found = find_all(base, rel)
        return None if not found else (found[0].text or "")

    return lookup


def render_mode(mode: str, ctx: ET.Element, depth: int = 0) -> list[str]:
    lines: list[str] = []
    indent = " " * depth
    for cmd in MODES[mode]:
        for entry, lookup in _instances(cmd, ctx):
            if cmd.no_value is not None and lookup(cmd.paths[0]) == cmd.no_value:
                words = [i.word for i in cmd.grammar.items if isinstance(i, Kw)]
                lines.append(indent + "no " + " ".join(words))
                continue
            result = unparse(cmd.grammar, lookup)
            if result is None or not result[1]:
                continue
            lines.append(indent + " ".join(result[0]))
            if cmd.enter:
                lines += render_mode(cmd.enter, entry, depth + 1)
                if depth == 0:
                    lines.append("!")
    return lines


def _instances(cmd, ctx):
    """(context for a sub-mode, lookup) for each line the command renders to."""
    target = cmd.target
    if target.endswith("[]"):
        # One line per list entry, or per value of a leaf-list.
        for entry in find_all(ctx, target):
            yield entry, _lookup(ctx, target, entry)
    else:
        found = find_all(ctx, target) if target else [ctx]
        yield (found[0] if found else ctx), _lookup(ctx, "", None)


def render_config(data_xml: str) -> list[str]:
    """The configuration lines below `version`/`hostname`, from get_config()'s XML."""
    return render_mode("config", native_of(data_xml))


def running_config(hostname: str, data_xml: str) -> str:
    body = [
        "!",
        "version 17.18",
        "!",
        f"hostname {hostname}",
        "!",
        *render_config(data_xml),
        "!",
        "end",
    ]
    text = "\n".join(body) + "\n"
    header = ["Building configuration...", "", f"Current configuration : {len(text)} bytes"]
    return "\n".join(header) + "\n" + text

"""ietf-yang-library (RFC 7895) ``/modules-state`` of the emulated release, served through <get>.

IOS-XE 17.10 and later list Cisco-IOS-XE-mobileip only here, not in the hello, so a client that
looks for the model must read this tree. For 17.18.1 the module set is Cisco's captured reply
(shared/yang/hello/17181-yang-set-c8000v.xml, read from there, never copied); for a release without
a capture it is built from the module capabilities of the hello.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qs

from lxml import etree

from .capabilities import hello_dir
from .schema import SchemaNode
from .subtree import subtree_filter

NS = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
YANG_SET_FILES = {"17.18.1": "17181-yang-set-c8000v.xml"}

# The part of the RFC 7895 schema the subtree filter needs: which nodes are lists and their keys.
_MODULE = SchemaNode(
    "module",
    NS,
    "list",
    ("name", "revision"),
    _children={
        (NS, leaf): SchemaNode(leaf, NS, "leaf", _children={})
        for leaf in ("name", "revision", "schema", "namespace", "conformance-type", "feature")
    },
)
ROOT = SchemaNode(
    "data",
    "",
    "container",
    _children={
        (NS, "modules-state"): SchemaNode(
            "modules-state",
            NS,
            "container",
            _children={
                (NS, "module"): _MODULE,
                (NS, "module-set-id"): SchemaNode("module-set-id", NS, "leaf"),
            },
        )
    },
)


def _captured(release: str):
    path = hello_dir() / YANG_SET_FILES.get(release, "-")
    if not path.is_file():
        return None
    text = path.read_bytes()
    root = etree.fromstring(text[text.index(b"<") :])  # the capture starts with a line of tool output
    return next(root.iter(f"{{{NS}}}modules-state"), None)


def _from_capabilities(capabilities: list[str]):
    state = etree.Element(f"{{{NS}}}modules-state", nsmap={None: NS})
    etree.SubElement(state, f"{{{NS}}}module-set-id").text = "emulated"
    for cap in capabilities:
        namespace, _, query = cap.partition("?")
        args = parse_qs(query)
        if "module" not in args:
            continue
        module = etree.SubElement(state, f"{{{NS}}}module")
        etree.SubElement(module, f"{{{NS}}}name").text = args["module"][0]
        etree.SubElement(module, f"{{{NS}}}revision").text = args.get("revision", [""])[0]
        etree.SubElement(module, f"{{{NS}}}namespace").text = namespace
        etree.SubElement(module, f"{{{NS}}}conformance-type").text = "implement"
    return state


@functools.lru_cache(maxsize=8)
def _modules_state(release: str, capabilities: tuple[str, ...]) -> bytes:
    state = _captured(release)
    if state is None:
        state = _from_capabilities(list(capabilities))
    return etree.tostring(state)


def select(filter_elem, release: str, capabilities) -> list:
    """The yang-library nodes a <get> subtree filter selects (top-level elements)."""
    data = etree.Element("data")
    data.append(etree.fromstring(_modules_state(release, tuple(capabilities))))
    return list(subtree_filter(data, filter_elem, ROOT))


def asks_for_library(filter_elem) -> bool:
    return filter_elem is not None and any(
        isinstance(c.tag, str) and etree.QName(c).namespace == NS for c in filter_elem
    )

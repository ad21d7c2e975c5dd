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


def _leaf(name: str) -> SchemaNode:
    return SchemaNode(name, NS, "leaf", _children={})


def _node(name: str, kind: str, keys=(), children=()) -> SchemaNode:
    return SchemaNode(name, NS, kind, tuple(keys), _children={(NS, c.name): c for c in children})


# The part of the two schemas the subtree filter needs: which nodes are lists, and their keys.
_OLD_MODULE_LEAVES = ("name", "revision", "schema", "namespace", "conformance-type", "feature")
_NEW_MODULE_LEAVES = ("name", "revision", "namespace")
ROOT = _node(
    "data",
    "container",
    children=[
        _node(
            "modules-state",
            "container",
            children=[
                _node("module", "list", ("name", "revision"), [_leaf(x) for x in _OLD_MODULE_LEAVES]),
                _leaf("module-set-id"),
            ],
        ),
        _node(
            "yang-library",
            "container",
            children=[
                _leaf("content-id"),
                _node(
                    "module-set",
                    "list",
                    ("name",),
                    [
                        _leaf("name"),
                        _node("module", "list", ("name",), [_leaf(x) for x in _NEW_MODULE_LEAVES]),
                        _node(
                            "import-only-module",
                            "list",
                            ("name", "revision"),
                            [_leaf(x) for x in _NEW_MODULE_LEAVES],
                        ),
                    ],
                ),
            ],
        ),
    ],
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


def _yang_library(state):
    """RFC 8525's shape of an RFC 7895 module list: implemented modules and import-only ones."""
    library = etree.Element(f"{{{NS}}}yang-library", nsmap={None: NS})
    module_set = etree.SubElement(library, f"{{{NS}}}module-set")
    etree.SubElement(module_set, f"{{{NS}}}name").text = "complete"
    for module in state.iterfind(f"{{{NS}}}module"):
        if not module.findtext(f"{{{NS}}}name"):
            continue  # the 17.18.1 capture has two entries without a name (tailf kicker, progress)
        implemented = module.findtext(f"{{{NS}}}conformance-type") == "implement"
        entry = etree.SubElement(module_set, f"{{{NS}}}{'module' if implemented else 'import-only-module'}")
        for leaf in _NEW_MODULE_LEAVES:
            etree.SubElement(entry, f"{{{NS}}}{leaf}").text = module.findtext(f"{{{NS}}}{leaf}") or ""
    etree.SubElement(library, f"{{{NS}}}content-id").text = state.findtext(f"{{{NS}}}module-set-id") or ""
    return library


@functools.lru_cache(maxsize=8)
def _library_data(release: str, capabilities: tuple[str, ...]) -> bytes:
    """Both trees of the release, serialised (each <get> filters its own parsed copy)."""
    state = _captured(release)
    if state is None:
        state = _from_capabilities(list(capabilities))
    data = etree.Element("data")
    data.extend([state, _yang_library(state)])
    return etree.tostring(data)


def select(filter_elem, release: str, capabilities) -> list:
    """The yang-library nodes a <get> subtree filter selects (top-level elements)."""
    data = etree.fromstring(_library_data(release, tuple(capabilities)))
    return list(subtree_filter(data, filter_elem, ROOT))


def asks_for_library(filter_elem) -> bool:
    return filter_elem is not None and any(
        isinstance(c.tag, str) and etree.QName(c).namespace == NS for c in filter_elem
    )

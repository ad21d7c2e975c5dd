"""The edit-config engine (RFC 6241 §7.2) over lxml trees, guided by the YANG schema.

It only restructures the tree: merge / replace / create / delete / remove / none, with list entries
matched by their keys and leaf-list entries by value. Types, ranges and `must` rules are checked
afterwards on the whole result by libyang (schema.py), so an edit is all-or-nothing.
"""

from __future__ import annotations

from lxml import etree

from .errors import RpcError
from .schema import SchemaNode

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
OPERATION = f"{{{NC_NS}}}operation"
OPERATIONS = ("merge", "replace", "create", "delete", "remove", "none")
_CREATING = ("merge", "replace", "create")


def qname(elem) -> tuple[str | None, str]:
    q = etree.QName(elem)
    return q.namespace, q.localname


def elements(parent):
    """Child elements only (no comments or processing instructions)."""
    return [c for c in parent if isinstance(c.tag, str)]


def _text(elem) -> str:
    return (elem.text or "").strip()


def _quote(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


def key_values(elem, snode: SchemaNode, path: str) -> list[tuple[str, str]]:
    """The (key, value) pairs of a list entry; a missing key is a missing-element error."""
    pairs = []
    for key in snode.keys:
        found = next((c for c in elements(elem) if qname(c)[1] == key), None)
        if found is None:
            raise RpcError(
                "missing-element",
                f'List instance is missing its key "{key}".',
                path=path,
                info={"bad-element": key},
            )
        pairs.append((key, _text(found)))
    return pairs


def step(elem, snode: SchemaNode, path: str) -> str:
    """One error-path step, with key predicates for list entries."""
    if snode.kind == "list":
        keys = key_values(elem, snode, path + "/" + snode.name)
        return snode.name + "".join(f"[{k}={_quote(v)}]" for k, v in keys)
    return snode.name


def find(data_parent, edit, snode: SchemaNode, path: str):
    """The data node that an edit element addresses, or None."""
    tag = f"{{{snode.ns}}}{snode.name}"
    candidates = [c for c in data_parent if c.tag == tag]
    if snode.kind == "list":
        wanted = key_values(edit, snode, path)
        for cand in candidates:
            if key_values(cand, snode, path) == wanted:
                return cand
        return None
    if snode.kind == "leaf-list":
        return next((c for c in candidates if _text(c) == _text(edit)), None)
    return candidates[0] if candidates else None


def _operation(edit, inherited: str, path: str) -> str:
    op = edit.get(OPERATION, inherited)
    if op not in OPERATIONS:
        raise RpcError(
            "bad-attribute",
            f'Bad operation "{op}".',
            error_type="protocol",
            path=path,
            info={"bad-attribute": "operation", "bad-element": qname(edit)[1]},
        )
    return op


def _schema_child(snode: SchemaNode, edit, path: str) -> SchemaNode:
    ns, name = qname(edit)
    child = snode.child(ns, name)
    if child is None:
        raise RpcError(
            "unknown-element",
            f'Node "{name}" not found as a child of "{snode.name}" node.',
            path=path,
            info={"bad-element": name},
        )
    return child


def clean_copy(edit, snode: SchemaNode, path: str):
    """A data copy of an edit subtree: schema namespaces, no operation attributes, deletions dropped."""
    node = etree.Element(f"{{{snode.ns}}}{snode.name}")
    if snode.kind in ("leaf", "leaf-list"):
        node.text = _text(edit) or None
        return node
    for sub in elements(edit):
        if sub.get(OPERATION) in ("delete", "remove"):
            continue
        child = _schema_child(snode, sub, path)
        node.append(clean_copy(sub, child, path + "/" + child.name))
    return node


def _has_creating_op(edit) -> bool:
    return any(e.get(OPERATION) in _CREATING for e in edit.iter() if isinstance(e.tag, str))


def _new_entry(data_parent, edit, snode: SchemaNode, path: str):
    """An empty container or a list entry holding only its keys, appended to data_parent."""
    node = etree.SubElement(data_parent, f"{{{snode.ns}}}{snode.name}")
    for key, value in key_values(edit, snode, path) if snode.kind == "list" else ():
        etree.SubElement(node, f"{{{snode.ns}}}{key}").text = value
    return node


def apply(edit_parent, data_parent, snode: SchemaNode, inherited: str, path: str = "") -> None:
    """Apply the children of edit_parent to data_parent (both lxml elements) in place."""
    for edit in elements(edit_parent):
        child = _schema_child(snode, edit, path or "/")
        cpath = f"{path}/{step(edit, child, path)}"
        op = _operation(edit, inherited, cpath)
        _apply_one(edit, data_parent, child, op, cpath)


def _apply_one(edit, data_parent, snode: SchemaNode, op: str, path: str) -> None:
    existing = find(data_parent, edit, snode, path)
    if op == "create" and existing is not None:
        raise RpcError("data-exists", "Data already exists; cannot create it.", path=path)
    if op == "delete" and existing is None:
        raise RpcError("data-missing", "Data is missing; cannot delete it.", path=path)
    if op in ("delete", "remove"):
        if existing is not None:
            data_parent.remove(existing)
        return
    if op == "replace":
        fresh = clean_copy(edit, snode, path)
        if existing is not None:
            existing.addprevious(fresh)
            data_parent.remove(existing)
        else:
            data_parent.append(fresh)
        return
    leafy = snode.kind in ("leaf", "leaf-list")
    if op == "none":
        if leafy or (existing is None and not _has_creating_op(edit)):
            # Nothing to create here; descend only to report deletes of missing data.
            if not leafy and existing is None:
                apply(edit, etree.Element("scratch"), snode, "none", path)
            return
        apply(
            edit,
            existing if existing is not None else _new_entry(data_parent, edit, snode, path),
            snode,
            op,
            path,
        )
        return
    # merge or create
    if leafy:
        if existing is None:
            data_parent.append(clean_copy(edit, snode, path))
        elif snode.kind == "leaf":
            existing.text = _text(edit) or None
        return
    target = existing if existing is not None else _new_entry(data_parent, edit, snode, path)
    apply(edit, target, snode, "merge", path)

"""RFC 6241 §6 subtree filtering (and a plain XPath filter) over the datastore's lxml tree.

Selection nodes (empty elements) select whole subtrees, containment nodes descend, content-match
nodes (leaves with text) must all match for their siblings to be selected; list entries always
carry their keys. A filter element without a namespace matches by local name.
"""

from __future__ import annotations

import copy

from lxml import etree

from .edit import elements, qname
from .schema import SchemaNode


def _matches(data, flt) -> bool:
    fns, fname = qname(flt)
    dns, dname = qname(data)
    return fname == dname and (fns is None or fns == dns)


def _is_content_match(flt) -> bool:
    return not elements(flt) and bool((flt.text or "").strip())


def _filter(data, flt, snode: SchemaNode | None):
    """A filtered copy of data (an element matching flt), or None when nothing is selected."""
    children = elements(flt)
    if not children:
        return copy.deepcopy(data)
    matches = [c for c in children if _is_content_match(c)]
    others = [c for c in children if not _is_content_match(c)]
    selected = []
    for cm in matches:
        hits = [d for d in elements(data) if _matches(d, cm) and (d.text or "").strip() == cm.text.strip()]
        if not hits:
            return None
        selected.extend(hits)
    if not others:
        return copy.deepcopy(data)  # only content matches: the whole entry is selected
    out = etree.Element(data.tag, nsmap=data.nsmap)
    keys = snode.keys if snode is not None else ()
    picked = {id(d) for d in selected}
    found = False
    index: dict = {}
    for sub in others:
        for d in elements(data):
            if not _matches(d, sub):
                continue
            child = snode.child(qname(d)[0], qname(d)[1]) if snode is not None else None
            result = _filter(d, sub, child)
            if result is not None:
                found = True
                _merge(out, result, child, index)
    if not found and not matches:
        return None
    # Keys and matched leaves first, in data order, then the selected subtrees.
    head = [copy.deepcopy(d) for d in elements(data) if qname(d)[1] in keys or id(d) in picked]
    for i, leaf in enumerate(head):
        if not any(c.tag == leaf.tag and c.text == leaf.text for c in out):
            out.insert(i, leaf)
    return out


def _identity(elem, snode: SchemaNode | None):
    if snode is None:
        return (elem.tag, (elem.text or "").strip())
    if snode.kind == "list":
        return (elem.tag, tuple((c.text or "").strip() for c in elements(elem) if qname(c)[1] in snode.keys))
    if snode.kind == "leaf-list":
        return (elem.tag, (elem.text or "").strip())
    return (elem.tag,)


def _merge(out, result, snode: SchemaNode | None, index: dict | None = None) -> None:
    """Add a filtered subtree to out, merging with an earlier selection of the same node.

    ``index`` (identity -> element already in out) keeps merging many list entries linear."""
    ident = _identity(result, snode)
    if index is None:
        index = {_identity(e, snode): e for e in elements(out) if e.tag == result.tag}
    existing = index.get(ident)
    if existing is None:
        out.append(result)
        index[ident] = result
        return
    if snode is not None and snode.kind in ("container", "list"):
        for sub in elements(result):
            _merge(existing, sub, snode.child(*qname(sub)))


def subtree_filter(data_root, filter_elem, schema_root: SchemaNode):
    """Filter the children of data_root with the children of filter_elem; returns a new <data> element."""
    out = etree.Element(data_root.tag, nsmap=data_root.nsmap)
    for flt in elements(filter_elem):
        for data in elements(data_root):
            if _matches(data, flt):
                snode = schema_root.child(*qname(data))
                result = _filter(data, flt, snode)
                if result is not None:
                    _merge(out, result, snode)
    return out


def xpath_filter(data_root, select: str, namespaces: dict, schema_root: SchemaNode):
    """Nodes selected by an XPath expression, with their ancestors (and ancestors' list keys)."""
    out = etree.Element(data_root.tag, nsmap=data_root.nsmap)
    nsmap = {k: v for k, v in namespaces.items() if k}
    for node in data_root.xpath(select, namespaces=nsmap):
        if not isinstance(node, etree._Element) or node is data_root:
            continue
        chain = [node]
        while chain[-1].getparent() is not data_root:
            chain.append(chain[-1].getparent())
        chain.reverse()
        piece = copy.deepcopy(node)
        snodes = []
        snode = schema_root
        for anc in chain:
            snode = snode.child(*qname(anc)) if snode is not None else None
            snodes.append(snode)
        for anc, sn in zip(reversed(chain[:-1]), reversed(snodes[:-1]), strict=True):
            wrapper = etree.Element(anc.tag, nsmap={None: qname(anc)[0]})
            for c in elements(anc):
                if sn is not None and qname(c)[1] in sn.keys:
                    wrapper.append(copy.deepcopy(c))
            wrapper.append(piece)
            piece = wrapper
        _merge(out, piece, snodes[0])
    return out

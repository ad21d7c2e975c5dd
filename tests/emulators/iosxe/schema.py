"""YANG schema and validation for the emulated IOS-XE configuration (libyang).

The schema is Cisco's Cisco-IOS-XE-mobileip (from shared/yang, never copied into the project) compiled
against the emulator's own small stand-in for Cisco-IOS-XE-native (``yang/Cisco-IOS-XE-native.yang``).
``PMIPV6_YANG_DIR`` overrides the directory holding Cisco's files; ``IOSXE_EMU_NATIVE=cisco`` uses Cisco's
full native model from that directory instead of the stub (slower, same PMIPv6 rules).

One compiled context is shared by every device in the process; libyang keeps its last errors per
context, so every use goes through ``SCHEMA_LOCK``.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import libyang
from _libyang import ffi, lib
from libyang.util import c2str

NATIVE_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MOBILEIP_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"
STUB_DIR = Path(__file__).resolve().parent / "yang"
_REPO = Path(__file__).resolve().parents[3]


def _origin_checkout() -> Path | None:
    """The local checkout this one was cloned from (a clean CI clone's origin), if any."""
    try:
        done = subprocess.run(["git", "-C", str(_REPO), "remote", "get-url", "origin"],
                              capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    except OSError:
        return None
    url = done.stdout.strip().removeprefix("file://")
    return Path(url) if done.returncode == 0 and url.startswith("/") else None


def _shared_yang() -> Path:
    """The team's shared/yang: beside the checkout (../shared) or one of its parents, else beside
    the checkout a clean clone was made from (CI clones the main checkout somewhere else)."""
    origin = _origin_checkout()
    for start in (_REPO, *((origin,) if origin else ())):
        for parent in start.parents:
            if (parent / "shared" / "yang").is_dir():
                return parent / "shared" / "yang"
    return _REPO.parent / "shared" / "yang"


DEFAULT_YANG_DIR = _shared_yang() / "cisco-xe-17.18.1"
SCHEMA_LOCK = threading.RLock()

# Store errors with their data path instead of logging them (path resolution must be switched on).
lib.ly_log_options(lib.LY_LOSTORE)
lib.ly_set_log_clb(lib.lypy_log_cb, True)


def yang_dir(override: str | None = None) -> Path:
    """Directory with Cisco's mobileip closure: argument, else $PMIPV6_YANG_DIR, else ../shared/yang."""
    path = Path(override or os.environ.get("PMIPV6_YANG_DIR") or DEFAULT_YANG_DIR)
    if not (path / "Cisco-IOS-XE-mobileip.yang").is_file():
        raise FileNotFoundError(f"Cisco-IOS-XE-mobileip.yang not found in {path} (set PMIPV6_YANG_DIR)")
    return path


@dataclass
class YangIssue:
    """One libyang error: message, data path (libyang form), app-tag."""

    message: str
    path: str | None = None
    app_tag: str | None = None


class YangValidationError(Exception):
    def __init__(self, issues: list[YangIssue]):
        super().__init__(issues[0].message if issues else "validation failed")
        self.issues = issues


_LOCATION = re.compile(r'Data location "([^"]+)"')


class _Context(libyang.Context):
    """A context whose errors keep libyang's structured items (message, path, app-tag)."""

    def error(self, msg, *args):
        issues = []
        item = lib.ly_err_first(self.cdata)
        while item:
            where = _LOCATION.search(c2str(item.path) or "") if item.path else None
            issues.append(
                YangIssue(
                    message=c2str(item.msg) or msg,
                    path=where.group(1) if where else None,
                    app_tag=c2str(item.apptag) if item.apptag else None,
                )
            )
            item = item.next
        lib.ly_err_clean(self.cdata, ffi.NULL)
        return YangValidationError(issues or [YangIssue(msg % args if args else msg)])


@dataclass
class SchemaNode:
    """What the edit engine needs to know about a data node."""

    name: str
    ns: str
    kind: str  # container | list | leaf | leaf-list
    keys: tuple[str, ...] = ()
    presence: bool = False
    _snode: object = None
    _children: dict | None = field(default=None, repr=False)

    def child(self, ns: str | None, name: str) -> SchemaNode | None:
        if self._children is None:
            self._children = {}
            if self._snode is not None and self.kind in ("container", "list"):
                for sub in self._snode.children():
                    node = _wrap(sub)
                    self._children[(node.ns, node.name)] = node
        if ns is None:  # an element without a namespace matches by name only
            return next((c for (_, n), c in self._children.items() if n == name), None)
        return self._children.get((ns, name))


def _wrap(snode) -> SchemaNode:
    kind = snode.keyword()
    keys = tuple(k.name() for k in snode.keys()) if kind == "list" else ()  # noqa: SIM118 (a method)
    presence = bool(kind == "container" and snode.presence())
    ns = c2str(snode.module().cdata.ns)
    return SchemaNode(snode.name(), ns, kind, keys, presence, snode)


class Schema:
    """The compiled model: schema lookups for the edit engine and whole-tree validation."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ctx = _Context(str(directory))
        if os.environ.get("IOSXE_EMU_NATIVE", "stub") != "cisco":
            with open(STUB_DIR / "Cisco-IOS-XE-native.yang") as stub:
                self.ctx.parse_module_file(stub)  # loaded first so the mobileip import binds to the stub
        self.ctx.load_module("Cisco-IOS-XE-mobileip")
        native = next(self.ctx.find_path("/Cisco-IOS-XE-native:native"))
        self.root = SchemaNode("<root>", "", "container")
        self.root._children = {(NATIVE_NS, "native"): _wrap(native)}

    def parse(self, xml: str, validate: bool = True) -> str:
        """Validate a config document (top-level elements, no wrapper) and return it canonicalised.

        Raises YangValidationError. ``validate=False`` checks syntax, types and ranges only (what a
        candidate datastore accepts before commit)."""
        with SCHEMA_LOCK:
            if not xml.strip():
                return ""
            tree = self.ctx.parse_data_mem(
                xml,
                "xml",
                strict=True,
                no_state=True,
                parse_only=not validate,
                validate_present=validate,
            )
            if tree is None:
                return ""
            try:
                return tree.print_mem("xml", with_siblings=True, pretty=False)
            finally:
                tree.free()

    def with_defaults(self, xml: str) -> str:
        """The same document with every default value filled in (with-defaults report-all)."""
        with SCHEMA_LOCK:
            if not xml.strip():
                return ""
            tree = self.ctx.parse_data_mem(xml, "xml", strict=True, no_state=True, parse_only=True)
            if tree is None:
                return ""
            try:
                tree.add_defaults(no_state=True)
                return tree.print_mem("xml", with_siblings=True, pretty=False, include_implicit_defaults=True)
            finally:
                tree.free()


_SCHEMAS: dict[Path, Schema] = {}


def load_schema(override: str | None = None) -> Schema:
    """The process-wide compiled schema for a YANG directory (compiled once, about 10 ms with the stub)."""
    directory = yang_dir(override).resolve()
    with SCHEMA_LOCK:
        if directory not in _SCHEMAS:
            _SCHEMAS[directory] = Schema(directory)
        return _SCHEMAS[directory]

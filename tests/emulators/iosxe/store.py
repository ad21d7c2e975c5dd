"""The configuration store of one emulated IOS-XE 17.x router.

Contract (the NETCONF server and the SSH CLI both drive a Device; keep these names stable):

``Device(hostname, candidate=False, yang_dir=None)``
    Datastores ``running``, ``startup`` and, with ``candidate=True``, ``candidate``. ``device.hostname``
    follows ``/native/hostname`` of running.
``get_config(source="running", filter_xml=None, with_defaults=None) -> str``
    ``<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">…</data>``; ``filter_xml`` is a subtree
    filter (a ``<filter>`` element or bare top-level elements); ``with_defaults="report-all"`` fills
    in YANG defaults.
``edit_config(target, config_xml, default_operation="merge", error_option="rollback-on-error",
test_option="test-then-set", session=None) -> None``
    Atomic: the whole resulting datastore is validated against Cisco's YANG (libyang); on any error an
    RpcError is raised and the datastore is unchanged. Edits of ``candidate`` check types and ranges
    only; ``must`` rules are checked by ``validate("candidate")`` and ``commit()``.
``commit(session=None)``, ``discard_changes(session=None)``, ``validate(source="running", config_xml=None)``
``save()``  running -> startup (cisco-ia:save-config, ``write memory``)
``lock(target, session)``, ``unlock(target, session)``, ``release(session)`` (drop a session's locks)
``seed_xml(xml)``, ``Device.from_running_config_xml(xml, ...)``, ``seed_cli(text)`` (delegates to
``cli.seed_running_config(device, text)``)

A session is any object (the NETCONF server passes its session, with a ``session_id``); a datastore
locked by one session refuses edits from every other one, ``session=None`` included (``in-use``).
Errors are ``errors.RpcError`` (tag, message, path, app_tag, info, error_type).

``config_xml`` is a NETCONF ``<config>`` element as sent on the wire (a bare ``<native>`` works too),
with ``nc:operation`` attributes (``xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"``): merge,
replace, create, delete, remove; ``default_operation`` may also be ``none``. Example: a domain and
a MAG (the MAG's ``domain`` must name an existing pmipv6-domain, lifetimes are multiples of 4)::

    <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
      <native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native">
        <ipv6>
          <mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">
            <pmipv6-domain>
              <domain>dn1</domain>
              <domain-options>
                <lma><identifier>lma1</identifier><ipv6-address>2001:db8::1</ipv6-address></lma>
                <nai><realm>alice@example.com</realm><lma>lma1</lma></nai>
              </domain-options>
            </pmipv6-domain>
            <pmipv6-mag>
              <mag-name>mag1</mag-name>
              <domain>dn1</domain>
              <binding><lifetime>3600</lifetime></binding>
              <interface><interface-name>GigabitEthernet2</interface-name></interface>
              <lma><lma-id>lma1</lma-id><domain>dn1</domain><ipv6-address>2001:db8::1</ipv6-address></lma>
            </pmipv6-mag>
          </mobile>
        </ipv6>
      </native>
    </config>

Deleting one leaf: ``<binding><lifetime nc:operation="delete"/></binding>`` inside that pmipv6-mag.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from . import device_rules, edit
from .errors import RpcError
from .schema import NATIVE_NS, YangValidationError, load_schema
from .subtree import subtree_filter, xpath_filter

NC_NS = edit.NC_NS
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
_MODULE_PREFIX = re.compile(r"(?<=/)[A-Za-z][\w.-]*:")
_DEFAULT_OPS = ("merge", "replace", "none")
_ERROR_OPTIONS = ("stop-on-error", "continue-on-error", "rollback-on-error")
_TEST_OPTIONS = ("test-then-set", "set", "test-only")


def parse_xml(text: str | bytes):
    try:
        return etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise RpcError("malformed-message", f"malformed XML: {exc}", error_type="rpc") from exc


def _top_level(root):
    """The top-level data nodes of a <config>, <data>, <rpc-reply><data> or bare <native> document."""
    name = etree.QName(root).localname
    if name == "rpc-reply":
        root = next((c for c in edit.elements(root) if etree.QName(c).localname == "data"), root)
        name = "data"
    return edit.elements(root) if name in ("config", "data", "filter") else [root]


def _wrap(text: str):
    return parse_xml(f'<data xmlns="{NC_NS}">{text}</data>')


def _unwrap(data_root) -> str:
    return "".join(etree.tostring(c, encoding="unicode") for c in edit.elements(data_root))


def _yang_error(exc: YangValidationError) -> RpcError:
    issue = exc.issues[0]
    path = _MODULE_PREFIX.sub("", issue.path) if issue.path else None
    message = issue.message
    tag = "invalid-value"
    if "not found as a child" in message:
        tag = "unknown-element"
    elif "missing its key" in message:
        tag = "missing-element"
    elif message.startswith("Mandatory node"):
        tag = "data-missing"
    elif message.startswith("Too many"):
        tag = "operation-failed"
    info = {"bad-element": path.rsplit("/", 1)[-1].split("[", 1)[0]} if path else {}
    return RpcError(tag, message, path=path, app_tag=issue.app_tag, info=info)


class Device:
    """One emulated router: its datastores, their locks, and YANG validation of every change."""

    def __init__(self, hostname: str, candidate: bool = False, yang_dir: str | None = None):
        self.schema = load_schema(yang_dir)
        self.candidate_enabled = candidate
        self._mutex = threading.RLock()
        self._locks: dict[str, object] = {}
        self._dirty = False
        base = self._validated(f'<native xmlns="{NATIVE_NS}"><hostname>{hostname}</hostname></native>')
        self._ds = {"running": base, "startup": base}
        if candidate:
            self._ds["candidate"] = base
        self.hostname = hostname
        # Test knob: seconds every NETCONF reply and CLI command waits (clients' command timeouts).
        self.reply_delay = 0.0
        # Test knob: datastores whose <lock> this device does not implement (operation-not-supported).
        self.unlockable: set[str] = set()

    # -- reading --------------------------------------------------------------------------------
    @property
    def datastores(self) -> tuple[str, ...]:
        return tuple(self._ds)

    def _source(self, name: str) -> str:
        if name not in self._ds:
            raise RpcError("invalid-value", f"datastore {name!r} is not supported", error_type="protocol")
        return self._ds[name]

    def get_config(
        self, source: str = "running", filter_xml: str | None = None, with_defaults: str | None = None
    ) -> str:
        with self._mutex:
            text = self._source(source)
        if with_defaults in ("report-all", "report-all-tagged"):
            text = self.schema.with_defaults(text)
        data = _wrap(text)
        if filter_xml is not None and filter_xml.strip():
            flt = parse_xml(filter_xml)
            if etree.QName(flt).localname == "filter" and flt.get("type") == "xpath":
                data = xpath_filter(data, flt.get("select", ""), flt.nsmap, self.schema.root)
            else:
                holder = flt if etree.QName(flt).localname == "filter" else etree.Element("filter")
                if holder is not flt:
                    holder.append(flt)
                data = subtree_filter(data, holder, self.schema.root)
        return etree.tostring(data, encoding="unicode")

    # -- writing --------------------------------------------------------------------------------
    def _validated(self, text: str, full: bool = True) -> str:
        """Canonical text of a datastore, or the RpcError the device would answer."""
        try:
            canonical = self.schema.parse(text, validate=full)
        except YangValidationError as exc:
            raise _yang_error(exc) from None
        if full:
            device_rules.check(_wrap(canonical))
        return canonical

    def _check_lock(self, target: str, session) -> None:
        owner = self._locks.get(target)
        if owner is not None and owner is not session:
            sid = getattr(owner, "session_id", 0)
            raise RpcError(
                "in-use",
                f"the configuration database is locked by session {sid}",
                error_type="protocol",
                info={"session-id": sid},
            )

    def edit_config(
        self,
        target: str,
        config_xml: str,
        default_operation: str = "merge",
        error_option: str = "rollback-on-error",
        test_option: str = "test-then-set",
        session: object | None = None,
    ) -> None:
        # Every error-option behaves as rollback-on-error: the edit is validated as a whole first.
        for value, allowed, name in (
            (default_operation, _DEFAULT_OPS, "default-operation"),
            (error_option, _ERROR_OPTIONS, "error-option"),
            (test_option, _TEST_OPTIONS, "test-option"),
        ):
            if value not in allowed:
                raise RpcError("invalid-value", f"bad {name} {value!r}", error_type="protocol")
        if target == "startup" or target not in self._ds:
            raise RpcError("invalid-value", f"cannot edit datastore {target!r}", error_type="protocol")
        config = parse_xml(config_xml)
        edit_root = etree.Element("config")
        edit_root.extend(_top_level(config))
        with self._mutex:
            self._check_lock(target, session)
            data = _wrap(self._ds[target])
            edit.apply(edit_root, data, self.schema.root, default_operation)
            new = self._validated(_unwrap(data), full=target != "candidate")
            if test_option == "test-only":
                return
            self._store(target, new)

    def _store(self, target: str, text: str) -> None:
        self._ds[target] = text
        if target == "candidate":
            self._dirty = text != self._ds["running"]
            return
        if target == "running":
            if "candidate" in self._ds and not self._dirty:
                self._ds["candidate"] = text
            host = _wrap(text).findtext(f"{{{NATIVE_NS}}}native/{{{NATIVE_NS}}}hostname")
            if host:
                self.hostname = host

    def _need_candidate(self) -> None:
        if "candidate" not in self._ds:
            raise RpcError(
                "operation-not-supported", "candidate datastore is not enabled", error_type="protocol"
            )

    def validate(self, source: str = "running", config_xml: str | None = None) -> None:
        if config_xml is not None:
            data = _wrap("")
            data.extend(_top_level(parse_xml(config_xml)))
            self._validated(_unwrap(data))
            return
        with self._mutex:
            self._validated(self._source(source))

    def commit(self, session: object | None = None) -> None:
        self._need_candidate()
        with self._mutex:
            self._check_lock("running", session)
            new = self._validated(self._ds["candidate"])
            self._dirty = False
            self._store("running", new)
            self._ds["candidate"] = new

    def discard_changes(self, session: object | None = None) -> None:
        self._need_candidate()
        with self._mutex:
            self._check_lock("candidate", session)  # another session's locked candidate is its own
            self._ds["candidate"] = self._ds["running"]
            self._dirty = False

    def save(self) -> None:
        with self._mutex:
            self._ds["startup"] = self._ds["running"]

    # -- locks ----------------------------------------------------------------------------------
    def lock(self, target: str, session: object) -> None:
        with self._mutex:
            self._source(target)
            if target in self.unlockable:
                raise RpcError(
                    "operation-not-supported", f"locking {target} is unavailable", error_type="protocol"
                )
            owner = self._locks.get(target)
            if owner is not None:
                sid = getattr(owner, "session_id", 0)
                raise RpcError(
                    "lock-denied",
                    f"the configuration database is locked by session {sid}",
                    error_type="protocol",
                    info={"session-id": sid},
                )
            if target == "candidate" and self._dirty:
                raise RpcError(
                    "lock-denied",
                    "the candidate has uncommitted changes",
                    error_type="protocol",
                    info={"session-id": 0},
                )
            self._locks[target] = session

    def unlock(self, target: str, session: object) -> None:
        with self._mutex:
            self._source(target)
            if self._locks.get(target) is not session:
                raise RpcError(
                    "operation-failed", f"{target} is not locked by this session", error_type="protocol"
                )
            del self._locks[target]
            if target == "candidate":
                self.discard_changes()  # RFC 6241 §8.3.5.2: releasing the candidate lock discards

    def release(self, session: object) -> None:
        """Drop every lock a closing or killed session holds."""
        with self._mutex:
            for target in [t for t, s in self._locks.items() if s is session]:
                self.unlock(target, session)

    def locked_by(self, target: str):
        return self._locks.get(target)

    # -- seeding --------------------------------------------------------------------------------
    def seed_xml(self, xml: str) -> None:
        """Replace every datastore with a document (<config>, <data>, <rpc-reply> or bare <native>)."""
        data = _wrap("")
        data.extend(_top_level(parse_xml(xml)))
        host = f"{{{NATIVE_NS}}}hostname"
        native = data.find(f"{{{NATIVE_NS}}}native")
        if native is None:
            native = etree.SubElement(data, f"{{{NATIVE_NS}}}native")
        if native.find(host) is None:  # a seed without a hostname keeps the device's name
            native.insert(0, etree.Element(host))
            native[0].text = self.hostname
        text = self._validated(_unwrap(data))
        with self._mutex:
            for name in self._ds:
                self._ds[name] = text
            self._dirty = False
            self._store("running", text)

    @classmethod
    def from_running_config_xml(
        cls, xml: str, hostname: str | None = None, candidate: bool = False, yang_dir: str | None = None
    ) -> Device:
        device = cls(hostname or "Router", candidate=candidate, yang_dir=yang_dir)
        device.seed_xml(xml)
        if hostname and device.hostname != hostname:
            device.edit_config(
                "running", f'<native xmlns="{NATIVE_NS}"><hostname>{hostname}</hostname></native>'
            )
            device.save()
        return device

    def seed_cli(self, text: str) -> None:
        """Apply running-config text through the CLI module (which owns the CLI grammar)."""
        from . import cli

        cli.seed_running_config(self, text)
        with self._mutex:
            self._ds["startup"] = self._ds["running"]

"""NETCONF server (RFC 6241/6242) for an emulated IOS-XE device, over the SSH ``netconf`` subsystem.

Framing: the hellos and base:1.0 sessions use the ``]]>]]>`` end marker; when both hellos carry
base:1.1 the session switches to chunked framing. Operations: get (plus the ietf-yang-library
trees when its filter asks, yang_library.py), get-config (subtree / xpath filters, with-defaults),
edit-config, copy-config (running -> startup), lock, unlock, validate, commit, discard-changes,
close-session, kill-session, cisco-ia:save-config, get-schema. Every datastore operation goes to
store.Device; its RpcError becomes an IOS-XE shaped <rpc-error>.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time

from lxml import etree

from . import framing, yang_library
from .capabilities import BASE_1_1, capabilities
from .errors import RpcError
from .schema import MOBILEIP_NS, NATIVE_NS
from .sshserver import SSHServer
from .store import Device, parse_xml

log = logging.getLogger(__name__)
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
IA_NS = "http://cisco.com/yang/cisco-ia"
MON_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
WD_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
PREFIXES = {NATIVE_NS: "ios", MOBILEIP_NS: "ios-mobileip"}
_SESSION_IDS = itertools.count(20)
_SESSION_IDS_LOCK = threading.Lock()
_STEP = re.compile(r"([^/\[]+)((?:\[[^\]]*\])*)")


def _sub(parent, tag: str, text: str | None = None, ns: str = NC_NS):
    node = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        node.text = str(text)
    return node


def _child(elem, name: str):
    return next((c for c in elem if isinstance(c.tag, str) and etree.QName(c).localname == name), None)


def _datastore(elem, name: str) -> str:
    holder = _child(elem, name)
    store = next((c for c in holder if isinstance(c.tag, str)), None) if holder is not None else None
    if store is None:
        raise RpcError(
            "missing-element", f"<{name}> is missing", error_type="protocol", info={"bad-element": name}
        )
    return etree.QName(store).localname


class NetconfServer:
    """NETCONF over SSH for one Device. ``port=0`` picks a free port (``.port`` after ``start()``)."""

    def __init__(
        self,
        device: Device,
        address: str = "127.0.0.1",
        port: int = 830,
        username: str = "admin",
        password: str = "admin",
        authorized_keys=(),
        release: str = "17.18.1",
        host_key=None,
    ):
        self.device = device
        self.release = release
        self.capabilities = capabilities(device.candidate_enabled, release)
        self.sessions: dict[int, NetconfSession] = {}
        self._mutex = threading.Lock()
        self.ssh = SSHServer(
            self._serve,
            address=address,
            port=port,
            username=username,
            password=password,
            authorized_keys=authorized_keys,
            subsystems={"netconf"},
            host_key=host_key,
            name=f"netconf-{device.hostname}",
        )

    @property
    def port(self) -> int:
        return self.ssh.port

    @property
    def address(self) -> str:
        return self.ssh.address

    def start(self) -> NetconfServer:
        self.ssh.start()
        return self

    def stop(self) -> None:
        with self._mutex:
            sessions = list(self.sessions.values())
        for session in sessions:
            session.kill()
        self.ssh.stop()

    def _serve(self, request, channel) -> None:
        with _SESSION_IDS_LOCK:
            session_id = next(_SESSION_IDS)
        session = NetconfSession(self, channel, session_id, request.username)
        with self._mutex:
            self.sessions[session_id] = session
        try:
            session.run()
        finally:
            with self._mutex:
                self.sessions.pop(session_id, None)
            self.device.release(session)


class NetconfSession:
    def __init__(self, server: NetconfServer, channel, session_id: int, username: str = ""):
        self.server = server
        self.device = server.device
        self.channel = channel
        self.session_id = session_id
        self.username = username
        self.reader = framing.Reader()
        self.closed = threading.Event()
        self._send_lock = threading.Lock()

    # -- transport ------------------------------------------------------------------------------
    def _send(self, xml: bytes) -> None:
        with self._send_lock:
            self.channel.sendall(self.reader.frame(xml))

    def _receive(self):
        """The next whole message, or None when the peer went away or the session was killed."""
        self.channel.settimeout(0.5)
        while not self.closed.is_set():
            message = self.reader.next_message()
            if message is not None:
                return message
            try:
                data = self.channel.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not data:
                return None
            self.reader.feed(data)
        return None

    def kill(self) -> None:
        self.closed.set()
        self.device.release(self)
        self.channel.close()

    # -- session --------------------------------------------------------------------------------
    def _hello(self) -> bytes:
        hello = etree.Element(f"{{{NC_NS}}}hello", nsmap={None: NC_NS})
        caps = _sub(hello, "capabilities")
        for cap in self.server.capabilities:
            _sub(caps, "capability", cap)
        _sub(hello, "session-id", self.session_id)
        return etree.tostring(hello, xml_declaration=True, encoding="UTF-8")

    def run(self) -> None:
        self._send(self._hello())
        client = self._receive()
        if client is None:
            return
        try:
            root = parse_xml(client)
        except RpcError:
            return
        offered = {(c.text or "").strip() for c in root.iter(f"{{{NC_NS}}}capability")}
        if BASE_1_1 in offered and BASE_1_1 in self.server.capabilities:
            self.reader.chunked = True
        while not self.closed.is_set():
            message = self._receive()
            if message is None:
                break
            reply, close = self.handle(message)
            try:
                self._send(reply)
            except OSError:
                break
            if close:
                break
        self.closed.set()

    def handle(self, message: bytes) -> tuple[bytes, bool]:
        """One <rpc> in, one <rpc-reply> out; the flag asks to close the session after replying."""
        time.sleep(self.device.reply_delay)
        reply = etree.Element(f"{{{NC_NS}}}rpc-reply", nsmap={None: NC_NS})
        close = False
        try:
            rpc = parse_xml(message)
            for key, value in rpc.attrib.items():
                reply.set(key, value)
            if etree.QName(rpc).localname != "rpc":
                raise RpcError(
                    "unknown-element", "expected <rpc>", error_type="rpc", info={"bad-element": rpc.tag}
                )
            if rpc.get("message-id") is None:
                raise RpcError(
                    "missing-attribute",
                    "missing message-id",
                    error_type="rpc",
                    info={"bad-attribute": "message-id", "bad-element": "rpc"},
                )
            op = next((c for c in rpc if isinstance(c.tag, str)), None)
            if op is None:
                raise RpcError(
                    "missing-element", "empty <rpc>", error_type="rpc", info={"bad-element": "rpc"}
                )
            close = self._dispatch(op, reply)
        except RpcError as err:
            reply.append(render_error(err, self.device))
        return etree.tostring(reply, xml_declaration=True, encoding="UTF-8"), close

    # -- operations -----------------------------------------------------------------------------
    def _dispatch(self, op, reply) -> bool:
        qname = etree.QName(op)
        handler = None
        if qname.namespace == NC_NS:
            handler = getattr(self, "op_" + qname.localname.replace("-", "_"), None)
        elif (qname.namespace, qname.localname) == (IA_NS, "save-config"):
            handler = self.op_save_config
        elif (qname.namespace, qname.localname) == (MON_NS, "get-schema"):
            handler = self.op_get_schema
        if handler is None:
            raise RpcError(
                "operation-not-supported",
                f"operation {qname.localname} is not supported",
                error_type="protocol",
                info={"bad-element": qname.localname},
            )
        result = handler(op)
        if result is None:
            _sub(reply, "ok")
        elif result == "close":
            _sub(reply, "ok")
            return True
        else:
            reply.append(result)
        return False

    def _read(self, op, source: str):
        flt = _child(op, "filter")
        wd = _child(op, "with-defaults")
        text = self.device.get_config(
            source,
            etree.tostring(flt, encoding="unicode") if flt is not None else None,
            with_defaults=(wd.text or "").strip() if wd is not None else None,
        )
        return parse_xml(text)

    def op_get(self, op):
        data = self._read(op, "running")
        flt = _child(op, "filter")
        if flt is not None and flt.get("type", "subtree") == "subtree" and yang_library.asks_for_library(flt):
            data.extend(yang_library.select(flt, self.server.release, self.server.capabilities))
        return data

    def op_get_config(self, op):
        return self._read(op, _datastore(op, "source"))

    def op_edit_config(self, op):
        target = _datastore(op, "target")
        config = _child(op, "config")
        if config is None:
            if _child(op, "url") is not None:
                raise RpcError("operation-not-supported", "url is not supported", error_type="protocol")
            raise RpcError(
                "missing-element",
                "<config> is missing",
                error_type="protocol",
                info={"bad-element": "config"},
            )
        options = {}
        for name in ("default-operation", "error-option", "test-option"):
            node = _child(op, name)
            if node is not None:
                options[name.replace("-", "_")] = (node.text or "").strip()
        self.device.edit_config(target, etree.tostring(config, encoding="unicode"), session=self, **options)

    def op_copy_config(self, op):
        if (_datastore(op, "source"), _datastore(op, "target")) != ("running", "startup"):
            raise RpcError(
                "operation-not-supported", "only running to startup is supported", error_type="protocol"
            )
        self.device.save()

    def op_lock(self, op):
        self.device.lock(_datastore(op, "target"), self)

    def op_unlock(self, op):
        self.device.unlock(_datastore(op, "target"), self)

    def op_validate(self, op):
        source = _child(op, "source")
        inline = _child(source, "config") if source is not None else None
        if inline is not None:
            self.device.validate(config_xml=etree.tostring(inline, encoding="unicode"))
        else:
            self.device.validate(_datastore(op, "source"))

    def op_commit(self, op):
        if _child(op, "confirmed") is not None or _child(op, "persist") is not None:
            raise RpcError(
                "operation-not-supported", "confirmed commit is not supported", error_type="protocol"
            )
        self.device.commit(self)

    def op_discard_changes(self, op):
        self.device.discard_changes(self)

    def op_close_session(self, op):
        return "close"

    def op_kill_session(self, op):
        text = (_child(op, "session-id").text or "").strip() if _child(op, "session-id") is not None else ""
        target = self.server.sessions.get(int(text)) if text.isdigit() else None
        if target is None or target is self:
            raise RpcError(
                "invalid-value",
                f"cannot kill session {text!r}",
                error_type="protocol",
                info={"bad-element": "session-id"},
            )
        target.kill()

    def op_save_config(self, op):
        self.device.save()
        result = etree.Element(f"{{{IA_NS}}}result", nsmap={None: IA_NS})
        result.text = "Save running-config successful"
        return result

    def op_get_schema(self, op):
        ident = (_child(op, "identifier").text or "").strip() if _child(op, "identifier") is not None else ""
        path = self.device.schema.directory / f"{ident}.yang"
        if not re.fullmatch(r"[\w.-]+", ident) or not path.is_file():
            raise RpcError("invalid-value", f"no schema {ident!r}", error_type="protocol")
        data = etree.Element(f"{{{MON_NS}}}data", nsmap={None: MON_NS})
        data.text = path.read_text()
        return data


def prefixed_path(path: str, device: Device) -> str:
    """``/native/ipv6/mobile/...`` as IOS-XE writes it: ``/ios:native/ios:ipv6/ios-mobileip:mobile/...``."""
    snode = device.schema.root
    steps = []
    for name, predicates in _STEP.findall(path):
        snode = snode.child(None, name) if snode is not None else None
        prefix = PREFIXES.get(snode.ns) if snode is not None else None
        if prefix is None:
            steps.append(name + predicates)
            continue
        preds = re.sub(r"\[([\w.-]+)=", lambda m, p=prefix: f"[{p}:{m.group(1)}=", predicates)
        steps.append(f"{prefix}:{name}{preds}")
    return "/" + "/".join(steps)


def render_error(err: RpcError, device: Device):
    """An <rpc-error> element in the order RFC 6241 lists its children."""
    node = etree.Element(f"{{{NC_NS}}}rpc-error")
    _sub(node, "error-type", err.error_type)
    _sub(node, "error-tag", err.tag)
    _sub(node, "error-severity", err.severity)
    if err.app_tag:
        _sub(node, "error-app-tag", err.app_tag)
    if err.path:
        path = etree.SubElement(
            node, f"{{{NC_NS}}}error-path", nsmap={"ios": NATIVE_NS, "ios-mobileip": MOBILEIP_NS}
        )
        path.text = prefixed_path(err.path, device)
    message = _sub(node, "error-message", err.message)
    message.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    if err.info:
        info = _sub(node, "error-info")
        if err.cli_refusal:
            _sub(info, "severity", err.info.get("severity", "error_cli"), ns=IA_NS)
            bad = _sub(_sub(info, "detail", ns=IA_NS), "bad-cli", ns=IA_NS)
            _sub(bad, "bad-command", err.info.get("bad-command", ""), ns=IA_NS)
            _sub(bad, "error-location", err.info.get("error-location", 0), ns=IA_NS)
            _sub(bad, "parser-response", ns=IA_NS)
            _sub(bad, "parser-context", err.info.get("parser-context", ""), ns=IA_NS)
        else:
            for key, value in err.info.items():
                _sub(info, key, value)
    return node

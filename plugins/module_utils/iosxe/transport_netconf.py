# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NETCONF transport: ncclient with the iosxe device handler.

apply() uses the candidate datastore when the device offers it (lock, discard a stale candidate,
edit, validate, commit; discard on any error; always unlock), else edits running with
rollback-on-error so a rejected edit leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import paths
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import (
    DeviceError,
    Transport,
    open_socket,
)

try:
    from ncclient import manager
    from ncclient.devices.iosxe import IosxeDeviceHandler
    from ncclient.operations.errors import TimeoutExpiredError
    from ncclient.operations.rpc import RPCError
    from ncclient.transport.errors import (
        AuthenticationError,
        SSHError,
        SSHUnknownHostError,
        TransportError,
    )

    class CheckedIosxeHandler(IosxeDeviceHandler):
        """ncclient's iosxe handler answers yes to every unknown host key; with host_key_checking
        on, an unknown key must be refused, so this one keeps ncclient's default callback."""

        def add_additional_ssh_connect_params(self, kwargs):
            pass

    HAS_NCCLIENT = True
except ImportError:
    HAS_NCCLIENT = False

CAP = "urn:ietf:params:netconf:capability:"
YANG_LIBRARY_NS = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
IA_NS = "http://cisco.com/yang/cisco-ia"

# RFC 7895: the module list of the device, asking only for the one module we need.
MODULES_STATE_FILTER = (
    f'<modules-state xmlns="{YANG_LIBRARY_NS}"><module><name>{paths.MOBILEIP_MODULE}</name>'
    "<conformance-type/></module></modules-state>"
)
# RFC 8525: the same question against the newer tree.
YANG_LIBRARY_FILTER = (
    f'<yang-library xmlns="{YANG_LIBRARY_NS}"><module-set><name/><module>'
    f"<name>{paths.MOBILEIP_MODULE}</name></module></module-set></yang-library>"
)


def _rejection(exc, host, secrets) -> DeviceError:
    """An rpc-error as DeviceError: the device's message, with the bad CLI line or error-path."""
    message = exc.message or exc.tag or "rpc-error"
    detail = exc.path or None
    if exc.info:
        try:
            info = ET.fromstring(exc.info)
        except ET.ParseError:
            info = None
        bad = info.find(f".//{{{IA_NS}}}bad-command") if info is not None else None
        if bad is not None and (bad.text or "").strip():
            detail = bad.text.strip()
    return DeviceError("rejected", message, host, detail=detail, secrets=secrets, tag=exc.tag)


def _session_id(exc) -> int:
    """The session named in a lock-denied rpc-error (0 when none holds the lock)."""
    try:
        text = ET.fromstring(exc.info).findtext(".//{*}session-id") if exc.info else None
    except ET.ParseError:
        text = None
    return int(text) if text and text.strip().isdigit() else 0


class NetconfTransport(Transport):
    name = "netconf"

    def __init__(self, params, session):
        self.params = params
        self.host = params.host
        self._m = session
        self.capabilities = [str(c).strip() for c in session.server_capabilities]
        self.candidate = self._offers(CAP + "candidate:1.0")
        self._validate = any(c.startswith(CAP + "validate:") for c in self.capabilities)
        self._rollback = self._offers(CAP + "rollback-on-error:1.0")
        self._last_session_id = 0  # of the last rpc-error, for lock-denied
        self.offers_mobileip, self.model_source = self._find_model()

    @classmethod
    def connect(cls, params):
        if not HAS_NCCLIENT:
            raise DeviceError("unsupported", "the ncclient Python library is not installed", params.host)
        if not params.netconf_port:
            raise DeviceError("unsupported", "no NETCONF port given", params.host)
        sock = open_socket(params, params.netconf_port)
        options = dict(
            host=params.host,
            port=params.netconf_port,
            sock=sock,
            username=params.username,
            hostkey_verify=params.host_key_checking,
            allow_agent=False,
            look_for_keys=bool(params.private_key_file),
            device_params={"name": "iosxe", "handler": CheckedIosxeHandler},
            timeout=params.connect_timeout,
        )
        if params.password:
            options["password"] = params.password
        if params.private_key_file:
            options["key_filename"] = params.private_key_file
        try:
            session = manager.connect(**options)
        except Exception as exc:
            sock.close()
            raise cls._connect_error(exc, params) from None
        session.timeout = params.command_timeout
        try:
            return cls(params, session)
        except Exception:
            _close(session)
            raise

    @staticmethod
    def _connect_error(exc, params) -> DeviceError:
        host, port, secrets = params.host, params.netconf_port, params.secrets()
        if isinstance(exc, AuthenticationError):
            return DeviceError("authentication", f"NETCONF login as {params.username!r} refused", host)
        if isinstance(exc, SSHUnknownHostError):
            return DeviceError("authentication", "host key not known (host_key_checking is on)", host)
        text = str(exc)
        if "subsystem" in text.lower():
            return DeviceError("unsupported", f"port {port} does not offer the netconf subsystem", host)
        if isinstance(exc, (SSHError, TransportError)) and "timed out" in text.lower():
            return DeviceError(
                "unreachable", f"no NETCONF hello on port {port}: {text}", host, secrets=secrets
            )
        if isinstance(exc, (SSHError, TransportError, OSError, EOFError)):
            return DeviceError(
                "unsupported", f"no NETCONF session on port {port}: {text}", host, secrets=secrets
            )
        return DeviceError("protocol", f"{type(exc).__name__}: {text}", host, secrets=secrets)

    def _offers(self, capability: str) -> bool:
        return any(c.split("?")[0] == capability for c in self.capabilities)

    # -- which models the device offers -------------------------------------------------------
    def _find_model(self):
        if any(
            f"module={paths.MOBILEIP_MODULE}&" in c or c.endswith(f"module={paths.MOBILEIP_MODULE}")
            for c in self.capabilities
        ):
            return True, f"{paths.MOBILEIP_MODULE} listed in the hello"
        for version, flt, found_in in (
            ("1.0", MODULES_STATE_FILTER, "ietf-yang-library modules-state"),
            ("1.1", YANG_LIBRARY_FILTER, "ietf-yang-library yang-library"),
        ):
            if self._offers(CAP + f"yang-library:{version}") and self._library_lists_model(flt):
                return True, f"{paths.MOBILEIP_MODULE} listed in {found_in}"
        return False, f"{paths.MOBILEIP_MODULE} not offered"

    def _library_lists_model(self, flt: str) -> bool:
        try:
            reply = self._call(self._m.get, filter=("subtree", flt))
        except DeviceError as exc:
            if exc.kind == "rejected":  # the device does not serve this tree
                return False
            raise
        root = ET.fromstring(reply.encode())
        for module in root.iter(f"{{{YANG_LIBRARY_NS}}}module"):
            if module.findtext(f"{{{YANG_LIBRARY_NS}}}name") == paths.MOBILEIP_MODULE:
                conformance = module.findtext(f"{{{YANG_LIBRARY_NS}}}conformance-type")
                return conformance in (None, "implement")
        return False

    # -- operations ---------------------------------------------------------------------------
    def _call(self, operation, *args, **kwargs) -> str:
        """Run one RPC; its reply XML, or the DeviceError for what went wrong."""
        secrets = self.params.secrets()
        try:
            return operation(*args, **kwargs).xml
        except RPCError as exc:
            self._last_session_id = _session_id(exc)
            raise _rejection(exc, self.host, secrets) from None
        except TimeoutExpiredError:
            raise DeviceError(
                "timeout", f"no reply within {self.params.command_timeout} s", self.host
            ) from None
        except TransportError as exc:
            raise DeviceError(
                "protocol", f"NETCONF session lost: {exc}", self.host, secrets=secrets
            ) from None

    def get_config(self, resource: str) -> str:
        return self._call(
            self._m.get_config, source="running", filter=("subtree", paths.subtree_filter(resource))
        )

    def apply(self, plan) -> None:
        if not plan.xml:
            return
        if self.candidate:
            self._apply_candidate(plan.xml)
            return
        options = {}
        if self._rollback:
            options["error_option"] = "rollback-on-error"
        if self._validate:
            options["test_option"] = "test-then-set"
        self._call(self._m.edit_config, config=plan.xml, target="running", **options)

    def _apply_candidate(self, xml: str) -> None:
        self._lock_candidate()
        running_locked = False
        try:
            running_locked = self._lock_running()
            self._call(self._m.discard_changes)  # never commit what an earlier session left behind
            try:
                self._call(self._m.edit_config, config=xml, target="candidate")
                if self._validate:
                    self._call(self._m.validate, source="candidate")
                self._call(self._m.commit)
            except DeviceError:
                self._quietly(self._m.discard_changes)
                raise
        finally:
            if running_locked:
                self._quietly(self._m.unlock, target="running")
            self._quietly(self._m.unlock, target="candidate")

    def _lock_candidate(self) -> None:
        refused = self._lock("candidate")
        if refused and refused[0] == 0:
            # Refused with no session holding the lock: the candidate has uncommitted changes of a
            # session that is gone. Discard them (RFC 6241 8.3.5.2) and try once more.
            self._call(self._m.discard_changes)
            refused = self._lock("candidate")
        if refused:
            raise refused[1]

    def _lock_running(self) -> bool:
        """Lock running too where the device can, so no other session changes it under our commit;
        a device that does not implement that lock (error-tag operation-not-supported) is used
        without it."""
        refused = self._lock("running")
        if refused and refused[1].tag == "operation-not-supported":
            return False
        if refused:
            raise refused[1]
        return True

    def _lock(self, target):
        """None when locked, else (the holding session's id or 0, the DeviceError to report)."""
        try:
            self._call(self._m.lock, target=target)
        except DeviceError as exc:
            if exc.kind != "rejected":
                raise
            error = DeviceError(
                "rejected",
                f"cannot lock {target}: {exc.message}",
                self.host,
                detail=f"lock {target}",
                tag=exc.tag,
            )
            return self._last_session_id, error
        return None

    def _quietly(self, operation, **kwargs) -> None:
        """Clean-up steps: their failure must not hide the error being reported."""
        with contextlib.suppress(DeviceError):
            self._call(operation, **kwargs)

    def save(self) -> str:
        reply = self._call(self._m.save_config)
        result = ET.fromstring(reply.encode()).findtext(f".//{{{IA_NS}}}result")
        return (result or "").strip() or "ok"

    def close(self) -> None:
        _close(self._m)


def _close(session) -> None:
    """End a session; its failure is not reported (the session is going away either way). When the
    close-session RPC fails (a timed-out or lost session), ncclient leaves the SSH transport and its
    thread open, so they are closed here."""
    try:
        session.close_session()
    except Exception:
        with contextlib.suppress(Exception):
            session._session.close()

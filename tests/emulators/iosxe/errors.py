"""RpcError: the one error type of the emulated device, shaped like a NETCONF <rpc-error>.

Both front ends use it: netconf.py renders it as an <rpc-error>, the CLI prints its message.
"""

from __future__ import annotations

# The text IOS-XE sends when a change reaches its CLI parser and the parser refuses it.
CLI_REFUSED = "inconsistent value: Device refused one or more commands"


class RpcError(Exception):
    """error_type: application | protocol | rpc | transport; tag: an RFC 6241 error-tag;
    message: the YANG / device error text; path: error-path without prefixes
    (``/native/ipv6/mobile/pmipv6-mag[mag-name='M1'][domain='D']/binding/lifetime``);
    app_tag: error-app-tag (e.g. ``must-violation``); info: error-info children (dict).

    A CLI-level refusal has message CLI_REFUSED and info ``{"bad-command": LINE, ...}``."""

    def __init__(
        self,
        tag: str,
        message: str,
        *,
        error_type: str = "application",
        path: str | None = None,
        app_tag: str | None = None,
        info: dict | None = None,
        severity: str = "error",
    ):
        super().__init__(message)
        self.tag = tag
        self.message = message
        self.error_type = error_type
        self.path = path
        self.app_tag = app_tag
        self.info = dict(info or {})
        self.severity = severity

    @property
    def cli_refusal(self) -> bool:
        return self.message == CLI_REFUSED

    def __repr__(self):
        return f"RpcError({self.tag!r}, {self.message!r}, path={self.path!r})"

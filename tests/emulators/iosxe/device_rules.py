"""Checks the IOS-XE CLI parser makes that the YANG model does not express.

On a real device a NETCONF change is turned into CLI lines; when the parser refuses one, the device
answers "inconsistent value: Device refused one or more commands" with the refused line in a cisco-ia
error-info. Each rule here returns that error for the first offending node, or None.
"""

from __future__ import annotations

from .errors import CLI_REFUSED, RpcError
from .schema import MOBILEIP_NS, NATIVE_NS

_M = f"{{{MOBILEIP_NS}}}"
_N = f"{{{NATIVE_NS}}}"


def _refused(command: str, path: str, location: int = 0) -> RpcError:
    return RpcError(
        "invalid-value",
        CLI_REFUSED,
        path=path,
        info={
            "severity": "error_cli",
            "bad-command": command,
            "error-location": location,
            "parser-context": command,
        },
    )


def _nai_needs_at(data_root) -> RpcError | None:
    """`nai [user]@realm`: the command reference requires the @ (YANG only says string)."""
    for domain in data_root.iterfind(f"{_N}native/{_N}ipv6/{_M}mobile/{_M}pmipv6-domain"):
        name = domain.findtext(f"{_M}domain", "")
        for realm in domain.iterfind(f"{_M}domain-options/{_M}nai/{_M}realm"):
            value = (realm.text or "").strip()
            if "@" not in value:
                path = (
                    f"/native/ipv6/mobile/pmipv6-domain[domain='{name}']/domain-options/nai[realm='{value}']"
                )
                return _refused(f"nai {value}", path, location=4)
    return None


RULES = (_nai_needs_at,)


def check(data_root) -> None:
    """Raise the CLI refusal for the first rule a configuration breaks."""
    for rule in RULES:
        error = rule(data_root)
        if error is not None:
            raise error

"""Mobile node policy profiles: which MN a MAC address or an NAI belongs to (RFC 5213 §6.2)."""

from __future__ import annotations

from collections.abc import Iterable

from ..config import MobileNodePolicy
from ..wire import mac_bytes
from .errors import UnknownMobileNode


class PolicyTable:
    """Policy profiles indexed by MAC (raw octets) and by MN-ID (NAI)."""

    def __init__(self, nodes: Iterable[MobileNodePolicy]) -> None:
        self._by_mac: dict[bytes, MobileNodePolicy] = {}
        self._by_id: dict[str, MobileNodePolicy] = {}
        for node in nodes:
            self._by_id[node.id] = node
            if node.mac:
                self._by_mac[mac_bytes(node.mac)] = node

    def __len__(self) -> int:
        return len(self._by_id)

    def by_mac(self, mac: bytes) -> MobileNodePolicy:
        try:
            return self._by_mac[mac]
        except KeyError:
            raise UnknownMobileNode(f"no mobile node profile for MAC {_mac_text(mac)}") from None

    def by_id(self, mn_id: str) -> MobileNodePolicy:
        try:
            return self._by_id[mn_id]
        except KeyError:
            raise UnknownMobileNode(f"no mobile node profile for id {mn_id!r}") from None

    def lookup(self, mac: bytes, mn_id: str | None = None) -> MobileNodePolicy:
        """The profile for ``mn_id`` when given (the MAC is then only the MN-LL-ID), else for ``mac``."""
        return self.by_id(mn_id) if mn_id else self.by_mac(mac)


def _mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)

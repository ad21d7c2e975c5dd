"""Binding update list (RFC 5213 §6.1): one entry per attached mobile node interface (per MAC)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..timers import Timer
from ..wire import ipv6_text, mac_text, status_name

Prefix = tuple[bytes, int]

# Entry states, as shown by ``pmipv6ctl bindings``.
REGISTERING = "registering"  # first PBU sent, no PBA yet
REGISTERED = "registered"  # accepted; serving the MN
REFRESHING = "refreshing"  # re-registration (HI=5) sent, still serving
DEREGISTERING = "deregistering"  # lifetime-0 PBU sent after detach; no longer serving
REJECTED = "rejected"  # the LMA refused; not serving
FAILED = "failed"  # no PBA after every retransmission; not serving
STATES = (REGISTERING, REGISTERED, REFRESHING, DEREGISTERING, REJECTED, FAILED)

# Transaction kinds.
REGISTER = "register"
REFRESH = "refresh"
DEREGISTER = "deregister"


@dataclass
class Transaction:
    """One PBU exchange: the first transmission, its retransmissions and immediate retries.

    ``outstanding`` maps each sequence number sent in this exchange to the local (uncorrected)
    time it was sent; a PBA answering any of them completes the exchange."""

    kind: str
    lifetime: int
    handoff: int
    prefixes: list[Prefix]
    attempts: int = 0
    retried_157: bool = False  # one fresh-timestamp retry after status 157 (see the engine)
    outstanding: dict[int, float] = field(default_factory=dict)
    timer: Timer | None = field(default=None, repr=False)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


@dataclass
class BindingUpdateListEntry:
    mn_id: str
    mac: bytes
    interface: str
    att: int
    lma: bytes
    requested: list[Prefix]  # what a fresh registration asks for: ALL_ZERO or the static prefixes
    attach_handoff: int  # HI of the attach that created the entry
    sequence: int = 0  # last sequence number sent
    state: str = REGISTERING
    prefixes: list[Prefix] = field(default_factory=list)  # assigned by the LMA
    link_local: bytes | None = None  # the access link's link-local address, as the LMA returned it
    handoff: int = 0  # HI of the last accepted registration
    lifetime: int = 0  # granted: min(requested, PBA lifetime)
    expires_at: float | None = None
    refresh_at: float | None = None  # when the refresh timer of a registered entry fires
    last_status: int | None = None
    bound: bool = False  # data-plane state (routes, RAs) installed
    txn: Transaction | None = field(default=None, repr=False)
    refresh_timer: Timer | None = field(default=None, repr=False)
    expiry_timer: Timer | None = field(default=None, repr=False)

    @property
    def serving(self) -> bool:
        return self.state in (REGISTERED, REFRESHING)

    def cancel_binding_timers(self) -> None:
        for timer in (self.refresh_timer, self.expiry_timer):
            if timer is not None:
                timer.cancel()
        self.refresh_timer = self.expiry_timer = None

    def cancel_all(self) -> None:
        self.cancel_binding_timers()
        if self.txn is not None:
            self.txn.cancel()
            self.txn = None

    def seconds_left(self, now: float) -> int:
        if self.expires_at is None or self.state not in (REGISTERED, REFRESHING):
            return 0
        return max(0, int(self.expires_at - now))

    def to_dict(self, now: float) -> dict:
        return {
            "mn_id": self.mn_id,
            "mn_ll_id": mac_text(self.mac),
            "hnp": [f"{ipv6_text(prefix)}/{length}" for prefix, length in self.prefixes],
            "att": self.att,
            "lifetime": self.seconds_left(now),
            "state": self.state,
            "lma": ipv6_text(self.lma),
            "interface": self.interface,
            "link_local": None if self.link_local is None else ipv6_text(self.link_local),
            "last_status": self.last_status,
            "last_status_name": None if self.last_status is None else status_name(self.last_status),
            "sequence": self.sequence,
            "handoff_indicator": self.handoff or self.attach_handoff,
        }


class BindingUpdateList:
    """Entries by MAC, with an index by MN-ID for matching PBAs."""

    def __init__(self) -> None:
        self._by_mac: dict[bytes, BindingUpdateListEntry] = {}
        self._by_id: dict[str, dict[bytes, BindingUpdateListEntry]] = {}

    def __len__(self) -> int:
        return len(self._by_mac)

    def __iter__(self) -> Iterator[BindingUpdateListEntry]:
        return iter(list(self._by_mac.values()))

    def get(self, mac: bytes) -> BindingUpdateListEntry | None:
        return self._by_mac.get(mac)

    def for_mn(self, mn_id: str) -> list[BindingUpdateListEntry]:
        return list(self._by_id.get(mn_id, {}).values())

    def add(self, entry: BindingUpdateListEntry) -> None:
        if entry.mac in self._by_mac:
            raise ValueError(f"{mac_text(entry.mac)} already has an entry")
        self._by_mac[entry.mac] = entry
        self._by_id.setdefault(entry.mn_id, {})[entry.mac] = entry

    def remove(self, entry: BindingUpdateListEntry) -> None:
        if self._by_mac.get(entry.mac) is entry:
            del self._by_mac[entry.mac]
            same_id = self._by_id.get(entry.mn_id, {})
            same_id.pop(entry.mac, None)
            if not same_id:
                self._by_id.pop(entry.mn_id, None)

    def contains(self, entry: BindingUpdateListEntry) -> bool:
        return self._by_mac.get(entry.mac) is entry

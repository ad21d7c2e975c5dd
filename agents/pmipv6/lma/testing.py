"""Builders for driving the LMA engine without a network: tests, benchmarks, the lab's dry runs.

``lma_config`` makes a validated-shape ``AgentConfig`` for an LMA; ``build_pbu`` makes a PBU the
way a MAG would (RFC 5213 §6.9.1.5); ``LmaHarness`` wires an engine to a list of sent PBAs and
checks that every PBA it sends decodes back to the object ``handle_pbu`` returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..config import AgentConfig, AuthSettings, LmaSettings, MobileNodePolicy, Peer, ReplayProtection
from ..wire import (
    AccessTechnologyType,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingAck,
    ProxyBindingUpdate,
    Timestamp,
    decode,
    encode,
    ipv6_bytes,
    mac_bytes,
    seconds_to_timestamp,
)
from ..wire.auth import encode_signed
from .engine import LocalMobilityAnchor

LMA_ADDRESS = "2001:db8:c::1"
MAGS = {"mag1": "2001:db8:c::2", "mag2": "2001:db8:c::3", "mag3": "2001:db8:c::4"}
MAG1, MAG2, MAG3 = (ipv6_bytes(a) for a in MAGS.values())
STRANGER = ipv6_bytes("2001:db8:dead::1")
DEFAULT_LLA = "fe80::200:5eff:fe00:5213"
_UNSET = object()


def lma_config(
    mobile_nodes: Iterable[MobileNodePolicy | str] = ("alice@example.org", "bob@example.org"),
    *,
    pools: Iterable[str] = ("2001:db8:100::/48",),
    hnp_length: int = 64,
    mags: dict[str, str] | None = None,
    lifetime_max: int = 3600,
    delete_delay_ms: int = 10000,
    new_bce_delay_ms: int = 1500,
    accept_att_zero: bool = False,
    replay: str = "timestamp",
    window_ms: int = 300,
    auth: AuthSettings | None = None,
    node: str = "lma1",
) -> AgentConfig:
    nodes = [m if isinstance(m, MobileNodePolicy) else MobileNodePolicy(m) for m in mobile_nodes]
    return AgentConfig(
        node=node,
        role="lma",
        address=LMA_ADDRESS,
        control_socket="/run/pmipv6/lma1.sock",
        state_dir="/var/lib/pmipv6/lma1",
        replay_protection=ReplayProtection(replay, window_ms),
        auth=auth,
        lma=LmaSettings(
            hnp_pools=list(pools),
            hnp_length=hnp_length,
            mags=[Peer(n, a) for n, a in (MAGS if mags is None else mags).items()],
            binding_lifetime_max=lifetime_max,
            min_delay_before_bce_delete_ms=delete_delay_ms,
            max_delay_before_new_bce_assign_ms=new_bce_delay_ms,
            accept_att_zero=accept_att_zero,
        ),
        mobile_nodes=nodes,
    )


def build_pbu(
    mn_id: str | None = "alice@example.org",
    *,
    sequence: int = 1,
    lifetime: int = 3600,
    hnps: Iterable[str] = ("::/0",),
    hi: int | None = 1,
    att: int | None = 4,
    mac: str | None = "02:00:00:00:00:0a",
    lla: str | None = DEFAULT_LLA,
    timestamp: float | int | None = None,
    flags: int = 0x8200,
    extra: Iterable = (),
) -> ProxyBindingUpdate:
    """A PBU as a MAG builds it. ``timestamp`` is UNIX seconds (float) or a raw 64-bit value
    (int); None omits the option."""
    opts: list = []
    if mn_id is not None:
        opts.append(MobileNodeIdentifier(mn_id))
    opts.extend(HomeNetworkPrefix.from_str(h) for h in hnps)
    if hi is not None:
        opts.append(HandoffIndicatorOption(hi))
    if att is not None:
        opts.append(AccessTechnologyType(att))
    if mac is not None:
        opts.append(MNLinkLayerIdentifier(mac_bytes(mac)))
    if lla is not None:
        opts.append(LinkLocalAddress(ipv6_bytes(lla)))
    if timestamp is not None:
        value = timestamp if isinstance(timestamp, int) else seconds_to_timestamp(timestamp)
        opts.append(Timestamp(value))
    opts.extend(extra)
    return ProxyBindingUpdate(sequence, lifetime, flags, opts)


class LmaHarness:
    """An engine plus the PBAs it sent; ``pbu(...)`` builds, encodes, decodes and hands in."""

    def __init__(self, config: AgentConfig, clock: Callable[[], float], dataplane=None) -> None:
        self.config = config
        self.clock = clock
        self.sent: list[tuple[bytes, bytes]] = []
        self.lma = LocalMobilityAnchor(config, clock, self._send, dataplane)
        self._seq: dict[bytes, int] = {}

    def _send(self, dest: bytes, data: bytes) -> None:
        assert len(dest) == 16
        self.sent.append((dest, data))

    def pbu(self, mn_id: str | None = "alice@example.org", src: bytes = MAG1, *, sign: bool = True, **kw):
        """Hand in a PBU from ``src``; sequence numbers count per MAG unless given, and the
        Timestamp is the clock's now unless given (``timestamp=None`` omits it)."""
        if "sequence" not in kw:
            kw["sequence"] = self._seq[src] = (self._seq.get(src, 0) + 1) & 0xFFFF
        if kw.get("timestamp", _UNSET) is _UNSET:
            kw["timestamp"] = self.clock()
        msg = build_pbu(mn_id, **kw)
        auth = self.config.auth
        if auth is not None and sign:
            raw = encode_signed(msg, auth.spi, auth.key, src, ipv6_bytes(self.config.address))
        else:
            raw = encode(msg)
        return self.deliver(raw, src)

    def deliver(self, raw: bytes, src: bytes) -> ProxyBindingAck | None:
        before = len(self.sent)
        pba = self.lma.handle_pbu(decode(raw), src, raw)
        if pba is not None:
            dest, data = self.sent[before]
            assert dest == src
            assert self.decode_sent(data) == pba, "sent bytes differ from the returned PBA"
        return pba

    def decode_sent(self, data: bytes) -> ProxyBindingAck:
        auth = self.config.auth
        msg = decode(data)
        if auth is not None:  # compare without the AUTH option
            msg.options = [o for o in msg.options if o.TYPE != 9]
        return msg

    def poll(self, now: float | None = None) -> None:
        self.lma.poll(self.clock() if now is None else now)

    def row(self, mn_id: str = "alice@example.org") -> dict:
        rows = [r for r in self.lma.bindings() if r["mn_id"] == mn_id]
        assert len(rows) == 1, rows
        return rows[0]

"""The part of the agent configuration the LMA consults per PBU, in lookup-ready form."""

from __future__ import annotations

from ..config import AgentConfig
from ..wire.options import ipv6_bytes
from .pool import key_from_text


class LmaPolicy:
    """MAG table (RFC 5213 §5.3.1 step 5), MN policy profiles (step 6) and static prefixes."""

    def __init__(self, config: AgentConfig) -> None:
        lma = config.lma
        if lma is None:
            raise ValueError("LMA engine needs a config with an 'lma' section")
        self.node = config.node
        self.address = ipv6_bytes(config.address)
        # Proxy-CoA -> (the canonical bytes object stored in every binding, MAG name)
        self.mags: dict[bytes, tuple[bytes, str]] = {}
        for peer in lma.mags:
            raw = ipv6_bytes(peer.address)
            self.mags[raw] = (raw, peer.name)
        # MN-ID -> the same str object: bindings share it instead of keeping the PBU's copy
        self.served: dict[str, str] = {}
        self.static: dict[str, tuple[bytes, ...]] = {}  # MN-ID -> static HNP keys (served MNs)
        self.static_owner: dict[bytes, str] = {}  # every static HNP key -> MN-ID (all profiles)
        for node in config.mobile_nodes:
            keys = tuple(key_from_text(p) for p in node.hnp)
            for key in keys:
                self.static_owner.setdefault(key, node.id)
            if node.lma is None or node.lma == config.node:
                self.served[node.id] = node.id
                if keys:
                    self.static[node.id] = keys
        self.lifetime_max = lma.binding_lifetime_max & ~3
        self.delete_delay = lma.min_delay_before_bce_delete_ms / 1000.0
        self.new_bce_delay = lma.max_delay_before_new_bce_assign_ms / 1000.0
        self.accept_att_zero = lma.accept_att_zero
        self.pools = list(lma.hnp_pools)
        self.hnp_length = lma.hnp_length
        self.replay_mode = config.replay_protection.mode
        self.window_ms = config.replay_protection.window_ms
        self.auth = config.auth

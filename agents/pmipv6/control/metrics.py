"""Prometheus text exposition of the agents' counters and gauges.

Components count into ``collections.Counter`` objects keyed by tuples: ``(name,)`` or
``(name, label_value)``.  This module knows each metric's help text and label name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

PREFIX = "pmipv6_"

# name -> (help, label name or None)
COUNTERS: dict[str, tuple[str, str | None]] = {
    "pbu_received": ("Proxy Binding Updates received", None),
    "pbu_sent": ("Proxy Binding Updates sent", None),
    "pbu_retransmitted": ("Proxy Binding Updates retransmitted", None),
    "pba_sent": ("Proxy Binding Acknowledgements sent, by status", "status"),
    "pba_received": ("Proxy Binding Acknowledgements received, by status", "status"),
    "pba_unmatched": ("PBAs that matched no pending PBU", None),
    "malformed": ("Mobility Header packets dropped as malformed, by reason", "reason"),
    "unexpected_message": ("Well-formed messages this role does not take, by MH type", "mh_type"),
    "binding_error_sent": ("Binding Error messages sent", None),
    "auth_failed": ("Messages failing RFC 4285 authentication", None),
    "unknown_mn": ("Attach requests for mobile nodes with no policy profile", None),
    "give_up": ("Registrations abandoned after the retransmission limit", None),
    "bce_created": ("Binding cache entries created", None),
    "bce_deleted": ("Binding cache entries deleted", None),
    "bce_expired": ("Binding cache entries expired", None),
    "handoff": ("Inter-MAG handoffs", None),
    "heartbeat_sent": ("Heartbeat messages sent", None),
    "heartbeat_received": ("Heartbeat messages received", None),
    "heartbeat_unknown_peer": ("Heartbeats from addresses that are not configured peers", None),
    "peer_down": ("Peers declared down after missed heartbeats", None),
    "peer_up": ("Peers declared up again", None),
    "peer_restart": ("Peer restarts detected by a changed Restart Counter", None),
    "send_failed": ("Messages the socket refused to send", None),
    "heartbeat_missed": ("Heartbeat requests that went unanswered", None),
    "heartbeat_unmatched": ("Heartbeat responses matching no outstanding request", None),
    "heartbeat_unsolicited": ("Unsolicited heartbeat responses received", None),
    "attach": ("Attach events (MAG)", None),
    "attach_repeated": ("Attach events for an MN already attached (MAG)", None),
    "detach": ("Detach events (MAG)", None),
    "registered": ("Registrations accepted by the LMA (MAG)", None),
    "refreshed": ("Re-registrations accepted by the LMA (MAG)", None),
    "deregistered": ("De-registrations acknowledged (MAG)", None),
    "rejected": ("Registrations rejected by the LMA (MAG)", None),
    "clock_resync": ("Clock offset re-synchronisations after status 156 (MAG)", None),
    "sequence_resync": ("Sequence re-synchronisations after status 135 (MAG)", None),
    "pbu_retried": ("Immediate PBU retries after 156 or 135 (MAG)", None),
    "binding_expired": ("Bindings that expired before a refresh was accepted (MAG)", None),
    "pba_wrong_source": ("PBAs from an address that is not the LMA (MAG)", None),
    "pba_not_proxy": ("Binding Acknowledgements without the P flag (MAG)", None),
    "pba_invalid": ("PBAs missing mandatory options (MAG)", None),
    "dataplane_error": ("Data-plane operations that failed", None),
    "reregister_all": ("Re-registrations of every MN after an LMA restart (MAG)", None),
    # state store
    "persist_commits": ("State-store commits", None),
    "persist_rows": ("Rows written by state-store commits", None),
    "persist_commit_us": ("Agent time spent in state-store commits, microseconds", None),
    "persist_syncs": ("WAL syncs completed before held replies were released", None),
    "persist_sync_us": ("Time from a commit to its WAL sync completing, microseconds", None),
    "persist_errors": ("State-store failures (the agent goes on in memory)", None),
    # data plane (userspace relays)
    "tunnel_rx": ("Packets received from tunnels", None),
    "tunnel_tx": ("Packets sent into tunnels", None),
    "tunnel_rx_bytes": ("Octets received from tunnels (inner packets)", None),
    "tunnel_tx_bytes": ("Octets sent into tunnels (inner packets)", None),
    "rpf_drop": (
        "Tunnelled packets dropped: inner source not bound to that MAG (LMA, RFC 5213 5.6.2) or not IPv6",
        None,
    ),
    "tun_write_error": ("Packets dropped because the TUN write failed", None),
    "tun_read_error": ("TUN read failures", None),
    "send_error": ("Tunnel packets the raw socket refused to send", None),
    "filtered": ("Packets routed to a tunnel but not tunnelled (link-local or multicast)", None),
    "gro_packets": ("Super-packets written after merging tunnelled TCP segments", None),
    "oversize": ("Packets above the tunnel MTU (answered with Packet Too Big or split)", None),
    "merge_bad_checksum": ("Merges of tunnelled TCP segments refused: a checksum did not hold", None),
    "ecn_marked": ("Tunnelled packets whose outer CE mark was carried to the inner header (RFC 6040)", None),
    "ecn_dropped": ("Tunnelled packets dropped: CE outside, sender not ECN-capable (RFC 6040)", None),
    # access link (MAG)
    "ra_sent": ("Router Advertisements sent, by kind", "kind"),
    "ra_not_sent": ("Router Advertisements not sent, by reason", "reason"),
    "ra_rate_limited": ("Solicited Router Advertisements held back by the rate limit", None),
    "ra_serve_refused": ("Requests to serve an MN on a link the access link does not own", None),
    "rs_received": ("Router Solicitations received on access interfaces", None),
    "rs_ignored": ("Router Solicitations ignored, by reason", "reason"),
    "rs_unanswered": ("Router Solicitations not answered, by reason", "reason"),
    "solicit_reported": ("Router Solicitations from attached MNs", None),
    "attach_detected": ("Attaches detected without a controller, by source", "via"),
    "attach_ignored": ("Detected attaches ignored, by reason", "reason"),
    "attach_refused": ("Detected attaches the MAG refused (unknown MN, ...)", None),
    "neighbour_ignored": ("Neighbour events ignored, by reason", "reason"),
    "detach_detected": ("Detaches detected, by source", "via"),
    "link_down": ("Access interfaces that went down", None),
    "probe_sent": ("Neighbour-unreachability probes sent", None),
    "probe_answered": ("Neighbour-unreachability probes answered", None),
    "probe_timeout": ("Neighbour-unreachability probes unanswered", None),
    "probe_not_sent": ("Probes not sent, by reason", "reason"),
    "nd_invalid": ("Neighbour Discovery messages dropped as invalid, by type", "type"),
    "socket_error": ("Access-link socket read errors", None),
    "netlink_overflow": ("Netlink event overflows (state re-read)", None),
    "interface_error": ("Access interfaces that could not be set up", None),
}


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(counters: Iterable[Counter], gauges: dict[str, tuple[str, list[tuple[dict, float]]]]) -> str:
    """Text format 0.0.4. ``gauges``: name -> (help, [(labels, value), ...])."""
    merged: Counter = Counter()
    for c in counters:
        merged.update(c)
    by_name: dict[str, list[tuple[tuple, int]]] = {}
    for key, value in merged.items():
        by_name.setdefault(key[0], []).append((key[1:], value))
    lines: list[str] = []
    for name in sorted(by_name):
        help_text, label = COUNTERS.get(name, (name.replace("_", " "), "label"))
        full = f"{PREFIX}{name}_total"
        lines.append(f"# HELP {full} {help_text}")
        lines.append(f"# TYPE {full} counter")
        for labels, value in sorted(by_name[name], key=lambda item: tuple(map(str, item[0]))):
            if labels:
                lines.append(f'{full}{{{label or "label"}="{_escape(labels[0])}"}} {value}')
            else:
                lines.append(f"{full} {value}")
    for name in sorted(gauges):
        help_text, samples = gauges[name]
        full = f"{PREFIX}{name}"
        lines.append(f"# HELP {full} {help_text}")
        lines.append(f"# TYPE {full} gauge")
        for labels, value in samples:
            if labels:
                inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
                lines.append(f"{full}{{{inner}}} {value:g}")
            else:
                lines.append(f"{full} {value:g}")
    return "\n".join(lines) + "\n"

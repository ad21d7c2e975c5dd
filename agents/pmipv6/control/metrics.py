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

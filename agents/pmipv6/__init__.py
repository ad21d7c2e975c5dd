"""Proxy Mobile IPv6 (RFC 5213) agents: Local Mobility Anchor and Mobile Access Gateway."""

__version__ = "0.1.0"

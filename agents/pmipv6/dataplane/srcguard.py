"""MAG source address validation: on a shared access link, only the MN a home network prefix is
delegated to may send from it.

The policy rules that steer uplink traffic into the tunnel (``from HNP iif access``) cannot tell
two MNs on one access link apart, and neither can the LMA's reverse-path check (both MNs' packets
come out of the same tunnel).  So the MAG checks the pair (source MAC, source prefix) as packets
arrive, in an nftables table of its own (``ip6 pmipv6_<routing table>``):

    set bound   { type ipv6_addr; flags interval }                 every HNP served here
    set allowed { type ether_addr . ipv6_addr; flags interval }    (MN MAC, its HNP)
    chain guard { type filter hook prerouting priority raw; policy accept;
                  meta iiftype ether ip6 saddr @bound ether saddr . ip6 saddr != @allowed counter drop }

A source outside every bound HNP is not this table's business (link-local, other networks).  An
MN's elements are added after its routes and removed with them.  Without the ``nft`` program the
guard is off and the agent says so once at start.
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import subprocess

log = logging.getLogger("pmipv6.dataplane")

NFT_TIMEOUT = 10.0


def _prefix(prefix: tuple[bytes, int]) -> str:
    return f"{ipaddress.IPv6Address(prefix[0])}/{prefix[1]}"


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


class SourceGuard:
    """The MAG's (MAC, HNP) filter.  Runs ``nft`` in the caller's network namespace (the data
    plane's worker thread)."""

    def __init__(self, table: int, nft: str | None = None) -> None:
        self.name = f"pmipv6_{table}"
        self.nft = nft if nft is not None else shutil.which("nft")
        self._created = False

    @property
    def available(self) -> bool:
        return self.nft is not None

    def allow(self, mac: bytes, prefixes: list[tuple[bytes, int]]) -> None:
        if not self.available or not prefixes:
            return
        script = [] if self._created else self._create()
        script += [f"add element ip6 {self.name} bound {{ {', '.join(map(_prefix, prefixes))} }}"]
        script += [self._allowed("add", mac, prefixes)]
        if self._apply(script):  # one transaction: a refused one made no table, the next MN tries again
            self._created = True

    def revoke(self, mac: bytes, prefixes: list[tuple[bytes, int]]) -> None:
        if not self._created or not prefixes:
            return
        self._apply(
            [
                self._allowed("delete", mac, prefixes),
                f"delete element ip6 {self.name} bound {{ {', '.join(map(_prefix, prefixes))} }}",
            ]
        )

    def close(self) -> None:
        """Remove the table (only if this agent made it)."""
        if self._created:
            self._apply([f"delete table ip6 {self.name}"])
            self._created = False

    def _allowed(self, verb: str, mac: bytes, prefixes: list[tuple[bytes, int]]) -> str:
        pairs = ", ".join(f"{_mac(mac)} . {_prefix(p)}" for p in prefixes)
        return f"{verb} element ip6 {self.name} allowed {{ {pairs} }}"

    def _create(self) -> list[str]:
        """A table left by an agent that died is ours (same name): it is replaced, not trusted."""
        return [
            f"table ip6 {self.name} {{}}",
            f"delete table ip6 {self.name}",
            f"table ip6 {self.name} {{",
            "  set bound { type ipv6_addr; flags interval; }",
            "  set allowed { type ether_addr . ipv6_addr; flags interval; }",
            "  chain guard {",
            "    type filter hook prerouting priority raw; policy accept;",
            "    meta iiftype ether ip6 saddr @bound ether saddr . ip6 saddr != @allowed counter drop",
            "  }",
            "}",
        ]

    def _apply(self, script: list[str]) -> bool:
        """One atomic nft transaction; a failure is logged, never raised (the routes stand)."""
        try:
            done = subprocess.run(
                [self.nft, "-f", "-"],
                input="\n".join(script) + "\n",
                capture_output=True,
                text=True,
                timeout=NFT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("source address validation: nft failed: %s", exc)
            return False
        if done.returncode != 0:
            log.error("source address validation: nft refused: %s", done.stderr.strip())
            return False
        return True

"""The MAG's source guard (``dataplane/srcguard.py``) against the real nft, in a namespace of its
own.  Its end-to-end effect (a spoofed source is dropped) is tested in ``test_domain_netns.py``."""

from __future__ import annotations

import shutil
import stat

import pytest
from nettools import Lab, is_root, run

from pmipv6.dataplane.srcguard import SourceGuard

pytestmark = [
    pytest.mark.skipif(not is_root(), reason="needs root for namespaces and nftables"),
    pytest.mark.skipif(shutil.which("nft") is None, reason="nft not installed (apt-get install nftables)"),
]

MAC = bytes.fromhex("02000000000a")
HNP = (bytes.fromhex("20010db8010000010000000000000000"), 64)


@pytest.fixture
def ns():
    lab = Lab()
    try:
        yield lab.ns("guard")
    finally:
        lab.close()


def test_a_refused_first_transaction_is_retried_with_the_table(ns, tmp_path):
    """nft refuses the first MN's transaction (here: a wrapper that fails once, standing in for a
    transient refusal); the table was not made, so the next MN's transaction makes it."""
    marker = tmp_path / "refused-once"
    nft = tmp_path / "nft"
    nft.write_text(
        f'#!/bin/sh\n[ -e "{marker}" ] || {{ touch "{marker}"; echo "refused" >&2; exit 1; }}\n'
        f'exec ip netns exec {ns} {shutil.which("nft")} "$@"\n'
    )
    nft.chmod(nft.stat().st_mode | stat.S_IXUSR)
    guard = SourceGuard(5213, nft=str(nft))
    guard.allow(MAC, [HNP])  # refused: logged, nothing made
    assert run("ip", "netns", "exec", ns, "nft", "list", "tables").stdout.strip() == ""
    guard.allow(MAC, [HNP])
    table = run("ip", "netns", "exec", ns, "nft", "list", "table", "ip6", "pmipv6_5213").stdout
    assert "02:00:00:00:00:0a . 2001:db8:100:1::/64" in table
    guard.close()
    assert run("ip", "netns", "exec", ns, "nft", "list", "tables").stdout.strip() == ""

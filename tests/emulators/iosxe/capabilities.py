"""The <hello> capabilities of an IOS-XE 17.x device, taken from Cisco's captured hellos.

The captures live in shared/yang/hello (``PMIPV6_HELLO_DIR`` overrides; never copied into the
project). Without them a built-in list of the protocol capabilities is used. With the candidate
datastore switched off, ``:candidate`` and the ietf-netconf ``candidate`` feature are removed.
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from .schema import DEFAULT_YANG_DIR

# 16.9.3 (csr1k) has no Cisco-IOS-XE-mobileip at all: a device whose NETCONF cannot do PMIPv6.
HELLO_FILES = {
    "17.18.1": "17181-capability-c8000v.xml",
    "17.9.1": "1791-capability-c8000v.xml",
    "16.9.3": "1693-capability-csr1k.xml",
}
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
BASE_1_0 = "urn:ietf:params:netconf:base:1.0"
BASE_1_1 = "urn:ietf:params:netconf:base:1.1"

_BUILTIN = [
    BASE_1_0,
    BASE_1_1,
    "urn:ietf:params:netconf:capability:writable-running:1.0",
    CANDIDATE,
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
    "urn:ietf:params:netconf:capability:validate:1.0",
    "urn:ietf:params:netconf:capability:validate:1.1",
    "urn:ietf:params:netconf:capability:xpath:1.0",
    "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit&also-supported=report-all-tagged,report-all",
    "urn:ietf:params:xml:ns:netconf:base:1.0?module=ietf-netconf&revision=2011-06-01"
    "&features=writable-running,candidate,rollback-on-error,validate,xpath",
    "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring?module=ietf-netconf-monitoring&revision=2010-10-04",
    "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults?module=ietf-netconf-with-defaults&revision=2011-06-01",
    "http://cisco.com/yang/cisco-ia?module=cisco-ia&revision=2024-07-01",
    "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip?module=Cisco-IOS-XE-mobileip&revision=2022-11-01",
    "urn:ietf:params:netconf:capability:notification:1.1",
]


def hello_dir() -> Path:
    return Path(os.environ.get("PMIPV6_HELLO_DIR") or DEFAULT_YANG_DIR.parent / "hello")


def _captured(release: str) -> list[str] | None:
    path = hello_dir() / HELLO_FILES.get(release, "")
    if release not in HELLO_FILES or not path.is_file():
        return None
    root = etree.parse(str(path)).getroot()
    return [c.text.strip() for c in root.iter("{*}capability") if c.text and c.text.strip()]


def capabilities(candidate: bool, release: str = "17.18.1") -> list[str]:
    caps = _captured(release) or list(_BUILTIN)
    if candidate:
        return caps
    out = []
    for cap in caps:
        if cap == CANDIDATE:
            continue
        if "module=ietf-netconf&" in cap and "features=" in cap:
            head, features = cap.split("features=", 1)
            cap = head + "features=" + ",".join(f for f in features.split(",") if f != "candidate")
        out.append(cap)
    return out

"""Tests of the IOS-XE modules (codecs, transports, runner, modules) against the emulator.

Makes the collection importable as ``ansible_collections.netmobility.pmipv6`` (the same way the
unit tests do) and registers the emulator's fixtures (``iosxe_router``, ``iosxe_router_factory``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _load_collection_root() -> None:
    spec = importlib.util.spec_from_file_location("_unit_conftest", TESTS / "unit" / "conftest.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


_load_collection_root()
sys.path.insert(0, str(TESTS / "emulators"))

from iosxe.fixtures import iosxe_router, iosxe_router_factory  # noqa: E402,F401  (pytest fixtures)

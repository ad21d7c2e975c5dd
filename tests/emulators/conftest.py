"""Fixtures shared by the emulator tests (the IOS-XE emulator's are in iosxe/fixtures.py)."""

from iosxe.fixtures import iosxe_router, iosxe_router_factory  # noqa: F401  (pytest fixtures)

"""Shared fixtures for the agent tests: a settable clock and a recording data plane."""

from __future__ import annotations

import pytest
from fakes import FakeClock, RecordingDataPlane


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dataplane() -> RecordingDataPlane:
    return RecordingDataPlane()

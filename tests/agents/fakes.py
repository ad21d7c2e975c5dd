"""Test doubles for the pure engines: a settable clock and a recording data plane."""

from __future__ import annotations


class FakeClock:
    """``clock()`` returns ``now``; tests move time by assigning or calling ``advance``."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class RecordingDataPlane:
    """Implements the DataPlane hooks by recording calls and the resulting LMA routes."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.routes: dict[tuple[bytes, int], bytes] = {}  # prefix -> Proxy-CoA

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def lma_bind(self, mag, prefixes) -> None:
        self.calls.append(("bind", mag, tuple(prefixes)))
        for p in prefixes:
            assert p not in self.routes, f"route for {p} already exists"
            self.routes[p] = mag

    def lma_unbind(self, mag, prefixes) -> None:
        self.calls.append(("unbind", mag, tuple(prefixes)))
        for p in prefixes:
            assert self.routes.pop(p) == mag

    def mag_bind(self, *args) -> None:
        self.calls.append(("mag_bind", *args))

    def mag_unbind(self, *args) -> None:
        self.calls.append(("mag_unbind", *args))

"""Engine state through the store: the LMA binding cache and pool, the MAG binding update list.

Every test runs the real engines with a fake clock against a real SQLite file in tmp_path and
"restarts" an agent by closing its store (or dropping it without a final commit, as kill -9
would) and building a fresh engine from what was stored.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque

import pytest
from fakes import FakeClock, RecordingDataPlane

from pmipv6.config import AccessInterface as Access
from pmipv6.config import AgentConfig, MagSettings, MobileNodePolicy, Peer, ReplayProtection, Retransmit
from pmipv6.lma import LocalMobilityAnchor
from pmipv6.lma.testing import MAG1, MAG2, LmaHarness, lma_config
from pmipv6.mag import MobileAccessGateway
from pmipv6.persist import GroupCommitter, StateStore
from pmipv6.timers import Timers
from pmipv6.wire import (
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    ProxyBindingUpdate,
    decode,
    ipv6_bytes,
)

T0 = 1_700_000_000.0
LMA_ADDR = "2001:db8:c::1"
LMA_RAW = ipv6_bytes(LMA_ADDR)


def mn(i: int) -> MobileNodePolicy:
    return MobileNodePolicy(f"mn{i}@example.org", f"02:00:00:00:{i >> 8:02x}:{i & 0xFF:02x}", "lma1")


def mac(i: int) -> str:
    return f"02:00:00:00:{i >> 8:02x}:{i & 0xFF:02x}"


# ------------------------------------------------------------------------------------------------
# LMA
class Lma:
    """An LMA engine (through LmaHarness, so every PBA is checked) with a store in ``path``."""

    def __init__(self, path, config: AgentConfig, clock: FakeClock) -> None:
        self.path, self.config, self.clock = path, config, clock
        self.dataplane = RecordingDataPlane()
        self.store = StateStore(path, config.node, "lma")
        self.h = LmaHarness(config, clock, self.dataplane)
        self.lma = self.h.lma
        self.counts = self.lma.restore(
            self.store.snapshot, self.store.lma_journal(config.replay_protection.mode), clock()
        )
        assert self.store.commit()

    def pbu(self, *args, **kw):
        self.clock.advance(0.001)  # a later Timestamp than the previous PBU (timestamp mode)
        pba = self.h.pbu(*args, **kw)
        assert self.store.commit()
        return pba

    def poll(self) -> None:
        self.lma.poll(self.clock())
        assert self.store.commit()

    def restart(self, crash: bool = False) -> Lma:
        if crash:  # no final commit: whatever was committed is all there is
            self.store._close_quietly()
        else:
            self.store.close()
        return Lma(self.path, self.config, self.clock)

    def state(self) -> dict:
        pool = self.lma.pool
        return {
            "bindings": sorted(self.lma.bindings(), key=lambda r: (r["mn_id"], r["hnp"])),
            "cursors": pool.cursors(),
            "free": pool.free_list(),
            "free_count": pool.free_count(),
            "deadline": self.lma.next_deadline(),
            "routes": dict(self.dataplane.routes),
        }


def prefix_of(pba) -> str:
    return str(pba.find(HomeNetworkPrefix))


@pytest.mark.parametrize("replay", ["timestamp", "sequence"])
def test_lma_round_trip_of_every_binding_state(tmp_path, replay):
    clock = FakeClock(T0)
    nodes = [
        MobileNodePolicy("alice@example.org"),
        MobileNodePolicy("bob@example.org", hnp=["2001:db8:100:b::/64"]),
        MobileNodePolicy("carol@example.org", hnp=["2001:db8:100:c::/64", "2001:db8:100:c1::/64"]),
        MobileNodePolicy("dave@example.org"),
        MobileNodePolicy("erin@example.org"),
        MobileNodePolicy("frank@example.org"),
    ]
    cfg = lma_config(nodes, replay=replay, delete_delay_ms=30000)
    a = Lma(tmp_path, cfg, clock)
    alice = prefix_of(a.pbu("alice@example.org", lifetime=400))  # dynamic prefix
    a.pbu("bob@example.org", mac="02:00:00:00:00:0b", hnps=["2001:db8:100:b::/64"])  # static
    a.pbu("carol@example.org", mac="02:00:00:00:00:0c", lla=None)  # two static prefixes, no LLA
    dave = prefix_of(a.pbu("dave@example.org", mac="02:00:00:00:00:0d"))
    erin = prefix_of(a.pbu("erin@example.org", mac="02:00:00:00:00:0e", hi=1))
    frank = prefix_of(a.pbu("frank@example.org", mac=None, att=5))  # no MN-LL-ID
    clock.advance(5)
    for _ in range(3):  # refreshes through the fast path: the refresh log
        clock.advance(1)
        a.pbu("alice@example.org", hnps=[alice], hi=5, lifetime=300)
    a.pbu("dave@example.org", mac="02:00:00:00:00:0d", hnps=[dave], hi=5, lifetime=0)  # deleting
    a.pbu("erin@example.org", MAG2, mac="02:00:00:00:00:0e", hnps=[erin], hi=3)  # handoff to mag2
    a.pbu("frank@example.org", mac=None, att=5, hnps=[frank], hi=5, lifetime=0)  # deleting ...
    a.pbu("frank@example.org", mac=None, att=5, hnps=[frank], hi=5)  # ... and revived
    a.lma.pool.release(a.lma.pool.allocate())  # a returned prefix in the free list
    before = a.state()
    rows = {r["mn_id"]: r for r in before["bindings"]}
    assert (
        rows["dave@example.org"]["state"] == "deleting"
        and rows["erin@example.org"]["mag"] != (rows["alice@example.org"]["mag"])
    )
    assert len(rows["carol@example.org"]["hnp"]) == 2 and before["free"]

    for crash in (False, True):
        a = a.restart(crash=crash)
        assert a.state() == before  # bindings, stamps, lifetimes, pool cursors and free list, routes
        assert a.counts == {"restored": 6, "expired": 0, "skipped": 0}
    # the restored engine carries on: replay state holds (an old sequence number is refused in
    # sequence mode, as before the restart), refreshes and expiry work
    clock.advance(1)
    if replay == "sequence":
        assert a.pbu("alice@example.org", hnps=[alice], hi=5, sequence=2).status == 135
    assert a.pbu("alice@example.org", hnps=[alice], hi=5, sequence=100).status == 0
    assert a.lma.stats["refresh",] == 1 and a.lma.stats["bce_created",] == 0
    clock.advance(30)
    a.poll()
    assert "dave@example.org" not in {r["mn_id"] for r in a.lma.bindings()}


def test_lma_restore_drops_what_expired_while_down_and_frees_the_prefixes(tmp_path, caplog):
    clock = FakeClock(T0)
    cfg = lma_config([mn(i) for i in range(4)], delete_delay_ms=10000)
    a = Lma(tmp_path, cfg, clock)
    short = prefix_of(a.pbu(mn(0).id, mac=mac(0), lifetime=100))
    long = prefix_of(a.pbu(mn(1).id, mac=mac(1), lifetime=3600))
    gone = prefix_of(a.pbu(mn(2).id, mac=mac(2)))
    a.pbu(mn(2).id, mac=mac(2), hnps=[gone], hi=5, lifetime=0)  # deleting: 10 s left
    clock.advance(200)  # down for 200 s
    a = a.restart(crash=True)
    assert a.counts == {"restored": 1, "expired": 2, "skipped": 0}
    assert [r["hnp"] for r in a.lma.bindings()] == [[long]]
    assert set(a.dataplane.routes) == {(ipv6_bytes(long.split("/")[0]), 64)}
    key = lambda text: ipv6_bytes(text.split("/")[0]) + b"\x40"  # noqa: E731
    assert a.lma.pool.is_free(key(short)) and a.lma.pool.is_free(key(gone))
    assert not a.lma.pool.is_free(key(long))
    # the deletions are stored too: another restart does not bring them back
    a = a.restart(crash=True)
    assert [r["hnp"] for r in a.lma.bindings()] == [[long]] and a.counts["expired"] == 0
    # the freed prefixes go out again only after the fresh ones (oldest return first)
    pool = a.lma.pool
    assert {pool.allocate() for _ in range(5)}.isdisjoint({key(short), key(gone), key(long)})


def test_after_restore_the_pool_never_reissues_a_bound_prefix(tmp_path):
    clock = FakeClock(T0)
    n = 200
    cfg = lma_config([mn(i) for i in range(n)], pools=["2001:db8:100::/56"], delete_delay_ms=0)  # 256
    a = Lma(tmp_path, cfg, clock)
    prefixes = {}
    for i in range(n):
        prefixes[i] = prefix_of(a.pbu(mn(i).id, mac=mac(i)))
    for i in range(0, n, 4):  # every fourth MN leaves: its prefix returns to the pool
        a.pbu(mn(i).id, mac=mac(i), hnps=[prefixes[i]], hi=5, lifetime=0)
    bound = {r["hnp"][0] for r in a.lma.bindings()}
    assert len(bound) == 150
    a = a.restart(crash=True)
    assert {r["hnp"][0] for r in a.lma.bindings()} == bound
    # allocate everything that is left: 256 - 150 prefixes, none of them bound, no duplicates
    from pmipv6.lma import key_text

    pool, fresh = a.lma.pool, []
    while (k := pool.allocate()) is not None:
        fresh.append(key_text(k))
    assert len(fresh) == len(set(fresh)) == 256 - 150
    assert set(fresh).isdisjoint(bound)
    # and so through the engine: new registrations after the restart get prefixes nobody holds
    b = Lma(tmp_path / "b", lma_config([mn(i) for i in range(400)]), clock)
    first = {prefix_of(b.pbu(mn(i).id, mac=mac(i))) for i in range(100)}
    b = b.restart()
    more = {prefix_of(b.pbu(mn(i).id, mac=mac(i))) for i in range(100, 400)}
    assert len(more) == 300 and more.isdisjoint(first)
    assert {r["hnp"][0] for r in b.lma.bindings()} == first | more


def test_lma_pool_layout_change_while_down_keeps_bound_prefixes_out(tmp_path, caplog):
    clock = FakeClock(T0)
    a = Lma(tmp_path, lma_config([mn(i) for i in range(10)], pools=["2001:db8:100::/56"]), clock)
    held = {prefix_of(a.pbu(mn(i).id, mac=mac(i))) for i in range(5)}
    a.store.close()
    wider = lma_config([mn(i) for i in range(10)], pools=["2001:db8:100::/56", "2001:db8:200::/56"])
    b = Lma(tmp_path, wider, clock)
    assert "HNP pools changed" in caplog.text
    assert {r["hnp"][0] for r in b.lma.bindings()} == held
    new = {prefix_of(b.pbu(mn(i).id, mac=mac(i))) for i in range(5, 10)}
    assert new.isdisjoint(held)


def test_lma_replay_mode_change_while_down_forgets_stamps(tmp_path):
    clock = FakeClock(T0)
    a = Lma(tmp_path, lma_config(["alice@example.org"], replay="sequence"), clock)
    a.pbu("alice@example.org", sequence=500)
    a.store.close()
    b = Lma(tmp_path, lma_config(["alice@example.org"], replay="timestamp"), clock)
    assert b.lma.bindings()[0]["timestamp"] is None
    b = b.restart()
    assert b.lma.bindings()[0]["timestamp"] is None and b.lma.bindings()[0]["sequence"] is None


def test_lma_reload_with_a_new_pool_is_stored(tmp_path):
    clock = FakeClock(T0)
    a = Lma(tmp_path, lma_config([mn(i) for i in range(6)], pools=["2001:db8:100::/56"]), clock)
    held = {prefix_of(a.pbu(mn(i).id, mac=mac(i))) for i in range(3)}
    wider = lma_config([mn(i) for i in range(6)], pools=["2001:db8:300::/56"])
    a.lma.reload(wider)
    assert a.store.commit()
    a.config = wider
    a = a.restart()
    assert {r["hnp"][0] for r in a.lma.bindings()} == held
    new = {prefix_of(a.pbu(mn(i).id, mac=mac(i))) for i in range(3, 6)}
    assert all(p.startswith("2001:db8:300:") for p in new)


# ------------------------------------------------------------------------------------------------
# MAG (and both engines wired together)
def mag_config(n: int, lifetime: int = 40, refresh_before: int = 10) -> AgentConfig:
    return AgentConfig(
        node="mag1",
        role="mag",
        address="2001:db8:c::2",
        control_socket="/nonexistent",
        state_dir="/nonexistent",
        replay_protection=ReplayProtection("timestamp", 300),
        mag=MagSettings(
            lma=Peer("lma1", LMA_ADDR),
            access_interfaces=[Access("acc0", 4)],
            binding_lifetime=lifetime,
            refresh_before=refresh_before,
            retransmit=Retransmit(500, 4000, 5),
        ),
        mobile_nodes=[mn(i) for i in range(n)],
    )


class Domain:
    """An LMA and a MAG engine, each with its own store, joined by an in-memory network."""

    def __init__(self, tmp_path, n: int = 8, lifetime: int = 40) -> None:
        self.tmp, self.clock = tmp_path, FakeClock(T0)
        self.n, self.lifetime = n, lifetime
        self.wire: deque = deque()
        self.to_lma: list[ProxyBindingUpdate] = []
        self.lma_cfg = lma_config([mn(i) for i in range(n)], lifetime_max=3600)
        self.start_lma()
        self.start_mag()

    # the network: queued, delivered by pump() (never re-entrantly)
    def _from_mag(self, dest: bytes, data: bytes) -> None:
        self.wire.append(("lma", data))

    def _from_lma(self, dest: bytes, data: bytes) -> None:
        self.wire.append(("mag", data))

    def pump(self) -> None:
        while self.wire:
            to, data = self.wire.popleft()
            if to == "lma":
                self.to_lma.append(decode(data))
                if self.lma is not None:
                    self.lma.handle_pbu(decode(data), MAG1, data)
            elif self.mag is not None:
                self.mag.handle_pba(decode(data), LMA_RAW, data)
            self.commit()

    def commit(self) -> None:
        for store in (self.lma_store, self.mag_store):
            if store is not None:
                assert store.commit()

    def start_lma(self) -> None:
        self.lma_store = StateStore(self.tmp / "lma", "lma1", "lma")
        self.lma_dp = RecordingDataPlane()
        self.lma = LocalMobilityAnchor(self.lma_cfg, self.clock, self._from_lma, self.lma_dp, Timers())
        self.lma.restore(self.lma_store.snapshot, self.lma_store.lma_journal("timestamp"), self.clock())
        assert self.lma_store.commit()

    def start_mag(self) -> dict:
        self.mag_store = StateStore(self.tmp / "mag", "mag1", "mag")
        self.mag_dp = RecordingDataPlane()
        self.mag = MobileAccessGateway(
            mag_config(self.n, self.lifetime), self.clock, self._from_mag, self.mag_dp
        )
        counts = self.mag.restore(self.mag_store.snapshot, self.mag_store.mag_journal(), self.clock())
        assert self.mag_store.commit()
        return counts

    def stop(self, which: str, crash: bool = True) -> None:
        store = getattr(self, f"{which}_store")
        if crash:
            store._close_quietly()
        else:
            store.close()
        setattr(self, which, None)
        setattr(self, f"{which}_store", None)

    def run_until(self, when: float) -> None:
        """Advance the fake clock deadline by deadline, delivering messages, like the daemon loop."""
        while True:
            self.pump()
            deadlines = [e.next_deadline() for e in (self.lma, self.mag) if e is not None]
            deadlines = [d for d in deadlines if d is not None and d <= when]
            if not deadlines:
                break
            self.clock.now = max(self.clock.now, min(deadlines))
            for engine in (self.lma, self.mag):
                if engine is not None:
                    engine.poll(self.clock.now)
            self.commit()
        self.clock.now = max(self.clock.now, when)

    def mag_rows(self) -> dict:
        return {r["mn_id"]: r for r in self.mag.bindings()}

    def lma_rows(self) -> dict:
        return {r["mn_id"]: r for r in self.lma.bindings()}


def test_mag_round_trip_of_every_entry_state(tmp_path):
    d = Domain(tmp_path, n=6)
    for i in range(3):
        d.mag.attach(mac(i))  # registered, after the PBAs
    d.pump()
    d.mag.detach(mac(2))  # de-registering: its PBU is lost (LMA down)
    d.stop("lma")
    d.mag.attach(mac(3))  # registering: no answer
    d.mag.attach(mac(4))
    pbus = decode_all(d.wire)
    d.wire.clear()
    d.mag.handle_pba(_reject(pbus, mac(4)), LMA_RAW)  # rejected (status 130)
    d.commit()
    before = sorted(d.mag.bindings(), key=lambda r: r["mn_ll_id"])
    states = {r["mn_ll_id"]: r["state"] for r in before}
    assert states == {mac(0): "registered", mac(1): "registered", mac(2): "deregistering",
                      mac(3): "registering", mac(4): "rejected"}  # fmt: skip
    d.stop("mag", crash=False)
    counts = d.start_mag()
    assert counts == {"restored": 5, "serving": 2, "resumed": 2}
    after = sorted(d.mag.bindings(), key=lambda r: r["mn_ll_id"])
    assert after == before
    # serving entries are bound again (routes, RAs), the others are not
    assert sorted(c[4] for c in d.mag_dp.calls if c[0] == "mag_bind") == [
        bytes.fromhex(mac(i).replace(":", "")) for i in (0, 1)
    ]


def _reject(pbus, mac_text: str):
    from pmipv6.wire import MNLinkLayerIdentifier, MobileNodeIdentifier, ProxyBindingAck, mac_bytes

    pbu = [p for p in pbus if p.find(MNLinkLayerIdentifier).identifier == mac_bytes(mac_text)][-1]
    return ProxyBindingAck(130, pbu.sequence, 0, 0x20, [pbu.find(MobileNodeIdentifier)])


def test_mag_restore_resumes_exchanges_in_flight_at_once(tmp_path):
    d = Domain(tmp_path, n=4)
    d.mag.attach(mac(0))
    d.pump()
    d.mag.detach(mac(0))  # de-registration in flight ...
    d.mag.attach(mac(1))  # ... and a registration
    d.commit()  # what the daemon does before these PBUs leave
    seqs = {p.find(HandoffIndicatorOption).value: p.sequence for p in decode_all(d.wire)}
    d.wire.clear()
    d.stop("mag")
    d.clock.advance(3)
    d.start_mag()
    assert not d.wire  # nothing is sent while restoring (the socket is not open yet)
    d.mag.poll(d.clock.now)
    sent = decode_all(d.wire)
    assert sorted(p.lifetime for p in sent) == [0, 40]  # the de-registration and the registration
    for p in sent:  # later sequence numbers than before the restart
        assert p.sequence > max(seqs.values())
    d.run_until(d.clock.now + 1)
    assert {r["mn_ll_id"]: r["state"] for r in d.mag.bindings()} == {mac(1): "registered"}
    assert {r["mn_id"] for r in d.lma.bindings() if r["state"] == "active"} == {mn(1).id}


def decode_all(queue) -> list[ProxyBindingUpdate]:
    return [decode(data) for to, data in queue if to == "lma"]


@pytest.mark.parametrize(
    ("down_for", "refresh_at_once", "bound_at_once"),
    [
        (10, False, True),  # back before the refresh is due: it fires on time (30 s after the PBA)
        (34, True, True),  # the refresh came due while down: it fires at once, still bound
        (45, True, False),  # the binding expired while down: refresh at once, bound on its PBA
    ],
)
def test_mag_restore_resumes_refresh_and_expiry_timers(tmp_path, down_for, refresh_at_once, bound_at_once):
    d = Domain(tmp_path, n=2, lifetime=40)  # refresh 30 s after each PBA
    d.mag.attach(mac(0))
    d.pump()
    registered_at = d.clock.now
    prefix = d.mag_rows()[mn(0).id]["hnp"]
    d.stop("mag")
    d.clock.advance(down_for)
    d.start_mag()
    bound = [c for c in d.mag_dp.calls if c[0] == "mag_bind"]
    assert bool(bound) == bound_at_once
    d.mag.poll(d.clock.now)
    sent = decode_all(d.wire)
    assert bool(sent) == refresh_at_once
    if not refresh_at_once:
        assert d.mag.next_deadline() == pytest.approx(registered_at + 30)
        d.run_until(registered_at + 29.9)
        assert not decode_all(d.wire) and len(d.to_lma) == 1
        d.run_until(registered_at + 30)
    else:
        (refresh,) = sent
        assert refresh.find(HandoffIndicatorOption).value == 5
        assert [str(h) for h in refresh.find_all(HomeNetworkPrefix)] == prefix
        d.pump()
    row = d.mag_rows()[mn(0).id]
    assert row["state"] == "registered" and row["hnp"] == prefix
    assert any(c[0] == "mag_bind" for c in d.mag_dp.calls)
    assert d.lma.stats["bce_created",] == 1  # the LMA kept one binding all along: refreshes only
    assert row["lifetime"] == 40


def test_lma_restart_keeps_bindings_and_the_mag_reregistration_is_a_refresh(tmp_path):
    d = Domain(tmp_path, n=20, lifetime=3600)
    for i in range(20):
        d.mag.attach(mac(i))
    d.pump()
    before = {k: v["hnp"] for k, v in d.lma_rows().items()}
    assert len(before) == 20
    d.stop("lma")  # kill -9
    d.clock.advance(5)
    d.start_lma()
    assert {k: v["hnp"] for k, v in d.lma_rows().items()} == before  # before any PBU arrived
    assert set(d.lma_dp.routes) == {(ipv6_bytes(p[0].split("/")[0]), 64) for p in before.values()}
    assert d.mag.reregister_all() == 20  # what the heartbeat restart detection triggers
    d.pump()
    assert d.lma.stats["refresh",] == 20 and d.lma.stats["bce_created",] == 0
    assert {k: v["hnp"] for k, v in d.lma_rows().items()} == before
    assert all(r["state"] == "registered" for r in d.mag.bindings())


def test_mag_restart_keeps_bindings_and_refreshes_continue(tmp_path):
    d = Domain(tmp_path, n=10, lifetime=40)
    for i in range(10):
        d.mag.attach(mac(i))
    d.pump()
    before = {k: v["hnp"] for k, v in d.mag_rows().items()}
    d.run_until(d.clock.now + 35)  # one refresh round
    d.stop("mag")
    d.clock.advance(2)
    d.start_mag()
    assert {k: v["hnp"] for k, v in d.mag_rows().items()} == before
    refreshes = d.lma.stats["refresh",]
    d.run_until(d.clock.now + 100)  # several lifetimes: every binding stays alive by refreshes
    assert d.lma.stats["refresh",] >= refreshes + 2 * 10
    assert {k: v["hnp"] for k, v in d.lma_rows().items()} == before
    assert all(r["state"] == "active" for r in d.lma.bindings())
    assert d.lma.stats["bce_created",] == 10


# ------------------------------------------------------------------------------------------------
# the group committer and the socket's write-ahead gate
@pytest.mark.parametrize("helper", ["1", "0"])
def test_group_committer_holds_replies_until_the_wal_is_synced(tmp_path, monkeypatch, helper):
    monkeypatch.setenv("PMIPV6_WAL_HELPER", helper)
    clock = FakeClock(T0)
    a = Lma(tmp_path, lma_config(["alice@example.org"]), clock)
    released: list[int | None] = []

    async def main():
        loop = asyncio.get_running_loop()
        committer = GroupCommitter(a.store, loop, released.append)
        assert committer.inline == (helper == "0")
        assert committer.ticket() is None  # nothing pending, nothing outstanding
        a.h.pbu("alice@example.org")  # a change recorded, not committed
        ticket = committer.ticket()
        if helper == "0":
            assert ticket is None and not a.store.pending()  # committed with FULL in line
        else:
            assert ticket == 1 and not a.store.pending()
            assert a.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL + helper
            for _ in range(200):
                if released:
                    break
                await asyncio.sleep(0.01)
            assert released == [1] and committer.durable == 1
            assert committer.ticket() is None
        committer.close()
        assert a.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again

    asyncio.run(main())
    a = a.restart(crash=True)
    assert [r["mn_id"] for r in a.lma.bindings()] == ["alice@example.org"]


def test_group_committer_falls_back_in_line_when_a_helper_dies(tmp_path, caplog):
    clock = FakeClock(T0)
    a = Lma(tmp_path, lma_config(["alice@example.org", "bob@example.org"]), clock)
    released: list = []

    async def main():
        loop = asyncio.get_running_loop()
        committer = GroupCommitter(a.store, loop, released.append)
        assert not committer.inline
        for helper in committer._helpers:
            helper.proc.kill()
            helper.proc.wait()
        a.h.pbu("alice@example.org")
        committer.ticket()  # committed; the sync request meets a dead helper
        for _ in range(200):
            if committer.inline:
                break
            await asyncio.sleep(0.01)
        assert committer.inline and committer.durable == committer.committed and released
        a.h.pbu("bob@example.org")
        assert committer.ticket() is None  # in line from now on
        committer.close()

    asyncio.run(main())
    assert "commits wait for the disk in line" in caplog.text
    a = a.restart(crash=True)
    assert {r["mn_id"] for r in a.lma.bindings()} == {"alice@example.org", "bob@example.org"}


@pytest.mark.skipif(os.geteuid() != 0, reason="raw Mobility Header socket needs root")
def test_socket_gate_holds_messages_in_order_until_released():
    from pmipv6.transport import MobilityHeaderSocket

    sock = MobilityHeaderSocket("::1", lambda data, src: None, __import__("collections").Counter())
    sent: list[bytes] = []
    sock._transmit = lambda messages: sent.extend(data for _, data in messages)  # type: ignore[method-assign]
    tickets = iter([1, 1, 2, None])
    sock.before_flush = lambda: next(tickets)
    try:
        for name in (b"a", b"b"):
            sock.send(LMA_RAW, name)  # no loop: flushed at once, through the gate
        sock.send(LMA_RAW, b"c")
        assert sent == [] and sock.held() == 3
        sock.release(1)
        assert sent == [b"a", b"b"]
        sock.send(LMA_RAW, b"d")  # ticket None: everything before it is durable, so all goes
        assert sent == [b"a", b"b", b"c", b"d"] and sock.held() == 0
    finally:
        sock.before_flush = None
        sock.close()


# ------------------------------------------------------------------------------------------------
# the daemon's switch (config key ``persistence``) and restart counter
def test_agent_restores_unless_persistence_is_off(tmp_path):
    from pmipv6.daemon import Agent
    from pmipv6.lma.testing import build_pbu
    from pmipv6.wire import encode

    clock = FakeClock(T0)
    cfg = lma_config(["alice@example.org"])
    cfg.state_dir = str(tmp_path / "state")
    cfg.dataplane = "none"

    def agent() -> Agent:
        a = Agent(cfg, clock=clock)
        a.restore()
        return a

    a = agent()
    assert a.persist and a.restart_counter == 1 and a.status()["persistence"].endswith("state.db")
    raw = encode(build_pbu("alice@example.org", timestamp=clock()))
    a.engine.handle_pbu(decode(raw), MAG1, raw)
    a.commit()
    a.store.close()
    a = agent()
    assert a.restart_counter == 2 and [r["mn_id"] for r in a.engine.bindings()] == ["alice@example.org"]
    a.store.close()

    cfg.persistence = False
    a = agent()
    assert not a.persist and a.restart_counter == 3 and a.status()["persistence"] is None
    assert a.engine.bindings() == []
    a.store.close()
    cfg.persistence = True
    a = agent()  # what was stored before persistence went off is gone, not resurrected stale
    assert a.restart_counter == 4 and a.engine.bindings() == []
    a.store.close()

"""The Local Mobility Anchor as a pure state machine (RFC 5213 §5): PBU in, PBA out.

No sockets, no sleeping, no real time: the clock, the sender, the data plane and the timer heap
are injected, so the daemon, the tests and the benchmark drive the same code.

Persistence: with a ``journal`` (``pmipv6.persist.LmaJournal``) attached by ``restore``, every
change to an entry is recorded there (a dict store; the daemon commits once per batch, before
the PBAs leave), and the pool logs its own allocation changes.
"""

from __future__ import annotations

import logging
import struct
from collections import Counter
from collections.abc import Callable

from ..config import AgentConfig
from ..dataplane import DataPlane
from ..timers import Timers
from ..wire import encode
from ..wire.auth import encode_signed, verify
from ..wire.messages import ProxyBindingAck, ProxyBindingUpdate
from ..wire.options import (
    ZERO16,
    AccessTechnologyType,
    HandoffIndicatorOption,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    Timestamp,
    ipv6_text,
    mac_text,
    seconds_to_timestamp,
)
from .cache import ACTIVE, DELETING, STATE_NAMES, Binding, BindingCache
from .policy import LmaPolicy
from .pool import LEN_OCTET, PrefixPool, key_text, key_to_tuple
from .replay import ReplayGuard

log = logging.getLogger("pmipv6.lma")

# PBA status codes used here (IANA; RFC 6275, RFC 4285, RFC 5213 §8.9)
ACCEPTED = 0
ADMINISTRATIVELY_PROHIBITED = 129
INSUFFICIENT_RESOURCES = 130
MIPV6_ID_MISMATCH = 144
MIPV6_AUTH_FAIL = 146
PROXY_REG_NOT_ENABLED = 152
NOT_LMA_FOR_THIS_MOBILE_NODE = 153
MAG_NOT_AUTHORIZED_FOR_PROXY_REG = 154
NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX = 155
MISSING_HOME_NETWORK_PREFIX_OPTION = 158
BCE_PBU_PREFIX_SET_DO_NOT_MATCH = 159
MISSING_MN_IDENTIFIER_OPTION = 160
MISSING_HANDOFF_INDICATOR_OPTION = 161
MISSING_ACCESS_TECH_TYPE_OPTION = 162

HI_NEW_INTERFACE = 1
HI_BETWEEN_INTERFACES = 2
HI_BETWEEN_MAGS = 3
HI_UNKNOWN = 4
HI_NOT_CHANGED = 5

BU_FLAG_A = 0x8000
BU_FLAG_P = 0x0200

MAX_BINDINGS_PER_MN = 16  # multihoming cap (HI=1 sessions per MN); beyond it: 130
LLA_INTERN_MAX = 4096

_RX = ("pbu_received",)
_AUTH_FAILED = ("auth_failed",)
_CREATED = ("bce_created",)
_DELETED = ("bce_deleted",)
_EXPIRED = ("bce_expired",)
_HANDOFF = ("handoff",)
_REFRESH = ("refresh",)
_DEREG = ("dereg",)
_DEREG_STALE = ("dereg_stale",)
_DEREG_UNKNOWN = ("dereg_unknown",)
_DEFERRED = ("pbu_deferred",)
_EXHAUSTED = ("hnp_pool_exhausted",)
_SENT = {code: ("pba_sent", code) for code in range(256)}
_SENT_OK = _SENT[0]
_PBA_FIXED = struct.Struct("!BBBBHBBHH")  # MH header + PBA status, flags, sequence, lifetime

PBA_FLAGS = 0x20  # P (RFC 5213 §8.2)


# The options a plain refresh carries, each at most once (RFC 5213 §6.9.1.5).
_REFRESH_OPTION_TYPES = frozenset(
    {
        MobileNodeIdentifier, HomeNetworkPrefix, HandoffIndicatorOption, AccessTechnologyType,
        MNLinkLayerIdentifier, LinkLocalAddress, Timestamp,
    }
)  # fmt: skip


def _whole_pbu(raw: bytes) -> bool:
    """``raw`` is the complete encoded PBU (so its option bytes can be reused verbatim)."""
    return len(raw) >= 16 and raw[2] == 5 and len(raw) == (raw[1] + 1) << 3


class _Request:
    """One PBU, parsed once (options picked out; first occurrence wins)."""

    __slots__ = (
        "att", "att_opt", "echo", "hi", "hi_opt", "hnp_opts", "keys", "ll", "ll_opt", "lla_opt", "mag",
        "mn", "mnid_opt", "now", "pbu", "raw", "src", "ts", "ts_opt",
    )  # fmt: skip

    def __init__(self, pbu: ProxyBindingUpdate, src: bytes, now: float, raw: bytes | None = None) -> None:
        self.pbu = pbu
        self.raw = raw
        self.src = src
        self.now = now
        self.mag = src
        self.mn = None
        mnid = hi = att = ll = lla = ts = None
        hnps = []
        keys = []
        echo = True  # every option is one a rejection copies, once (so the bytes can be echoed)
        for o in pbu.options:
            t = type(o)
            if t is HomeNetworkPrefix:
                hnps.append(o)
                if o.length or o.prefix != ZERO16:
                    keys.append(o.prefix + LEN_OCTET[o.length] if o.length <= 128 else b"")
            elif t is MobileNodeIdentifier:
                if mnid is None:
                    mnid = o
                else:
                    echo = False
            elif t is HandoffIndicatorOption:
                if hi is None:
                    hi = o
                else:
                    echo = False
            elif t is AccessTechnologyType:
                if att is None:
                    att = o
                else:
                    echo = False
            elif t is MNLinkLayerIdentifier:
                if ll is None:
                    ll = o
                else:
                    echo = False
            elif t is Timestamp:
                if ts is None:
                    ts = o
                else:
                    echo = False
            else:
                echo = False
                if t is LinkLocalAddress and lla is None:
                    lla = o
        self.echo = echo
        self.mnid_opt = mnid
        self.hnp_opts = hnps
        self.keys = keys
        self.hi_opt = hi
        self.hi = hi.value if hi is not None else None
        self.att_opt = att
        self.att = att.value if att is not None else None
        self.ll_opt = ll
        self.ll = ll.identifier if ll is not None else None
        self.lla_opt = lla
        self.ts_opt = ts
        self.ts = ts.value if ts is not None else None


class _Pending:
    """A HI=4 PBU waiting MaxDelayBeforeNewBCEAssign for the old MAG's de-registration."""

    __slots__ = ("old", "req", "timer")

    def __init__(self, req: _Request, old: Binding) -> None:
        self.req = req
        self.old = old
        self.timer = None


class LocalMobilityAnchor:
    def __init__(
        self,
        config: AgentConfig,
        clock: Callable[[], float],
        send: Callable[[bytes, bytes], None],
        dataplane: DataPlane | None = None,
        timers: Timers | None = None,
    ) -> None:
        self.clock = clock
        self.send = send
        self.dataplane = dataplane if dataplane is not None else DataPlane()
        self.timers = timers if timers is not None else Timers()
        self.stats: Counter = Counter()
        self.cache = BindingCache()
        self._pending: dict[tuple[str, bytes], _Pending] = {}
        self._pending_by_old: dict[int, _Pending] = {}
        self._lla: dict[bytes, bytes] = {}
        self._now = 0.0
        self.policy = LmaPolicy(config)
        self.pool = PrefixPool(self.policy.pools, self.policy.hnp_length, self.policy.static_owner)
        self.replay = ReplayGuard(self.policy.replay_mode, self.policy.window_ms)
        self.config = config
        self.journal = None  # pmipv6.persist.LmaJournal once restore() attached one

    # ------------------------------------------------------------------------------------------
    # configuration
    def reload(self, config: AgentConfig) -> None:
        """New MAG list, policies, lifetimes, pools; existing bindings are kept as they are (a
        binding whose MAG or profile was removed lives until it expires or is de-registered:
        its next refresh is refused with 154/153)."""
        old = self.policy
        new = LmaPolicy(config)
        cache = self.cache
        journal = self.journal
        if not self.pool.same_layout(new.pools, new.hnp_length):
            pool = PrefixPool(new.pools, new.hnp_length, new.static_owner)
            for b in cache:
                for key in b.hnp_keys():
                    pool.claim(key)
            self.pool = pool
            if journal is not None:
                journal.use_pool(pool, new.pools, new.hnp_length, rewrite=True)
        else:
            self.pool.set_reserved(new.static_owner, lambda key: key in cache.by_hnp)
        # re-point bindings at the new profile strings and MAG address objects (memory sharing)
        for b in cache:
            b.mn_id = new.served.get(b.mn_id, b.mn_id)
            entry = new.mags.get(b.mag)
            if entry is not None:
                b.mag = entry[0]
        if (old.replay_mode, old.window_ms) != (new.replay_mode, new.window_ms):
            self.replay = ReplayGuard(new.replay_mode, new.window_ms)
        if old.replay_mode != new.replay_mode:
            for b in cache:  # timestamps and sequence numbers are not comparable
                b.stamp = None
                if journal is not None:
                    journal.upsert(b)
            if journal is not None:
                journal.meta["replay_mode"] = new.replay_mode
        by_mn = cache.by_mn
        cache.by_mn = {new.served.get(mn, mn): v for mn, v in by_mn.items()}
        self.policy = new
        self.config = config

    # ------------------------------------------------------------------------------------------
    # persistence
    def restore(self, snapshot, journal, now: float) -> dict:
        """Take back the stored state (``pmipv6.persist.LmaSnapshot``, or None) and record every
        later change in ``journal``. Entries that expired while the agent was down are dropped
        and their prefixes freed; the others get their routes back and their expiry (or
        MinDelayBeforeBCEDelete) timers resume. Call before the first PBU. Returns counts."""
        policy, cache, pool = self.policy, self.cache, self.pool
        counts = {"restored": 0, "expired": 0, "skipped": 0}
        same_layout = snapshot is not None and snapshot.pool_layout == (policy.pools, policy.hnp_length)
        if same_layout:
            counts["skipped"] += pool.restore_state(snapshot.cursors, snapshot.free)
        elif snapshot is not None and snapshot.pool_layout is not None:
            log.warning("HNP pools changed while the agent was down: stored allocation cursors not used")
        self.journal = journal
        if journal is not None:
            journal.source = self
            journal.use_pool(pool, policy.pools, policy.hnp_length, rewrite=not same_layout)
        if snapshot is None:
            return counts
        reset_stamps = snapshot.replay_mode is not None and snapshot.replay_mode != policy.replay_mode
        freed: list[bytes] = []
        restored: list[Binding] = []
        for row in snapshot.bindings:
            _, hnps, mn_id, ll_id, att, hi, mag, lla, stamp, t0, life, created, state = row
            b = Binding(mn_id, ll_id, att, hi, hnps, mag, lla, stamp, t0, life)
            if t0 + life <= now:
                counts["expired"] += 1
                freed.extend(b.hnp_keys())
                if journal is not None:
                    journal.delete(b)
                continue
            if any(key in cache.by_hnp for key in b.hnp_keys()):
                log.warning("stored binding of %s overlaps another one: dropped", mn_id)
                counts["skipped"] += 1
                if journal is not None:
                    journal.delete(b)
                continue
            b.mn_id = policy.served.get(mn_id, mn_id)  # share the profile's objects, as reload does
            entry = policy.mags.get(mag)
            if entry is not None:
                b.mag = entry[0]
            if lla is not None:
                b.lla = self._intern_lla(lla)
            if reset_stamps:
                b.stamp = None
                if journal is not None:
                    journal.upsert(b)
            b.created = created
            b.state = state
            cache.add(b)
            for key in b.hnp_keys():
                pool.claim(key)  # bound: never handed out again (a no-op when already allocated)
            restored.append(b)
        for key in freed:
            if key not in cache.by_hnp:
                pool.release(key)
        if reset_stamps and journal is not None:
            journal.meta["replay_mode"] = policy.replay_mode
        for b in restored:
            try:
                self.dataplane.lma_bind(b.mag, [key_to_tuple(k) for k in b.hnp_keys()])
            except Exception:
                log.exception("data plane: restoring the routes of %s failed", b.mn_id)
        counts["restored"] = len(restored)
        return counts

    # ------------------------------------------------------------------------------------------
    # PBU processing, RFC 5213 §5.3.1 order
    def handle_pbu(
        self, pbu: ProxyBindingUpdate, src: bytes, raw: bytes | None = None
    ) -> ProxyBindingAck | None:
        stats = self.stats
        stats[_RX] += 1
        if type(pbu) is not ProxyBindingUpdate or len(src) != 16:
            stats["pbu_dropped", "not-a-pbu"] += 1
            return None
        now = self.clock()
        pba = self._fast_refresh(pbu, src, raw, now)
        if pba is not None:
            return pba
        req = _Request(pbu, src, now, raw)
        policy = self.policy

        # step 1: authentication (RFC 4285 AUTH option, reference section 10.2)
        if policy.auth is not None:
            status = self._check_auth(pbu, src, raw)
            if status:
                stats[_AUTH_FAILED] += 1
                return self._reject(req, status)
        # step 2 (well-formed MH) is the codec's job: decode() raised for a malformed one.
        # step 3: P flag (proxy registration)
        if not pbu.flags & BU_FLAG_P:
            return self._reject(req, PROXY_REG_NOT_ENABLED)
        # step 4: MN-ID option
        mnid = req.mnid_opt
        if mnid is None:
            return self._reject(req, MISSING_MN_IDENTIFIER_OPTION)
        # step 5: sender is an authorised MAG (RFC 4832 §4)
        entry = policy.mags.get(src)
        if entry is None:
            return self._reject(req, MAG_NOT_AUTHORIZED_FOR_PROXY_REG)
        req.mag = entry[0]
        # step 6: a policy profile exists and this LMA serves the MN
        ident = mnid.identifier
        mn = policy.served.get(ident if type(ident) is str else mnid.text)
        if mn is None:
            return self._reject(req, NOT_LMA_FOR_THIS_MOBILE_NODE)
        req.mn = mn
        # step 7: timestamp / sequence number (§5.5)
        found = self._lookup(req)
        status = self.replay.check(req.ts, pbu.sequence, found, src, req.now)
        if status:
            return self._reject_replay(req, status, found)
        # steps 8-10: mandatory options
        if not req.hnp_opts:
            return self._reject(req, MISSING_HOME_NETWORK_PREFIX_OPTION)
        if req.hi is None:
            return self._reject(req, MISSING_HANDOFF_INDICATOR_OPTION)
        if req.att is None or (req.att == 0 and not policy.accept_att_zero):
            return self._reject(req, MISSING_ACCESS_TECH_TYPE_OPTION)
        # step 11: every non-zero HNP is authorised for this MN
        if req.keys:
            status = self._authorise_prefixes(req)
            if status:
                return self._reject(req, status)
            return self._decide_prefixes(req)
        # step 12: BCE existence test and the §5.4.1 decision
        return self._decide_all_zero(req)

    def _fast_refresh(self, pbu: ProxyBindingUpdate, src: bytes, raw: bytes | None, now: float):
        """The hot path: a timely refresh (§5.3.3) of an active one-prefix binding from its
        current MAG, with each of MN-ID, HNP, HI, ATT (and optionally MN-LL-ID, LLA, Timestamp)
        present once. Returns None, having changed nothing, for anything else; the full
        §5.3.1 path then decides (it reaches the same answer for the PBUs accepted here).
        The PBA carries exactly the PBU's options, so the received option bytes are echoed."""
        if pbu.flags & 0x8200 != 0x8200 or not pbu.lifetime:
            return None
        policy = self.policy
        if policy.auth is not None:
            return None
        picked: dict = {}
        for o in pbu.options:
            t = type(o)
            if t in picked or t not in _REFRESH_OPTION_TYPES:
                return None  # a repeated or unusual option: the full path decides
            picked[t] = o
        get = picked.get
        mnid, hnp, hi, att = (
            get(MobileNodeIdentifier),
            get(HomeNetworkPrefix),
            get(HandoffIndicatorOption),
            get(AccessTechnologyType),
        )
        ll, lla, ts = get(MNLinkLayerIdentifier), get(LinkLocalAddress), get(Timestamp)
        if mnid is None or hnp is None or hi is None or att is None or hnp.length > 128:
            return None
        entry = policy.mags.get(src)
        mn = policy.served.get(mnid.identifier)  # a non-NAI identifier (bytes) finds nothing
        if entry is None or mn is None:
            return None
        b = self.cache.by_hnp.get(hnp.prefix + LEN_OCTET[hnp.length])
        if b is None or b.state or b.mn_id != mn or b.mag != src or len(b.hnps) != 17:
            return None
        if self.replay.timestamps:
            if ts is None:
                return None
            stamp = ts.value
            if abs(stamp - now * 65536.0) > self.replay.window or (b.stamp is not None and stamp <= b.stamp):
                return None
        else:
            stamp = pbu.sequence
            if b.stamp is not None and not 0 < ((stamp - b.stamp) & 0xFFFF) < 0x8000:
                return None
        if (not att.value and not policy.accept_att_zero) or (
            lla is not None and b.lla is not None and b.lla != lla.address
        ):
            return None
        # accepted: refresh
        journal = self.journal
        if journal is not None:
            if (ll is None or b.ll_id == ll.identifier) and (lla is None or b.lla is not None):
                journal.refreshed[b.hnps] = b  # timing, stamp, HI, ATT: a refresh-log record
            else:
                journal.upsert(b)
        cap = policy.lifetime_max
        granted = cap if pbu.lifetime >= cap else pbu.lifetime & ~3
        old_expiry = b.t0 + b.life
        b.stamp = stamp
        b.hi = hi.value
        b.att = att.value
        if ll is not None:
            b.ll_id = ll.identifier
        if lla is not None and b.lla is None:
            b.lla = self._intern_lla(lla.address)
        b.t0 = now
        b.life = granted
        if now + granted < old_expiry:
            self.cache.schedule(b)
        stats = self.stats
        stats[_REFRESH] += 1
        stats[_SENT_OK] += 1
        pba = ProxyBindingAck(ACCEPTED, pbu.sequence, granted, PBA_FLAGS, list(pbu.options))
        if raw is not None and _whole_pbu(raw):
            data = (
                _PBA_FIXED.pack(59, raw[1], 6, 0, 0, ACCEPTED, PBA_FLAGS, pbu.sequence, granted >> 2)
                + raw[12:]
            )
        else:
            data = encode(pba)
        self.send(src, data)
        return pba

    def _check_auth(self, pbu, src: bytes, raw: bytes | None) -> int:
        auth = self.policy.auth
        if raw is None:
            raw = encode(pbu)  # a decoded PBU re-encodes to its received bytes
        reason = verify(raw, auth.spi, auth.key, src, self.policy.address)
        if reason is None:
            return 0
        log.debug("PBU from %s: authentication failed: %s", ipv6_text(src), reason)
        return MIPV6_ID_MISMATCH if reason.startswith("unknown SPI") else MIPV6_AUTH_FAIL

    def _lookup(self, req: _Request) -> Binding | None:
        """The binding this PBU refers to, for the replay checks (before the full decision)."""
        cache, mn = self.cache, req.mn
        if req.keys:
            by_hnp = cache.by_hnp
            for key in req.keys:
                b = by_hnp.get(key)
                if b is not None and b.mn_id == mn:
                    return b
            return None
        if req.ll is not None:
            b = cache.by_interface(mn, req.att, req.ll)
            if b is not None or req.hi == HI_NEW_INTERFACE:
                return b
        elif req.hi == HI_NEW_INTERFACE:
            return None
        return self._candidate(mn, req.att)

    def _candidate(self, mn: str, att) -> Binding | None:
        """The MN's binding a handoff most likely moves (§5.4.1.2/3 lookups by MN-ID): prefer
        the same access technology, then one being de-registered, then the newest."""
        best, best_score = None, None
        for b in self.cache.of_mn(mn):
            score = (b.att == att, b.state == DELETING, b.t0)
            if best is None or score > best_score:
                best, best_score = b, score
        return best

    def _authorise_prefixes(self, req: _Request) -> int:
        """Step 11: a requested prefix must be the MN's static prefix, bound to this MN, or a
        free prefix of a pool (a MAG re-registering after an LMA restart lost the cache)."""
        keys = req.keys
        if len(keys) > 1 and len(set(keys)) != len(keys):
            req.keys = keys = list(dict.fromkeys(keys))
        by_hnp, mn = self.cache.by_hnp, req.mn
        statics = self.policy.static.get(mn, ())
        for key in keys:
            b = by_hnp.get(key)
            if b is not None:
                if b.mn_id != mn:
                    # a prefix of this MN's profile held by another MN (after a policy change)
                    if key in statics:
                        return ADMINISTRATIVELY_PROHIBITED
                    return NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX
            elif key not in statics and not self.pool.is_free(key):
                return NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX
        return 0

    # ------------------------------------------------------------------------------------------
    # §5.4.1 decision
    def _decide_prefixes(self, req: _Request) -> ProxyBindingAck | None:
        """§5.4.1.1: at least one non-zero HNP. All match one BCE with the same prefix set:
        existing session; some match: 159; none: new session with the requested prefixes."""
        by_hnp, keys = self.cache.by_hnp, req.keys
        b = by_hnp.get(keys[0])
        if len(keys) == 1:
            if b is not None and len(b.hnps) == 17:
                return self._existing(req, b)
        else:
            if b is not None and len(b.hnps) == 17 * len(keys) and all(by_hnp.get(k) is b for k in keys):
                return self._existing(req, b)
        if b is not None or any(by_hnp.get(k) is not None for k in keys):
            return self._reject(req, BCE_PBU_PREFIX_SET_DO_NOT_MATCH)
        return self._new(req, keys)

    def _decide_all_zero(self, req: _Request) -> ProxyBindingAck | None:
        """§5.4.1.2 (ALL_ZERO with MN-LL-ID) and §5.4.1.3 (ALL_ZERO without it), by HI."""
        cache, hi = self.cache, req.hi
        exact = cache.by_interface(req.mn, req.att, req.ll) if req.ll is not None else None
        if hi == HI_NEW_INTERFACE:
            # new interface: new session, no lookup; a retransmission (same MAG, ATT and MN-LL-ID)
            # is the session it already created
            if exact is not None and exact.mag == req.src:
                return self._existing(req, exact)
            return self._new(req, None)
        if exact is not None:  # the same interface: refresh, or inter-MAG handoff (HI=3 case)
            return self._existing(req, exact)
        cand = self._candidate(req.mn, req.att)
        if cand is None:
            return self._new(req, None)
        if hi in (HI_BETWEEN_INTERFACES, HI_BETWEEN_MAGS, HI_NOT_CHANGED):
            return self._existing(req, cand)  # move the MN's session to this interface / MAG
        # HI=4 (unknown) and unassigned values
        if cand.mag == req.src:
            if req.ll is not None and cand.ll_id is not None and cand.ll_id != req.ll:
                return self._new(req, None)  # another interface on the same MAG
            return self._existing(req, cand)
        if cand.state == DELETING or req.pbu.lifetime == 0:
            return self._existing(req, cand)  # old MAG already let go: handoff (or stale de-reg)
        return self._defer(req, cand)

    def _existing(self, req: _Request, b: Binding) -> ProxyBindingAck | None:
        """§5.3.3 refresh, §5.3.4 handoff, §5.3.5 de-registration."""
        if req.pbu.lifetime == 0:
            if b.mag != req.src:
                # §5.3.5: a de-registration from a MAG that is not the current Proxy-CoA must not
                # touch the binding (it lost a race with the new MAG's PBU)
                self.stats[_DEREG_STALE] += 1
                if self._pending:
                    self._withdraw_pending(req.mn, req.src)
                return self._accept(req, b, 0)
            return self._deregister(req, b)
        now = req.now
        granted = self._granted(req.pbu.lifetime)
        old_expiry = b.t0 + b.life
        if b.mag != req.src:
            self._move(b, req.mag)
        else:
            self.stats[_REFRESH] += 1
        self._update(b, req, now, granted)
        if now + granted < old_expiry:
            self.cache.schedule(b)  # lifetime shortened: an earlier wheel slot
        if self.journal is not None:
            self.journal.upsert(b)
        return self._accept(req, b, granted)

    def _update(self, b: Binding, req: _Request, now: float, granted) -> None:
        b.stamp = self.replay.stamp_of(req.ts, req.pbu.sequence)
        b.hi = req.hi
        b.att = req.att
        if req.ll is not None:
            b.ll_id = req.ll
        if b.lla is None and req.lla_opt is not None:
            b.lla = self._intern_lla(req.lla_opt.address)
        b.t0 = now
        b.life = granted
        b.state = ACTIVE

    def _move(self, b: Binding, mag: bytes) -> None:
        """§5.3.4 handoff: re-point the routes at the new Proxy-CoA."""
        prefixes = [key_to_tuple(k) for k in b.hnp_keys()]
        try:
            self.dataplane.lma_unbind(b.mag, prefixes)
            self.dataplane.lma_bind(mag, prefixes)
        except Exception:
            log.exception("data plane: moving %s to %s failed", b.mn_id, ipv6_text(mag))
        b.mag = mag
        self.stats[_HANDOFF] += 1

    def _deregister(self, req: _Request, b: Binding) -> ProxyBindingAck | None:
        """§5.3.5: acknowledge, keep the entry MinDelayBeforeBCEDelete, then delete it. A HI=4
        PBU waiting for exactly this de-registration takes the binding over at once (§5.4.1.2)."""
        self.stats[_DEREG] += 1
        b.stamp = self.replay.stamp_of(req.ts, req.pbu.sequence)
        if self.journal is not None:
            self.journal.upsert(b)  # read at commit time: whatever state this ends in
        ack = self._accept(req, b, 0)
        pending = self._pending_by_old.pop(id(b), None) if self._pending_by_old else None
        if pending is not None and self._pending.get((pending.req.mn, pending.req.src)) is pending:
            del self._pending[pending.req.mn, pending.req.src]
            pending.timer.cancel()
            self._take_over(pending.req, b, req.now)
            return ack
        if b.state == ACTIVE:
            delay = self.policy.delete_delay
            b.state = DELETING
            b.t0 = req.now
            b.life = delay
            if delay <= 0:
                self._delete(b)
            else:
                self.cache.schedule(b)
        return ack

    def _take_over(self, req: _Request, b: Binding, now: float) -> None:
        """A deferred HI=4 PBU becomes a handoff of ``b``; its PBA is sent now."""
        granted = self._granted(req.pbu.lifetime)
        if b.mag != req.mag:
            self._move(b, req.mag)
        self._update(b, req, now, granted)
        self.cache.schedule(b)
        if self.journal is not None:
            self.journal.upsert(b)
        self._accept(req, b, granted)

    def _defer(self, req: _Request, old: Binding) -> ProxyBindingAck | None:
        """HI=4 while the MN is still bound through another MAG: wait up to
        MaxDelayBeforeNewBCEAssign for that MAG's de-registration (§5.4.1.2, §9.1)."""
        delay = self.policy.new_bce_delay
        if delay <= 0:
            return self._new(req, None)
        key = (req.mn, req.src)
        pending = self._pending.get(key)
        if pending is not None:  # a retransmission: answer it when the decision is made
            pending.req = req
            return None
        pending = _Pending(req, old)
        pending.timer = self.timers.call_at(req.now + delay, self._pending_expired, pending)
        self._pending[key] = pending
        self._pending_by_old.setdefault(id(old), pending)
        self.stats[_DEFERRED] += 1
        return None

    def _withdraw_pending(self, mn: str, src: bytes) -> None:
        """A de-registration from the MAG whose HI=4 PBU is still waiting cancels that PBU."""
        pending = self._pending.pop((mn, src), None)
        if pending is not None:
            pending.timer.cancel()
            if self._pending_by_old.get(id(pending.old)) is pending:
                del self._pending_by_old[id(pending.old)]

    def _pending_expired(self, pending: _Pending) -> None:
        """No de-registration arrived in time: a new mobility session (§5.4.1.2)."""
        req = pending.req
        if self._pending.get((req.mn, req.src)) is pending:
            del self._pending[req.mn, req.src]
        if self._pending_by_old.get(id(pending.old)) is pending:
            del self._pending_by_old[id(pending.old)]
        when = pending.timer.when
        req.now = self._now if self._now > when else when
        self._new(req, None)

    def _new(self, req: _Request, keys: list[bytes] | None) -> ProxyBindingAck | None:
        """§5.3.2 initial registration: allocate prefixes, create the entry, set up routes."""
        if req.pbu.lifetime == 0:
            self.stats[_DEREG_UNKNOWN] += 1  # nothing to de-register
            return self._accept(req, None, 0)
        cache, pool, mn = self.cache, self.pool, req.mn
        if len(cache.of_mn(mn)) >= MAX_BINDINGS_PER_MN:
            return self._reject(req, INSUFFICIENT_RESOURCES)
        statics = self.policy.static.get(mn, ())
        if keys is not None:
            for key in keys:  # authorised in step 11: static, or a free pool prefix
                if key not in statics:
                    pool.claim(key)
            hnps = keys[0] if len(keys) == 1 else b"".join(keys)
        else:
            by_hnp = cache.by_hnp
            free = [k for k in statics if k not in by_hnp]
            if free:
                hnps = free[0] if len(free) == 1 else b"".join(free)
            elif statics and all(by_hnp[k].mn_id != mn for k in statics):
                return self._reject(req, ADMINISTRATIVELY_PROHIBITED)  # held by another MN
            else:
                key = pool.allocate()
                if key is None:
                    self.stats[_EXHAUSTED] += 1
                    log.warning("HNP pool exhausted: %s refused", mn)
                    return self._reject(req, INSUFFICIENT_RESOURCES)
                hnps = key
        lla = req.lla_opt
        b = Binding(
            mn,
            req.ll,
            req.att,
            req.hi,
            hnps,
            req.mag,
            self._intern_lla(lla.address) if lla is not None else None,
            self.replay.stamp_of(req.ts, req.pbu.sequence),
            req.now,
            self._granted(req.pbu.lifetime),
        )
        cache.add(b)
        try:
            self.dataplane.lma_bind(b.mag, [key_to_tuple(k) for k in b.hnp_keys()])
        except Exception:
            log.exception("data plane: binding %s failed", mn)
            cache.remove(b)
            for key in b.hnp_keys():
                pool.release(key)
            return self._reject(req, INSUFFICIENT_RESOURCES)
        self.stats[_CREATED] += 1
        if self.journal is not None:
            self.journal.upsert(b)
        return self._accept(req, b, b.life)

    # ------------------------------------------------------------------------------------------
    # PBA construction (§5.3.6)
    def _accept(self, req: _Request, b: Binding | None, lifetime: int) -> ProxyBindingAck | None:
        """Status 0: MN-ID, the assigned HNPs, HI, ATT, MN-LL-ID, Link-local Address (the one
        stored in the BCE, else the PBU's) and Timestamp, each when the PBU had it."""
        opts: list = [req.mnid_opt]
        if b is not None:
            hnp_opts = req.hnp_opts
            keys = req.keys
            if len(hnp_opts) == 1 and keys and keys[0] == b.hnps:
                opts.append(hnp_opts[0])  # the request's own option object: same prefix
            else:
                opts.extend(HomeNetworkPrefix(k[:16], k[16]) for k in b.hnp_keys())
        else:
            opts.extend(req.hnp_opts)
        if req.hi_opt is not None:
            opts.append(req.hi_opt)
        if req.att_opt is not None:
            opts.append(req.att_opt)
        if req.ll_opt is not None:
            opts.append(req.ll_opt)
        lla = req.lla_opt
        if lla is not None:
            if b is not None and b.lla is not None and b.lla != lla.address:
                lla = LinkLocalAddress(b.lla)
            opts.append(lla)
        if req.ts_opt is not None:
            opts.append(req.ts_opt)
        pba = ProxyBindingAck(ACCEPTED, req.pbu.sequence, lifetime, PBA_FLAGS, opts)
        if not req.pbu.flags & BU_FLAG_A:
            return None  # RFC 6275 §9.5.1: an accepted BU without A gets no acknowledgement
        self._send(req.src, pba)
        return pba

    def _reject(self, req: _Request, status: int, sequence: int | None = None, own_time: bool = False):
        """Rejection (§5.3.6): echo the Sequence #, P set, lifetime 0; copy MN-ID, every HNP option
        of the request, HI, ATT, MN-LL-ID and Timestamp when present (for 156 the LMA's own
        time instead)."""
        seq = req.pbu.sequence if sequence is None else sequence
        raw = req.raw
        if req.echo and not own_time and self.policy.auth is None and raw is not None and _whole_pbu(raw):
            # the request holds exactly the options a rejection copies: reuse its option bytes
            pba = ProxyBindingAck(status, seq, 0, PBA_FLAGS, list(req.pbu.options))
            self.stats[_SENT[status]] += 1
            self.send(req.src, _PBA_FIXED.pack(59, raw[1], 6, 0, 0, status, PBA_FLAGS, seq, 0) + raw[12:])
            return pba
        opts: list = []
        if req.mnid_opt is not None:
            opts.append(req.mnid_opt)
        opts.extend(req.hnp_opts)
        if req.hi_opt is not None:
            opts.append(req.hi_opt)
        if req.att_opt is not None:
            opts.append(req.att_opt)
        if req.ll_opt is not None:
            opts.append(req.ll_opt)
        if own_time:
            opts.append(Timestamp(seconds_to_timestamp(req.now)))
        elif req.ts_opt is not None:
            opts.append(req.ts_opt)
        pba = ProxyBindingAck(status, seq, 0, PBA_FLAGS, opts)
        self._send(req.src, pba)
        return pba

    def _reject_replay(self, req: _Request, status: int, b: Binding | None):
        if status == 156:
            return self._reject(req, status, own_time=True)
        if status == 135:  # the PBA carries the last accepted Sequence # (RFC 6275 §9.5.1)
            return self._reject(req, status, sequence=b.stamp)
        return self._reject(req, status)

    def _send(self, dest: bytes, pba: ProxyBindingAck) -> None:
        auth = self.policy.auth
        if auth is None:
            data = encode(pba)
        else:
            data = encode_signed(pba, auth.spi, auth.key, dest, self.policy.address)
        self.stats[_SENT[pba.status]] += 1
        self.send(dest, data)

    # ------------------------------------------------------------------------------------------
    # helpers
    def _granted(self, requested: int) -> int:
        """Granted lifetime: min(requested, binding_lifetime_max), a multiple of 4 (§5.3.2)."""
        cap = self.policy.lifetime_max
        return cap if requested >= cap else requested & ~3

    def _intern_lla(self, address: bytes) -> bytes:
        lla = self._lla.get(address)
        if lla is None:
            if len(self._lla) >= LLA_INTERN_MAX:
                return address
            lla = self._lla[address] = address
        return lla

    def _delete(self, b: Binding, expired: bool = False) -> None:
        self.cache.remove(b)
        keys = b.hnp_keys()
        try:
            self.dataplane.lma_unbind(b.mag, [key_to_tuple(k) for k in keys])
        except Exception:
            log.exception("data plane: removing routes of %s failed", b.mn_id)
        pool = self.pool
        for key in keys:
            pool.release(key)
        if self._pending_by_old:
            self._pending_by_old.pop(id(b), None)
        if self.journal is not None:
            self.journal.delete(b)
        self.stats[_EXPIRED if expired else _DELETED] += 1

    # ------------------------------------------------------------------------------------------
    # time
    def poll(self, now: float) -> None:
        """Run what is due at ``now``: lifetime expiry, MinDelayBeforeBCEDelete, HI=4 waits."""
        self._now = now
        for b in self.cache.due(now):
            self._delete(b, expired=b.state == ACTIVE)
        self.timers.run_due(now)

    def next_deadline(self) -> float | None:
        a = self.cache.next_deadline()
        b = self.timers.next_deadline()
        if a is None:
            return b
        return a if b is None or a < b else b

    # ------------------------------------------------------------------------------------------
    # introspection
    def binding_count(self) -> int:
        return self.cache.count

    def bindings(self) -> list[dict]:
        """Rows for ``pmipv6ctl bindings --json`` (DESIGN.md), pending HI=4 decisions included."""
        now = self.clock()
        mags = self.policy.mags
        timestamps = self.replay.timestamps
        rows = []
        for b in self.cache:
            deleting = b.state == DELETING
            left = b.t0 + b.life - now
            row = {
                "mn_id": b.mn_id,
                "mn_ll_id": mac_text(b.ll_id) if b.ll_id is not None else None,
                "hnp": [key_text(k) for k in b.hnp_keys()],
                "att": b.att,
                "lifetime": 0 if deleting else max(0, int(left)),
                "state": STATE_NAMES[b.state],
                "mag": ipv6_text(b.mag),
                "mag_name": mags.get(b.mag, (None, None))[1],
                "hi": b.hi,
                "link_local": ipv6_text(b.lla) if b.lla is not None else None,
                "created": b.created,
                "registered": b.t0,
            }
            _stamp_fields(row, timestamps, b.stamp)
            if deleting:
                row["delete_in"] = max(0.0, left)
            rows.append(row)
        for pending in self._pending.values():
            req = pending.req
            row = {
                "mn_id": req.mn,
                "mn_ll_id": mac_text(req.ll) if req.ll is not None else None,
                "hnp": [],
                "att": req.att,
                "lifetime": 0,
                "state": "pending",
                "mag": ipv6_text(req.src),
                "mag_name": mags.get(req.src, (None, None))[1],
                "hi": req.hi,
                "link_local": ipv6_text(req.lla_opt.address) if req.lla_opt is not None else None,
                "created": req.now,
                "registered": None,
                "decide_in": max(0.0, pending.timer.when - now),
            }
            _stamp_fields(row, timestamps, self.replay.stamp_of(req.ts, req.pbu.sequence))
            rows.append(row)
        return rows


def _stamp_fields(row: dict, timestamps: bool, stamp) -> None:
    if timestamps:
        row["timestamp"] = stamp / 65536.0 if stamp is not None else None
        row["sequence"] = None
    else:
        row["timestamp"] = None
        row["sequence"] = stamp

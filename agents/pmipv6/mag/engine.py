"""The Mobile Access Gateway engine (RFC 5213 §6): attach/detach, PBU signalling, PBA handling.

A pure state machine: time comes from the injected ``clock`` (UNIX seconds), timers from a
``Timers`` heap the caller drives with ``poll(now)``, and PBUs leave through the injected
``send(lma_address, mh_bytes)``.  Kernel state goes through the ``DataPlane`` hooks.

Choices where RFC 5213 / RFC 6275 leave room:

* **Handoff Indicator on attach**: 4 ("handoff state unknown") by default.  An attach reported
  by ``pmipv6ctl attach`` or an L2 event cannot tell a first attachment from an arrival from
  another MAG, and with HI=1 the LMA would open a *new* session (a new prefix) after every
  handover (RFC 5213 §5.4.1.2).  With HI=4 plus the MN-LL-ID and ATT the LMA finds the existing
  session and hands it over, or creates a new one when there is none.  A caller that knows
  better passes ``handoff=1`` (new interface, e.g. multihoming) or ``handoff=3``.
* **Sequence numbers** are kept per entry (per MN interface, like an RFC 6275 BUL entry), wrap at
  2^16, and every transmission, retransmissions included, takes the next one (RFC 6275 §11.7.1:
  each BU carries a number greater than the previous one).  A PBA answering *any* transmission
  of the pending exchange completes it, so a late answer is never lost, and a sequence-number
  mode LMA never sees a retransmission as a replay.  A re-attach of the same MN/MAC continues
  from the last number used.
* **Retransmission**: timeout ``initial_ms * 2**(n-1)`` capped at ``max_ms`` after the n-th
  transmission, a fresh Timestamp each time; ``max_attempts`` transmissions in all, then the
  entry goes to "failed" (or, for a de-registration, is removed anyway).  Immediate retries after
  status 156 or 135 count as transmissions too, which bounds any retry loop.
* **Clock resynchronisation (156)**: offset = LMA timestamp - midpoint of the local send time of
  the rejected PBU and the PBA's arrival (the NTP estimate; equal to "LMA time - our time" when
  the round trip is negligible).
* **Status 157** (timestamp lower than previously accepted): one immediate retry with a fresh
  timestamp per exchange.  In a handover the old MAG's de-registration can be stamped after the
  new MAG's PBU yet reach the LMA first; a second 157 is a hard reject.
* **Status 135** carries the LMA's last accepted number, not ours, so it is matched by MN-ID (and
  MN-LL-ID) to the entry with a pending exchange; the retry uses that number + 1.
* **Accepted** means status < 128 (0, and the "accepted with remarks" codes 2, 3, 6).
* **Refresh** at ``max(lifetime - refresh_before, lifetime / 2)`` after the PBA, with HI=5 and
  the assigned prefixes.  If the binding expires while the refresh is still unanswered, the MN is
  no longer served (``mag_unbind``) but the refresh keeps retrying until it succeeds or gives up.
* **Timestamp option** only in timestamp mode (``replay_protection.mode``, the default); the
  Link-local Address option in every registration PBU, not in de-registrations.
* **De-registration** carries the assigned prefixes (the requested ones when no PBA came yet) and
  the HI of the last accepted registration.  Service stops at once; the entry is removed when
  the PBA arrives, whatever its status, or when the retransmissions give up.  An entry that was
  rejected or failed is removed without signalling, since the LMA holds no binding for it.
* **Re-attach**: an entry that is registering, registered or refreshing is returned unchanged (a
  registering one already retransmits on its own); a rejected, failed or deregistering one is
  replaced by a fresh registration.
* **Persistence**: with a ``journal`` (``pmipv6.persist.MagJournal``) attached by ``restore``, each
  entry is recorded whenever a PBU for it is sent or its registration state changes; the daemon
  commits before the PBU leaves.  ``restore`` brings entries back after a restart: serving ones
  are bound again with their expiry and refresh timers (a refresh that came due while the agent
  was down fires at once, and so does one for a binding that expired meanwhile); exchanges that
  were in flight (registering, refreshing, de-registering) start again at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from ..config import AgentConfig
from ..dataplane import DataPlane
from ..timers import Timers
from ..wire import (
    ALL_ZERO,
    HandoffIndicator,
    HomeNetworkPrefix,
    LinkLocalAddress,
    MNLinkLayerIdentifier,
    MobileNodeIdentifier,
    ProxyBindingAck,
    Status,
    Timestamp,
    encode,
    ipv6_bytes,
    ipv6_text,
    mac_bytes,
    mac_text,
    status_name,
)
from ..wire.auth import encode_signed, verify
from .bul import (
    DEREGISTER,
    DEREGISTERING,
    FAILED,
    REFRESH,
    REFRESHING,
    REGISTER,
    REGISTERED,
    REGISTERING,
    REJECTED,
    STATES,
    BindingUpdateList,
    BindingUpdateListEntry,
    Transaction,
)
from .errors import MagError, NotAttachedError, UnknownMobileNode
from .pbu import Prefix, build_pbu
from .policy import PolicyTable
from .retransmit import timeout_after
from .sequence import next_sequence

log = logging.getLogger("pmipv6.mag")

ATTACH_HANDOFF_VALUES = frozenset(
    (
        HandoffIndicator.NEW_INTERFACE,
        HandoffIndicator.HANDOFF_BETWEEN_INTERFACES,
        HandoffIndicator.HANDOFF_BETWEEN_MAGS,
        HandoffIndicator.UNKNOWN,
    )
)
DEFAULT_ATTACH_HANDOFF = HandoffIndicator.UNKNOWN


class MobileAccessGateway:
    """Binding update list and PBU/PBA state machine for one MAG."""

    def __init__(
        self,
        config: AgentConfig,
        clock: Callable[[], float],
        send: Callable[[bytes, bytes], None],
        dataplane: DataPlane | None = None,
        timers: Timers | None = None,
    ) -> None:
        self.clock = clock
        self._send = send
        self.dataplane = dataplane if dataplane is not None else DataPlane()
        self.timers = timers if timers is not None else Timers()
        self.stats: Counter = Counter()
        self.bul = BindingUpdateList()
        self.clock_offset = 0.0  # LMA clock - our clock, learned from status 156
        self._last_sequence: dict[tuple[str, bytes], int] = {}
        self.journal = None  # pmipv6.persist.MagJournal once restore() attached one
        self._apply(config)

    def _apply(self, config: AgentConfig) -> None:
        if config.mag is None:
            raise ValueError("the configuration has no mag section")
        self.config = config
        self.policies = PolicyTable(config.mobile_nodes)
        self.lma_address = config.mag.lma.raw
        self.proxy_coa = config.address_raw
        self._link_local = ipv6_bytes(config.mag.link_local_address)
        self._interfaces = {i.name: i for i in config.mag.access_interfaces}

    def reload(self, config: AgentConfig) -> None:
        """New configuration; entries (and their LMA) are kept, new settings apply from the next PBU."""
        self._apply(config)

    # -- operator / detection events ------------------------------------------------------------

    def attach(
        self, mac: str, interface: str | None = None, mn_id: str | None = None, handoff: int | None = None
    ) -> dict:
        """An MN appeared on an access link: register it with the LMA. Returns its binding."""
        mac_raw = _parse_mac(mac)
        try:
            policy = self.policies.lookup(mac_raw, mn_id)
        except UnknownMobileNode as exc:
            self.stats[("unknown_mn",)] += 1
            log.warning("attach of %s refused: %s", mac_text(mac_raw), exc)
            raise
        iface = self._access_interface(interface)
        hi = DEFAULT_ATTACH_HANDOFF if handoff is None else handoff
        if hi not in ATTACH_HANDOFF_VALUES:
            raise ValueError(f"handoff indicator {hi} is not valid for an attach (1-4)")
        now = self.clock()
        entry = self.bul.get(mac_raw)
        if entry is not None:
            if entry.mn_id != policy.id:
                raise MagError(f"{mac_text(mac_raw)} is attached as {entry.mn_id}, not {policy.id}")
            if entry.state in (REGISTERING, REGISTERED, REFRESHING):
                self.stats[("attach_repeated",)] += 1
                return entry.to_dict(now)
            self._remove(entry)
        requested = [HomeNetworkPrefix.from_str(p).key for p in policy.hnp] or [ALL_ZERO.key]
        last = self._last_sequence.pop((policy.id, mac_raw), None)
        if last is not None and self.journal is not None:
            self.journal.last_sequence[policy.id, mac_raw] = None
        entry = BindingUpdateListEntry(
            mn_id=policy.id,
            mac=mac_raw,
            interface=iface.name,
            att=iface.access_technology,
            lma=self.lma_address,
            requested=requested,
            attach_handoff=hi,
            sequence=last or 0,
        )
        self.bul.add(entry)
        self.stats[("attach",)] += 1
        log.info("attach %s (%s) on %s: registering with HI=%d", policy.id, mac_text(mac_raw), iface.name, hi)
        self._begin(entry, REGISTER, self.config.mag.binding_lifetime, hi, requested)
        return entry.to_dict(now)

    def detach(self, mac: str) -> dict:
        """The MN left: stop serving it and de-register it. Returns its binding as it was."""
        mac_raw = _parse_mac(mac)
        entry = self.bul.get(mac_raw)
        if entry is None:
            raise NotAttachedError(f"{mac_text(mac_raw)} is not attached")
        now = self.clock()
        if entry.state == DEREGISTERING:
            return entry.to_dict(now)
        self.stats[("detach",)] += 1
        if entry.state in (REJECTED, FAILED):
            result = entry.to_dict(now)
            self._remove(entry)
            log.info("detach %s (%s): no binding at the LMA, removed", entry.mn_id, mac_text(entry.mac))
            return result
        self._unbind(entry)
        entry.cancel_binding_timers()
        prefixes = entry.prefixes or entry.requested
        entry.state = DEREGISTERING
        log.info("detach %s (%s): de-registering", entry.mn_id, mac_text(entry.mac))
        self._begin(entry, DEREGISTER, 0, entry.handoff or entry.attach_handoff, prefixes)
        return entry.to_dict(now)

    def reregister_all(self) -> int:
        """The LMA restarted and lost its binding cache: re-register every MN at once.

        Entries with assigned prefixes re-register with HI=5 and those prefixes (the LMA treats
        them as new sessions for authorised prefixes); entries that never got a PBA repeat their
        first registration.  De-registrations in progress are left alone.  Returns the number
        of PBUs sent."""
        count = 0
        lifetime = self.config.mag.binding_lifetime
        for entry in self.bul:
            if entry.state == DEREGISTERING:
                continue
            entry.cancel_binding_timers()
            if entry.prefixes:
                entry.state = REFRESHING
                self._begin(entry, REFRESH, lifetime, HandoffIndicator.NOT_CHANGED, entry.prefixes)
            else:
                entry.state = REGISTERING
                self._begin(entry, REGISTER, lifetime, entry.attach_handoff, entry.requested)
            count += 1
        self.stats[("reregister_all",)] += 1
        log.warning("LMA restart: re-registering %d mobile node(s)", count)
        return count

    # -- persistence -------------------------------------------------------------------------------

    def restore(self, snapshot, journal, now: float) -> dict:
        """Take back the stored binding update list (``pmipv6.persist.MagSnapshot``, or None) and
        record every later change in ``journal``. Serving entries whose binding has not expired
        are bound again (data plane) with their expiry timer; refreshes due by now, and
        exchanges that were in flight, are scheduled at ``now`` (they run at the first poll,
        once the socket is up). Call before any attach. Returns counts."""
        self.journal = journal
        if journal is not None:
            journal.source = self
        counts = {"restored": 0, "serving": 0, "resumed": 0}
        if snapshot is None:
            return counts
        for (mn_id, mac), seq in snapshot.last_sequence.items():
            self._last_sequence[mn_id, mac] = seq
        for row in snapshot.entries:
            if row["state"] not in STATES or self.bul.get(row["mac"]) is not None:
                log.warning("stored entry of %s (state %r) not usable: dropped", row["mn_id"], row["state"])
                if journal is not None:
                    journal.entries[row["mac"]] = None
                continue
            entry = BindingUpdateListEntry(**row)
            self.bul.add(entry)
            counts["restored"] += 1
            if entry.state in (REGISTERING, REFRESHING, DEREGISTERING):
                self.timers.call_at(now, self._resume, entry)
                counts["resumed"] += 1
            if not entry.serving or entry.expires_at is None:
                continue
            if entry.expires_at > now:
                self._bind(entry)
                entry.expiry_timer = self.timers.call_at(entry.expires_at, self._expire, entry)
                counts["serving"] += 1
            if entry.state == REGISTERED:
                due = entry.refresh_at if entry.refresh_at is not None else now
                entry.refresh_timer = self.timers.call_at(max(due, now), self._refresh, entry)
                if due <= now:
                    counts["resumed"] += 1
        return counts

    def _resume(self, entry: BindingUpdateListEntry) -> None:
        """Start again the exchange that was in flight when the agent stopped."""
        if not self.bul.contains(entry) or entry.txn is not None:
            return
        lifetime = self.config.mag.binding_lifetime
        if entry.state == REGISTERING:
            self._begin(entry, REGISTER, lifetime, entry.attach_handoff, entry.requested)
        elif entry.state == REFRESHING:
            self._begin(entry, REFRESH, lifetime, HandoffIndicator.NOT_CHANGED, entry.prefixes)
        elif entry.state == DEREGISTERING:
            prefixes = entry.prefixes or entry.requested
            self._begin(entry, DEREGISTER, 0, entry.handoff or entry.attach_handoff, prefixes)

    # -- PBA ---------------------------------------------------------------------------------------

    def handle_pba(self, pba: ProxyBindingAck, src: bytes, raw: bytes | None = None) -> None:
        """Process a decoded PBA from ``src``; ``raw`` (its bytes) is needed when auth is configured."""
        if src != self.lma_address and not any(e.lma == src for e in self.bul):
            self.stats[("pba_wrong_source",)] += 1
            log.debug("PBA from %s ignored: not our LMA", ipv6_text(src))
            return
        if not pba.proxy:
            self.stats[("pba_not_proxy",)] += 1
            return
        auth = self.config.auth
        if auth is not None:
            problem = "no raw bytes" if raw is None else verify(raw, auth.spi, auth.key, self.proxy_coa, src)
            if problem is not None:
                self.stats[("auth_failed",)] += 1
                log.warning("PBA from %s dropped: authentication failed (%s)", ipv6_text(src), problem)
                return
        self.stats[("pba_received", pba.status)] += 1
        entry = self._match(pba, src)
        if entry is None:
            self.stats[("pba_unmatched",)] += 1
            log.debug(
                "PBA seq %d status %d from %s matches no pending PBU",
                pba.sequence,
                pba.status,
                ipv6_text(src),
            )
            return
        txn = entry.txn
        sent_at = txn.outstanding.get(pba.sequence)
        entry.last_status = pba.status
        if pba.status < 128:
            self._accepted(entry, txn, pba)
        elif pba.status == Status.TIMESTAMP_MISMATCH:
            self._resynchronise(entry, txn, pba, sent_at)
        elif pba.status == Status.SEQUENCE_OUT_OF_WINDOW:
            self._resequence(entry, txn, pba)
        elif pba.status == Status.TIMESTAMP_LOWER_THAN_PREV_ACCEPTED and not txn.retried_157:
            self._fresh_timestamp(entry, txn)
        else:
            self._rejected(entry, txn, pba.status)

    def _match(self, pba: ProxyBindingAck, src: bytes) -> BindingUpdateListEntry | None:
        mn_id = pba.find(MobileNodeIdentifier)
        ll_id = pba.find(MNLinkLayerIdentifier)
        if mn_id is not None:
            candidates = self.bul.for_mn(mn_id.text)
        elif pba.status == Status.SEQUENCE_OUT_OF_WINDOW:
            return None  # its sequence number is the LMA's, so only the MN-ID could match it
        else:
            candidates = list(self.bul)
        if ll_id is not None:
            candidates = [e for e in candidates if e.mac == ll_id.identifier]
        candidates = [e for e in candidates if e.txn is not None and e.lma == src]
        if pba.status != Status.SEQUENCE_OUT_OF_WINDOW:
            candidates = [e for e in candidates if pba.sequence in e.txn.outstanding]
        return candidates[0] if len(candidates) == 1 else None

    def _accepted(self, entry: BindingUpdateListEntry, txn: Transaction, pba: ProxyBindingAck) -> None:
        self._end(entry)
        if txn.kind == DEREGISTER:
            self.stats[("deregistered",)] += 1
            log.info("de-registration of %s (%s) acknowledged", entry.mn_id, mac_text(entry.mac))
            self._remove(entry)
            return
        now = self.clock()
        lifetime = min(txn.lifetime, pba.lifetime)
        prefixes = [o.key for o in pba.find_all(HomeNetworkPrefix) if not o.is_all_zero]
        if not prefixes:  # a PBA should list them (§5.3.6); fall back to what we asked for
            prefixes = [p for p in txn.prefixes if p != ALL_ZERO.key]
        if lifetime <= 0 or not prefixes:
            self.stats[("pba_invalid",)] += 1
            log.warning(
                "PBA for %s accepted with lifetime %d and %d prefix(es): not serving",
                entry.mn_id,
                pba.lifetime,
                len(prefixes),
            )
            self._stop_serving(entry, FAILED)
            return
        if entry.bound and set(prefixes) != set(entry.prefixes):
            self._unbind(entry)
        first = entry.state == REGISTERING
        entry.prefixes = prefixes
        # §6.9.1.2: the access link uses the link-local address the LMA returns (the one the MN
        # saw at its previous MAG); with the fixed RFC 6543 address this is that address again.
        lla = pba.find(LinkLocalAddress)
        entry.link_local = lla.address if lla is not None else self._link_local
        entry.lifetime = lifetime
        entry.handoff = txn.handoff
        entry.expires_at = now + lifetime
        entry.state = REGISTERED
        if not entry.bound:
            self._bind(entry)
        self.stats[("registered" if first else "refreshed",)] += 1
        if first:
            log.info(
                "%s (%s) registered: %s, lifetime %d s",
                entry.mn_id,
                mac_text(entry.mac),
                ", ".join(f"{ipv6_text(p)}/{n}" for p, n in prefixes),
                lifetime,
            )
        entry.cancel_binding_timers()
        delay = max(lifetime - self.config.mag.refresh_before, lifetime / 2)
        entry.refresh_at = now + delay
        entry.refresh_timer = self.timers.call_at(entry.refresh_at, self._refresh, entry)
        entry.expiry_timer = self.timers.call_at(entry.expires_at, self._expire, entry)
        self._touch(entry)

    def _resynchronise(
        self, entry: BindingUpdateListEntry, txn: Transaction, pba: ProxyBindingAck, sent_at: float | None
    ) -> None:
        ts = pba.find(Timestamp)
        if ts is None:
            log.warning("status 156 without a Timestamp option for %s: cannot resynchronise", entry.mn_id)
            self._rejected(entry, txn, pba.status)
            return
        now = self.clock()
        ours = now if sent_at is None else (sent_at + now) / 2
        self.clock_offset = ts.seconds - ours
        self.stats[("clock_resync",)] += 1
        log.info("status 156 from the LMA: clock offset now %+.3f s", self.clock_offset)
        txn.outstanding.clear()  # the other pending PBUs carry stale timestamps
        self._retry(entry, txn)

    def _resequence(self, entry: BindingUpdateListEntry, txn: Transaction, pba: ProxyBindingAck) -> None:
        log.info("status 135 for %s: LMA's last accepted sequence is %d", entry.mn_id, pba.sequence)
        self.stats[("sequence_resync",)] += 1
        entry.sequence = pba.sequence  # the retry takes the next number
        txn.outstanding.clear()
        self._retry(entry, txn)

    def _fresh_timestamp(self, entry: BindingUpdateListEntry, txn: Transaction) -> None:
        """157 in a handover race: the old MAG's de-registration, stamped after our PBU, reached
        the LMA first.  Our PBU is not a replay, only overtaken: send it once more with a fresh
        timestamp (a real replay or a clock going backwards is refused again, and then stops)."""
        log.info("status 157 for %s: retrying once with a fresh timestamp", entry.mn_id)
        txn.retried_157 = True
        txn.outstanding.clear()
        self._retry(entry, txn)

    def _rejected(self, entry: BindingUpdateListEntry, txn: Transaction, status: int) -> None:
        self._end(entry)
        if txn.kind == DEREGISTER:
            log.warning(
                "de-registration of %s rejected by the LMA: status %d (%s); removed locally",
                entry.mn_id,
                status,
                status_name(status),
            )
            self._remove(entry)
            return
        log.warning(
            "PBA for %s (%s): status %d (%s); not serving this mobile node",
            entry.mn_id,
            mac_text(entry.mac),
            status,
            status_name(status),
        )
        self.stats[("rejected",)] += 1
        self._stop_serving(entry, REJECTED)

    # -- timers ------------------------------------------------------------------------------------

    def poll(self, now: float) -> None:
        """Run every timer due at ``now`` (normally ``clock()``)."""
        self.timers.run_due(now)

    def next_deadline(self) -> float | None:
        return self.timers.next_deadline()

    def _refresh(self, entry: BindingUpdateListEntry) -> None:
        if not self.bul.contains(entry) or entry.state != REGISTERED:
            return
        entry.refresh_timer = None
        entry.state = REFRESHING
        self._begin(
            entry, REFRESH, self.config.mag.binding_lifetime, HandoffIndicator.NOT_CHANGED, entry.prefixes
        )

    def _expire(self, entry: BindingUpdateListEntry) -> None:
        entry.expiry_timer = None
        if not self.bul.contains(entry) or not entry.serving:
            return
        self.stats[("binding_expired",)] += 1
        log.warning("binding of %s expired before the refresh was acknowledged: not serving", entry.mn_id)
        self._unbind(entry)

    def _on_timeout(self, entry: BindingUpdateListEntry, txn: Transaction) -> None:
        if entry.txn is not txn or not self.bul.contains(entry):
            return
        txn.timer = None
        if txn.attempts >= self.config.mag.retransmit.max_attempts:
            self._give_up(entry, txn)
            return
        self.stats[("pbu_retransmitted",)] += 1
        self._transmit(entry)

    def _give_up(self, entry: BindingUpdateListEntry, txn: Transaction) -> None:
        self._end(entry)
        self.stats[("give_up",)] += 1
        if txn.kind == DEREGISTER:
            log.warning(
                "no PBA for the de-registration of %s after %d attempts: removed locally",
                entry.mn_id,
                txn.attempts,
            )
            self._remove(entry)
            return
        log.warning(
            "no PBA from %s for %s (%s) after %d attempts: giving up, not serving",
            ipv6_text(entry.lma),
            entry.mn_id,
            mac_text(entry.mac),
            txn.attempts,
        )
        self._stop_serving(entry, FAILED)

    # -- PBU transmission --------------------------------------------------------------------------

    def _begin(self, entry: BindingUpdateListEntry, kind: str, lifetime: int, handoff: int, prefixes) -> None:
        if entry.txn is not None:
            entry.txn.cancel()
        entry.txn = Transaction(kind, lifetime, int(handoff), list(prefixes))
        self._transmit(entry)

    def _retry(self, entry: BindingUpdateListEntry, txn: Transaction) -> None:
        """Send again at once (after 156 / 135), within the same attempt budget."""
        txn.cancel()
        if txn.attempts >= self.config.mag.retransmit.max_attempts:
            self._give_up(entry, txn)
            return
        self.stats[("pbu_retried",)] += 1
        self._transmit(entry)

    def _transmit(self, entry: BindingUpdateListEntry) -> None:
        txn = entry.txn
        txn.cancel()
        now = self.clock()
        entry.sequence = next_sequence(entry.sequence)
        timestamp_mode = self.config.replay_protection.mode == "timestamp"
        pbu = build_pbu(
            sequence=entry.sequence,
            lifetime=txn.lifetime,
            mn_id=entry.mn_id,
            prefixes=txn.prefixes,
            handoff=txn.handoff,
            att=entry.att,
            mn_ll_id=entry.mac,
            timestamp=now + self.clock_offset if timestamp_mode else None,
            link_local=self._link_local if txn.lifetime else None,
        )
        auth = self.config.auth
        if auth is not None:
            data = encode_signed(pbu, auth.spi, auth.key, self.proxy_coa, entry.lma)
        else:
            data = encode(pbu)
        txn.attempts += 1
        txn.outstanding[entry.sequence] = now
        self._touch(entry)  # the new sequence number (and state) is durable before the PBU leaves
        try:
            self._send(entry.lma, data)
        except OSError as exc:  # unreachable LMA and the like: the retransmission timer still runs
            self.stats[("send_failed",)] += 1
            log.debug("PBU to %s not sent: %s", ipv6_text(entry.lma), exc)
        else:
            self.stats[("pbu_sent",)] += 1
        delay = timeout_after(self.config.mag.retransmit, txn.attempts)
        txn.timer = self.timers.call_at(now + delay, self._on_timeout, entry, txn)

    def _end(self, entry: BindingUpdateListEntry) -> None:
        if entry.txn is not None:
            entry.txn.cancel()
            entry.txn = None

    # -- data plane and removal ----------------------------------------------------------------

    def _stop_serving(self, entry: BindingUpdateListEntry, state: str) -> None:
        entry.state = state
        entry.expires_at = None
        entry.cancel_binding_timers()
        self._unbind(entry)
        self._touch(entry)

    def _touch(self, entry: BindingUpdateListEntry) -> None:
        journal = self.journal
        if journal is not None and self.bul.contains(entry):
            journal.entries[entry.mac] = entry

    def _bind(self, entry: BindingUpdateListEntry) -> None:
        entry.bound = True
        try:
            self.dataplane.mag_bind(entry.lma, list(entry.prefixes), entry.interface, entry.mac)
        except Exception:  # the engine must survive any backend failure; the operator sees the log
            self.stats[("dataplane_error",)] += 1
            log.exception("data plane: binding %s failed", entry.mn_id)

    def _unbind(self, entry: BindingUpdateListEntry) -> None:
        if not entry.bound:
            return
        entry.bound = False
        try:
            self.dataplane.mag_unbind(entry.lma, list(entry.prefixes), entry.interface, entry.mac)
        except Exception:  # see _bind
            self.stats[("dataplane_error",)] += 1
            log.exception("data plane: unbinding %s failed", entry.mn_id)

    def _remove(self, entry: BindingUpdateListEntry) -> None:
        entry.cancel_all()
        self._unbind(entry)
        self.bul.remove(entry)
        self._last_sequence[entry.mn_id, entry.mac] = entry.sequence
        journal = self.journal
        if journal is not None:
            journal.entries[entry.mac] = None
            journal.last_sequence[entry.mn_id, entry.mac] = entry.sequence

    def _access_interface(self, name: str | None):
        interfaces = self.config.mag.access_interfaces
        if name is None:
            if not interfaces:
                raise ValueError("no access interface is configured")
            return interfaces[0]
        try:
            return self._interfaces[name]
        except KeyError:
            known = ", ".join(self._interfaces) or "none"
            raise ValueError(f"{name!r} is not an access interface (configured: {known})") from None

    # -- views -------------------------------------------------------------------------------------

    def binding_count(self) -> int:
        return len(self.bul)

    def bindings(self) -> list[dict]:
        now = self.clock()
        return [entry.to_dict(now) for entry in self.bul]

    def entry(self, mac: str) -> BindingUpdateListEntry | None:
        return self.bul.get(_parse_mac(mac))


def _parse_mac(mac: str) -> bytes:
    try:
        return mac_bytes(mac)
    except ValueError:
        raise ValueError(f"not a MAC address: {mac!r}") from None


__all__ = ["DEFAULT_ATTACH_HANDOFF", "MobileAccessGateway", "Prefix"]

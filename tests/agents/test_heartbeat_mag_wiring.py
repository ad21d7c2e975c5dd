"""MAG + heartbeat wiring (pmipv6.mag.monitor_lma): one clock, one timer heap, one send(); a change of
the LMA's restart counter re-registers every mobile node at once, one PBU each."""

from __future__ import annotations

from pmipv6.config import parse_config
from pmipv6.mag import MobileAccessGateway, monitor_lma
from pmipv6.wire import (
    BAFlag,
    HandoffIndicatorOption,
    Heartbeat,
    HeartbeatFlag,
    HomeNetworkPrefix,
    MobileNodeIdentifier,
    ProxyBindingAck,
    ProxyBindingUpdate,
    RestartCounter,
    decode,
    ipv6_bytes,
)

LMA = ipv6_bytes("2001:db8:c::1")
T0 = 1_700_000_000.0
MNS = [
    ("alice@campus.example", "02:00:00:00:00:0a", "2001:db8:100:a::"),
    ("bob@campus.example", "02:00:00:00:00:0b", "2001:db8:100:b::"),
    ("carol@campus.example", "02:00:00:00:00:0c", "2001:db8:100:c::"),
]
CONFIG = """
node: mag1
role: mag
address: 2001:db8:c::2
control_socket: /run/pmipv6/mag1.sock
state_dir: /var/lib/pmipv6/mag1
heartbeat: {interval: 10, missed: 3}
mag:
  lma: {name: lma1, address: "2001:db8:c::1"}
  access_interfaces: [{name: acc0}]
mobile_nodes:
""" + "".join(f'  - {{id: {mn}, mac: "{mac}"}}\n' for mn, mac, _ in MNS)


class Node:
    def __init__(self):
        self.now = T0
        self.sent: list[tuple[float, bytes, object]] = []
        self.mag = MobileAccessGateway(parse_config(CONFIG), lambda: self.now, self.send)
        self.monitor = monitor_lma(self.mag, self.send, restart_counter=3)

    def send(self, dest: bytes, data: bytes) -> None:
        self.sent.append((self.now, dest, decode(data)))

    def run_until(self, limit: float) -> None:
        while (d := self.mag.next_deadline()) is not None and d <= limit:
            self.now = d
            self.mag.poll(d)
        self.now = limit

    def of_type(self, cls, since: int = 0) -> list:
        return [m for _, _, m in self.sent[since:] if isinstance(m, cls)]

    def lma_heartbeat_response(self, counter: int) -> None:
        seq = self.of_type(Heartbeat)[-1].sequence
        self.monitor.receive(Heartbeat(seq, HeartbeatFlag.R, [RestartCounter(counter)]), LMA)


def test_lma_restart_reregisters_every_mobile_node():
    node = Node()
    for mn, mac, prefix in MNS:
        node.mag.attach(mac)
        pbu = node.of_type(ProxyBindingUpdate)[-1]
        pba = ProxyBindingAck(
            0,
            pbu.sequence,
            3600,
            BAFlag.P,
            [MobileNodeIdentifier(mn), HomeNetworkPrefix(ipv6_bytes(prefix), 64)],
        )
        node.mag.handle_pba(pba, LMA)
    assert all(b["state"] == "registered" for b in node.mag.bindings())

    node.run_until(T0)  # the first heartbeat request goes out on the shared timer heap
    assert len(node.of_type(Heartbeat)) == 1
    node.lma_heartbeat_response(counter=1)  # first value: only recorded
    assert len(node.of_type(ProxyBindingUpdate)) == 3

    node.run_until(T0 + 10)
    node.now = T0 + 10.5
    mark = len(node.sent)
    node.lma_heartbeat_response(counter=2)  # the LMA restarted and lost its binding cache

    pbus = node.of_type(ProxyBindingUpdate, mark)
    assert len(pbus) == 3  # exactly one PBU per MN, all at once
    assert all(t == T0 + 10.5 and dest == LMA for t, dest, _ in node.sent[mark:])
    assert {p.find(MobileNodeIdentifier).identifier for p in pbus} == {mn for mn, _, _ in MNS}
    for pbu in pbus:
        mn = pbu.find(MobileNodeIdentifier).identifier
        expected = next(ipv6_bytes(prefix) for m, _, prefix in MNS if m == mn)
        assert pbu.find(HandoffIndicatorOption).value == 5
        assert [o.key for o in pbu.find_all(HomeNetworkPrefix)] == [(expected, 64)]
    assert node.monitor.stats["peer_restart",] == 1
    assert node.mag.stats["reregister_all",] == 1


def test_restart_of_another_peer_does_not_reregister():
    node = Node()
    other = ipv6_bytes("2001:db8:c::7")
    node.monitor.add_peer(other, "other")
    node.mag.attach(MNS[0][1])
    node.monitor.receive(Heartbeat(1, 0, [RestartCounter(1)]), other)
    node.monitor.receive(Heartbeat(2, 0, [RestartCounter(2)]), other)
    assert node.monitor.stats["peer_restart",] == 1
    assert node.mag.stats["reregister_all",] == 0
    assert len(node.of_type(ProxyBindingUpdate)) == 1


def test_heartbeat_and_pbu_timers_share_one_heap():
    node = Node()
    node.mag.attach(MNS[0][1])  # retransmission due at T0 + 1.5
    assert node.mag.next_deadline() == T0  # the heartbeat request comes first
    node.run_until(T0 + 31)
    beats = [t for t, _, m in node.sent if isinstance(m, Heartbeat)]
    assert beats == [T0, T0 + 10, T0 + 20, T0 + 30]
    assert node.monitor.peers()[0]["state"] == "down"  # three requests without an answer

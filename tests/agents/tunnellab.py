"""The MN - MAG - LMA - CN namespace topology for the userspace tunnel, shared by
``test_dataplane_userspace.py`` and ``bench/tunnel.py``.

Both sides of the tunnel are data-plane backends bound as the engines would bind them (no
agents, no signalling); the same namespaces can instead carry plain kernel routes, so tunnel and
plain forwarding are measured in one topology.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path

from nettools import Lab, run, wait_for

from pmipv6.dataplane.userspace import UserspaceDataPlane

MAG_ADDR, LMA_ADDR = "2001:db8:c::2", "2001:db8:c::1"
HNP, MN_ADDR = "2001:db8:100:1::/64", "2001:db8:100:1::10"
MN_MAC = "02:00:00:00:00:0a"  # the MAG's source guard lets only this MAC send from HNP
CN_ADDR, LMA_EXT = "2001:db8:e::2", "2001:db8:e::1"
MAG_LLA = "fe80::200:5eff:fe00:5213"
IPERF_PORT = 5201
# How long the core link's receiver holds packets for GRO in the NIC-like setting, like a NIC's
# interrupt coalescing (ethtool rx-usecs; tens of microseconds is common)
CORE_COALESCE_NS = 50_000


def raw(address: str) -> bytes:
    return ipaddress.IPv6Address(address).packed


def pfx(text: str) -> tuple[bytes, int]:
    net = ipaddress.IPv6Network(text)
    return net.network_address.packed, net.prefixlen


class Topology:
    """mn --(eth0|acc0)-- mag --(core0, 2001:db8:c::/64)-- lma --(ext0|eth0)-- cn"""

    def __init__(self) -> None:
        self.lab = Lab()
        lab = self.lab
        try:
            self.mn, self.mag, self.lma, self.cn = (lab.ns(r) for r in ("mn", "mag", "lma", "cn"))
            for ns in (self.mn, self.mag, self.lma, self.cn):  # no DAD: link-locals usable at once
                run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
            lab.link(self.mag, "acc0", self.mn, "eth0", mac_b=MN_MAC)
            lab.link(self.mag, "core0", self.lma, "core0")
            lab.link(self.lma, "ext0", self.cn, "eth0")
            lab.addr(self.mn, "eth0", f"{MN_ADDR}/64")
            lab.addr(self.mag, "acc0", f"{MAG_LLA}/64")
            lab.addr(self.mag, "core0", f"{MAG_ADDR}/64")
            lab.addr(self.lma, "core0", f"{LMA_ADDR}/64")
            lab.addr(self.lma, "ext0", f"{LMA_EXT}/64")
            lab.addr(self.cn, "eth0", f"{CN_ADDR}/64")
            run("ip", "-n", self.mn, "-6", "route", "add", "default", "via", MAG_LLA, "dev", "eth0")
            run("ip", "-n", self.cn, "-6", "route", "add", "default", "via", LMA_EXT, "dev", "eth0")
            for ns in (self.mag, self.lma):
                run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        except BaseException:
            lab.close()
            raise

    def plain_routes(self, action: str = "add") -> None:
        """Plain kernel forwarding MN <-> CN instead of the tunnel (``add`` or ``del``)."""
        run("ip", "-n", self.mag, "-6", "route", action, "default", "via", LMA_ADDR, "dev", "core0")
        run("ip", "-n", self.mag, "-6", "route", action, HNP, "dev", "acc0")
        run("ip", "-n", self.lma, "-6", "route", action, HNP, "via", MAG_ADDR, "dev", "core0")

    def core_like_nic(self, on: bool = True, *, keep_tso: bool = True) -> None:
        """Let the MAG-LMA veth pair receive like a physical NIC (``on``), or as veth does by default.

        By default a veth hands each packet to the receiving namespace inside the sender's system
        call, one at a time, so nothing is ever merged; a NIC coalesces interrupts and GRO merges
        what arrives together (for IPv6-in-IPv6 too).  ``on``: GRO and a gro_flush_timeout /
        napi_defer_hard_irqs that hold packets for CORE_COALESCE_NS, like a NIC's rx-usecs; and
        veth merges only what its sender could not have sent as one GSO packet, so either

        * ``keep_tso``: rx-udp-gro-forwarding too, which lets veth take its NAPI path for packets
          that local sockets send while both ends keep TSO, so plain forwarding is unaffected.
          It also merges tunnelled UDP datagrams, whose boundaries a raw socket cannot return:
          for TCP measurements only (bench/tunnel.py), never on a real core link; or
        * not ``keep_tso``: TSO off at both ends, a wire's view (segments on the link, merged on
          receipt) with UDP left alone; plain forwarding pays for software segmentation."""
        state = "on" if on else "off"
        udp_fwd = state if keep_tso else "off"
        tso = "on" if keep_tso or not on else "off"
        timeout, defer = (CORE_COALESCE_NS, 2) if on else (0, 0)
        for ns in (self.mag, self.lma):
            features = ("gro", state, "rx-udp-gro-forwarding", udp_fwd, "tso", tso)
            run("ip", "netns", "exec", ns, "ethtool", "-K", "core0", *features)
            run(  # ip netns exec mounts the namespace's own sysfs
                "ip", "netns", "exec", ns, "sh", "-c",
                f"echo {timeout} > /sys/class/net/core0/gro_flush_timeout"
                f" && echo {defer} > /sys/class/net/core0/napi_defer_hard_irqs",
            )  # fmt: skip

    def close(self) -> None:
        self.lab.close()


def bind_pair(topo: Topology, **kwargs) -> tuple[UserspaceDataPlane, UserspaceDataPlane]:
    """A started MAG and LMA backend with the HNP bound through their tunnel."""
    mag = UserspaceDataPlane(MAG_ADDR, netns=topo.mag, **kwargs)
    lma = UserspaceDataPlane(LMA_ADDR, netns=topo.lma, **kwargs)
    mag.start()
    try:
        lma.start()
    except BaseException:
        mag.stop()
        raise
    mag.mag_bind(raw(LMA_ADDR), [pfx(HNP)], "acc0", bytes.fromhex(MN_MAC.replace(":", "")))
    lma.lma_bind(raw(MAG_ADDR), [pfx(HNP)])
    return mag, lma


def iperf(topo: Topology, log: Path, seconds: int = 3) -> float:
    """One iperf3 TCP stream MN -> CN for ``seconds``; received Mbit/s."""
    server = topo.lab.spawn(topo.cn, ["iperf3", "-s", "-1", "-B", CN_ADDR, "-p", str(IPERF_PORT)], log)
    listening = ["ip", "netns", "exec", topo.cn, "ss", "-ltnH", "sport", f"= :{IPERF_PORT}"]
    client = ["ip", "netns", "exec", topo.mn, "iperf3", "-c", CN_ADDR, "-p", str(IPERF_PORT)]
    try:
        wait_for(
            lambda: run(*listening, check=False).stdout.strip(),
            5,
            interval=0.05,
            what="iperf3 server",
        )
        out = subprocess.run(
            [*client, "-t", str(seconds), "-J"],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        )
        result = json.loads(out.stdout)
        if "error" in result:
            raise RuntimeError(f"iperf3: {result['error']}")
        return result["end"]["sum_received"]["bits_per_second"] / 1e6
    finally:
        topo.lab.stop(server, timeout=5)

"""The one-box lab: a whole PMIPv6 domain in network namespaces on this machine (make lab).

    nslab.py up      build the hosts (idempotent): lma1, mag1..magN run sshd; mn1, cn1 do not
    nslab.py demo    attach mn1, ping it from cn1 every 20 ms while it moves to the other MAG
    nslab.py down    remove everything it built (processes by PID, then namespaces and links)

Topology (every name carries the lab's prefix, "pmlab" by default):

    controller (root namespace) ── <prefix>0 bridge, 198.18.90.1 ── eth0 of lma1, mag1, mag2 (sshd)
    cn1 ── lma1 ══ core bridge ══ mag1 ── acc0 ~ ap1 bridge ~ mn1 (moves to ap2)
                              ══ mag2 ── acc0 ~ ap2 bridge

The bridges core, ap1, ap2 live in the namespace <prefix>-air (IPv6 off there). Each sshd host
runs in a private mount namespace in which /etc/pmipv6, /var/lib/pmipv6, /run/pmipv6,
/opt/pmipv6 and /var/log/pmipv6 are its own directories under the lab's work directory, so the
hosts do not share configuration, state, sockets or installed agents; Ansible's sessions and the
agents it starts inherit that view.  See ../shared/reference/test-environment.md, section 3.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PRIVATE_DIRS = ("/etc/pmipv6", "/var/lib/pmipv6", "/run/pmipv6", "/opt/pmipv6", "/var/log/pmipv6")
CORE_PREFIX = "2001:db8:c::"
LMA_CN_SIDE, CN_ADDR = "2001:db8:cafe::1", "2001:db8:cafe::2"
MN_MAC = "02:00:00:00:01:01"  # mn1's profile in inventories/lab/group_vars/all/domain.yml


@dataclass(frozen=True)
class Lab:
    """Names and addresses of one lab; tests and benchmarks use other prefixes and subnets."""

    prefix: str = "pmlab"
    mgmt: str = "198.18.90"  # controller .1, lma1 .2, mag<k> .2+k
    mags: int = 2
    workdir: Path = Path("/run/pmipv6-lab")

    @property
    def ssh_hosts(self) -> list[str]:
        return ["lma1", *(f"mag{k}" for k in range(1, self.mags + 1))]

    def ns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def mgmt_address(self, host: str) -> str:
        return f"{self.mgmt}.{2 + self.ssh_hosts.index(host)}"

    @staticmethod
    def core_address(host: str) -> str:
        return CORE_PREFIX + ("1" if host == "lma1" else f"{1 + int(host[3:]):x}")

    @property
    def key(self) -> Path:
        return self.workdir / "id_ed25519"

    @property
    def bridge(self) -> str:
        return f"{self.prefix}0"


# -- helpers ---------------------------------------------------------------------------------------
def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"nslab: {' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


def ip(ns: str | None, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh("ip", *(("-n", ns) if ns else ()), *args, check=check)


def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def link_exists(ns: str | None, name: str) -> bool:
    return ip(ns, "link", "show", name, check=False).returncode == 0


def sysctl(ns: str, *settings: str) -> None:
    sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", *settings)


def veth(ns_a: str | None, if_a: str, ns_b: str, if_b: str, mac_b: str | None = None) -> None:
    """A veth pair from ``ns_a`` (None: the root namespace) to ``ns_b``, both ends up."""
    if link_exists(ns_b, if_b):
        return
    extra = ("address", mac_b) if mac_b else ()
    ip(ns_a, "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b, *extra)
    ip(ns_a, "link", "set", if_a, "up")
    ip(ns_b, "link", "set", if_b, "up")


def address(ns: str, ifname: str, cidr: str) -> None:
    ip(ns, "addr", "replace", cidr, "dev", ifname, *(("nodad",) if ":" in cidr else ()))


def pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


# -- up --------------------------------------------------------------------------------------------
def up(lab: Lab) -> None:
    """Build whatever is missing; what exists is left as it is (a second run changes nothing)."""
    for needed in ("ip", "unshare", "/usr/sbin/sshd", "ssh-keygen"):
        if shutil.which(needed) is None:
            raise SystemExit(f"nslab: {needed} not found (apt-get install iproute2 openssh-server)")
    lab.workdir.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)
    if not lab.key.exists():
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{lab.prefix} lab", "-f", str(lab.key))
    authorized = lab.workdir / "authorized_keys"
    authorized.write_text(Path(f"{lab.key}.pub").read_text())
    authorized.chmod(0o600)
    for directory in PRIVATE_DIRS:  # mount points for the private views
        Path(directory).mkdir(parents=True, exist_ok=True)
    _management_bridge(lab)
    air = _air(lab)
    for host in [*lab.ssh_hosts, "cn1", "mn1"]:
        _namespace(lab.ns(host))
    _core(lab, air)
    _access(lab, air)
    _correspondent(lab)
    for host in lab.ssh_hosts:
        _sshd(lab, host)
    print(f"lab {lab.prefix}: " + ", ".join(f"{h} {lab.mgmt_address(h)}" for h in lab.ssh_hosts))


def _namespace(name: str) -> None:
    if not netns_exists(name):
        sh("ip", "netns", "add", name)
        ip(name, "link", "set", "lo", "up")


def _management_bridge(lab: Lab) -> None:
    if link_exists(None, lab.bridge):
        return
    ip(None, "link", "add", lab.bridge, "type", "bridge")
    ip(None, "addr", "add", f"{lab.mgmt}.1/24", "dev", lab.bridge)
    ip(None, "link", "set", lab.bridge, "up")


def _air(lab: Lab) -> str:
    air = lab.ns("air")
    if not netns_exists(air):
        _namespace(air)
        sysctl(air, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    for bridge in ("core", *(f"ap{k}" for k in range(1, lab.mags + 1))):
        if not link_exists(air, bridge):
            ip(air, "link", "add", bridge, "type", "bridge")
            ip(air, "link", "set", bridge, "up")
    return air


def _attach_to(air: str, port: str, bridge: str) -> None:
    ip(air, "link", "set", port, "master", bridge)


def _core(lab: Lab, air: str) -> None:
    for host in lab.ssh_hosts:
        ns = lab.ns(host)
        if not link_exists(ns, "core0"):
            veth(air, f"c-{host}", ns, "core0")
            _attach_to(air, f"c-{host}", "core")
        address(ns, "core0", f"{lab.core_address(host)}/64")
        if not link_exists(ns, "eth0"):  # management: sshd listens here
            veth(None, f"{lab.prefix}-{host}", ns, "eth0")
            ip(None, "link", "set", f"{lab.prefix}-{host}", "master", lab.bridge)
        ip(ns, "addr", "replace", f"{lab.mgmt_address(host)}/24", "dev", "eth0")


def _access(lab: Lab, air: str) -> None:
    for k in range(1, lab.mags + 1):
        ns = lab.ns(f"mag{k}")
        if not link_exists(ns, "acc0"):
            veth(air, f"a-mag{k}", ns, "acc0")
            _attach_to(air, f"a-mag{k}", f"ap{k}")
    mn = lab.ns("mn1")
    if not link_exists(mn, "wlan0"):
        veth(air, "s-mn1", mn, "wlan0", mac_b=MN_MAC)
        _attach_to(air, "s-mn1", "ap1")


def _correspondent(lab: Lab) -> None:
    lma, cn = lab.ns("lma1"), lab.ns("cn1")
    if not link_exists(cn, "eth1"):
        veth(lma, "cn0", cn, "eth1")
    address(lma, "cn0", f"{LMA_CN_SIDE}/64")
    address(cn, "eth1", f"{CN_ADDR}/64")
    ip(cn, "-6", "route", "replace", "default", "via", LMA_CN_SIDE, "dev", "eth1")


def _sshd(lab: Lab, host: str) -> None:
    home = lab.workdir / host
    pidfile = home / "sshd.pid"
    if pid_alive(pidfile):
        return
    for directory in PRIVATE_DIRS:
        (home / directory.strip("/").replace("/", "_")).mkdir(parents=True, exist_ok=True)
    config = home / "sshd.conf"
    config.write_text(
        f"ListenAddress {lab.mgmt_address(host)}\n"
        "HostKey /etc/ssh/ssh_host_ed25519_key\n"
        f"PidFile {pidfile}\n"
        f"AuthorizedKeysFile {lab.workdir / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\n"
        "MaxSessions 50\nMaxStartups 50:30:100\n"
    )
    binds = "; ".join(
        f"mount --bind {home / d.strip('/').replace('/', '_')} {d}" for d in PRIVATE_DIRS
    )  # fmt: skip
    sh(
        "ip", "netns", "exec", lab.ns(host), "unshare", "--mount", "--uts", "--propagation", "private",
        "sh", "-c", f"hostname {host}; {binds}; exec /usr/sbin/sshd -f {config} -E {home / 'sshd.log'}",
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not pid_alive(pidfile) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not pid_alive(pidfile):
        raise SystemExit(f"nslab: sshd of {host} did not start; see {home / 'sshd.log'}")


# -- down ------------------------------------------------------------------------------------------
def down(lab: Lab) -> None:
    """Kill every process in the lab's namespaces (by PID), delete the namespaces (their links go
    with them) and the management bridge, and the work directory."""
    hosts = [*lab.ssh_hosts, "cn1", "mn1", "air"]
    for host in hosts:
        name = lab.ns(host)
        if not netns_exists(name):
            continue
        pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
        for pid in pids:
            _kill(int(pid))
        sh("ip", "netns", "del", name, check=False)
    if link_exists(None, lab.bridge):
        ip(None, "link", "del", lab.bridge, check=False)
    if lab.workdir.exists():
        shutil.rmtree(lab.workdir)
    print(f"lab {lab.prefix}: removed")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# -- inventories and playbook runs (tests, benchmarks) --------------------------------------------
SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def lab_domain(lab: Lab) -> dict:
    """inventories/lab's domain, with one MAG (and AP) per MAG host of ``lab``."""
    domain = yaml.safe_load((REPO / "inventories/lab/group_vars/all/domain.yml").read_text())["pmipv6_domain"]
    domain["mags"] = {
        f"mag{k}": {
            "address": lab.core_address(f"mag{k}"),
            "lma": "lma1",
            "access_interfaces": [{"name": "acc0", "aps": [f"ap{k}"]}],
        }
        for k in range(1, lab.mags + 1)
    }
    domain["aps"] = {
        f"ap{k}": {"mag": f"mag{k}", "access_technology": "ieee-802.11"} for k in range(1, lab.mags + 1)
    }
    return domain


def write_inventory(
    directory: Path, domain: dict, hosts: dict[str, str], key: Path, groups: dict[str, dict] | None = None
) -> Path:
    """An inventory like inventories/lab's: ``hosts`` maps node name -> management address.
    ``groups`` adds inventory groups beside ``lab`` ({name: {"hosts": {...}, "vars": {...}}}), e.g.
    emulated IOS-XE routers, which take none of the lab hosts' SSH settings."""
    (directory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    wheelhouse = str(REPO / "build" / "wheelhouse")
    localhost = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    group_vars = {
        "ansible_user": "root",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_private_key_file": str(key),
        "ansible_ssh_common_args": SSH_ARGS,
        "lma_wheelhouse": wheelhouse,
        "mag_wheelhouse": wheelhouse,
    }
    nodes = {name: {"ansible_host": address, "pmipv6_node": name} for name, address in hosts.items()}
    inventory = {
        "all": {
            "hosts": {"localhost": localhost},
            "children": {"lab": {"vars": group_vars, "hosts": nodes}, **(groups or {})},
        }
    }
    (directory / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (directory / "group_vars" / "all" / "domain.yml").write_text(yaml.safe_dump({"pmipv6_domain": domain}))
    return directory


def playbook(inventory: Path, name: str, *extra: str, timeout: float = 600) -> tuple[int, str, dict]:
    """Run ``playbooks/<name>`` against this checkout; (rc, output, recap per host)."""
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
        ANSIBLE_PIPELINING="True",
        ANSIBLE_FORKS="20",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_LOCAL_TEMP=str(inventory / ".ansible-tmp"),
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         str(REPO / "playbooks" / name), *extra],
        capture_output=True, text=True, env=env, timeout=timeout, check=False,
    )  # fmt: skip
    recap = {
        m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]), "failed": int(m[5])}
        for m in RECAP.finditer(done.stdout)
    }
    return done.returncode, done.stdout + done.stderr, recap


# -- the agents and the mobile node ----------------------------------------------------------------
def ctl(lab: Lab, host: str, command: str, **args):
    """A control-API call to ``host``'s agent. Its socket is in the host's private /run/pmipv6,
    which is a directory of the lab's work directory seen from here."""
    sys.path.insert(0, str(REPO / "agents"))
    from pmipv6.control.server import CommandError, request

    try:
        return request(str(lab.workdir / host / "run_pmipv6" / f"{host}.sock"), command, **args)
    except (OSError, CommandError) as exc:
        raise SystemExit(f"nslab: {host}: {command} failed: {exc}") from None


def mn_address(lab: Lab) -> ipaddress.IPv6Address | None:
    data = json.loads(ip(lab.ns("mn1"), "-j", "-6", "addr", "show", "dev", "wlan0", "scope", "global").stdout)
    for entry in data[0]["addr_info"] if data else []:
        if "tentative" not in entry and entry.get("local"):
            return ipaddress.IPv6Address(entry["local"])
    return None


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"nslab: timed out after {timeout:g} s waiting for {what}")


def current_ap(lab: Lab) -> str:
    data = json.loads(ip(lab.ns("air"), "-j", "link", "show", "s-mn1").stdout)
    return data[0].get("master", "")


def move(lab: Lab, ap: str) -> float:
    """Re-associate mn1 with ``ap`` as an AP controller would report it; returns the moment."""
    air, old = lab.ns("air"), current_ap(lab)
    ip(air, "link", "set", "s-mn1", "down")
    if old:  # the disassociation, reported (and answered) first
        with contextlib.suppress(SystemExit):  # not attached there: nothing to report
            ctl(lab, f"mag{old[2:]}", "detach", mac=MN_MAC)
    ip(air, "link", "set", "s-mn1", "master", ap)
    ip(air, "link", "set", "s-mn1", "up")
    moment = time.monotonic()
    ctl(lab, f"mag{ap[2:]}", "attach", mac=MN_MAC, interface="acc0", handoff=3)
    return moment


def demo(lab: Lab) -> int:
    """mn1 at its current AP (attached if need be) -> ping from cn1 -> move to the other AP."""
    sys.path.insert(0, str(REPO / "tests" / "agents"))
    from domain import Pinger  # the test harness's pinger: ICMPv6 echo from a namespace

    here = current_ap(lab) or "ap1"
    mag = f"mag{here[2:]}"
    bound = [b for b in ctl(lab, mag, "bindings") if b["mn_ll_id"] == MN_MAC]
    if not bound:
        ctl(lab, mag, "attach", mac=MN_MAC, interface="acc0")
    before = wait(lambda: mn_address(lab), 15, "mn1's SLAAC address")
    print(f"mn1 is at {here} ({mag}); its address (SLAAC, from the LMA's prefix): {before}")
    there = "ap2" if here == "ap1" else "ap1"
    with Pinger(lab.ns("cn1"), before, interval=0.02, duration=20) as pinger:
        time.sleep(1.0)
        print(f"cn1 pings {before} every 20 ms; moving mn1 {here} -> {there} (mag{there[2:]}) ...")
        moment = move(lab, there)
        gap = pinger.wait_reply_after(moment, 10)
        time.sleep(1.0)
    after = mn_address(lab)
    lost = pinger.lost()
    lma = ctl(lab, "lma1", "bindings")
    serving = next((b["mag"] for b in lma if b["mn_ll_id"] == MN_MAC), None)
    print(f"address after the handover: {after} ({'unchanged' if after == before else 'CHANGED'})")
    print(f"echo replies: {len(pinger.replies)} of {len(pinger.sent)}, lost {len(lost)} "
          f"({len(lost) * 20} ms of traffic); first reply through the new MAG "
          f"{'%.1f ms' % (gap * 1000) if gap is not None else 'never'} after the association")  # fmt: skip
    new_mag = f"mag{there[2:]}"
    print(f"LMA binding of mn1 now points at {serving} ({new_mag} is {lab.core_address(new_mag)})")
    return 0 if after == before and gap is not None else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("up", "down", "demo"))
    parser.add_argument("--prefix", default="pmlab", help="name prefix of namespaces and links")
    parser.add_argument("--mgmt", default="198.18.90", help="management /24 (first three octets)")
    parser.add_argument("--mags", type=int, default=2, help="number of MAG hosts (1..50)")
    parser.add_argument("--workdir", default="/run/pmipv6-lab", type=Path)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("nslab: needs root (network namespaces, sshd)", file=sys.stderr)
        return 2
    if not 1 <= args.mags <= 50 or not ipaddress.ip_network(f"{args.mgmt}.0/24").subnet_of(
        ipaddress.ip_network("198.18.0.0/15")
    ):
        print("nslab: --mags must be 1..50 and --mgmt inside 198.18.0.0/15", file=sys.stderr)
        return 2
    lab = Lab(args.prefix, args.mgmt, args.mags, args.workdir)
    if args.command == "up":
        up(lab)
        return 0
    if args.command == "down":
        down(lab)
        return 0
    return demo(lab)


if __name__ == "__main__":
    sys.exit(main())

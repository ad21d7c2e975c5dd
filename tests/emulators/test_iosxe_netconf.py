"""The IOS-XE emulator through real NETCONF clients: ncclient (iosxe handler) and a raw base:1.0 client."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid

import paramiko
import pytest
from iosxe.fixtures import start_emulator_process, stop_emulator_process
from iosxe.router import Router
from lxml import etree
from ncclient.operations import RPCError
from ncclient.transport.session import NetconfBase

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MIP = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"
IA = "http://cisco.com/yang/cisco-ia"
NS = {"nc": NC, "n": NATIVE, "m": MIP}

DOMAIN = (
    "<pmipv6-domain><domain>dn1</domain><domain-options>"
    "<lma><identifier>lma1</identifier><ipv4-address>10.1.1.1</ipv4-address></lma>"
    "</domain-options></pmipv6-domain>"
)


def config(mobile: str = "", native_extra: str = "") -> str:
    """A <config> for the ncclient iosxe handler (it puts the base namespace on <config>)."""
    return (
        f'<config><native xmlns="{NATIVE}">{native_extra}<ipv6><mobile xmlns="{MIP}">{mobile}'
        "</mobile></ipv6></native></config>"
    )


def mag(body: str) -> str:
    return f"<pmipv6-mag><mag-name>mag1</mag-name><domain>dn1</domain>{body}</pmipv6-mag>"


def lma(body: str) -> str:
    return f"<pmipv6-lma><lma-name>lma1</lma-name><domain>dn1</domain>{body}</pmipv6-lma>"


@pytest.fixture(scope="module")
def router():
    with Router(hostname="R1", candidate=True, netconf_port=0) as r:
        yield r


@pytest.fixture(scope="module")
def shared_session(router):
    with router.netconf_connect() as session:
        yield session


@pytest.fixture
def m(router, shared_session):
    """One NETCONF session for the module; every test starts from the same seeded running config."""
    router.device.seed_xml(config(DOMAIN))
    yield shared_session
    server_side = router.netconf.sessions.get(int(shared_session.session_id))
    router.device.release(server_side)  # a failed test must not leave a lock behind


def running(m, xpath: str):
    return m.get_config("running").data.xpath(xpath, namespaces=NS)


# Every YANG rule of Cisco-IOS-XE-mobileip the store enforces: (id, <mobile> content, error-message).
RULES = [
    (
        "mag-domain-missing",
        "<pmipv6-mag><mag-name>m9</mag-name><domain>dnX</domain></pmipv6-mag>",
        "Domain name mismatch",
    ),
    (
        "lma-domain-missing",
        "<pmipv6-lma><lma-name>l9</lma-name><domain>dnX</domain></pmipv6-lma>",
        "Domain name mismatch",
    ),
    ("mag-lma-domain", mag("<lma><lma-id>lma1</lma-id><domain>dnX</domain></lma>"), "Domain name mismatch"),
    (
        "lma-mag-domain",
        lma("<mag><mag-id>mag1</mag-id><domain-name>dnX</domain-name></mag>"),
        "Domain name mismatch",
    ),
    (
        "lifetime-multiple-of-4",
        mag("<binding><lifetime>3601</lifetime></binding>"),
        "Maximum binding lifetime (should be multiple of 4)",
    ),
    (
        "lifetime-range",
        mag("<binding><lifetime>4</lifetime></binding>"),
        'Unsatisfied range - value "4" is out of the allowed range.',
    ),
    (
        "refresh-multiple-of-4",
        mag("<binding><refresh-time>301</refresh-time></binding>"),
        "Binding refresh-time (should be multiple of 4)",
    ),
    (
        "init-retx-above-max",
        mag("<binding><init-retx-time>5000</init-retx-time><max-retx-time>4000</max-retx-time></binding>"),
        "Init value must be <= max retransmission value",
    ),
    (
        "max-retx-below-default-init",
        mag("<binding><max-retx-time>500</max-retx-time></binding>"),
        "Init value must be <= max retransmission value",
    ),  # libyang checks the init leaf's rule first
    (
        "heartbeat-all-three",
        mag(
            "<heartbeat-default><heartbeat><interval>30</interval><timeout>5</timeout></heartbeat></heartbeat-default>"
        ),
        "Select all the three leaves.",
    ),
    (
        "lma-heartbeat-all-three",
        lma("<heartbeat-default><heartbeat><retries>3</retries></heartbeat></heartbeat-default>"),
        "Select all the three leaves.",
    ),
    (
        "bri-min-above-max",
        mag("<bri><delay><min>3000</min><max>2000</max></delay></bri>"),
        "Min value must be <= max value",
    ),
    (
        "dynamic-and-static-address",
        mag("<address><dynamic/><static><ipv4>10.2.2.2</ipv4></static></address>"),
        "MAG address already configured, cannot add dynamic coa support",
    ),
    (
        "local-routing-with-sessionmgr",
        mag("<sessionmgr>true</sessionmgr><local-routing-mag/>"),
        "When condition \"../ios-mobileip:sessionmgr = 'false'\" not satisfied.",
    ),
    (
        "mag-mobile-map-needs-multipath",
        mag("<mobile-map>MAP1</mobile-map>"),
        'When condition "../ios-mobileip:multipath" not satisfied.',
    ),  # the MAG leaf has a when besides its must
    (
        "lma-mobile-map-needs-multipath",
        lma("<mobile-map>MAP1</mobile-map>"),
        "Multipath not configured, cannot config mobile map",
    ),
    (
        "mag-lma-gre-ipv4-needs-ipv4",
        mag(
            "<lma><lma-id>lma1</lma-id><domain>dn1</domain><ipv6-address>2001:db8::1</ipv6-address>"
            "<encap><gre-ipv4/></encap></lma>"
        ),
        "Cannot Configure Encap gre-ipv4 without configuring ipv4 address in MAG",
    ),
    (
        "mag-lma-gre-ipv6-needs-address",
        mag("<lma><lma-id>lma1</lma-id><domain>dn1</domain><encap><gre-ipv6/></encap></lma>"),
        "Configuration of IPV6/IPV4 address for MAG is mandatory",
    ),
    (
        "lma-mag-gre-ipv4-needs-ipv4",
        lma("<mag><mag-id>mag1</mag-id><domain-name>dn1</domain-name><encap><gre-ipv4/></encap></mag>"),
        "Cannot Configure Encap gre-ipv4 without configuring ipv4 address in MAG",
    ),
    (
        "vrf-must-exist",
        mag("<lma><lma-id>lma1</lma-id><domain>dn1</domain><vrfid>RED</vrfid></lma>"),
        "VRF must be created 1st",
    ),
    (
        "logical-mn-service-with-dynamic-address",
        mag(
            "<logical-mn><mn-id>lmn1</mn-id><address><dynamic/></address><service><dual/></service></logical-mn>"
        ),
        "Service IPV6 or dual are not supported when lmn address dynamic is configured",
    ),
    (
        "domain-window-range",
        "<pmipv6-domain><domain>dn1</domain><domain-options><replay-protection><timestamp><window>2</window>"
        "</timestamp></replay-protection></domain-options></pmipv6-domain>",
        'Unsatisfied range - value "2" is out of the allowed range.',
    ),
    (
        "mag-window-range",
        mag("<replay-protection><timestamp><window>256</window></timestamp></replay-protection>"),
        'Value "256" is out of type uint8 min/max bounds.',
    ),
    (
        "lma-bce-lifetime-range",
        lma("<bce><lifetime>9</lifetime></bce>"),
        'Unsatisfied range - value "9" is out of the allowed range.',
    ),
    (
        "lma-local-loop-authorized-xor-unauthorized",
        lma(
            "<mobility-service><mobile-local-loop><customer><name>c1</name><vrf>v1</vrf><network>"
            "<authorized><name>n1</name></authorized><unauthorized/></network></customer>"
            "</mobile-local-loop></mobility-service>"
        ),
        "Remove unauthorized network and configure authorized network",
    ),
    (
        "one-domain-only",
        "<pmipv6-domain><domain>dn2</domain></pmipv6-domain>",
        'Too many "pmipv6-domain" instances.',
    ),
    ("role-enum", mag("<role>5G</role>"), 'Invalid enumeration value "5G".'),
    (
        "spi-decimal-range",
        "<pmipv6-domain><domain>dn1</domain><domain-options><auth-option><spi><decimal>255</decimal></spi>"
        "</auth-option></domain-options></pmipv6-domain>",
        'Unsatisfied range - value "255" is out of the allowed range.',
    ),
    (
        "tunnel-mtu-range",
        mag("<tunnel><mtu>67</mtu></tunnel>"),
        'Unsatisfied range - value "67" is out of the allowed range.',
    ),
    (
        "unknown-leaf",
        mag("<lifetime>3600</lifetime>"),
        'Node "lifetime" not found as a child of "pmipv6-mag" node.',
    ),
]


@pytest.mark.parametrize(("mobile", "message"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule_rejected_with_yang_message(router, m, mobile, message):
    before = router.device.get_config("running")
    with pytest.raises(RPCError) as err:
        m.edit_config(target="running", config=config(mobile))
    assert err.value.message == message
    assert err.value.severity == "error"
    assert err.value.tag in ("invalid-value", "unknown-element", "operation-failed")
    assert router.device.get_config("running") == before


def test_rule_error_path_is_prefixed_like_iosxe(m):
    with pytest.raises(RPCError) as err:
        m.edit_config(target="running", config=config(mag("<binding><lifetime>3601</lifetime></binding>")))
    assert err.value.tag == "invalid-value"
    assert err.value.path == (
        "/ios:native/ios:ipv6/ios-mobileip:mobile/ios-mobileip:pmipv6-mag"
        "[ios-mobileip:mag-name='mag1'][ios-mobileip:domain='dn1']/ios-mobileip:binding/ios-mobileip:lifetime"
    )


def test_cli_level_refusal_has_iosxe_shape(m):
    nai = (
        "<pmipv6-domain><domain>dn1</domain><domain-options><nai><realm>alice</realm></nai>"
        "</domain-options></pmipv6-domain>"
    )
    with pytest.raises(RPCError) as err:
        m.edit_config(target="running", config=config(nai))
    assert err.value.tag == "invalid-value"
    assert err.value.message == "inconsistent value: Device refused one or more commands"
    info = etree.fromstring(err.value.info.encode())
    assert info.findtext(f"{{{IA}}}severity") == "error_cli"
    assert info.findtext(f".//{{{IA}}}bad-command") == "nai alice"


def test_valid_pmipv6_config_round_trip(m):
    body = mag(
        "<address><static><ipv4>10.2.2.2</ipv4></static></address>"
        "<binding><lifetime>3600</lifetime><refresh-time>300</refresh-time></binding>"
        "<interface><interface-name>GigabitEthernet0/0/1</interface-name></interface><role>3GPP</role>"
        "<heartbeat-default><heartbeat><interval>30</interval><retries>3</retries><timeout>5</timeout>"
        "</heartbeat></heartbeat-default>"
        "<lma><lma-id>lma1</lma-id><domain>dn1</domain><ipv4-address>10.1.1.1</ipv4-address>"
        "<encap><gre-ipv4/></encap></lma>"
    ) + lma(
        "<address><ipv6><address>2001:DB8:0:0::1</address></ipv6></address><dynamic><mag><learning/></mag></dynamic>"
    )
    m.edit_config(target="running", config=config(body))
    assert running(m, "//m:pmipv6-mag/m:binding/m:lifetime/text()") == ["3600"]
    assert running(m, "//m:pmipv6-mag/m:role/text()") == ["3GPP"]
    assert running(m, "//m:pmipv6-lma/m:address/m:ipv6/m:address/text()") == ["2001:db8::1"]  # canonical


def test_operations_create_delete_remove_replace(m):
    m.edit_config(target="running", config=config(mag("<binding><lifetime>3600</lifetime></binding>")))
    create = config(mag(f'<binding><lifetime xmlns:nc="{NC}" nc:operation="create">400</lifetime></binding>'))
    with pytest.raises(RPCError) as err:
        m.edit_config(target="running", config=create)
    assert err.value.tag == "data-exists"
    delete = config(mag(f'<apn xmlns:nc="{NC}" nc:operation="delete">x</apn>'))
    with pytest.raises(RPCError) as err:
        m.edit_config(target="running", config=delete)
    assert err.value.tag == "data-missing"
    m.edit_config(target="running", config=config(mag(f'<apn xmlns:nc="{NC}" nc:operation="remove">x</apn>')))
    replace = config(mag(f'<binding xmlns:nc="{NC}" nc:operation="replace"><maximum>5</maximum></binding>'))
    m.edit_config(target="running", config=replace)
    assert running(m, "//m:pmipv6-mag/m:binding/*/text()") == ["5"]
    gone = config(
        f'<pmipv6-mag xmlns:nc="{NC}" nc:operation="delete"><mag-name>mag1</mag-name><domain>dn1</domain>'
        "</pmipv6-mag>"
    )
    m.edit_config(target="running", config=gone)
    assert running(m, "//m:pmipv6-mag") == []


def test_default_operation_none_and_test_only(m):
    m.edit_config(target="running", config=config(mag("<apn>a1</apn>")))
    m.edit_config(target="running", config=config(mag("<apn>a2</apn>")), default_operation="none")
    assert running(m, "//m:apn/text()") == ["a1"]
    m.edit_config(target="running", config=config(mag("<apn>a3</apn>")), test_option="test-only")
    assert running(m, "//m:apn/text()") == ["a1"]


def test_rollback_on_error_leaves_store_unchanged(m):
    before = m.get_config("running").data_xml
    # The first MAG change is fine, the LMA change breaks a rule: nothing of the edit is applied.
    bad = mag("<apn>ok</apn>") + lma("<bce><lifetime>9</lifetime></bce>")
    with pytest.raises(RPCError):
        m.edit_config(target="running", config=config(bad), error_option="rollback-on-error")
    assert m.get_config("running").data_xml == before


def test_subtree_filters(m):
    m.edit_config(
        target="running", config=config(mag("<apn>a1</apn>") + lma("<bce><lifetime>3600</lifetime></bce>"))
    )
    flt = (
        "subtree",
        f'<native xmlns="{NATIVE}"><ipv6><mobile xmlns="{MIP}"><pmipv6-mag/></mobile></ipv6></native>',
    )
    data = m.get_config("running", filter=flt).data
    assert data.xpath("//m:pmipv6-mag/m:apn/text()", namespaces=NS) == ["a1"]
    assert data.xpath("//m:pmipv6-lma | //m:pmipv6-domain | //n:hostname", namespaces=NS) == []
    none = (
        "subtree",
        f'<native xmlns="{NATIVE}"><ipv6><mobile xmlns="{MIP}"><pmipv6-mag><mag-name>zz</mag-name>'
        "</pmipv6-mag></mobile></ipv6></native>",
    )
    assert len(m.get_config("running", filter=none).data) == 0
    leaf = (
        "subtree",
        f'<native xmlns="{NATIVE}"><ipv6><mobile xmlns="{MIP}"><pmipv6-lma><bce><lifetime/></bce>'
        "</pmipv6-lma></mobile></ipv6></native>",
    )
    data = m.get_config("running", filter=leaf).data
    assert data.xpath("//m:pmipv6-lma/m:lma-name/text()", namespaces=NS) == ["lma1"]  # keys always come along
    assert data.xpath("//m:bce/m:lifetime/text()", namespaces=NS) == ["3600"]
    assert m.get(filter=flt).data.xpath("//m:apn/text()", namespaces=NS) == ["a1"]


def test_with_defaults_report_all(m):
    m.edit_config(target="running", config=config(mag("")))
    data = m.get_config("running", with_defaults="report-all").data
    assert data.xpath("//m:pmipv6-mag/m:binding/m:lifetime/text()", namespaces=NS) == ["3600"]
    assert running(m, "//m:pmipv6-mag/m:binding") == []


def test_lock_denied_for_other_session_and_released_on_close(router, m):
    m.lock("running")
    with router.netconf_connect() as other:
        with pytest.raises(RPCError) as err:
            other.lock("running")
        assert err.value.tag == "lock-denied"
        assert f"<session-id>{m.session_id}</session-id>" in err.value.info
        with pytest.raises(RPCError) as err:
            other.edit_config(target="running", config=config(mag("")))
        assert err.value.tag == "in-use"
        m.unlock("running")
        other.lock("running")
    with router.netconf_connect() as third:  # the closed session's lock is gone
        third.lock("running")
        third.unlock("running")


def test_kill_session_releases_its_lock(router, m):
    victim = router.netconf_connect()
    victim.lock("running")
    m.kill_session(victim.session_id)
    deadline = time.monotonic() + 5
    while victim.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not victim.connected
    m.lock("running")
    m.unlock("running")
    with pytest.raises(RPCError) as err:
        m.kill_session(m.session_id)
    assert err.value.tag == "invalid-value"


def test_candidate_commit_validate_and_discard(router, m):
    assert ":candidate" in m.server_capabilities
    m.edit_config(target="candidate", config=config(mag("<apn>c1</apn>")))
    assert running(m, "//m:apn") == []
    m.discard_changes()
    assert m.get_config("candidate").data.xpath("//m:apn", namespaces=NS) == []
    m.edit_config(target="candidate", config=config(mag("<apn>c2</apn>")))
    m.validate(source="candidate")
    m.commit()
    assert running(m, "//m:apn/text()") == ["c2"]
    # A must violation is accepted into the candidate and refused by validate / commit.
    m.edit_config(target="candidate", config=config(mag("<binding><lifetime>3601</lifetime></binding>")))
    for call in (lambda: m.validate(source="candidate"), m.commit):
        with pytest.raises(RPCError) as err:
            call()
        assert err.value.message == "Maximum binding lifetime (should be multiple of 4)"
    m.discard_changes()
    with pytest.raises(RPCError) as err:  # ncclient refuses confirmed=True itself: no :confirmed-commit
        m.dispatch(etree.fromstring(f'<commit xmlns="{NC}"><confirmed/></commit>'))
    assert err.value.tag == "operation-not-supported"


def test_save_config_copies_running_to_startup(router, m):
    m.edit_config(target="running", config=config(mag("<apn>saved</apn>")))
    assert "saved" not in m.get_config("startup").data_xml
    reply = m.save_config()
    assert (
        etree.fromstring(reply.xml.encode()).findtext(f"{{{IA}}}result") == "Save running-config successful"
    )
    assert "saved" in m.get_config("startup").data_xml


def test_hello_capabilities_follow_candidate_switch():
    with Router(hostname="R2", candidate=False, netconf_port=0) as r, r.netconf_connect() as session:
        caps = list(session.server_capabilities)
        assert "urn:ietf:params:netconf:capability:candidate:1.0" not in caps
        assert "urn:ietf:params:netconf:capability:writable-running:1.0" in caps
        assert "urn:ietf:params:netconf:capability:rollback-on-error:1.0" in caps
        assert not any(":confirmed-commit" in c or ":startup:" in c for c in caps)
        with pytest.raises(RPCError):
            session.get_config("candidate")


def test_public_key_authentication(tmp_path):
    key = paramiko.RSAKey.generate(2048)
    key.write_private_key_file(str(tmp_path / "id_rsa"))
    with (
        Router(hostname="R3", netconf_port=0, authorized_keys=[key]) as r,
        r.netconf_connect(password=None, key_filename=str(tmp_path / "id_rsa")) as session,
    ):
        assert session.get_config("running").data.xpath("//n:hostname/text()", namespaces=NS) == ["R3"]


class RawClient:
    """A minimal NETCONF client speaking only base:1.0 (``]]>]]>`` framing)."""

    def __init__(self, port: int):
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1", port, "admin", "admin", allow_agent=False, look_for_keys=False, timeout=10
        )
        self.chan = self.client.get_transport().open_session()
        self.chan.invoke_subsystem("netconf")
        self.chan.settimeout(10)
        self.buffer = b""
        self.hello = self.read()
        self.send(
            f'<hello xmlns="{NC}"><capabilities><capability>urn:ietf:params:netconf:base:1.0'
            "</capability></capabilities></hello>"
        )

    def send(self, xml: str) -> None:
        self.chan.sendall(xml.encode() + b"]]>]]>")

    def read(self) -> bytes:
        deadline = time.monotonic() + 10
        while b"]]>]]>" not in self.buffer and time.monotonic() < deadline:
            self.buffer += self.chan.recv(65536)
        message, _, self.buffer = self.buffer.partition(b"]]>]]>")
        return message

    def rpc(self, body: str) -> etree._Element:
        self.send(f'<rpc xmlns="{NC}" message-id="{uuid.uuid4()}">{body}</rpc>')
        return etree.fromstring(self.read().strip())

    def close(self):
        self.client.close()


def test_base_1_0_framing_when_client_offers_only_1_0(router):
    raw = RawClient(router.netconf_port)
    try:
        hello = etree.fromstring(raw.hello.strip())
        assert hello.findtext(f"{{{NC}}}session-id").isdigit()
        reply = raw.rpc("<get-config><source><running/></source></get-config>")
        assert reply.tag == f"{{{NC}}}rpc-reply"
        assert reply.find(f"{{{NC}}}data") is not None
        reply = raw.rpc('<save-config xmlns="http://cisco.com/yang/cisco-ia"/>')
        assert reply.findtext(f"{{{IA}}}result") == "Save running-config successful"
        reply = raw.rpc("<frobnicate/>")
        assert reply.findtext(f"{{{NC}}}rpc-error/{{{NC}}}error-tag") == "operation-not-supported"
        assert raw.rpc("<close-session/>").find(f"{{{NC}}}ok") is not None
    finally:
        raw.close()


def test_ncclient_negotiates_chunked_framing(m):
    assert ":base:1.1" in m.server_capabilities
    assert m._session._base == NetconfBase.BASE_11
    m.get_config("running")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_entry_point_serves_several_devices(tmp_path):
    seed = tmp_path / "r2.xml"
    seed.write_text(config(DOMAIN))
    port1, port2 = _free_port(), _free_port()
    proc, ready = start_emulator_process(
        [
            "--hostname",
            "R1",
            "--netconf-port",
            str(port1),
            "--cli-port",
            "0",
            "--candidate",
            "--device",
            f"hostname=R2,netconf-port={port2},seed-xml={seed}",
        ]
    )
    try:
        assert ready["R1"]["netconf"] == port1 and ready["R2"]["netconf"] == port2
        for name, port in (("R1", port1), ("R2", port2)):
            r = Router(hostname=name, netconf_port=port)  # only its connect helper is used
            with r.netconf_connect() as session:
                assert session.get_config("running").data.xpath("//n:hostname/text()", namespaces=NS) == [
                    name
                ]
        with Router(hostname="R2", netconf_port=port2).netconf_connect() as session:
            assert session.get_config("running").data.xpath("//m:domain/text()", namespaces=NS) == ["dn1"]
    finally:
        assert stop_emulator_process(proc) == 0


def _netns_available() -> bool:
    try:
        return subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _netns_available(), reason="needs root and ip netns")
def test_emulator_inside_a_network_namespace():
    ns = f"iosxe-{uuid.uuid4().hex[:8]}"
    veth = f"vx{uuid.uuid4().hex[:8]}"
    sh = lambda *a: subprocess.run(a, check=True, capture_output=True, timeout=10)  # noqa: E731
    sh("ip", "netns", "add", ns)
    proc = None
    try:
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "addr", "add", "fd00:5213:e::1/64", "dev", veth, "nodad")
        sh("ip", "link", "set", veth, "up")
        sh("ip", "-n", ns, "addr", "add", "fd00:5213:e::2/64", "dev", "eth0", "nodad")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        proc, ready = start_emulator_process(
            ["--hostname", "NS1", "--netconf-port", "0", "--address", "fd00:5213:e::2"], netns=ns
        )
        r = Router(hostname="NS1", address="fd00:5213:e::2", netconf_port=ready["NS1"]["netconf"])
        with r.netconf_connect() as session:
            assert session.get_config("running").data.xpath("//n:hostname/text()", namespaces=NS) == ["NS1"]
    finally:
        if proc is not None:
            stop_emulator_process(proc)
        subprocess.run(["ip", "link", "del", veth], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)

"""The emulator's SSH CLI against the real YANG-validated store, driven by an unmodified netmiko
(device_type cisco_xe) over SSH on 127.0.0.1, plus every must/range rule the CLI can reach."""

from __future__ import annotations

import re

import pytest
from iosxe.cli import seed_cli, start_cli_server
from iosxe.cli.render import render_config
from iosxe.cli.shell import Shell
from iosxe.store import Device
from netmiko import ConnectHandler
from netmiko.exceptions import ConfigInvalidException

USER, PASSWORD, SECRET = "admin", "pw-admin", "pw-enable"
DOMAIN = ["ipv6 mobile pmipv6-domain dn1", " encap gre-ipv4", " lma lma1", "  ipv4-address 10.1.1.1"]
MAG = [
    "ipv6 mobile pmipv6-mag mag1 domain dn1",
    " address ipv4 10.2.2.2",
    " binding lifetime 3600",
    " heartbeat interval 30 retries 3 timeout 5",
    " interface GigabitEthernet0/0/1",
    " lma lma1 dn1",
    "  ipv4-address 10.1.1.1",
    "  encap gre-ipv4",
]
SECTION = """ipv6 mobile pmipv6-domain dn1
 encap gre-ipv4
 lma lma1
  ipv4-address 10.1.1.1
ipv6 mobile pmipv6-mag mag1 domain dn1
 address ipv4 10.2.2.2
 binding lifetime 3600
 heartbeat interval 30 retries 3 timeout 5
 interface GigabitEthernet0/0/1
 lma lma1 dn1
  ipv4-address 10.1.1.1
  encap gre-ipv4"""


@pytest.fixture
def router():
    """A fresh device with its CLI on a free loopback port."""

    def make(hostname="R1"):
        device = Device(hostname)
        server = start_cli_server(device, "127.0.0.1", 0, USER, PASSWORD, SECRET)
        started.append(server)
        return device, server

    started = []
    yield make
    for server in started:
        server.stop()


@pytest.fixture
def conn(router):
    device, server = router()
    c = ConnectHandler(
        device_type="cisco_xe",
        host="127.0.0.1",
        port=server.port,
        username=USER,
        password=PASSWORD,
        secret=SECRET,
    )
    c.device = device
    yield c
    c.disconnect()


def test_session_preparation_prompts_enable_and_show(conn):
    assert conn.base_prompt == "R1"
    assert conn.find_prompt() == "R1>"
    assert conn.send_command("show privilege") == "Current privilege level is 1"
    conn.enable()
    assert conn.find_prompt() == "R1#"
    assert conn.send_command("show privilege") == "Current privilege level is 15"
    version = conn.send_command("show version")
    assert "Cisco IOS XE Software, Version 17.18.01" in version
    assert re.search(r"^cisco .+ \(revision", version, re.M) and 'image file is "' in version
    conn.config_mode()
    assert conn.find_prompt() == "R1(config)#"
    conn.exit_config_mode()


def test_long_hostname_is_truncated_in_config_prompts(router):
    _, server = router("PMIPV6-EDGE-ROUTER-0001")
    c = ConnectHandler(
        device_type="cisco_xe",
        host="127.0.0.1",
        port=server.port,
        username=USER,
        password=PASSWORD,
        secret=SECRET,
    )
    try:
        c.enable()
        c.send_config_set(["ipv6 mobile pmipv6-domain dn1"], exit_config_mode=False, error_pattern=r"%")
        assert c.base_prompt == "PMIPV6-EDGE-ROUT"  # netmiko keeps 16 characters
        assert c.find_prompt() == "PMIPV6-EDGE-ROUTER-0(config-ipv6-pmipv6-domain)#"  # IOS shows 20
        c.exit_config_mode()
        assert c.find_prompt() == "PMIPV6-EDGE-ROUTER-0001#"
    finally:
        c.disconnect()


def test_send_config_set_applies_and_section_shows_it(conn):
    conn.enable()
    out = conn.send_config_set(DOMAIN + MAG, error_pattern=r"%")
    assert "R1(config-ipv6-pmipv6mag-lma)#  encap gre-ipv4" in out  # exact echo, sub-mode prompt
    assert conn.send_command("show running-config | section ipv6 mobile") == SECTION
    assert conn.send_command("show running-config | include lifetime") == " binding lifetime 3600"
    # The same change through the store's own reader (what NETCONF serves).
    data = conn.device.get_config("running")
    assert (
        "<lifetime>3600</lifetime>" in data
        and "<interface-name>GigabitEthernet0/0/1</interface-name>" in data
    )


def test_invalid_line_raises_and_changes_nothing(conn):
    conn.enable()
    conn.send_config_set(DOMAIN + MAG, error_pattern=r"%")
    before = conn.device.get_config("running")
    with pytest.raises(ConfigInvalidException, match="binding lifetime 3601"):
        conn.send_config_set(
            ["ipv6 mobile pmipv6-mag mag1 domain dn1", "binding lifetime 3601"], error_pattern=r"%"
        )
    conn.exit_config_mode()
    assert conn.device.get_config("running") == before


def test_no_forms_remove_what_was_configured(conn):
    conn.enable()
    conn.send_config_set(DOMAIN + MAG, error_pattern=r"%")
    conn.send_config_set(
        [
            "ipv6 mobile pmipv6-mag mag1 domain dn1",
            "no binding lifetime",
            "no interface GigabitEthernet0/0/1",
            "lma lma1 dn1",
            "no encap",
        ],
        error_pattern=r"%",
    )
    section = conn.send_command("show running-config | section pmipv6-mag")
    assert "lifetime" not in section and "interface" not in section and "encap" not in section
    conn.send_config_set(["no ipv6 mobile pmipv6-mag mag1 domain dn1"], error_pattern=r"%")
    assert conn.send_command("show running-config | include pmipv6-mag") == ""


def test_save_config_and_copy_run_start(conn):
    conn.enable()
    conn.send_config_set(DOMAIN, error_pattern=r"%")
    assert "encap" not in conn.device.get_config("startup")
    out = conn.save_config()
    assert "Building configuration..." in out and "[OK]" in out
    assert "gre-ipv4" in conn.device.get_config("startup")
    conn.send_config_set(["ipv6 mobile pmipv6-domain dn1", "encap udptunnel"], error_pattern=r"%")
    out = conn.send_command(
        "copy running-config startup-config", expect_string=r"Destination filename", strip_prompt=False
    )
    assert out.endswith("Destination filename [startup-config]? ")
    assert "[OK]" in conn.send_command("\n", expect_string=r"R1#")
    assert "udptunnel" in conn.device.get_config("startup")


def _raw(c, line: str) -> str:
    """Exactly what the router prints for one line: echo, output, next prompt."""
    c.write_channel(line + "\n")
    return c.read_until_pattern(pattern=r"[>#]\s*$", read_timeout=5).replace("\r\n", "\n")


def test_ios_error_texts_with_caret_over_ssh(conn):
    conn.enable()
    conn.config_mode()
    _raw(conn, "ipv6 mobile pmipv6-domain dn1")
    prompt = "R1(config-ipv6-pmipv6-domain)#"
    assert _raw(conn, "replay-protection timestamp windw 7") == (
        "replay-protection timestamp windw 7\n"
        + " " * (len(prompt) + len("replay-protection timestamp "))
        + "^\n% Invalid input detected at '^' marker.\n\n"
        + prompt
    )
    assert _raw(conn, "replay-protection") == "replay-protection\n% Incomplete command.\n\n" + prompt
    assert _raw(conn, "m") == 'm\n% Ambiguous command:  "m"\n' + prompt  # mag, mn-profile-load-aaa, ...
    assert _raw(conn, "end") == "end\nR1#"
    assert _raw(conn, "terminal width 0") == "terminal width 0\nR1#"


def test_cli_change_is_seen_through_netconf_and_back(router):
    ncclient = pytest.importorskip("ncclient.manager")
    netconf = pytest.importorskip("iosxe.netconf")
    device, server = router()
    nc = netconf.NetconfServer(device, port=0, username=USER, password=PASSWORD).start()
    try:
        c = ConnectHandler(
            device_type="cisco_xe",
            host="127.0.0.1",
            port=server.port,
            username=USER,
            password=PASSWORD,
            secret=SECRET,
        )
        c.enable()
        c.send_config_set(DOMAIN, error_pattern=r"%")
        with ncclient.connect(
            host="127.0.0.1",
            port=nc.port,
            username=USER,
            password=PASSWORD,
            hostkey_verify=False,
            device_params={"name": "iosxe"},
            look_for_keys=False,
            allow_agent=False,
        ) as m:
            assert "<encap_type>gre-ipv4</encap_type>" in m.get_config("running").data_xml
            m.edit_config(
                target="running",
                config='<config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><ipv6>'
                '<mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"><pmipv6-domain>'
                "<domain>dn1</domain><domain-options><mn-profile-load-aaa/></domain-options>"
                "</pmipv6-domain></mobile></ipv6></native></config>",
            )
        assert " mn-profile-load-aaa" in c.send_command("show running-config | section pmipv6-domain")
        c.disconnect()
    finally:
        nc.stop()


def test_seed_cli_replays_a_rendered_running_config(conn):
    conn.enable()
    conn.send_config_set(DOMAIN + MAG, error_pattern=r"%")
    text = conn.send_command("show running-config")
    copy = Device("R9")
    seed_cli(copy, text)
    assert copy.get_config("running").replace("R9", "R1") == conn.device.get_config("running").replace(
        "R9", "R1"
    )


# Every command of every PMIPv6 mode, as show running-config prints it.
FULL = """vrf definition RED
!
ipv6 mobile pmipv6-domain dn1
 auth-option spi decimal 300 key ascii 7 secret
 encap gre-ipv6
 replay-protection timestamp window 9
 local-routing-mag
 mn-profile-load-aaa
 lma lma1
  ipv4-address 10.1.1.1
  ipv6-address 2001:db8::1
 mag mag1
  ipv6-address 2001:db8::2
 nai alice@example.com
  lma lma1
  network net1
  service ipv6
  gre-encap-key up 10 down 20
  apn internet
  customer acme
  mobility-service mobile-local-loop
  auth-option spi abcd key hex 0102
 mobile-map MM 10
  match access-list ACL1
  set link-type a b c NULL
  traffic-profile TP
  loadbalance
  ip df 1
!
ipv6 mobile pmipv6-mag mag1 domain dn1
 address ipv6 2001:db8::2
 role LTE
 binding lifetime 3600
 binding refresh-time 300
 binding init-retx-time 1000
 binding max-retx-time 32000
 binding maximum 100
 replay-protection timestamp window 7
 heartbeat interval 30 retries 3 timeout 5
 heartbeat label L1 interval 10 timeout 3 natreboot
 discover-mn-detach poll interval 10 timeout 2 retries 2
 bri delay min 1000 max 2000
 bri retries 2
 dscp control-plane 5 force
 no generate grekey
 ignore grekey
 ignore home-address
 ani
 apn internet
 local-routing-mag acl ACL2
 tunnel mtu 1400
 tunnel nat inside
 tunnel-template Tunnel5
 ssmo-format label
 multipath
 mobile-map MM
 interface GigabitEthernet0/0/1
 interface GigabitEthernet0/0/2
 logical-mn mn1
  home interface Gi1
  mobile network Gi2 label L learn-prefix
  fixed interface Gi3
  fixed watch ipv4 10.3.3.3 length 24
  service ipv4
  reverse-tunnel route ipv4 10.8.0.0 16 5
  reverse-tunnel route ipv4 10.9.0.0 16
  reverse-tunnel route ipv6 2001:db8:9:: 48 7
 lma lma1 dn1
  ipv4-address 10.1.1.1
  ipv6-address 2001:db8::1
  encap gre-ipv4
  auth-option spi decimal 400 key ascii pw
  dscp control-plane 6
  heartbeat interval 20 retries 2 timeout 4
  vrfid RED
  tunnel-template Tunnel7
  tunnel-template label X Tunnel8
 mobility-service hybrid-access
  no disable-sla
  sla frequency 60
  sla interval 10
  sla num-packets 5
  sla-responder-stats disable
  bandwidth-ratio
   label L1 bandwidth-ratio 3
   label L2
  profile-definition PD1
   loadbalance
   jitter 10 low-threshold 5
   mos 400
   packet-loss 2 low-threshold 1
   rtt 100
 mobility-service mobile-local-loop
  ignore home-address
  reverse-tunnel default-route
  reverse-tunnel 9
  egress interface Gi4
!
ipv6 mobile pmipv6-lma lma1 domain dn1
 address ipv4 10.1.1.1
 address ipv6 2001:db8::1
 dynamic mag learning
 bce lifetime 3600
 bce maximum 1000
 bce create-wait-time 1500
 bce delete-wait-time 10000
 replay-protection timestamp window ignore
 heartbeat interval 30 retries 3 timeout 5
 bri delay min 1000 max 2000
 bri retries 1
 dscp control-plane 7
 ignore grekey
 ani
 multipath
 mobile-map MM
 mobile-route admin-distance 10
 mobile-network aaa-authorized
 default profile P1
 enable aaa accounting
 enforce heartbeat-to-mag
 tunnel acl ACL3
 tunnel mtu 1400
 interface GigabitEthernet0/0/3
 rat WLAN priority 5
 rat 3GPP_E_UTRAN
 mag mag1 dn1
  ipv4-address 10.2.2.2
  encap gre-ipv4
  dscp control-plane 8 force
 network net1
  pool ipv4 P4 pfxlen 24
  pool ipv6 P6 pfxlen 64
  mobile-network pool 10.9.0.0 pfxlen 16 network-prefix 24
  dns ip 10.0.0.53 10.0.0.54
 mobility-service hybrid-access
  no disable-sla
  sla interval 10
  enable-sla customer C1 frequency 30 interval 8 num-packets 4
  enable-sla mag mag1
  bandwidth-ratio
   label L1 bandwidth-ratio 3
   mag mag1
    label L2 bandwidth-ratio 4
  profile-definition PD1
   rtt 100 low-threshold 50
 mobility-service mobile-local-loop
  mnp afi-all customer maximum 100
  mnp ipv6 logical-mn maximum 8
  customer acme vrf RED
   auth-option spi 1234 key hex abcd
   gre-key symmetric 100
   gre-key label G1 symmetric 200
   heartbeat interval 30 retries 3 timeout 5
   interface Gi5
   mnp ipv4 customer maximum 50
   mobile-map MM
   mobile-route admin-distance 20
   transport ipv4-address 10.5.5.5
   transport vrf BLUE ipv6-address 2001:db8::5
   network authorized AUTH1
    pool ipv4 P4 pfxlen 24
    mobile-network v6pool 2001:db8:7:: pfxlen 48 network-prefix 64
  customer beta vrf GREEN
   network unauthorized
!"""


def test_whole_command_tree_round_trips_through_the_store():
    device = Device("R1")
    seed_cli(device, FULL)  # each line is a YANG-validated edit
    assert "\n".join(render_config(device.get_config("running"))) == FULL


def test_do_prefix_hostname_and_show_run_help():
    device, shell = _shell([])
    assert shell.line("do show privilege").startswith("do show privilege\r\nCurrent privilege level is 15")
    shell.line("hostname EDGE1")
    assert device.hostname == "EDGE1" and shell.prompt() == "EDGE1(config)#"
    shell.line("end")
    help_lines = shell.line("show running-config ?").split("\r\n")
    assert any(text.split()[:1] == ["all"] for text in help_lines[1:])  # Ansible's defaults probe


# ------------------------------------------------------------------------ must / range rules via CLI

SETUP = {
    "domain": ["ipv6 mobile pmipv6-domain dn1"],
    "mag": ["ipv6 mobile pmipv6-domain dn1", "ipv6 mobile pmipv6-mag mag1 domain dn1"],
    "lma": ["ipv6 mobile pmipv6-domain dn1", "ipv6 mobile pmipv6-lma lma1 domain dn1"],
}
SETUP["mag-lma"] = [*SETUP["mag"], "lma lma1 dn1"]
SETUP["lma-mag"] = [*SETUP["lma"], "mag mag1 dn1"]
SETUP["logical-mn"] = [*SETUP["mag"], "logical-mn mn1"]
SETUP["mag-hybrid"] = [*SETUP["mag"], "mobility-service hybrid-access"]
SETUP["mag-mll"] = [*SETUP["mag"], "mobility-service mobile-local-loop"]
SETUP["lma-hybrid"] = [*SETUP["lma"], "mobility-service hybrid-access"]
SETUP["mll-customer"] = [*SETUP["lma"], "mobility-service mobile-local-loop", "customer c1 vrf v1"]
WHEN_OR = "|When condition .* not satisfied\\."  # libyang reports the `when` of these nodes first

REJECTIONS = [
    # (setup, lines before, refused line, refused word, message regex)
    ([], [], "ipv6 mobile pmipv6-mag mag1 domain dn9", "dn9", "Domain name mismatch"),
    ([], [], "ipv6 mobile pmipv6-lma lma1 domain dn9", "dn9", "Domain name mismatch"),
    ("mag", [], "lma lma1 dn9", "dn9", "Domain name mismatch"),
    ("lma", [], "mag mag1 dn9", "dn9", "Domain name mismatch"),
    ("mag", [], "binding lifetime 3601", "3601", r"Maximum binding lifetime \(should be multiple of 4\)"),
    ("mag", [], "binding refresh-time 301", "301", r"Binding refresh-time \(should be multiple of 4\)"),
    ("mag", ["binding max-retx-time 1000"], "binding init-retx-time 2000", "2000", "Init value must be <="),
    ("mag", ["binding init-retx-time 2000"], "binding max-retx-time 1000", "1000", "(Init|Max) value must"),
    ("mag", [], "binding max-retx-time 500", "500", "Init value must be <= max"),  # below the default init
    ("mag", [], "bri delay min 3000 max 2000", "3000", "Min value must be <= max value|Max value must be >="),
    ("lma", [], "bri delay min 3000 max 2000", "3000", "Min value must be <= max value|Max value must be >="),
    ("mag", ["address ipv4 198.18.0.2"], "address dynamic", "dynamic", "MAG address already configured"),
    (
        "mag",
        ["address dynamic"],
        "address ipv4 198.18.0.2",
        None,
        "MAG (dynamic )?address already configured",
    ),
    (
        "mag",
        ["sessionmgr"],
        "local-routing-mag",
        "local-routing-mag",
        "Local routing is not supported" + WHEN_OR,
    ),
    ("mag", [], "mobile-map MM", "MM", "Multipath not configured, cannot config mobile map" + WHEN_OR),
    ("lma", [], "mobile-map MM", "MM", "Multipath not configured, cannot config mobile map"),
    ("mag-lma", [], "encap gre-ipv4", "gre-ipv4", "Cannot Configure Encap gre-ipv4 without configuring ipv4"),
    (
        "mag-lma",
        ["ipv6-address 2001:db8::1"],
        "encap gre-ipv4",
        "gre-ipv4",
        "Cannot Configure Encap gre-ipv4 without configuring ipv4",
    ),
    ("mag-lma", [], "encap gre-ipv6", "gre-ipv6", "Configuration of IPV6/IPV4 address for MAG is mandatory"),
    ("lma-mag", [], "encap gre-ipv4", "gre-ipv4", "Cannot Configure Encap gre-ipv4 without configuring ipv4"),
    ("lma-mag", [], "encap gre-ipv6", "gre-ipv6", "Configuration of IPV6/IPV4 address for MAG is mandatory"),
    ("mag-lma", [], "vrfid RED", "RED", "VRF must be created 1st"),
    ("mag", ["logical-mn mn1", "address dynamic"], "service ipv6", "ipv6", "Service IPV6 or dual are not"),
    ("logical-mn", ["address dynamic"], "service dual", "dual", "Service IPV6 or dual are not"),
    ("logical-mn", [], "mobile-map MM", "MM", "Multipath not configured" + WHEN_OR),
    ("domain", [], "ipv6 mobile pmipv6-domain dn2", "dn2", 'Too many "pmipv6-domain" instances'),
    ("mag", [], "ipv6 mobile pmipv6-mag mag2 domain dn1", "dn1", 'Too many "pmipv6-mag" instances'),
    ("lma", [], "ipv6 mobile pmipv6-lma lma2 domain dn1", "dn1", 'Too many "pmipv6-lma" instances'),
    # LMA mobile-local-loop: a customer's network is authorized (a list) or unauthorized, not both.
    # libyang checks the `authorized` entries' rule first, so both orders get its message.
    (
        "mll-customer",
        ["network unauthorized"],
        "network authorized n1",
        "n1",
        "^% Remove unauthorized network and configure authorized network$",
    ),
    (
        "mll-customer",
        ["network authorized n1"],  # typed in the network sub-mode: the customer mode takes it
        "network unauthorized",
        "unauthorized",
        "Remove (un)?authorized network and configure (un)?authorized network",
    ),
    ("mll-customer", ["exit"], "customer c2 vrf v1", "v1", r'Unique data leaf\(s\) "vrf" not satisfied'),
    # hybrid-access `sla` exists only once `no disable-sla` (default true) is configured.
    ("lma-hybrid", [], "sla interval 10", "10", "When condition .*disable-sla = 'false'"),
    ("mag-hybrid", [], "sla frequency 10", "10", "When condition .*disable-sla = 'false'"),
    ("domain", [], "replay-protection timestamp window 2", "2", 'Unsatisfied range - value "2"'),
    ("mag", [], "replay-protection timestamp window 256", "256", "out of (the allowed range|type uint8)"),
    ("lma", [], "replay-protection timestamp window 0", "0", "no matching subtype|range"),
    ("mag", [], "binding lifetime 4", "4", 'Unsatisfied range - value "4"'),
    ("mag", [], "binding refresh-time 0", "0", 'Unsatisfied range - value "0"'),
    ("mag", [], "binding maximum 128001", "128001", "Unsatisfied range"),
    ("mag", [], "discover-mn-detach poll interval 5 timeout 2 retries 2", "5", 'value "5"'),
    ("mag", [], "dscp control-plane 64", "64", 'Unsatisfied range - value "64"'),
    ("mag", [], "tunnel mtu 67", "67", "Unsatisfied range"),
    ("lma", [], "bce lifetime 5", "5", "Unsatisfied range"),
    ("lma", [], "mobile-route admin-distance 0", "0", "Unsatisfied range"),
    ("domain", ["nai a@b"], "auth-option spi decimal 255 key hex ab", "255", "Unsatisfied range"),
    ("mag-hybrid", ["no disable-sla"], "sla interval 3", "3", 'Unsatisfied range - value "3"'),
    ("lma-hybrid", [], "enable-sla mag m1 interval 3", "3", 'Unsatisfied range - value "3"'),
    ("mag-hybrid", ["bandwidth-ratio"], "label L1 bandwidth-ratio 16", "16", "Unsatisfied range"),
    ("lma-hybrid", ["bandwidth-ratio", "mag m1"], "label L1 bandwidth-ratio 0", "0", "Unsatisfied range"),
    ("mag-hybrid", ["profile-definition P"], "jitter 1001", "1001", "Unsatisfied range"),
    ("lma-hybrid", ["profile-definition P"], "packet-loss 5 low-threshold 101", "101", "Unsatisfied range"),
    ("mag-mll", [], "reverse-tunnel 0", "0", 'Unsatisfied range - value "0"'),
    ("logical-mn", [], "fixed watch ipv4 10.0.0.1 length 33", "33", 'Unsatisfied range - value "33"'),
    ("logical-mn", [], "reverse-tunnel route ipv4 10.0.0.0 33", "33", 'Unsatisfied range - value "33"'),
    ("logical-mn", [], "reverse-tunnel route ipv6 2001:db8:: 64 0", "0", 'Unsatisfied range - value "0"'),
    ("mll-customer", ["exit"], "mnp ipv4 logical-mn maximum 33", "33", "Unsatisfied range"),
    ("mll-customer", [], "mnp afi-all customer maximum 0", "0", "Unsatisfied range"),
    ("mll-customer", [], "gre-key label G symmetric 0", "0", "Unsatisfied range"),
    ("mll-customer", [], "mobile-route admin-distance 0", "0", "Unsatisfied range"),
    ("mll-customer", [], "heartbeat interval 0 retries 3 timeout 5", "0", "Unsatisfied range"),
    (
        "mll-customer",
        ["network authorized n1"],
        "mobile-network pool 10.0.0.0 pfxlen 25 network-prefix 26",
        "25",
        'Unsatisfied range - value "25"',
    ),
]


def _shell(setup):
    device = Device("R1")
    shell = Shell(device, SECRET)
    shell.privileged = True
    shell.enter_config()
    for line in SETUP[setup] if isinstance(setup, str) else setup:
        assert "%" not in shell.run(line), line
    return device, shell


@pytest.mark.parametrize(("setup", "before", "line", "word", "message"), REJECTIONS)
def test_must_and_range_rejections_through_the_cli(setup, before, line, word, message):
    device, shell = _shell(setup)
    for extra in before:
        assert "%" not in shell.run(extra), extra
    running = device.get_config("running")
    prompt = shell.prompt()
    out = shell.line(line)
    lines = out.split("\r\n")
    assert lines[0] == line
    assert lines[2] == "% Invalid input detected at '^' marker."
    assert lines[3].startswith("% ") and re.search(message, lines[3]), lines[3]
    if word:
        assert lines[1] == " " * (len(prompt) + (" " + line).rindex(" " + word)) + "^"
    assert device.get_config("running") == running  # a refused line has no effect


# NETCONF rules that the CLI's syntax itself rules out, so the store never sees them:
# (setup, refused line, parser error, a line of the same command that is accepted).
SYNTAX_PREVENTED = [
    # "Select all the three leaves.": the heartbeat line needs interval, retries and timeout.
    ("mag", "heartbeat interval 30 retries 3", "incomplete", "heartbeat interval 30 retries 3 timeout 5"),
    ("lma", "heartbeat retries 3", "invalid", "heartbeat interval 30 retries 3 timeout 5"),
    ("mll-customer", "heartbeat interval 30", "incomplete", "heartbeat interval 30 retries 3 timeout 5"),
    # An enumeration value the model does not know is not a keyword of the line.
    ("mag", "role 5G", "invalid", "role LTE"),
    # A leaf that is not in the model is not a command.
    ("mag", "lifetime 3600", "invalid", "binding lifetime 3600"),
]


@pytest.mark.parametrize(("setup", "line", "error", "accepted"), SYNTAX_PREVENTED)
def test_rules_the_cli_syntax_prevents(setup, line, error, accepted):
    device, shell = _shell(setup)
    running = device.get_config("running")
    lines = shell.line(line).split("\r\n")
    if error == "incomplete":
        assert lines[1] == "% Incomplete command."
    else:
        assert lines[1].endswith("^") and lines[2] == "% Invalid input detected at '^' marker."
        assert not lines[3]  # the parser refused it: no model message
    assert device.get_config("running") == running
    assert "%" not in shell.line(accepted)


# Each case of the NETCONF rule test (test_iosxe_netconf.RULES) -> its CLI counterpart above.
NETCONF_RULE_ON_CLI = {
    "mag-domain-missing": "ipv6 mobile pmipv6-mag mag1 domain dn9",
    "lma-domain-missing": "ipv6 mobile pmipv6-lma lma1 domain dn9",
    "mag-lma-domain": "lma lma1 dn9",
    "lma-mag-domain": "mag mag1 dn9",
    "lifetime-multiple-of-4": "binding lifetime 3601",
    "lifetime-range": "binding lifetime 4",
    "refresh-multiple-of-4": "binding refresh-time 301",
    "init-retx-above-max": "binding init-retx-time 2000",
    "max-retx-below-default-init": "binding max-retx-time 500",
    "heartbeat-all-three": "heartbeat interval 30 retries 3",
    "lma-heartbeat-all-three": "heartbeat retries 3",
    "bri-min-above-max": "bri delay min 3000 max 2000",
    "dynamic-and-static-address": "address dynamic",
    "local-routing-with-sessionmgr": "local-routing-mag",
    "mag-mobile-map-needs-multipath": "mobile-map MM",
    "lma-mobile-map-needs-multipath": "mobile-map MM",
    "mag-lma-gre-ipv4-needs-ipv4": "encap gre-ipv4",
    "mag-lma-gre-ipv6-needs-address": "encap gre-ipv6",
    "lma-mag-gre-ipv4-needs-ipv4": "encap gre-ipv4",
    "vrf-must-exist": "vrfid RED",
    "logical-mn-service-with-dynamic-address": "service dual",
    "domain-window-range": "replay-protection timestamp window 2",
    "mag-window-range": "replay-protection timestamp window 256",
    "lma-bce-lifetime-range": "bce lifetime 5",
    "lma-local-loop-authorized-xor-unauthorized": "network authorized n1",
    "one-domain-only": "ipv6 mobile pmipv6-domain dn2",
    "role-enum": "role 5G",
    "spi-decimal-range": "auth-option spi decimal 255 key hex ab",
    "tunnel-mtu-range": "tunnel mtu 67",
    "unknown-leaf": "lifetime 3600",
}


def test_every_netconf_rule_case_has_a_cli_counterpart():
    from test_iosxe_netconf import RULES

    assert set(NETCONF_RULE_ON_CLI) == {rule[0] for rule in RULES}
    cli_lines = {row[2] for row in REJECTIONS} | {row[1] for row in SYNTAX_PREVENTED}
    assert set(NETCONF_RULE_ON_CLI.values()) <= cli_lines


def test_default_form_restores_the_default():
    device, shell = _shell("lma")
    for line in ("bce lifetime 100", "no generate grekey", "default profile P1"):
        assert "%" not in shell.line(line), line
    assert "<profile>P1</profile>" in device.get_config("running")  # the LMA command, not the prefix
    for line in ("default bce lifetime", "default generate grekey", "default default profile"):
        assert "%" not in shell.line(line), line
    data = device.get_config("running")
    assert "<lifetime>" not in data and "<grekey>" not in data and "<profile>" not in data
    assert "% Incomplete command." in shell.line("default")


def test_nai_needs_an_at_sign():
    _, shell = _shell("domain")
    out = shell.line("nai example.com").split("\r\n")
    assert out[1].endswith("^") and out[2] == "% Invalid input detected at '^' marker."
    assert "%" not in shell.line("nai @example.com")


def test_vrf_definition_lets_vrfid_through():
    _, shell = _shell("mag-lma")
    assert "%" not in shell.line("vrf definition RED")
    assert "%" not in shell.line("ipv6 mobile pmipv6-mag mag1 domain dn1")
    assert "%" not in shell.line("lma lma1 dn1")
    assert "%" not in shell.line("vrfid RED")

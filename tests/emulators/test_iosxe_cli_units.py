"""The CLI's pure parts without YANG: grammar, line -> edit XML, rendering, output filters, the shell's
terminal behaviour (prompts, echo, line ends, enable, error texts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from iosxe.cli import commands
from iosxe.cli.edit import NC
from iosxe.cli.exec_cmds import _filter
from iosxe.cli.grammar import parse_all, select, tokenize
from iosxe.cli.render import render_config
from iosxe.cli.shell import Shell

NATIVE = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MOBILEIP = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"

# Reference §3.6 (validates against Cisco's YANG) and the running-config §2.3 shows for it.
PAYLOAD = f"""<data><native xmlns="{NATIVE}"><ipv6><mobile xmlns="{MOBILEIP}">
  <pmipv6-domain><domain>dn1</domain><domain-options>
    <replay-protection><timestamp><window>200</window></timestamp></replay-protection>
    <encap><encap_type>gre-ipv4</encap_type></encap>
    <lma><identifier>lma1</identifier><ipv4-address>10.1.1.1</ipv4-address></lma>
    <nai><realm>example1@example.com</realm><lma>lma1</lma><network>net1</network>
      <service><service-type>dual</service-type></service></nai>
  </domain-options></pmipv6-domain>
  <pmipv6-mag><mag-name>mag1</mag-name><domain>dn1</domain>
    <address><static><ipv4>10.2.2.2</ipv4></static></address>
    <binding><lifetime>3600</lifetime><refresh-time>300</refresh-time></binding>
    <interface><interface-name>GigabitEthernet0/0/1</interface-name></interface>
    <role>3GPP</role>
    <heartbeat-default><heartbeat><interval>30</interval><retries>3</retries><timeout>5</timeout>
    </heartbeat></heartbeat-default>
    <generate><grekey>false</grekey></generate>
    <lma><lma-id>lma1</lma-id><domain>dn1</domain><ipv4-address>10.1.1.1</ipv4-address>
      <ipv4-address>10.1.1.2</ipv4-address><encap><gre-ipv4/></encap></lma>
  </pmipv6-mag>
</mobile></ipv6></native></data>"""

RENDERED = """ipv6 mobile pmipv6-domain dn1
 encap gre-ipv4
 replay-protection timestamp window 200
 lma lma1
  ipv4-address 10.1.1.1
 nai example1@example.com
  lma lma1
  network net1
  service dual
!
ipv6 mobile pmipv6-mag mag1 domain dn1
 address ipv4 10.2.2.2
 role 3GPP
 binding lifetime 3600
 binding refresh-time 300
 heartbeat interval 30 retries 3 timeout 5
 no generate grekey
 interface GigabitEthernet0/0/1
 lma lma1 dn1
  ipv4-address 10.1.1.1
  ipv4-address 10.1.1.2
  encap gre-ipv4
!"""


class FakeDevice:
    """Stands in for store.Device (no YANG) where a unit test only needs to see the edits the CLI
    sends, or to make the store refuse one; the CLI tests with the real Device are in
    test_iosxe_cli.py."""

    def __init__(self, hostname="R1", refuse=None):
        self.hostname = hostname
        self.edits: list[str] = []
        self.refuse = refuse  # an exception to raise from edit_config
        self.saved = 0

    def get_config(self, source="running", filter_xml=None):
        return "<data/>"

    def edit_config(self, target, config_xml, **_):
        if self.refuse:
            raise self.refuse
        self.edits.append(config_xml)

    def save(self):
        self.saved += 1


class RefusalError(Exception):
    def __init__(self, message, path):
        super().__init__(message)
        self.message, self.path = message, path


def config_shell(device=None, *lines):
    shell = Shell(device or FakeDevice(), enable_password="en")
    shell.privileged = True
    shell.enter_config()
    for line in lines:
        shell.line(line)
    return shell


def parse(mode, line):
    tokens, _ = tokenize(line)
    parses = [p for cmd in commands.MODES[mode] for p in parse_all(cmd.grammar, tokens)]
    return select(parses, len(tokens))


def leaves(xml):
    """{local tag: text} of every leaf in an edit, plus the operations used."""
    root = ET.fromstring(xml)
    out = {}
    for e in root.iter():
        tag = e.tag.split("}")[1]
        if len(e) == 0:
            out[tag] = e.text
        if e.get(f"{{{NC}}}operation"):
            out[f"{tag}@op"] = e.get(f"{{{NC}}}operation")
    return out


# --------------------------------------------------------------------------------------------- grammar


def test_abbreviated_keywords_parse():
    outcome, found = parse("mag", "bind lif 3600")
    assert outcome == "ok"
    assert [(b[0], b[1]) for b in found.bindings] == [("binding/lifetime", "3600")]


def test_ambiguous_incomplete_and_invalid_positions():
    assert parse("mag", "b") == ("ambiguous", 0)  # binding, bri
    assert parse("mag", "binding lifetime")[0] == "incomplete"
    assert parse("mag", "binding lifetime x") == ("invalid", 2)
    assert parse("mag", "address ipv4 300.1.1.1") == ("invalid", 2)


def test_exact_keyword_beats_abbreviation_and_parameter():
    # "decimal" abbreviated is also valid hex: IOS takes the keyword.
    outcome, found = parse("nai", "auth-option spi dec 300 key hex abcd")
    assert outcome == "ok"
    paths = dict((b[0], b[1]) for b in found.bindings)
    assert paths["auth-option/spi/decimal"] == "300"
    assert paths["auth-option/spi/key/hex"] == "abcd"


def test_optional_enc_type_before_ascii_key():
    _, found = parse("nai", "auth-option spi 100 key ascii 7 secret")
    paths = dict((b[0], b[1]) for b in found.bindings)
    assert paths["auth-option/spi/key/key-opts/enc-type"] == "7"
    assert paths["auth-option/spi/key/key-opts/ascii"] == "secret"


# ----------------------------------------------------------------------------------------- edit XML


def test_line_becomes_a_merge_under_the_mode_context():
    dev = FakeDevice()
    config_shell(dev, "ipv6 mobile pmipv6-mag mag1 domain dn1", "binding lifetime 3600")
    entry, line = (leaves(x) for x in dev.edits)
    assert entry["mag-name"] == "mag1" and entry["domain"] == "dn1" and "pmipv6-mag@op" not in entry
    assert line["lifetime"] == "3600" and line["mag-name"] == "mag1"
    root = ET.fromstring(dev.edits[1])
    assert root.find(f".//{{{MOBILEIP}}}mobile") is not None  # mobileip namespace below native/ipv6


def test_whole_line_node_is_replaced_and_no_form_removes_it():
    dev = FakeDevice()
    config_shell(dev, "ipv6 mobile pmipv6-mag m domain d", "dscp control-plane 5", "no dscp control-plane")
    assert leaves(dev.edits[1])["dscp@op"] == "replace"
    assert leaves(dev.edits[2])["dscp@op"] == "remove"


def test_no_form_of_list_entry_and_leaf_list_value():
    dev = FakeDevice()
    config_shell(dev, "ipv6 mobile pmipv6-mag mag1 domain dn1", "no interface Gi1", "lma l1 dn1")
    config_shell(dev, "ipv6 mobile pmipv6-mag mag1 domain dn1", "lma l1 dn1", "no ipv4-address 198.18.0.1")
    removed = leaves(dev.edits[1])
    assert removed["interface@op"] == "remove" and removed["interface-name"] == "Gi1"
    value = leaves(dev.edits[-1])
    assert value["ipv4-address@op"] == "remove" and value["ipv4-address"] == "198.18.0.1"


def test_boolean_with_default_true_is_set_false_by_no_form():
    dev = FakeDevice()
    config_shell(dev, "ipv6 mobile pmipv6-lma lma1 domain dn1", "no generate grekey")
    assert leaves(dev.edits[1])["grekey"] == "false"


# ------------------------------------------------------------------------------------------- render


def test_render_matches_the_reference_running_config():
    assert "\n".join(render_config(PAYLOAD)) == RENDERED


def test_rendered_lines_parse_back_to_the_same_edits():
    dev = FakeDevice()
    shell = config_shell(dev)
    for line in RENDERED.splitlines():
        out = shell.run(line)
        assert "%" not in out, (line, out)
    assert len(dev.edits) == len([x for x in RENDERED.splitlines() if x.strip() != "!"])


# ------------------------------------------------------------------------------------------ filters

SHOW = "".join(
    x + "\r\n"
    for x in [
        "hostname R1",
        "!",
        "ipv6 mobile pmipv6-mag m domain d",
        " binding lifetime 8",
        " role LTE",
        "!",
        "end",
    ]
)


@pytest.mark.parametrize(
    ("pipe", "expected"),
    [
        ("section ipv6 mobile", ["ipv6 mobile pmipv6-mag m domain d", " binding lifetime 8", " role LTE"]),
        ("sec role", ["ipv6 mobile pmipv6-mag m domain d", " role LTE"]),
        ("include lifetime", [" binding lifetime 8"]),
        ("exclude ^ ", ["hostname R1", "!", "ipv6 mobile pmipv6-mag m domain d", "!", "end"]),
        ("begin ^end", ["end"]),
    ],
)
def test_output_filters(pipe, expected):
    assert _filter(SHOW, " " + pipe, None, "show run | " + pipe) == "".join(x + "\r\n" for x in expected)


# -------------------------------------------------------------------------------------------- shell


def test_prompts_echo_and_line_ends():
    shell = Shell(FakeDevice(), enable_password="en")
    assert shell.prompt() == "R1>"
    # \r\n is one line end, \r and \n alone too; every line is echoed before its output.
    out = shell.feed("terminal length 0\r\nterminal width 511\r")
    assert out == "terminal length 0\r\nR1>terminal width 511\r\nR1>"
    assert shell.feed("\n") == ""  # the \n completing a \r\n split across reads
    assert shell.feed("\n") == "\r\nR1>"


def test_enable_password_and_bad_secrets():
    shell = Shell(FakeDevice(), enable_password="en")
    assert shell.feed("enable\n") == "enable\r\nPassword: "
    assert shell.feed("wrong\n") == "\r\nPassword: "  # the password is not echoed
    assert shell.feed("en\n") == "\r\nR1#"
    shell = Shell(FakeDevice(), enable_password="en")
    out = shell.feed("enable\nx\ny\nz\n")
    assert out.endswith("% Bad secrets\r\n\r\nR1>")


def test_config_prompts_truncate_long_hostnames():
    shell = config_shell(FakeDevice(hostname="ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assert shell.prompt() == "ABCDEFGHIJKLMNOPQRST(config)#"
    shell.line("ipv6 mobile pmipv6-mag mag1 domain dn1")
    assert shell.prompt() == "ABCDEFGHIJKLMNOPQRST(config-ipv6-pmipv6-mag)#"
    shell.line("lma lma1 dn1")
    assert shell.prompt() == "ABCDEFGHIJKLMNOPQRST(config-ipv6-pmipv6mag-lma)#"
    assert shell.feed("\x1a") == "^Z\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ#"


def test_ios_error_texts_and_caret():
    shell = config_shell(FakeDevice(), "ipv6 mobile pmipv6-mag mag1 domain dn1")
    prompt = "R1(config-ipv6-pmipv6-mag)#"
    assert shell.line("binding lifetime abc") == (
        "binding lifetime abc\r\n" + " " * (len(prompt) + 17) + "^\r\n"
        "% Invalid input detected at '^' marker.\r\n\r\n" + prompt
    )
    assert shell.line("binding lifetime") == "binding lifetime\r\n% Incomplete command.\r\n\r\n" + prompt
    assert shell.line("b") == 'b\r\n% Ambiguous command:  "b"\r\n' + prompt


def test_store_refusal_shows_caret_at_the_refused_value_and_the_message():
    path = "/native/ipv6/mobile/pmipv6-mag[mag-name='m'][domain='d']/discover-mn-detach/poll/interval"
    dev = FakeDevice()
    shell = config_shell(dev, "ipv6 mobile pmipv6-mag m domain d")
    dev.refuse = RefusalError('Unsatisfied range - value "5" is out of the allowed range.', path)
    line = "discover-mn-detach poll interval 5 timeout 2 retries 2"
    prompt = shell.prompt()
    assert shell.line(line) == (
        line + "\r\n" + " " * (len(prompt) + line.index(" 5 ") + 1) + "^\r\n"
        "% Invalid input detected at '^' marker.\r\n"
        '% Unsatisfied range - value "5" is out of the allowed range.\r\n\r\n' + prompt
    )


def test_sub_mode_falls_back_to_enclosing_modes():
    dev = FakeDevice()
    shell = config_shell(dev, "ipv6 mobile pmipv6-mag mag1 domain dn1", "lma lma1 dn1")
    shell.line("interface Gi2")  # a MAG-mode line: leaves the lma sub-mode
    assert shell.stack[-1][0] == "mag"
    shell.line("ipv6 mobile pmipv6-lma lma1 domain dn1")
    assert shell.stack[-1][0] == "lma"
    shell.line("exit")
    shell.line("exit")
    assert not shell.stack and shell.prompt() == "R1#"


def test_write_memory_only_in_exec_mode():
    dev = FakeDevice()
    shell = config_shell(dev)
    assert "% Invalid input detected" in shell.line("write memory")
    shell.line("end")
    assert shell.line("write memory") == "write memory\r\nBuilding configuration...\r\n[OK]\r\nR1#"
    question = shell.line("copy running-config startup-config")
    assert question.endswith("Destination filename [startup-config]? ")
    assert shell.line("") == "\r\nBuilding configuration...\r\n[OK]\r\nR1#"
    assert dev.saved == 2

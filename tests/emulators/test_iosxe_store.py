"""The emulator's configuration store on its own: edit engine, validation, datastores, locks, framing."""

from __future__ import annotations

import pytest
from iosxe.errors import CLI_REFUSED, RpcError
from iosxe.framing import Reader
from iosxe.store import Device
from lxml import etree

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"
MIP = "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"
NS = {"n": NATIVE, "m": MIP}


def native(inner: str = "", mobile: str = "") -> str:
    body = f'<ipv6><mobile xmlns="{MIP}">{mobile}</mobile></ipv6>' if mobile else ""
    return f'<config xmlns="{NC}" xmlns:nc="{NC}"><native xmlns="{NATIVE}">{inner}{body}</native></config>'


DOMAIN = "<pmipv6-domain><domain>dn1</domain></pmipv6-domain>"
MAG = "<pmipv6-mag><mag-name>mag1</mag-name><domain>dn1</domain>{}</pmipv6-mag>"


def xpath(device: Device, expr: str, source: str = "running") -> list:
    return etree.fromstring(device.get_config(source).encode()).xpath(expr, namespaces=NS)


@pytest.fixture
def dev():
    d = Device("R1", candidate=True)
    d.edit_config("running", native(mobile=DOMAIN))
    return d


def test_hostname_follows_running(dev):
    assert xpath(dev, "//n:hostname/text()") == ["R1"]
    dev.edit_config("running", native("<hostname>EDGE1</hostname>"))
    assert dev.hostname == "EDGE1"


def test_edit_is_atomic_and_reports_path_and_app_tag(dev):
    before = dev.get_config()
    bad = native(
        "<hostname>CHANGED</hostname>", DOMAIN + MAG.format("<binding><lifetime>3601</lifetime></binding>")
    )
    with pytest.raises(RpcError) as err:
        dev.edit_config("running", bad)
    assert err.value.message == "Maximum binding lifetime (should be multiple of 4)"
    assert err.value.path == "/native/ipv6/mobile/pmipv6-mag[mag-name='mag1'][domain='dn1']/binding/lifetime"
    assert err.value.app_tag == "must-violation"
    assert dev.get_config() == before
    assert dev.hostname == "R1"


def test_cli_refusal_for_nai_without_at(dev):
    nai = "<pmipv6-domain><domain>dn1</domain><domain-options><nai><realm>bob</realm></nai>"
    nai += "</domain-options></pmipv6-domain>"
    with pytest.raises(RpcError) as err:
        dev.edit_config("running", native(mobile=nai))
    assert err.value.message == CLI_REFUSED and err.value.cli_refusal
    assert err.value.info["bad-command"] == "nai bob"


def test_merge_keeps_siblings_and_leaf_lists_match_by_value(dev):
    lma = "<lma><lma-id>l1</lma-id><domain>dn1</domain><ipv6-address>{}</ipv6-address></lma>"
    dev.edit_config("running", native(mobile=MAG.format(lma.format("2001:db8::1"))))
    dev.edit_config("running", native(mobile=MAG.format(lma.format("2001:db8::2"))))
    assert xpath(dev, "//m:pmipv6-mag/m:lma/m:ipv6-address/text()") == ["2001:db8::1", "2001:db8::2"]
    delete = MAG.format(
        lma.replace("<ipv6-address>", '<ipv6-address nc:operation="delete">').format("2001:db8::1")
    )
    dev.edit_config("running", native(mobile=delete))
    assert xpath(dev, "//m:pmipv6-mag/m:lma/m:ipv6-address/text()") == ["2001:db8::2"]


def test_missing_key_and_unknown_element(dev):
    with pytest.raises(RpcError) as err:
        dev.edit_config("running", native(mobile="<pmipv6-mag><domain>dn1</domain></pmipv6-mag>"))
    assert err.value.tag == "missing-element"
    with pytest.raises(RpcError) as err:
        dev.edit_config("running", native("<frob/>"))
    assert err.value.tag == "unknown-element"


def test_delete_with_default_operation_none_of_missing_data(dev):
    with pytest.raises(RpcError) as err:
        dev.edit_config(
            "running", native(mobile=MAG.format('<apn nc:operation="delete"/>')), default_operation="none"
        )
    assert err.value.tag == "data-missing"


def test_replace_default_operation_replaces_top_level_node(dev):
    dev.edit_config("running", native("<hostname>R9</hostname>"), default_operation="replace")
    assert xpath(dev, "//m:pmipv6-domain") == []
    assert dev.hostname == "R9"


def test_candidate_is_a_separate_datastore(dev):
    dev.edit_config("candidate", native(mobile=MAG.format("<apn>x</apn>")))
    assert xpath(dev, "//m:apn") == []
    dev.commit()
    assert xpath(dev, "//m:apn/text()") == ["x"]
    # running edits show in an unmodified candidate
    dev.edit_config("running", native("<hostname>R5</hostname>"))
    assert xpath(dev, "//n:hostname/text()", "candidate") == ["R5"]


def test_without_candidate_candidate_operations_fail():
    d = Device("R2")
    for call in (d.commit, d.discard_changes, lambda: d.edit_config("candidate", native())):
        with pytest.raises(RpcError):
            call()


def test_locks(dev):
    a, b = object(), object()
    dev.lock("running", a)
    with pytest.raises(RpcError) as err:
        dev.lock("running", b)
    assert err.value.tag == "lock-denied"
    with pytest.raises(RpcError) as err:
        dev.edit_config("running", native("<hostname>X</hostname>"))  # the CLI (no session) is refused too
    assert err.value.tag == "in-use"
    dev.edit_config("running", native("<hostname>X</hostname>"), session=a)
    with pytest.raises(RpcError):
        dev.unlock("running", b)
    dev.release(a)
    dev.lock("running", b)


def test_save_and_seed(dev):
    dev.edit_config("running", native(mobile=MAG.format("<apn>y</apn>")))
    assert xpath(dev, "//m:apn", "startup") == []
    dev.save()
    assert xpath(dev, "//m:apn/text()", "startup") == ["y"]
    seeded = Device.from_running_config_xml(native(mobile=DOMAIN), hostname="S1")
    assert seeded.hostname == "S1"
    assert xpath(seeded, "//m:domain/text()", "startup") == ["dn1"]


def test_subtree_filter_content_match_selects_entry(dev):
    dev.edit_config("running", native(mobile=MAG.format("<apn>z</apn>")))
    flt = (
        f'<filter><native xmlns="{NATIVE}"><ipv6><mobile xmlns="{MIP}"><pmipv6-mag><mag-name>mag1</mag-name>'
    )
    flt += "</pmipv6-mag></mobile></ipv6></native></filter>"
    data = etree.fromstring(dev.get_config("running", flt).encode())
    assert data.xpath("//m:pmipv6-mag/m:apn/text()", namespaces=NS) == ["z"]


def test_framing_eom_and_chunked():
    reader = Reader()
    reader.feed(b"<a/>]]>]]><b/>]]")
    assert reader.next_message() == b"<a/>"
    assert reader.next_message() is None
    reader.feed(b">]]>")
    assert reader.next_message() == b"<b/>"
    reader.chunked = True
    reader.feed(b"\n#3\n<c/\n#1\n>\n##\n")
    assert reader.next_message() == b"<c/>"
    assert reader.frame(b"<d/>") == b"\n#4\n<d/>\n##\n"
    reader.feed(b"garbage-garbage-garbage")
    with pytest.raises(RpcError):
        reader.next_message()

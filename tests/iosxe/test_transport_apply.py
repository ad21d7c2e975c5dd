"""The transports with the real clients (ncclient, netmiko) against the emulator: reading one
resource's section, applying a change and saving it, a refused change leaving running as it was.

Each test runs over NETCONF on running, NETCONF with the candidate datastore, and the CLI.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.paths import MOBILEIP_NS, NATIVE_NS
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import (
    ConnectionParams,
    DeviceError,
    open_transport,
)

SEED = """\
ipv6 mobile pmipv6-domain D1
!
ipv6 mobile pmipv6-mag M1 domain D1
 binding lifetime 3600
!
ipv6 mobile pmipv6-lma L1 domain D1
!
"""
VARIANTS = {"netconf": ("netconf", False), "netconf-candidate": ("netconf", True), "cli": ("cli", False)}


class Change:
    """What the transports read from a plan: the NETCONF payload and the CLI lines."""

    def __init__(self, xml=None, commands=()):
        self.xml = xml
        self.commands = list(commands)


def mag_lifetime(seconds: int) -> Change:
    xml = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<native xmlns="{NATIVE_NS}"><ipv6><mobile xmlns="{MOBILEIP_NS}">'
        f"<pmipv6-mag><mag-name>M1</mag-name><domain>D1</domain>"
        f"<binding><lifetime>{seconds}</lifetime></binding></pmipv6-mag>"
        "</mobile></ipv6></native></config>"
    )
    return Change(xml, ["ipv6 mobile pmipv6-mag M1 domain D1", f" binding lifetime {seconds}"])


def params_for(router, **overrides) -> ConnectionParams:
    values = dict(
        host="127.0.0.1",
        username=router.spec.username,
        password=router.spec.password,
        enable_password=router.spec.enable_password,
        netconf_port=router.netconf_port,
        cli_port=router.cli_port,
        connect_timeout=5,
        command_timeout=10,
        host_key_checking=False,
    )
    values.update(overrides)
    return ConnectionParams(**values)


@pytest.fixture(params=list(VARIANTS))
def variant(request, iosxe_router_factory):
    transport, candidate = VARIANTS[request.param]
    router = iosxe_router_factory(hostname="R1", candidate=candidate)
    router.device.seed_cli(SEED)
    return router, transport


def lifetime_in_running(router) -> str | None:
    root = ET.fromstring(router.device.get_config())
    return root.findtext(f".//{{{MOBILEIP_NS}}}pmipv6-mag/{{{MOBILEIP_NS}}}binding/{{{MOBILEIP_NS}}}lifetime")


def test_get_config_returns_the_resource_and_nothing_else(variant):
    router, transport = variant
    with open_transport(params_for(router), transport) as session:
        assert session.name == transport
        text = session.get_config("mag")
    if transport == "cli":
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines[0] == "ipv6 mobile pmipv6-mag M1 domain D1"
        assert " binding lifetime 3600" in lines
        assert not [line for line in lines if not line.startswith((" ", "ipv6 mobile pmipv6-mag", "!"))]
        return
    data = ET.fromstring(text).find("{urn:ietf:params:xml:ns:netconf:base:1.0}data")
    mobile = data.find(f"{{{NATIVE_NS}}}native/{{{NATIVE_NS}}}ipv6/{{{MOBILEIP_NS}}}mobile")
    assert [child.tag.split("}")[1] for child in mobile] == ["pmipv6-mag"]
    assert [child.tag.split("}")[1] for child in data.find(f"{{{NATIVE_NS}}}native")] == ["ipv6"]
    assert mobile.findtext(f"{{{MOBILEIP_NS}}}pmipv6-mag/{{{MOBILEIP_NS}}}mag-name") == "M1"


def test_apply_changes_running_and_save_copies_it_to_startup(variant):
    router, transport = variant
    with open_transport(params_for(router), transport) as session:
        session.apply(mag_lifetime(1800))
        assert lifetime_in_running(router) == "1800"
        session.apply(Change())  # nothing to do: nothing sent
        assert "1800" not in router.device.get_config("startup")
        answer = session.save()
    assert lifetime_in_running(router) == "1800"
    assert "1800" in router.device.get_config("startup")
    assert answer in ("Save running-config successful", "Building configuration...\n[OK]")
    assert router.device.locked_by("running") is None
    if "candidate" in router.device.datastores:
        assert router.device.locked_by("candidate") is None
        assert router.device.get_config("candidate") == router.device.get_config()


def test_rejected_change_quotes_the_device_and_leaves_running_as_it_was(variant):
    router, transport = variant
    before = router.device.get_config()
    with open_transport(params_for(router), transport) as session:
        with pytest.raises(DeviceError) as caught:
            session.apply(mag_lifetime(3601))
        after_in_session = session.get_config("mag")  # the session is still usable
    error = caught.value
    assert error.kind == "rejected"
    assert router.device.get_config() == before
    assert "3600" in after_in_session
    if transport == "cli":
        assert error.message == (
            "% Invalid input detected at '^' marker. % Maximum binding lifetime (should be multiple of 4)"
        )
        assert error.detail == "binding lifetime 3601"
        assert error.applied == ["ipv6 mobile pmipv6-mag M1 domain D1"]
    else:
        assert error.message == "Maximum binding lifetime (should be multiple of 4)"  # the YANG's text
        assert error.detail.endswith("lifetime")
        assert "pmipv6-mag[" in error.detail
        assert error.applied == []
    assert str(error).startswith(f"127.0.0.1: rejected: {error.message} (at {error.detail})")
    assert "\n" not in str(error)


@pytest.mark.parametrize("variant", ["netconf", "cli"], indirect=True)
def test_device_refusal_names_the_refused_command(variant):
    """A change the device's CLI parser refuses (a NAI without '@'): cisco-ia bad-command / % line."""
    router, transport = variant
    before = router.device.get_config()
    change = Change(
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<native xmlns="{NATIVE_NS}"><ipv6><mobile xmlns="{MOBILEIP_NS}"><pmipv6-domain><domain>D1</domain>'
        "<domain-options><nai><realm>example.com</realm></nai></domain-options>"
        "</pmipv6-domain></mobile></ipv6></native></config>",
        ["ipv6 mobile pmipv6-domain D1", " nai example.com"],
    )
    with open_transport(params_for(router), transport) as session, pytest.raises(DeviceError) as caught:
        session.apply(change)
    assert caught.value.kind == "rejected"
    assert router.device.get_config() == before
    if transport == "cli":
        assert caught.value.detail == "nai example.com"
        assert caught.value.message.startswith("%")
    else:
        assert caught.value.message == "inconsistent value: Device refused one or more commands"
        assert caught.value.detail == "nai example.com"


@pytest.mark.parametrize("variant", ["netconf", "cli"], indirect=True)
def test_must_violation_carries_the_devices_reason(variant):
    """A second MAG (IOS-XE has one): the YANG `must` message, on the CLI after IOS's "% Invalid
    input" line."""
    router, transport = variant
    before = router.device.get_config()
    change = Change(
        mag_lifetime(3600).xml.replace("<domain>D1</domain>", "<domain>D9</domain>"),
        ["ipv6 mobile pmipv6-mag M9 domain D9"],
    )
    change.xml = change.xml.replace("<mag-name>M1</mag-name>", "<mag-name>M9</mag-name>")
    with open_transport(params_for(router), transport) as session, pytest.raises(DeviceError) as caught:
        session.apply(change)
    assert caught.value.kind == "rejected"
    assert caught.value.message.endswith('Too many "pmipv6-mag" instances.')
    assert router.device.get_config() == before
    if transport == "cli":
        assert caught.value.message.startswith("% Invalid input detected at '^' marker. %")
        assert caught.value.detail == "ipv6 mobile pmipv6-mag M9 domain D9"
    else:
        assert "pmipv6-mag[" in caught.value.detail

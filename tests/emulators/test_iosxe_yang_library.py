"""The emulator's ietf-yang-library modules-state (how clients find Cisco-IOS-XE-mobileip on 17.10+)
and the candidate lock guarding discard-changes, through ncclient."""

from __future__ import annotations

import pytest
from iosxe.router import Router
from lxml import etree
from ncclient.operations import RPCError

YL = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
MOBILEIP = "Cisco-IOS-XE-mobileip"


def modules_state_filter(name: str | None = None) -> str:
    match = f"<name>{name}</name>" if name else ""
    return f'<modules-state xmlns="{YL}"><module>{match}</module></modules-state>'


def listed_modules(session, name: str | None = None) -> dict[str, dict]:
    reply = session.get(filter=("subtree", modules_state_filter(name)))
    root = etree.fromstring(reply.xml.encode())
    return {
        module.findtext(f"{{{YL}}}name"): {etree.QName(c).localname: c.text for c in module}
        for module in root.iter(f"{{{YL}}}module")
    }


@pytest.mark.parametrize(
    "release, in_hello, revision",
    [("17.18.1", False, "2022-11-01"), ("17.9.1", True, "2020-11-01"), ("16.9.3", False, None)],
)
def test_modules_state_lists_the_mobileip_model_as_the_release_does(release, in_hello, revision):
    with Router(hostname="R1", release=release) as router, router.netconf_connect() as session:
        hello = any(f"module={MOBILEIP}&" in cap for cap in session.server_capabilities)
        assert hello is in_hello
        found = listed_modules(session, MOBILEIP)
        if revision is None:
            assert found == {}
            return
        assert list(found) == [MOBILEIP]
        assert found[MOBILEIP]["revision"] == revision
        assert found[MOBILEIP]["conformance-type"] == "implement"
        assert found[MOBILEIP]["namespace"] == "http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip"


def test_whole_module_list_of_17_18_is_the_captured_set():
    with Router(hostname="R1") as router, router.netconf_connect() as session:
        modules = listed_modules(session)
        assert len(modules) > 300
        assert modules["Cisco-IOS-XE-native"]["conformance-type"] == "implement"
        # a config read is not mixed with the library
        reply = session.get_config(source="running", filter=("subtree", modules_state_filter()))
        assert etree.fromstring(reply.xml.encode()).find(f".//{{{YL}}}modules-state") is None


def test_discard_changes_cannot_drop_another_sessions_locked_candidate():
    stale = (
        '<config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><ipv6>'
        '<mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">'
        "<pmipv6-domain><domain>D7</domain></pmipv6-domain></mobile></ipv6></native></config>"
    )
    with Router(hostname="R1", candidate=True) as router, router.netconf_connect() as owner:
        owner.lock("candidate")
        owner.edit_config(target="candidate", config=stale)
        with router.netconf_connect() as other, pytest.raises(RPCError) as caught:
            other.discard_changes()
        assert caught.value.tag == "in-use"
        assert "D7" in router.device.get_config("candidate")
        owner.discard_changes()
        assert "D7" not in router.device.get_config("candidate")


def test_rfc8525_yang_library_holds_the_same_modules():
    with Router(hostname="R1") as router, router.netconf_connect() as session:
        flt = (
            f'<yang-library xmlns="{YL}"><module-set><name/>'
            f"<module><name>{MOBILEIP}</name></module></module-set></yang-library>"
        )
        root = etree.fromstring(session.get(filter=("subtree", flt)).xml.encode())
        module_set = root.find(f".//{{{YL}}}module-set")
        assert module_set.findtext(f"{{{YL}}}name") == "complete"
        assert [m.findtext(f"{{{YL}}}revision") for m in module_set.iter(f"{{{YL}}}module")] == ["2022-11-01"]
        everything = etree.fromstring(
            session.get(filter=("subtree", f'<yang-library xmlns="{YL}"/>')).xml.encode()
        )
        implemented = everything.findall(f".//{{{YL}}}module-set/{{{YL}}}module")
        import_only = everything.findall(f".//{{{YL}}}module-set/{{{YL}}}import-only-module")
        state = etree.fromstring(session.get(filter=("subtree", modules_state_filter())).xml.encode())

        def names(modules, conformance=None):
            return {
                m.findtext(f"{{{YL}}}name")
                for m in modules
                if m.findtext(f"{{{YL}}}name")
                and conformance in (None, m.findtext(f"{{{YL}}}conformance-type"))
            }

        modules = list(state.iter(f"{{{YL}}}module"))
        assert names(implemented) == names(modules, "implement")
        assert names(import_only) == names(modules, "import")

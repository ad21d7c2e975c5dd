"""get-config XML <-> model: the documents the parser takes and the payloads the renderer writes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import paths
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r

NC = paths.NETCONF_BASE_NS
MAG_XML = f"""<native xmlns="{paths.NATIVE_NS}"><hostname>R1</hostname><ipv6>
<mobile xmlns="{paths.MOBILEIP_NS}"><pmipv6-mag><mag-name>mag1</mag-name><domain>dn1</domain>
<binding><lifetime>3600</lifetime><maximum>64</maximum></binding><generate><grekey>true</grekey></generate>
<ssmo-format><label/></ssmo-format><local-routing-mag/>
<lma><lma-id>lma1</lma-id><domain>dn1</domain><ipv6-address>2001:DB8::0:1</ipv6-address>
<ipv6-address>2001:db8::2</ipv6-address><encap><gre-ipv6/></encap>
<tunnel-template-only><tunnel-template><Tunnel>10</Tunnel></tunnel-template></tunnel-template-only></lma>
</pmipv6-mag></mobile></ipv6></native>"""
MAG = [
    {
        "name": "mag1",
        "domain": "dn1",
        "binding": {"maximum": 64},
        "local_routing_mag": {"enabled": True},
        "lmas": [
            {
                "name": "lma1",
                "domain": "dn1",
                "ipv6_addresses": ["2001:db8::1", "2001:db8::2"],
                "encap": "gre-ipv6",
                "tunnel_template": "Tunnel10",
            }
        ],
    }
]


def test_parse_reply_data_and_config_documents():
    declaration = '<?xml version="1.0" encoding="UTF-8"?>'
    reply = f'{declaration}<rpc-reply xmlns="{NC}" message-id="1"><data>{MAG_XML}</data></rpc-reply>'
    assert r.parse_xml("mag", reply) == MAG
    assert r.parse_xml("mag", f'<data xmlns="{NC}">{MAG_XML}</data>') == MAG
    assert r.parse_xml("mag", f'<config xmlns="{NC}">{MAG_XML}</config>') == MAG
    assert r.parse_xml("mag", f'<rpc-reply xmlns="{NC}" message-id="1"><data/></rpc-reply>') == []
    assert r.parse_xml("lma", MAG_XML) == []


def test_render_is_a_merge_payload_in_the_device_namespaces():
    root = ET.fromstring(r.render_xml("mag", MAG))
    assert root.tag == f"{{{NC}}}config"
    native = root.find(f"{{{paths.NATIVE_NS}}}native")
    mobile = native.find(f"{{{paths.NATIVE_NS}}}ipv6/{{{paths.MOBILEIP_NS}}}mobile")
    entry = mobile.find(f"{{{paths.MOBILEIP_NS}}}pmipv6-mag")
    assert [c.tag.split("}")[1] for c in entry][:2] == ["mag-name", "domain"]  # keys first
    assert not any(f"{{{NC}}}operation" in e.attrib for e in root.iter())
    assert entry.find(f".//{{{paths.MOBILEIP_NS}}}Tunnel").text == "10"
    assert r.parse_xml("mag", ET.tostring(root, encoding="unicode")) == MAG


def test_removals_carry_nc_operation_remove_in_the_base_namespace():
    plan = r.plan("mag", [], MAG, "deleted")
    root = ET.fromstring(plan.xml)
    removed = [e for e in root.iter() if e.get(f"{{{NC}}}operation") == "remove"]
    assert [e.tag.split("}")[1] for e in removed] == ["pmipv6-mag"]
    keys = [(c.tag.split("}")[1], c.text) for c in removed[0]]
    assert keys == [("mag-name", "mag1"), ("domain", "dn1")]


def test_an_empty_model_renders_an_empty_config():
    assert ET.fromstring(r.render_xml("lma", [])).tag == f"{{{NC}}}config"

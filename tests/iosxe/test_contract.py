"""The shared contract modules import from the collection path and name the device's lists."""

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import argspec, paths


def test_every_resource_has_a_spec_and_a_list():
    for resource in ("domain", "mag", "lma"):
        spec = argspec.argument_spec(resource)
        assert spec["state"]["choices"] == list(argspec.STATES)
        assert paths.LISTS[resource] in paths.subtree_filter(resource)
        assert paths.cli_section(resource).startswith("^ipv6 mobile pmipv6-")


def test_emulator_fixture_is_registered(iosxe_router):
    assert iosxe_router.netconf_port and iosxe_router.cli_port

"""runner.run without Ansible: input errors before any connection, the read-back check after an apply,
and the readable differences it reports."""

from __future__ import annotations

import socket

import pytest
from test_transport_apply import params_for  # the emulated router's credentials and ports

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import runner, transport
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import ConnectionParams

DOMAIN = {"name": "dn1", "lmas": [{"name": "lma1", "ipv6_address": "2001:db8:c::1"}]}
MAG = {"name": "mag1", "domain": "dn1", "address": {"ipv6": "2001:db8:c::2"}, "role": "LTE"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def args(**kw):
    base = dict(state="merged", transport="auto", save_when="never", config=None, running_config=None)
    return dict(base, **kw)


def test_bad_input_fails_with_its_path_before_any_connection():
    port = free_port()  # nothing listens: a connection attempt would say "unreachable"
    params = ConnectionParams(host="127.0.0.1", netconf_port=port, cli_port=port, connect_timeout=2)
    bad = dict(MAG, lmas=[{"name": "lma1", "domain": "dn1", "ipv6_addresses": ["zz"]}])
    result = runner.run("mag", args(config=[bad]), params, check_mode=False, diff=False)
    assert result["failed"] is True
    assert "config[0].lmas[0].ipv6_addresses[0]" in result["msg"], result["msg"]
    assert "unreachable" not in result["msg"] and "kind" not in result


class IgnoringDevice:
    """A real transport whose device answers every edit with ok but keeps nothing (a device that
    silently ignores a change): the runner must not report it converged."""

    def __init__(self, real):
        self._real = real
        self.name, self.reason = real.name, real.reason

    def get_config(self, resource):
        return self._real.get_config(resource)

    def apply(self, plan):
        del plan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()


@pytest.mark.parametrize("transport_name", ["netconf", "cli"])
def test_a_change_the_device_did_not_keep_fails_naming_the_option(
    transport_name, iosxe_router_factory, monkeypatch
):
    router = iosxe_router_factory(hostname="R1")
    router.device.seed_cli("ipv6 mobile pmipv6-domain dn1\n")
    real_open = transport.open_transport
    monkeypatch.setattr(runner, "open_transport", lambda p, t: IgnoringDevice(real_open(p, t)))
    result = runner.run("mag", args(config=[MAG], transport=transport_name), params_for(router), False, True)
    assert result["failed"] is True
    assert "does not hold it" in result["msg"]
    assert "mag1/dn1.role: expected 'LTE', device has None" in result["msg"]
    assert result["transport"] == transport_name


def test_differences_name_each_option_and_hide_keys():
    expected = [dict(DOMAIN, auth_option={"spi": 300, "key": {"ascii": "s3cret"}})]
    actual = [{"name": "dn1", "lmas": [{"name": "lma1", "ipv6_address": "2001:db8:c::9"}]}]
    found = runner.differences("domain", expected, actual)
    assert "dn1.lmas[lma1].ipv6_address: expected '2001:db8:c::1', device has '2001:db8:c::9'" in found
    assert "dn1.auth_option.spi: expected 300, device has None" in found
    assert "dn1.auth_option.key.ascii: expected '********', device has '********'" in found
    assert not any("s3cret" in line for line in found)
    assert runner.differences("domain", expected, expected) == []


def test_rendered_and_parsed_round_trip_without_a_device():
    rendered = runner.run("mag", args(state="rendered", config=[MAG]), None, False, False)
    assert rendered["changed"] is False
    text = "\n".join(rendered["rendered"]) + "\n"
    parsed = runner.run("mag", args(state="parsed", running_config=text), None, False, False)
    assert parsed["parsed"] == [MAG]
    from_xml = runner.run("mag", args(state="parsed", running_config=rendered["xml"]), None, False, False)
    assert from_xml["parsed"] == [MAG]
    broken = runner.run("mag", args(state="parsed", running_config="<config><native"), None, False, False)
    assert broken["failed"] is True and "running_config" in broken["msg"]


class RestoreFails:
    """The real CLI transport, except that the session drops when the module tries to restore (after
    the device rejected a line): the failure must say loudly what is left part-applied."""

    def __init__(self, real):
        self._real = real
        self.name, self.reason = real.name, real.reason
        self.applies = 0

    def get_config(self, resource):
        return self._real.get_config(resource)

    def apply(self, plan):
        self.applies += 1
        if self.applies > 1:
            raise transport.DeviceError("protocol", "session closed by the device", "127.0.0.1")
        self._real.apply(plan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()


def test_a_failed_restore_is_reported_loudly(iosxe_router_factory, monkeypatch):
    router = iosxe_router_factory(hostname="R1")
    router.device.seed_cli("ipv6 mobile pmipv6-domain dn1\n")
    real_open = transport.open_transport
    monkeypatch.setattr(runner, "open_transport", lambda p, t: RestoreFails(real_open(p, t)))
    bad = dict(MAG, binding={"lifetime": 3601})
    result = runner.run("mag", args(config=[bad], transport="cli"), params_for(router), False, False)
    assert result["failed"] is True and result["kind"] == "rejected"
    assert result["restored"] is False and result["changed"] is True
    assert "RESTORE FAILED" in result["msg"] and "session closed by the device" in result["msg"]
    assert "role LTE" in result["applied"]
    assert "pmipv6-mag" in router.device.get_config("running")  # what the message says is left

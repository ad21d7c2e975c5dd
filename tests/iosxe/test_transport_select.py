"""Choosing the transport (auto), the failure kinds, candidate locking, and keeping secrets out of
every error text and log record — with the real clients against the emulator."""

from __future__ import annotations

import logging
import socket

import paramiko
import pytest
from test_transport_apply import SEED, lifetime_in_running, mag_lifetime, params_for

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.paths import MOBILEIP_MODULE
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport import (
    DeviceError,
    open_transport,
)
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe.transport_netconf import (
    MODULES_STATE_FILTER,
    YANG_LIBRARY_FILTER,
    NetconfTransport,
)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def failure(router, transport="auto", action=None, **overrides) -> DeviceError:
    with (
        pytest.raises(DeviceError) as caught,
        open_transport(params_for(router, **overrides), transport) as s,
    ):
        if action:
            action(s)
    return caught.value


# -- auto ----------------------------------------------------------------------------------------


AUTO_CASES = {
    # name: (release, device runs NETCONF, which port params give for NETCONF, chosen, why)
    "17.18-yang-library": (
        "17.18.1",
        True,
        "netconf",
        "netconf",
        "listed in ietf-yang-library modules-state",
    ),
    "17.9-hello": ("17.9.1", True, "netconf", "netconf", "listed in the hello"),
    "16.9-no-model": ("16.9.3", True, "netconf", "cli", "does not offer Cisco-IOS-XE-mobileip"),
    "netconf-off": ("17.18.1", False, "netconf", "cli", "no NETCONF port given"),
    "netconf-port-closed": ("17.18.1", False, "closed", "cli", "connection refused"),
    "not-a-netconf-port": ("17.18.1", True, "cli", "cli", "does not offer the netconf subsystem"),
}


@pytest.mark.parametrize("case", list(AUTO_CASES))
def test_auto_picks_netconf_when_the_model_is_offered_else_cli(iosxe_router_factory, case):
    release, runs_netconf, port, chosen, why = AUTO_CASES[case]
    router = iosxe_router_factory(hostname="R1", release=release, netconf_port=0 if runs_netconf else None)
    router.device.seed_cli(SEED)
    netconf_port = {"netconf": router.netconf_port, "cli": router.cli_port, "closed": closed_port()}[port]
    with open_transport(params_for(router, netconf_port=netconf_port)) as session:
        assert session.name == chosen
        assert why in session.reason
        assert "3600" in session.get_config("mag")


@pytest.mark.parametrize("tree", ["modules-state", "yang-library"])
def test_either_yang_library_tree_finds_the_model(iosxe_router_factory, tree):
    """auto asks RFC 7895's tree first; RFC 8525's is the fallback. Both are read the same way."""
    flt = {"modules-state": MODULES_STATE_FILTER, "yang-library": YANG_LIBRARY_FILTER}[tree]
    router = iosxe_router_factory(hostname="R1", release="17.18.1")
    with NetconfTransport.connect(params_for(router)) as session:
        assert session._library_lists_model(flt) is True
        assert session._library_lists_model(flt.replace("mobileip", "mobileipx")) is False


def test_netconf_without_the_model_is_unsupported(iosxe_router_factory):
    error = failure(iosxe_router_factory(hostname="R1", release="16.9.3"), "netconf")
    assert error.kind == "unsupported"
    assert MOBILEIP_MODULE in error.message


# -- failure kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["netconf", "cli", "auto"])
def test_nothing_listening_is_unreachable(iosxe_router, transport):
    port = closed_port()
    error = failure(iosxe_router, transport, netconf_port=port, cli_port=port)
    assert error.kind == "unreachable"
    assert error.message == f"connection refused on port {port}"
    assert str(error) == f"127.0.0.1: unreachable: connection refused on port {port}"


@pytest.mark.parametrize("transport", ["netconf", "cli", "auto"])
def test_wrong_password_is_an_authentication_failure(iosxe_router, transport):
    """auto must report it, not fall back to the CLI."""
    error = failure(iosxe_router, transport, password="not-the-password")
    assert error.kind == "authentication"
    assert "login as 'admin' refused" in error.message


def test_wrong_enable_secret_is_an_authentication_failure(iosxe_router):
    error = failure(iosxe_router, "cli", enable_password="not-the-secret")
    assert error.kind == "authentication"
    assert error.message == "enable secret refused"
    error = failure(iosxe_router, "cli", enable_password=None)
    assert error.kind == "authentication"
    assert "ansible_become_password" in error.message


@pytest.mark.parametrize("transport", ["netconf", "cli"])
def test_unknown_host_key_is_refused_when_checking(iosxe_router, transport, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # an empty known_hosts
    error = failure(iosxe_router, transport, host_key_checking=True)
    assert error.kind == "authentication"
    assert "host key" in error.message


@pytest.mark.parametrize("transport", ["netconf", "cli"])
def test_slow_device_is_a_timeout(iosxe_router, transport):
    def slow_read(session):
        iosxe_router.device.reply_delay = 2
        session.get_config("mag")

    error = failure(iosxe_router, transport, action=slow_read, command_timeout=1)
    assert error.kind == "timeout"
    assert error.message.endswith("within 1 s")


def test_key_file_login_over_netconf(iosxe_router_factory, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    key = paramiko.RSAKey.generate(2048)
    key_file = tmp_path / "id_rsa"
    key.write_private_key_file(str(key_file))
    private_body = "".join(key_file.read_text().splitlines()[1:-1])
    router = iosxe_router_factory(hostname="R1", authorized_keys=[key])
    with open_transport(params_for(router, password=None, private_key_file=str(key_file)), "netconf") as s:
        assert s.name == "netconf"
    other = paramiko.RSAKey.generate(2048)
    other.write_private_key_file(str(key_file))
    error = failure(router, "netconf", password=None, private_key_file=str(key_file))
    assert error.kind == "authentication"
    logged = "".join(caplog.text.split())
    assert private_body[:64] not in logged and private_body[-64:] not in logged
    assert private_body[:64] not in str(error)


# -- candidate -----------------------------------------------------------------------------------


def stale_domain_xml(name: str) -> str:
    return (
        '<config><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><ipv6>'
        '<mobile xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-mobileip">'
        f"<pmipv6-domain><domain>{name}</domain></pmipv6-domain></mobile></ipv6></native></config>"
    )


@pytest.fixture
def candidate_router(iosxe_router_factory):
    router = iosxe_router_factory(hostname="R1", candidate=True)
    router.device.seed_cli(SEED)
    return router


def test_stale_candidate_is_discarded_not_committed(candidate_router):
    with candidate_router.netconf_connect() as other:
        other.edit_config(target="candidate", config=stale_domain_xml("STALE"))
    assert "STALE" in candidate_router.device.get_config("candidate")
    with open_transport(params_for(candidate_router), "netconf") as session:
        assert session.candidate
        session.apply(mag_lifetime(1800))
    assert lifetime_in_running(candidate_router) == "1800"
    assert "STALE" not in candidate_router.device.get_config()


@pytest.mark.parametrize("target", ["candidate", "running"])
def test_lock_held_by_another_session_is_a_clear_error(candidate_router, target):
    device = candidate_router.device
    before = device.get_config()
    with candidate_router.netconf_connect() as other:
        other.lock(target)
        holder = device.locked_by(target)
        error = failure(candidate_router, "netconf", action=lambda s: s.apply(mag_lifetime(1800)))
        # the other session keeps its lock; ours (candidate, when running was the one refused) is gone
        assert device.locked_by(target) is holder
        assert device.locked_by("candidate" if target == "running" else "running") is None
    assert error.kind == "rejected"
    assert (
        error.message
        == f"cannot lock {target}: the configuration database is locked by session {holder.session_id}"
    )
    assert error.detail == f"lock {target}"
    assert device.get_config() == before


def test_device_that_cannot_lock_running_is_configured_through_the_candidate(candidate_router):
    """RFC 6241 lets a device refuse <lock> on running with operation-not-supported: the change then
    goes through the locked candidate alone. Known by the error-tag, whatever the device's text."""
    device = candidate_router.device
    device.unlockable = {"running"}
    with open_transport(params_for(candidate_router), "netconf") as session:
        session.apply(mag_lifetime(1800))
    assert lifetime_in_running(candidate_router) == "1800"
    assert device.locked_by("candidate") is None
    device.unlockable = {"candidate"}  # the candidate's lock is not optional
    error = failure(candidate_router, "netconf", action=lambda s: s.apply(mag_lifetime(900)))
    assert (error.kind, error.tag) == ("rejected", "operation-not-supported")
    assert error.message == "cannot lock candidate: locking candidate is unavailable"
    assert lifetime_in_running(candidate_router) == "1800"


# -- secrets -------------------------------------------------------------------------------------


def test_no_secret_in_errors_or_logs(iosxe_router_factory, caplog):
    password, secret = "Pw-7f3a-login", "Sec-91b2-enable"
    router = iosxe_router_factory(hostname="R1", password=password, enable_password=secret)
    router.device.seed_cli(SEED)
    caplog.set_level(logging.DEBUG)
    texts = []
    with open_transport(params_for(router), "cli") as session:  # netmiko logs what it types
        session.apply(mag_lifetime(3600))
        texts.append(session.reason)
    texts.append(str(failure(router, "cli", enable_password=secret + "-wrong")))
    texts.append(str(failure(router, "netconf", password=password + "-wrong")))
    texts.append(str(failure(router, "cli", password=password + "-wrong")))
    texts.append(repr(params_for(router)))
    assert caplog.records  # the clients did log (at DEBUG)
    for text in [*texts, caplog.text, *(r.getMessage() for r in caplog.records)]:
        assert password not in text
        assert secret not in text

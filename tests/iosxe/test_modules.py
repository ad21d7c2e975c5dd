"""The three IOS-XE resource modules in real ansible-playbook runs against emulated routers, over NETCONF
and the SSH CLI (each scenario drives one router per transport in the same play).

Results are collected by a small aggregate callback written next to the playbook (the json stdout
callback is not part of ansible-core); the whole stdout (default callback, -v, --diff) is kept too, to
check that no secret ever shows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "build" / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
NATIVE_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-native"

# Distinctive secrets, so that grepping the output for them proves they never show.
PASSWORD = "Nm-pw-5e8c1f"
ENABLE = "Nm-en-77b2d0"
WRONG_PASSWORD = "Wrong-pw-3141"
AUTH_KEY = "Key-s3cr3t-91"
SECRETS = (PASSWORD, ENABLE, WRONG_PASSWORD, AUTH_KEY)

CALLBACK = '''
import json, os
from ansible.module_utils.common.json import get_encoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Every task result of the run, as a JSON list, into $IOSXE_TEST_RESULTS."""
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "results_file"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []

    def _record(self, result, status):
        self.results.append(dict(task=result.task_name, host=result._host.get_name(), status=status,
                                 result=result._result))

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["IOSXE_TEST_RESULTS"], "w") as out:
            json.dump(self.results, out, cls=get_encoder("legacy"))
'''

DOMAIN = {
    "name": "dn1",
    "encap": "gre-ipv6",
    "auth_option": {"spi": 300, "key": {"ascii": AUTH_KEY}},
    "lmas": [{"name": "lma1", "ipv6_address": "2001:db8:c::1"}],
    "mags": [
        {"name": "mag1", "ipv6_address": "2001:db8:c::2"},
        {"name": "mag2", "ipv6_address": "2001:db8:c::3"},
    ],
}
MAG = {
    "name": "mag1",
    "domain": "dn1",
    "address": {"ipv6": "2001:DB8:C:0::2"},  # normalised to 2001:db8:c::2
    "interfaces": ["GigabitEthernet0/0/1"],
    "binding": {"lifetime": 3600, "refresh_time": 300},  # device defaults: the same as not set
    "lmas": [{"name": "lma1", "domain": "dn1", "ipv6_addresses": ["2001:db8:c::1"], "encap": "gre-ipv6"}],
}
LMA = {
    "name": "lma1",
    "domain": "dn1",
    "address": {"ipv6": ["2001:db8:c::1"]},
    "bce": {"lifetime": 3600, "maximum": 64000},
    "mags": [{"name": "mag1", "domain": "dn1", "ipv6_address": "2001:db8:c::2", "encap": "gre-ipv6"}],
    "networks": [{"name": "net1", "pool_ipv6": {"name": "pool6", "pfxlen": 64}}],
}
BASELINE = """\
ipv6 mobile pmipv6-domain dn1
 encap gre-ipv6
 lma lma1
  ipv6-address 2001:db8:c::1
!
ipv6 mobile pmipv6-mag mag1 domain dn1
 address ipv6 2001:db8:c::2
 interface GigabitEthernet0/0/1
 lma lma1 dn1
  ipv6-address 2001:db8:c::1
  encap gre-ipv6
!
"""
BASELINE_MAG = {
    "name": "mag1",
    "domain": "dn1",
    "address": {"ipv6": "2001:db8:c::2"},
    "interfaces": ["GigabitEthernet0/0/1"],
    "lmas": [{"name": "lma1", "domain": "dn1", "ipv6_addresses": ["2001:db8:c::1"], "encap": "gre-ipv6"}],
}


def free_port() -> int:
    """A port nothing listens on (bound once and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def device_host(router, transport: str, **extra) -> dict:
    """Inventory variables of an emulated router (credentials as an operator would set them); an extra
    set to None removes that variable."""
    variables = {
        "ansible_host": "127.0.0.1",
        "ansible_user": router.spec.username,
        "ansible_password": router.spec.password,
        "ansible_become_password": router.spec.enable_password,
        "ansible_host_key_checking": False,
        "ansible_python_interpreter": sys.executable,
        "iosxe_transport": transport,
        "iosxe_netconf_port": router.netconf_port or free_port(),
        "iosxe_cli_port": router.cli_port or free_port(),
        **extra,
    }
    return {name: value for name, value in variables.items() if value is not None}


def make_router(factory, hostname: str, transport: str, **kwargs):
    """A router for one transport: the CLI one has no NETCONF at all, so ``auto`` must fall back."""
    if transport == "cli":
        kwargs["netconf_port"] = None
    return factory(hostname=hostname, password=PASSWORD, enable_password=ENABLE, **kwargs)


class Run:
    """One ansible-playbook run: results by task name and host, and the whole stdout."""

    def __init__(self, results: list[dict], stdout: str, returncode: int):
        self.stdout = stdout
        self.returncode = returncode
        self.raw = results
        self.by_task: dict[str, dict[str, dict]] = {}
        for item in results:
            # Ansible keeps the outcome in the callback's status, not always as a "failed" key
            item["result"]["failed"] = item["status"] != "ok"
            self.by_task.setdefault(item["task"], {})[item["host"]] = item["result"]

    def __getitem__(self, task: str) -> dict[str, dict]:
        assert task in self.by_task, f"no result for task {task!r}; stdout:\n{self.stdout[-3000:]}"
        return self.by_task[task]


def run_playbook(tmp_path: Path, hosts: dict[str, dict], tasks: list[dict], name="play") -> Run:
    work = tmp_path / name
    (work / "callbacks").mkdir(parents=True)
    (work / "callbacks" / "results_file.py").write_text(CALLBACK)
    inventory = {"all": {"hosts": hosts}}
    play = {
        "name": "IOS-XE resource modules",
        "hosts": "all",
        "gather_facts": False,
        "module_defaults": {
            "group/netmobility.pmipv6.iosxe": {
                "transport": "{{ iosxe_transport }}",
                "netconf_port": "{{ iosxe_netconf_port | default(omit) }}",
                "cli_port": "{{ iosxe_cli_port | default(omit) }}",
                "connect_timeout": 10,
                "command_timeout": 20,
            }
        },
        "tasks": [dict(task, ignore_errors=True) for task in tasks],
    }
    (work / "inventory.json").write_text(json.dumps(inventory))
    (work / "playbook.json").write_text(json.dumps([play]))
    results_file = work / "results.json"
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(work / "callbacks"),
        ANSIBLE_CALLBACKS_ENABLED="results_file",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_FORKS="10",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
        ANSIBLE_HOME=str(work / "home"),
        IOSXE_TEST_RESULTS=str(results_file),
    )
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-v",
            "--diff",
            "-i",
            str(work / "inventory.json"),
            str(work / "playbook.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
    )
    stdout = proc.stdout + proc.stderr
    assert results_file.exists(), f"ansible-playbook wrote no results:\n{stdout[-4000:]}"
    return Run(json.loads(results_file.read_text()), stdout, proc.returncode)


def task(name, resource, **args) -> dict:
    return {"name": name, f"netmobility.pmipv6.iosxe_pmipv6_{resource}": args}


def assert_no_secret(run: Run) -> None:
    for secret in SECRETS:
        assert secret not in run.stdout, f"{secret!r} shows in the playbook output"
        assert secret not in json.dumps(run.raw), f"{secret!r} shows in a task result"


def assert_ok(result: dict, changed: bool) -> None:
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is changed, result


def snapshot(router) -> tuple[str, str]:
    return router.device.get_config("running"), router.device.get_config("startup")


# host -> (transport option, expected transport)
TRANSPORTS = {"nc": ("auto", "netconf"), "ncc": ("netconf", "netconf"), "cli": ("auto", "cli")}


@pytest.fixture
def pair(iosxe_router_factory):
    """Fresh routers: NETCONF on running (found by auto), NETCONF with a candidate datastore, and CLI
    (auto falls back: no NETCONF)."""
    return {
        "nc": make_router(iosxe_router_factory, "R-nc", "netconf"),
        "ncc": make_router(iosxe_router_factory, "R-ncc", "netconf", candidate=True),
        "cli": make_router(iosxe_router_factory, "R-cli", "cli"),
    }


def hosts_of(routers: dict) -> dict:
    return {name: device_host(router, TRANSPORTS[name][0]) for name, router in routers.items()}


def test_every_state_over_both_transports_check_mode_first(tmp_path, pair):
    # --- check mode: nothing reaches the device, and the diff is what the real run then applies ---
    before = {name: snapshot(router) for name, router in pair.items()}
    check = run_playbook(
        tmp_path,
        hosts_of(pair),
        [
            dict(task("domain merged (check)", "domain", config=[DOMAIN]), check_mode=True),
            dict(task("mag merged (check)", "mag", config=[MAG]), check_mode=True),
        ],
        name="check",
    )
    for name, router in pair.items():
        assert snapshot(router) == before[name], f"check mode changed the store of {name}"
        for label in ("domain merged (check)", "mag merged (check)"):
            assert_ok(check[label][name], changed=True)
    assert_no_secret(check)

    lifecycle = [
        task("domain merged", "domain", config=[DOMAIN]),
        task("domain merged again", "domain", config=[DOMAIN]),
        task("mag merged", "mag", config=[MAG]),
        task("mag merged again", "mag", config=[MAG]),
        task("lma merged", "lma", config=[LMA]),
        task("lma merged again", "lma", config=[LMA]),
        task("mag replaced", "mag", state="replaced", config=[dict(BASELINE_MAG, role="LTE", interfaces=[])]),
        task(
            "mag replaced again",
            "mag",
            state="replaced",
            config=[dict(BASELINE_MAG, role="LTE", interfaces=[])],
        ),
        task("domain replaced", "domain", state="replaced", config=[dict(DOMAIN, mags=DOMAIN["mags"][:1])]),
        task(
            "domain replaced again",
            "domain",
            state="replaced",
            config=[dict(DOMAIN, mags=DOMAIN["mags"][:1])],
        ),
        task("domain gathered", "domain", state="gathered"),
        task("lma overridden", "lma", state="overridden", config=[dict(LMA, name="lma2")]),
        task("lma overridden again", "lma", state="overridden", config=[dict(LMA, name="lma2")]),
        task("mag deleted", "mag", state="deleted", config=[{"name": "mag1", "domain": "dn1"}]),
        task("mag deleted again", "mag", state="deleted", config=[{"name": "mag1", "domain": "dn1"}]),
        task("lma deleted all", "lma", state="deleted"),
        task("lma deleted all again", "lma", state="deleted"),
        task("lma gathered", "lma", state="gathered"),
    ]
    run = run_playbook(tmp_path, hosts_of(pair), lifecycle, name="lifecycle")
    assert_no_secret(run)
    for name in pair:
        expected_transport = TRANSPORTS[name][1]
        payload = "commands" if expected_transport == "cli" else "xml"
        for first, again in zip(lifecycle[0:10:2], lifecycle[1:10:2], strict=True):
            assert_ok(run[first["name"]][name], changed=True)
            assert_ok(run[again["name"]][name], changed=False)
        for label in ("lma overridden", "mag deleted", "lma deleted all"):
            assert_ok(run[label][name], changed=True)
            assert_ok(run[label + " again"][name], changed=False)

        # auto picked NETCONF where the model is offered, the CLI where there is no NETCONF
        first = run["domain merged"][name]
        assert first["transport"] == expected_transport, first["transport_reason"]
        assert TRANSPORTS[name][0] in first["transport_reason"]
        assert first[payload], first
        assert run["domain merged again"][name].get(payload) in ([], None)

        # the check-mode run planned exactly what the real run did
        for label in ("domain merged", "mag merged"):
            planned, real = check[f"{label} (check)"][name], run[label][name]
            assert planned["diff"] == real["diff"]
            assert planned[payload] == real[payload]
            assert planned["after"] == real["after"]
            assert "<" not in real["diff"]["after"]  # running-config text, not XML
        assert "ipv6 mobile pmipv6-mag mag1 domain dn1" in run["mag merged"][name]["diff"]["after"]

        # normalisation: compressed lower-case IPv6, device defaults left out
        mag_after = run["mag merged"][name]["after"]
        assert mag_after[0]["address"] == {"ipv6": "2001:db8:c::2"}
        assert "lifetime" not in (mag_after[0].get("binding") or {})
        assert run["mag replaced"][name]["after"][0].get("role") == "LTE"
        assert not run["mag replaced"][name]["after"][0].get("interfaces")

        # gathered returns the model, keys masked
        gathered = run["domain gathered"][name]["gathered"]
        assert gathered == run["domain replaced"][name]["after"]
        assert [m["name"] for m in gathered[0]["mags"]] == ["mag1"]
        assert gathered[0]["auth_option"]["key"]["ascii"] == "********"
        assert gathered[0]["auth_option"]["spi"] == 300

        # overridden removed the entry the task did not list; deleted removed the listed one and all
        assert [e["name"] for e in run["lma overridden"][name]["after"]] == ["lma2"]
        assert run["mag deleted"][name]["after"] == []
        assert run["lma deleted all"][name]["after"] == []
        assert run["lma gathered"][name]["gathered"] == []
    # the device itself holds what the modules say: only the domain is left
    for name, router in pair.items():
        running = router.device.get_config("running")
        assert "pmipv6-domain" in running and "pmipv6-mag" not in running and "pmipv6-lma" not in running, (
            name
        )


def test_rendered_and_parsed_need_no_device(tmp_path, iosxe_router_factory):
    """A host with the default ssh connection and nothing listening at its address: rendered and parsed
    must work without Ansible or the module connecting anywhere."""
    seeded = make_router(iosxe_router_factory, "R-seed", "netconf")
    seeded.device.seed_cli(BASELINE)
    xml = seeded.device.get_config("running")
    port = free_port()
    offline = {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": "admin",
        "ansible_password": PASSWORD,
        "ansible_python_interpreter": "/nonexistent/python3",  # no Python is ever run on the host
        "iosxe_transport": "auto",
        "iosxe_netconf_port": port,
        "iosxe_cli_port": port,
    }
    run = run_playbook(
        tmp_path,
        {"offline": offline},
        [
            task("domain rendered", "domain", state="rendered", config=[DOMAIN]),
            task("mag rendered", "mag", state="rendered", config=[MAG]),
            task("lma rendered", "lma", state="rendered", config=[LMA]),
            task("mag parsed text", "mag", state="parsed", running_config=BASELINE.replace("\n", "\r\n")),
            task("mag parsed xml", "mag", state="parsed", running_config=xml),
            task("domain parsed text", "domain", state="parsed", running_config=BASELINE),
            task("mag gathered offline", "mag", state="gathered"),
        ],
    )
    assert_no_secret(run)
    rendered = run["mag rendered"]["offline"]
    assert_ok(rendered, changed=False)
    assert rendered["rendered"][0] == "ipv6 mobile pmipv6-mag mag1 domain dn1"
    assert " address ipv6 2001:db8:c::2" in rendered["rendered"]
    assert rendered["xml"].lstrip().startswith("<") and "pmipv6-mag" in rendered["xml"]
    domain_lines = run["domain rendered"]["offline"]["rendered"]
    assert any(line.startswith(" auth-option") for line in domain_lines)
    assert run["lma rendered"]["offline"]["rendered"][0] == "ipv6 mobile pmipv6-lma lma1 domain dn1"
    assert run["mag parsed text"]["offline"]["parsed"] == [BASELINE_MAG]
    assert run["mag parsed xml"]["offline"]["parsed"] == [BASELINE_MAG]
    assert run["domain parsed text"]["offline"]["parsed"][0]["lmas"] == [
        {"name": "lma1", "ipv6_address": "2001:db8:c::1"}
    ]
    # the control: a state that needs the device does try it, and finds nothing listening
    gathered = run["mag gathered offline"]["offline"]
    assert gathered["failed"] and gathered["kind"] == "unreachable", gathered


def test_rejection_leaves_running_as_it_was(tmp_path, iosxe_router_factory):
    """binding lifetime 3601 (not a multiple of 4): NETCONF without and with candidate, and CLI where
    the line before the bad one (role) was accepted and must be restored. Also a wrong password and a
    port where nothing listens, with no secret anywhere in the output."""
    routers = {
        "nc": make_router(iosxe_router_factory, "R-nc", "netconf"),
        "ncc": make_router(iosxe_router_factory, "R-ncc", "netconf", candidate=True),
        "cli": make_router(iosxe_router_factory, "R-cli", "cli"),
    }
    for router in routers.values():
        router.device.seed_cli(BASELINE)
    before = {name: snapshot(router) for name, router in routers.items()}
    hosts = {
        "nc": device_host(routers["nc"], "netconf"),
        # no cli_port option: the port comes from ansible_port, as for any SSH host
        "cli": device_host(routers["cli"], "cli", ansible_port=routers["cli"].cli_port, iosxe_cli_port=None),
        # the older name of the password variable
        "ncc": device_host(routers["ncc"], "netconf", ansible_password=None, ansible_ssh_pass=PASSWORD),
        "badpw": device_host(routers["nc"], "auto", ansible_password=WRONG_PASSWORD),
        "nothing": device_host(routers["nc"], "cli", iosxe_cli_port=free_port()),
    }
    bad = dict(BASELINE_MAG, role="3GPP", binding={"lifetime": 3601})
    run = run_playbook(tmp_path, hosts, [task("mag bad lifetime", "mag", config=[bad])])
    assert_no_secret(run)
    results = run["mag bad lifetime"]
    for name in ("nc", "ncc", "cli"):
        result = results[name]
        assert result["failed"] and result["kind"] == "rejected", result
        assert result["device_message"] and result["device_message"] in result["msg"]
        assert result["msg"].startswith("mag on 127.0.0.1: rejected: ")
        assert "lifetime" in result["msg"]
        assert snapshot(routers[name]) == before[name], f"running/startup of {name} changed"
    assert results["ncc"]["transport"] == "netconf"
    cli = results["cli"]
    assert "binding lifetime 3601" in cli["msg"]
    assert cli["applied"], "the test needs a line accepted before the rejected one"
    assert cli["restored"] is True and cli["restore_commands"], cli
    assert results["badpw"]["failed"] and results["badpw"]["kind"] == "authentication", results["badpw"]
    assert results["nothing"]["failed"] and results["nothing"]["kind"] == "unreachable", results["nothing"]
    assert run.returncode == 0  # every failure above was expected (ignore_errors)


def test_save_when(tmp_path, iosxe_router_factory):
    """never / modified / always, with a change and (modified, always) without one while running holds
    an unsaved out-of-band change."""
    change = dict(BASELINE_MAG, role="LTE")
    cases = {  # host suffix -> (save_when, config, out-of-band change first)
        "never": ("never", change, False),
        "modified": ("modified", change, False),
        "modified_nochange": ("modified", BASELINE_MAG, True),
        "always_nochange": ("always", BASELINE_MAG, True),
    }
    routers, hosts = {}, {}
    for transport in ("netconf", "cli"):
        for case, (save_when, config, out_of_band) in cases.items():
            name = f"{transport}_{case}"
            router = make_router(iosxe_router_factory, f"S{len(routers)}", transport)
            router.device.seed_cli(BASELINE)
            if out_of_band:
                router.device.edit_config(
                    "running", f'<native xmlns="{NATIVE_NS}"><hostname>S{len(routers)}x</hostname></native>'
                )
            routers[name] = router
            hosts[name] = device_host(router, "auto", mag_config=[config], save_when=save_when)
    startup_before = {name: router.device.get_config("startup") for name, router in routers.items()}
    run = run_playbook(
        tmp_path,
        hosts,
        [task("mag save", "mag", config="{{ mag_config }}", save_when="{{ save_when }}")],
    )
    for name, router in routers.items():
        result = run["mag save"][name]
        case = name.split("_", 1)[1]
        running, startup = router.device.get_config("running"), router.device.get_config("startup")
        assert_ok(result, changed=not case.endswith("nochange"))
        if case in ("modified", "always_nochange"):
            assert result["saved"] is True and startup == running, name
            assert result["save_result"], name
        else:
            assert result["saved"] is False and startup == startup_before[name] != running, name

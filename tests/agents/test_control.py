"""Control API (real Unix socket), Prometheus rendering and pmipv6ctl output."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter

import pytest

from pmipv6 import cli
from pmipv6.control import metrics
from pmipv6.control.server import CommandError, ControlServer, request


def test_metrics_render_counters_and_gauges():
    c = Counter({("pba_sent", 0): 5, ("pba_sent", 153): 2, ("malformed", "decode"): 1, ("pbu_received",): 7})
    text = metrics.render(
        [c], {"bindings": ("Bindings", [({}, 3)]), "peer_up": ("Peers", [({"peer": "::1"}, 1)])}
    )
    assert "# TYPE pmipv6_pba_sent_total counter" in text
    assert 'pmipv6_pba_sent_total{status="0"} 5' in text
    assert 'pmipv6_pba_sent_total{status="153"} 2' in text
    assert 'pmipv6_malformed_total{reason="decode"} 1' in text
    assert "pmipv6_pbu_received_total 7" in text
    assert "pmipv6_bindings 3" in text and 'pmipv6_peer_up{peer="::1"} 1' in text
    assert text.endswith("\n")


def test_every_data_plane_counter_has_its_help_text():
    from pmipv6.dataplane import relay

    undocumented = [name for name in relay.COUNTERS if name not in metrics.COUNTERS]
    assert not undocumented
    text = metrics.render([Counter({("ecn_marked",): 4})], {})
    assert "# HELP pmipv6_ecn_marked_total Tunnelled packets whose outer CE mark" in text


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "agent.sock")

    def refuse(req):
        raise CommandError("no such mobile node")

    def crash(req):
        raise RuntimeError("bug")

    handlers = {
        "status": lambda req: {"node": "mag1", "role": "mag"},
        "bindings": lambda req: [
            {
                "mn_id": "alice@x",
                "mn_ll_id": "02:00:00:00:00:0a",
                "hnp": ["2001:db8:100:1::/64"],
                "att": 4,
                "lifetime": 3596,
                "state": "registered",
                "lma": "2001:db8:c::1",
                "interface": "acc0",
            }
        ],
        "detach": refuse,
        "crash": crash,
    }
    srv = ControlServer(path, handlers)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(srv.start())
        started.set()
        loop.run_forever()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    started.wait(5)
    yield path
    asyncio.run_coroutine_threadsafe(srv.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    t.join(5)


def test_request_roundtrip_and_errors(server):
    assert request(server, "status") == {"node": "mag1", "role": "mag"}
    with pytest.raises(CommandError, match="no such mobile node"):
        request(server, "detach", mac="02:00:00:00:00:99")
    with pytest.raises(CommandError, match="unknown command 'nope'"):
        request(server, "nope")
    with pytest.raises(CommandError, match="internal error in crash"):
        request(server, "crash")
    assert request(server, "status")["node"] == "mag1"  # still serving after a handler crash


def test_garbage_request_gets_an_error_reply(server):
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(server)
        s.sendall(b"this is not json\n")
        reply = json.loads(s.recv(4096))
    assert reply == {"ok": False, "error": "request is not valid JSON"}


def test_pmipv6ctl_table_and_json(server, capsys):
    assert cli.main(["-s", server, "bindings"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["MN-ID", "MN-LL-ID", "HNP", "INTERFACE", "LMA", "LIFETIME", "STATE"]
    assert out[1].split() == ["alice@x", "02:00:00:00:00:0a", "2001:db8:100:1::/64", "acc0", "2001:db8:c::1",
                              "3596", "registered"]  # fmt: skip
    assert cli.main(["-s", server, "bindings", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["mn_id"] == "alice@x"
    assert cli.main(["-s", server, "detach", "--mac", "02:00:00:00:00:99"]) == 1
    assert "no such mobile node" in capsys.readouterr().err


def test_pmipv6ctl_unreachable(tmp_path, capsys):
    assert cli.main(["-s", str(tmp_path / "missing.sock"), "status"]) == 2
    assert "cannot reach the agent" in capsys.readouterr().err

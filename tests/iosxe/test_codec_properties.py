"""Property tests of the codecs and the planner over models generated from the model tables.

Generated entries are what a task could say: every line complete (one branch of each YANG choice),
addresses in any spelling, enumerations in any case, defaults sometimes spelt out, plain lists
with duplicates. Render -> parse must give the canonical form back over both encodings,
normalise must be idempotent, and planning a model against itself must change nothing.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import model, syntax
from ansible_collections.netmobility.pmipv6.plugins.module_utils.iosxe import resources as r

RESOURCES = ("domain", "mag", "lma")
NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_./-]{0,10}", fullmatch=True)


def spelt(text):
    """A value as a user might type it: any case."""
    return st.sampled_from([text, text.lower(), text.upper()])


def ipv4():
    return st.ip_addresses(v=4).map(str)


def ipv6():
    return st.ip_addresses(v=6).flatmap(lambda a: st.sampled_from([str(a), a.exploded, a.exploded.upper()]))


def slot_value(slot):
    kind = slot.kind
    if kind in (model.FLAG, model.PRESENCE, model.BOOL):
        return st.booleans()
    if kind == model.INT:
        return st.integers(0, 70000) if slot.default is None else st.sampled_from([slot.default, 4, 4000])
    if kind == model.IPV4:
        return ipv4()
    if kind == model.IPV6:
        return ipv6()
    if kind in (model.ENUM, model.CASE):
        return st.sampled_from(slot.choices).flatmap(spelt)
    if kind == model.HEX:
        return st.from_regex(r"[0-9a-fA-F]{2,8}", fullmatch=True)
    if kind == model.NAI:
        return st.from_regex(r"[a-z]{0,5}@[a-z]{1,8}\.example", fullmatch=True)
    if kind == model.TUNNEL:
        return st.integers(0, 999).flatmap(lambda n: st.sampled_from([f"Tunnel{n}", f"tunnel{n}", str(n)]))
    if kind == model.WINDOW:
        return st.one_of(st.just("ignore"), st.integers(0, 255).map(str))
    return NAME


@st.composite
def line_values(draw, line):
    """{slot name: value} for one complete line (its pattern walked, one branch per choice)."""
    values = {}

    def walk(node):
        if isinstance(node, syntax.Word):
            if node.slot:
                values[node.slot] = draw(st.booleans())
        elif isinstance(node, syntax.Value):
            values[node.slot] = draw(slot_value(line.slots[node.slot]))
        elif isinstance(node, syntax.Optional):
            if draw(st.booleans()):
                walk(node.body)
        elif isinstance(node, syntax.Choice):
            walk(draw(st.sampled_from(node.branches)))
        else:
            for item in node.items:
                walk(item)

    walk(line.pattern)
    if line.flag:
        values[line.flag] = True if len(values) else draw(st.booleans())
    return values


@st.composite
def entry(draw, spec, depth=0):
    out = {}
    for slot in spec.keys.values():
        model.set_option(out, slot.option, draw(slot_value(slot)))
    for part in spec.body:
        if not draw(st.booleans()):
            continue
        if isinstance(part, model.Entry):
            out[part.option] = draw(entries(part, depth + 1))
        elif isinstance(part, model.Each):
            items = draw(st.lists(line_values(part.line), max_size=3))
            if part.plain:
                items = [i[part.key[0]] for i in items]
                items += items[:1]  # a duplicate, removed by normalise
            else:
                items = list({_canon(part.slots, i, part.key): i for i in items}.values())
                items = [{part.slots[n].option: v for n, v in i.items()} for i in items]
            model.set_option(out, part.option, items)
        else:
            for name, value in draw(line_values(part)).items():
                model.set_option(out, part.slots[name].option, value)
    return out


def _canon(slots, values, names):
    """The canonical key of generated values (keys differing only in spelling are one key)."""
    return tuple(slots[n].from_token(str(values[n])) for n in names)


def canonical_key(spec, raw):
    return _canon(spec.keys, {n: raw[s.option] for n, s in spec.keys.items()}, list(spec.keys))


@st.composite
def entries(draw, spec, depth=0):
    found = draw(st.lists(entry(spec, depth), max_size=2 if depth else 3))
    unique = {canonical_key(spec, e): e for e in found}
    return list(unique.values())


def models(resource):
    return entries(model.table(resource))


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("resource", RESOURCES)
def test_round_trips_and_canonical_form(resource):
    """parse_cli(render_cli(m)) == parse_xml(render_xml(m)) == normalise(m); normalise is
    idempotent; a model planned against itself changes nothing, in any state but deleted."""

    @SETTINGS
    @given(models(resource), st.sampled_from(["merged", "replaced", "overridden"]))
    def check(m, state):
        canonical = r.normalise(resource, m)
        assert r.normalise(resource, canonical) == canonical
        text = "\n".join(r.render_cli(resource, m))
        assert r.parse_cli(resource, text) == canonical
        # The same text as a device prints it: CRLF, `!` between blocks.
        shown = text.replace("\nipv6 mobile", "\n!\nipv6 mobile").replace("\n", "\r\n") + "\r\n!\r\nend\r\n"
        assert r.parse_cli(resource, shown) == canonical
        assert r.parse_xml(resource, r.render_xml(resource, m)) == canonical
        for value in _all_values(canonical):
            if isinstance(value, str) and _is_address(value):
                assert value == ipaddress.ip_address(value).compressed  # compressed, lower-case
        plan = r.plan(resource, m, canonical, state)
        assert not plan.changed
        assert plan.commands == [] and plan.xml is None
        assert plan.after == plan.before == canonical

    check()


def _is_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _all_values(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _all_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_values(v)
    else:
        yield value


@pytest.mark.parametrize("resource", RESOURCES)
def test_plans_reach_their_target(resource):
    """From any device state: overridden ends at the task's model, deleted at nothing, merged
    keeps every entry the device had and is stable; whatever changes is in both encodings."""

    @SETTINGS
    @given(models(resource), models(resource))
    def check(want, have):
        have = r.normalise(resource, have)
        spec = model.table(resource)
        assert r.plan(resource, want, have, "overridden").after == r.normalise(resource, want)
        assert r.plan(resource, [], have, "deleted").after == []
        merged = r.plan(resource, want, have, "merged")
        assert {spec.key_of(e) for e in have} <= {spec.key_of(e) for e in merged.after}
        again = r.plan(resource, want, merged.after, "merged")
        assert not again.changed
        assert bool(merged.commands) == bool(merged.xml) == merged.changed

    check()

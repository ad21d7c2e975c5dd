# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From what the task wants and what the device has to what changes: the target configuration
of a state (merged, replaced, overridden, deleted), the line-by-line difference, and that
difference written as CLI lines and as a NETCONF edit.

merged: want is deep-merged into have (keyed lists by key, plain lists unioned; a value given in
one branch of a YANG choice drops the other branch; a flag set to false clears its whole line);
replaced: each listed entry becomes exactly the task's (sub-lists too), others untouched;
overridden: the resource becomes exactly the task's list; deleted: the listed entries (keys
only), or every entry when the task lists none, are removed.
"""

from . import cli_codec, xml_codec
from .canonical import normalise_entries, normalise_entry
from .model import Each, Entry, Line, get_option, set_option
from .syntax import choices

ACTION_STATES = ("merged", "replaced", "overridden", "deleted")


class Plan:
    def __init__(self, changed, before, after, commands, xml):
        self.changed = changed
        self.before = before
        self.after = after
        self.commands = commands
        self.xml = xml

    def __repr__(self):
        return f"Plan(changed={self.changed!r}, commands={self.commands!r})"


class EntryChange:
    """One list entry that changes: ``entry`` gives its keys; ``removed`` for a whole removal."""

    def __init__(self, spec, entry, removed=False):
        self.spec = spec
        self.entry = entry
        self.removed = removed
        self.lines = []  # LineChange, in table order
        self.subs = []  # EntryChange of sub-mode entries


class LineChange:
    """A Line whose values change ({} when absent), or an Each item (None when absent)."""

    def __init__(self, part, before, after):
        self.part = part
        self.before = before
        self.after = after


def make_plan(spec, want, have, state):
    if state not in ACTION_STATES:
        raise ValueError(f"state: {state!r} has no plan (expected one of: {', '.join(ACTION_STATES)})")
    before = normalise_entries(spec, have, "have")
    wanted = normalise_entries(spec, want, "config", explicit=True)
    target = _target(spec, wanted, before, state)
    changes = diff_entries(spec, before, target)
    return Plan(
        changed=bool(changes),
        before=before,
        after=target,
        commands=cli_codec.commands(changes),
        xml=xml_codec.edit_xml(changes),
    )


def _target(spec, wanted, before, state):
    have = {spec.key_of(e): e for e in before}
    if state == "deleted":
        gone = {spec.key_of(e) for e in wanted} if wanted else set(have)
        return [e for e in before if spec.key_of(e) not in gone]
    merged = {} if state == "overridden" else dict(have)
    for entry in wanted:
        key = spec.key_of(entry)
        if state == "merged" and key in have:
            entry = merge_entry(spec, have[key], entry)
        merged[key] = normalise_entry(spec, entry, f"config[{'/'.join(key)}]")
    return [merged[k] for k in sorted(merged)]


# ------------------------------------------------------------------------------------------ merge


def merge_entry(spec, have, want):
    out = {slot.option: have[slot.option] for slot in spec.keys.values()}
    for part in spec.body:
        if isinstance(part, Entry):
            subs = _merge_entries(part, part.entries(have), part.entries(want))
            if subs:
                out[part.option] = subs
        elif isinstance(part, Each):
            items = _merge_items(part, have, want)
            if items:
                set_option(out, part.option, items)
        else:
            for name, value in _merge_line(part, have, want).items():
                set_option(out, part.slots[name].option, value)
    return out


def _merge_line(line, have, want):
    old, new = line.values(have), line.values(want)
    if line.flag and new.get(line.flag) is False:
        return new  # switching a flag off clears its line (an ACL without local routing is void)
    for branches in choices(line.pattern):
        touched = [b for b in branches if b & set(new)]
        if touched:
            for branch in branches:
                if branch not in touched:
                    old = {n: v for n, v in old.items() if n not in branch}
    return dict(old, **new)


def _merge_entries(spec, old, new):
    merged = {spec.key_of(e): e for e in old}
    for entry in new:
        key = spec.key_of(entry)
        merged[key] = merge_entry(spec, merged[key], entry) if key in merged else entry
    return [merged[k] for k in sorted(merged)]


def _merge_items(each, have, want):
    old, new = get_option(have, each.option) or [], get_option(want, each.option) or []
    if each.plain:
        return sorted(set(old) | set(new))

    def key_of(item):
        return each.item_key(each.line.values(item))

    merged = {key_of(i): i for i in old}
    for item in new:
        merged[key_of(item)] = dict(merged.get(key_of(item), {}), **item)
    return [merged[k] for k in sorted(merged)]


# ------------------------------------------------------------------------------------------- diff


def diff_entries(spec, before, after):
    """EntryChange for every entry of ``after`` that differs from ``before`` (or is new), and a
    removal for every entry of ``before`` not in ``after``."""
    old = {spec.key_of(e): e for e in before}
    new = {spec.key_of(e): e for e in after}
    changes = [EntryChange(spec, old[k], removed=True) for k in sorted(old) if k not in new]
    for key in sorted(new):
        change = diff_entry(spec, old.get(key), new[key])
        if key not in old or change.lines or change.subs:
            changes.append(change)
    return changes


def diff_entry(spec, before, after):
    before = before or {}
    change = EntryChange(spec, after)
    for part in spec.body:
        if isinstance(part, Entry):
            change.subs += diff_entries(part, part.entries(before), part.entries(after))
        elif isinstance(part, Each):
            change.lines += _diff_items(part, before, after)
        elif isinstance(part, Line):
            old, new = part.values(before), part.values(after)
            if old != new:
                change.lines.append(LineChange(part, old, new))
    return change


def _diff_items(each, before, after):
    old = {each.item_key(i): i for i in each.items(before)}
    new = {each.item_key(i): i for i in each.items(after)}
    out = [LineChange(each, old[k], None) for k in sorted(old) if k not in new]
    out += [LineChange(each, old.get(k), new[k]) for k in sorted(new) if old.get(k) != new[k]]
    return out

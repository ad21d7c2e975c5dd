# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running-config text <-> canonical entries, and a planned change -> CLI lines, from model.py's
tables. Standard library only.

Rendering follows ``show running-config``: the entry line, its lines in table order indented one
space per level, sub-modes last. Parsing goes by indentation, so it takes whole ``show
running-config`` output or ``| section`` output alike, with defaults shown or hidden, `!` lines,
any line order and \\r\\n; lines it does not know (options the model leaves out) are skipped.
"""

from .canonical import filled, normalise_entries
from .model import BOOL, Each, Entry, get_option, set_option
from .syntax import choices, match, render

INDENT = " "


# -------------------------------------------------------------------------------------- render


def _bool_flag(line):
    """The line's BOOL flag slot (`no <line>` stores false rather than the default), or None."""
    return line.slots[line.flag] if line.flag and line.slots[line.flag].kind == BOOL else None


def line_text(line, values):
    """The configuration line for a line's (canonical) values."""
    if _bool_flag(line) and values.get(line.flag) is False:
        return "no " + line.text
    slots = line.slots
    words = render(line.pattern, filled(line, values), lambda name, value: slots[name].to_token(value))
    if words is None:  # canonical values always render; this is a table or caller error
        raise ValueError(f"cannot write {line.text!r} from {values!r}")
    return " ".join(words)


def reset_text(line, before):
    """The line that returns a line's options to their defaults."""
    flag = _bool_flag(line)
    if flag and flag.default is True:
        return line.text  # `generate grekey`: `no generate grekey` would store false
    return "no " + " ".join(line.no_words)


def entry_header(spec, entry):
    return line_text(spec.header, {name: entry[slot.option] for name, slot in spec.keys.items()})


def render_entries(spec, entries, depth=0):
    """Running-config lines of canonical entries."""
    out = []
    for entry in entries:
        out.append(INDENT * depth + entry_header(spec, entry))
        subs = []
        for part in spec.body:
            if isinstance(part, Entry):
                subs += render_entries(part, part.entries(entry), depth + 1)
            elif isinstance(part, Each):
                out += [INDENT * (depth + 1) + line_text(part.line, item) for item in part.items(entry)]
            else:
                values = part.values(entry)
                if values:
                    out.append(INDENT * (depth + 1) + line_text(part, values))
        out += subs
    return out


# --------------------------------------------------------------------------------------- parse


def _tree(text):
    """[(words, children)] by indentation; blank and `!` lines dropped."""
    root = []
    stack = [(-1, root)]
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = raw.strip()
        if not stripped or stripped.startswith("!"):
            continue
        indent = len(raw) - len(raw.lstrip())
        while stack[-1][0] >= indent:
            stack.pop()
        children = []
        stack[-1][1].append((stripped.split(), children))
        stack.append((indent, children))
    return root


def _match(line, words):
    slots = line.slots
    return match(line.pattern, words, lambda name, token: slots[name].from_token(token))


def _read_entry(spec, keys, children):
    entry = {spec.keys[name].option: value for name, value in keys.items()}
    for words, grandchildren in children:
        _read_line(spec, entry, words, grandchildren)
    return entry


def _read_line(spec, entry, words, children):
    negated = words[0].lower() == "no"
    for part in spec.body:
        if isinstance(part, Entry):
            found = None if negated else _match(part.header, words)
            if found is not None:
                entry.setdefault(part.option, []).append(_read_entry(part, found, children))
                return
        elif isinstance(part, Each):
            found = None if negated else _match(part.line, words)
            if found is not None:
                _append_item(part, entry, found)
                return
        else:
            found = _read_plain_line(part, words, negated)
            if found is not None:
                for name, value in found.items():
                    set_option(entry, part.slots[name].option, value)
                return


def _read_plain_line(line, words, negated):
    if negated:  # only `no <bool line>` (no generate grekey) carries configuration
        return {line.flag: False} if _bool_flag(line) and _match(line, words[1:]) is not None else None
    found = _match(line, words)
    if found is not None and line.flag:
        found[line.flag] = True
    return found


def _append_item(each, entry, values):
    items = get_option(entry, each.option)
    if items is None:
        items = []
        set_option(entry, each.option, items)
    if each.plain:
        items.append(values[each.key[0]])
    else:
        items.append({each.slots[name].option: value for name, value in values.items()})


def _bounded_order(spec, sets):
    """Write the upper line of a bound pair first when the new lower value passes the old upper."""
    for lower, upper in spec.bounds:
        at = {pair[0].part.where(): i for i, pair in enumerate(sets) if not isinstance(pair[0].part, Each)}
        if lower in at and upper in at and at[lower] < at[upper]:
            low, up = sets[at[lower]][0], sets[at[upper]][0]
            if _single_value(low.part, low.after) > _single_value(up.part, up.before):
                sets.insert(at[lower], sets.pop(at[upper]))
    return sets


def _single_value(line, values):
    ((name, slot),) = line.slots.items()
    return values.get(name, slot.default)


def _rewrite(lc, reset):
    """[reset] when the new line leaves out an option the old one had (other than by taking
    another branch of a choice): whether re-entering a line drops its omitted options is not
    something to rely on (`local-routing-mag` after `local-routing-mag acl X`)."""
    if not lc.before:
        return []
    line = lc.part.line if isinstance(lc.part, Each) else lc.part
    lost = set(lc.before) - set(lc.after)
    for branches in choices(line.pattern):
        if any(branch & set(lc.after) for branch in branches):
            lost -= set().union(*branches)
    return [reset] if lost else []


def parse_entries(spec, text):
    """Canonical entries of ``spec`` found in running-config text (same-key blocks merged)."""
    by_key = {}
    for words, children in _tree(text or ""):
        keys = _match(spec.header, words)
        if keys is None:
            continue
        entry = _read_entry(spec, keys, [])
        entry = by_key.setdefault(spec.key_of(entry), entry)
        for words2, grandchildren in children:
            _read_line(spec, entry, words2, grandchildren)
    return normalise_entries(spec, list(by_key.values()), "running-config")


# ------------------------------------------------------------------------------------- commands


def commands(changes):
    """CLI lines for a list of planner EntryChange: whole-entry removals first (an entry's list
    may hold one element), then each changed entry."""
    out = ["no " + entry_header(c.spec, c.entry) for c in changes if c.removed]
    for change in changes:
        if not change.removed:
            out += _entry_commands(change)
    return out


def _entry_commands(change):
    early, sets, late, removed_subs, sub_blocks = [], [], [], [], []
    bounded = {option for pair in change.spec.bounds for option in pair}
    for lc in change.lines:
        if isinstance(lc.part, Each):
            line = lc.part.line
            item_no = "no " + line_text(line, {k: (lc.before or lc.after)[k] for k in lc.part.key})
            if lc.after is None:
                late.append(item_no)
            else:
                sets.append((lc, [*_rewrite(lc, item_no), line_text(line, lc.after)]))
        elif lc.after:
            sets.append((lc, [*_rewrite(lc, reset_text(lc.part, lc.before)), line_text(lc.part, lc.after)]))
        elif lc.part.where() in bounded:  # back to its default: a move like any other
            sets.append((lc, [reset_text(lc.part, lc.before)]))
        else:
            (early if lc.part.remove_first else late).append(reset_text(lc.part, lc.before))
    sets = [text for pair in _bounded_order(change.spec, sets) for text in pair[1]]
    for sub in change.subs:
        if sub.removed:
            removed_subs.append("no " + entry_header(sub.spec, sub.entry))
        else:
            sub_blocks += [*_entry_commands(sub), "exit"]
    # Sets before removals: a removal may be refused while a line being replaced still needs it
    # (encap gre-ipv4 needs an IPv4 address); removals go in reverse table order (mobile-map
    # before multipath).
    head = [entry_header(change.spec, change.entry)]
    return head + early + sets + late[::-1] + removed_subs + sub_blocks

# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and the canonical, comparable form of resource entries (docs/iosxe-model.md).

Canonical: absent options and false flags omitted, values equal to the YANG default omitted,
addresses compressed and lower-case, enumerations in the device's case, keyed lists sorted by key,
plain lists sorted and de-duplicated. A flag line's other options imply the flag (an ACL implies
local routing). Bad input raises ValueError naming the option, e.g.
``config[0].lmas[1].ipv6_addresses[0]: 'zz' is not an IPv6 address``.
"""

import copy
import re

from .model import MASK, Each, Entry, Line, get_option, set_option
from .syntax import choices, missing


def normalise_entries(spec, entries, where, explicit=False):
    """Canonical entries of ``spec``. ``explicit`` keeps every value the user gave (defaults and
    false flags too) and skips the completeness check: the planner's view of a partial update."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError(f"{where}: expected a list, got {entries!r}")
    out, seen = [], {}
    for i, raw in enumerate(entries):
        at = f"{where}[{i}]"
        entry = normalise_entry(spec, raw, at, explicit)
        key = spec.key_of(entry)
        if key in seen:
            raise ValueError(f"{at}: duplicate entry {'/'.join(key)} (also {seen[key]})")
        seen[key] = at
        out.append(entry)
    return sorted(out, key=spec.key_of)


def normalise_entry(spec, raw, where, explicit=False):
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a dict, got {raw!r}")
    _check_known(raw, shape(spec), where)
    out = {}
    for slot in spec.keys.values():
        value = slot.canon(raw.get(slot.option), f"{where}.{slot.option}")
        if value is None:
            raise ValueError(f"{where}: the key option '{slot.option}' is missing")
        out[slot.option] = value
    for part in spec.body:
        if isinstance(part, Entry):
            subs = normalise_entries(part, raw.get(part.option), f"{where}.{part.option}", explicit)
            if subs:
                out[part.option] = subs
        elif isinstance(part, Each):
            items = _normalise_items(part, get_option(raw, part.option), f"{where}.{part.option}")
            if items:
                set_option(out, part.option, items)
        else:
            for name, value in normalise_line(part, raw, where, explicit).items():
                set_option(out, part.slots[name].option, value)
    return out


def normalise_line(line, raw, where, explicit=False):
    """{slot name: canonical value} of one line's options in ``raw``."""
    values = {}
    for name, slot in line.slots.items():
        value = slot.canon(get_option(raw, slot.option), f"{where}.{slot.option}")
        if value is not None:
            values[name] = value
    for branches in choices(line.pattern):
        used = [b for b in branches if b & set(values)]
        if len(used) > 1:
            names = [line.slots[n].option for b in used for n in sorted(b & set(values))]
            raise ValueError(f"{where}: {' and '.join(names)} exclude each other")
    if explicit:
        return values
    meaningful = {n: v for n, v in values.items() if not line.slots[n].is_default(v)}
    if line.flag and set(meaningful) - {line.flag}:
        if values.get(line.flag) is False:
            raise ValueError(
                f"{where}.{line.slots[line.flag].option} is false but other options of it are set"
            )
        meaningful[line.flag] = True
    if meaningful:
        lacking = missing(line.pattern, filled(line, meaningful))
        if lacking:
            options = [line.slots[n].option if n in line.slots else n for n in lacking]
            raise ValueError(f"{where}.{line.where()}: incomplete, also set {', '.join(options)}")
    return meaningful


def filled(line, values):
    """Values completed with the YANG defaults of the line's other slots (written with them)."""
    out = {n: s.default for n, s in line.slots.items() if s.default is not None and n != line.flag}
    out.update(values)
    return out


def _normalise_items(each, items, where):
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list, got {items!r}")
    found = {}
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if each.plain:
            value = next(iter(each.slots.values())).canon(item, at)
            if value is not None:
                found[value] = value
            continue
        if not isinstance(item, dict):
            raise ValueError(f"{at}: expected a dict, got {item!r}")
        _check_known(item, {s.option: "leaf" for s in each.slots.values()}, at)
        for name in each.key:
            if item.get(each.slots[name].option) is None:
                raise ValueError(f"{at}: the key option '{each.slots[name].option}' is missing")
        values = normalise_line(each.line, item, at)
        key = each.item_key(values)
        if key in found:
            raise ValueError(f"{at}: duplicate entry {'/'.join(str(k) for k in key)}")
        found[key] = {each.slots[n].option: v for n, v in values.items()}
    return [found[k] for k in sorted(found)]


# ----------------------------------------------------------------------------- unknown options


def shape(spec):
    """Nested dict of the option names an entry may carry ("leaf", a dict, or a list spec)."""
    cached = getattr(spec, "_shape", None)
    if cached is not None:
        return cached
    tree = {slot.option: "leaf" for slot in spec.keys.values()}
    for part in spec.body:
        if isinstance(part, Line):
            for slot in part.slots.values():
                set_option(tree, slot.option, "leaf")
        else:
            set_option(tree, part.option, part)
    spec._shape = tree
    return tree


def _check_known(raw, tree, where):
    for name, value in raw.items():
        if name not in tree:
            raise ValueError(f"{where}: unknown option '{name}'")
        if isinstance(tree[name], dict) and value is not None:
            if not isinstance(value, dict):
                raise ValueError(f"{where}.{name}: expected a dict, got {value!r}")
            _check_known(value, tree[name], f"{where}.{name}")


# -------------------------------------------------------------------------------------- secrets


def mask_entries(spec, entries):
    """A copy with the values of secret options (authentication keys) replaced by MASK."""
    out = copy.deepcopy(entries)
    for entry in out:
        _mask_entry(spec, entry)
    return out


def _mask_entry(spec, entry):
    for part in spec.body:
        if isinstance(part, Entry):
            for sub in part.entries(entry):
                _mask_entry(part, sub)
        elif isinstance(part, Line):
            for slot in part.slots.values():
                if slot.secret and get_option(entry, slot.option) is not None:
                    set_option(entry, slot.option, MASK)


KEY_IN_LINE = re.compile(r"(\bkey\s+(?:hex|ascii(?:\s+\d)?)\s+)\S+")
KEY_IN_XML = re.compile(r"(<(?:[\w-]+:)?(?:ascii|hex)(?=[\s>/])[^>]*>)[^<]*(<)")


def mask_commands(lines):
    return [KEY_IN_LINE.sub(r"\g<1>" + MASK, line) for line in lines]


def mask_xml(xml):
    return None if xml is None else KEY_IN_XML.sub(r"\g<1>" + MASK + r"\2", xml)

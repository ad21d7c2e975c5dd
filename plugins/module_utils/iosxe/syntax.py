# Copyright: netmobility contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small pattern language for one IOS configuration line, read both ways.

A pattern is a string of space-separated tokens:

    word          a keyword the line must carry (compared case-insensitively)
    $name         a value, converted by the slot called ``name`` (see model.Slot)
    word=$name    a keyword whose presence sets the flag slot ``name``
    [ ... ]       an optional part, written when one of its slots has a value
    ( a | b )     alternatives (a choice of the YANG model), the first with a value is written

``match`` turns the words of a running-config line into slot values, ``render`` turns slot values
into the words of a line, so the parser and the renderer of a line cannot disagree on its syntax.
Standard library only.
"""


class Word:
    def __init__(self, text, slot=None):
        self.text = text
        self.slot = slot  # flag slot set by the keyword's presence, or None


class Value:
    def __init__(self, slot):
        self.slot = slot


class Optional:
    def __init__(self, body):
        self.body = body


class Choice:
    def __init__(self, branches):
        self.branches = branches


class Seq:
    def __init__(self, items):
        self.items = items


def compile_pattern(text):
    tokens = text.split()
    pos, seq = _seq(tokens, 0, ())
    if pos != len(tokens):
        raise ValueError(f"bad pattern {text!r} at token {pos}")
    return seq


def _seq(tokens, pos, stops):
    items = []
    while pos < len(tokens) and tokens[pos] not in stops:
        token = tokens[pos]
        if token == "[":
            pos, body = _seq(tokens, pos + 1, ("]",))
            items.append(Optional(body))
        elif token == "(":
            branches = []
            while tokens[pos] != ")":
                pos, branch = _seq(tokens, pos + 1, ("|", ")"))
                branches.append(branch)
            items.append(Choice(branches))
        elif token.startswith("$"):
            items.append(Value(token[1:]))
        elif "=$" in token:
            word, slot = token.split("=$", 1)
            items.append(Word(word, slot))
        else:
            items.append(Word(token))
        pos += 1
    return pos, Seq(items)


def slot_names(node):
    """Every slot the node can set, in pattern order."""
    if isinstance(node, Word):
        return [node.slot] if node.slot else []
    if isinstance(node, Value):
        return [node.slot]
    if isinstance(node, Optional):
        return slot_names(node.body)
    if isinstance(node, Choice):
        return [name for branch in node.branches for name in slot_names(branch)]
    return [name for item in node.items for name in slot_names(item)]


def choices(node):
    """The Choice nodes of a pattern, as lists of slot-name sets (one set per branch)."""
    if isinstance(node, Choice):
        found = [[set(slot_names(b)) for b in node.branches]]
        return found + [c for b in node.branches for c in choices(b)]
    if isinstance(node, Optional):
        return choices(node.body)
    if isinstance(node, Seq):
        return [c for item in node.items for c in choices(item)]
    return []


def leading_words(seq):
    """The keywords that start the line, up to its first value or optional part: the `no` form."""
    words = []
    for item in seq.items:
        if not isinstance(item, Word):
            break
        words.append(item.text)
        if item.slot:
            break
    return words


# ------------------------------------------------------------------------------------------- match


def match(seq, tokens, convert):
    """Slot values of a line whose words are ``tokens``, or None when the line is not this pattern.

    ``convert(name, token)`` returns the value of a token for slot ``name``, or None to refuse it."""
    for pos, values in _match(seq, tokens, 0, {}, convert):
        if pos == len(tokens):
            return values
    return None


def _match(node, tokens, pos, values, convert):
    if isinstance(node, Seq):
        yield from _match_items(node.items, tokens, pos, values, convert)
    elif isinstance(node, Optional):
        yield from _match(node.body, tokens, pos, values, convert)
        yield pos, values
    elif isinstance(node, Choice):
        for branch in node.branches:
            yield from _match(branch, tokens, pos, values, convert)
    elif pos < len(tokens):
        if isinstance(node, Word):
            if tokens[pos].lower() == node.text.lower():
                yield pos + 1, dict(values, **{node.slot: True}) if node.slot else values
        else:
            value = convert(node.slot, tokens[pos])
            if value is not None:
                yield pos + 1, dict(values, **{node.slot: value})


def _match_items(items, tokens, pos, values, convert):
    if not items:
        yield pos, values
        return
    for after, got in _match(items[0], tokens, pos, values, convert):
        yield from _match_items(items[1:], tokens, after, got, convert)


# ------------------------------------------------------------------------------------------ render


def _has_value(node, values):
    return any(name in values for name in slot_names(node))


def render(node, values, fmt):
    """The words of the line for these slot values (absent slots missing from ``values``), or None
    when a value the line needs is missing. ``fmt(name, value)`` gives a value's word."""
    if isinstance(node, Word):
        if node.slot is None:
            return [node.text]
        return [node.text] if values.get(node.slot) else None
    if isinstance(node, Value):
        return [fmt(node.slot, values[node.slot])] if node.slot in values else None
    if isinstance(node, Optional):
        return render(node.body, values, fmt) if _has_value(node.body, values) else []
    if isinstance(node, Choice):
        for branch in node.branches:
            if _has_value(branch, values):
                return render(branch, values, fmt)
        return None
    words = []
    for item in node.items:
        part = render(item, values, fmt)
        if part is None:
            return None
        words += part
    return words


def missing(node, values):
    """Slots that must be given for the line to be written (for error messages)."""
    if isinstance(node, Word):
        return [node.slot] if node.slot and not values.get(node.slot) else []
    if isinstance(node, Value):
        return [] if node.slot in values else [node.slot]
    if isinstance(node, Optional):
        return missing(node.body, values) if _has_value(node.body, values) else []
    if isinstance(node, Choice):
        for branch in node.branches:
            if _has_value(branch, values):
                return missing(branch, values)
        return [" or ".join("/".join(slot_names(b)) for b in node.branches)]
    return [name for item in node.items for name in missing(item, values)]

"""A tiny IOS-style command grammar: one syntax string per command, parsed both ways.

Syntax of a command string (tokens separated by spaces; groups must be spaced too):

    word                 keyword, abbreviable as on IOS
    word=path            keyword that sets an empty leaf (or presence container) at path
    word=path@value      keyword that sets leaf path to value (booleans, the enum "ignore" ...)
    {A|B|C}=path         one of several keywords, stored as the leaf value (canonical spelling)
    <path:type>          parameter; type: str, int, ipv4, ipv6, hex, nai, tunnel
    [ ... ]              optional group
    ( a b | c d )        alternatives

Paths are relative to the mode's context node. `x[]` marks a list entry (one per command line), a
trailing `[]` on a parameter's leaf marks a leaf-list value, and `*` after a leaf marks a list key.

Matching yields every parse of a line so that the shell can apply IOS's rules (exact keyword beats
abbreviation beats parameter; ambiguity; incomplete; caret at the first token nobody consumed).
Unparsing renders one command line from the configuration tree, so show running-config and the
parser can never disagree on syntax.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------------
# Grammar nodes


@dataclass(frozen=True)
class Kw:
    word: str
    path: str | None = None  # leaf set when the keyword is present
    value: str | None = None  # None: empty leaf


@dataclass(frozen=True)
class Enum:
    words: tuple[str, ...]
    path: str


@dataclass(frozen=True)
class Param:
    path: str
    type: str


@dataclass(frozen=True)
class Seq:
    items: tuple


@dataclass(frozen=True)
class Opt:
    body: Seq


@dataclass(frozen=True)
class Alt:
    options: tuple[Seq, ...]


def compile_syntax(text: str) -> Seq:
    """Turn a syntax string into a grammar tree."""
    tokens = text.split()
    pos, seq = _parse_seq(tokens, 0, stop=())
    if pos != len(tokens):
        raise ValueError(f"bad syntax {text!r} at {tokens[pos]!r}")
    return seq


def _parse_seq(tokens, pos, stop):
    items = []
    while pos < len(tokens) and tokens[pos] not in stop:
        tok = tokens[pos]
        if tok == "[":
            pos, body = _parse_seq(tokens, pos + 1, stop=("]",))
            items.append(Opt(body))
        elif tok == "(":
            options = []
            pos += 1
            while True:
                pos, body = _parse_seq(tokens, pos, stop=("|", ")"))
                options.append(body)
                if tokens[pos] == ")":
                    break
                pos += 1
            items.append(Alt(tuple(options)))
        elif tok.startswith("<"):
            path, _, ptype = tok[1:-1].rpartition(":")
            items.append(Param(path, ptype))
        elif tok.startswith("{"):
            words, _, path = tok[1:].partition("}=")
            items.append(Enum(tuple(words.split("|")), path))
        else:
            word, _, rest = tok.partition("=")
            path, _, value = rest.partition("@")
            items.append(Kw(word, path or None, value or None))
        pos += 1
    return pos, Seq(tuple(items))


def bound_paths(node) -> list[str]:
    """Every path a grammar node can set, in syntax order."""
    if isinstance(node, Kw):
        return [node.path] if node.path else []
    if isinstance(node, Enum | Param):
        return [node.path]
    if isinstance(node, Seq):
        return [p for item in node.items for p in bound_paths(item)]
    if isinstance(node, Opt):
        return bound_paths(node.body)
    return [p for option in node.options for p in bound_paths(option)]


def leading_keywords(seq: Seq) -> int:
    """How many plain keywords start the command (a `no` form must give at least these)."""
    count = 0
    for item in seq.items:
        if not isinstance(item, Kw):
            break
        count += 1
        if item.path:
            break
    return count


# ---------------------------------------------------------------------------------------------------
# Token values


def check_value(ptype: str, token: str) -> str | None:
    """The value a parameter token stands for, or None when the parser must refuse it (caret)."""
    if ptype == "str":
        return token
    if ptype == "int":
        # Ranges are the YANG model's business: the store rejects them with the model's message.
        return str(int(token)) if token.isdigit() else None
    if ptype == "ipv4":
        try:
            return str(ipaddress.IPv4Address(token))
        except ValueError:
            return None
    if ptype == "ipv6":
        try:
            return str(ipaddress.IPv6Address(token))
        except ValueError:
            return None
    if ptype == "hex":
        return token if re.fullmatch(r"[0-9a-fA-F]+", token) else None
    if ptype == "nai":
        return token if "@" in token else None  # `nai [user]@realm`: the @ is required
    if ptype == "tunnel":
        m = re.fullmatch(r"(?i)tunnel(\d+)", token)
        return m.group(1) if m else None
    raise ValueError(f"unknown parameter type {ptype}")


def format_value(ptype: str, value: str) -> str:
    return f"Tunnel{value}" if ptype == "tunnel" else value


# ---------------------------------------------------------------------------------------------------
# Matching

TOKEN = re.compile(r"\S+")


def tokenize(line: str) -> tuple[list[str], list[int]]:
    """Words of a line and the column where each starts (for the caret)."""
    found = list(TOKEN.finditer(line))
    return [m.group() for m in found], [m.start() for m in found]


@dataclass
class Parse:
    """One way a line matches a command: how far it got and what it set."""

    status: str  # "ok", "incomplete" (input ended early), "fail" (token `pos` does not fit)
    pos: int
    bindings: tuple = ()  # ((path, value-or-None, token index), ...)
    trace: tuple = ()  # ((token index, kind, keyword), ...); kind "exact" | "prefix" | "param"
    spec: object = field(default=None, compare=False)


def keyword_match(token: str, word: str) -> str | None:
    t, w = token.lower(), word.lower()
    if t == w:
        return "exact"
    if w.startswith(t):
        return "prefix"
    return None


def match(node, tokens: list[str], pos: int, bindings=(), trace=()):
    """Yield every Parse of `node` starting at token `pos`."""
    if isinstance(node, Seq):
        yield from _match_seq(node.items, tokens, pos, bindings, trace)
    elif isinstance(node, Opt):
        yield from match(node.body, tokens, pos, bindings, trace)
        yield Parse("ok", pos, bindings, trace)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from match(option, tokens, pos, bindings, trace)
    elif pos >= len(tokens):
        yield Parse("incomplete", pos, bindings, trace)
    elif isinstance(node, Kw):
        kind = keyword_match(tokens[pos], node.word)
        if kind is None:
            yield Parse("fail", pos, bindings, trace)
        else:
            b = ((node.path, node.value, pos),) if node.path else ()
            yield Parse("ok", pos + 1, bindings + b, (*trace, (pos, kind, node.word)))
    elif isinstance(node, Enum):
        hits = [(w, keyword_match(tokens[pos], w)) for w in node.words]
        hits = [(w, k) for w, k in hits if k]
        exact = [(w, k) for w, k in hits if k == "exact"]
        for w, kind in exact or hits:
            yield Parse("ok", pos + 1, (*bindings, (node.path, w, pos)), (*trace, (pos, kind, w)))
        if not hits:
            yield Parse("fail", pos, bindings, trace)
    else:  # Param
        value = check_value(node.type, tokens[pos])
        if value is None:
            yield Parse("fail", pos, bindings, trace)
        else:
            yield Parse("ok", pos + 1, (*bindings, (node.path, value, pos)), (*trace, (pos, "param", None)))


def _match_seq(items, tokens, pos, bindings, trace):
    if not items:
        yield Parse("ok", pos, bindings, trace)
        return
    for head in match(items[0], tokens, pos, bindings, trace):
        if head.status != "ok":
            yield head
        else:
            yield from _match_seq(items[1:], tokens, head.pos, head.bindings, head.trace)


def parse_all(seq: Seq, tokens: list[str]):
    """Every whole-line outcome: a parse that stops before the last token fails at the next one."""
    for p in match(seq, tokens, 0):
        if p.status == "ok" and p.pos < len(tokens):
            yield Parse("fail", p.pos, p.bindings, p.trace)
        else:
            yield p


def narrow(parses: list[Parse], i: int):
    """The parses that survive token `i`: an exact keyword beats an abbreviation, which beats a
    parameter. Returns (survivors, None), or ([], "invalid" | "ambiguous")."""
    consumed = [p for p in parses if len(p.trace) > i]
    if not consumed:
        return [], "invalid"
    kinds = {p.trace[i][1] for p in consumed}
    if "exact" in kinds:
        return [p for p in consumed if p.trace[i][1] == "exact"], None
    if "prefix" in kinds:
        if len({p.trace[i][2] for p in consumed if p.trace[i][1] == "prefix"}) > 1:
            return [], "ambiguous"
        return [p for p in consumed if p.trace[i][1] == "prefix"], None
    return consumed, None


def select(parses: list[Parse], ntokens: int):
    """Apply IOS's choice rules to the parses of one line (over all candidate commands).

    Returns ("ok", parse) | ("incomplete", None) | ("invalid", token index) | ("ambiguous", token index).
    """
    alive = list(parses)
    for i in range(ntokens):
        alive, error = narrow(alive, i)
        if error:
            return error, i
    done = [p for p in alive if p.status == "ok"]
    if done:
        return "ok", done[0]
    if any(p.status == "incomplete" for p in alive):
        return "incomplete", None
    return "invalid", ntokens


# ---------------------------------------------------------------------------------------------------
# Unparsing


def unparse(node, lookup):
    """Tokens rendering `node` from leaf values, plus how many values were present; None if a
    required value is missing. `lookup(path)` returns the leaf text, "" for an empty leaf, or None."""
    if isinstance(node, Kw):
        if not node.path:
            return [node.word], 0
        value = lookup(node.path)
        if value is None or (node.value is not None and value.lower() != node.value.lower()):
            return None
        return [node.word], 1
    if isinstance(node, Enum):
        value = lookup(node.path)
        for w in node.words:
            if value is not None and w.lower() == value.lower():
                return [w], 1
        return None
    if isinstance(node, Param):
        value = lookup(node.path)
        return None if value is None else ([format_value(node.type, value)], 1)
    if isinstance(node, Seq):
        out, count = [], 0
        for item in node.items:
            r = unparse(item, lookup)
            if r is None:
                return None
            out += r[0]
            count += r[1]
        return out, count
    if isinstance(node, Opt):
        r = unparse(node.body, lookup)
        return r if r and r[1] else ([], 0)
    for option in node.options:
        r = unparse(option, lookup)
        if r and r[1]:
            return r
    return None

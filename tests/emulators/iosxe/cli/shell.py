"""The IOS terminal: modes, prompts, echo, exec commands and the parser's error messages.

Transport-free: `feed(text)` takes what the client typed and returns what the router prints, so
the server (server.py) only moves bytes. Every configuration line becomes a YANG-validated edit of
the device's running datastore; a refused edit changes nothing and is reported like a refused
IOS line: caret under the last word, `% Invalid input detected at '^' marker.`, then the model's
own message (a `% <message>` line), so both netmiko's and Ansible's error patterns see it.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from . import exec_cmds
from .commands import MODES, PROMPTS, Command
from .edit import NATIVE, NC, delete_edit, enter_chain, seg_name, set_edit
from .grammar import compile_syntax, narrow, parse_all, select, tokenize

CONFIG_PROMPT_HOSTNAME = 20  # IOS shortens the hostname in config prompts (netmiko: "at 20 chars")
INVALID = "% Invalid input detected at '^' marker."
INCOMPLETE = "% Incomplete command."
ENTER_CONFIG = "Enter configuration commands, one per line.  End with CNTL/Z."

# Lines every configuration mode knows besides its own table.
GLOBAL = {
    "end": compile_syntax("end"),
    "exit": compile_syntax("exit"),
    "hostname": compile_syntax("hostname <name:str>"),
    "version": compile_syntax("version <v:str>"),  # accepted so a rendered config can be replayed
}
PREFIXES = {word: compile_syntax(word) for word in ("no", "default", "do")}


class Shell:
    def __init__(self, device, enable_password: str):
        self.device = device
        self.enable_password = enable_password
        self.privileged = False
        self.stack: list[tuple[str, tuple]] = []  # config modes: (mode, context chain)
        self.typed_after = ""  # the prompt the current line was typed after (the caret's origin)
        self.pending: str | None = None  # "password" or "copy": the next line answers a question
        self.tries = 0
        self.closed = False
        self.width = 80
        self.length = 24
        self._buf = ""
        self._skip_lf = False

    # ----------------------------------------------------------------------------------- terminal

    def prompt(self) -> str:
        host = self.device.hostname
        if self.stack:
            return host[:CONFIG_PROMPT_HOSTNAME] + PROMPTS[self.stack[-1][0]] + "#"
        return host + ("#" if self.privileged else ">")

    def feed(self, data: str) -> str:
        """Consume typed characters; \\r, \\n and \\r\\n each end one line."""
        out = []
        for ch in data:
            if self._skip_lf and ch == "\n":
                self._skip_lf = False
                continue
            self._skip_lf = ch == "\r"
            if ch in "\r\n":
                line, self._buf = self._buf, ""
                out.append(self.line(line))
                if self.closed:
                    break
            elif ch == "\x1a":  # Ctrl-Z ends configuration mode
                self._buf = ""
                if self.stack:
                    self.stack.clear()
                    out.append("^Z\r\n" + self.prompt())
            else:
                self._buf += ch
        return "".join(out)

    def line(self, line: str) -> str:
        """One complete input line -> echo (unless a password), output, next prompt."""
        if self.pending == "password":
            return self._answer_password(line)
        echo = line + "\r\n"
        if self.pending == "copy":
            self.pending = None
            return echo + self._save() + self.prompt()
        body = self.run(line)
        if self.closed or self.pending:  # a question ("Password: ") waits for the next line
            return echo + body
        return echo + body + self.prompt()

    def run(self, line: str) -> str:
        """Output of one command line (CRLF line ends, without the next prompt)."""
        text = line.strip()
        # A line that an enclosing mode accepts leaves the sub-mode before it is applied, so a
        # refusal must still align its caret with the prompt the line was typed after.
        self.typed_after = self.prompt()
        if not text or text.startswith("!"):
            return ""
        if self.stack:
            return self._config_line(line)
        return exec_cmds.run(self, line)

    # --------------------------------------------------------------------------------- messages

    def caret(self, line: str, column: int) -> str:
        return " " * (len(self.typed_after) + column) + "^\r\n" + INVALID + "\r\n\r\n"

    @staticmethod
    def incomplete() -> str:
        return INCOMPLETE + "\r\n\r\n"

    @staticmethod
    def ambiguous(line: str, tokens, starts, index) -> str:
        upto = line[: starts[index] + len(tokens[index])].strip()
        return f'% Ambiguous command:  "{upto}"\r\n'

    def report(self, outcome, where, line, tokens, starts, offset=0) -> str:
        if outcome == "incomplete":
            return self.incomplete()
        i = where + offset
        if outcome == "ambiguous":
            return self.ambiguous(line, tokens, starts, i)
        return self.caret(line, starts[i] if i < len(starts) else len(line.rstrip()))

    # ------------------------------------------------------------------------------ enable, save

    def start_enable(self) -> str:
        self.pending, self.tries = "password", 0
        return "Password: "

    def _answer_password(self, line: str) -> str:
        self.tries += 1
        if line == self.enable_password:
            self.pending, self.privileged = None, True
            return "\r\n" + self.prompt()
        if self.tries < 3:
            return "\r\nPassword: "
        self.pending = None
        return "\r\n% Bad secrets\r\n\r\n" + self.prompt()

    def _save(self) -> str:
        self.device.save()
        return "Building configuration...\r\n[OK]\r\n"

    # ---------------------------------------------------------------------------- configuration

    def enter_config(self) -> str:
        self.stack = [("config", ())]
        return ENTER_CONFIG + "\r\n"

    def _config_line(self, line: str) -> str:
        tokens, starts = tokenize(line)
        errors = []
        # IOS tries a line in the current mode, then in each enclosing mode (leaving the sub-modes).
        for depth in range(len(self.stack) - 1, -1, -1):
            mode, chain = self.stack[depth]
            outcome = self._parse_config(mode, tokens)
            if outcome[0] == "ok":
                del self.stack[depth + 1 :]
                return self._apply(outcome[1], outcome[2], chain, line, tokens, starts)
            errors.append(outcome)
        # Report the mode that understood most of the line (the current one on a tie).
        error, where, _, offset = max(errors, key=_progress)
        return self.report(error, where, line, tokens, starts, offset)

    def _parse_config(self, mode: str, tokens: list[str]):
        """("ok", kind, parse, offset) or (error, token index, None, offset) for one mode."""
        parses = []
        for name, grammar in GLOBAL.items():
            parses += [_tag(p, name) for p in parse_all(grammar, tokens)]
        for cmd in MODES[mode]:
            parses += [_tag(p, cmd) for p in parse_all(cmd.grammar, tokens)]
        # `no`, `default` and `do` take the rest of the line: only their first word is judged here.
        for word, grammar in PREFIXES.items():
            parses += [_tag(p, word) for p in parse_all(grammar, tokens[:1])]
        first, error = narrow(parses, 0)
        if error:
            return error, 0, None, 0
        prefixes = {p.spec for p in first} & set(PREFIXES)
        if {p.spec for p in first} <= prefixes:
            return self._parse_rest(mode, first[0].spec, tokens)
        outcome, found = select([p for p in parses if p.spec not in PREFIXES], len(tokens))
        if outcome == "ok":
            return "ok", found.spec, found, 0
        if prefixes:  # the LMA's own `default profile` command shares its first word with `default`
            rest = self._parse_rest(mode, next(iter(prefixes)), tokens)
            if rest[0] == "ok":
                return rest
        return outcome, found, None, 0

    def _parse_rest(self, mode, kind, tokens):
        if kind == "do":
            return "ok", "do", tokens, 0
        rest = tokens[1:]
        if not rest:
            return "incomplete", None, None, 0
        parses = []
        for cmd in MODES[mode]:
            for p in parse_all(cmd.grammar, rest):
                if p.status == "incomplete" and _no_prefix_ok(cmd, p):
                    p.status = "ok"
                parses.append(_tag(p, cmd))
        outcome, found = select(parses, len(rest))
        if outcome == "ok":
            return "ok", (kind, found.spec), found, 1
        return outcome, found, None, 1

    def _apply(self, kind, parse, chain, line, tokens, starts) -> str:
        if kind == "end":
            self.stack.clear()
            return ""
        if kind == "exit":
            self.stack.pop()
            return ""
        if kind == "do":
            return exec_cmds.run(self, line[line.index(tokens[0]) + len(tokens[0]) :].strip(), as_do=True)
        if kind == "hostname":  # native/hostname; the store renames the device
            name = escape(parse.bindings[0][1])
            xml = (
                f'<config xmlns="{NC}"><native xmlns="{NATIVE}"><hostname>{name}</hostname></native></config>'
            )
            return self._edit(xml, line, tokens, starts)
        if kind == "version":
            return ""
        if isinstance(kind, tuple):  # ("no" | "default", command)
            prefix, cmd = kind
            # `default X` restores the model's default, which for these commands is their absence.
            if prefix == "no" and cmd.no_value is not None:
                xml = set_edit(chain, cmd, [(cmd.paths[0], cmd.no_value)], replace=False)
                return self._edit(xml, line, tokens, starts)
            return self._edit(delete_edit(chain, cmd, parse.bindings), line, tokens, starts, parse, 1)
        cmd: Command = kind
        xml = set_edit(chain, cmd, parse.bindings, replace=cmd.enter is None and len(cmd.paths) > 1)
        error = self._edit(xml, line, tokens, starts, parse)
        if not error and cmd.enter:
            self.stack.append((cmd.enter, enter_chain(chain, cmd, parse.bindings)))
        return error

    def _edit(self, xml: str, line, tokens, starts, parse=None, offset=0) -> str:
        try:
            self.device.edit_config("running", xml)
        except Exception as exc:  # store.RpcError; duck-typed so this package needs no store import
            message = getattr(exc, "message", None) or str(exc)
            index = _blamed_token(getattr(exc, "path", None), parse, offset, len(tokens))
            return self.caret(line, starts[index])[:-2] + f"% {message}\r\n\r\n"
        return ""


def _blamed_token(error_path: str | None, parse, offset: int, ntokens: int) -> int:
    """The word of the line that set the node the store complains about, else the last word."""
    leaf = re.sub(r"\[[^\]]*\]", "", error_path or "").rpartition("/")[2].rpartition(":")[2]
    for path, _, index in reversed(parse.bindings if parse else ()):
        if leaf and seg_name(path.rpartition("/")[2]) == leaf:
            return index + offset
    return ntokens - 1


def _progress(error) -> int:
    outcome, where, _, offset = error
    return 1 << 16 if outcome == "incomplete" else where + offset


def _tag(parse, spec):
    parse.spec = spec
    return parse


def _no_prefix_ok(cmd: Command, parse) -> bool:
    """`no binding lifetime` may stop before the value, but not before the command's keywords,
    and a list entry or leaf-list value needs its key(s)."""
    if len(parse.trace) < cmd.min_no_tokens:
        return False
    bound = {b[0] for b in parse.bindings}
    if cmd.target.endswith("[]") and cmd.target in cmd.paths:
        return cmd.target in bound
    return all(k in bound for k in cmd.keys)

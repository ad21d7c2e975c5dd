"""User and privileged EXEC commands, and the `| section/include/exclude/begin` output filters."""

from __future__ import annotations

import re

from .grammar import compile_syntax, parse_all, select, tokenize
from .render import running_config

SHOW_VERSION = """Cisco IOS XE Software, Version 17.18.01
Cisco IOS Software [IOSXE], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.18.1, \
RELEASE SOFTWARE (fc4)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2025 by Cisco Systems, Inc.
Compiled Tue 01-Jul-25 00:00 by mcpre

This is the netmobility.pmipv6 test emulator of an IOS-XE router (PMIPv6 configuration only).

ROM: IOS-XE ROMMON

{host} uptime is 1 hour, 0 minutes
Uptime for this control processor is 1 hour, 1 minute
System returned to ROM by reload
System image file is "bootflash:packages.conf"
Last reload reason: reload

cisco C8000V (VXE) processor (revision VXE) with 2028828K/3075K bytes of memory.
Processor board ID 9ABCDEFGHIJ
Router operating mode: Autonomous
1 Virtual Ethernet interface
3 Gigabit Ethernet interfaces
32768K bytes of non-volatile configuration memory.
3965212K bytes of physical memory.
11526144K bytes of virtual hard disk at bootflash:.

Configuration register is 0x2102
"""

SHOW_RUN_HELP = """  all             Configuration with defaults
  brief           configuration without certificate data
  full            full configuration
  |               Output modifiers
  <cr>            <cr>"""

# (syntax, action, needs privileged mode)
EXEC = [
    ("enable", "enable", False),
    ("disable", "disable", False),
    ("exit", "exit", False),
    ("logout", "exit", False),
    ("terminal length <n:int>", "length", False),
    ("terminal width <n:int>", "width", False),
    ("show version", "version", False),
    ("show privilege", "privilege", False),
    ("show running-config [ {all|full|brief}=flag ]", "running", True),
    ("show startup-config", "startup", True),
    ("configure terminal", "configure", True),
    ("write memory", "save", True),
    ("write", "save", True),
    ("copy running-config startup-config", "copy", True),
]
COMPILED = [(compile_syntax(s), action, priv) for s, action, priv in EXEC]


def run(shell, line: str, as_do: bool = False) -> str:
    """Output of one EXEC line; `as_do` runs it from configuration mode (`do ...`)."""
    command, _, pipe = line.partition("|")
    if line.rstrip().endswith("?"):
        return _help(shell, line)
    tokens, starts = tokenize(command)
    privileged = shell.privileged or as_do
    parses = []
    for grammar, action, priv in COMPILED:
        if privileged or not priv:
            parses += [_tag(p, action) for p in parse_all(grammar, tokens)]
    outcome, found = select(parses, len(tokens))
    if outcome != "ok":
        return shell.report(outcome, found or 0, line, tokens, starts)
    out = ACTIONS[found.spec](shell, {b[0]: b[1] for b in found.bindings})
    if pipe:
        return _filter(out, pipe, shell, line)
    return out


def _tag(parse, action):
    parse.spec = action
    return parse


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _running(shell, _):
    data = shell.device.get_config("running")
    return crlf(running_config(shell.device.hostname, data))


def _startup(shell, _):
    data = shell.device.get_config("startup")
    return crlf(
        running_config(shell.device.hostname, data).replace("Current configuration", "Startup config")
    )


def _exit(shell, _):
    shell.closed = True
    return ""


def _disable(shell, _):
    shell.privileged = False
    return ""


def _copy(shell, _):
    shell.pending = "copy"
    return "Destination filename [startup-config]? "


def _set(attr):
    def action(shell, values):
        setattr(shell, attr, int(values["n"]))
        return ""

    return action


ACTIONS = {
    "enable": lambda shell, _: shell.start_enable() if not shell.privileged else "",
    "disable": _disable,
    "exit": _exit,
    "length": _set("length"),
    "width": _set("width"),
    "version": lambda shell, _: crlf(SHOW_VERSION.format(host=shell.device.hostname)),
    "privilege": lambda shell, _: f"Current privilege level is {15 if shell.privileged else 1}\r\n",
    "running": _running,
    "startup": _startup,
    "configure": lambda shell, _: shell.enter_config(),
    "save": lambda shell, _: shell._save(),
    "copy": _copy,
}


def _help(shell, line: str) -> str:
    if shell.privileged and re.fullmatch(r"\s*sh\S*\s+run\S*\s+\?\s*", line):
        return crlf(SHOW_RUN_HELP) + "\r\n\r\n"
    return "% Unrecognized command\r\n"


FILTERS = ("section", "include", "exclude", "begin")


def _filter(output: str, pipe: str, shell, line: str) -> str:
    """`| section|include|exclude|begin REGEX` (keyword abbreviable, regex = rest of the line)."""
    word, _, regex = pipe.lstrip().partition(" ")  # the regex keeps inner and trailing blanks
    names = [f for f in FILTERS if f.startswith(word.lower())] if word else []
    if len(names) != 1 or not regex.strip():
        column = line.index("|") + 1 + (len(pipe) - len(pipe.lstrip()))
        return shell.incomplete() if len(names) == 1 else shell.caret(line, column)
    pattern = re.compile(regex.lstrip().rstrip("\r\n"))
    lines = output.split("\r\n")
    if output.endswith("\r\n"):
        lines.pop()
    kept = _apply_filter(names[0], pattern, lines)
    return "".join(text + "\r\n" for text in kept)


def _apply_filter(name, pattern, lines):
    if name == "include":
        return [text for text in lines if pattern.search(text)]
    if name == "exclude":
        return [text for text in lines if not pattern.search(text)]
    if name == "begin":
        for i, text in enumerate(lines):
            if pattern.search(text):
                return lines[i:]
        return []
    return _sections(pattern, lines)


def _sections(pattern, lines):
    """IOS `section`: a top-level block whose first line matches is shown whole; otherwise its
    matching indented lines are shown under the block's first line."""
    kept, i = [], 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and lines[j].startswith(" "):
            j += 1
        block = lines[i:j]
        if pattern.search(block[0]):
            kept += block
        else:
            inner = [text for text in block[1:] if pattern.search(text)]
            if inner:
                kept += [block[0], *inner]
        i = j
    return kept

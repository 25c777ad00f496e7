"""Text as a log or a terminal may show it: every character that is not printable escaped.

A file name, a TOML key or a JSON field name is written by whoever wrote the profile. Printed
raw, a newline in it starts a line of its own (`::error ...` is a GitHub Actions workflow
command), and an escape character drives the terminal. Every line syncsecrets prints goes
through `printable`. The escapes are JSON's (`\\n`, `\\u001b`), so a line of a JSON document
stays valid JSON; a backslash is left as it is (JSON has escaped it already where it must).
"""

from __future__ import annotations

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(line: str) -> str:
    """`line` with each non-printable character (control, format, separator, unpaired surrogate)
    written as its escape."""
    if line.isprintable():  # nearly always: one pass in C
        return line
    return "".join(char if char.isprintable() else _escape(char) for char in line)


def _escape(char: str) -> str:
    short = _SHORT.get(char)
    if short:
        return short
    code = ord(char)
    if code > 0xFFFF:  # as JSON writes it: a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"

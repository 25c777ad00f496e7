"""Text as a log or a terminal may show it: every character that is not printable escaped.

A file name, a TOML key or a JSON field name is written by whoever wrote the profile. Printed
raw, a newline in it starts a line of its own (`::error ...` is a GitHub Actions workflow
command), and an escape character drives the terminal. Every line syncsecrets prints goes
through `printable`. The escapes are JSON's (`\\n`, `\\u001b`), so a line of a JSON document
stays valid JSON; a backslash is left as it is (JSON has escaped it already where it must).
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii


def printable(line: str) -> str:
    """`line` with each non-printable character (control, format, separator, unpaired surrogate)
    written as its escape."""
    if line.isprintable():  # nearly always: one pass in C
        return line
    return "".join(char if char.isprintable() else encode_basestring_ascii(char)[1:-1] for char in line)

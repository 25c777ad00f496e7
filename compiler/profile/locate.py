"""Where each key of a TOML document is written (line and column).

`tomllib` gives values but no positions, and every error must say `file:line:col`. This is a
small skimmer of TOML's structure (tables, dotted and quoted keys, inline tables, arrays and
strings) that records the position of every key path. It runs only when a problem has to be
reported, never on the fast path, and it never fails: a part it cannot follow simply has no
position, and the problem is reported against the file alone.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from contextlib import suppress

Position = tuple[int, int]
_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def key_positions(source: str) -> dict[tuple[str, ...], Position]:
    skimmer = _Skimmer(source)
    # Keep what was found before a part the skimmer could not follow.
    with suppress(IndexError, ValueError, RecursionError):
        skimmer.document()
    return skimmer.found


def position_of(positions: dict[tuple[str, ...], Position], path: tuple[str, ...]) -> Position | None:
    """The position of `path`, or of its nearest enclosing key or table."""
    for end in range(len(path), 0, -1):
        found = positions.get(path[:end])
        if found:
            return found
    return None


class _Skimmer:
    def __init__(self, source: str):
        self.src = source
        self.pos = 0
        self.found: dict[tuple[str, ...], Position] = {}
        self.line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]

    # -- positions -------------------------------------------------------------------------
    def record(self, path: tuple[str, ...], at: int) -> None:
        if path not in self.found:
            line = bisect_right(self.line_starts, at)
            self.found[path] = (line, at - self.line_starts[line - 1] + 1)

    # -- structure -------------------------------------------------------------------------
    def document(self) -> None:
        table: tuple[str, ...] = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.src):
                return
            if self.src[self.pos] == "[":
                double = self.src.startswith("[[", self.pos)
                self.pos += 2 if double else 1
                table = self.key(())
                self.skip_to_line_end()
            else:
                path = self.key(table)
                self.expect("=")
                self.value(path)
                self.skip_to_line_end()

    def key(self, prefix: tuple[str, ...], record: bool = True) -> tuple[str, ...]:
        """Reads a (dotted) key, recording every prefix of it; returns the full path."""
        path = prefix
        while True:
            self.skip_blank()
            start = self.pos
            path = (*path, self.key_part())
            if record:
                self.record(path, start)
            self.skip_blank()
            if self.peek() != ".":
                return path
            self.pos += 1

    def key_part(self) -> str:
        char = self.peek()
        if char == '"':
            return self.basic_string()
        if char == "'":
            return self.literal_string()
        start = self.pos
        while self.peek() in _BARE and self.pos < len(self.src):
            self.pos += 1
        if start == self.pos:
            raise ValueError("not a key")
        return self.src[start : self.pos]

    def value(self, path: tuple[str, ...] | None) -> None:
        self.skip_blank()
        char = self.peek()
        if self.src.startswith('"""', self.pos) or self.src.startswith("'''", self.pos):
            self.multiline_string()
        elif char == '"':
            self.basic_string()
        elif char == "'":
            self.literal_string()
        elif char == "{":
            self.inline_table(path)
        elif char == "[":
            self.array()
        else:
            while self.pos < len(self.src) and self.src[self.pos] not in ",]}\n#":
                self.pos += 1

    def inline_table(self, path: tuple[str, ...] | None) -> None:
        self.pos += 1
        while True:
            self.skip_blank()
            if self.peek() == "}":
                self.pos += 1
                return
            inner = self.key(path or (), record=path is not None)
            self.expect("=")
            self.value(inner if path is not None else None)
            self.skip_blank()
            if self.peek() == ",":
                self.pos += 1

    def array(self) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            self.value(None)  # keys inside arrays of tables are not profile keys
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    # -- strings ---------------------------------------------------------------------------
    def basic_string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.src[self.pos] != '"':
            self.pos += 2 if self.src[self.pos] == "\\" else 1
        self.pos += 1
        raw = self.src[start : self.pos]
        try:
            return json.loads(raw)
        except ValueError:
            return raw[1:-1]

    def literal_string(self) -> str:
        end = self.src.index("'", self.pos + 1)
        text = self.src[self.pos + 1 : end]
        self.pos = end + 1
        return text

    def multiline_string(self) -> None:
        quote = self.src[self.pos : self.pos + 3]
        self.pos += 3
        while not self.src.startswith(quote, self.pos):
            self.pos += 2 if (quote == '"""' and self.src[self.pos] == "\\") else 1
            if self.pos >= len(self.src):
                raise ValueError("unterminated string")
        self.pos += 3
        while self.peek() == quote[0]:  # up to two quotes may end the content
            self.pos += 1

    # -- whitespace ------------------------------------------------------------------------
    def peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def expect(self, char: str) -> None:
        self.skip_blank()
        if self.peek() != char:
            raise ValueError(f"expected {char}")
        self.pos += 1

    def skip_blank(self, newlines: bool = False) -> None:
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#" and newlines:
                self.skip_to_line_end()
            else:
                return

    def skip_to_line_end(self) -> None:
        end = self.src.find("\n", self.pos)
        self.pos = len(self.src) if end < 0 else end

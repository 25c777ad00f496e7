"""Problems found in the user's input, and how they are written out.

A problem is one line `file:line:col: key: message`. The message never holds a value from the
profile or from a reference: it names the key and says how to fix it, so an error can be printed
to any CI log without leaking a secret.
"""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    file: str
    message: str
    key: str | None = None  # dotted, spelled as the profile wrote it
    line: int | None = None
    col: int | None = None
    warning: bool = False
    # Azure refused what the reference names (a Key Vault secret denied, disabled, expired): the
    # input may be right, so a run whose only errors are refusals ends with exit 4, not 2.
    refused: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.col or 1}"
        parts = [where]
        if self.key:
            parts.append(self.key)
        parts.append(f"warning: {self.message}" if self.warning else self.message)
        return ": ".join(parts)

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.col or 0, self.key or "", self.message)


def dotted(path: tuple[str, ...]) -> str:
    """A key path as a person would type it: `environments.prod.sync_all`."""
    return ".".join(part if _is_bare(part) else _quoted(part) for part in path)


def _quoted(part: str) -> str:
    """A TOML basic string: `"emails[type eq \\"work\\"].value"` reads back as the key it names."""
    return '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_bare(part: str) -> bool:
    return bool(part) and all(c.isascii() and (c.isalnum() or c in "_-") for c in part)


def unique_sorted(problems) -> list[Problem]:
    """Problems in file and line order, each once (a shared partial is read by every profile)."""
    return sorted(set(problems), key=Problem.sort_key)


def exit_for(errors: list[Problem]) -> int:
    """The exit code of a run that found these errors (not warnings): 2, or 4 if Azure refused
    every one of them."""
    from . import exits

    return exits.REMOTE_FAILED if errors and all(problem.refused for problem in errors) else exits.USER_ERROR


def failure_line(count: int, unrestored: int = 0) -> str:
    """The last line of a run that found `count` errors, in every format; `unrestored`: outputs
    a failed commit changed and could not put back (named in the problems above)."""
    changed = f"{unrestored} {'output' if unrestored == 1 else 'outputs'} changed (above)"
    return f"syncsecrets: {count} {'error' if count == 1 else 'errors'}; {changed if unrestored else 'nothing was written'}"


class UserError(Exception):
    """The user's input or invocation is wrong: exit 2 with these problems, nothing written."""

    def __init__(self, problems: list[Problem], details: tuple[str, ...] = ()):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems
        # Lines of syncsecrets' own making printed after the problems (a list to choose from):
        # a problem is one line, and a newline inside one is escaped like any other character.
        self.details = details

    @classmethod
    def single(cls, file: str, message: str, key: str | None = None, details: tuple[str, ...] = ()) -> UserError:
        return cls([Problem(file, message, key)], details)


class Refused(Exception):
    """Azure refused or could not serve what a reference names (a Key Vault secret): reported
    where the reference was written, as a refused problem (exit 4). The message names what was
    refused and how to fix it, never a secret."""


class InvalidValue(Exception):
    """A value the user wrote (or a reference resolved to) is not valid for its key: the message
    says how to fix it and never quotes the value. Raised by the value parsers and turned into a
    Problem by whoever knows the file and key. Deliberately not a ValueError: a ValueError from
    the standard library or from a bug must not be shown to users as their mistake."""

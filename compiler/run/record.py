"""A record of what each output was compiled from, so an unchanged profile need not be parsed.

Most runs (pre-commit, CI, a re-run after a one-line edit) change nothing or almost nothing,
and parsing TOML is most of a compile's cost. Each entry says: this output was compiled from
these files, whose bytes had these hashes, by this build of syncsecrets, and came out with this
hash; with these warnings and these declared environments. A target is served from its entry
only when, in this run:
- every file it depended on (the profile and each parent) has the recorded bytes,
- the output on disk has the recorded bytes, and
- the run does not `--reveal` (revealed outputs depend on secrets; they are never recorded).
Anything else (a missing, unreadable or older-format record included) means a normal compile,
so the record can make a run faster but never different: it is content-addressed, not dated.
The record is read as untrusted input: any part of an unexpected shape is ignored (a cold
compile of what it described), an entry must name its own profile among the files it depends
on, and a record folder that is a symbolic link is neither read nor written through.

It lives in `<out>/.syncsecrets-cache/`, beside the outputs it describes, with a `.gitignore`
so that committing `build/` never commits it; an empty output folder means a cold compile.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import NamedTuple

from ..problems import Problem
from ..profile.digest import digest

FOLDER = ".syncsecrets-cache"
RECORD = "outputs.json"
FORMAT = 3


@cache
def fingerprint() -> str:
    """This build of syncsecrets: the name, size and time of each of its code and data files, so
    an upgrade or an edit invalidates everything (stat, not read: this runs on every start)."""
    from .. import __version__

    package = os.path.dirname(os.path.dirname(__file__))  # all of compiler/, not only run/
    parts = [__version__]
    for folder, folders, names in os.walk(package):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in names:
            if name.endswith((".py", ".toml")):
                info = os.stat(os.path.join(folder, name))
                parts.append(
                    f"{os.path.relpath(os.path.join(folder, name), package)}:{info.st_size}:{info.st_mtime_ns}"
                )
    return digest("\0".join(sorted(parts)).encode())


class Entry(NamedTuple):
    # Written to the record as a JSON array (a NamedTuple is a tuple), read back positionally.
    profile: str
    environment: str | None
    dependencies: list[tuple[str, str]]  # (path, digest) of the profile and every parent
    output: str  # digest of the output's bytes
    pairs: int
    principal: str | None
    warnings: list[Problem]
    environments: list[str]  # declared by the files above


class Partial(NamedTuple):
    """A partial in the folder compiled, read for its problems and environments."""

    digest: str
    warnings: list[Problem]
    environments: list[str]


class Record:
    def __init__(self, out: str, entries: dict[str, list | Entry], partials: dict[str, Partial] | None = None):
        self.out = out
        self.entries = entries  # output -> Entry, or the JSON array of one (made an Entry when used)
        self.partials = partials or {}
        self._digests: dict[str, str | None] = {}  # per run: a shared partial is hashed once

    @classmethod
    def load(cls, out: str) -> Record:
        data = _read(out)
        if data is None or data.get("format") != FORMAT or data.get("fingerprint") != fingerprint():
            return cls(out, {})  # no record, or one this build cannot read: compile normally
        entries, partials = data.get("entries"), data.get("partials")
        if not isinstance(entries, dict) or not isinstance(partials, dict):
            return cls(out, {})
        found = {}
        for path, partial in partials.items():
            warnings = _problems(partial[1]) if _is_list(partial, 3) else None
            if warnings is None or not isinstance(partial[0], str) or not _strings(partial[2]):
                return cls(out, {})
            found[path] = Partial(partial[0], warnings, partial[2])
        return cls(out, entries, found)

    @staticmethod
    def listed(out: str) -> list[str]:
        """The outputs the record names, whichever build wrote it (for ownership.adopt)."""
        data = _read(out)
        entries = data.get("entries") if data is not None else None
        return [output for output in entries if isinstance(output, str)] if isinstance(entries, dict) else []

    def lookup(self, output: str, profile: str, environment: str | None) -> Entry | None:
        """The entry for `output`, if it still describes this run's inputs and the file on disk."""
        entry = _entry(self.entries.get(output))
        if entry is None or entry.profile != profile or entry.environment != environment:
            return None
        if any(self._digest(path) != expected for path, expected in entry.dependencies):
            return None
        if _file_digest(os.path.join(self.out, output)) != entry.output:
            return None
        return entry

    def valid_entries(self, exclude: set[str]) -> dict[str, Entry]:
        """The entries of the record this build can read, but those for `exclude`."""
        found = {output: _entry(entry) for output, entry in self.entries.items() if output not in exclude}
        return {output: entry for output, entry in found.items() if entry is not None}

    def partial(self, path: str) -> Partial | None:
        """The partial's entry, if its bytes are still the ones recorded."""
        entry = self.partials.get(path)
        return entry if entry is not None and self._digest(path) == entry.digest else None

    def _digest(self, path: str) -> str | None:
        if path not in self._digests:
            self._digests[path] = _file_digest(path)
        return self._digests[path]

    def save(self, keep: dict[str, Entry], partials: dict[str, Partial]) -> None:
        """Writes `keep` as the record (best effort: a record that cannot be written is no error)."""
        from ..problems import UserError
        from .outputs import replace_file

        folder = os.path.join(self.out, FOLDER)
        if os.path.lexists(folder) and (os.path.islink(folder) or not os.path.isdir(folder)):
            return  # never written through a link (it could lead anywhere), nor over a file
        data = {
            "format": FORMAT,
            "fingerprint": fingerprint(),
            "entries": dict(sorted(keep.items())),
            "partials": dict(sorted(partials.items())),
        }
        try:
            os.makedirs(folder, exist_ok=True)
            if not os.path.exists(os.path.join(folder, ".gitignore")):
                replace_file(os.path.join(folder, ".gitignore"), b"# syncsecrets' record of its last compile\n*\n")
            replace_file(os.path.join(folder, RECORD), json.dumps(data, separators=(",", ":")).encode())
        except (OSError, UserError):
            pass


def _read(out: str) -> dict | None:
    folder = os.path.join(out, FOLDER)
    if os.path.islink(folder):
        return None  # the record lives in a folder of its own, not wherever a link points
    try:
        with open(os.path.join(folder, RECORD), "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# The record is input like any other: an entry of the wrong shape is not an entry (the target
# is compiled), so the record can never make a run fail or differ from one without it.
def _entry(found: object) -> Entry | None:
    if isinstance(found, Entry):
        return found
    if not _is_list(found, len(Entry._fields)):
        return None
    profile, environment, dependencies, output, pairs, principal, warnings, environments = found
    if not (isinstance(profile, str) and _optional_string(environment) and isinstance(output, str)
            and isinstance(pairs, int) and not isinstance(pairs, bool) and pairs >= 0
            and _optional_string(principal) and _strings(environments) and isinstance(dependencies, list)
            and all(_is_list(pair, 2) and _strings(pair) for pair in dependencies)):  # fmt: skip
        return None
    if not any(path == profile for path, _ in dependencies) and not any(
        os.path.normpath(path) == os.path.normpath(profile) for path, _ in dependencies
    ):  # the exact spelling first: it is what build.py records, and normpath costs 10k runs dearly
        return None  # an entry must depend on its own profile, or an edit of it would go unseen
    problems = _problems(warnings)
    if problems is None:
        return None
    return Entry(profile, environment, [tuple(pair) for pair in dependencies], output, pairs, principal, problems,
                 environments)  # fmt: skip


def _problems(found: object) -> list[Problem] | None:
    """Recorded warnings, each a Problem's fields; None if any is not a warning of that shape."""
    if not isinstance(found, list):
        return None
    problems = []
    for item in found:
        if not (_is_list(item, len(Problem._fields)) and isinstance(item[0], str) and isinstance(item[1], str)
                and _optional_string(item[2]) and _optional_int(item[3]) and _optional_int(item[4])
                and item[5] is True):  # fmt: skip
            return None
        problems.append(Problem(*item))
    return problems


def _is_list(found: object, length: int) -> bool:
    return isinstance(found, list | tuple) and len(found) == length


def _strings(found: object) -> bool:
    return isinstance(found, list | tuple) and all(isinstance(item, str) for item in found)


def _optional_string(found: object) -> bool:
    return found is None or isinstance(found, str)


def _optional_int(found: object) -> bool:
    return found is None or (isinstance(found, int) and not isinstance(found, bool))


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None

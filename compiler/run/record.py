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
        try:
            with open(os.path.join(out, FOLDER, RECORD), "rb") as handle:
                data = json.loads(handle.read())
            if data.get("format") != FORMAT or data.get("fingerprint") != fingerprint():
                return cls(out, {})
            entries = data["entries"]
            partials = {
                path: Partial(found, [Problem(*problem) for problem in warnings], environments)
                for path, (found, warnings, environments) in data["partials"].items()
            }
        except (OSError, ValueError, KeyError, TypeError):
            return cls(out, {})  # no record, or one this build cannot read: compile normally
        return cls(out, entries, partials)

    def lookup(self, output: str, profile: str, environment: str | None) -> Entry | None:
        """The entry for `output`, if it still describes this run's inputs and the file on disk."""
        found = self.entries.get(output)
        try:
            entry = Entry(*found) if found is not None else None
            if entry is None or entry.profile != profile or entry.environment != environment:
                return None
            if any(self._digest(path) != expected for path, expected in entry.dependencies):
                return None
        except (TypeError, ValueError):
            return None  # an entry this build cannot read: compile it
        if _file_digest(os.path.join(self.out, output)) != entry.output:
            return None
        return entry._replace(warnings=[Problem(*problem) for problem in entry.warnings])

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


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None

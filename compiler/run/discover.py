"""Finding the profiles to compile under the PATH arguments, and where each one's output goes.

A folder is walked recursively (hidden entries skipped, links followed, link loops reported
rather than followed). Links are resolved before anything is read through them, so that a pull
request cannot have other folders of the machine read as profiles: a link out of the folder
walked is not followed (a warning; `--allow-outside DIR` allows one), and a `*.toml` link out of
the repository is an error. Either message is the same whatever the link points at, existing or
not. `_*.toml` files are partials: read for their errors, never compiled alone.
"""

from __future__ import annotations

import errno
import os
from typing import NamedTuple

from ..problems import Problem
from ..profile.confine import OUTSIDE, Boundary, within
from .result import DEFAULT_PATHS


class Source(NamedTuple):
    path: str  # the profile, as the user's PATH spelled it
    output: str  # where it compiles to, relative to --out, with `/` separators
    root: str | None  # the folder PATH it was found in; None for a profile given as a file

    @property
    def from_folder(self) -> bool:
        return self.root is not None

    @property
    def top_folder(self) -> str | None:
        """The first folder of the output path, which may clash with an environment's folder."""
        head, sep, _ = self.output.partition("/")
        return head if sep and self.from_folder else None


class Discovery:
    def __init__(self) -> None:
        self.profiles: list[Source] = []
        self.partials: list[str] = []
        self.problems: list[Problem] = []

    @property
    def any_folder(self) -> bool:
        return any(source.from_folder for source in self.profiles)


_MISSING = "no such file or folder: give a profile or a folder of profiles"
# The default PATH is looked for from the working directory upwards (root.py): a new user's
# first run, or a run from outside the repository.
_NOWHERE = ("no configs/ folder here or in any folder above (up to the top of the git work tree): run "
            "syncsecrets in the repository that holds configs/ (or any folder inside it), give a PATH, or start "
            "one with `syncsecrets init NAME --template KIND` (or `syncsecrets import FILE`)")  # fmt: skip


def discover(paths: list[str], boundary: Boundary | None = None) -> Discovery:
    """The profiles and partials under `paths`; links may lead within `boundary` (None: anywhere).
    A run with nothing to read is a problem: every command reads profiles."""
    found = Discovery()
    for path in paths:
        if os.path.isdir(path):
            if path.endswith(".toml"):
                found.problems.append(Problem(path, "is a folder, not a profile: rename it"))
                continue
            if boundary is not None and not boundary.admits(path):  # PATH itself links out of the repository
                found.problems.append(Problem(path, OUTSIDE))
                continue
            _walk(path, path, "", {_identity(path)}, found, _Links(path, boundary))
        elif os.path.isfile(path):
            _add_file(path, os.path.basename(path), None, found, explicit=True)
        elif os.path.islink(path):
            found.problems.append(Problem(path, "is a broken or looping symbolic link: fix or remove it"))
        else:
            found.problems.append(Problem(path, _NOWHERE if path in DEFAULT_PATHS else _MISSING))
    _check_unique_outputs(found)
    if not found.profiles and not found.problems:
        found.problems.append(
            Problem(", ".join(paths), "holds no profiles (*.toml): create one with `syncsecrets init`")
        )
    return found


class _Links:
    """Which links of one walked folder may be followed."""

    def __init__(self, root: str, boundary: Boundary | None):
        self.root = root
        self.boundary = boundary
        self.tree = (os.path.realpath(root), *(boundary.allowed if boundary else ()))

    def refused(self, path: str, name: str) -> Problem | None:
        """Why the link at `path` is not followed; decided from where it leads, before any stat."""
        if self.boundary is None:
            return None
        real = os.path.realpath(path)
        if name.endswith(".toml"):
            return None if self.boundary.admits(real) else Problem(path, OUTSIDE)
        if any(within(real, top) for top in self.tree):
            return None
        return Problem(
            path,
            f"is a link out of {self.root}: nothing is read through it; remove it, or allow "
            "where it leads with --allow-outside DIR",
            warning=True,
        )


def _walk(root: str, folder: str, relative: str, ancestors: set, found: Discovery, links: _Links) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        found.problems.append(Problem(folder, f"cannot be listed ({error.strerror})"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .git, editor swap files, our own temporary files
        path, rel = entry.path, f"{relative}{entry.name}"
        refused = links.refused(path, entry.name) if entry.is_symlink() else None
        if refused is not None:
            found.problems.append(refused)
            continue
        try:
            # The type the folder listing gave, without a stat per entry; links are followed.
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
            if entry.is_symlink() and not (is_dir or is_file):
                os.stat(path)  # raises for a broken or looping link, which deserves a message
        except OSError as error:
            if error.errno == errno.ELOOP:
                found.problems.append(Problem(path, "is a symbolic link that loops: fix or remove the link"))
            elif entry.name.endswith(".toml"):
                found.problems.append(Problem(path, "is a broken symbolic link: fix or remove it"))
            continue
        if is_dir:
            identity = _identity(path)
            if entry.name.endswith(".toml"):
                found.problems.append(Problem(path, "is a folder named like a profile: rename it (drop .toml)"))
            elif identity in ancestors:
                found.problems.append(
                    Problem(path, "links back to a folder that contains it (a loop): remove the link")
                )
            else:
                _walk(root, path, rel + "/", ancestors | {identity}, found, links)
        elif is_file and entry.name.endswith(".toml"):
            _add_file(path, rel, root, found)


def _add_file(path: str, relative: str, root: str | None, found: Discovery, explicit: bool = False) -> None:
    name = os.path.basename(path)
    if not name.endswith(".toml"):
        found.problems.append(Problem(path, "is not a .toml profile"))
    elif name.startswith("_"):
        if explicit:
            found.problems.append(
                Problem(
                    path, "is a partial (its name starts with _): compile the profiles that extend it, or its folder"
                )
            )
        else:
            found.partials.append(path)
    else:
        found.profiles.append(Source(path, relative[: -len(".toml")] + ".json", root))


def _check_unique_outputs(found: Discovery) -> None:
    owners: dict[str, str] = {}
    for source in found.profiles:
        other = owners.setdefault(source.output, source.path)
        if other != source.path:
            found.problems.append(
                Problem(source.path, f"writes the same output as {other} ({source.output}): rename one of them")
            )


def _identity(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino

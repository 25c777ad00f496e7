"""Where the files a profile names may be: inside the repository, unless the command line says more.

A profile is hostile input (a pull request may change it), and `{ file = "..." }` and `extends`
read files: `/proc/self/environ` or `~/.azure/` would become a value sent to a URL the same
profile chooses. So the files a profile names, after resolving symbolic links, must lie in the
repository of a PATH compiled (the nearest folder above it that holds `.git`), or in the PATH
folder itself when it is not in git, or in a folder given with `--allow-outside DIR`.

The check is made before the file is opened or even looked at, and its message is the same
whether the file exists or not: a profile must not learn anything about a file outside.
"""

from __future__ import annotations

import os
from typing import NamedTuple

OUTSIDE = (
    "leaves the repository (the git work tree, or the folder compiled outside git): "
    "keep it inside, or allow its folder with --allow-outside DIR"
)


class Boundary(NamedTuple):
    roots: tuple[str, ...]  # real paths: the repository of each PATH (or the PATH, outside git)
    allowed: tuple[str, ...] = ()  # real paths given with --allow-outside

    def admits(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(within(real, folder) for folder in (*self.roots, *self.allowed))


def boundary(paths: tuple[str, ...], allowed: tuple[str, ...] = ()) -> Boundary:
    """The folders the profiles under `paths` may name files in."""
    folders = []
    for path in paths:
        # The repository is the one holding the PATH itself, not where a link named PATH leads
        # (`configs -> /` would otherwise make the whole machine the repository).
        absolute = os.path.abspath(path)
        linked_or_file = os.path.islink(absolute) or not os.path.isdir(absolute)
        holder = os.path.realpath(os.path.dirname(absolute) if linked_or_file else absolute)
        found = repository(holder)
        if found is None:  # not in git: the folder compiled, or the folder of the profile given
            found = os.path.realpath(path) if os.path.isdir(path) else holder
        folders.append(found)
    return Boundary(tuple(dict.fromkeys(folders)), tuple(os.path.realpath(folder) for folder in allowed))


def repository(folder: str) -> str | None:
    """The top of the git work tree holding `folder` (a real path), found as git finds it: the
    nearest folder upwards with a `.git` entry (a folder, or a file in a worktree or submodule)."""
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def within(path: str, folder: str) -> bool:
    """Whether the real path `path` is `folder` or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)

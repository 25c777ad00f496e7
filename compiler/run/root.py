"""Where a command runs: the repository's root, so that it works from any folder inside it.

The root is the nearest folder, from the working directory upwards, that holds `configs/`,
not going above the top of the git work tree (as git and pre-commit find theirs); outside git,
up to the top of the file system. Without one, the working directory is the root.

A command that reads profiles runs in the root: the defaults (`configs`, `build`) are the
root's, and a relative path the user typed (a PATH, `--out`, a plan file) is rewritten to name
the same file from there. So `compile .` from `configs/` and `compile` from the root are the
same run: same outputs in the same place, same manifest, same report (files named from the root).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..profile.confine import repository
from .result import DEFAULT_PATHS


def find_root(start: str) -> str | None:
    """The nearest folder from `start` (a real path) upwards holding `configs/`, within its git
    work tree; None if there is none."""
    top = repository(start)
    folder = start
    while True:
        if os.path.isdir(os.path.join(folder, DEFAULT_PATHS[0])):
            return folder
        parent = os.path.dirname(folder)
        if folder == top or parent == folder:
            return None
        folder = parent


class Place:
    """The working directory the user ran in, and the root the command runs in."""

    def __init__(self, here: str, root: str):
        self.here = here
        self.root = root

    def path(self, typed: str) -> str:
        """`typed` (relative to where the user ran) as seen from the root."""
        if os.path.isabs(typed) or self.root == self.here:
            return typed
        return os.path.relpath(os.path.join(self.here, typed), self.root)

    def paths(self, typed) -> tuple[str, ...]:
        return tuple(self.path(path) for path in typed or ())


_here: str | None = None  # where the user ran the command in the root, while it runs


def as_typed(path: str) -> str:
    """`path` (from the root) as the user would type it where they ran the command: for a
    command a message tells them to run."""
    if _here is None or os.path.isabs(path):
        return path
    return os.path.relpath(os.path.abspath(path), _here)


@contextmanager
def at_root() -> Iterator[Place]:
    """Runs the block in the root (the working directory, when none is found); puts the working
    directory back after it, so that a caller in the same process sees nothing change."""
    try:
        here = os.getcwd()
    except OSError:  # the working directory was removed: the run reports what it cannot find
        here = ""
    place = Place(here, (find_root(here) if here else None) or here)
    if place.root == here:
        yield place
        return
    global _here
    os.chdir(place.root)
    _here = here
    try:
        yield place
    finally:
        _here = None
        os.chdir(here)


def configs_folder() -> str:
    """The default folder of profiles for commands that write one (`init`, `import`), from the
    working directory: the root's `configs`."""
    try:
        root = find_root(os.getcwd())
    except OSError:
        root = None
    return os.path.relpath(os.path.join(root, DEFAULT_PATHS[0])) if root else DEFAULT_PATHS[0]

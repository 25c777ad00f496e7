"""Profiles with their parents: `extends`, cycles, and the merge for one environment.

Layering rule (spec): within one file its `[environments.NAME]` overrides its own base; then
files merge in extends order (parents in list order, a later one over an earlier one), the
profile last. A file always overrides what it extends.

A `Loader` reads every file once per process and remembers what it found, problems included,
so a partial shared by a thousand profiles is parsed and reported once.
"""

from __future__ import annotations

import os
from functools import reduce

from ..problems import Problem, UserError
from .confine import OUTSIDE, Boundary
from .layers import FileProfile, Layer, read_file_profile
from .source import read_document


class Loader:
    def __init__(self, boundary: Boundary | None = None) -> None:
        self.boundary = boundary  # where files may be read (None: anywhere, for in-memory profiles)
        self.problems: list[Problem] = []
        self._files: dict[str, FileProfile | None] = {}
        self._failed: set[str] = set()  # files with errors: read for their problems, never compiled
        self._parents: set[str] = set()  # files some profile extends: kept until the end
        self._declared: set[str] = set()
        self._merged: dict[tuple[str, str | None], Layer | None] = {}

    def file(self, path: str, name: str) -> FileProfile | None:
        """The file read into layers, or None if it could not be read (problems recorded)."""
        key = os.path.normpath(path)
        if key not in self._files:
            try:
                if not self.admits(path):  # a profile linked in from outside: not even opened
                    raise UserError.single(name, OUTSIDE)
                profile, problems = read_file_profile(read_document(path, name), self.boundary)
            except UserError as error:
                profile, problems = None, error.problems
            self._files[key] = profile
            self.problems.extend(problems)
            if profile is not None:
                self._declared.update(profile.environments)
            if profile is None or any(not problem.warning for problem in problems):
                self._failed.add(key)
        return self._files[key]

    def merged(self, path: str, name: str, environment: str | None) -> Layer | None:
        """The profile at `path` merged with its parents for `environment` (None: the base)."""
        return self._merge(path, name, environment, ())

    def _merge(self, path: str, name: str, environment: str | None, stack: tuple[str, ...]) -> Layer | None:
        key = (os.path.normpath(path), environment)
        if key in self._merged:
            return self._merged[key]
        profile = self.file(path, name)
        if profile is None:
            return None
        stack = (*stack, key[0])
        parents, broken = [], key[0] in self._failed
        for entry in profile.extends:  # every parent is followed, so each one's problems are reported
            parent_path, parent_name = entry.value
            if os.path.normpath(parent_path) in stack:
                self._cycle(stack, os.path.normpath(parent_path))
                broken = True
            elif not self.admits(parent_path):  # before it is looked at: whether it exists is not said
                self.problems.append(entry.problem(f"extends {parent_name}: {OUTSIDE}"))
                broken = True
            elif os.path.normpath(parent_path) not in self._files and not os.path.exists(parent_path):
                message = f"extends {parent_name}: no such file (paths are relative to this file)"
                self.problems.append(entry.problem(message))
                broken = True
            else:
                self._parents.add(os.path.normpath(parent_path))
                parent = self._merge(parent_path, parent_name, environment, stack)
                broken = broken or parent is None
                parents.append(parent)
        result = None if broken else reduce(Layer.under, [*parents, profile.layer(environment)])
        self._merged[key] = result
        return result

    def admits(self, path: str) -> bool:
        return self.boundary is None or self.boundary.admits(path)

    def _cycle(self, stack: tuple[str, ...], back_to: str) -> None:
        loop = list(stack[stack.index(back_to) :])
        start = loop.index(min(loop, key=self._name))  # the same message whichever file starts it
        loop = loop[start:] + loop[:start]
        names = " -> ".join(self._name(path) for path in [*loop, loop[0]])
        closing = self._files[loop[-1]]
        back = [e for e in closing.extends if os.path.normpath(e.value[0]) == loop[0]] if closing else []
        entry = back[0] if back else None
        message = f"extends cycle: {names}: remove one of these extends"
        self.problems.append(entry.problem(message) if entry else Problem(self._name(loop[-1]), message))

    def _name(self, path: str) -> str:
        profile = self._files.get(path)
        return profile.doc.name if profile else path

    def done(self, path: str) -> None:
        """Forgets a compiled profile's file (not a parent's): memory stays flat on big runs.
        It is read again if another profile turns out to extend it."""
        key = os.path.normpath(path)
        if key not in self._parents and self._files.get(key) is not None:
            del self._files[key]
            for cached in [cached for cached in self._merged if cached[0] == key]:
                del self._merged[cached]

    def declared_environments(self) -> set[str]:
        """Every environment named by any file read so far (profiles, partials and parents)."""
        return set(self._declared)

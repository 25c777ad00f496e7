"""`[mappings.OBJECT]` tables: read from a profile file, checked offline, merged through layers.

A file's tables (its base and each `[environments.NAME.mappings.OBJECT]`) are read into
located entries, object -> key -> `Located`, so that a mistake found now (an expression, an
operator, a flow type) or later against the template's schema (an object mapping the template
lacks) is reported at the file, line and column that wrote it. Layers merge object by object
and key by key: a team's shared partial states the mapping set, a profile or an environment
overrides single attributes of it.

The rules themselves live in `schema/overlay.py`; this module only places their issues.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from ..problems import Problem, dotted

if TYPE_CHECKING:
    from ..schema.overlay import Issue, OverlayError
    from .source import Document


class Entry(NamedTuple):
    """A value of a `[mappings.OBJECT]` table and where it was written."""

    value: object
    doc: Document
    keypath: tuple[str, ...]


Entries = dict[str, dict[str, Entry]]  # object mapping name -> key -> located value


def read(doc: Document, table: dict, keypath: tuple[str, ...]) -> tuple[Entries, list[Problem]]:
    """The located entries of one `[mappings]` table at `keypath`, and its offline problems."""
    from ..schema.overlay import check  # only for profiles that have mappings: compile's start-up

    entries: Entries = {}
    problems: list[Problem] = []
    for name, settings in table.items():
        path = (*keypath, name)
        if not isinstance(settings, dict):
            problems.append(
                doc.problem(path, f"must be a table [mappings.{name}] of enabled, scope and target attributes")
            )
            continue
        entries[name] = {key: Entry(value, doc, (*path, key)) for key, value in settings.items()}
    problems += [_place(doc, keypath, issue) for issue in check(overlay(entries))]
    return entries, problems


def merge(under: Entries, over: Entries) -> Entries:
    """`over` on top of `under`: object by object, key by key."""
    if not over:
        return under
    merged = dict(under)
    for name, settings in over.items():
        merged[name] = {**under.get(name, {}), **settings}
    return merged


def overlay(entries: Entries) -> dict:
    """The plain overlay of `schema/overlay.py` (values as the profile wrote them)."""
    return {name: {key: located.value for key, located in settings.items()} for name, settings in entries.items()}


def problems(entries: Entries, error: OverlayError) -> list[Problem]:
    """The issues of `overlay.apply` (found against a template's schema), each placed where the
    layer that won wrote the key."""
    placed = []
    for issue in error.issues:
        settings = entries.get(str(issue.path[0]), {})
        located = settings.get(str(issue.path[1])) if len(issue.path) > 1 else None
        if located is not None:
            placed.append(_place(located.doc, located.keypath[:-2], issue))
        elif settings:
            first = next(iter(settings.values()))
            placed.append(_place(first.doc, first.keypath[:-2], issue))
        else:
            placed.append(Problem("profile", str(issue)))
    return placed


def _place(doc: Document, prefix: tuple[str, ...], issue: Issue) -> Problem:
    """`file:line:col: mappings.User.scope[0][1]: message (column N of the expression)`."""
    names = _leading_names(issue.path)
    where = (*prefix, *names)
    rest = issue.path[len(names) :]
    key = dotted(where) + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)
    message = issue.message + (f" (column {issue.column} of the expression)" if issue.column else "")
    line, col = doc.position(where) or (None, None)
    return Problem(doc.name, message, key, line, col)


def _leading_names(path: Iterable[str | int]) -> tuple[str, ...]:
    names: list[str] = []
    for part in path:
        if not isinstance(part, str):
            break
        names.append(part)
    return tuple(names)

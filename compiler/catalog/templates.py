"""Kinds of application and the keys each needs, read from `templates.toml` (data, not code)."""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from typing import NamedTuple

from ..problems import InvalidValue
from .keys import BY_GRAPH, Key
from .suggest import did_you_mean

TEMPLATES_FILE = os.path.join(os.path.dirname(__file__), "templates.toml")


class Template(NamedTuple):
    name: str
    description: str
    required: tuple[Key, ...]
    values: dict[str, str]  # Graph key -> the only value it may have
    patterns: dict[str, re.Pattern]  # Graph key -> what its value normally looks like
    hints: dict[str, str]  # Graph key -> what to put there (for `init`)
    examples: dict[str, object]  # Graph key -> a value `init` writes as it is
    recommended: tuple[Key, ...]  # usual but not required (`init` writes them)
    keep: tuple[Key, ...] = ()  # set on the tenant by the provisioning service (`init` lists them in keep)


@cache
def templates() -> dict[str, Template]:
    with open(TEMPLATES_FILE, "rb") as handle:
        data = tomllib.load(handle)
    return {name: _template(name, entry) for name, entry in data.items()}


def find_template(name: object) -> Template:
    """The template called `name`; InvalidValue suggesting the closest name and listing them all."""
    known = templates()
    if isinstance(name, str) and name in known:
        return known[name]
    hint = did_you_mean(name, known, "{!r}") if isinstance(name, str) else ""
    raise InvalidValue(f"unknown template{hint}; the kinds are " + ", ".join(known))


def _template(name: str, entry: dict) -> Template:
    def keys(names) -> list[str]:
        unknown = [key for key in names if key not in BY_GRAPH]
        if unknown:  # a broken data file is our bug, not the user's: fail loudly
            raise RuntimeError(f"templates.toml: [{name}] names unknown keys {unknown}")
        return list(names)

    values = entry.get("values", {})
    patterns = entry.get("patterns", {})
    hints = entry.get("hints", {})
    examples = entry.get("examples", {})
    keys([*values, *patterns, *hints, *examples])
    return Template(
        name=name,
        description=entry["description"],
        required=tuple(BY_GRAPH[key] for key in keys(entry["required"])),
        values=values,
        patterns={key: re.compile(pattern) for key, pattern in patterns.items()},
        hints=hints,
        examples=examples,
        recommended=tuple(BY_GRAPH[key] for key in keys(entry.get("recommended", []))),
        keep=tuple(BY_GRAPH[key] for key in keys(entry.get("keep", []))),
    )


def check(template: Template, pairs: dict[str, str], masked: set[str]) -> tuple[list[str], list[str]]:
    """Errors and warnings for compiled `pairs` (Graph key -> wire value) against `template`.

    Values in `masked` came from references: their content is not checked (it may be a
    placeholder, and checking it would put a revealed value into a message).
    """
    errors, warnings = [], []
    missing = [key.friendly for key in template.required if key.graph not in pairs]
    if missing:
        them = "it" if len(missing) == 1 else "them"
        errors.append(f"template {template.name!r} needs {', '.join(missing)}: add {them}, or change the template")
    for graph, wanted in template.values.items():
        if graph in pairs and graph not in masked and pairs[graph] != wanted:
            errors.append(f"template {template.name!r} needs {BY_GRAPH[graph].friendly} = {wanted!r}")
    for graph, pattern in template.patterns.items():
        if graph in pairs and graph not in masked and not pattern.match(pairs[graph]):
            hint = template.hints.get(graph, pattern.pattern)
            warnings.append(f"template {template.name!r}: {BY_GRAPH[graph].friendly} usually looks like {hint}")
    return errors, warnings

"""`syncsecrets references`: every environment variable, file and Key Vault secret the profiles
need, per environment, with the profiles and keys that use them: what a user maps to CI secrets.

Names only. A variable's value, a file's content and a vault are never read (not even to
measure them): the only facts taken from the machine are whether a variable is defined and
whether a file exists, so a pipeline can see what it forgot to provide. File references that
leave the repository are refused when the profile is read, before any such question is asked.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

from .. import exits
from ..problems import UserError, unique_sorted
from ..profile.confine import boundary
from ..profile.loading import Loader
from ..profile.references import Reference, reference_table
from ..reports.terminal import PLAIN, writer_for_terminal
from ..run.build import environment_problems, read_partials
from ..run.discover import discover

VERSION = 1
KINDS = ("env", "file", "keyvault")
_KIND_WORDS = {"env": ("environment variable", "environment variables"), "file": ("file", "files"),
               "keyvault": ("Key Vault secret", "Key Vault secrets")}  # fmt: skip


class Use(NamedTuple):
    profile: str  # the profile compiled
    key: str  # the Graph key (or [raw] key) the reference is the value of
    file: str  # the file that writes the reference: the profile, or a file it extends
    line: int | None


def references(paths: tuple[str, ...], environments: tuple[str, ...], fmt: str, allowed: tuple[str, ...] = (),
               environ=os.environ) -> int:  # fmt: skip
    document = collect(paths, environments, allowed, environ)
    if fmt == "json":
        PLAIN.document(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        write_text(document)
    return exits.OK


def collect(paths: tuple[str, ...], asked: tuple[str, ...], allowed: tuple[str, ...], environ) -> dict:
    """The JSON document (schema/references.schema.json); UserError if a profile is wrong."""
    confined = boundary(paths, allowed)
    found = discover(list(paths), confined)
    problems = list(found.problems)
    loader = Loader(confined)
    for source in found.profiles:  # the base first: it reads every file, and so finds the environments
        loader.merged(source.path, source.path, None)
    partial_problems, partial_environments = read_partials(found.partials, confined)
    declared = loader.declared_environments() | partial_environments
    problems += loader.problems + partial_problems + environment_problems(asked, declared, found.profiles)
    errors = [problem for problem in unique_sorted(problems) if not problem.warning]
    if errors:
        raise UserError(errors)
    wanted = list(asked) if asked else [None, *sorted(declared)]
    return {
        "version": VERSION,
        "environments": [
            {"environment": name, "references": _references(loader, found.profiles, name, environ)} for name in wanted
        ],
    }


def _references(loader: Loader, profiles, environment: str | None, environ) -> list[dict]:
    uses: dict[tuple[str, str], list[Use]] = {}
    for source in profiles:
        layer = loader.merged(source.path, source.path, environment)
        for key, entry in sorted({**layer.pairs, **layer.raw}.items()):
            if isinstance(entry.value, Reference):
                line = (entry.doc.position(entry.keypath) or (None, None))[0]
                use = Use(source.path, key, entry.doc.name, line)
                uses.setdefault(_identity(entry.value), []).append(use)
    return [
        {"kind": kind, "name": name, "present": _present(kind, name, environ),
         "uses": [use._asdict() for use in found]}
        for (kind, name), found in sorted(uses.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1]))
    ]  # fmt: skip


def _identity(reference: Reference) -> tuple[str, str]:
    """(kind, name) as a user provides it: a variable's name, a file's path from the working
    directory, a secret's URL."""
    if reference.scheme == "file":
        return "file", os.path.normpath(os.path.join(reference.base_dir, reference.name))
    if reference.scheme == "keyvault":
        return "keyvault", reference_table(reference.label)["keyvault"]
    return reference.scheme, reference.name


def _present(kind: str, name: str, environ) -> bool | None:
    """Whether the variable is defined or the file exists (None for a vault, never asked)."""
    if kind == "env":
        return name in environ
    if kind == "file":
        return os.path.isfile(name)
    return None


def write_text(document: dict) -> None:
    writer = writer_for_terminal()
    counts = {kind: set() for kind in KINDS}
    for group in document["environments"]:
        name = group["environment"]
        title = f"environment {name} (--env {name})" if name else "base (without --env)"
        writer.out(f"{title}: {_count(len(group['references']), 'reference', 'references')}", "header")
        for reference in group["references"]:
            counts[reference["kind"]].add(reference["name"])
            state = {True: " (set)" if reference["kind"] == "env" else " (exists)",
                     False: " (not set)" if reference["kind"] == "env" else " (missing)"}.get(reference["present"], "")  # fmt: skip
            writer.out(f"  {reference['kind']} {reference['name']}{state}")
            for use in reference["uses"]:
                where = f"{use['file']}:{use['line']}" if use["line"] else use["file"]
                written = "" if use["file"] == use["profile"] else f" (written in {where})"
                writer.out(f"    {use['profile']}: {use['key']}{written}", "muted")
    parts = [_count(len(names), *_KIND_WORDS[kind]) for kind, names in counts.items()]
    writer.out(f"{', '.join(parts)} in {_count(len(document['environments']), 'environment', 'environments')}",
               "summary")  # fmt: skip


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"

"""`syncsecrets import FILE|-`: a friendly profile from a secrets body that already exists."""

from __future__ import annotations

import os
import sys

from .. import exits
from ..authoring.importing import build_profile, read_pairs, service_principal
from ..problems import UserError
from ..profile.source import MAX_FILE_BYTES, read_bytes
from ..reports.terminal import PLAIN
from ..run.outputs import replace_file
from .init import check_profile_name


def import_profile(source: str, name: str | None, configs: str, force: bool) -> int:
    if source == "-":
        if not name:
            raise UserError.single("-", "give the profile a name with --name when reading standard input")
        shown, data = "<stdin>", sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        shown, data = source, read_bytes(source, source, "secrets body")
    name = name or os.path.splitext(os.path.basename(source))[0]
    check_profile_name(name)
    imported = build_profile(read_pairs(data, shown), name, shown, service_principal(data))
    return write_imported(imported, name, configs, force, shown)


def write_imported(imported, name: str, configs: str, force: bool, shown: str) -> int:
    """Writes an imported profile and says which variables its secrets need."""
    path = os.path.join(configs, f"{name}.toml")
    replace_file(
        path,
        imported.text.encode("utf-8"),
        exclusive=not force,
        exists="exists already: pass --force to replace it, or choose another --name",
    )
    for warning in imported.warnings:
        PLAIN.err(f"warning: {shown}: {warning}")
    count = len(imported.pairs)
    PLAIN.out(f"Wrote {path} ({count} {'pair' if count == 1 else 'pairs'}).")
    if imported.variables:
        PLAIN.out(
            "Secrets were not imported. Set these environment variables before `syncsecrets plan`, `apply` or "
            "`compile --reveal`:"
        )
        for variable, key in imported.variables:
            PLAIN.out(f"  {variable}  ({key})")
    return exits.OK

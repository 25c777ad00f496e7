"""`syncsecrets schema`: the JSON Schema of a profile, for editors."""

from __future__ import annotations

import json

from .. import exits
from ..authoring.schema import profile_schema
from ..reports.terminal import PLAIN
from ..run.outputs import replace_file


def schema_text() -> str:
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(output: str | None) -> int:
    text = schema_text()
    if output is None:
        PLAIN.out(text.rstrip("\n"))
    else:
        replace_file(output, text.encode("utf-8"))
        PLAIN.out(f"Wrote the profile schema to {output}")
    return exits.OK

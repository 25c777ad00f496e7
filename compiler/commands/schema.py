"""`syncsecrets schema`: the JSON Schema of a profile, for editors."""

from __future__ import annotations

import json

from ..guard import out
from ..outputs import replace_file
from ..profile_schema import profile_schema


def schema_text() -> str:
    return json.dumps(profile_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(output: str | None) -> int:
    text = schema_text()
    if output is None:
        for line in text.rstrip("\n").split("\n"):
            out(line)
    else:
        replace_file(output, text.encode("utf-8"))
        out(f"Wrote the profile schema to {output}")
    return 0

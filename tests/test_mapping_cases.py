"""Overlay and comparison cases as data (tests/mapping_cases/NAME/):

- `overlay.json`: the profile's `[mappings.*]` as plain data;
- `template.json` (optional): the template's default schema; else the published Salesforce schema;
- `current-overlay.json` (optional): the job's schema is the template with this applied (else the
  template itself): how drift and earlier changes are written;
- `expected.json`: the actions, as the json report spells them; or `error.txt`: the message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler.schema.compare import compare
from compiler.schema.overlay import OverlayError, apply

HERE = Path(__file__).parent
CASES = sorted(path for path in (HERE / "mapping_cases").iterdir() if path.is_dir())
DEFAULT_TEMPLATE = HERE / "schema_data" / "salesforce-schema.json"


def read(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def outcome(case: Path) -> tuple[str, object]:
    template = read(case / "template.json") if (case / "template.json").exists() else read(DEFAULT_TEMPLATE)
    current = template
    if (case / "current-overlay.json").exists():
        current, _ = apply(template, read(case / "current-overlay.json"))
    try:
        desired, named = apply(template, read(case / "overlay.json"))
    except OverlayError as error:
        return "error.txt", str(error)
    return "expected.json", [action.report() for action in compare(desired, current, named)]


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_mapping_case(case: Path) -> None:
    name, got = outcome(case)
    if os.environ.get("SYNCSECRETS_REGOLD"):  # write what the code says, for review in git diff
        text = got + "\n" if isinstance(got, str) else json.dumps(got, indent=2) + "\n"
        (case / name).write_text(text, encoding="utf-8")
    expected = (case / name).read_text(encoding="utf-8")
    assert got == (expected.rstrip("\n") if name == "error.txt" else json.loads(expected))

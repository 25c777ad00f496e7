"""Overlay and comparison cases as data (tests/mapping_cases/NAME/):

- `overlay.json`: the profile's `[mappings.*]` as plain data;
- `template.json` (optional): the template's default schema; else the published Salesforce schema;
- `current-overlay.json` (optional): the job's schema is the template with this applied, or
  `current.json`: the job's schema itself (else the template): how drift and earlier changes
  are written;
- `expected.json`: the actions, as the json report spells them; or `error.txt`: the message;
- `expected-import.json` (optional): the overlay import writes for the job's schema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler.schema.compare import compare
from compiler.schema.overlay import OverlayError, apply, derive

HERE = Path(__file__).parent
CASES = sorted(path for path in (HERE / "mapping_cases").iterdir() if path.is_dir())
DEFAULT_TEMPLATE = HERE.parent / "compiler" / "sandbox" / "salesforce_schema.json"


def read(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def schemas(case: Path) -> tuple[dict, dict]:
    """The case's template and job schema."""
    template = read(case / "template.json") if (case / "template.json").exists() else read(DEFAULT_TEMPLATE)
    current = read(case / "current.json") if (case / "current.json").exists() else template
    if (case / "current-overlay.json").exists():
        current, _ = apply(template, read(case / "current-overlay.json"))
    return template, current


def outcome(case: Path) -> tuple[str, object]:
    template, current = schemas(case)
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


@pytest.mark.parametrize(
    "case", [case for case in CASES if (case / "expected-import.json").exists()], ids=lambda path: path.name
)
def test_import_case(case: Path) -> None:
    template, current = schemas(case)
    assert derive(template, current) == read(case / "expected-import.json")


def test_the_overlay_builds_the_schema_microsofts_cloud_sync_transformation_shows() -> None:
    """how-to-transformation.md edits ExtensionAttribute3 from Trim([extensionAttribute3]) to
    Trim([company]) by hand; the overlay gives the same schema, source tree included."""
    case = HERE / "mapping_cases" / "cloud-sync-transformation"
    template, current = schemas(case)
    desired, _ = apply(template, read(case / "overlay.json"))
    assert desired == current

"""The data-driven corpus of `syncsecrets references`: every folder of tests/references_cases/
is one real run of the command.

A case folder holds:
- `repo/` (or `repo = "OTHER"` in case.toml: OTHER's): copied into a new git repository;
- `case.toml`: `args` (the command), `cwd` (folder of the repository to run in, default its
  root), `env` (variables to set), `exit` (default 0);
- `expected.out` / `expected.err`: the exact standard output / error (json output is also
  validated against schema/references.schema.json).

No run may print a variable's value or a file's content: every `env` value and every line of
every file under `repo/` that is not a profile is a canary.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import REPO, run_cli

CASES = Path(__file__).parent / "references_cases"
SCHEMA = json.loads((REPO / "schema" / "references.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def case_names() -> list[str]:
    return sorted(path.name for path in CASES.iterdir() if path.is_dir())


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", case_names())
def test_references_case(name: str, tmp_path: Path) -> None:
    case = CASES / name
    config = tomllib.loads((case / "case.toml").read_text())
    source = CASES / config.get("repo", name) / "repo"
    root = tmp_path / "repo"
    shutil.copytree(source, root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (tmp_path / "outside.txt").write_text("canary-outside-content-3b8\n")
    env = config.get("env", {})
    result = run_cli(config["args"], cwd=root / config.get("cwd", "."), env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (
        config.get("exit", 0),
        _read(case / "expected.out"),
        _read(case / "expected.err"),
    )
    if "json" in config["args"] and result.exit_code == 0:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(json.loads(result.stdout))]
        assert errors == []
    canaries = [*env.values(), "canary-outside-content-3b8"]
    canaries += [line for path in source.rglob("*") if path.is_file() and path.suffix != ".toml"
                 for line in path.read_text().splitlines() if line.strip()]  # fmt: skip
    for canary in canaries:
        assert canary not in result.stdout + result.stderr


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""

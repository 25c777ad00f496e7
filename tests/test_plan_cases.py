"""The data-driven corpus of `plan` (and `apply`): every folder of tests/plan_cases/ is one run
against the fake Graph.

A case folder holds:
- `profile.toml`: written as configs/app.toml; its service principal is SP below.
- `tenant.json`: the service principal's stored pairs before the run (`{"Key": "value"}`).
- `case.toml` (optional): `args` (the command, default ["plan"]), `env` (variables; APP_TOKEN
  is set to TOKEN unless given), `exit` (default 0).
- `expected.out` / `expected.err`: the exact standard output / error.
- `expected-tenant.json` (optional): the stored pairs after the run.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.helpers import run_cli

CASES = Path(__file__).parent / "plan_cases"
SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
TOKEN = "plan-case-token"


def case_names() -> list[str]:
    return sorted(path.name for path in CASES.iterdir() if path.is_dir())


@pytest.mark.parametrize("name", case_names())
def test_plan_case(name: str, tmp_path: Path, graph, graph_env) -> None:
    case = CASES / name
    config = tomllib.loads((case / "case.toml").read_text()) if (case / "case.toml").exists() else {}
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text((case / "profile.toml").read_text())
    graph.add_principal(SP, json.loads((case / "tenant.json").read_text()))
    env = {**graph_env(), "APP_TOKEN": TOKEN, **config.get("env", {})}
    result = run_cli(config.get("args", ["plan"]), cwd=tmp_path, env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (
        config.get("exit", 0),
        _read(case / "expected.out"),
        _read(case / "expected.err"),
    )
    if (case / "expected-tenant.json").exists():
        assert graph.pairs(SP) == json.loads((case / "expected-tenant.json").read_text())
    assert TOKEN not in result.stdout + result.stderr


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""

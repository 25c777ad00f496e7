"""schema/report.schema.json describes the `--format json` reports as the commands print them:
real runs of every command that writes one, in every outcome that shapes the document
(changes with fields, stale outputs, errors; plan, apply, validate, status), validate against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import REPO, run_cli, write_manifest

SCHEMA = json.loads((REPO / "schema" / "report.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
PROFILE = f"""base_address = "https://scim.contoso.example/v2"
secret_token = {{ env = "APP_TOKEN" }}
sync_all = true

[notifications]
recipients = "ops@contoso.example"
delete_threshold = 50

[application]
service_principal_id = "{SP}"
"""


def valid(text: str) -> dict:
    report = json.loads(text)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(report)]
    assert errors == []
    return report


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text(PROFILE)
    (tmp_path / "configs" / "other.toml").write_text('user_name = "svc"\n[environments.prod]\nuser_name = "p"\n')
    return tmp_path


def test_compile_reports(repo: Path) -> None:
    first = valid(run_cli(["compile", "--format", "json"], cwd=repo).stdout)
    assert {output["status"] for output in first["outputs"]} == {"new"}
    (repo / "configs" / "app.toml").write_text(PROFILE.replace("50", "60").replace("sync_all = true\n", ""))
    (repo / "build" / "gone.json").write_text('{"value": []}\n')
    write_manifest(repo / "build", ["app.json", "other.json", "gone.json"])
    check = valid(run_cli(["compile", "--check", "--format", "json"], cwd=repo).stdout)
    assert check["exit_code"] == 1
    assert {output["status"] for output in check["outputs"]} == {"changed", "unchanged", "stale"}
    changed = next(output for output in check["outputs"] if output["status"] == "changed")
    assert any("fields" in change for change in changed["changes"]) and changed["warnings"]
    assert valid(run_cli(["compile", "--env", "prod", "--format", "json"], cwd=repo).stdout)["environments"] == ["prod"]
    (repo / "configs" / "bad.toml").write_text("sync_al = true\n")
    failed = valid(run_cli(["compile", "--format", "json"], cwd=repo).stdout)
    assert failed["exit_code"] == 2 and failed["errors"]
    run_error = valid(run_cli(["compile", "--env", "nope", "--format", "json"], cwd=repo).stdout)
    assert run_error["errors"][0]["line"] is None


@pytest.fixture
def remote(repo: Path, graph, graph_env) -> dict[str, str]:
    (repo / "configs" / "other.toml").unlink()
    graph.add_principal(SP, {"BaseAddress": "https://old.contoso.example/v2", "SecretToken": "*", "UserName": "x"})
    return {**graph_env(), "APP_TOKEN": "canary-token-7f3a"}


def test_remote_reports(repo: Path, graph, remote: dict[str, str]) -> None:
    plan = valid(run_cli(["plan", "--format", "json"], cwd=repo, env=remote).stdout)
    assert plan["targets"][0]["status"] == "changes"
    assert {action["action"] for action in plan["targets"][0]["actions"]} >= {"add", "change", "masked", "clear"}
    applied = valid(run_cli(["apply", "--auto-approve", "--format", "json"], cwd=repo, env=remote).stdout)
    assert applied["targets"][0]["status"] == "applied"
    graph.add_job(SP, "scim.0123", "scim", "Quarantine", quarantine={"reason": "EncounteredQuarantineException"})
    validated = valid(run_cli(["validate", "--format", "json"], cwd=repo, env=remote).stdout)
    assert validated["targets"][0]["job_id"] == "scim.0123"
    status = valid(run_cli(["status", "--format", "json"], cwd=repo, env=remote).stdout)
    assert status["targets"][0]["jobs"][0]["state"] == "quarantined"


def test_remote_failures(repo: Path, remote: dict[str, str]) -> None:
    (repo / "configs" / "app.toml").write_text(PROFILE.replace(SP, "6b3f9d2e-8a71-4c55-b0e4-19d2c7a8f310"))
    failed = valid(run_cli(["plan", "--format", "json"], cwd=repo, env=remote).stdout)
    assert failed["exit_code"] == 4 and failed["targets"][0]["error"]
    (repo / "configs" / "bad.toml").write_text("sync_al = true\n")
    invalid = valid(run_cli(["plan", "--format", "json"], cwd=repo, env=remote).stdout)
    assert invalid["exit_code"] == 2 and invalid["targets"] == [] and invalid["errors"]

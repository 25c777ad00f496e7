"""Reports for programs (--format json), for GitHub Actions (--format github), and for people
(colour on a terminal only, --quiet, shell completion)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.reports.github import command
from tests.helpers import REPO, modules_loaded_by_compile, run_cli, run_process, write_manifest

PROFILE = """base_address = "https://scim.contoso.example/v2"
secret_token = { env = "APP_TOKEN" }
sync_all = true
[notifications]
recipients = "ops@contoso.example"
delete_threshold = 50
[application]
service_principal_id = "2F9F1C9E-1B7A-4C1E-9A55-0C9E2D1F7B10"
"""
PREVIOUS = {
    "value": [
        {"key": "SecretToken", "value": "<unrevealed env:OLD_TOKEN>"},
        {"key": "BaseAddress", "value": "https://scim.contoso.example/v1"},
        {"key": "Sandbox", "value": "True"},
        {"key": "SyncNotificationSettings", "value": '{"Enabled":true,"Recipients":"ops@contoso.example"}'},
    ]
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text(PROFILE)
    (tmp_path / "configs" / "same.toml").write_text('user_name = "same"\n')
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.json").write_text(json.dumps(PREVIOUS))
    (tmp_path / "build" / "gone.json").write_text(json.dumps({"value": []}))
    write_manifest(tmp_path / "build", ["app.json", "gone.json"])  # outputs of earlier runs
    run_cli(["compile", "configs/same.toml"], cwd=tmp_path)
    return tmp_path


def test_json_report(repo: Path) -> None:
    result = run_cli(["compile", "--check", "--format", "json"], cwd=repo)
    report = json.loads(result.stdout)
    assert result.exit_code == report["exit_code"] == 1
    assert result.stderr == ""
    assert report["summary"] == {"new": 0, "changed": 1, "unchanged": 1, "stale": 1, "errors": 0, "warnings": 1}
    by_path = {output["path"]: output for output in report["outputs"]}
    assert by_path["build/gone.json"] == {"path": "build/gone.json", "status": "stale"}
    assert by_path["build/same.json"]["status"] == "unchanged"
    assert by_path["build/app.json"]["service_principal_id"] == "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
    assert by_path["build/same.json"]["service_principal_id"] is None
    changes = {change["key"]: change for change in by_path["build/app.json"]["changes"]}
    assert changes["SecretToken"] == {
        "key": "SecretToken",
        "change": "changed",
        "old": "*** (env:OLD_TOKEN)",
        "new": "*** (env:APP_TOKEN)",
        "masked": True,
    }
    assert changes["Sandbox"]["change"] == "removed" and changes["Sandbox"]["old"] == "True"
    # Removed from the body, not cleared: Graph's PUT merges, so the warning says what clears it.
    assert by_path["build/app.json"]["warnings"] == [
        "Sandbox is removed from the body: a PUT that omits a key may leave it on the tenant; "
        "`syncsecrets apply` clears it"
    ]
    assert changes["SyncAll"] == {"key": "SyncAll", "change": "added", "old": None, "new": "True", "masked": False}
    fields = {field["key"]: field for field in changes["SyncNotificationSettings"]["fields"]}
    assert fields["DeleteThresholdValue"] == {
        "key": "DeleteThresholdValue",
        "change": "added",
        "old": None,
        "new": 50,
        "masked": False,
    }


def test_json_report_of_errors(repo: Path) -> None:
    (repo / "configs" / "bad.toml").write_text("sync_all = 'yes'\n\nbase_adress = 1\n")
    result = run_cli(["compile", "--format", "json"], cwd=repo)
    report = json.loads(result.stdout)
    assert result.exit_code == report["exit_code"] == 2
    assert report["outputs"] == [] and report["summary"]["new"] == report["summary"]["changed"] == 0
    assert report["errors"] == [
        {
            "file": "configs/bad.toml",
            "line": 1,
            "column": 1,
            "key": "sync_all",
            "message": "expected true or false (a TOML boolean, without quotes)",
        },
        {
            "file": "configs/bad.toml",
            "line": 3,
            "column": 1,
            "key": "base_adress",
            "message": "unknown key: did you mean base_address?; `syncsecrets keys` lists them all, and [raw] passes a "
            "key newer than syncsecrets",
        },
    ]


def test_json_report_of_a_run_problem(repo: Path) -> None:
    (repo / "notes.txt").write_text("x")
    result = run_cli(["compile", "--out", "notes.txt", "--format", "json"], cwd=repo)
    report = json.loads(result.stdout)
    assert result.exit_code == 2
    assert report["errors"][0]["message"] == "--out is a file: give a folder for the outputs"


def test_github_annotations(repo: Path) -> None:
    (repo / "configs" / "app.toml").write_text(PROFILE.replace("v2", "v2,x"))
    result = run_cli(["compile", "--check", "--format", "github"], cwd=repo)
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    notice = next(line for line in lines if line.startswith("::error file=configs/app.toml,"))
    assert notice.startswith(
        "::error file=configs/app.toml,title=build/app.json changed%3A not up to date%2C run syncsecrets compile --prune::"
    )
    assert "~ SecretToken: *** (env:OLD_TOKEN) -> *** (env:APP_TOKEN)%0A" in notice
    assert "%0A~ SyncNotificationSettings:%0A    + DeleteThresholdEnabled: true" in notice
    assert (
        "::error title=build/gone.json stale%3A not up to date%2C run syncsecrets compile --prune::"
        "no profile writes it; --prune removes it" in lines
    )
    written = run_cli(["compile", "--format", "github"], cwd=repo).stdout.splitlines()
    assert any(line.startswith("::notice file=configs/app.toml,title=build/app.json changed::") for line in written)
    assert lines[-1].startswith("Checked 2 profiles against build/")

    (repo / "configs" / "bad.toml").write_text("\nsync_all = 'yes, really'\n")
    failed = run_cli(["compile", "--format", "github"], cwd=repo)
    assert failed.exit_code == 2
    assert failed.stdout.splitlines()[0] == (
        "::error file=configs/bad.toml,line=2,col=1,title=syncsecrets::"
        "sync_all: expected true or false (a TOML boolean, without quotes)"
    )


def test_github_escaping() -> None:
    assert command("error", "a%b\nc", file="x,y:z.toml", line=3) == "::error file=x%2Cy%3Az.toml,line=3::a%25b%0Ac"


def test_warnings_show_in_every_format(repo: Path) -> None:
    pairs = [
        {"key": "SecretToken", "value": "<unrevealed env:APP_TOKEN>"},
        {"key": "BaseAddress", "value": "https://old-host.example/v2"},
    ]
    (repo / "build" / "app.json").write_text(json.dumps({"value": pairs}))
    texts = {
        "quiet": run_cli(["compile", "--check", "--quiet"], cwd=repo).stdout,
        "none": run_cli(["compile", "--check", "--diff", "none"], cwd=repo).stdout,
        "unified": run_cli(["compile", "--check", "--diff", "unified"], cwd=repo).stdout,
        "json": run_cli(["compile", "--check", "--format", "json"], cwd=repo).stdout,
        "github": run_cli(["compile", "--check", "--format", "github"], cwd=repo).stdout,
    }
    for name, text in texts.items():
        assert "host changes from old-host.example to scim.contoso.example" in text, name
    assert texts["quiet"].splitlines()[0].startswith("build/app.json: warning: BaseAddress host changes")


def test_quiet_prints_one_line_per_warning_and_the_summary(repo: Path) -> None:
    result = run_cli(["compile", "--check", "--quiet"], cwd=repo)
    assert result.stdout.splitlines() == [
        "build/app.json: warning: Sandbox is removed from the body: a PUT that omits a key may leave it on the "
        "tenant; `syncsecrets apply` clears it",
        "Checked 2 profiles against build/: 0 new, 1 changed, 1 unchanged, 1 stale (--prune removes); "
        "run `syncsecrets compile --prune` to update",
    ]


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({"FORCE_COLOR": "1"}, True), ({}, False), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
)
def test_colour_only_for_a_terminal(repo: Path, env: dict[str, str], coloured: bool) -> None:
    result = run_process(["compile", "--check"], cwd=repo, env=env)  # stdout is a pipe here
    assert ("\x1b[" in result.stdout) is coloured
    assert "~ build/app.json (changed)" in result.stdout


def test_a_coloured_compile_does_not_load_rich(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text('user_name = "app"\n')
    assert modules_loaded_by_compile(tmp_path, ("rich",), {"FORCE_COLOR": "1"}) == []


def test_keys_table_in_colour(repo: Path) -> None:
    result = run_process(["keys"], cwd=repo, env={"FORCE_COLOR": "1", "COLUMNS": "200"})
    assert "\x1b[" in result.stdout and "SyncAgentADContainer" in result.stdout


def test_shell_completion_through_typer(repo: Path) -> None:
    env = {
        **os.environ,
        "_SYNCSECRETS_COMPLETE": "complete_bash",
        "COMP_WORDS": "syncsecrets compile --fo",
        "COMP_CWORD": "2",
    }
    script = Path(sys.executable).parent / "syncsecrets"
    completed = subprocess.run([script], env=env, capture_output=True, text=True, cwd=repo)
    assert completed.stdout.split() == ["--format"]


def test_docs_key_reference_is_current() -> None:
    from compiler.commands.keys import markdown_table

    text = (REPO / "docs" / "keys.md").read_text()
    assert markdown_table() in text, "regenerate with: syncsecrets keys --markdown"

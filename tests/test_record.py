"""The record of the last compile (compiler/record.py): it may make a run faster, never different."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from compiler.run import build, record
from tests.helpers import run_cli, tree

PARTIAL = '[notifications]\nrecipients = "ops@contoso.example"\n[raw]\nFutureKey = "x"\n'
APP = 'extends = "_shared.toml"\nbase_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "T" }\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "_shared.toml").write_text(PARTIAL)
    (tmp_path / "configs" / "app.toml").write_text(APP)
    (tmp_path / "configs" / "other.toml").write_text('user_name = "u"\n[environments.prod]\nuser_name = "p"\n')
    (tmp_path / "configs" / "_unused.toml").write_text('[raw]\nUnusedKey = "x"\n[environments.staging]\n')
    assert run_cli(["compile"], cwd=tmp_path).exit_code == 0
    return tmp_path


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The profiles each run really compiled (the others were served from the record)."""
    seen: list[str] = []
    real = build._compile_all

    def counting(targets, *args):
        seen.extend(target.profile for target in targets)
        return real(targets, *args)

    monkeypatch.setattr(build, "_compile_all", counting)
    return seen


def test_an_unchanged_repository_is_served_from_the_record(repo: Path, compiled: list[str]) -> None:
    first = run_cli(["compile"], cwd=repo)
    assert compiled == []
    shutil.rmtree(repo / "build" / record.FOLDER)
    cold = run_cli(["compile"], cwd=repo)
    assert cold.exit_code == 0
    assert sorted(compiled) == ["configs/app.toml", "configs/other.toml"]
    assert (first.stdout, first.stderr) == (cold.stdout, cold.stderr)  # warnings replayed exactly
    assert "raw.FutureKey: warning" in first.stderr
    assert "configs/_unused.toml:2:1: raw.UnusedKey: warning" in first.stderr  # a partial no one extends


def test_partials_are_served_and_checked(repo: Path) -> None:
    assert run_cli(["compile", "--env", "staging"], cwd=repo).exit_code == 0  # declared by the partial only
    assert run_cli(["compile", "--env", "staging", "--check"], cwd=repo).exit_code == 0
    (repo / "configs" / "_unused.toml").write_text("sync_all = 'no'\n")
    broken = run_cli(["compile", "--check"], cwd=repo)
    assert broken.exit_code == 2 and "configs/_unused.toml:1:1: sync_all" in broken.stderr


@pytest.mark.parametrize(
    ("change", "recompiled"),
    [
        (lambda repo: (repo / "configs" / "app.toml").write_text(APP + "sync_all = true\n"), ["configs/app.toml"]),
        (
            lambda repo: (repo / "configs" / "_shared.toml").write_text(PARTIAL.replace("ops", "iam")),
            ["configs/app.toml"],
        ),
        (lambda repo: (repo / "build" / "other.json").write_text('{"value": []}\n'), ["configs/other.toml"]),
        (lambda repo: (repo / "build" / "app.json").unlink(), ["configs/app.toml"]),
    ],
    ids=["profile edited", "parent edited", "output edited by hand", "output deleted"],
)
def test_any_change_is_compiled(repo: Path, compiled: list[str], change, recompiled: list[str]) -> None:
    change(repo)
    result = run_cli(["compile", "--check"], cwd=repo)
    assert compiled == recompiled
    assert result.exit_code == 1


def test_a_record_of_another_build_or_a_broken_one_is_ignored(repo: Path, compiled: list[str]) -> None:
    record_file = repo / "build" / record.FOLDER / record.RECORD
    data = json.loads(record_file.read_text())
    record_file.write_text(json.dumps({**data, "fingerprint": "another build of syncsecrets"}))
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    assert len(compiled) == 2
    record_file.write_text("{not json")
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    assert len(compiled) == 4


def test_reveal_neither_reads_nor_writes_the_record(repo: Path, compiled: list[str]) -> None:
    record_file = repo / "build" / record.FOLDER / record.RECORD
    before = record_file.read_bytes()
    revealed = run_cli(["compile", "--reveal", "--allow-unignored-output"], cwd=repo, env={"T": "t0ken-value"})
    assert revealed.exit_code == 0
    assert sorted(compiled) == ["configs/app.toml", "configs/other.toml"]
    assert record_file.read_bytes() == before
    assert b"t0ken-value" not in record_file.read_bytes()
    # The revealed output differs from what the record describes: the next run compiles it again.
    again = run_cli(["compile"], cwd=repo)
    assert "~ build/app.json (changed)" in again.stdout


def test_environments_declared_by_served_profiles_count(repo: Path, compiled: list[str]) -> None:
    assert run_cli(["compile", "--env", "prod"], cwd=repo).exit_code == 0
    served = run_cli(["compile", "--env", "prod", "--check"], cwd=repo)
    assert served.exit_code == 0, served.stderr
    assert compiled == ["configs/app.toml", "configs/other.toml"]  # only the first --env prod run


def test_check_does_not_write_the_record(repo: Path) -> None:
    shutil.rmtree(repo / "build" / record.FOLDER)
    assert run_cli(["compile", "--check"], cwd=repo).exit_code == 0
    assert not (repo / "build" / record.FOLDER).exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_never_sees_the_record(repo: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    listed = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout
    assert "build/app.json" in listed and record.FOLDER not in listed


def test_the_record_holds_no_output_name_outside_its_folder(repo: Path) -> None:
    names = sorted(path.name for path in (repo / "build").iterdir())
    assert names == [record.FOLDER, "app.json", "other.json"]
    assert sorted(tree(repo / "build")) == ["app.json", "other.json"]

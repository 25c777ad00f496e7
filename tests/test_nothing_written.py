"""Every way a compile run ends in exit 2 leaves the disk as it was: "nothing was written" is true.

Each case starts from a repository whose build/ a previous run wrote (outputs and manifest),
changes one thing, runs, and compares a snapshot of the whole repository (bytes, modes, folders)
before and after.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from compiler.run import outputs
from tests.helpers import run_cli, snapshot

PROFILE = 'user_name = "app"\nsecret_token = { env = "APP_TOKEN" }\n[environments.prod]\nuser_name = "prod"\n'
ENV = {"APP_TOKEN": "t0ken-value"}
SHM = Path("/dev/shm")


class Tools(NamedTuple):
    monkeypatch: pytest.MonkeyPatch
    elsewhere: Path  # a folder on another file system, removed after the test


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "configs" / "team").mkdir(parents=True)
    (tmp_path / "configs" / "app.toml").write_text(PROFILE)
    (tmp_path / "configs" / "team" / "other.toml").write_text('user_name = "other"\n')
    assert run_cli(["compile"], cwd=tmp_path).exit_code == 0
    assert run_cli(["compile", "--env", "prod"], cwd=tmp_path).exit_code == 0
    # Every profile changes, so that a run that got far enough would have outputs to replace.
    (tmp_path / "configs" / "app.toml").write_text(PROFILE.replace('"app"', '"app-2"').replace('"prod"', '"prod-2"'))
    (tmp_path / "configs" / "team" / "other.toml").write_text('user_name = "other-2"\n')
    return tmp_path


def bad_profile(repo: Path, tools=None) -> list[str]:
    (repo / "configs" / "bad.toml").write_text("sync_al = true\n")
    return ["compile"]


def fresh_nested_out(repo: Path, tools: Tools) -> list[str]:
    bad_profile(repo)
    return ["compile", "--out", "new/deeper/out"]  # the folders a failed run made go too


def failed_staging_write(repo: Path, tools: Tools) -> list[str]:
    real, calls = outputs._write_new, []

    def fail_on_second(path: str, data: bytes, mode: int) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        real(path, data, mode)

    tools.monkeypatch.setattr(outputs, "_write_new", fail_on_second)
    return ["compile"]


def failed_rename(repo: Path, tools: Tools) -> list[str]:
    """The commit fails half-way (as a read-only sub-folder would): what it renamed is put back."""
    real, calls = os.replace, []

    def fail_on_second(source, target, **kwargs) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.EROFS, "Read-only file system", target)
        real(source, target, **kwargs)

    tools.monkeypatch.setattr(outputs.os, "replace", fail_on_second)
    return ["compile"]


def failed_prune(repo: Path, tools: Tools) -> list[str]:
    (repo / "configs" / "team" / "other.toml").unlink()
    real = os.unlink

    def refuse(path, *args, **kwargs) -> None:
        if str(path).endswith("team/other.json"):
            raise OSError(errno.EACCES, "Permission denied", path)
        real(path, *args, **kwargs)

    tools.monkeypatch.setattr(outputs.os, "unlink", refuse)
    return ["compile", "--prune"]


def cross_device_folder(repo: Path, tools: Tools) -> list[str]:
    """build/prod/ is a link (to another file system): refused before anything is renamed."""
    if not SHM.is_dir() or os.stat(SHM).st_dev == os.stat(repo).st_dev:
        pytest.skip("needs /dev/shm on a file system of its own")
    shutil.move(repo / "build" / "prod", tools.elsewhere)
    (repo / "build" / "prod").symlink_to(tools.elsewhere)
    return ["compile"]


def folder_named_like_an_environment(repo: Path, tools: Tools) -> list[str]:
    (repo / "configs" / "prod").mkdir()
    (repo / "configs" / "prod" / "x.toml").write_text('user_name = "x"\n')
    return ["compile"]


def folder_where_an_output_goes(repo: Path, tools: Tools) -> list[str]:
    (repo / "build" / "team" / "other.json").unlink()
    (repo / "build" / "team" / "other.json").mkdir()
    return ["compile"]


def git_would_commit(repo: Path, tools: Tools) -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return ["compile", "--reveal"]


CASES: dict[str, Callable] = {
    "--out is a file": lambda repo, tools: ["compile", "--out", "configs/app.toml"],
    "--out inside a file": lambda repo, tools: ["compile", "--out", "configs/app.toml/out"],
    "--out holds the profiles": lambda repo, tools: ["compile", "--out", "."],
    "--env climbs out": lambda repo, tools: ["compile", "--env", "../escaped"],
    "--env absolute, revealed": lambda repo, tools: ["compile", "--env", str(repo / "evil"), "--reveal"],
    "--env with a separator": lambda repo, tools: ["compile", "--env", "prod/../../x"],
    "--env undeclared": lambda repo, tools: ["compile", "--env", "staging"],
    "--env undeclared, revealed": lambda repo, tools: ["compile", "--env", "prod", "--env", "nope", "--reveal"],
    "no such PATH": lambda repo, tools: ["compile", "configs", "missing"],
    "empty folder": lambda repo, tools: (repo / "empty").mkdir() or ["compile", "empty"],
    "bad profile": bad_profile,
    "bad profile, new --out": fresh_nested_out,
    "missing variable": lambda repo, tools: ["compile", "--reveal", "--out", "secrets"],
    "folder named like an environment": folder_named_like_an_environment,
    "a folder where an output goes": folder_where_an_output_goes,
    "staging write fails": failed_staging_write,
    "rename fails half-way": failed_rename,
    "prune fails": failed_prune,
    "cross-device folder": cross_device_folder,
    "git would commit secrets": git_would_commit,
}


# What some of them say (the others are covered where their rule is tested).
MESSAGES = {
    "--out holds the profiles": ".: --out holds the profiles of configs",
    "--env climbs out": "--env '../escaped': environment names are letters, digits, - and _",
    "--env undeclared": "--env staging: no profile or partial declares [environments.staging]",
    "bad profile, new --out": "configs/bad.toml:1:1: sync_al: unknown key",
    "rename fails half-way": "build/team/other.json: cannot write (Read-only file system): check --out",
    "prune fails": "team/other.json: cannot write (Permission denied)",
    "cross-device folder": "build/prod: is a symbolic link inside --out, and outputs are never written through one",
}


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch):
    elsewhere = SHM / f"syncsecrets-test-{os.getpid()}"
    yield Tools(monkeypatch, elsewhere)
    shutil.rmtree(elsewhere, ignore_errors=True)


@pytest.mark.parametrize("case", CASES)
def test_nothing_is_written(repo: Path, tools: Tools, case: str) -> None:
    args = CASES[case](repo, tools)
    env = {} if case == "missing variable" else ENV
    before = snapshot(repo)
    elsewhere = snapshot(tools.elsewhere)
    failed = run_cli(args, cwd=repo, env=env)
    assert failed.exit_code == 2, (failed.stdout, failed.stderr)
    assert failed.stderr.endswith("nothing was written\n")
    assert MESSAGES.get(case, "") in failed.stderr
    assert snapshot(repo) == before
    assert snapshot(tools.elsewhere) == elsewhere
    assert not (repo.parent / "escaped").exists()
    assert outputs.STAGING_PREFIX not in failed.stderr  # problems name outputs, not where they were staged


def test_an_environment_name_is_checked_before_anything_else(repo: Path) -> None:
    failed = run_cli(["compile", "--env", "../escaped", "--env", "prod", "--env", "/tmp/evil"], cwd=repo)
    assert failed.stderr.splitlines() == [
        "--env '../escaped': environment names are letters, digits, - and _ (each becomes a folder name): "
        "give the NAME of an [environments.NAME] table",
        "--env '/tmp/evil': environment names are letters, digits, - and _ (each becomes a folder name): "
        "give the NAME of an [environments.NAME] table",
        "syncsecrets: 2 errors; nothing was written",
    ]


def test_an_output_that_cannot_be_put_back_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the roll-back itself fail, the report says exactly which output changed."""
    real, calls = os.replace, []

    def only_once(source, target, **kwargs) -> None:
        calls.append(target)
        if len(calls) > 1:
            raise OSError(errno.EIO, "Input/output error", target)
        real(source, target, **kwargs)

    monkeypatch.setattr(outputs.os, "replace", only_once)
    failed = run_cli(["compile"], cwd=repo, env=ENV)
    assert failed.exit_code == 2
    lines = failed.stderr.splitlines()
    assert lines[-1] == "syncsecrets: 2 errors; 1 output changed (above)"
    backup = f"build/.app.json.{os.getpid()}{outputs.TEMP_MARK}"
    assert (
        f"build/app.json: was changed and could not be put back: check it (its previous bytes are in {backup})" in lines
    )
    assert b'"app"' in (repo / backup).read_bytes()

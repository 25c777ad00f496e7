"""The command's behaviour, through real `python -m compiler` processes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import __version__
from tests.helpers import REPO, run_cli, run_process, tree

SCIM = 'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A config repository: configs/ with two profiles."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text(SCIM)
    (tmp_path / "configs" / "other.toml").write_text('user_name = "svc"\n')
    return tmp_path


def test_help_and_version() -> None:
    shown = run_process(["--help"], cwd=REPO)
    assert shown.returncode == 0 and "compile" in shown.stdout
    assert run_process(["--version"], cwd=REPO).stdout == f"syncsecrets {__version__}\n"
    script = Path(sys.executable).parent / "syncsecrets"
    assert (
        subprocess.run([script, "--version"], capture_output=True, text=True).stdout == f"syncsecrets {__version__}\n"
    )


def test_compile_help_says_its_auth_is_for_key_vault_under_reveal(tmp_path: Path) -> None:
    # compile signs in to nothing else: "How to get a token" left a user wondering for what.
    text = " ".join(run_cli(["compile", "--help"], cwd=tmp_path, env={"COLUMNS": "200"}).stdout.split())
    assert "--auth MODE With --reveal: how to sign in to Key Vault for keyvault references: default, cli," in text
    plan_text = " ".join(run_cli(["plan", "--help"], cwd=tmp_path, env={"COLUMNS": "200"}).stdout.split())
    assert "--auth MODE How to get a token: default, cli, env," in plan_text


def test_defaults_compile_configs_into_build(repo: Path) -> None:
    first = run_process(["compile"], cwd=repo)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "Compiled 2 profiles into build/: 2 new, 0 changed, 0 unchanged, 0 stale"
    assert sorted(tree(repo / "build")) == ["app.json", "other.json"]
    again = run_process(["compile"], cwd=repo)
    assert again.stdout == "Compiled 2 profiles into build/: 0 new, 0 changed, 2 unchanged, 0 stale\n"


def test_unchanged_outputs_are_not_rewritten(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    output = repo / "build" / "app.json"
    os.utime(output, ns=(1_000_000_000, 1_000_000_000))
    before = output.stat()
    run_process(["compile"], cwd=repo)
    after = output.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_changed_outputs_are_replaced_by_rename(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    before = (repo / "build" / "app.json").stat().st_ino
    (repo / "configs" / "app.toml").write_text(SCIM + "sync_all = true\n")
    run_process(["compile"], cwd=repo)
    assert (repo / "build" / "app.json").stat().st_ino != before  # a new file renamed over the old
    assert not [path for path in (repo / "build").iterdir() if "tmp" in path.name]


def test_check_reports_and_writes_nothing(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    assert run_process(["compile", "--check"], cwd=repo).returncode == 0
    (repo / "configs" / "app.toml").write_text(SCIM + "sync_all = true\n")
    (repo / "configs" / "new.toml").write_text('user_name = "new"\n')
    before = tree(repo / "build")
    checked = run_process(["compile", "--check"], cwd=repo)
    assert checked.returncode == 1
    assert '  + SyncAll: "True"' in checked.stdout and "+ build/new.json (new, 1 pair)" in checked.stdout
    assert tree(repo / "build") == before


def test_one_bad_profile_writes_nothing(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    (repo / "configs" / "app.toml").write_text(SCIM + "sync_all = true\n")
    (repo / "configs" / "bad.toml").write_text("sync_al = true\n")
    before = tree(repo / "build")
    failed = run_process(["compile"], cwd=repo)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("configs/bad.toml:1:1: sync_al: unknown key: did you mean sync_all?")
    assert "Traceback" not in failed.stderr
    assert tree(repo / "build") == before


def test_reveal_writes_private_files(repo: Path) -> None:
    (repo / ".gitignore").write_text("/build/\n")
    revealed = run_process(["compile", "--reveal"], cwd=repo, env={"APP_TOKEN": "s3cr3t-token-value"})
    assert revealed.returncode == 0, revealed.stderr
    output = repo / "build" / "app.json"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert "s3cr3t-token-value" in output.read_text()
    assert "s3cr3t-token-value" not in revealed.stdout + revealed.stderr
    # Compiling again without --reveal replaces it with a placeholder file of ordinary mode.
    run_process(["compile"], cwd=repo)
    assert "s3cr3t-token-value" not in output.read_text()
    assert stat.S_IMODE(output.stat().st_mode) & 0o044


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_reveal_refuses_a_folder_git_would_commit(repo: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    env = {"APP_TOKEN": "s3cr3t-token-value"}
    refused = run_process(["compile", "--reveal"], cwd=repo, env=env)
    assert refused.returncode == 2
    assert "add the line /build/ to" in refused.stderr and "--allow-unignored-output" in refused.stderr
    assert "outside the work tree" in refused.stderr
    assert not (repo / "build").exists()
    allowed = run_process(["compile", "--reveal", "--allow-unignored-output"], cwd=repo, env=env)
    assert allowed.returncode == 0
    (repo / ".gitignore").write_text("build/\n")
    assert run_process(["compile", "--reveal"], cwd=repo, env=env).returncode == 0
    # An output git already tracks is refused even when ignored: its secrets would be committed.
    subprocess.run(["git", "add", "-f", "build/app.json"], cwd=repo, check=True)
    tracked = run_process(["compile", "--reveal"], cwd=repo, env={"APP_TOKEN": "another-value"})
    assert tracked.returncode == 2
    assert "build/app.json is tracked by git" in tracked.stderr


def test_prune_removes_stale_outputs(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    (repo / "configs" / "other.toml").unlink()
    kept = run_process(["compile"], cwd=repo)
    assert "- build/other.json (stale: no profile writes it)" in kept.stdout
    assert (repo / "build" / "other.json").exists()
    assert run_process(["compile", "--check"], cwd=repo).returncode == 1  # stale counts as a change
    pruned = run_process(["compile", "--prune"], cwd=repo)
    assert pruned.stdout.endswith("1 stale (removed)\n")
    assert not (repo / "build" / "other.json").exists()


def test_a_profile_given_as_a_file_is_placed_by_name(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.toml").write_text('user_name = "x"\n')
    done = run_process(["compile", "elsewhere/x.toml", "--out", "dist"], cwd=tmp_path)
    assert done.returncode == 0
    assert list(tree(tmp_path / "dist")) == ["x.json"]


def test_two_profiles_for_one_output_are_refused(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.toml").write_text('user_name = "x"\n')
    failed = run_process(["compile", "a/x.toml", "b/x.toml"], cwd=tmp_path)
    assert failed.returncode == 2
    assert "b/x.toml: writes the same output as a/x.toml (x.json): rename one of them" in failed.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["compile"],
            "configs: no configs/ folder here or in any folder above (up to the top of the git work tree): run "
            "syncsecrets in the repository that holds configs/ (or any folder inside it), give a PATH, or start "
            "one with `syncsecrets init NAME --template KIND` (or `syncsecrets import FILE`)",
        ),
        (["compile", "missing.toml"], "missing.toml: no such file or folder: give a profile or a folder of profiles\n"),
        (["compile", "notes.txt"], "notes.txt: is not a .toml profile"),
        (["compile", "cfg", "--out", "notes.txt"], "notes.txt: --out is a file: give a folder for the outputs"),
        (["compile", "cfg", "--out", "notes.txt/sub"], "--out is inside notes.txt, which is a file"),
        (["compile", "empty"], "empty: holds no profiles (*.toml)"),
        (["compile", "cfg", "--diff", "colour"], "Invalid value for '--diff'"),
        (["compile", "--no-such-option"], "No such option"),
    ],
)
def test_usage_mistakes_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "notes.txt").write_text("notes\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.toml").write_text('user_name = "a"\n')
    failed = run_process(args, cwd=tmp_path)
    assert failed.returncode == 2
    assert message in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not (tmp_path / "build").exists()


def test_leftovers_of_a_killed_run_are_removed(repo: Path) -> None:
    run_process(["compile"], cwd=repo)
    leftover = repo / "build" / ".app.json.4242.syncsecrets-tmp"
    leftover.write_text("half a file")
    (repo / "configs" / "app.toml").write_text(SCIM + "sync_all = true\n")
    assert run_process(["compile"], cwd=repo).returncode == 0
    assert not leftover.exists()


def test_an_internal_error_is_exit_3_without_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compiler.commands import compile as compile_command

    def explode(options, environ=os.environ):
        raise RuntimeError("boom with secret s3cr3t-token-value")

    monkeypatch.setattr(compile_command, "run", explode)
    quiet = run_cli(["compile"], cwd=repo)
    assert quiet.exit_code == 3
    assert "internal error (RuntimeError at test_cli.py:" in quiet.stderr and "--debug" in quiet.stderr
    assert "Traceback" not in quiet.stderr and "s3cr3t" not in quiet.stderr
    from compiler.profile.references import remember_secret

    remember_secret("s3cr3t-token-value")
    debug = run_cli(["compile", "--debug"], cwd=repo)
    assert debug.exit_code == 3
    assert "Traceback" in debug.stderr and "boom with secret ***" in debug.stderr
    assert "s3cr3t-token-value" not in debug.stderr


def test_environments_compile_into_their_folders() -> None:
    done = run_cli(["compile", "configs", "--out", "out", "--env", "test", "--env", "prod", "--check"], cwd=REPO)
    assert done.exit_code == 1  # nothing is in ./out: everything would be new
    assert "+ out/test/servicenow.json (new, 5 pairs)" in done.stdout
    assert "+ out/prod/databricks.json" in done.stdout
    assert not (REPO / "out").exists()


def test_json_names_the_environment_folders_compiled(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text('user_name = "a"\n[environments.prod]\n[environments.test]\n')
    assert run_process(["compile", "--env", "prod"], cwd=tmp_path).returncode == 0
    checked = run_process(["compile", "--check", "--format", "json"], cwd=tmp_path)
    report = json.loads(checked.stdout)
    assert report["environments"] == ["prod"]  # test/ is declared but not in build/: not compiled
    assert sorted(output["path"] for output in report["outputs"]) == ["build/app.json", "build/prod/app.json"]

"""Running from any folder of the repository: the defaults are the root's (the nearest folder
upwards holding configs/, within the git work tree), a typed relative path is the user's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.run.root import find_root
from tests.helpers import run_cli, run_process, tree

SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
PROFILE = f'user_name = "svc"\nsecret_token = {{ env = "APP_TOKEN" }}\n\n[application]\nservice_principal_id = "{SP}"\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository: configs/app.toml, configs/team/other.toml, and a docs/deep/ folder."""
    root = tmp_path / "repo"
    (root / "configs" / "team").mkdir(parents=True)
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "configs" / "app.toml").write_text(PROFILE)
    (root / "configs" / "team" / "other.toml").write_text('user_name = "other"\n')
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.parametrize(
    ("where", "args"),
    [
        (".", ["compile"]),
        ("configs", ["compile"]),
        ("configs", ["compile", "."]),
        ("configs/team", ["compile", ".."]),
        ("docs/deep", ["compile"]),
        ("docs/deep", ["compile", "../../configs"]),
    ],
)
def test_compile_from_any_folder_is_the_run_from_the_root(repo: Path, where: str, args: list[str]) -> None:
    reference = repo.parent / "reference"
    done = run_process(["compile", "--out", str(reference)], cwd=repo)
    assert done.returncode == 0, done.stderr
    done = run_process(args, cwd=repo / where)
    assert done.returncode == 0, done.stderr
    # Same bytes in the same place (the record and the manifest included), the same report.
    assert sorted(path.name for path in repo.iterdir()) == [".git", "build", "configs", "docs"]
    assert every_file(repo / "build") == every_file(reference)
    assert "+ build/app.json (new, 2 pairs)" in done.stdout
    assert not (repo / "configs" / "build").exists()


def test_a_path_inside_configs_keeps_its_layout_under_the_roots_build(repo: Path) -> None:
    from_root = run_process(["compile", "configs/team", "--out", str(repo.parent / "reference")], cwd=repo)
    assert from_root.returncode == 0, from_root.stderr
    done = run_process(["compile", "team"], cwd=repo / "configs")
    assert done.returncode == 0, done.stderr
    assert tree(repo / "build") == tree(repo.parent / "reference")
    assert "other.json" in tree(repo / "build")


def test_typed_out_and_files_are_the_users(repo: Path) -> None:
    done = run_process(["compile", "app.toml", "--out", "here"], cwd=repo / "configs")
    assert done.returncode == 0, done.stderr
    assert list(tree(repo / "configs" / "here")) == ["app.json"]
    assert not (repo / "build").exists()


def test_check_from_a_subfolder_sees_the_roots_build(repo: Path) -> None:
    assert run_process(["compile"], cwd=repo).returncode == 0
    assert run_process(["compile", "--check"], cwd=repo / "docs" / "deep").returncode == 0
    (repo / "configs" / "app.toml").write_text(PROFILE.replace('"svc"', '"svc2"'))
    assert run_process(["compile", "--check"], cwd=repo / "configs" / "team").returncode == 1


def test_init_from_a_subfolder_writes_into_the_roots_configs(repo: Path) -> None:
    done = run_process(["init", "hr", "--template", "scim"], cwd=repo / "docs")
    assert done.returncode == 0, done.stderr
    assert (repo / "configs" / "hr.toml").is_file()
    assert "../configs/hr.toml" in done.stdout


def test_outside_any_repository_it_says_where_to_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run_process(["compile"], cwd=tmp_path / "empty")
    assert done.returncode == 2
    assert "no configs/ folder here or in any folder above" in done.stderr
    assert "run syncsecrets in the repository that holds configs/" in done.stderr
    assert not (tmp_path / "empty" / "build").exists()


def test_the_search_stops_at_the_git_top(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()  # above the repository: not its configs
    inner = tmp_path / "inner"
    (inner / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    assert find_root(str(inner / "sub")) is None
    assert find_root(str(tmp_path / "configs")) == str(tmp_path)
    done = run_process(["compile"], cwd=inner / "sub")
    assert done.returncode == 2
    assert "no configs/ folder here" in done.stderr


def test_plan_from_a_subfolder_reads_the_roots_profiles_and_saves_where_typed(repo: Path, graph, graph_env) -> None:
    graph.add_principal(SP, {"UserName": "svc"})
    env = {**graph_env(), "APP_TOKEN": "canary-token-root-7"}
    (repo / "configs" / "team" / "other.toml").unlink()  # no service principal: not a target
    result = run_cli(["plan", "--format", "json", "--save", "plan.json"], cwd=repo / "docs", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["targets"][0]["profile"] == "configs/app.toml"
    assert (repo / "docs" / "plan.json").is_file()
    applied = run_cli(["apply", "--plan", "plan.json", "--auto-approve"], cwd=repo / "docs", env=env)
    assert applied.exit_code == 0, applied.stderr


@pytest.mark.parametrize(
    ("where", "args", "hint"),
    [
        ("configs", ["compile", "team", "--check"], "syncsecrets compile team"),
        ("configs/team", ["compile", ".", "--out", "out", "--check"], "syncsecrets compile . --out out"),
        ("docs", ["compile", "--check"], "syncsecrets compile"),
    ],
)
def test_the_update_hint_runs_where_the_user_is(repo: Path, where: str, args: list[str], hint: str) -> None:
    done = run_process(args, cwd=repo / where)
    assert done.returncode == 1, done.stderr
    assert f"run `{hint}` to update" in done.stdout
    assert run_process(hint.split()[1:], cwd=repo / where).returncode == 0
    assert run_process(args, cwd=repo / where).returncode == 0


def every_file(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("command", ["compile", "plan", "references"])
def test_a_removed_working_directory_is_a_usage_error(tmp_path: Path, command: str) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = Path(sys.executable).parent / "syncsecrets"  # the console script, as a user runs it
    result = subprocess.run(
        ["sh", "-c", 'cd "$1" && rmdir "$1" && exec "$2" "$3"', "sh", str(gone), str(script), command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "syncsecrets: the working directory no longer exists: cd into the repository and run it again"
    )
    assert "internal error" not in result.stderr

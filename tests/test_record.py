"""The record of the last compile (compiler/record.py): it may make a run faster, never different."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from compiler.run import build, ownership, record
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
    assert names == [record.FOLDER, ownership.MANIFEST, "app.json", "other.json"]
    assert sorted(tree(repo / "build")) == ["app.json", "other.json"]


def record_path(repo: Path) -> Path:
    return repo / "build" / record.FOLDER / record.RECORD


def cold(repo: Path, args: list[str]) -> tuple[int, str, str]:
    """The result of `args` without a record: what any record must give too."""
    file = record_path(repo)
    kept = file.read_bytes()
    file.unlink()
    try:
        result = run_cli(args, cwd=repo)
    finally:
        file.write_bytes(kept)
    return result.exit_code, result.stdout, result.stderr


def with_app_entry(data: dict, position: int, value) -> dict:
    entry = list(data["entries"]["app.json"])
    entry[position] = value
    return {**data, "entries": {**data["entries"], "app.json": entry}}


WARNING = ["configs/_shared.toml", "a message", "raw.FutureKey", 4, 1, True]
MALFORMED = {
    "a list": lambda data: [],
    "null": lambda data: None,
    "entries a list": lambda data: {**data, "entries": []},
    "partials a list": lambda data: {**data, "partials": [["configs/_shared.toml"]]},
    "a partial of the wrong shape": lambda data: {**data, "partials": {"configs/_shared.toml": "x"}},
    "a warning of the wrong shape": lambda data: with_app_entry(data, 6, [["x"]]),
    "a warning with a number for its key": lambda data: with_app_entry(data, 6, [[*WARNING[:2], 5, *WARNING[3:]]]),
    "an error recorded as a warning": lambda data: with_app_entry(data, 6, [[*WARNING[:5], False]]),
    "pairs a string": lambda data: with_app_entry(data, 4, "4"),
    "no dependencies": lambda data: with_app_entry(data, 2, []),
    "only the parent as a dependency": lambda data: with_app_entry(data, 2, data["entries"]["app.json"][2][1:]),
}


# Those that forget the profile are only wrong once it changes: the profile is edited for them.
FORGETS_THE_PROFILE = ("no dependencies", "only the parent as a dependency")


@pytest.mark.parametrize("command", [["compile", "--check"], ["compile"]], ids=["check", "compile"])
@pytest.mark.parametrize("case", MALFORMED)
def test_a_record_of_any_shape_gives_the_cold_result(repo: Path, tmp_path: Path, case: str, command: list[str]) -> None:
    file = record_path(repo)
    file.write_text(json.dumps(MALFORMED[case](json.loads(file.read_text()))))
    if case in FORGETS_THE_PROFILE:
        (repo / "configs" / "app.toml").write_text(APP + "sync_all = true\n")
    without = tmp_path / "without-record"
    shutil.copytree(repo, without, symlinks=True)
    record_path(without).unlink()
    expected = run_cli(command, cwd=without)
    found = run_cli(command, cwd=repo)
    assert (found.exit_code, found.stdout, found.stderr) == (expected.exit_code, expected.stdout, expected.stderr)
    assert tree(repo / "build") == tree(without / "build")
    if case in FORGETS_THE_PROFILE and command == ["compile"]:
        assert "SyncAll" in (repo / "build" / "app.json").read_text()


def test_a_record_folder_that_is_a_link_is_not_written_through(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(repo / "build" / record.FOLDER)
    (repo / "build" / record.FOLDER).symlink_to(elsewhere)
    (repo / "configs" / "app.toml").write_text(APP + "sync_all = true\n")
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    assert list(elsewhere.iterdir()) == []
    assert (repo / "build" / record.FOLDER).is_symlink()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, tuple[int, str, str]]:
    """A repository whose record describes the profiles before one was edited, and its cold result."""
    repo = tmp_path_factory.mktemp("recorded")
    (repo / "configs").mkdir()
    (repo / "configs" / "_shared.toml").write_text(PARTIAL)
    (repo / "configs" / "app.toml").write_text(APP)
    (repo / "configs" / "other.toml").write_text('user_name = "u"\n')
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    (repo / "configs" / "app.toml").write_text(APP + "sync_all = true\n")
    return repo, json.loads(record_path(repo).read_text()), cold(repo, ["compile", "--check"])


def lies(value: object, real: object) -> bool:
    """A well-formed value other than the real one: a record may lie in its warnings (it is a
    cache, not a signature), so such values are left out of the property."""
    return value != real and record._problems(value) is not None


@given(data=st.data())
def test_any_json_in_the_record_gives_the_cold_result(recorded, data: st.DataObject) -> None:
    repo, real, expected = recorded
    shape = data.draw(st.sampled_from(["anything", "entries", "partials", "an entry", "an entry's field"]))
    if shape == "anything":
        content = data.draw(JSON)
    elif shape in ("entries", "partials"):
        content = {**real, shape: data.draw(JSON)}
    elif shape == "an entry":
        content = {**real, "entries": {**real["entries"], "other.json": data.draw(JSON)}}
    else:
        position = data.draw(
            st.sampled_from([2, 3, 5, 6, 7])
        )  # dependencies, output, principal, warnings, environments
        value = data.draw(JSON)
        assume(position != 6 or not lies(value, real["entries"]["other.json"][6]))
        assume(position not in (5, 7) or value != real["entries"]["other.json"][position])
        content = with_other_entry(real, position, value)
    record_path(repo).write_text(json.dumps(content))
    found = run_cli(["compile", "--check"], cwd=repo)
    assert (found.exit_code, found.stdout, found.stderr) == expected


def with_other_entry(data: dict, position: int, value) -> dict:
    entry = list(data["entries"]["other.json"])
    entry[position] = value
    return {**data, "entries": {**data["entries"], "other.json": entry}}

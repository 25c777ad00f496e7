"""Stale outputs and --prune concern only what syncsecrets wrote (compiler/run/ownership.py)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.run import ownership
from tests.helpers import run_cli, snapshot

BODY = '{\n  "value": []\n}\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text('user_name = "app"\n')
    (tmp_path / "configs" / "old.toml").write_text('user_name = "old"\n')
    return tmp_path


def foreign_files(out: Path) -> dict[str, bytes]:
    files = {
        "package.json": b'{"name": "site"}\n',
        "node_modules/left-pad/package.json": b'{"name": "left-pad"}\n',
        "configs/settings.json": BODY.encode(),  # even a file that looks like one of ours
    }
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return files


def test_prune_removes_only_what_syncsecrets_wrote(repo: Path) -> None:
    site = repo / "site"
    site.mkdir()
    foreign = foreign_files(site)
    assert run_cli(["compile", "--out", "site"], cwd=repo).exit_code == 0
    (repo / "configs" / "old.toml").unlink()
    checked = run_cli(["compile", "--out", "site", "--check", "--format", "json"], cwd=repo)
    report = json.loads(checked.stdout)
    assert report["summary"]["stale"] == 1 and checked.exit_code == 1
    assert [o["path"] for o in report["outputs"] if o["status"] == "stale"] == ["site/old.json"]
    pruned = run_cli(["compile", "--out", "site", "--prune"], cwd=repo)
    assert pruned.exit_code == 0, pruned.stderr
    assert "- site/old.json (stale: no profile writes it)" in pruned.stdout
    assert {name: (site / name).read_bytes() for name in foreign} == foreign
    assert not (site / "old.json").exists()
    assert run_cli(["compile", "--out", "site", "--check"], cwd=repo).exit_code == 0


def test_the_manifest_lists_paths_only(repo: Path, tmp_path: Path) -> None:
    (repo / "configs" / "app.toml").write_text('secret_token = { env = "APP_TOKEN" }\n')
    out = tmp_path / "secrets-out"
    revealed = run_cli(["compile", "--reveal", "--out", str(out)], cwd=repo, env={"APP_TOKEN": "s3cr3t-value"})
    assert revealed.exit_code == 0, revealed.stderr
    manifest = (out / ownership.MANIFEST).read_text()
    assert json.loads(manifest) == {"format": ownership.FORMAT, "outputs": ["app.json", "old.json"]}
    assert "s3cr3t" not in manifest
    # A revealed output is ours like any other: --prune removes it once its profile is gone.
    (repo / "configs" / "old.toml").unlink()
    pruned = run_cli(["compile", "--reveal", "--out", str(out), "--prune"], cwd=repo, env={"APP_TOKEN": "s3cr3t-value"})
    assert pruned.exit_code == 0 and not (out / "old.json").exists()
    assert json.loads((out / ownership.MANIFEST).read_text())["outputs"] == ["app.json"]


@pytest.mark.parametrize(
    ("paths", "out"),
    [(["configs"], "configs"), (["configs"], "."), (["configs/app.toml"], "."), (["configs"], "configs/..")],
)
def test_an_out_holding_the_profiles_is_refused(repo: Path, paths: list[str], out: str) -> None:
    (repo / "package.json").write_text('{"name": "repo"}\n')
    before = snapshot(repo)
    refused = run_cli(["compile", *paths, "--out", out, "--prune"], cwd=repo)
    assert refused.exit_code == 2
    assert f"{out}: --out holds the profiles of {paths[0]}: give the outputs a folder of their own" in refused.stderr
    assert snapshot(repo) == before


def test_a_manifest_cannot_make_prune_remove_anything_else(repo: Path, tmp_path: Path) -> None:
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.json").write_text(BODY)
    (repo / "build" / "link").symlink_to(outside)
    (repo / "keep.json").write_text(BODY)
    claimed = [
        "app.json",
        "old.json",
        "../keep.json",
        "/etc/hostname.json",
        "link/keep.json",
        ".syncsecrets-staging-1/app.json",
        "./app.json",
        "a//b.json",
        7,
    ]
    (repo / "build" / ownership.MANIFEST).write_text(json.dumps({"format": ownership.FORMAT, "outputs": claimed}))
    (repo / "configs" / "old.toml").unlink()
    pruned = run_cli(["compile", "--prune"], cwd=repo)
    assert pruned.exit_code == 0
    assert "1 stale (removed)" in pruned.stdout
    assert (outside / "keep.json").read_text() == BODY and (repo / "keep.json").read_text() == BODY


# Names a folder of outputs may hold that syncsecrets did not write: any, but its own (its
# manifest, staging folders and temporary files all start with ".syncsecrets").
FOREIGN_NAME = st.from_regex(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,12}", fullmatch=True).filter(
    lambda name: name not in (".", "..", "app.json", "old.json") and not name.startswith(".syncsecrets")
)
FOREIGN_PATH = st.tuples(st.lists(FOREIGN_NAME, min_size=1, max_size=3), st.sampled_from([".json", ""])).map(
    lambda parts: "/".join(parts[0]) + parts[1]
)
CONTENT = st.one_of(st.binary(max_size=64), st.just(BODY.encode()), st.just(b'{"value": [{"key": "K", "value": "v"}]}'))


@given(st.dictionaries(FOREIGN_PATH, CONTENT, min_size=1, max_size=6))
def test_foreign_files_are_never_stale_nor_pruned(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        (repo / "configs").mkdir()
        (repo / "configs" / "app.toml").write_text('user_name = "app"\n')
        (repo / "configs" / "old.toml").write_text('user_name = "old"\n')
        assert run_cli(["compile"], cwd=repo).exit_code == 0
        written = {}
        for name, data in files.items():
            path = repo / "build" / name
            if path.exists() or any(parent.is_file() for parent in path.parents):
                continue  # the name of a folder another name needs, or the other way round
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written[name] = data
        (repo / "configs" / "old.toml").unlink()
        checked = run_cli(["compile", "--check", "--format", "json"], cwd=repo)
        stale = [output["path"] for output in json.loads(checked.stdout)["outputs"] if output["status"] == "stale"]
        assert stale == ["build/old.json"]
        assert run_cli(["compile", "--prune"], cwd=repo).exit_code == 0
        assert {name: (repo / "build" / name).read_bytes() for name in written} == written
        assert not (repo / "build" / "old.json").exists()


def test_a_manifest_that_is_a_link_is_neither_read_nor_written_through(repo: Path, tmp_path: Path) -> None:
    assert run_cli(["compile"], cwd=repo).exit_code == 0
    elsewhere = tmp_path / "elsewhere-manifest"
    listing = ownership.render({"app.json", "old.json", "notes.json"})
    elsewhere.write_bytes(listing)
    manifest = repo / "build" / ownership.MANIFEST
    manifest.unlink()
    manifest.symlink_to(elsewhere)
    (repo / "build" / "notes.json").write_text(BODY)
    (repo / "configs" / "old.toml").unlink()
    pruned = run_cli(["compile", "--prune"], cwd=repo)
    assert pruned.exit_code == 0
    assert (repo / "build" / "notes.json").exists()  # the link's list was not believed
    assert elsewhere.read_bytes() == listing
    assert (repo / "build" / "old.json").exists()  # with no manifest to believe, not known as ours
    assert not manifest.is_symlink() and json.loads(manifest.read_text())["outputs"] == ["app.json"]


def test_the_manifest_is_updated_under_the_lock(tmp_path: Path) -> None:
    """What another run recorded between this run's start and its commit is kept."""
    from compiler.run import outputs

    out = tmp_path / "out"
    out.mkdir()
    (out / ownership.MANIFEST).write_bytes(ownership.render({"theirs.json", "gone.json"}))
    outputs.commit(str(out), os.getpid(), [], [], [], owned=({"mine.json"}, {"gone.json"}))
    assert json.loads((out / ownership.MANIFEST).read_text())["outputs"] == ["mine.json", "theirs.json"]
    assert [path.name for path in out.iterdir()] == [ownership.MANIFEST]

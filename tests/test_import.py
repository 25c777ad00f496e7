"""`syncsecrets import`: the corpus of bodies in tests/import_cases/, and the round trip.

A case folder holds `body.json` (the input), optionally `case.toml` (`name`, default "app";
`exact`, keys whose compiled value must be the body's value byte for byte), and what must come
out: `expected.toml` (the exact profile written) and `expected.json` (what that profile compiles
to), or `expected.err` (the exact error, and then no file is written; with `expected.toml`, the
exact warnings). tests/import_cases/README.md says where each body comes from.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from compiler.catalog.keys import BY_GRAPH, KEYS, NULL_MEMBER, Kind
from compiler.graph.endpoints import MASK as MASKED
from compiler.profile.kinds import convert_text
from compiler.profile.references import placeholder_label
from tests.helpers import REPO, run_cli, tree

CASES = Path(__file__).parent / "import_cases"


def canonical(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What compile makes of a body's pairs, secrets (and references) as one mark: the round trip."""
    order = {key.graph: index for index, key in enumerate(KEYS)}
    found = []
    for key, value in pairs:
        known = BY_GRAPH.get(key)
        if key == NULL_MEMBER or value == "":
            continue
        if value == MASKED or placeholder_label(value) or (known and known.sensitive and not value.startswith("{")):
            value = "<secret>"
        elif known and known.kind is Kind.TIMESTAMP and value[-1].isdigit() and "+" not in value[10:]:
            value = convert_text(known, value + "Z")  # import reads a time without offset as UTC
        elif known:
            value = convert_text(known, value)
        found.append((key, value))
    return sorted(found, key=lambda pair: (order.get(pair[0], len(order)), pair[0]))


def compiled(body: bytes) -> list[tuple[str, str]]:
    return canonical([(pair["key"], pair["value"]) for pair in json.loads(body)["value"]])


@pytest.mark.parametrize("case", sorted(path.name for path in CASES.iterdir() if path.is_dir()))
def test_import_case(case: str, tmp_path: Path) -> None:
    source = CASES / case
    shutil.copy(source / "body.json", tmp_path / "body.json")
    config = tomllib.loads((source / "case.toml").read_text()) if (source / "case.toml").exists() else {}
    name = config.get("name", "app")
    result = run_cli(["import", "body.json", "--name", name], cwd=tmp_path)
    expected_err = (source / "expected.err").read_text() if (source / "expected.err").exists() else ""
    assert (result.exit_code, result.stderr) == (0 if (source / "expected.toml").exists() else 2, expected_err)
    profile = tmp_path / "configs" / f"{name}.toml"
    if not (source / "expected.toml").exists():
        assert not profile.exists()
        return
    assert profile.read_text() == (source / "expected.toml").read_text()
    done = run_cli(["compile", f"configs/{name}.toml", "--out", "out"], cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    output = (tmp_path / "out" / f"{name}.json").read_bytes()
    assert output == (source / "expected.json").read_bytes()
    body = json.loads((source / "body.json").read_text())
    pairs = body.get("value", body.get("credentials"))
    assert compiled(output) == canonical([(pair["key"], pair["value"]) for pair in pairs])
    written = {pair["key"]: pair["value"] for pair in json.loads(output)["value"]}
    for key in config.get("exact", []):
        assert written[key] == next(pair["value"] for pair in pairs if pair["key"] == key), key
    guessed = profile.read_text().replace('# template = "', 'template = "')
    if guessed != profile.read_text():  # the template import suggests fits what it wrote
        profile.write_text(guessed)
        checked = run_cli(["compile", f"configs/{name}.toml", "--out", "checked"], cwd=tmp_path)
        assert (checked.exit_code, checked.stderr) == (0, ""), checked.stderr


def test_secrets_are_never_written_or_printed(tmp_path: Path) -> None:
    secret = "s3cr3t-imported-value"
    body = {"value": [{"key": "SecretToken", "value": secret}, {"key": "ConnectionString", "value": secret + "2"}]}
    (tmp_path / "body.json").write_text(json.dumps(body))
    result = run_cli(["import", "body.json"], cwd=tmp_path)
    assert result.exit_code == 0
    assert "BODY_SECRET_TOKEN  (SecretToken)" in result.stdout
    assert "before `syncsecrets plan`, `apply` or `compile --reveal`:" in result.stdout  # not only --reveal
    for text in (result.stdout, result.stderr, (tmp_path / "configs" / "body.toml").read_text()):
        assert secret not in text


@pytest.mark.parametrize("example", sorted(path.stem for path in (REPO / "configs").glob("[!_]*.toml")))
def test_round_trip_over_the_examples(example: str, tmp_path: Path) -> None:
    """Compile an example, import the output, compile the import: the same body."""
    first = run_cli(["compile", str(REPO / "configs" / f"{example}.toml"), "--out", "first"], cwd=tmp_path)
    assert first.exit_code == 0
    imported = run_cli(["import", f"first/{example}.json"], cwd=tmp_path)
    assert imported.exit_code == 0, imported.stderr
    again = run_cli(["compile", f"configs/{example}.toml", "--out", "second"], cwd=tmp_path)
    assert again.exit_code == 0, again.stderr
    # Placeholders name the same references, so even the secrets' placeholders match.
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


def test_an_existing_profile_is_replaced_only_with_force(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text("# mine\n")
    (tmp_path / "body.json").write_text('{"value": [{"key": "SyncAll", "value": "True"}]}')
    refused = run_cli(["import", "body.json", "--name", "app"], cwd=tmp_path)
    assert refused.exit_code == 2 and "exists already: pass --force" in refused.stderr
    assert (tmp_path / "configs" / "app.toml").read_text() == "# mine\n"
    assert run_cli(["import", "body.json", "--name", "app", "--force"], cwd=tmp_path).exit_code == 0
    assert "sync_all = true" in (tmp_path / "configs" / "app.toml").read_text()


def test_standard_input_needs_a_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from compiler.cli import app

    body = '{"value": [{"key": "SyncAll", "value": "True"}]}'
    runner = CliRunner()
    import os

    os.chdir(tmp_path)
    try:
        nameless = runner.invoke(app, ["import", "-"], input=body)
        named = runner.invoke(app, ["import", "-", "--name", "piped"], input=body)
    finally:
        os.chdir(REPO)
    assert nameless.exit_code == 2 and "--name" in nameless.stderr
    assert named.exit_code == 0 and (tmp_path / "configs" / "piped.toml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "missing.json"], "missing.json: no such file"),
        (["import", "folder"], "folder: is a folder, not a secrets body"),
        (["import", "body.json", "--name", "_partial"], "_partial: is not a profile name"),
    ],
)
def test_import_usage_mistakes(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "body.json").write_text('{"value": []}')
    result = run_cli(args, cwd=tmp_path)
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "configs").exists()


def test_every_case_says_where_its_body_comes_from() -> None:
    listed = (CASES / "README.md").read_text()
    cases = [path.name for path in CASES.iterdir() if path.is_dir() and not path.name.startswith("error-")]
    assert [case for case in cases if f"`{case}`" not in listed] == []

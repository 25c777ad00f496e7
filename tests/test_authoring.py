"""The authoring commands: keys, schema and init."""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from compiler.catalog.keys import KEYS
from compiler.catalog.templates import templates
from compiler.commands.schema import schema_text
from tests.helpers import REPO, run_cli

SHIPPED_SCHEMA = REPO / "schema" / "profile.schema.json"
CASES = Path(__file__).parent / "cases"


def test_keys_as_json_lists_the_catalog() -> None:
    result = run_cli(["keys", "--json"], cwd=REPO)
    rows = json.loads(result.stdout)
    assert len(rows) == len(KEYS)
    assert [row["key"] for row in rows] == [key.graph for key in KEYS]
    assert set(rows[0]) == {"key", "friendly_name", "kind", "sensitive", "family", "description"}
    assert {row["key"]: row["family"] for row in rows}["SyncAll"] == "job setting"
    token = next(row for row in rows if row["key"] == "SecretToken")
    assert token["friendly_name"] == "secret_token" and token["sensitive"] is True and token["kind"] == "secret"


def test_keys_as_a_table() -> None:
    lines = run_cli(["keys"], cwd=REPO).stdout.splitlines()
    assert lines[0].split()[:4] == ["KEY", "FRIENDLY", "NAME", "KIND"]
    assert len(lines) == len(KEYS) + 1  # a header, then a key a line
    assert re.match(r"SyncAll\s+sync_all\s+boolean\s+job setting\s+Provision all", lines[19])


def test_the_shipped_schema_is_current() -> None:
    assert SHIPPED_SCHEMA.read_text() == schema_text(), "run: syncsecrets schema -o schema/profile.schema.json"
    printed = run_cli(["schema"], cwd=REPO)
    assert printed.stdout == schema_text()


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SHIPPED_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _as_json(value):  # as Taplo hands TOML to the schema: date-times as strings
    if isinstance(value, dict):
        return {key: _as_json(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_as_json(member) for member in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _profiles(case: Path) -> list[Path]:
    return [path for path in case.rglob("*.toml") if path.name != "case.toml"]


VALID = sorted(path for case in CASES.iterdir() if not case.name.startswith("error-") for path in _profiles(case))
# Cases whose case.toml says `schema_invalid = true`: mistakes an editor shows as you type.
INVALID = sorted(
    case.name
    for case in CASES.iterdir()
    if (case / "case.toml").exists() and tomllib.loads((case / "case.toml").read_text()).get("schema_invalid")
)


@pytest.mark.parametrize("path", [*VALID, *sorted((REPO / "configs").glob("*.toml"))], ids=str)
def test_valid_profiles_satisfy_the_schema(path: Path) -> None:
    errors = list(_validator().iter_errors(_as_json(tomllib.loads(path.read_text()))))
    assert not errors, errors[0].message


@pytest.mark.parametrize("case", INVALID)
def test_invalid_profiles_break_the_schema(case: str) -> None:
    assert list(_validator().iter_errors(_as_json(tomllib.loads((CASES / case / "profile.toml").read_text()))))


def test_schema_output_option(tmp_path: Path) -> None:
    result = run_cli(["schema", "--output", "editor/profile.schema.json"], cwd=tmp_path)
    assert result.exit_code == 0
    assert (tmp_path / "editor" / "profile.schema.json").read_text() == schema_text()


@pytest.mark.parametrize("kind", sorted(templates()))
def test_init_writes_what_the_template_needs(kind: str, tmp_path: Path) -> None:
    created = run_cli(["init", "contoso-app", "--template", kind], cwd=tmp_path)
    assert created.exit_code == 0, created.stderr
    path = tmp_path / "configs" / "contoso-app.toml"
    text = path.read_text()
    data = tomllib.loads(text)
    template = templates()[kind]
    for key in template.required:
        assert key.friendly in data
        if key.sensitive and key.graph not in template.examples:
            assert data[key.friendly] == {"env": f"CONTOSO_APP_{key.friendly.upper()}"}
            assert f"CONTOSO_APP_{key.friendly.upper()}" in created.stdout
    if template.required and any(key.sensitive for key in template.required):
        # plan and apply read the variables too, not only compile --reveal
        assert "Before `syncsecrets plan`, `apply` or `compile --reveal`, set: CONTOSO_APP_" in created.stdout
        assert "# `syncsecrets plan`, `apply` and `compile --reveal` read the secrets from: CONTOSO_APP_" in text
    assert data["application"]["template"] == kind
    # Tokens the provisioning service stores itself are kept: apply neither sends nor clears them.
    assert data["application"].get("keep", []) == [key.friendly for key in template.keep]
    assert text.startswith("# contoso-app: ")
    # The placeholders must be replaced before the profile compiles.
    refused = run_cli(["compile", "configs", "--check"], cwd=tmp_path)
    assert refused.exit_code == 2 and "still holds a REPLACE ME placeholder" in refused.stderr
    path.write_text(_fill_in(text))
    done = run_cli(["compile", "configs"], cwd=tmp_path)
    assert done.exit_code == 0, done.stderr


def _fill_in(text: str) -> str:
    replacements = {
        "base_address": '"https://localhost:8585/ecma2host_app/scim"',
        "oauth2_token_exchange_uri": '"https://login.example.com/token"',
        "oauth2_authorization_uri": '"https://login.example.com/authorize"',
        "service_principal_id": '"2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"',
        "recipients": '"ops@contoso.example"',
    }
    lines = []
    for line in text.splitlines():
        name = line.split(" = ")[0]
        if "REPLACE ME" in line:
            value = replacements.get(name, '"filled-in"')
            line = f"{name} = {value}" if name != "domain" else 'domain = { domain = "contoso.com" }'
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text("# mine\n")
    refused = run_cli(["init", "app", "--template", "scim"], cwd=tmp_path)
    assert refused.exit_code == 2
    assert "configs/app.toml: exists already" in refused.stderr
    assert (tmp_path / "configs" / "app.toml").read_text() == "# mine\n"


def test_init_lists_the_kinds_for_an_unknown_one(tmp_path: Path) -> None:
    refused = run_cli(["init", "app", "--template", "sciim", "--configs", "profiles"], cwd=tmp_path)
    assert refused.exit_code == 2
    assert "did you mean 'scim'?" in refused.stderr
    assert "the kinds are " + ", ".join(templates()) in refused.stderr
    assert not (tmp_path / "profiles").exists()


def test_init_without_a_kind_lists_the_kinds(tmp_path: Path) -> None:
    refused = run_cli(["init", "app"], cwd=tmp_path)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("--template: give the kind of application, one of:\n")
    lines = refused.stderr.splitlines()[1 : 1 + len(templates())]
    for line, (kind, template) in zip(lines, templates().items(), strict=True):
        assert line.startswith(f"  {kind} ") and line.endswith(template.description)
    # The descriptions line up, however long a kind's name is (scim-oauth2-code).
    assert (
        len({line.index(template.description) for line, template in zip(lines, templates().values(), strict=True)}) == 1
    )
    assert not (tmp_path / "configs").exists()


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("init", ["init [OPTIONS] {NAME}", "--template KIND", "--configs DIR"]),
        ("import", ["--name NAME", "--configs DIR"]),
        ("schema", ["--output FILE"]),
    ],
)
def test_help_names_the_values(command: str, shown: list[str], tmp_path: Path) -> None:
    text = run_cli([command, "--help"], cwd=tmp_path).stdout
    assert "<str>" not in text and "TEXT" not in text
    for part in shown:
        assert part in text


def test_init_into_another_folder(tmp_path: Path) -> None:
    created = run_cli(["init", "9lives", "--template", "aws-legacy", "--configs", "profiles"], cwd=tmp_path)
    assert created.exit_code == 0
    data = tomllib.loads((tmp_path / "profiles" / "9lives.toml").read_text())
    assert data["secret_token"] == {"env": "APP_9LIVES_SECRET_TOKEN"}  # a variable cannot start with a digit

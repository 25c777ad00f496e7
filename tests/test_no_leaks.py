"""The canary test: known secrets go in through every door, and none may come out.

Every command and every error path runs with canary values as secrets (resolved references,
refused literals, imported bodies, exception messages). Everything the tool printed, and every
file it wrote outside the revealed outputs, is then searched for every canary.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli, spellings

CANARIES = {
    "env": "canary-env+<&'\u00e9>-7f3a9c61",  # spelled differently by JSON, .NET and URL encoding
    "env-new": "canary-env-new+\u00e9-0d5b2e",
    "file": "canary-file-2b8d41aa",
    "url": "https://canary-host-3d2e11.example/scim",
    "url-new": "https://canary-host-new-8c1f.example/scim",
    "literal": "canary-literal-9e1c55f0",
    "import": "canary-import-44aa0193",
    "raw": "canary-raw-6a0e9b27",
    "notify": "canary-notify-51d3@contoso.example",
}
REVEALED = "revealed"  # the only folder allowed to hold secrets


class Recorder:
    """Runs commands in one config repository and keeps everything they printed."""

    def __init__(self, root: Path):
        self.root = root
        self.printed: list[tuple[list[str], str]] = []

    def run(self, *args: str, env: dict[str, str] | None = None, expect: int = 0) -> str:
        result = run_cli(list(args), cwd=self.root, env=env)
        self.printed.append((list(args), result.stdout + result.stderr))
        assert result.exit_code == expect, (args, result.stdout, result.stderr)
        return result.stdout + result.stderr


def secrets_env(new: bool = False) -> dict[str, str]:
    return {
        "APP_TOKEN": CANARIES["env-new" if new else "env"],
        "APP_URL": CANARIES["url-new" if new else "url"],
        "RAW_SECRET": CANARIES["raw"],
        "NOTIFY_JSON": json.dumps({"Enabled": True, "Recipients": CANARIES["notify"]}),
    }


@pytest.fixture
def repo(tmp_path: Path) -> Recorder:
    """A config repository (git: secrets/ beside configs/ is inside it, where references may go)."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "configs").mkdir()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "password.txt").write_text(CANARIES["file"] + "\n")
    (tmp_path / "configs" / "app.toml").write_text(
        'secret_token = { env = "APP_TOKEN" }\n'
        'password = { file = "../secrets/password.txt" }\n'
        'base_address = { env = "APP_URL" }\n'
        'sync_notification_settings = { env = "NOTIFY_JSON" }\n'
        '[raw]\nFutureSecret = { env = "RAW_SECRET" }\n'
    )
    (tmp_path / "configs" / "stable.toml").write_text(
        'secret_token = { env = "APP_TOKEN" }\nbase_address = "https://stable.contoso.example/scim"\n'
    )
    return Recorder(tmp_path)


def every_report(repo: Recorder, *args: str, env: dict[str, str], expect: int = 0) -> None:
    for diff in ("semantic", "unified", "none"):
        for fmt in ("text", "json", "github"):
            repo.run("compile", *args, "--diff", diff, "--format", fmt, env=env, expect=expect)
    repo.run("compile", *args, "--quiet", env=env, expect=expect)


def test_no_canary_leaves_through_any_door(repo: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    reveal = ("--reveal", "--out", REVEALED, "--allow-unignored-output")
    # Unrevealed runs, then a revealed run, then revealed re-runs with changed secrets and a
    # changed host behind the same token, through every diff mode and format.
    every_report(repo, env=secrets_env())
    repo.run("compile", *reveal, env=secrets_env())
    assert CANARIES["env"] in (repo.root / REVEALED / "app.json").read_text()  # the canaries did go in
    every_report(repo, *reveal, "--check", env=secrets_env(new=True), expect=1)
    (repo.root / "configs" / "stable.toml").write_text(
        'secret_token = { env = "APP_TOKEN" }\nbase_address = { env = "APP_URL" }\n'
    )
    warned = repo.run("compile", *reveal, "--check", env=secrets_env(new=True), expect=1)
    assert "(masked) now points at another host" in warned
    repo.run("compile", *reveal, env=secrets_env(new=True))

    # Error paths: revealed values that fail their kind's checks, a refused literal.
    bad = {
        **secrets_env(),
        "APP_URL": "http://" + CANARIES["url"][8:],
        "NOTIFY_JSON": '{"Enabled": "' + CANARIES["env"] + '"}',
    }
    repo.run("compile", *reveal, env=bad, expect=2)
    (repo.root / "configs" / "bad.toml").write_text(
        f'password = "{CANARIES["literal"]}"\ntoken_expiration = {{ env = "APP_TOKEN" }}\n'
        f'sync_all = {{ env = "APP_TOKEN" }}\ndomain = {{ env = "APP_TOKEN" }}\n'
    )
    for fmt in ("text", "json", "github"):
        repo.run("compile", *reveal, "--format", fmt, env=secrets_env(), expect=2)
    repo.run("compile", *reveal, "--debug", env=secrets_env(), expect=2)
    (repo.root / "configs" / "bad.toml").unlink()

    # An internal error (after the secrets were resolved) whose message quotes one.
    from compiler.body import render

    def crash(pairs):
        raise RuntimeError(f"crashed on {CANARIES['env']}")

    monkeypatch.setattr(render, "render", crash)
    repo.run("compile", *reveal, env=secrets_env(), expect=3)
    debug = repo.run("compile", *reveal, "--debug", env=secrets_env(), expect=3)
    assert "Traceback" in debug and "crashed on ***" in debug
    monkeypatch.undo()

    # The authoring commands: import of bodies holding secrets (good and malformed), init, keys, schema.
    body = {
        "value": [
            {"key": "SecretToken", "value": CANARIES["import"]},
            {"key": "Password", "value": "*"},
            {"key": "ConnectionString", "value": CANARIES["import"] + "-2"},
            {"key": "BaseAddress", "value": "https://imported.contoso.example/scim"},
        ]
    }
    (repo.root / "body.json").write_text(json.dumps(body))
    repo.run("import", "body.json", "--name", "imported")
    bad_body = {"value": [{"key": "SyncAll", "value": CANARIES["import"]}]}
    (repo.root / "bad-body.json").write_text(json.dumps(bad_body))
    repo.run("import", "bad-body.json", "--name", "refused", expect=2)
    (repo.root / "bad-body.json").write_text(
        '{"value": [{"key": "BaseAddress", "value": "http://' + CANARIES["import"] + '"}]}'
    )
    repo.run("import", "bad-body.json", "--name", "refused", expect=2)
    repo.run("init", "fresh", "--template", "scim-oauth2")
    repo.run("keys")
    repo.run("keys", "--json")
    repo.run("schema", "--output", "schema.json")
    repo.run("compile", "configs/imported.toml", "--out", "imported-out")

    leaks = [
        (" ".join(args), name)
        for args, text in repo.printed
        for name, canary in CANARIES.items()
        if any(form in text for form in spellings(canary))
    ]
    assert not leaks, f"printed: {leaks}"
    for path in repo.root.rglob("*"):
        relative = path.relative_to(repo.root)
        if (
            not path.is_file()
            or relative.parts[0] in (REVEALED, "secrets")
            or path.name in ("body.json", "bad-body.json")
        ):
            continue
        text = path.read_text(errors="replace")
        found = [name for name, canary in CANARIES.items() if any(form in text for form in spellings(canary))]
        assert not found, f"{relative} holds {found}"
    assert os.stat(repo.root / REVEALED / "app.json").st_mode & 0o077 == 0


def test_no_vault_canary_leaves(tmp_path: Path, tls, authority, keyvault, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same doors for `keyvault` references, against the loopback Key Vault: revealed runs in
    every mode and format, a rotated secret, a value refused for its kind, a missing, a disabled
    and a denied secret, and --debug."""
    pytest.importorskip("azure.keyvault.secrets")
    from tests.fakes.fixtures import TENANT_ID
    from tests.fakes.keyvault import RESOURCE

    vault = {
        "token": "canary-vault-token-1e7b",
        "token-new": "canary-vault-token-new-93c0",
        "url": "https://canary-vault-host-4f2a.example/scim",
    }
    keyvault.set_secret("scim-token", vault["token"])
    keyvault.set_secret("scim-url", vault["url"])
    env = {
        "SYNCSECRETS_KEYVAULT_HOSTS": keyvault.host,
        "SYNCSECRETS_AUTH": "token",
        "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN": authority.issue_token(TENANT_ID, audience=RESOURCE),
        "REQUESTS_CA_BUNDLE": str(tls.ca_file),
    }
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text(
        f'secret_token = {{ keyvault = "{keyvault.secret_uri("scim-token")}" }}\n'
        f'base_address = {{ keyvault = "{keyvault.secret_uri("scim-url")}" }}\n'
    )
    repo = Recorder(tmp_path)
    reveal = ("--reveal", "--out", REVEALED, "--allow-unignored-output")
    every_report(repo, env=env)
    repo.run("compile", *reveal, env=env)
    assert vault["token"] in (tmp_path / REVEALED / "app.json").read_text()  # the canary did go in
    keyvault.set_secret("scim-token", vault["token-new"])
    every_report(repo, *reveal, "--check", env=env, expect=1)
    keyvault.set_secret("scim-url", "http://" + vault["url"][8:])  # refused for its kind: exit 2
    repo.run("compile", *reveal, env=env, expect=2)
    repo.run("compile", *reveal, "--debug", "--format", "json", env=env, expect=2)
    keyvault.set_secret("scim-url", vault["url"], enabled=False)  # refused by the vault: exit 4
    for fmt in ("text", "json", "github"):
        repo.run("compile", *reveal, "--format", fmt, env=env, expect=4)
    keyvault.set_secret("scim-url", vault["url"])
    # An internal error whose message quotes a vault value: blanked in --debug's traceback.
    from compiler.body import render

    def crash(pairs):
        raise RuntimeError(f"crashed on {vault['token-new']}")

    monkeypatch.setattr(render, "render", crash)
    debug = repo.run("compile", *reveal, "--debug", env=env, expect=3)
    assert "crashed on ***" in debug
    monkeypatch.undo()
    keyvault.deny("scim-token")
    repo.run("compile", *reveal, "--debug", env=env, expect=4)

    leaks = [(" ".join(args), name) for args, text in repo.printed for name, canary in vault.items() if canary in text]
    assert not leaks, f"printed: {leaks}"
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.relative_to(tmp_path).parts[0] != REVEALED:
            found = [name for name, canary in vault.items() if canary in path.read_text(errors="replace")]
            assert not found, f"{path.relative_to(tmp_path)} holds {found}"
    assert "scim-token" in keyvault.fetched()  # the reads did happen

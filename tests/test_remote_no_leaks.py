"""The canary for plan and apply: a distinctive secret, the access token and the client secret
go in; none may come out in anything printed, in any report, or in any file written under the
test's folder or the repository."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fakes.fixtures import CLIENT_ID, TENANT_ID
from tests.helpers import REPO, run_cli, spellings
from tests.test_plan import SP, SP2

# `+ < > & '` and non-ASCII: spelled differently by .NET's JSON, JSON and form encoding.
CANARY_SECRET = "canary-remote+secret<&'\u00e9>-4b7d21e9"
CANARY_URL = "https://canary-remote-host-9d0a.example/scim"
CANARY_CLIENT_SECRET = "canary-client+secret<&'\u00e9>-c3e85a1f"


def _profile(root: Path) -> None:
    configs = root / "configs"
    configs.mkdir()
    (configs / "app.toml").write_text(
        'secret_token = { env = "APP_TOKEN" }\nbase_address = { env = "APP_URL" }\nsync_all = true\n'
        f'[application]\nservice_principal_id = "{SP}"\n'
    )
    (configs / "other.toml").write_text(
        f'secret_token = {{ env = "APP_TOKEN" }}\nbase_address = "https://scim.contoso.example/v2"\n'
        f'[application]\nservice_principal_id = "{SP2}"\n'
    )


def test_no_canary_leaves_plan_or_apply(tmp_path: Path, graph, graph_env, authority, monkeypatch) -> None:
    started = time.time() - 1
    _profile(tmp_path)
    graph.add_principal(SP, {"BaseAddress": "https://old.contoso.example/scim", "SecretToken": CANARY_SECRET + "-old"})
    graph.add_principal(SP2, {"UserName": f"Bearer {CANARY_SECRET}"})  # a secret under a key that is none
    token_env = {**graph_env(), "APP_TOKEN": CANARY_SECRET, "APP_URL": CANARY_URL}
    access_token = token_env["SYNCSECRETS_ACCESS_TOKEN"]
    secret_env = {
        **graph_env(token=False),
        "AZURE_CLIENT_SECRET": CANARY_CLIENT_SECRET,
        "APP_TOKEN": CANARY_SECRET,
        "APP_URL": CANARY_URL,
    }
    authority.add_client(TENANT_ID, CLIENT_ID, CANARY_CLIENT_SECRET)
    printed = []

    def run(*args: str, env=token_env, expect: int = 0) -> None:
        result = run_cli(list(args), cwd=tmp_path, env=env)
        printed.append(result.stdout + result.stderr)
        assert result.exit_code == expect, (args, result.stdout, result.stderr)

    for fmt in ("text", "json", "github"):
        env = {**token_env, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
        run("plan", "--format", fmt, env=env)
        run("plan", "--check", "--format", fmt, "--save", f"plan-{fmt}.json", env=env, expect=1)
        run("plan", "--format", fmt, "--debug", env=secret_env)
    graph.fault(403, method="PUT", sp_id=SP2)
    graph.fault(400, method="PUT", sp_id=SP, echo=True)  # the PUT body quoted back, as .NET writes it
    graph.fault(500, method="GET", sp_id=SP, times=3)  # the first apply fails on SP after 3 tries
    run("apply", "--auto-approve", "--format", "json", "--debug", expect=4)
    run(
        "apply",
        "--auto-approve",
        "--format",
        "github",
        env={**secret_env, "AZURE_CLIENT_SECRET": "x" + CANARY_CLIENT_SECRET},
        expect=4,
    )
    run("apply", "--plan", "plan-text.json", expect=4)  # the tenant changed since that plan: not applied
    for fmt in ("text", "json", "github"):  # the authority quotes the posted form, client_secret and all
        authority.fault(400, method="POST", echo=True)
        run("plan", "--format", fmt, env=secret_env, expect=4)
    run("apply", "--auto-approve", "--debug", env=secret_env)
    run(
        "apply",
        "--auto-approve",
        "--format",
        "github",
        env={**token_env, "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")},
    )
    graph.add_job(SP, "scim.canary.job", "scim", accepts={"SecretToken": "another-token"})
    graph.add_job(SP2, "scim.canary.job", "scim", status="Quarantine")
    for fmt in ("text", "json", "github"):
        run("validate", "--format", fmt, expect=1)
        run("apply", "--auto-approve", "--validate", "--format", fmt, expect=1)
        run("status", "--format", fmt, expect=1)
    # SP2: SP's tenant now holds the URL the canary reference sent, which Graph shows to anyone.
    run("import", "--from-tenant", SP2, "--name", "imported", "--configs", "imported", "--debug")
    from compiler.graph import applying

    monkeypatch.setattr(applying, "put_body", lambda pairs, actions: [(p.key, p.value) for p in pairs] + [("X", "*")])
    run("apply", "--auto-approve", "--debug", expect=3)
    assert graph.pairs(SP)["SecretToken"] == CANARY_SECRET  # the runs did send the secret

    canaries = [
        *spellings(CANARY_SECRET),
        CANARY_URL,
        "canary-remote-host",
        *spellings(CANARY_CLIENT_SECRET),
        access_token,
        access_token.split(".")[2],
    ]
    for text in printed:
        for canary in canaries:
            assert canary not in text
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    written += [path for path in _recent_files(REPO, started)]
    assert any(path.name == "plan-text.json" for path in written) and (tmp_path / "summary.md").exists()
    for path in written:
        data = path.read_bytes()
        for canary in canaries:
            assert canary.encode() not in data, path


def _recent_files(root: Path, since: float):
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}
    for path in root.rglob("*"):
        if skip.intersection(path.relative_to(root).parts) or path == Path(__file__):
            continue  # this file names the canaries (and may just have been edited)
        if path.is_file() and path.stat().st_mtime >= since:
            yield path

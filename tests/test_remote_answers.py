"""The remote commands against answers that are hostile or broken in size, time or meaning.

A NaN in a tenant's JSON value, an answer that never ends or inflates from a few kilobytes to
gigabytes, an answer that trickles, a 2xx that carries an error: each fails its target (exit 4),
the other targets are reported as usual, and the run ends within its deadlines.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest

from compiler.graph import answers, applying
from compiler.sandbox import faults
from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


def outputs(result) -> str:
    return result.stdout + result.stderr


NOTIFY = '[notifications]\nrecipients = "ops@contoso.example"\n'


def two_profiles(root: Path, body: str = "") -> None:
    basics = 'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\nsync_all = true\n'
    write_profile(root, "app", body=basics + body)
    write_profile(root, "other", body=basics + body, sp=SP2)


def by_sp(result) -> dict[str, dict]:
    return {target["service_principal_id"]: target for target in json.loads(result.stdout)["targets"]}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
def test_a_constant_no_json_allows_in_a_tenant_value_fails_that_target(tmp_path, graph, env, constant, command):
    two_profiles(tmp_path, NOTIFY)
    graph.add_principal(SP, {"SyncNotificationSettings": f'{{"Enabled":{constant}}}'})
    graph.add_principal(SP2, {})
    result = run_cli([*command, "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    targets = by_sp(result)
    assert targets[SP]["status"] == "failed", targets[SP]
    assert "JSON" in targets[SP]["error"]
    assert targets[SP2]["status"] != "failed", targets[SP2]


@pytest.mark.parametrize(
    ("body", "headers", "why"),
    [
        (faults.gzip_bomb(), {"Content-Encoding": "gzip"}, "larger than"),
        (faults.gzip_bomb(layers=2), {"Content-Encoding": "gzip, gzip"}, "not asked for"),
        (faults.endless(), {}, "larger than"),
    ],
    ids=["gzip-bomb", "gzip-twice", "endless"],
)
def test_an_answer_past_the_size_cap_fails_that_target(tmp_path, graph, env, body, headers, why):
    two_profiles(tmp_path)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    graph.fault(200, method="GET", sp_id=SP, body=body, headers=headers)
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    targets = by_sp(result)
    assert targets[SP]["status"] == "failed"
    assert why in targets[SP]["error"], targets[SP]
    assert targets[SP2]["status"] == "changes"


def test_a_small_gzipped_answer_is_read(tmp_path, graph, env):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", body=faults.gzip_bomb(1000), headers={"Content-Encoding": "gzip"})
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert json.loads(result.stdout)["targets"][0]["status"] == "changes"


@pytest.fixture
def short_deadlines(monkeypatch):
    """What takes a minute in production takes a second here (the CLI runs in this process)."""
    monkeypatch.setattr(answers, "REQUEST_SECONDS", 1.0)
    monkeypatch.setattr(applying, "SHORTEST_READ", 1.0)


def test_an_answer_that_trickles_fails_that_target_at_its_deadline(tmp_path, graph, env, short_deadlines):
    two_profiles(tmp_path)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    graph.fault(200, method="GET", sp_id=SP, body=faults.trickle(pause=0.2))  # 42 s to send it all
    started = time.monotonic()
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert time.monotonic() - started < 5
    assert result.exit_code == 4, outputs(result)
    targets = by_sp(result)
    assert "did not arrive whole within 1 s" in targets[SP]["error"], targets[SP]
    assert targets[SP2]["status"] == "changes"


def test_apply_reading_back_a_trickle_ends_with_its_wait(tmp_path, graph, env, short_deadlines, monkeypatch):
    monkeypatch.setattr(answers, "REQUEST_SECONDS", 60.0)  # only --wait bounds the read-back
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(200, method="GET", body=b'{"value": []}')  # the plan's GET
    graph.fault(200, method="GET", body=faults.trickle(pause=0.2), times=20)  # every read-back
    started = time.monotonic()
    result = run_cli(["apply", "--auto-approve", "--wait", "2", "--format", "json"], cwd=tmp_path, env=env)
    assert time.monotonic() - started < 6
    assert result.exit_code == 4, outputs(result)
    error = json.loads(result.stdout)["targets"][0]["error"]
    assert error.startswith("the PUT was accepted, but reading it back failed"), error
    assert len(graph.puts(SP)) == 1


REFUSAL = b'{"error": {"code": "CredentialValidationFailed", "message": "The token was refused by the application."}}'


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, REFUSAL, "invalid"),
        (202, REFUSAL, "invalid"),
        (200, b"<html>Service Unavailable</html>", "failed"),
        (200, b"", "valid"),
        (200, b'{"value": []}', "valid"),
        (204, b"", "valid"),
        (400, REFUSAL, "invalid"),
        # Graph itself refusing (a missing permission, a token it does not take) is no verdict
        # on the application's credentials: the target fails (4), it is not "invalid" (1).
        (300, None, "failed"),  # a redirect is not followed, nor a verdict
        (401, None, "failed"),
        (403, None, "failed"),
        (404, None, "failed"),
        (409, None, "failed"),
    ],
)
def test_validate_credentials_is_valid_only_without_an_error(tmp_path, graph, env, status, body, verdict):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.add_job(SP, "scim.1", "scim")
    graph.fault(status, method="POST", body=body)
    result = run_cli(["apply", "--validate", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.stdout.startswith("{"), outputs(result)
    target = json.loads(result.stdout)["targets"][0]
    if verdict == "valid":
        assert result.exit_code == 0, outputs(result)
        assert target["status"] == "applied", target
        assert len(graph.puts(SP)) == 1
        return
    assert result.exit_code == (1 if verdict == "invalid" else 4), outputs(result)
    assert target["status"] == verdict, target
    assert graph.puts(SP) == []
    if verdict == "invalid":
        assert "CredentialValidationFailed: The token was refused by the application." in target["error"]


def test_a_put_answered_2xx_with_the_pairs_is_a_success(tmp_path, graph, env):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    echo = b'{"value": [{"key": "BaseAddress", "value": "https://scim.contoso.example/v2"}]}'
    graph.fault(200, method="PUT", body=echo, applied=True)
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, outputs(result)
    assert json.loads(result.stdout)["targets"][0]["status"] == "applied"
    assert len(graph.puts(SP)) == 1


def test_the_step_summary_cannot_be_forged_by_a_token_claim(tmp_path, authority, graph, env):
    write_profile(tmp_path, application='tenant_id = "11111111-1111-4111-8111-111111111111"\n')
    graph.add_principal(SP, {})
    token = authority.issue_token("x\n\n## all checks passed\x1b[2J\n<img src=x>", audience=graph.url)
    summary = tmp_path / "summary.md"
    env = {**env, "SYNCSECRETS_ACCESS_TOKEN": token, "GITHUB_STEP_SUMMARY": str(summary)}
    result = run_cli(["plan", "--format", "github"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    written = summary.read_text()
    assert "\x1b" not in written
    assert [line for line in written.splitlines() if line.startswith("#")] == ["### syncsecrets plan"]
    assert "\\<img src=x\\>" in written and not re.search(r"(?<!\\)<", written)


def test_the_step_summary_table_escapes_every_cell(tmp_path, graph, env):
    write_profile(tmp_path, "a|b_*c*")
    graph.add_principal(SP, {})
    summary = tmp_path / "summary.md"
    result = run_cli(["plan", "--format", "github"], cwd=tmp_path, env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, outputs(result)
    row = [line for line in summary.read_text().splitlines() if "a\\|b" in line]
    assert row == [f"| configs/a\\|b\\_\\*c\\*.toml |  | {SP} | changes | +SecretToken +BaseAddress +SyncAll |"], (
        summary.read_text()
    )


@pytest.fixture
def no_credential(tmp_path, graph_env) -> dict[str, str]:
    """A machine with no sign-in at all: no `az` on PATH, no AZURE_* settings, and the managed
    identity endpoint on a loopback port where nothing listens."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    (tmp_path / "bin").mkdir()
    (tmp_path / "home").mkdir()
    env = {key: value for key, value in graph_env().items() if not key.startswith("SYNCSECRETS_A")}
    return {
        **env,
        "APP_TOKEN": TOKEN,
        "PATH": str(tmp_path / "bin"),
        "HOME": str(tmp_path / "home"),
        "AZURE_POD_IDENTITY_AUTHORITY_HOST": f"http://127.0.0.1:{port}",
    }


@pytest.mark.parametrize("mode", ["default", "cli"])
def test_no_credential_found_says_so_and_how_to_sign_in(tmp_path, graph, no_credential, mode):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["plan", "--auth", mode], cwd=tmp_path, env=no_credential)  # retries on the `clock`
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "refused" not in result.stderr
    assert f"--auth {mode} found no credential to sign in with" in result.stderr
    assert "az login" in result.stderr
    assert graph.journal == []


def test_an_authority_that_cannot_be_reached_is_named(tmp_path, graph, graph_env):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN, "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{port}"}
    result = run_cli(["plan"], cwd=tmp_path, env=env)  # azure-identity's retries wait on the `clock` fixture
    assert result.exit_code == 4, result.stdout + result.stderr
    assert f"could not reach 127.0.0.1:{port}" in result.stderr, result.stderr


HOSTILE = [
    (faults.gzip_bomb(), {"Content-Encoding": "gzip"}),
    (faults.endless(), {}),
]


@pytest.mark.parametrize(("body", "headers"), HOSTILE, ids=["gzip-bomb", "endless"])
def test_an_authority_answer_past_the_cap_fails_the_sign_in(tmp_path, authority, graph, graph_env, body, headers):
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    authority.fault(200, method="POST", body=body, headers=headers, times=5)
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN}
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, outputs(result)
    assert "the answer is larger than 8 MiB" in result.stderr, result.stderr
    assert graph.journal == []


@pytest.mark.parametrize(("body", "headers"), HOSTILE, ids=["gzip-bomb", "endless"])
def test_a_vault_answer_past_the_cap_fails(tmp_path, keyvault, vault_env, body, headers):
    keyvault.set_secret("scim-token", "canary-vault-5c2e81d7")
    keyvault.fault(200, body=body, headers=headers, times=5)
    write_profile(tmp_path, body=f'secret_token = {{ keyvault = "{keyvault.secret_uri("scim-token")}" }}\n')
    result = run_cli(["compile", "--reveal", "--out", "build", "--allow-unignored-output"], cwd=tmp_path, env=vault_env)
    assert result.exit_code == 4, outputs(result)
    assert "was not read: the answer is larger than 8 MiB" in result.stderr, result.stderr
    assert "canary" not in outputs(result)

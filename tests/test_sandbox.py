"""`syncsecrets sandbox`, as a user runs it: a local Graph seeded from the profiles that plan and
apply talk to through the three variables it prints, stopped with Ctrl-C (exit 0). It is the
tests' own fake Graph (compiler/sandbox), served over http on loopback with its own tokens."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from compiler.commands.sandbox import SANDBOX_TENANT, read_seeds, tenants_in_order
from compiler.sandbox import local, tokens
from compiler.sandbox.local import Sandbox
from compiler.sandbox.schemas import template_schema
from compiler.sandbox.seed import Seed
from compiler.schema.expression import source_of
from tests.helpers import run_cli, run_process, start_sandbox, tree

SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
PROD_SP = "7c1d3f0a-5b2e-4d8f-9a61-3e4b5c6d7e8f"
PROD_TENANT = "3f2b8c1d-4e5a-4b6c-8d7e-9f0a1b2c3d4e"
TOKEN = "scim-bearer-token-for-the-sandbox"
PROFILE = f"""base_address = "https://scim.contoso.example/v2"
secret_token = {{ env = "APP_TOKEN" }}

[application]
service_principal_id = "{SP}"
"""
PROD = f"""
[environments.prod]
base_address = "https://scim.prod.contoso.example/v2"

[environments.prod.application]
service_principal_id = "{PROD_SP}"
tenant_id = "{PROD_TENANT}"
"""


def write_profile(root: Path, text: str = PROFILE) -> None:
    (root / "configs").mkdir(exist_ok=True)
    (root / "configs" / "app.toml").write_text(text)


@pytest.fixture
def sandbox_process() -> Iterator[Callable[..., tuple[subprocess.Popen, dict[str, str]]]]:
    """start(args, cwd) -> (process, exports); whatever a failing test left running is killed."""
    started: list[subprocess.Popen] = []

    def start(args: list[str], cwd: Path) -> tuple[subprocess.Popen, dict[str, str]]:
        process, exports = start_sandbox(args, cwd)
        started.append(process)
        return process, exports

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen, signum: int = signal.SIGINT) -> tuple[int, str, str]:
    process.send_signal(signum)
    # What follows the export lines may already sit in the reader's buffer: read through it
    # (communicate() would read the pipe beneath). stderr is a few lines: no pipe fills up.
    out, err = process.stdout.read(), process.stderr.read()
    return process.wait(timeout=30), out, err


def test_plan_apply_and_a_plan_in_sync_against_the_sandbox_then_ctrl_c(tmp_path: Path, sandbox_process) -> None:
    write_profile(tmp_path)
    before = tree(tmp_path)
    process, exports = sandbox_process([], tmp_path)
    assert sorted(exports) == ["SYNCSECRETS_ACCESS_TOKEN", "SYNCSECRETS_AUTH", "SYNCSECRETS_GRAPH_URL"]
    assert exports["SYNCSECRETS_GRAPH_URL"].startswith("http://127.0.0.1:")
    assert exports["SYNCSECRETS_AUTH"] == "token"
    assert tree(tmp_path) == before  # nothing on disk, the token included
    env = {**exports, "APP_TOKEN": TOKEN}

    plan = run_process(["plan"], cwd=tmp_path, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "+ SecretToken" in plan.stdout and "+ BaseAddress" in plan.stdout  # a new app: no secrets yet
    applied = run_process(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    in_sync = run_process(["plan", "--check"], cwd=tmp_path, env=env)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert "1 in sync" in in_sync.stdout

    code, out, err = stop(process)
    assert code == 0, err
    assert out == ""  # after the export lines, stdout stays quiet
    assert "Traceback" not in err
    assert TOKEN not in out + err + plan.stdout + applied.stdout + in_sync.stdout


def test_sigterm_stops_it_with_exit_0(tmp_path: Path, sandbox_process) -> None:
    write_profile(tmp_path)
    process, exports = sandbox_process([], tmp_path)
    assert len(exports) == 3
    code, _out, err = stop(process, signal.SIGTERM)
    assert code == 0, err


def test_a_port_in_use_is_exit_2_with_what_to_do(tmp_path: Path) -> None:
    write_profile(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_process(["sandbox", "--port", str(port)], cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"sandbox: --port {port}: 127.0.0.1:{port} is in use by another program (another sandbox?): stop it, "
        "choose another port, or leave --port out for a free one"
    )


def test_port_picks_the_port(tmp_path: Path, sandbox_process) -> None:
    write_profile(tmp_path)
    with socket.socket() as probe:  # a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process, exports = sandbox_process(["--port", str(port)], tmp_path)
    assert exports["SYNCSECRETS_GRAPH_URL"] == f"http://127.0.0.1:{port}"
    assert stop(process)[0] == 0


def test_a_bad_profile_is_exit_2_and_nothing_listens(tmp_path: Path) -> None:
    write_profile(tmp_path, PROFILE.replace('base_address = "https://', 'base_address = "ftp://'))
    result = run_process(["sandbox"], cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("configs/app.toml:1:")


# -- what it serves, in this process ---------------------------------------------------------


def test_every_service_principal_of_base_and_environments_is_seeded(tmp_path: Path, monkeypatch) -> None:
    write_profile(tmp_path, PROFILE + PROD)
    monkeypatch.chdir(tmp_path)
    planted, warnings = read_seeds(("configs",))
    assert warnings == []
    assert [item.seed for item in planted] == [Seed(SP), Seed(PROD_SP, "scim", PROD_TENANT)]
    assert [item.where for item in planted] == ["configs/app.toml", "configs/app.toml [prod]"]
    # [job] template_id chooses the template, layered like any field.
    write_profile(tmp_path, PROFILE + PROD + '[environments.prod.job]\ntemplate_id = "Slack"\n')
    assert [item.seed.template_id for item in read_seeds(("configs",))[0]] == ["scim", "Slack"]
    # One token per tenant: the profiles' tenants first, here the only one named.
    assert tenants_in_order(planted) == [PROD_TENANT]
    assert tenants_in_order(planted[:1]) == [SANDBOX_TENANT]


def test_a_seeded_principal_is_a_new_app(tmp_path: Path) -> None:
    served = Sandbox([Seed(SP), Seed(PROD_SP, tenant_id=PROD_TENANT)])
    try:
        assert served.url.startswith("http://127.0.0.1:")
        assert served.graph.lag == 0  # eventual consistency off
        headers = {"Authorization": f"Bearer {served.token(SANDBOX_TENANT)}"}
        base = f"{served.url}/v1.0/servicePrincipals"
        secrets = httpx.get(f"{base}/{SP}/synchronization/secrets", headers=headers)
        assert secrets.status_code == 200 and secrets.json()["value"] == []
        [job] = httpx.get(f"{base}/{SP}/synchronization/jobs", headers=headers).json()["value"]
        assert job["templateId"] == "scim" and job["status"]["code"] == "NotConfigured"
        assert job["id"].startswith("scim.") and job["schedule"]["state"] == "Disabled"  # not started
        [template] = httpx.get(f"{base}/{SP}/synchronization/templates", headers=headers).json()["value"]
        assert template["id"] == "scim"
        schema = httpx.get(f"{base}/{SP}/synchronization/jobs/{job['id']}/schema", headers=headers).json()
        assert schema.pop("@odata.context").endswith("/schema/$entity")  # as Graph annotates it
        assert schema == template_schema("scim")  # the template's, with User and Group mappings
        # A principal pinned to its tenant does not exist for another tenant's token, as on Graph.
        other = httpx.get(f"{base}/{PROD_SP}/synchronization/secrets", headers=headers)
        assert other.status_code == 404
        prod = {"Authorization": f"Bearer {served.token(PROD_TENANT)}"}
        assert httpx.get(f"{base}/{PROD_SP}/synchronization/secrets", headers=prod).status_code == 200
        # Its tokens are worth nothing elsewhere, and another key's token nothing here.
        forged = tokens.sign(tokens.peek(served.token(SANDBOX_TENANT)), b"another key")
        refused = httpx.get(f"{base}/{SP}/synchronization/secrets", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401
        assert served.errors == []
    finally:
        served.stop()


def test_its_journal_keeps_only_the_newest_requests(monkeypatch) -> None:
    # It serves until Ctrl-C: a journal of every request would grow without end (tests keep theirs).
    monkeypatch.setattr(local, "JOURNAL_LIMIT", 3)
    served = Sandbox([Seed(SP)])
    try:
        headers = {"Authorization": f"Bearer {served.token(SANDBOX_TENANT)}"}
        for top in range(5):
            url = f"{served.url}/v1.0/servicePrincipals/{SP}/synchronization/secrets?$top={top + 1}"
            assert httpx.get(url, headers=headers).status_code == 200
        assert [record.query["$top"] for record in served.graph.journal] == ["3", "4", "5"]
        assert served.errors == []
    finally:
        served.stop()


def test_a_stopped_sandbox_says_how_to_get_one_again(tmp_path: Path, clock) -> None:
    # The shell keeps the exports after Ctrl-C: the next plan finds nothing listening there.
    write_profile(tmp_path)
    served = Sandbox([Seed(SP)])
    env = {
        "SYNCSECRETS_GRAPH_URL": served.url,
        "SYNCSECRETS_AUTH": "token",
        "SYNCSECRETS_ACCESS_TOKEN": served.token(SANDBOX_TENANT),
        "APP_TOKEN": TOKEN,
    }
    served.stop()
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert (
        f"no answer from {served.url.removeprefix('http://')}: the connection failed (retried); nothing listens "
        "there: if it was `syncsecrets sandbox`, start it again and export the lines it prints, or unset "
        "SYNCSECRETS_GRAPH_URL to reach Graph"
    ) in result.stdout


def test_the_templates_schema_maps_users_and_groups_with_expressions_graph_would_store() -> None:
    schema = template_schema("scim")
    [rule] = schema["synchronizationRules"]
    targets = {mapping["sourceObjectName"]: mapping["targetObjectName"] for mapping in rule["objectMappings"]}
    assert targets == {
        "User": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "Group": "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    for mapping in rule["objectMappings"]:
        assert [m["targetAttributeName"] for m in mapping["attributeMappings"] if m["matchingPriority"] == 1]
        for attribute in mapping["attributeMappings"]:
            assert source_of(attribute["source"]["expression"]) == attribute["source"]
    assert template_schema("Slack")["id"] == "Slack"
    assert template_schema("scim") == schema  # each call a fresh copy of the same data


def test_another_tenants_token_is_printed_as_a_comment_for_its_environment(tmp_path: Path, sandbox_process) -> None:
    base_tenant = "11111111-1111-4111-8111-111111111111"
    write_profile(tmp_path, PROFILE + f'tenant_id = "{base_tenant}"\n' + PROD)
    process, exports = sandbox_process([], tmp_path)
    code, out, err = stop(process)  # every line is printed before it serves
    assert code == 0, err
    # The exported token is of the first tenant the profiles name (base tables first)...
    assert tokens.peek(exports["SYNCSECRETS_ACCESS_TOKEN"])["tid"] == base_tenant
    # ...and each other tenant's follows as a comment, naming where the profiles use it.
    [comment] = [line for line in out.splitlines() if line.startswith("#")]
    prefix = f"# for tenant {PROD_TENANT} (configs/app.toml [prod]): export SYNCSECRETS_ACCESS_TOKEN="
    assert comment.startswith(prefix)
    assert tokens.peek(comment.removeprefix(prefix))["tid"] == PROD_TENANT


def test_it_runs_from_any_folder_of_the_repository(tmp_path: Path, sandbox_process) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_profile(tmp_path)
    process, exports = sandbox_process([], tmp_path / "configs")
    assert len(exports) == 3
    code, _out, err = stop(process)
    assert code == 0, err
    assert f"service principal {SP} (configs/app.toml)" in err  # named as plan names it, from the root

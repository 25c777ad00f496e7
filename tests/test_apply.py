"""`apply` end to end against the loopback fakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


@pytest.mark.parametrize("semantics", ["merge", "replace"])
def test_apply_sends_the_profile_and_clears_what_it_dropped(tmp_path: Path, graph, env, semantics: str) -> None:
    graph.semantics = semantics
    write_profile(tmp_path, application='keep = ["oauth2_access_token"]\n')
    graph.add_principal(
        SP, {"BaseAddress": "https://old.contoso.example/v2", "UserName": "bob", "Oauth2AccessToken": "portal"}
    )
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.puts(SP) == [
        {
            "value": [
                {"key": "SecretToken", "value": TOKEN},
                {"key": "BaseAddress", "value": "https://scim.contoso.example/v2"},
                {"key": "SyncAll", "value": "True"},
                {"key": "UserName", "value": ""},
            ]
        }
    ]
    stored = graph.pairs(SP)
    assert {k: v for k, v in stored.items() if k != "Oauth2AccessToken"} == {
        "SecretToken": TOKEN,
        "BaseAddress": "https://scim.contoso.example/v2",
        "SyncAll": "True",
    }
    if semantics == "merge":
        assert stored["Oauth2AccessToken"] == "portal"
    assert TOKEN not in result.stdout + result.stderr
    again = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert again.exit_code == 0, again.stdout + again.stderr


def test_without_a_terminal_or_approval_nothing_is_sent(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["apply"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert "apply: needs a terminal to ask for confirmation, or --auto-approve" in result.stderr
    assert graph.journal == []


@pytest.mark.parametrize(("answer", "puts"), [("y\n", 1), ("n\n", 0), ("\n", 0)])
def test_on_a_terminal_apply_asks(tmp_path: Path, graph, env, monkeypatch, answer: str, puts: int) -> None:
    monkeypatch.setattr("compiler.commands.apply.is_terminal", lambda: True)
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["apply"], cwd=tmp_path, env=env, input=answer)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Apply to 1 service principal? [y/N] " in result.stderr
    assert len(graph.puts(SP)) == puts
    if not puts:
        assert "Nothing was applied." in result.stderr


def test_changed_only_skips_targets_in_sync(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    in_sync = {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "old", "SyncAll": "True"}
    graph.add_principal(SP, dict(in_sync))
    graph.add_principal(SP2, {})
    result = run_cli(["apply", "--auto-approve", "--changed-only"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.puts(SP) == [] and len(graph.puts(SP2)) == 1
    assert graph.pairs(SP)["SecretToken"] == "old"  # a masked secret is not re-sent
    assert result.stdout.endswith("Apply: 2 service principals: 1 applied, 1 skipped (in sync)\n")
    everything = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert everything.exit_code == 0
    assert graph.pairs(SP)["SecretToken"] == TOKEN  # without --changed-only, a rotated secret reaches the tenant


def test_one_failing_target_does_not_stop_the_others(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    graph.fault(403, method="PUT", sp_id=SP, code="Authorization_RequestDenied", message="Insufficient privileges.")
    result = run_cli(["apply", "--auto-approve", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    statuses = {target["profile"]: target["status"] for target in report["targets"]}
    assert statuses == {"configs/a.toml": "failed", "configs/b.toml": "applied"}
    error = report["targets"][0]["error"]
    assert error.startswith("PUT refused: HTTP 403: Authorization_RequestDenied: Insufficient privileges.")
    assert "request-id" in error
    assert graph.pairs(SP2)["SecretToken"] == TOKEN


def test_apply_waits_for_the_tenant_to_show_the_put(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.lag = 2
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    gets_after_put = [r.method for r in graph.journal][2:]
    assert gets_after_put == ["GET", "GET", "GET"]


def test_a_tenant_that_never_shows_the_put_fails_that_target(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.lag = 1000
    result = run_cli(["apply", "--auto-approve", "--wait", "1"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert "the PUT was accepted, but after 1 s the tenant does not show the profile yet" in result.stdout


def test_a_body_holding_a_mask_is_never_sent(tmp_path: Path, graph, env, monkeypatch) -> None:
    from compiler.graph import applying

    monkeypatch.setattr(applying, "put_body", lambda pairs, actions: [("SecretToken", "*")])
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 3
    assert "internal error (RuntimeError" in result.stderr
    assert graph.puts(SP) == []


def test_saved_plan_is_applied_only_while_current(tmp_path: Path, graph, env) -> None:
    profile = write_profile(tmp_path)
    graph.add_principal(SP, {"InstanceName": "old"})
    saved = run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env)
    assert saved.exit_code == 0, saved.stderr
    text = (tmp_path / "plan.json").read_text()
    assert TOKEN not in text
    document = json.loads(text)
    assert document["graph"] == {"root": graph.url, "api": "v1.0"}
    assert document["tenant"] == "11111111-1111-4111-8111-111111111111"
    assert {a["key"]: a["action"] for a in document["targets"][0]["actions"]} == {
        "InstanceName": "clear",
        "SecretToken": "add",
        "BaseAddress": "add",
        "SyncAll": "add",
    }

    # The tenant moved: stale, nothing sent.
    graph.add_principal(SP, {"InstanceName": "newer"})
    stale = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert stale.exit_code == 2 and "the plan is stale: configs/app.toml: the tenant's secrets" in stale.stderr
    assert graph.puts(SP) == []

    # The profile moved: stale too.
    graph.add_principal(SP, {"InstanceName": "old"})
    profile.write_text(profile.read_text().replace("sync_all = true", "sync_all = false"))
    stale = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert stale.exit_code == 2 and "configs/app.toml: the profile changed" in stale.stderr
    assert graph.puts(SP) == []

    # Back as planned: applied without asking, a rotated secret behind the same reference included.
    profile.write_text(profile.read_text().replace("sync_all = false", "sync_all = true"))
    done = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env={**env, "APP_TOKEN": "rotated-token"})
    assert done.exit_code == 0, done.stdout + done.stderr
    assert graph.pairs(SP)["SecretToken"] == "rotated-token" and "InstanceName" not in graph.pairs(SP)


def test_a_saved_plan_that_is_not_one_is_exit_2(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    (tmp_path / "plan.json").write_text('{"format": "something-else"}')
    result = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 2 and "plan.json: is not a saved plan" in result.stderr
    assert graph.journal == []


def test_apply_github_report_and_step_summary(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    summary = tmp_path / "summary.md"
    result = run_cli(
        ["apply", "--auto-approve", "--format", "github"],
        cwd=tmp_path,
        env={**env, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith(
        f"::notice file=configs/app.toml,title=syncsecrets apply%3A configs/app.toml -> {SP} (applied)::"
    )
    assert "### syncsecrets apply" in summary.read_text() and f"| {SP} | applied |" in summary.read_text()


def test_a_lost_reply_to_a_put_is_retried_and_confirmed(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(0, method="PUT", applied=True)  # the PUT lands, its reply is lost
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(graph.puts(SP)) == 2 and graph.pairs(SP)["SecretToken"] == TOKEN


def test_graph_errors_nested_in_the_message_are_unwrapped(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    nested = json.dumps({"code": "InvalidCredentials", "message": "The SCIM endpoint refused the token."})
    graph.fault(400, method="PUT", code="UnknownError", message=nested)
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4
    assert (
        "! error: PUT refused: HTTP 400: UnknownError: InvalidCredentials: The SCIM endpoint refused the token. "
        in (result.stdout)
    )


def test_a_saved_plan_whose_tenant_cannot_be_read_fails_that_target(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {})
    graph.add_principal(SP2, {})
    assert run_cli(["plan", "--save", "plan.json"], cwd=tmp_path, env=env).exit_code == 0
    graph.fault(404, method="GET", sp_id=SP2)
    result = run_cli(["apply", "--plan", "plan.json"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert len(graph.puts(SP)) == 1 and graph.puts(SP2) == []
    assert result.stdout.endswith("Apply: 2 service principals: 1 applied, 1 failed\n")


@pytest.mark.parametrize(
    ("wait", "waits"),
    [
        (0, []),
        (1, [0.5]),
        (3.5, [0.5, 1, 2]),
        (30, [0.5, 1, 2, 4, 5, 5, 5, 5]),  # doubling, at most 5 s apart
    ],
)
def test_the_read_back_doubles_its_wait_up_to_five_seconds(monkeypatch, wait: float, waits: list[float]) -> None:
    import threading
    from types import SimpleNamespace

    from compiler.body.mapper import OutPair
    from compiler.graph import applying
    from compiler.graph.planning import FAILED, SENT, TargetPlan
    from compiler.graph.targets import Target
    from tests.fakes.clock import FakeClock

    clock = FakeClock()
    reads: list[float | None] = []
    monkeypatch.setattr(applying, "time", SimpleNamespace(monotonic=lambda: 100.0))  # the wall, for the GETs
    monkeypatch.setattr(applying, "write_secrets", lambda client, sp, body: None)
    monkeypatch.setattr(applying, "read_secrets", lambda client, sp, ends=None: reads.append(ends) or [])
    target = Target("configs/app.toml", None, SP, None, (), None, [OutPair("SyncAll", "true")], "digest")
    plan = TargetPlan(target, SENT)
    applying.apply_target(SimpleNamespace(stop=threading.Event(), clock=clock), plan, [("SyncAll", "true")], wait)
    assert clock.sleeps == waits
    assert plan.status == FAILED
    assert plan.error.startswith(f"the PUT was accepted, but after {wait:g} s the tenant does not show the profile")
    # Each GET may take until the wait ends, and never less than SHORTEST_READ after the PUT.
    assert reads == [100.0 + max(wait, applying.SHORTEST_READ)] * (len(waits) + 1)


def test_apply_that_can_read_no_tenant_sends_nothing_and_says_so(tmp_path: Path, graph, env) -> None:
    write_profile(tmp_path)
    graph.add_principal(SP, {})
    graph.fault(403, method="GET")
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert graph.puts(SP) == []
    # No PUT was due: the summary is the plan's, not "0 applied".
    assert result.stdout.splitlines()[-1] == (
        "Plan: 1 service principal: 0 to update (keys: 0 to add, 0 to change, 0 to clear), 0 in sync, 1 failed"
    )

"""plan and apply as users run them: real processes, Ctrl-C, SIGKILL, start-up cost, the canary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import modules_loaded_by_compile, run_cli, run_process
from tests.test_plan import TOKEN, write_profile

PRINCIPALS = [f"00000000-0000-4000-8000-{index:012d}" for index in range(12)]


def many_profiles(root: Path, graph) -> None:
    for index, principal in enumerate(PRINCIPALS):
        write_profile(root, f"app-{index:02d}", sp=principal)
        graph.add_principal(principal, {"InstanceName": "old"})


def test_compile_does_not_import_the_remote_machinery(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.toml").write_text('base_address = "https://scim.contoso.example/v2"\n')
    remote = ("httpx", "azure", "msal", "httpcore", "compiler.graph", "compiler.sandbox")
    assert modules_loaded_by_compile(tmp_path, remote) == []


def test_plan_and_apply_in_real_processes(tmp_path: Path, graph, graph_env) -> None:
    write_profile(tmp_path)
    graph.add_principal(PRINCIPALS[0], {})
    write_profile(tmp_path, sp=PRINCIPALS[0])
    env = {**graph_env(token=False), "APP_TOKEN": TOKEN}
    plan = run_process(["plan", "--check"], cwd=tmp_path, env=env)
    assert plan.returncode == 1, plan.stdout + plan.stderr
    applied = run_process(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert graph.pairs(PRINCIPALS[0])["SecretToken"] == TOKEN
    again = run_process(["plan", "--check"], cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    for result in (plan, applied, again):
        assert TOKEN not in result.stdout + result.stderr


def _start_apply(root: Path, env: dict[str, str]) -> subprocess.Popen:
    full = {key: value for key, value in os.environ.items() if not key.startswith("SYNCSECRETS")}
    full.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "compiler", "apply", "--auto-approve", "--jobs", "1"],
        cwd=root,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _caught_in_third_put(graph) -> tuple:
    """Holds the third PUT at the fake; (arrived, release) as FakeGraph.hold returns them."""
    return graph.hold("PUT", after=2)


def test_ctrl_c_starts_no_new_put_and_reports_what_was_applied(tmp_path: Path, graph, graph_env) -> None:
    many_profiles(tmp_path, graph)
    arrived, release = _caught_in_third_put(graph)
    process = _start_apply(tmp_path, {**graph_env(), "APP_TOKEN": TOKEN})
    assert arrived.wait(60), "no third PUT arrived"
    process.send_signal(signal.SIGINT)
    release.set()  # the PUT in flight finishes
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    sent = {record.path.split("/")[3] for record in graph.journal if record.method == "PUT"}
    assert sent == set(PRINCIPALS[:3])
    for principal in PRINCIPALS:
        if principal in sent:
            assert f"-> {principal}: applied" in stdout or f"-> {principal}: sent, not confirmed" in stdout
        else:
            assert graph.pairs(principal) == {"InstanceName": "old"}
    assert "not started" in stdout and stdout.rstrip().endswith("; interrupted")


def test_sigkill_during_apply_leaves_nothing_local_and_plan_shows_the_truth(tmp_path: Path, graph, graph_env) -> None:
    many_profiles(tmp_path, graph)
    env = {**graph_env(), "APP_TOKEN": TOKEN}
    before = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*"))
    arrived, release = _caught_in_third_put(graph)
    process = _start_apply(tmp_path, env)
    assert arrived.wait(60), "no third PUT arrived"
    process.kill()
    process.communicate(timeout=30)
    release.set()  # the tenant takes the PUT whose sender was killed
    deadline = time.monotonic() + 30
    while sum(record.method == "PUT" for record in graph.journal) < 3:  # recorded once it took effect
        assert time.monotonic() < deadline, "the held PUT was not taken"
        time.sleep(0.01)
    assert sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*")) == before
    plan = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    import json

    statuses = {target["service_principal_id"]: target["status"] for target in json.loads(plan.stdout)["targets"]}
    for principal in PRINCIPALS:
        expected = "in-sync" if "SecretToken" in graph.pairs(principal) else "changes"
        assert statuses[principal] == expected
    assert list(statuses.values()).count("in-sync") == 3  # the third: the PUT in flight when killed


def test_sigterm_during_apply_is_reported_like_ctrl_c(tmp_path: Path, graph, graph_env) -> None:
    many_profiles(tmp_path, graph)
    arrived, release = _caught_in_third_put(graph)
    process = _start_apply(tmp_path, {**graph_env(), "APP_TOKEN": TOKEN})
    assert arrived.wait(60), "no third PUT arrived"
    process.send_signal(signal.SIGTERM)
    release.set()
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stdout + stderr
    sent = {record.path.split("/")[3] for record in graph.journal if record.method == "PUT"}
    assert sent == set(PRINCIPALS[:3])
    assert "not started" in stdout and stdout.rstrip().endswith("; interrupted")

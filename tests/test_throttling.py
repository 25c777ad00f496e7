"""`apply` against a Graph that throttles: every target gets through, paced by Graph.

The fake Graph limits the rate (a token bucket: 429 with Retry-After beyond it); it and the
client share the `clock` fixture, so the waits take no real time and happen in their real order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import TOKEN, write_profile

TARGETS = 40


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


def principal(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def many_targets(root: Path, graph) -> list[str]:
    ids = [principal(index) for index in range(TARGETS)]
    for index, sp in enumerate(ids):
        write_profile(root, f"app-{index:02d}", sp=sp)
        graph.add_principal(sp, {"BaseAddress": "https://old.contoso.example/v2"})
    return ids


def test_a_sustained_rate_limit_fails_no_target(tmp_path: Path, graph, env, clock) -> None:
    ids = many_targets(tmp_path, graph)
    graph.limit_rate(5)
    result = run_cli(["apply", "--auto-approve", "--jobs", "4"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert all(graph.pairs(sp)["BaseAddress"] == "https://scim.contoso.example/v2" for sp in ids)
    statuses = [record.status for record in graph.journal]
    # Read, write, read back: each answered once, however often it was throttled first.
    assert len(statuses) - statuses.count(429) == 3 * TARGETS
    assert statuses.count(429) > 0 and set(statuses) == {200, 204, 429}


def test_one_job_under_a_rate_limit_is_paced_by_graph_alone(tmp_path: Path, graph, env, clock) -> None:
    """5 requests a second, 120 to send: five at once, then a 429 (Retry-After: 1), which takes a
    token too, then four a second, each group after one 429 and one second's wait: 29 waits of one
    second, nothing more."""
    many_targets(tmp_path, graph)
    graph.limit_rate(5)
    result = run_cli(["apply", "--auto-approve", "--jobs", "1"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    statuses = [record.status for record in graph.journal]
    assert (len(statuses), statuses.count(429)) == (3 * TARGETS + 29, 29)
    assert clock.sleeps == [1.0] * 29


def test_a_burst_of_429_fails_no_target(tmp_path: Path, graph, env, clock) -> None:
    """Every worker's requests throttled many times over (more than five tries each): the
    waiting budget, not a count of tries, decides when to give up."""
    ids = many_targets(tmp_path, graph)
    graph.fault(429, times=40, retry_after=1)
    result = run_cli(["apply", "--auto-approve", "--jobs", "4"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert all(graph.pairs(sp)["BaseAddress"] == "https://scim.contoso.example/v2" for sp in ids)
    assert [record.status for record in graph.journal].count(429) == 40
    assert graph.pending_faults == []

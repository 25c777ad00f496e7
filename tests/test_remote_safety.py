"""The remote commands act on the tenant objects the profiles name, and on nothing else: the
environment's own service principals, exactly what a saved plan says, the tenant guard before
any request (Key Vault included), and every target reported when one of them is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, SP2, TOKEN, write_profile


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


# -- one refused target does not hide the others -----------------------------------------------
@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
def test_a_key_graph_cannot_clear_is_reported_with_every_other_target(tmp_path: Path, graph, env, command) -> None:
    write_profile(tmp_path, "a")
    write_profile(tmp_path, "b", sp=SP2)
    graph.add_principal(SP, {"SyncNotificationSettings": '{"Enabled":true}'})
    graph.add_principal(SP2, {"UserName": "bob"})
    result = run_cli(command, cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "configs/a.toml: SyncNotificationSettings: is set on the tenant" in result.stderr
    assert f"~ configs/a.toml -> {SP} (3 to add, 1 to clear)\n" in result.stdout
    assert f'~ configs/b.toml -> {SP2} (3 to add, 1 to clear)\n  - UserName: "bob"' in result.stdout
    assert result.stderr.endswith("syncsecrets: 1 error; nothing was sent\n")
    assert [record.method for record in graph.journal] == ["GET", "GET"]

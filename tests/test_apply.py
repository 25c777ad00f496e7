"""`apply` end to end against the loopback fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_plan import SP, TOKEN, write_profile


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

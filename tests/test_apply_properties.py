"""Property: whatever the tenant holds and whatever the profile says, after `apply` the next
`plan` is in sync, whether Graph's PUT merges or replaces, and kept keys survive a merge."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.catalog.keys import BY_GRAPH
from tests.helpers import run_cli

SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
TEXT_KEYS = ["UserName", "InstanceName", "SandboxName", "Server", "SystemOfRecord"]
BOOLEAN_KEYS = ["SyncAll", "SkipOutOfScopeDeletions", "Sandbox"]
SECRET_KEYS = ["SecretToken", "Password"]
KEPT = "Oauth2AccessToken"
WORD = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,15}", fullmatch=True)
URL = st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,6}", fullmatch=True)


@st.composite
def profiles(draw) -> tuple[dict[str, object], bool]:
    values: dict[str, object] = {}
    for key in draw(st.lists(st.sampled_from(TEXT_KEYS), unique=True)):
        values[key] = draw(WORD)
    for key in draw(st.lists(st.sampled_from(BOOLEAN_KEYS), unique=True)):
        values[key] = draw(st.booleans())
    for key in draw(st.lists(st.sampled_from(SECRET_KEYS), unique=True)):
        values[key] = {"env": f"SECRET_{key.upper()}"}
    if draw(st.booleans()):
        values["BaseAddress"] = draw(URL)
    return values, draw(st.booleans())  # and whether it keeps the portal's token


@st.composite
def tenants(draw) -> dict[str, str]:
    state: dict[str, str] = {}
    for key in draw(st.lists(st.sampled_from(TEXT_KEYS + SECRET_KEYS + ["BaseAddress", KEPT]), unique=True)):
        state[key] = draw(st.one_of(WORD, st.just("")))
    for key in draw(st.lists(st.sampled_from(BOOLEAN_KEYS), unique=True)):
        state[key] = draw(st.sampled_from(["True", "False", "true", "false", "TRUE", ""]))
    return state


def _toml(values: dict[str, object], keep: bool) -> str:
    lines = []
    for key, value in values.items():
        friendly = BY_GRAPH[key].friendly
        if isinstance(value, dict):
            lines.append(f'{friendly} = {{ env = "{value["env"]}" }}')
        elif isinstance(value, bool):
            lines.append(f"{friendly} = {'true' if value else 'false'}")
        else:
            lines.append(f'{friendly} = "{value}"')
    lines += ["[application]", f'service_principal_id = "{SP}"']
    if keep:
        lines.append('keep = ["oauth2_access_token"]')
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=profiles(), tenant=tenants(), semantics=st.sampled_from(["merge", "replace"]))
def test_after_apply_the_tenant_is_in_sync(graph, graph_env, profile, tenant, semantics) -> None:
    values, keep = profile
    graph.semantics = semantics
    graph.add_principal(SP, dict(tenant))
    env = {**graph_env(), "SECRET_SECRETTOKEN": "token-value", "SECRET_PASSWORD": "password-value"}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "configs").mkdir()
        (root / "configs" / "app.toml").write_text(_toml(values, keep))
        applied = run_cli(["apply", "--auto-approve", "--wait", "0"], cwd=root, env=env)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        again = run_cli(["plan", "--check"], cwd=root, env=env)
        assert again.exit_code == 0, again.stdout + again.stderr
    stored = graph.pairs(SP)
    wanted = {key: value for key, value in values.items() if not isinstance(value, dict)}
    for key, value in wanted.items():
        assert stored[key] == (("True" if value else "False") if isinstance(value, bool) else value)
    for key in SECRET_KEYS:
        if key in values:
            assert stored[key] in ("token-value", "password-value")
    extra = set(stored) - set(values) - {KEPT}
    assert not {key for key in extra if stored[key]}, stored  # everything else was cleared
    if keep and semantics == "merge" and tenant.get(KEPT):
        assert stored[KEPT] == tenant[KEPT]

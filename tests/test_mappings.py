"""`[mappings.*]` end to end: plan, apply and import --from-tenant against the fake Graph's schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from compiler.sandbox.schemas import template_schema
from compiler.schema.overlay import object_mappings
from tests.helpers import run_cli

SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
JOB = "scim.0123456789abcdef0123456789abcdef.2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
TOKEN = "canary-scim-token-5e1f0c"
PAIRS = {"BaseAddress": "https://scim.contoso.example/v2", "SecretToken": "x"}
SECRETS = 'base_address = "https://scim.contoso.example/v2"\nsecret_token = { env = "APP_TOKEN" }\n'
SCHEMA = f"/synchronization/jobs/{JOB}/schema"


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


@pytest.fixture
def tenant(graph):
    graph.add_principal(SP, PAIRS)
    graph.add_job(SP, JOB, "scim")
    return graph


def write(root: Path, mappings: str, name: str = "app") -> Path:
    (root / "configs").mkdir(exist_ok=True)
    path = root / "configs" / f"{name}.toml"
    path.write_text(f'{SECRETS}\n[application]\nservice_principal_id = "{SP}"\n\n{mappings}')
    return path


def actions(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.stderr  # plan without --check
    report = json.loads(result.stdout)
    return {
        action["key"]: action for action in report["targets"][0]["actions"] if action["key"].startswith("mappings.")
    }


def user(schema: dict) -> dict:
    return next(m for key, m in object_mappings(schema) if key[1] == "User")


def attribute(schema: dict, target: str) -> dict:
    return next(a for a in user(schema)["attributeMappings"] if a["targetAttributeName"] == target)


EVERY_ACTION = """[mappings.User]
externalId = "[objectId]"
nickName = "ToLower([mailNickname])"
title = false
displayName = "[displayName]"
userName = { source = "Replace([userPrincipalName], \\"@contoso.com\\", , , \\"\\", , )", matching = 1 }
scope = [[["department", "EQUALS", "Sales"]]]

[mappings.Group]
enabled = false
"""


def test_plan_shows_every_action_with_its_flags(tmp_path, tenant, env) -> None:
    write(tmp_path, EVERY_ACTION)
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    found = actions(result)
    assert {key: (a["action"], a.get("flags", [])) for key, a in found.items()} == {
        "mappings.User.externalId": ("change", ["resync"]),
        "mappings.User.nickName": ("add", ["resync"]),
        "mappings.User.title": ("remove", ["resync"]),
        "mappings.User.displayName": ("same", []),
        "mappings.User.userName": ("change", ["resync", "may-deprovision"]),
        "mappings.User.scope": ("change", ["resync", "may-deprovision"]),
        "mappings.Group.enabled": ("change", ["resync", "may-deprovision"]),
    }
    assert found["mappings.User.externalId"]["old"] == "[mailNickname]"
    assert found["mappings.User.externalId"]["new"] == "[objectId]"
    assert json.loads(result.stdout)["targets"][0]["status"] == "changes"
    assert {record.method for record in tenant.journal} == {"GET"}  # plan changes nothing


def test_plan_text_shows_old_and_new_and_the_flags_in_words(tmp_path, tenant, env) -> None:
    write(tmp_path, EVERY_ACTION)
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  ~ mappings.User.externalId: [mailNickname] -> [objectId]  [re-evaluates every user]" in lines
    assert (
        "  ~ mappings.Group.enabled: true -> false  [re-evaluates every group, may remove groups from the app]" in lines
    )
    assert "  - mappings.User.title: [jobTitle]  [re-evaluates every user]" in lines
    assert not any("displayName" in line for line in lines)  # same: not shown
    github = run_cli(["plan", "--format", "github"], cwd=tmp_path, env=env)
    assert "may remove users from the app" in github.stdout


def test_plan_check_counts_mapping_changes(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    assert run_cli(["plan", "--check"], cwd=tmp_path, env=env).exit_code == 1
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    assert run_cli(["plan", "--check"], cwd=tmp_path, env=env).exit_code == 0


def test_drift_on_what_the_overlay_does_not_name_is_a_change_back_to_the_template(tmp_path, tenant, env) -> None:
    drifted = template_schema("scim")
    attribute(drifted, "title")["source"] = {"expression": "[department]", "name": "department", "parameters": [],
                                             "type": "Attribute"}  # fmt: skip
    tenant.set_schema(SP, JOB, drifted)
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    found = actions(run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env))
    assert found["mappings.User.title"] == {"key": "mappings.User.title", "action": "change", "old": "[department]",
                                            "new": "[jobTitle]", "masked": False, "flags": ["resync"]}  # fmt: skip
    assert found["mappings.User.externalId"]["action"] == "same"


def test_apply_puts_the_whole_schema_once_then_plan_is_in_sync(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\nnickName = "ToLower([mailNickname])"\n')
    before = tenant.schema(SP, JOB)
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    puts = tenant.requests("PUT", SCHEMA)
    assert len(puts) == 1 and not tenant.requests("PATCH", SCHEMA)
    sent = puts[0].body
    assert sent["directories"] == before["directories"] and sent["version"] == before["version"]
    assert sent["synchronizationRules"][0]["containerFilter"] == before["synchronizationRules"][0]["containerFilter"]
    after = tenant.schema(SP, JOB)
    assert attribute(after, "externalId")["source"]["expression"] == "[objectId]"
    assert attribute(after, "nickName")["source"]["name"] == "ToLower"
    assert run_cli(["plan", "--check"], cwd=tmp_path, env=env).exit_code == 0
    # nothing else moved: the other attribute mappings are the template's
    unchanged = {a["targetAttributeName"]: a for a in user(before)["attributeMappings"]}
    for item in user(after)["attributeMappings"]:
        if item["targetAttributeName"] not in ("externalId", "nickName"):
            assert item == unchanged[item["targetAttributeName"]]


def test_apply_of_secrets_in_sync_and_mappings_in_sync_sends_no_schema(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    assert run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env).exit_code == 0
    assert tenant.requests("PUT", SCHEMA) == []


def test_may_deprovision_needs_allow_deprovision_and_nothing_is_sent_without_it(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nscope = [[["department", "EQUALS", "Sales"]]]\n')
    refused = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert refused.exit_code == 2
    assert "configs/app.toml: may remove users from the app (mappings.User.scope): review the plan, then apply with " \
           "--allow-deprovision" in refused.stderr  # fmt: skip
    assert [record.method for record in tenant.journal if record.method != "GET"] == []
    allowed = run_cli(["apply", "--auto-approve", "--allow-deprovision"], cwd=tmp_path, env=env)
    assert allowed.exit_code == 0, allowed.stderr
    assert user(tenant.schema(SP, JOB))["scope"]["groups"][0]["clauses"][0]["operatorName"] == "EQUALS"
    assert run_cli(["plan", "--check"], cwd=tmp_path, env=env).exit_code == 0


def test_a_widening_scope_needs_no_flag(tmp_path, tenant, env) -> None:
    narrowed = template_schema("scim")
    user(narrowed)["scope"] = {"groups": [{"clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]}  # fmt: skip
    tenant.set_schema(SP, JOB, narrowed)
    write(tmp_path, "[mappings.User]\nscope = []\n")
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    assert user(tenant.schema(SP, JOB))["scope"]["groups"] == []


def test_an_object_mapping_the_template_lacks_is_exit_2_at_its_line(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.Device]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert (
        "configs/app.toml:7:11: mappings.Device: the template has no object mapping 'Device'; it has: Group, User"
        in result.stderr
    )
    removal = write(tmp_path, "[mappings.User]\nnoSuchAttribute = false\n")
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert f"{removal.relative_to(tmp_path)}:8:1: mappings.User.noSuchAttribute: the template maps no" in result.stderr
    assert [record.method for record in tenant.journal if record.method != "GET"] == []


def test_several_jobs_need_job_id(tmp_path, tenant, env) -> None:
    tenant.add_job(SP, "scim.other", "scim")
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2
    assert "name one in [application] job_id" in result.stderr


def test_a_comparison_is_built_by_graphs_parse_expression(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\ntitle = \'IIF([department]="Sales", "Seller", [jobTitle])\'\n')
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    asked = tenant.requests("POST", SCHEMA + "/parseExpression")
    assert [record.body["expression"] for record in asked][:1] == ['IIF([department]="Sales", "Seller", [jobTitle])']
    assert attribute(tenant.schema(SP, JOB), "title")["source"]["name"] == "IIF"


def test_a_large_schema_is_carried_through_unchanged_in_meaning(tmp_path, tenant, env) -> None:
    large = large_schema(40)
    tenant.schemas.templates["scim"] = copy.deepcopy(large)
    tenant.set_schema(SP, JOB, large)
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    assert run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env).exit_code == 0
    after = tenant.schema(SP, JOB)
    attribute(after, "externalId")["source"] = attribute(large, "externalId")["source"]
    assert canonical(after, version=False) == canonical(large, version=False)


def test_import_from_tenant_writes_the_mappings_and_the_next_plan_is_in_sync(tmp_path, tenant, env) -> None:
    drifted = template_schema("scim")
    user(drifted)["attributeMappings"] = [
        a for a in user(drifted)["attributeMappings"] if a["targetAttributeName"] != "title"
    ]
    attribute(drifted, "externalId")["source"] = {"expression": "[objectId]", "name": "objectId", "parameters": [],
                                                  "type": "Attribute"}  # fmt: skip
    user(drifted)["scope"] = {"groups": [{"clauses": [
        {"operatorName": "IS TRUE", "sourceOperandName": "accountEnabled", "targetOperand": {"values": []}}]}]}  # fmt: skip
    tenant.set_schema(SP, JOB, drifted)
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "configs" / "app.toml").read_text()
    assert (
        '[mappings.User]\nscope = [[["accountEnabled", "IS TRUE"]]]\nexternalId = "[objectId]"\ntitle = false\n' in text
    )
    env = {**env, "APP_SECRET_TOKEN": TOKEN}
    check = run_cli(["plan", "--check"], cwd=tmp_path, env=env)
    assert check.exit_code == 0, check.stdout + check.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_no_secret_in_any_output(tmp_path, tenant, env, fmt) -> None:
    write(tmp_path, EVERY_ACTION)
    for command in (["plan"], ["apply", "--auto-approve", "--allow-deprovision"]):
        result = run_cli([*command, "--format", fmt], cwd=tmp_path, env=env)
        assert result.exit_code == 0, result.stderr
        assert TOKEN not in result.stdout + result.stderr
    assert all(TOKEN not in json.dumps(record.body) for record in tenant.journal if "/schema" in record.path)


def large_schema(copies: int) -> dict:
    """The SCIM template with `copies` more object mappings (each a copy of User's, for another
    target object) and fields no document describes: a schema of real size and shape."""
    schema = template_schema("scim")
    rule = schema["synchronizationRules"][0]
    template = rule["objectMappings"][0]
    for number in range(copies):
        extra = copy.deepcopy(template)
        extra["targetObjectName"] = f"urn:contoso:scim:Extra{number}"
        extra["name"] = f"Provision extra {number}"
        extra["futureSetting"] = {"level": number, "apiExpressions": [{"key": "k", "value": "v"}]}
        rule["objectMappings"].append(extra)
    schema["directories"][0]["objects"][0]["attributes"] += [
        {"name": f"extension_00000000000000000000000000000000_attr{n}", "type": "String", "apiExpressions": []}
        for n in range(200)
    ]
    return schema


def canonical(schema: dict, version: bool = True) -> str:
    """The schema as Graph means it: attribute mappings in any order, the version aside."""
    schema = copy.deepcopy(schema)
    if not version:
        schema.pop("version", None)
    for _key, mapping in object_mappings(schema):
        mapping["attributeMappings"] = sorted(mapping["attributeMappings"], key=lambda a: a["targetAttributeName"])
    return json.dumps(schema, sort_keys=True)


def test_the_json_report_with_mapping_actions_fits_its_schema(tmp_path, tenant, env) -> None:
    import jsonschema

    from tests.helpers import REPO

    schema = json.loads((REPO / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    write(tmp_path, EVERY_ACTION)
    for command in (["plan"], ["apply", "--auto-approve", "--allow-deprovision"]):
        report = json.loads(run_cli([*command, "--format", "json"], cwd=tmp_path, env=env).stdout)
        assert [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(report)] == []


def test_with_job_a_new_job_gets_the_mappings_between_the_secrets_and_its_start(tmp_path, graph, env) -> None:
    graph.add_principal(SP, PAIRS)  # no job yet: [job] creates it, from its template's schema
    write(tmp_path, '[job]\ntemplate_id = "scim"\n\n[mappings.User]\nexternalId = "[objectId]"\n')
    planned = actions(run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env))
    assert planned["mappings.User.externalId"]["action"] == "change"
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    calls = graph.calls(SP)
    assert calls.index("PUT secrets") < calls.index("PUT schema") < calls.index("POST start")
    (job_id,) = graph.jobs(SP)
    assert attribute(graph.schema(SP, job_id), "externalId")["source"]["expression"] == "[objectId]"
    assert run_cli(["plan", "--check"], cwd=tmp_path, env=env).exit_code == 0


@pytest.mark.parametrize(
    "hostile",
    [
        {"synchronizationRules": "not a list"},
        {"synchronizationRules": [{"objectMappings": [{"attributeMappings": ["not a mapping"]}]}]},
        {"synchronizationRules": [{"objectMappings": [{"targetObjectName": "User", "scope": {"groups": [7]}}]}]},
    ],
)
def test_a_schema_answer_that_is_not_a_schema_fails_its_target(tmp_path, tenant, env, hostile) -> None:
    tenant.set_schema(SP, JOB, hostile)
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "is not a synchronization schema" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_team_mapping_set_through_extends_with_an_environments_override(tmp_path, tenant, env) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "_team.toml").write_text(
        '[mappings.User]\nexternalId = "[objectId]"\ntitle = "ToUpper([jobTitle])"\n'
    )
    (tmp_path / "configs" / "app.toml").write_text(
        f'extends = "_team.toml"\n{SECRETS}\n[environments.prod.application]\nservice_principal_id = "{SP}"\n\n'
        "[environments.prod.mappings.User]\ntitle = false\n"
    )
    found = actions(run_cli(["plan", "--env", "prod", "--format", "json"], cwd=tmp_path, env=env))
    assert {key: a["action"] for key, a in found.items()} == {
        "mappings.User.externalId": "change",  # the team's
        "mappings.User.title": "remove",  # the environment's, over the team's
    }

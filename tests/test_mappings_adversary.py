"""`[mappings.*]` against hostile tenants and careless profiles: real CLI runs against the fake."""

from __future__ import annotations

import json

import pytest

from compiler.sandbox.schemas import template_schema
from tests.helpers import run_cli
from tests.test_mappings import JOB, PAIRS, SCHEMA, SP, TOKEN, attribute, user, write


@pytest.fixture
def env(graph_env) -> dict[str, str]:
    return {**graph_env(), "APP_TOKEN": TOKEN}


@pytest.fixture
def tenant(graph):
    graph.add_principal(SP, PAIRS)
    graph.add_job(SP, JOB, "scim")
    return graph


def changed_job_schema(tenant, change) -> dict:
    schema = template_schema("scim")
    change(schema)
    tenant.set_schema(SP, JOB, schema)
    return schema


def no_deletes(schema: dict) -> None:
    mapping = user(schema)
    mapping["flowTypes"] = "Add, Update"  # an admin turned deletes off in the portal
    mapping["metadata"] = [{"key": "excludeFromReporting", "value": "true"}, {"key": "Beta", "value": "kept"}]
    mapping["scope"] = {"groups": [], "inputFilterGroups": [{"name": "cloud-sync"}], "categoryFilterGroups": []}
    mapping["betaOnly"] = {"kept": True}
    attribute(schema, "title")["flowBehavior"] = "FlowAlways"
    attribute(schema, "title")["betaField"] = 7


def test_the_schema_put_keeps_what_the_plan_did_not_show(tmp_path, tenant, env) -> None:
    """An object mapping's fields the overlay does not manage (flowTypes, metadata, the Cloud
    Sync filters, unknown fields) and an unchanged attribute mapping's unshown fields go back as
    the job had them: the plan showed no change to them, so the PUT makes none (a template's
    `Add, Update, Delete` sent silently over a job's `Add, Update` would deprovision)."""
    job = changed_job_schema(tenant, no_deletes)
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    [put] = tenant.requests("PUT", SCHEMA)
    sent = user(put.body)
    for field in ("flowTypes", "metadata", "betaOnly"):
        assert sent[field] == user(job)[field], field
    assert sent["scope"]["inputFilterGroups"] == [{"name": "cloud-sync"}]
    assert attribute(put.body, "title") == attribute(job, "title")
    assert attribute(put.body, "externalId")["source"]["expression"] == "[objectId]"


DEEP = "Trim(" * 10_000 + "[mail]" + ")" * 10_000
LONG_CHAIN = " & ".join(["[mail]"] * 10_000)


@pytest.mark.parametrize("expression", [DEEP, LONG_CHAIN, "[mail] = " + LONG_CHAIN], ids=["calls", "and", "compared"])
def test_an_expression_nested_too_deep_is_exit_2_at_its_column(tmp_path, expression) -> None:
    path = write(tmp_path, f"[mappings.User]\nexternalId = '{expression}'\n")
    result = run_cli(["compile", str(path)], cwd=tmp_path, env={"APP_TOKEN": TOKEN})
    assert result.exit_code == 2, result.stderr
    assert "app.toml:8:1: mappings.User.externalId: nested more than 64 levels deep" in result.stderr
    assert "(column " in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("expression", [DEEP, LONG_CHAIN], ids=["calls", "and"])
def test_a_tenants_expression_nested_too_deep_is_compared_not_a_crash(tmp_path, tenant, env, expression) -> None:
    def deep(schema: dict) -> None:
        attribute(schema, "title")["source"] = {"expression": expression, "name": "Trim", "parameters": [],
                                                "type": "Function"}  # fmt: skip

    changed_job_schema(tenant, deep)
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    title = next(a for a in json.loads(result.stdout)["targets"][0]["actions"] if a["key"] == "mappings.User.title")
    assert (title["action"], title["new"]) == ("change", "[jobTitle]")


def echoes(schema: dict) -> None:
    """A tenant whose job's schema holds the profile's secret: in a constant (raw and in a JSON
    escape), in a scope value, and as a target attribute's name."""
    attribute(schema, "displayName")["source"] = {"expression": f'"{TOKEN}"', "name": TOKEN, "parameters": [],
                                                  "type": "Constant"}  # fmt: skip
    escaped = TOKEN.replace("-", "\\u002D")
    attribute(schema, "title")["source"] = {"expression": f'Trim("{escaped}")', "name": "Trim", "parameters": [],
                                            "type": "Function"}  # fmt: skip
    attribute(schema, "preferredLanguage")["targetAttributeName"] = f"x{TOKEN}"
    user(schema)["scope"] = {"groups": [{"clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": [TOKEN]}}]}]}  # fmt: skip


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_secret_echoed_by_the_jobs_schema_is_masked_in_every_report(tmp_path, tenant, env, fmt) -> None:
    changed_job_schema(tenant, echoes)
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    summary = tmp_path / "summary.md"
    for command in (["plan"], ["plan", "--save", str(tmp_path / "plan.json")], ["apply", "--auto-approve"]):
        result = run_cli([*command, "--format", fmt], cwd=tmp_path, env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
        assert result.exit_code == 0, result.stderr
        written = summary.read_text() if summary.exists() else ""
        written += (tmp_path / "plan.json").read_text() if (tmp_path / "plan.json").exists() else ""
        for text in (result.stdout, result.stderr, written):
            assert "canary" not in text, text


def test_an_object_mapping_removed_is_may_deprovision_even_when_its_enabled_is_left_out(tmp_path, tenant, env) -> None:
    """The job has an object mapping the template lacks (and Graph's answer leaves `enabled`
    out): the PUT would drop it, which stops provisioning and may deprovision."""

    def extra(schema: dict) -> None:
        rule = schema["synchronizationRules"][0]
        extra = {key: value for key, value in user(schema).items() if key != "enabled"}
        rule["objectMappings"].append({**extra, "sourceObjectName": "Contact", "targetObjectName": "Contact"})

    changed_job_schema(tenant, extra)
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    found = {a["key"]: a for a in json.loads(result.stdout)["targets"][0]["actions"]}
    assert found["mappings.Contact.enabled"]["action"] == "remove"
    assert found["mappings.Contact.enabled"]["flags"] == ["resync", "may-deprovision"]
    refused = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert refused.exit_code == 2 and tenant.requests("PUT", SCHEMA) == []


def wrong_types():
    def attribute_not_a_table(schema: dict) -> None:
        user(schema)["attributeMappings"][0] = "x"

    def attributes_not_a_list(schema: dict) -> None:
        user(schema)["attributeMappings"] = 5

    def groups_not_a_list(schema: dict) -> None:
        user(schema)["scope"] = {"groups": {"a": 1}}

    def target_not_a_string(schema: dict) -> None:
        user(schema)["attributeMappings"][0] = {"targetAttributeName": 7, "source": None}

    def no_target(schema: dict) -> None:
        user(schema)["attributeMappings"][0] = {"source": None}

    return [attribute_not_a_table, attributes_not_a_list, groups_not_a_list, target_not_a_string, no_target]


@pytest.mark.parametrize("broken", wrong_types(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("command", ["plan", "import"])
def test_a_schema_with_a_field_of_the_wrong_type_fails_plan_and_import(tmp_path, tenant, env, broken, command) -> None:
    changed_job_schema(tenant, broken)
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    argv = ["plan"] if command == "plan" else ["import", "--from-tenant", SP, "--name", "imported"]
    result = run_cli(argv, cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "is not a synchronization schema" in result.stdout + result.stderr
    assert not (tmp_path / "configs" / "imported.toml").exists()


def test_import_writes_no_secret_the_jobs_schema_echoes(tmp_path, tenant, graph_env) -> None:
    from tests.fakes.fixtures import CLIENT_SECRET

    def credential(schema: dict) -> None:
        attribute(schema, "displayName")["source"] = {"expression": f'"{CLIENT_SECRET}"', "name": CLIENT_SECRET,
                                                      "parameters": [], "type": "Constant"}  # fmt: skip

    changed_job_schema(tenant, credential)
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=graph_env(token=False))
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "holds a secret this run knows (mappings.User.displayName)" in result.stdout + result.stderr
    assert CLIENT_SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "configs" / "app.toml").exists()


def test_a_job_schema_with_an_object_mapping_twice_fails_its_target_and_nothing_is_put(tmp_path, tenant, env) -> None:
    """The plan compares one of them; the PUT would change both: what it sends to the other was
    never shown."""

    def twice(schema: dict) -> None:
        copy = json.loads(json.dumps(user(schema)))
        copy["attributeMappings"] = [a for a in copy["attributeMappings"] if a["targetAttributeName"] != "title"]
        schema["synchronizationRules"][0]["objectMappings"].insert(0, copy)

    changed_job_schema(tenant, twice)
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "has more than one object mapping User>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" in (
        result.stdout
    )
    assert tenant.requests("PUT", SCHEMA) == []


def test_a_schema_put_the_job_never_shows_fails_the_target_at_wait(tmp_path, tenant, env) -> None:
    tenant.schemas.lag = 10**6  # every GET after the PUT shows the schema before it
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["apply", "--auto-approve", "--wait", "5"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "the schema PUT was accepted, but after 5 s the job's schema does not show the mappings yet" in result.stdout
    assert len(tenant.requests("PUT", SCHEMA)) == 1


def test_a_saved_plan_whose_schema_moved_is_stale_and_nothing_is_sent(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--save", str(saved)], cwd=tmp_path, env=env).exit_code == 0

    def moved(schema: dict) -> None:
        attribute(schema, "title")["source"] = {"expression": "[department]", "name": "department", "parameters": [],
                                                "type": "Attribute"}  # fmt: skip

    changed_job_schema(tenant, moved)
    before = len(tenant.journal)
    result = run_cli(["apply", "--plan", str(saved)], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert {record.method for record in tenant.journal[before:]} == {"GET"}


def test_a_schema_that_moves_between_the_plan_and_the_put_is_not_put(tmp_path, tenant, env) -> None:
    """apply reads the job's schema again right before its PUT: a change that alters the plan
    (here: a new matching attribute) fails the target; one that does not is carried (flowTypes)."""
    import threading

    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    arrived, release = tenant.hold("PUT", after=0)  # the secrets' PUT

    def meanwhile() -> None:
        arrived.wait(30)
        changed_job_schema(tenant, lambda schema: attribute(schema, "title").update(matchingPriority=2))
        release.set()

    helper = threading.Thread(target=meanwhile)
    helper.start()
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    helper.join()
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "the job's schema changed since it was planned: nothing was sent for it" in result.stdout
    assert tenant.requests("PUT", SCHEMA) == []


def test_the_schema_is_read_and_put_with_one_api_version(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    for version in ("v1.0", "beta"):
        tenant.set_schema(SP, JOB, template_schema("scim"))
        result = run_cli(["apply", "--auto-approve", "--api", version], cwd=tmp_path, env=env)
        assert result.exit_code == 0, result.stderr
        schema_calls = [r for r in tenant.journal if r.path.endswith("/schema") and "/jobs/" in r.path]
        assert {r.path.split("/")[1] for r in schema_calls[-3:]} == {version}, [r.path for r in schema_calls]
        tenant.journal.clear()


def test_a_parse_expression_answer_for_another_expression_fails_the_target(tmp_path, tenant, env) -> None:
    """Sent, the tree would map `"False"` where the profile says IIF(...), and the next plan,
    asking Graph again, would call it in sync."""
    write(tmp_path, "[mappings.User]\nexternalId = 'IIF([mail]=\"x\", [mail], [objectId])'\n")
    other = {"expression": '"False"', "name": "False", "parameters": [], "type": "Constant"}
    body = json.dumps({"parsingSucceeded": True, "parsedExpression": other}).encode()
    tenant.fault(200, method="POST", path="/parseExpression", body=body, times=5)
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "parseExpression answered with the tree of another expression" in result.stdout
    assert tenant.requests("PUT", SCHEMA) == []


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_the_object_mappings_listed_for_an_unknown_name_are_printed_safely(tmp_path, tenant, env, fmt) -> None:
    def hostile(schema: dict) -> None:
        schema["synchronizationRules"][0]["objectMappings"][1]["targetObjectName"] = f"Gr\x1b[2Jp\n::error::{TOKEN}"

    changed_job_schema(tenant, hostile)
    tenant.schemas.templates["scim"] = tenant.schema(SP, JOB)
    write(tmp_path, '[mappings.Nope]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan", "--format", fmt], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "the template has no object mapping 'Nope'; it has: " in result.stdout + result.stderr
    for text in (result.stdout, result.stderr):
        assert "canary" not in text and "\x1b" not in text
        assert not any(line.startswith("::error::") for line in text.splitlines())


def test_a_mistake_under_a_quoted_target_names_the_key_as_toml_reads_it(tmp_path) -> None:
    path = write(tmp_path, '[mappings.User]\n"emails[type eq \\"work\\"].value" = "Trim("\n')
    result = run_cli(["compile", str(path)], cwd=tmp_path, env={"APP_TOKEN": TOKEN})
    assert result.exit_code == 2, result.stderr
    assert (
        'app.toml:8:1: mappings.User."emails[type eq \\"work\\"].value": Trim( is not closed: missing \')\' '
        "(column 6 of the expression)" in result.stderr
    )


def test_one_object_mapping_under_two_names_is_exit_2(tmp_path, tenant, env) -> None:
    """A team's partial names it `User`, the profile by its URN: one of the two `enabled` would
    win unseen."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "_team.toml").write_text("[mappings.User]\nenabled = true\n")
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    path = write(tmp_path, f'[mappings."{urn}"]\nenabled = false\n')
    path.write_text('extends = "_team.toml"\n' + path.read_text())
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"mappings.\"{urn}\": '{urn}' is the object mapping 'User' names too" in result.stderr
    assert {record.method for record in tenant.journal} == {"GET"}


def test_a_matching_mapping_added_is_may_deprovision(tmp_path, tenant, env) -> None:
    """A new attribute matched first (priority 1, the old one moved to 2) links users to other
    accounts in the app; the ones they had are then out of scope."""
    write(tmp_path, '[mappings.User]\nnickName = { source = "[mailNickname]", matching = 1 }\n'
                    'userName = { source = "[userPrincipalName]", matching = 2 }\n')  # fmt: skip
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    found = {a["key"]: a for a in json.loads(result.stdout)["targets"][0]["actions"]}
    assert (found["mappings.User.nickName"]["action"], found["mappings.User.nickName"]["flags"]) == (
        "add", ["resync", "may-deprovision"])  # fmt: skip
    write(tmp_path, '[mappings.User]\nnickName = { source = "[mailNickname]", matching = 2 }\n')
    refused = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert refused.exit_code == 2 and tenant.requests("PUT", SCHEMA) == []


@pytest.mark.parametrize("name", ["user", "Us\u0435r"], ids=["case", "cyrillic"])
def test_an_object_name_near_one_the_template_has_suggests_it(tmp_path, tenant, env, name) -> None:
    write(tmp_path, f'[mappings."{name}"]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"the template has no object mapping {name!r}; it has: Group, User: did you mean 'User'?" in result.stderr


SCOPED = [
    [["department", "EQUALS", ["Sales", "Ops"]], ["country", "EQUALS", "US"]],
    [["title", "EQUALS", "CEO"]],
]


def scoped(schema: dict) -> None:
    user(schema)["scope"] = {"groups": [{"clauses": [
        {"operatorName": op, "sourceOperandName": name, "targetOperand": {"values": [v] if isinstance(v, str) else v}}
        for name, op, v in group]} for group in SCOPED]}  # fmt: skip


DISGUISED = {  # overlay (TOML) -> the key flagged may-deprovision
    "not-equals": (
        'scope = [[["department", "NOT EQUALS", ["Sales", "Ops"]], ["country", "EQUALS", "US"]], '
        '[["title", "EQUALS", "CEO"]]]',
        "scope",
    ),
    "values-shortened": (
        'scope = [[["department", "EQUALS", ["Sales"]], ["country", "EQUALS", "US"]], [["title", "EQUALS", "CEO"]]]',
        "scope",
    ),
    "value-case": (
        'scope = [[["department", "EQUALS", ["sales", "Ops"]], ["country", "EQUALS", "US"]], '
        '[["title", "EQUALS", "CEO"]]]',
        "scope",
    ),
    "group-dropped": ('scope = [[["department", "EQUALS", ["Sales", "Ops"]], ["country", "EQUALS", "US"]]]', "scope"),
    "clause-added": (
        'scope = [[["department", "EQUALS", ["Sales", "Ops"]], ["country", "EQUALS", "US"]], '
        '[["title", "EQUALS", "CEO"], ["accountEnabled", "IS TRUE"]]]',
        "scope",
    ),
    "disabled": ("enabled = false", "enabled"),
    "matching-removed": ("userName = false", "userName"),
    "matching-priority": ('userName = { source = "[userPrincipalName]", matching = 2 }', "userName"),
    "matching-expression": ('userName = { source = "[mail]", matching = 1 }', "userName"),
    "matching-flow": (
        'userName = { source = "[userPrincipalName]", matching = 1, flow = "ObjectAddOnly" }',
        "userName",
    ),
    "matching-dropped-to-0": ('userName = { source = "[userPrincipalName]", matching = 0 }', "userName"),
}


@pytest.mark.parametrize("layer", ["profile", "environment", "partial"])
@pytest.mark.parametrize("case", list(DISGUISED))
def test_every_disguised_narrowing_is_flagged_and_nothing_is_sent(tmp_path, tenant, env, case, layer) -> None:
    changed_job_schema(tenant, scoped)
    tenant.schemas.templates["scim"] = tenant.schema(SP, JOB)  # the overlay is the only difference
    setting, key = DISGUISED[case]
    (tmp_path / "configs").mkdir()
    if layer == "partial":
        (tmp_path / "configs" / "_team.toml").write_text(f"[mappings.User]\n{setting}\n")
        path = write(tmp_path, "")
        path.write_text('extends = "_team.toml"\n' + path.read_text())
    elif layer == "environment":
        write(tmp_path, f'[environments.prod.application]\nservice_principal_id = "{SP}"\n\n'
                        f"[environments.prod.mappings.User]\n{setting}\n")  # fmt: skip
    else:
        write(tmp_path, f"[mappings.User]\n{setting}\n")
    argv = ["--env", "prod"] if layer == "environment" else []
    result = run_cli(["apply", "--auto-approve", *argv], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"may remove users from the app (mappings.User.{key})" in result.stderr
    assert {record.method for record in tenant.journal} == {"GET"}


def test_groups_reordered_and_operators_respelled_are_no_change(tmp_path, tenant, env) -> None:
    changed_job_schema(tenant, scoped)
    write(tmp_path, '[mappings.User]\nscope = [[["title", "equals", "CEO"]], '
                    '[["country", "Equals", "US"], ["department", "EQUALS", ["Ops", "Sales"]]]]\n')  # fmt: skip
    tenant.schemas.templates["scim"] = template_schema("scim")
    result = run_cli(["plan", "--format", "json"], cwd=tmp_path, env=env)
    found = {a["key"]: a for a in json.loads(result.stdout)["targets"][0]["actions"]}
    assert found["mappings.User.scope"]["action"] == "same"


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_a_hostile_target_attribute_name_is_printed_on_one_safe_line(tmp_path, tenant, env, fmt) -> None:
    def hostile(schema: dict) -> None:
        attribute(schema, "title")["targetAttributeName"] = "ti\x1b[31mtle\n::error::owned\r\u2028%0A"

    changed_job_schema(tenant, hostile)
    write(tmp_path, '[mappings.User]\nexternalId = "[mailNickname]"\n')
    result = run_cli(["plan", "--format", fmt], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\r" not in result.stdout and "\u2028" not in result.stdout
    assert not any(line.lstrip().startswith("::error::") for line in result.stdout.splitlines())


def test_import_of_a_schema_a_profile_cannot_state_fails_with_exit_4(tmp_path, tenant, env) -> None:
    """What the tenant holds is not the user's input: not exit 2, and no profile that would not compile."""

    def unstatable(schema: dict) -> None:
        attribute(schema, "title")["source"] = {"expression": "Trim(", "name": "Trim", "parameters": [],
                                                "type": "Function"}  # fmt: skip
        attribute(schema, "displayName")["flowType"] = "Sometimes\x1b[2J"

    changed_job_schema(tenant, unstatable)
    result = run_cli(["import", "--from-tenant", SP, "--name", "app"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "the job's schema holds what a profile cannot state (mappings.User.displayName.flow: unknown flow" in (
        result.stdout + result.stderr
    )
    assert "\x1b" not in result.stdout + result.stderr
    assert not (tmp_path / "configs" / "app.toml").exists()


def test_a_target_attribute_in_another_case_is_exit_2_not_a_second_mapping(tmp_path, tenant, env) -> None:
    write(tmp_path, '[mappings.User]\nexternalid = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "app.toml:8:1: mappings.User.externalid: the template maps this attribute as 'externalId'" in result.stderr


def test_a_template_id_that_is_not_a_plain_id_is_never_put_in_a_url(tmp_path, graph, env) -> None:
    """Graph's job names its templateId; `scim/../../me` would send the GET, and its token, to
    another path of the tenant."""
    from tests.test_mappings import PAIRS

    graph.add_principal(SP, PAIRS)
    hostile = "scim/schema/../../../../../../../me?x="
    graph.add_job(SP, JOB, hostile)
    graph.schemas.templates[hostile] = template_schema("scim")
    write(tmp_path, '[mappings.User]\nexternalId = "[objectId]"\n')
    result = run_cli(["plan"], cwd=tmp_path, env=env)
    assert result.exit_code == 4, result.stdout + result.stderr
    assert "names a template whose id is not an id" in result.stdout
    assert all("/synchronization/" in record.path for record in graph.journal), [r.path for r in graph.journal]


def test_a_job_that_job_creates_has_its_comparisons_parsed_by_its_template(tmp_path, graph, env) -> None:
    """No job yet: parseExpression is asked of the template's schema (the job's has no URL yet);
    it was a failed target saying Graph named a job whose id is not an id."""
    from tests.test_mappings import PAIRS

    graph.add_principal(SP, PAIRS)
    write(
        tmp_path,
        '[job]\ntemplate_id = "scim"\n\n[mappings.User]\nexternalId = \'IIF([mail]="x", [mail], [objectId])\'\n',
    )
    result = run_cli(["apply", "--auto-approve"], cwd=tmp_path, env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert graph.requests("POST", "/templates/scim/schema/parseExpression")
    (job_id,) = graph.jobs(SP)
    assert attribute(graph.schema(SP, job_id), "externalId")["source"]["name"] == "IIF"

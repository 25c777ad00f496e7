"""The fake Graph's synchronization schemas behave as Graph's are documented to: the mapping
tests of plan and apply rely on it, so it is pinned here with a plain HTTP client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from compiler.catalog.functions import FUNCTIONS
from compiler.catalog.operators import OPERATORS
from compiler.sandbox.graph import FakeGraph
from compiler.sandbox.schema import parse_answer
from compiler.sandbox.schemas import template_schema
from compiler.schema.expression import source_of
from tests.fakes.authority import FakeAuthority
from tests.fakes.fixtures import TENANT_ID
from tests.fakes.tls import TestTLS

SP = "5a5a5a5a-0000-4000-8000-000000000001"
JOB = "scim.0123456789abcdef0123456789abcdef.5a5a5a5a-0000-4000-8000-000000000001"
SCHEMA = f"/v1.0/servicePrincipals/{SP}/synchronization/jobs/{JOB}/schema"
TREES = Path(__file__).parent / "expressions" / "trees"


@pytest.fixture
def api(tls: TestTLS, authority: FakeAuthority, graph: FakeGraph) -> Iterator[httpx.Client]:
    token = authority.issue_token(TENANT_ID, audience=graph.url)
    graph.add_principal(SP)
    graph.add_job(SP, JOB, "scim")
    with httpx.Client(
        base_url=graph.url, verify=tls.client_context(), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


def body(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    document = response.json()
    document.pop("@odata.context", None)
    return document


def test_a_new_job_has_its_templates_schema(api):
    template = body(api.get(f"/v1.0/servicePrincipals/{SP}/synchronization/templates"))["value"]
    assert [entry["id"] for entry in template] == ["scim"]
    assert body(api.get(SCHEMA)) == template_schema("scim")
    assert body(api.get(f"/v1.0/servicePrincipals/{SP}/synchronization/templates/scim/schema")) == template_schema(
        "scim"
    )


def test_put_replaces_the_whole_schema_sorts_keeps_unknown_fields_and_bumps_the_version(api, graph):
    schema = body(api.get(SCHEMA))
    mapping = schema["synchronizationRules"][0]["objectMappings"][0]
    mapping["attributeMappings"] = list(reversed(mapping["attributeMappings"]))[:3]
    mapping["futureField"] = {"kept": True}
    schema["directories"] = []
    assert api.put(SCHEMA, json=schema).status_code == 204
    after = body(api.get(SCHEMA))
    stored = after["synchronizationRules"][0]["objectMappings"][0]
    names = [attribute["targetAttributeName"] for attribute in stored["attributeMappings"]]
    assert names == sorted(names, key=str.lower) and len(names) == 3
    assert stored["futureField"] == {"kept": True}
    assert after["directories"] == []  # a full replacement: what is left out is gone
    assert after["version"] != schema["version"] and after["id"] == schema["id"]


def test_patch_is_404_as_graph_answers_the_sdks(api, graph):
    answer = api.patch(SCHEMA, json=body(api.get(SCHEMA)))
    assert answer.status_code == 404
    assert answer.json()["error"]["message"].startswith("No HTTP resource was found that matches the request URI")
    assert body(api.get(SCHEMA)) == template_schema("scim")


def test_delete_resets_to_the_templates_schema(api):
    schema = body(api.get(SCHEMA))
    schema["synchronizationRules"][0]["objectMappings"][0]["enabled"] = False
    assert api.put(SCHEMA, json=schema).status_code == 204
    assert api.delete(SCHEMA).status_code == 204
    assert body(api.get(SCHEMA)) == template_schema("scim")


@pytest.mark.parametrize(
    "sent",
    [[], {"synchronizationRules": "x"}, {"synchronizationRules": [{"objectMappings": [{"attributeMappings": [{}]}]}]}],
)
def test_a_malformed_schema_is_refused(api, sent):
    assert api.put(SCHEMA, json=sent).status_code == 400
    assert body(api.get(SCHEMA)) == template_schema("scim")


def test_lag_shows_the_previous_schema_for_n_reads(api, graph):
    graph.schemas.lag = 2
    schema = body(api.get(SCHEMA))
    schema["synchronizationRules"][0]["objectMappings"][1]["enabled"] = False
    api.put(SCHEMA, json=schema)
    assert [body(api.get(SCHEMA))["synchronizationRules"][0]["objectMappings"][1]["enabled"] for _ in range(3)] == [
        True,
        True,
        False,
    ]


def test_unknown_job_is_404(api):
    assert api.get(SCHEMA.replace(JOB, "nope")).status_code == 404


@pytest.mark.parametrize("published", sorted(TREES.glob("*.json")), ids=lambda path: path.stem)
def test_parse_expression_answers_as_microsoft_published(api, published):
    case = json.loads(published.read_text())
    answer = body(api.post(f"{SCHEMA}/parseExpression", json={"expression": case["expression"]}))
    assert answer["parsingSucceeded"] is True
    assert answer["parsedExpression"] == case["parsedExpression"]


def test_parse_expression_reports_a_mistake(api):
    answer = body(api.post(f"{SCHEMA}/parseExpression", json={"expression": "Joinn([a])"}))
    assert answer["parsingSucceeded"] is False and "Joinn" in answer["parsingException"]["message"]


@pytest.mark.parametrize(
    "expression",
    [
        '"constant"',
        "[mail]",
        'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        'Join(" ", [givenName], [surname])',
        'Coalesce([mail], [userPrincipalName], "none")',
        "Mid([userPrincipalName], 1, 8)",
        'SelectUniqueValue(Join("@", [givenName], "contoso.com"), Join("@", [surname], "contoso.com"))',
    ],
)
def test_the_local_builder_agrees_with_the_fakes_parser(expression):
    """Two independent parsers of Graph's grammar (the client's and the fake's) build one tree."""
    assert source_of(expression) == parse_answer(expression)["parsedExpression"]


def test_filter_operators_and_functions_list_the_catalogs(api):
    operators = body(api.get(f"{SCHEMA}/filterOperators"))["value"]
    assert {entry["name"]: entry["arity"] for entry in operators} == OPERATORS
    functions = body(api.get(f"{SCHEMA}/functions"))["value"]
    assert {entry["name"].lower() for entry in functions} == {name.lower() for name in FUNCTIONS}
    for entry in functions:
        known = FUNCTIONS[next(name for name in FUNCTIONS if name.lower() == entry["name"].lower())]
        assert [parameter["name"] for parameter in entry["parameters"]] == list(known.parameters)[
            : len(entry["parameters"])
        ]

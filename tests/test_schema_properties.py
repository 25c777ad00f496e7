"""Properties of the overlay, the comparison and import, on Microsoft's published Salesforce schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.schema.compare import compare, in_sync, widens
from compiler.schema.overlay import apply, derive, object_mappings

HERE = Path(__file__).parent
TEMPLATE = json.loads((HERE.parent / "compiler" / "sandbox" / "salesforce_schema.json").read_text(encoding="utf-8"))
SCIM = json.loads((HERE / "mapping_cases" / "scim-urn-by-short-name" / "template.json").read_text(encoding="utf-8"))
TARGETS = [
    m["targetAttributeName"] for m in TEMPLATE["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
]
EXPRESSIONS = [
    "[mail]",
    'Join(" ", [givenName], [surname])',
    "ToLower([userPrincipalName])",
    "Mid([userPrincipalName], 1, 8)",
    'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
    'Replace([preferredLanguage], "-", , , "_", , )',
    'Append([userPrincipalName], ".test")',
]
CLAUSES = [
    ["department", "EQUALS", "Sales"],
    ["accountEnabled", "IS TRUE"],
    ["userPrincipalName", "REGEX MATCH", ".*@contoso.com"],
    ["jobTitle", "IS NOT NULL"],
    ["country", "NOT EQUALS", ["US", "CA"]],
]
tables = st.fixed_dictionaries(
    {"source": st.sampled_from(EXPRESSIONS)},
    optional={
        "flow": st.sampled_from(["Always", "ObjectAddOnly"]),
        "matching": st.integers(0, 2),
        "default": st.sampled_from(["", "x"]),
    },
)
constants = st.fixed_dictionaries({"default": st.sampled_from(["", "en_US", "False"])})  # `source: null`
entries = st.one_of(st.sampled_from(EXPRESSIONS), tables, constants)
scopes = st.lists(st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=3, unique_by=str), max_size=2)


@st.composite
def overlays(draw: st.DrawFn) -> dict:
    settings_: dict = {}
    if draw(st.booleans()):
        settings_["enabled"] = draw(st.booleans())
    if draw(st.booleans()):
        settings_["scope"] = draw(scopes)
    for target in draw(st.lists(st.sampled_from(TARGETS), unique=True, max_size=5)):
        settings_[target] = draw(st.one_of(entries, st.just(False)))
    for target in draw(st.lists(st.sampled_from(["Department", "Title", "Phone"]), unique=True, max_size=2)):
        settings_[target] = draw(entries)
    return {"User": settings_}


def as_graph_stores_it(schema: dict) -> dict:
    """What a GET answers after a PUT: Graph sorts attribute mappings itself."""
    stored = copy.deepcopy(schema)
    for _, mapping in object_mappings(stored):
        mapping["attributeMappings"].sort(key=lambda m: m["targetAttributeName"], reverse=True)
    return stored


def without(schema: dict, named: set[str]) -> dict:
    rest = copy.deepcopy(schema)
    for _, mapping in object_mappings(rest):
        for key in ("enabled", "scope"):
            if key in named:
                mapping.pop(key, None)
        mapping["attributeMappings"] = [
            m for m in mapping["attributeMappings"] if m["targetAttributeName"] not in named
        ]
    return rest


@settings(max_examples=150, deadline=None)
@given(overlays())
def test_after_apply_the_next_plan_is_in_sync_and_the_unnamed_is_unchanged(overlay: dict) -> None:
    desired, named = apply(TEMPLATE, overlay)
    actions = compare(desired, as_graph_stores_it(desired), named)
    assert in_sync(actions)
    assert {a.key for a in actions} == {f"mappings.User.{key}" for key in overlay["User"]}
    assert without(desired, set(overlay["User"])) == without(TEMPLATE, set(overlay["User"]))


@settings(max_examples=150, deadline=None)
@given(overlays())
def test_import_writes_an_overlay_that_plans_in_sync(overlay: dict) -> None:
    job, _ = apply(TEMPLATE, overlay)
    imported = derive(TEMPLATE, as_graph_stores_it(job))
    again, named = apply(TEMPLATE, imported)
    assert in_sync(compare(again, job, named))
    # the import names only what differs from the template, and nothing the overlay did not name
    assert set(imported.get("User", {})) <= set(overlay["User"])
    assert derive(TEMPLATE, again) == imported


def test_scope_carries_cloud_sync_filters_and_unknown_fields_through() -> None:
    desired, _ = apply(SCIM, {"User": {"scope": [[["department", "EQUALS", "Sales"]]], "displayName": "[mail]"}})
    user = desired["synchronizationRules"][0]["objectMappings"][0]
    original = SCIM["synchronizationRules"][0]["objectMappings"][0]
    assert user["scope"]["inputFilterGroups"] == original["scope"]["inputFilterGroups"]
    assert user["scope"]["categoryFilterGroups"] == []
    assert user["containerFilter"] == original["containerFilter"]
    assert user["scope"]["groups"] == [
        {
            "clauses": [
                {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}
            ]
        }
    ]
    assert SCIM["synchronizationRules"][0]["objectMappings"][0]["scope"]["groups"] == []  # the template is not touched


def test_a_string_keeps_the_templates_matching_priority_and_default() -> None:
    desired, _ = apply(TEMPLATE, {"User": {"Username": "[mail]", "LastName": "[sn]"}})
    by_target = {m["targetAttributeName"]: m for _, om in object_mappings(desired) for m in om["attributeMappings"]}
    assert by_target["Username"]["matchingPriority"] == 1
    assert by_target["LastName"]["defaultValue"] == "."
    assert by_target["Username"]["source"]["expression"] == "[mail]"


def test_widening_is_proven_only_by_subsets() -> None:
    sales = [["department", "EQUALS", "Sales"]]
    enabled = [["accountEnabled", "IS TRUE"]]
    assert widens([sales + enabled], [sales])
    assert widens([sales], [sales, enabled])
    assert widens([sales], [])
    assert not widens([], [sales])
    assert not widens([sales], [enabled])
    assert not widens([sales, enabled], [sales])


def test_what_the_overlay_does_not_name_is_the_templates_own_even_when_odd() -> None:
    """Graph's schema example has a rule without object mappings ({}); it stays {}."""
    odd = copy.deepcopy(TEMPLATE)
    odd["synchronizationRules"].append({})
    odd["beta"] = {"discoverabilities": ["x"]}
    desired, _ = apply(odd, {"User": {"Email": "[upn]"}})
    assert desired["synchronizationRules"][1] == {} and desired["beta"] == odd["beta"]
    assert odd == {
        **copy.deepcopy(TEMPLATE),
        "synchronizationRules": [*TEMPLATE["synchronizationRules"], {}],
        "beta": odd["beta"],
    }

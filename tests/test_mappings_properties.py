"""A property of plan and apply for mappings, through the planning API and the fake's schema
store: for random overlays on a real template schema, after the PUT apply sends (as the fake
Graph stores it: re-sorted, version bumped) the next plan is in sync; what the overlay does not
name is the template's (drift set back), and everything outside the object mappings is as the
job had it."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.graph.mappings import SchemaPlan, put_body
from compiler.sandbox.jobs import Job
from compiler.sandbox.schema import Schemas
from compiler.sandbox.schemas import template_schema
from compiler.schema.compare import compare, in_sync
from compiler.schema.overlay import apply, by_target, labels, object_mappings

TEMPLATE = template_schema("scim")
TARGETS = {
    labels(TEMPLATE)[key]: sorted(by_target(mapping)) for key, mapping in object_mappings(TEMPLATE)
}  # "User" -> its target attributes
SOURCES = ["mail", "givenName", "surname", "objectId", "department", "userPrincipalName"]

attributes = st.sampled_from(SOURCES).map(lambda name: f"[{name}]")
expressions = st.recursive(
    attributes | st.sampled_from(['"x"', '"Sales"']),
    lambda inner: st.one_of(
        st.builds(lambda a: f"ToLower({a})", inner),
        st.builds(lambda a, b: f'Join(" ", {a}, {b})', inner, inner),
        st.builds(lambda a, b: f"Append({a}, {b})", inner, inner),
        st.builds(lambda a: f'Coalesce({a}, "none")', inner),
    ),
    max_leaves=4,
)
entries = st.one_of(
    expressions,
    st.fixed_dictionaries(
        {"source": expressions},
        optional={
            "flow": st.sampled_from(["Always", "ObjectAddOnly"]),
            "matching": st.integers(0, 2),
            "default": st.sampled_from(["", "n/a"]),
        },
    ),
)
clauses = st.one_of(
    st.tuples(st.sampled_from(SOURCES), st.sampled_from(["IS TRUE", "IS NOT NULL"])).map(list),
    st.tuples(st.sampled_from(SOURCES), st.sampled_from(["EQUALS", "NOT EQUALS"]), st.sampled_from(["a", "b"])).map(
        list
    ),
)


@st.composite
def overlays(draw) -> dict:
    overlay = {}
    for name in draw(st.sets(st.sampled_from(sorted(TARGETS)), min_size=1)):
        known = TARGETS[name]
        settings_: dict = {}
        for target in draw(st.sets(st.sampled_from([*known, "nickName", "title2"]), max_size=5)):
            settings_[target] = draw(entries | st.just(False)) if target in known else draw(entries)
        if draw(st.booleans()):
            settings_["enabled"] = draw(st.booleans())
        if draw(st.booleans()):
            settings_["scope"] = draw(st.lists(st.lists(clauses, min_size=1, max_size=3), max_size=2))
        overlay[name] = settings_
    return overlay


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overlay=overlays(), drift=st.booleans())
def test_after_apply_the_next_plan_is_in_sync_and_the_unnamed_is_unchanged(overlay, drift) -> None:
    current = copy.deepcopy(TEMPLATE)
    if drift:  # someone changed an attribute in the portal; the next apply sets it back
        for _key, mapping in object_mappings(current):
            mapping["attributeMappings"][0]["flowType"] = "ObjectAddOnly"
    desired, named = apply(TEMPLATE, overlay)
    plan = SchemaPlan("job", current, desired, named, compare(desired, current, named))
    job = Job("job", "scim")
    job.schema = copy.deepcopy(current)
    Schemas().replace(job, put_body(plan))
    after = job.schema

    assert in_sync(compare(desired, after, named))
    assert {k: v for k, v in after.items() if k not in ("synchronizationRules", "version")} == {
        k: v for k, v in current.items() if k not in ("synchronizationRules", "version")
    }
    names = labels(TEMPLATE)
    stored = dict(object_mappings(after))
    for key, mapping in object_mappings(TEMPLATE):
        said = overlay.get(names[key], {})
        for target, mappings in by_target(mapping).items():
            if target not in said:
                assert by_target(stored[key]).get(target) == mappings, target
        for own in ("enabled", "scope", "name", "metadata", "flowTypes"):
            if own not in said:
                assert stored[key].get(own) == mapping.get(own)

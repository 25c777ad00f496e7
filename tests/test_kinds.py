"""Every value kind has one object in profile/kinds.py that implements every rule: none falls
through to another kind's rules."""

from __future__ import annotations

import pytest

from compiler.catalog.keys import BY_GRAPH, Kind
from compiler.problems import InvalidValue
from compiler.profile.kinds import KINDS, ValueKind

RULES = ("literal", "text", "equal", "is_json", "schema", "to_toml")


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_implements_every_rule(kind):
    rules = KINDS[kind]
    assert rules.description
    for name in RULES:
        assert getattr(type(rules), name) is not getattr(ValueKind, name), (kind, name)


def test_the_base_gives_no_rule():
    assert set(RULES) <= {name for name in vars(ValueKind) if not name.startswith("_")}
    for name in ("literal", "text"):
        with pytest.raises(NotImplementedError):
            getattr(ValueKind(), name)(BY_GRAPH["UserName"], "x")


@pytest.mark.parametrize(
    ("key", "tenant", "profile", "equal"),
    [
        ("SyncAll", "true", "True", True),
        ("SyncAll", "false", "True", False),
        ("Domain", '{"b":1,"a":2}', '{"a":2,"b":1}', True),
        ("Domain", "contoso.com", "Contoso.com", False),
        ("SyncNotificationSettings", '{"Enabled": false}', '{"Enabled":false}', True),
        ("UserName", "Admin", "admin", False),
    ],
)
def test_equal_by_kind(key, tenant, profile, equal):
    assert KINDS[BY_GRAPH[key].kind].equal(tenant, profile) is equal


@pytest.mark.parametrize(
    ("key", "text", "toml"),
    [
        ("SyncAll", "TRUE", True),
        ("Domain", '{"domain":"contoso.com"}', {"domain": "contoso.com"}),
        ("UserName", "x", "x"),
    ],
)
def test_to_toml_by_kind(key, text, toml):
    assert KINDS[BY_GRAPH[key].kind].to_toml(BY_GRAPH[key], text, [].append) == toml


def test_a_boolean_that_is_not_one_is_refused_on_import():
    with pytest.raises(InvalidValue, match="cannot be a boolean"):
        KINDS[Kind.BOOLEAN].to_toml(BY_GRAPH["SyncAll"], "yes", [].append)

"""A template's default schema + the overlay a profile states = the desired schema; and back.

The overlay is plain data, as a profile's `[mappings.OBJECT]` tables read:
`{object: {"enabled": bool, "scope": [[clause, ...], ...], target: expression | table | False}}`
with a clause `[attribute, operator]` or `[attribute, operator, value or [values]]` and a table
`{source, flow, matching, default}`. A mistake is an OverlayError whose issues carry the key path
(`("User", "externalId")`) and, for an expression, the 1-based column inside it, so that the
profile reader can add file:line:col.

Everything the overlay does not name is carried through unchanged, unknown fields too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..catalog.operators import BINARY, OPERATORS, operator
from ..catalog.suggest import did_you_mean, fold
from .expression import ExpressionError, normal, parse, source_of

FLOW_TYPES = ("Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly")
TABLE_KEYS = ("source", "flow", "matching", "default")
# Graph's names of the same settings, accepted as they are written in a schema
GRAPH_KEYS = {"expression": "source", "flowType": "flow", "matchingPriority": "matching", "defaultValue": "default"}
OWN_KEYS = ("enabled", "scope")  # an object mapping's own settings; every other key is a target


@dataclass(frozen=True)
class Issue:
    path: tuple[str | int, ...]  # the overlay's keys down to the offending value; list indexes 0-based
    message: str
    column: int | None = None  # inside the expression, 1-based

    def __str__(self) -> str:
        key = "mappings" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.path)
        where = f" (column {self.column} of the expression)" if self.column else ""
        return f"{key}: {self.message}{where}"


class OverlayError(ValueError):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


Identity = tuple[str, str, str]  # (rule id or name, sourceObjectName, targetObjectName)


@dataclass
class Named:
    """What an overlay names, per object mapping: its label (the overlay's key) and fields
    (`enabled`, `scope`, target attribute names)."""

    labels: dict[Identity, str] = field(default_factory=dict)
    fields: dict[Identity, set[str]] = field(default_factory=dict)


def identity(rule: Mapping, mapping: Mapping) -> Identity:
    return (
        str(rule.get("id") or rule.get("name") or ""),
        str(mapping.get("sourceObjectName") or ""),
        str(mapping.get("targetObjectName") or ""),
    )


def object_mappings(schema: Mapping) -> list[tuple[Identity, dict]]:
    return [
        (identity(rule, mapping), mapping)
        for rule in schema.get("synchronizationRules") or []
        for mapping in rule.get("objectMappings") or []
    ]


def _short(target: str) -> str:
    return target.rsplit(":", 1)[-1]


def labels(schema: Mapping) -> dict[Identity, str]:
    """Each object mapping's name for an overlay key: its target object (the part after the last
    ':' of a SCIM URN), or `source>target` when several map to that target."""
    found = object_mappings(schema)
    count: dict[str, int] = {}
    for (_, _, target), _ in found:
        count[_short(target)] = count.get(_short(target), 0) + 1
    return {key: _short(key[2]) if count[_short(key[2])] == 1 else f"{key[1]}>{_short(key[2])}" for key, _ in found}


def find(schema: Mapping, name: str) -> list[Identity]:
    """The object mappings the overlay key `name` may mean."""
    found = [key for key, _ in object_mappings(schema)]
    if ">" in name:
        source, target = name.split(">", 1)
        return [key for key in found if key[1] == source and target in (key[2], _short(key[2]))]
    exact = [key for key in found if key[2] == name]
    return exact or [key for key in found if _short(key[2]) == name]


def apply(template: Mapping, overlay: Mapping, build: Callable[[str], dict] = source_of) -> tuple[dict, Named]:
    """The desired schema (`template` with `overlay` applied; `template` is not changed) and what
    the overlay names. `build` turns an expression into Graph's source object (Graph's
    parseExpression where the local builder lacks a shape)."""
    desired = _copy_rules(template)
    named = Named()
    issues: list[Issue] = []
    known = labels(desired)
    for name, settings in overlay.items():
        matches = find(desired, name)
        if len(matches) != 1:
            have = ", ".join(sorted(set(known.values())))
            if matches:
                which = ", ".join(sorted(f"{source}>{_short(target)}" for _, source, target in matches))
                issues.append(Issue((name,), f"{name!r} names several object mappings ({which}): name one of them"))
            else:
                issues.append(Issue((name,), f"the template has no object mapping {name!r}; it has: {have}"))
            continue
        key = matches[0]
        if not isinstance(settings, Mapping):
            issues.append(Issue((name,), "must be a table of settings and target attributes"))
            continue
        named.labels[key] = name
        named.fields[key] = set(settings)
        _apply_one(_own(desired, key), name, settings, build, issues)
    if issues:
        raise OverlayError(issues)
    return desired, named


def check(overlay: Mapping) -> list[Issue]:
    """The mistakes in `overlay` that need no template (expressions, operators, flow types,
    settings): what `compile` reports offline. The same rules as `apply`, run on a scratch object
    mapping in which every `false` finds a mapping to remove."""
    issues: list[Issue] = []
    for name, settings in overlay.items():
        if not isinstance(settings, Mapping):
            issues.append(Issue((name,), "must be a table of settings and target attributes"))
            continue
        scratch = {
            "attributeMappings": [{"targetAttributeName": key} for key, value in settings.items() if value is False]
        }
        _apply_one(scratch, name, settings, _parsed_only, issues)
    return issues


def _parsed_only(text: str) -> dict:
    return {}  # `_apply_attribute` has parsed the expression already; no source tree is needed here


def _copy_rules(template: Mapping) -> dict:
    """A copy of `template` down to the object-mapping lists: an object mapping is copied only
    when the overlay names it (a 1 MB schema costs a deep copy otherwise); everything else is
    shared with `template`, which is never changed."""
    desired = dict(template)
    if isinstance(template.get("synchronizationRules"), list):
        desired["synchronizationRules"] = [
            {**rule, "objectMappings": list(rule["objectMappings"])}
            if isinstance(rule, Mapping) and isinstance(rule.get("objectMappings"), list)
            else rule
            for rule in template["synchronizationRules"]
        ]
    return desired


def _own(desired: dict, key: Identity) -> dict:
    """The object mapping `key` of `desired`, deep-copied in place so that it may be changed."""
    for rule in desired.get("synchronizationRules") or []:
        mappings = rule.get("objectMappings") or []
        for index, mapping in enumerate(mappings):
            if identity(rule, mapping) == key:
                mappings[index] = copy.deepcopy(mapping)
                return mappings[index]
    raise KeyError(key)


def _apply_one(mapping: dict, name: str, settings: Mapping, build: Callable[[str], dict], issues: list[Issue]) -> None:
    for key, value in settings.items():
        path = (name, key)
        if key == "enabled":
            if not isinstance(value, bool):
                issues.append(Issue(path, "must be true or false"))
            else:
                mapping["enabled"] = value
        elif key == "scope":
            groups = scope_groups(value, path, issues)
            if groups is not None:
                scope = mapping.get("scope")
                scope = dict(scope) if isinstance(scope, Mapping) else {}
                scope["groups"] = groups  # inputFilterGroups, categoryFilterGroups: carried through
                mapping["scope"] = scope
        else:
            _apply_attribute(mapping, key, value, path, build, issues)


def _apply_attribute(
    mapping: dict,
    target: str,
    value: object,
    path: tuple[str | int, ...],
    build: Callable[[str], dict],
    issues: list[Issue],
) -> None:
    existing = [m for m in mapping.get("attributeMappings") or [] if m.get("targetAttributeName") == target]
    if value is False:
        if not existing:
            have = [m.get("targetAttributeName") for m in mapping.get("attributeMappings") or []]
            issues.append(Issue(path, f"the template maps no {target!r} to remove{did_you_mean(target, have)}"))
            return
        mapping["attributeMappings"] = [m for m in mapping["attributeMappings"] if m not in existing]
        return
    if isinstance(value, str):
        table: Mapping = {"source": value}
    elif isinstance(value, Mapping):
        table = value
    else:
        issues.append(Issue(path, "must be an expression string, a table {source, flow, matching, default}, or false"))
        return
    both = [key for key, friendly in GRAPH_KEYS.items() if key in table and friendly in table]
    for key in both:
        issues.append(Issue((*path, key), f"{key} and {GRAPH_KEYS[key]} are one setting: keep one of them"))
    written = {GRAPH_KEYS.get(key, key): key for key in table}  # for the paths of issues
    table = {GRAPH_KEYS.get(key, key): value for key, value in table.items()}
    unknown = [key for key in table if key not in TABLE_KEYS]
    for key in unknown:
        issues.append(
            Issue((*path, key), f"unknown setting; one of {', '.join(TABLE_KEYS)}{did_you_mean(key, TABLE_KEYS)}")
        )
    source = None  # no source: a constant mapping, Graph's `source: null` with its default
    if "source" not in table:
        if "default" not in table:
            issues.append(Issue(path, 'needs a source expression, e.g. source = "[mail]", or a default (a constant)'))
            return
    elif not isinstance(table["source"], str):
        issues.append(Issue((*path, written["source"]), 'must be an expression string, e.g. "[mail]"'))
        return
    else:
        try:
            parse(table["source"])
            source = build(table["source"])
        except ExpressionError as error:
            where = (*path, written["source"]) if isinstance(value, Mapping) else path
            issues.append(Issue(where, error.message, error.column))
            return
    flow = flow_type(table.get("flow", "Always"))
    if flow is None:
        flow = table["flow"]
        issues.append(
            Issue(
                (*path, written["flow"]),
                f"unknown flow type {flow!r}; one of {', '.join(FLOW_TYPES)}{did_you_mean(str(flow), FLOW_TYPES)}",
            )
        )
        return
    matching = table.get("matching")
    if matching is not None and (isinstance(matching, bool) or not isinstance(matching, int) or matching < 0):
        issues.append(
            Issue((*path, written["matching"]), "must be a whole number, 0 (not matching) or more (matching priority)")
        )
        return
    default = table.get("default")
    if default is not None and not isinstance(default, str):
        issues.append(Issue((*path, written["default"]), "must be a string"))
        return
    base = (
        dict(existing[0])
        if existing
        else {
            "defaultValue": None,
            "exportMissingReferences": False,
            "flowBehavior": "FlowWhenChanged",
            "matchingPriority": 0,
            "targetAttributeName": target,
        }
    )
    base["source"] = source
    base["flowType"] = flow
    if "matching" in table:
        base["matchingPriority"] = matching
    if "default" in table:
        base["defaultValue"] = default
    rest = [m for m in mapping.get("attributeMappings") or [] if m not in existing]
    mapping["attributeMappings"] = [*rest, base]


def flow_type(name: object) -> str | None:
    """Graph's spelling of a flow type written in any case, with or without `_` or `-`
    (`ObjectAddOnly`, `object_add_only`), or None."""
    if not isinstance(name, str):
        return None
    return next((known for known in FLOW_TYPES if fold(known) == fold(name)), None)


def scope_groups(value: object, path: tuple[str | int, ...], issues: list[Issue]) -> list[dict] | None:
    """Graph's `scope.groups` for the overlay's list of groups of clauses."""
    if not isinstance(value, list):
        issues.append(Issue(path, "must be a list of groups, each a list of clauses [attribute, operator, value]"))
        return None
    groups = []
    for number, group in enumerate(value):
        where = (*path, number)
        if not isinstance(group, list) or not group:
            issues.append(Issue(where, "a group is a non-empty list of clauses [attribute, operator, value]"))
            return None
        clauses = []
        for index, clause in enumerate(group):
            there = (*where, index)
            if (
                not isinstance(clause, list)
                or len(clause) not in (2, 3)
                or not all(isinstance(c, str) for c in clause[:2])
            ):
                issues.append(Issue(there, "a clause is [attribute, operator] or [attribute, operator, value]"))
                return None
            spelled = operator(clause[1])
            if spelled is None:
                issues.append(
                    Issue(
                        there,
                        f"unknown operator {clause[1]!r}; one of {', '.join(OPERATORS)}{did_you_mean(clause[1], OPERATORS)}",
                    )
                )
                return None
            binary = OPERATORS[spelled] == BINARY
            if binary != (len(clause) == 3):
                need = "one value" if binary else "no value"
                issues.append(Issue(there, f"{spelled} takes {need}"))
                return None
            values = clause[2] if binary else []
            values = [values] if isinstance(values, str) else values
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                issues.append(Issue(there, "a value is a string or a list of strings"))
                return None
            clauses.append(
                {"operatorName": spelled, "sourceOperandName": clause[0], "targetOperand": {"values": list(values)}}
            )
        groups.append({"clauses": clauses})
    return groups


def scope_of(mapping: Mapping) -> list[list[list]]:
    """The overlay spelling of an object mapping's `scope.groups` (`[]`: no filter)."""
    scope = mapping.get("scope") if isinstance(mapping.get("scope"), Mapping) else {}
    out = []
    for group in scope.get("groups") or []:
        clauses = []
        for clause in group.get("clauses") or []:
            name, op = clause.get("sourceOperandName"), clause.get("operatorName")
            values = list((clause.get("targetOperand") or {}).get("values") or [])
            arity = OPERATORS.get(operator(op) or "", BINARY)
            if arity != BINARY:
                clauses.append([name, op])
            else:
                clauses.append([name, op, values[0] if len(values) == 1 else values])
        out.append(clauses)
    return out


def expression_of(mapping: Mapping) -> str | None:
    source = mapping.get("source")
    return source.get("expression") if isinstance(source, Mapping) else None


def derive(template: Mapping, current: Mapping) -> dict:
    """The overlay that turns `template` into `current` (what `import --from-tenant` writes):
    applied to `template`, it compares with `current` as all same. Object mappings `current`
    has and `template` lacks cannot be stated and are left out."""
    overlay: dict = {}
    names = labels(template)
    now = dict(object_mappings(current))
    for key, old in object_mappings(template):
        new = now.get(key)
        if new is None:
            continue
        settings: dict = {}
        if bool(new.get("enabled", True)) != bool(old.get("enabled", True)):
            settings["enabled"] = bool(new.get("enabled", True))
        if scope_set(scope_of(new)) != scope_set(scope_of(old)):
            settings["scope"] = scope_of(new)
        was = by_target(old)
        for target, mappings in by_target(new).items():
            before = was[target][-1] if target in was else None
            if before is None or len(was[target]) != len(mappings) or facts(before) != facts(mappings[-1]):
                settings[target] = _spelling(mappings[-1], before)
        for target in was:
            if target not in by_target(new):
                settings[target] = False
        if settings:
            overlay[names[key]] = settings
    return overlay


def by_target(mapping: Mapping) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for attribute in mapping.get("attributeMappings") or []:
        out.setdefault(attribute.get("targetAttributeName"), []).append(attribute)
    return out


def facts(attribute: Mapping) -> tuple[str, str, int, str]:
    """What of an attribute mapping the overlay states, comparable across spellings:
    (expression in normal form, flow type, matching priority, default; null and "" alike)."""
    expression = expression_of(attribute)
    return (
        normal(expression) if expression is not None else "",
        str(attribute.get("flowType") or "Always"),
        int(attribute.get("matchingPriority") or 0),
        "" if attribute.get("defaultValue") is None else str(attribute.get("defaultValue")),
    )


def _spelling(attribute: Mapping, before: Mapping | None) -> str | dict:
    """The shortest overlay entry that turns `before` (the template's mapping of that target, or
    None) into `attribute`: what a string leaves as it was is stated only where it differs."""
    expression = expression_of(attribute)
    flow = attribute.get("flowType", "Always")
    matching = attribute.get("matchingPriority") or 0
    default = attribute.get("defaultValue")
    was_matching = (before or {}).get("matchingPriority") or 0
    was_default = (before or {}).get("defaultValue")
    table: dict = {} if expression is None else {"source": expression}
    if flow != "Always":
        table["flow"] = flow
    if matching != was_matching:
        table["matching"] = matching
    if (default or "") != (was_default or "") or expression is None:  # null and "" are one default
        table["default"] = default or ""
    return expression if list(table) == ["source"] else table


def scope_set(groups: list[list[list]]) -> list:
    """A scope comparable regardless of the order of groups, clauses and values."""
    return sorted(sorted(clause_key(clause) for clause in group) for group in groups)


def clause_key(clause: list) -> tuple:
    values = clause[2] if len(clause) > 2 else []
    values = [values] if isinstance(values, str) else values
    return (clause[0], operator(clause[1]) or clause[1], tuple(sorted(values)))

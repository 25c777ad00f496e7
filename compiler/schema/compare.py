"""The desired schema against the job's: actions per object mapping and target attribute.

Keys `mappings.<object>.<target>`, `mappings.<object>.enabled`, `mappings.<object>.scope`;
actions add, change, remove, same (same only for what the overlay names: a difference on
anything else is drift, shown as the change back to the template). Order is ignored (Graph sorts
attribute mappings itself); expressions are compared in normal form.

Flags: every change carries `resync` (a changed schema re-evaluates every object);
`may-deprovision` goes on disabling an object mapping, on adding, changing or removing a matching
mapping (matchingPriority > 0), and on every scope change but a provable widening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .overlay import Named, by_target, clause_key, facts, labels, object_mappings, scope_of, scope_set

RESYNC = "resync"
MAY_DEPROVISION = "may-deprovision"


@dataclass(frozen=True)
class Action:
    key: str
    action: str  # add | change | remove | same
    old: object
    new: object
    flags: tuple[str, ...] = ()

    def report(self) -> dict:
        """The json report's spelling."""
        return {"key": self.key, "action": self.action, "old": self.old, "new": self.new, "flags": list(self.flags)}


def compare(desired: Mapping, current: Mapping, named: Named | None = None) -> list[Action]:
    """The actions that make `current` into `desired`, sorted by key."""
    named = named or Named()
    names = {**labels(current), **labels(desired), **named.labels}
    wanted = dict(object_mappings(desired))
    have = dict(object_mappings(current))
    actions: list[Action] = []
    for key in sorted(set(wanted) | set(have)):
        fields = named.fields.get(key, set())
        actions += _object(f"mappings.{names[key]}", wanted.get(key) or {}, have.get(key) or {}, fields)
    return sorted(actions, key=lambda action: action.key)


def in_sync(actions: list[Action]) -> bool:
    return all(action.action == "same" for action in actions)


def _object(prefix: str, new: Mapping, old: Mapping, fields: set[str]) -> list[Action]:
    if new == old:  # the common case, at C speed: only what the overlay names is reported
        return _same(prefix, new, fields)
    actions = []
    # an object mapping that leaves `enabled` out is enabled (Graph's default): its removal is
    # then `true -> null`, flagged like disabling it
    enabled_new = new.get("enabled", True) if new else None
    enabled_old = old.get("enabled", True) if old else None
    if enabled_new != enabled_old:
        flags = (RESYNC, MAY_DEPROVISION) if enabled_new is False or not new else (RESYNC,)
        actions.append(Action(f"{prefix}.enabled", _verb(enabled_old, enabled_new), enabled_old, enabled_new, flags))
    elif "enabled" in fields:
        actions.append(Action(f"{prefix}.enabled", "same", enabled_old, enabled_new))
    scope_new, scope_old = scope_of(new), scope_of(old)
    if scope_set(scope_new) != scope_set(scope_old):
        flags = (RESYNC,) if widens(scope_old, scope_new) else (RESYNC, MAY_DEPROVISION)
        actions.append(Action(f"{prefix}.scope", "change", scope_old, scope_new, flags))
    elif "scope" in fields:
        actions.append(Action(f"{prefix}.scope", "same", scope_old, scope_new))
    targets_new, targets_old = by_target(new), by_target(old)
    named_targets = fields - {"enabled", "scope"}  # a removal already in effect is `same` too
    for target in sorted(set(targets_new) | set(targets_old) | named_targets, key=str):
        after, before = targets_new.get(target, []), targets_old.get(target, [])
        facts_after, facts_before = sorted(map(facts, after)), sorted(map(facts, before))
        key = f"{prefix}.{target}"
        if facts_after == facts_before:
            if target in fields:
                actions.append(Action(key, "same", _show(before), _show(after)))
            continue
        # a matching mapping added changes how accounts are matched as much as one changed does
        matching = any(fact[2] for fact in facts_before + facts_after)
        flags = (RESYNC, MAY_DEPROVISION) if matching else (RESYNC,)
        actions.append(Action(key, _verb(before or None, after or None), _show(before), _show(after), flags))
    return actions


def carried(new: Mapping, old: Mapping) -> dict:
    """The object mapping to send: the job's `old` with only what `_object` compares and finds
    different taken from `new` (enabled, scope.groups, the attribute mappings of a target whose
    facts differ). What the plan cannot show (flowTypes, metadata, the Cloud Sync filters,
    unknown fields, an unchanged attribute mapping's flowBehavior) goes back as the job has it:
    a change no report shows is one nobody approved."""
    if not old or new == old:  # the common case, at C speed
        return dict(new)
    sent = dict(old)
    if new.get("enabled") != old.get("enabled"):
        sent["enabled"] = new.get("enabled")
    if scope_set(scope_of(new)) != scope_set(scope_of(old)):
        scope = dict(old["scope"]) if isinstance(old.get("scope"), Mapping) else {}
        groups = new["scope"].get("groups") if isinstance(new.get("scope"), Mapping) else None
        scope["groups"] = groups or []
        sent["scope"] = scope
    targets_new, targets_old = by_target(new), by_target(old)
    attributes = []
    for attribute in old.get("attributeMappings") or []:
        target = attribute.get("targetAttributeName")
        after = targets_new.get(target, [])
        if sorted(map(facts, after)) == sorted(map(facts, targets_old[target])):
            attributes.append(attribute)
        elif target in targets_new:
            attributes += targets_new.pop(target)
    changed = [target for target in targets_new if target not in targets_old]
    attributes += [attribute for target in changed for attribute in targets_new[target]]
    sent["attributeMappings"] = attributes
    return sent


def _same(prefix: str, mapping: Mapping, fields: set[str]) -> list[Action]:
    targets = by_target(mapping)
    actions = []
    for name in sorted(fields, key=str):
        if name == "enabled":
            actions.append(Action(f"{prefix}.enabled", "same", mapping.get("enabled"), mapping.get("enabled")))
        elif name == "scope":
            actions.append(Action(f"{prefix}.scope", "same", scope_of(mapping), scope_of(mapping)))
        else:
            shown = _show(targets.get(name, []))
            actions.append(Action(f"{prefix}.{name}", "same", shown, shown))
    return actions


def _verb(old: object, new: object) -> str:
    if old is None:
        return "add"
    if new is None:
        return "remove"
    return "change"


def _show(attributes: list[Mapping]) -> str | None:
    """An attribute mapping for people: its expression, and its flow, matching priority and
    default where they are not the plain ones."""
    if not attributes:
        return None
    shown = []
    for attribute in attributes:
        expression, flow, matching, default = facts(attribute)
        extras = [f"flow {flow}"] if flow != "Always" else []
        extras += [f"matching {matching}"] if matching else []
        extras += [f"default {default!r}"] if attribute.get("defaultValue") is not None else []
        if not expression:  # a constant mapping: Graph stores `source: null` and the default
            shown.append(", ".join(extras) or "nothing")
        else:
            shown.append(expression + (f" ({', '.join(extras)})" if extras else ""))
    return " | ".join(sorted(shown))


def widens(old: list[list[list]], new: list[list[list]]) -> bool:
    """Whether the scope `new` provably lets in everything `old` did: no filter at all, or an
    old filter each of whose groups has a new group with a subset of its clauses (groups added,
    clauses removed). From no filter to any filter narrows."""
    if not new:
        return True
    if not old:
        return False
    new_sets = [frozenset(clause_key(clause) for clause in group) for group in new]
    return all(
        any(candidate <= frozenset(clause_key(clause) for clause in group) for candidate in new_sets) for group in old
    )

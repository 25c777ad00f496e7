"""The profile against the tenant, key by key: what `apply` would do (pure; no I/O).

| action | when                                                          | apply sends     |
|--------|---------------------------------------------------------------|-----------------|
| add    | in the profile, absent (or "") on the tenant                  | the value       |
| change | in the profile, different on the tenant                       | the value       |
| same   | equal (booleans case-insensitively, JSON as parsed objects)   | the value       |
| masked | the tenant shows "*": cannot be compared                      | the value       |
| clear  | on the tenant, not in the profile, not kept                   | ""              |
| keep   | on the tenant, listed in the profile's `keep`                 | nothing         |

Values are shown as the compile diff shows them (diff.compare: a value from a reference or of
a secret key is masked on both sides); there is no second masking rule here.
"""

from __future__ import annotations

from ..body.diff import Change, compare, field_changes
from ..body.mapper import OutPair
from ..catalog.keys import BY_GRAPH
from ..profile.kinds import KINDS
from ..profile.references import MASK as SHOWN_MASK
from .endpoints import MASK

ACTIONS = ("add", "change", "same", "masked", "clear", "keep", "create", "start", "pause", "heal", "quarantined")
# What makes a target out of sync: a pair to send, a mapping to remove (mappings add and change
# like pairs), or a job to create, start, pause or heal, or one in a quarantine syncsecrets never
# clears (a CI gate goes red on it: graph/job_action.py).
PENDING = ("add", "change", "clear", "remove", "create", "start", "pause", "heal", "quarantined")
# An action is a body/diff.Change whose action is one of the table's.


def classify(pairs: list[OutPair], tenant: list[tuple[str, str]], keep: tuple[str, ...] = ()) -> list[Change]:
    tenant_values = dict(tenant)
    profile = {pair.key: pair for pair in pairs}
    actions = []
    for row in compare(list(tenant_values.items()), pairs, False):
        old = tenant_values.get(row.key)
        old_shown, old_masked = row.old, row.old_masked
        if old == MASK:
            old_shown, old_masked = SHOWN_MASK, True
        if row.key in profile:
            if old is None or old == "":
                action, old_shown, old_masked = "add", None, False
            elif old == MASK:
                action = "masked"
            elif equal(row.key, old, profile[row.key].value):
                action = "same"
            else:
                action = "change"
            shown = action in ("add", "change") and not (old_masked or row.new_masked)
            fields = field_changes(row.key, old_shown, row.new) if shown else ()
            actions.append(Change(row.key, action, old_shown, row.new, old_masked, row.new_masked, fields))
        elif old:  # a "" on the tenant is nothing to clear
            action = "keep" if row.key in keep else "clear"
            actions.append(Change(row.key, action, old_shown, "" if action == "clear" else None, old_masked))
    return actions


def in_sync(actions: list[Change]) -> bool:
    return not any(action.action in PENDING for action in actions)


def equal(key: str, tenant: str, profile: str) -> bool:
    if tenant == profile:
        return True
    known = BY_GRAPH.get(key)
    if known is None:
        return False
    return KINDS[known.kind].equal(tenant, profile)


def unclearable(actions: list[Change], tenant: list[tuple[str, str]]) -> list[str]:
    """Keys to clear whose value is JSON: Graph refuses "" for them (and "{}" leaves them set)."""
    tenant_values = dict(tenant)
    found = []
    for action in actions:
        if action.action != "clear":
            continue
        known = BY_GRAPH.get(action.key)
        if known is None:
            continue
        if KINDS[known.kind].is_json(tenant_values[action.key]):
            found.append(action.key)
    return found


def put_body(pairs: list[OutPair], actions: list[Change]) -> list[tuple[str, str]]:
    """The PUT: the profile's pairs in canonical order, then "" for each key to clear. Correct
    whether Graph merges (the "" clears) or replaces (the set is exactly the profile)."""
    return [(pair.key, pair.value) for pair in pairs] + [(a.key, "") for a in actions if a.action == "clear"]

"""Saved plans: `plan --save FILE` writes one, `apply --plan FILE` applies it if nothing moved.

A saved plan holds no secret and no value that came from a reference (it may be kept as a CI
artifact): what each target would do, with masked values as the report shows them, and two
digests per target. `profile_digest` is of the unrevealed compiled body (placeholders, not
secrets) and the keep list; `tenant_digest` is of the pairs the tenant showed (secrets read
"*"). `apply --plan` re-reads both: if either differs, the plan is stale and nothing is sent.
A rotated secret behind an unchanged reference does not make a plan stale: it is sent anyway.
"""

from __future__ import annotations

import json

from .. import __version__
from ..problems import UserError
from ..run.outputs import replace_file
from .connection import Connection
from .planning import FAILED, TargetPlan

FORMAT = "syncsecrets-plan"
FORMAT_VERSION = 1


def plan_document(connection: Connection, tenant: str | None, environment: str | None, plans: list[TargetPlan]):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "syncsecrets_version": __version__,
        "graph": {"root": connection.root, "api": connection.api},
        "tenant": tenant,
        "environment": environment,
        "targets": [
            {
                "profile": plan.target.profile,
                "environment": plan.target.environment,
                "service_principal_id": plan.target.service_principal_id,
                "profile_digest": plan.target.digest,
                "tenant_digest": plan.tenant_digest,
                "actions": [action_document(action) for action in plan.actions],
            }
            for plan in plans
        ],
    }


def action_document(action) -> dict:
    return {"key": action.key, "action": action.action, "old": action.old, "new": action.new}


def save(path: str, document: dict) -> None:
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    replace_file(path, data)


def load(path: str) -> dict:
    from ..profile.source import read_text

    text = read_text(path, path, what="saved plan")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise UserError.single(
            path, "is not a saved plan (not JSON): write one with `syncsecrets plan --save`"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UserError.single(path, "is not a saved plan: write one with `syncsecrets plan --save`")
    if document.get("format_version") != FORMAT_VERSION or not isinstance(document.get("targets"), list):
        raise UserError.single(
            path,
            f"is a saved plan of another format (this syncsecrets reads version "
            f"{FORMAT_VERSION}): run `syncsecrets plan --save` again",
        )
    wrong = _misshapen(document)
    if wrong:
        raise UserError.single(
            path,
            "is not what `syncsecrets plan --save` writes (the file was edited?): run `syncsecrets plan --save` again",
            wrong,
        )
    return document


# What stale_reasons reads, and the types it may be: str, or None where it says so.
_TEXT, _OPTIONAL = (str,), (str, type(None))
_GRAPH_FIELDS = {"root": _TEXT, "api": _TEXT}
_TARGET_FIELDS = {
    "profile": _TEXT,
    "environment": _OPTIONAL,
    "service_principal_id": _TEXT,
    "profile_digest": _OPTIONAL,
    "tenant_digest": _OPTIONAL,
}


def _misshapen(document: dict) -> str | None:
    """The first field of a loaded plan that is not of the shape `plan_document` writes (a file
    edited by hand, or by a pull request), so that comparing it never fails on its types."""
    graph = document.get("graph")
    if not isinstance(graph, dict):
        return "graph"
    for name, types in _GRAPH_FIELDS.items():
        if not isinstance(graph.get(name), types):
            return f"graph.{name}"
    if not isinstance(document.get("environment"), _OPTIONAL):
        return "environment"
    for index, entry in enumerate(document["targets"]):
        if not isinstance(entry, dict):
            return f"targets[{index}]"
        for name, types in _TARGET_FIELDS.items():
            if not isinstance(entry.get(name), types):
                return f"targets[{index}].{name}"
    return None


def stale_reasons(
    document: dict, connection: Connection, environment: str | None, plans: list[TargetPlan]
) -> list[str]:
    """Why the saved plan no longer describes the profiles and the tenant (empty: it does)."""
    graph = document["graph"]
    if graph.get("root") != connection.root or graph.get("api") != connection.api:
        return [f"it was made against {graph.get('root')}/{graph.get('api')}, not {connection.root}/{connection.api}"]
    if document.get("environment") != environment:
        return [f"it was made for --env {document.get('environment') or '(none)'}"]
    saved = {_identity(entry): entry for entry in document["targets"]}
    current = {(plan.target.profile, plan.target.environment, plan.target.service_principal_id): plan for plan in plans}
    reasons = [f"{profile}: not in the plan" for profile, _env, _sp in _sorted(current.keys() - saved.keys())]
    reasons += [
        f"{profile}: in the plan, no longer a target" for profile, _env, _sp in _sorted(saved.keys() - current.keys())
    ]
    for identity in _sorted(current.keys() & saved.keys()):
        entry, plan = saved[identity], current[identity]
        if plan.status == FAILED:
            continue  # its tenant could not be read: reported as a failure, not as a change
        if entry.get("profile_digest") != plan.target.digest:
            reasons.append(f"{identity[0]}: the profile changed")
        if entry.get("tenant_digest") != plan.tenant_digest:
            reasons.append(f"{identity[0]}: the tenant's secrets of {identity[2]} changed")
    return reasons


def _sorted(identities) -> list[tuple]:
    return sorted(identities, key=lambda identity: (identity[0], identity[1] or "", identity[2]))


def _identity(entry: dict) -> tuple:
    return (entry.get("profile"), entry.get("environment"), entry.get("service_principal_id"))

"""Saved plans: `plan --save FILE` writes one, `apply --plan FILE` applies it if nothing moved.

A saved plan holds no secret and no value that came from a reference (it may be kept as a CI
artifact): what each target would do, with masked values as the report shows them, and two
digests per target. `profile_digest` is of the unrevealed compiled body (placeholders, not
secrets) and the keep list; `tenant_digest` is of the pairs the tenant showed (secrets read
"*"). `apply --plan` re-reads both: if either differs, or the actions are not those of a fresh
plan, or the token is for another tenant, the plan is stale and nothing is sent. A rotated
secret behind an unchanged reference does not make a plan stale: it is sent anyway.

Each target also holds its profile's path in the repository: `apply --plan FILE` needs no PATH.
"""

from __future__ import annotations

import json
import os
import posixpath

from .. import __version__
from ..problems import UserError
from ..profile.confine import repository
from ..run.outputs import replace_file
from .classify import ACTIONS
from .connection import Connection
from .planning import FAILED, TargetPlan

FORMAT = "syncsecrets-plan"
FORMAT_VERSION = 3  # 2: each target's path in the repository, every field checked on load; 3: job_id


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
                "path": repository_path(plan.target.profile),
                "environment": plan.target.environment,
                "service_principal_id": plan.target.service_principal_id,
                "profile_digest": plan.target.digest,
                "tenant_digest": plan.tenant_digest,
                "job_id": job_id(plan),
                "actions": [action_document(action) for action in plan.actions],
            }
            for plan in plans
        ],
    }


def job_id(plan: TargetPlan) -> str | None:
    """The id of the job the plan acts on (None: no [job], or none yet): another job in its place
    (deleted and created again, with the same status) makes the plan stale."""
    return plan.job.job_id if plan.job is not None else None


def action_document(action) -> dict:
    return {"key": action.key, "action": action.action, "old": action.old, "new": action.new}


def repository_path(profile: str) -> str:
    """Where a profile is in its repository (the git work tree holding it; outside git, the
    current folder), so that a plan made in one checkout finds its profiles in another."""
    real = os.path.realpath(profile)
    root = repository(os.path.dirname(real)) or os.path.realpath(os.curdir)
    return os.path.relpath(real, root).replace(os.sep, "/")


def profile_paths(document: dict) -> tuple[str, ...]:
    """The saved plan's profiles as PATH arguments: in the repository of the current folder."""
    root = repository(os.path.realpath(os.curdir)) or os.path.realpath(os.curdir)
    paths = (os.path.relpath(os.path.join(root, *entry["path"].split("/"))) for entry in document["targets"])
    return tuple(dict.fromkeys(paths))


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
    if document.get("format_version") != FORMAT_VERSION or isinstance(document.get("format_version"), bool):
        raise UserError.single(
            path,
            f"is a saved plan of another format (this syncsecrets reads version "
            f"{FORMAT_VERSION}): run `syncsecrets plan --save` again",
        )
    wrong = _misshapen(document, _DOCUMENT, "")
    if wrong:
        raise UserError.single(
            path,
            "is not what `syncsecrets plan --save` writes (the file was edited?): run `syncsecrets plan --save` again",
            wrong,
        )
    return document


# The shape plan_document writes, and nothing else: each object's fields, exactly, with the
# types each may hold (a tuple of types; a set: the values allowed).
_TEXT, _OPTIONAL = (str,), (str, type(None))
_ACTION = {"key": _TEXT, "action": set(ACTIONS), "old": _OPTIONAL, "new": _OPTIONAL}
_TARGET = {
    "profile": _TEXT,
    "path": "path",
    "environment": _OPTIONAL,
    "service_principal_id": _TEXT,
    "profile_digest": _TEXT,
    "tenant_digest": _TEXT,
    "job_id": _OPTIONAL,
    "actions": [_ACTION],
}
_DOCUMENT = {
    "format": _TEXT,
    "format_version": (int,),
    "syncsecrets_version": _TEXT,
    "graph": {"root": _TEXT, "api": _TEXT},
    "tenant": _OPTIONAL,
    "environment": _OPTIONAL,
    "targets": [_TARGET],
}


def _misshapen(value, shape, where: str) -> str | None:
    """The first field of `value` (at `where`) that is not of `shape`: missing, added, or of
    another type. A plan edited by hand, or by a pull request, is not applied."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return where or "the document"
        extra = sorted(set(value) - set(shape), key=str)
        if extra:
            return _field(where, extra[0])
        missing = [name for name in shape if name not in value]
        if missing:
            return _field(where, missing[0])
        found = (_misshapen(value[name], inner, _field(where, name)) for name, inner in shape.items())
        return next((wrong for wrong in found if wrong), None)
    if isinstance(shape, list):
        if not isinstance(value, list):
            return where
        found = (_misshapen(item, shape[0], f"{where}[{index}]") for index, item in enumerate(value))
        return next((wrong for wrong in found if wrong), None)
    if isinstance(shape, set):
        return None if isinstance(value, str) and value in shape else where
    if shape == "path":
        return None if isinstance(value, str) and _in_repository(value) else where
    return None if isinstance(value, shape) and not isinstance(value, bool) else where


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _in_repository(path: str) -> bool:
    """A path a saved plan may name: relative to the repository, normalised, never above it."""
    parts = path.split("/")
    return (
        path.endswith(".toml")
        and path == posixpath.normpath(path)
        and not path.startswith("/")
        and ".." not in parts
        and ("\\" not in path and "\0" not in path)
    )


def mismatch(document: dict, connection: Connection, tenant: str | None, environment: str | None) -> list[str]:
    """Why the saved plan is not for this run, known before any request to Graph: another Graph
    root or API, another --env, or a token for another tenant."""
    graph = document["graph"]
    if graph["root"] != connection.root or graph["api"] != connection.api:
        return [f"it was made against {graph['root']}/{graph['api']}, not {connection.root}/{connection.api}"]
    if document["environment"] != environment:
        return [f"it was made for --env {document['environment'] or '(none)'}"]
    if document["tenant"] != tenant:
        return [
            f"it was made for tenant {document['tenant'] or '(unknown)'}, and the credential is for tenant "
            f"{tenant or '(unknown)'}: sign in to the plan's tenant"
        ]
    return []


def stale_reasons(document: dict, plans: list[TargetPlan]) -> list[str]:
    """Why the saved plan no longer describes the profiles and the tenant (empty: it does):
    other targets, another profile or tenant (digests), or actions other than a fresh plan's."""
    saved = {_identity(entry): entry for entry in document["targets"]}
    current = {
        (repository_path(plan.target.profile), plan.target.environment, plan.target.service_principal_id): plan
        for plan in plans
    }
    reasons = [f"{current[key].target.profile}: not in the plan" for key in _sorted(current.keys() - saved.keys())]
    reasons += [
        f"{saved[key]['profile']}: in the plan, no longer a target" for key in _sorted(saved.keys() - current.keys())
    ]
    for identity in _sorted(current.keys() & saved.keys()):
        entry, plan = saved[identity], current[identity]
        if plan.status == FAILED:
            continue  # its tenant could not be read: reported as a failure, not as a change
        name, fresh = plan.target.profile, [action_document(action) for action in plan.actions]
        moved = entry["profile_digest"] != plan.target.digest, entry["tenant_digest"] != plan.tenant_digest
        if moved[0]:
            reasons.append(f"{name}: the profile changed")
        if moved[1]:
            reasons.append(f"{name}: the tenant's secrets of {identity[2]} changed")
        if any(moved):
            continue  # the actions follow from what moved
        if entry["job_id"] != job_id(plan) or _job_actions(entry["actions"]) != _job_actions(fresh):
            reasons.append(f"{name}: the synchronization job of {identity[2]} changed")
        elif entry["actions"] != fresh:
            reasons.append(f"{name}: its actions are not what a fresh plan finds (was the file edited?)")
    return reasons


def _job_actions(documents: list[dict]) -> list[dict]:
    return [document for document in documents if document["key"] == "job"]


def _sorted(identities) -> list[tuple]:
    return sorted(identities, key=lambda identity: (identity[0], identity[1] or "", identity[2]))


def _identity(entry: dict) -> tuple:
    return (entry["path"], entry["environment"], entry["service_principal_id"])

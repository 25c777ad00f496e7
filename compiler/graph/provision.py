"""Provisioning one object on demand: the request, Graph's rate limit, and what the answer says.

POST `.../jobs/{jobId}/provisionOnDemand` answers `{"key": <summary>, "value": <result>}`, both
JSON documents inside strings: the result holds `provisioningSteps` (name, type, status,
description, details) and `statusInfo` (status, errorCode, reason, or an `errorInformation`
object holding them). Parsing is pure (`parse_answer`); every text is cleaned before it is shown,
since the steps echo attributes of the object and of the target application.
"""

from __future__ import annotations

import json
import threading
from typing import NamedTuple

from ..problems import Problem
from .client import GraphClient, GraphError, Interrupted, clean_message
from .endpoints import job_url
from .retry import CLOCK, Clock

LIMIT, WINDOW = 5, 10.0  # provisionOnDemand: 5 requests per 10 seconds (Microsoft's documented limit)
FAILED_STATUSES = ("failure", "failed", "error")
MAX_STEPS = 20


class Step(NamedTuple):
    name: str
    type: str
    status: str
    description: str
    details: tuple[tuple[str, str], ...]  # shown for a failed step: why

    @property
    def failed(self) -> bool:
        return self.status.lower() in FAILED_STATUSES


class Outcome(NamedTuple):
    status: str  # Success, Skipped, Warning, Failure (statusInfo.status, or the summary's result)
    steps: tuple[Step, ...]
    error_code: str | None
    reason: str | None
    hidden: int = 0  # steps past MAX_STEPS, left out

    @property
    def failed(self) -> bool:
        return self.status.lower() in FAILED_STATUSES or any(step.failed for step in self.steps)

    @property
    def failed_step(self) -> Step | None:
        return next((step for step in self.steps if step.failed), None)


def parse_answer(answer: object) -> Outcome:
    """The outcome of Graph's answer; GraphError when it is not the documented shape."""
    if not isinstance(answer, dict):
        raise _unexpected("is not a JSON object")
    summary = _inner(answer.get("key"), "key")
    result = _inner(answer.get("value"), "value")
    info = result.get("statusInfo") if isinstance(result.get("statusInfo"), dict) else {}
    error = info.get("errorInformation") if isinstance(info.get("errorInformation"), dict) else info
    details = summary.get("details") if isinstance(summary.get("details"), dict) else {}
    status = _text(info.get("status")) or _text(summary.get("result")) or "Unknown"
    steps = result.get("provisioningSteps", [])
    if not isinstance(steps, list):
        raise _unexpected("holds provisioningSteps that are not a list")
    steps = [step for step in steps if isinstance(step, dict)]
    # Graph takes an object through four or five steps: more is a broken or hostile answer, and
    # every step would be printed. The first failed one is kept, wherever it is.
    shown = steps[:MAX_STEPS]
    failed = next((step for step in steps[MAX_STEPS:] if _step(step).failed), None)
    shown += [failed] if failed is not None else []
    return Outcome(
        status=status,
        steps=tuple(_step(step) for step in shown),
        hidden=len(steps) - len(shown),
        error_code=_text(error.get("errorCode")) or _text(details.get("errorCode")) or None,
        reason=_text(error.get("reason")) or _text(details.get("errorMessage")) or None,
    )


def outcome_lines(outcome: Outcome) -> list[str]:
    """The steps in order, each with its status; the failed one with why."""
    lines = []
    for step in outcome.steps:
        lines.append(f"{step.status:<8} {step.type or step.name}: {step.description}".rstrip(": "))
        if step.failed:
            lines += [f"         {name}: {value}" for name, value in step.details]
    if outcome.hidden:
        lines.append(f"(and {outcome.hidden} more steps, not shown)")
    if outcome.failed:
        where = outcome.failed_step
        named = f" at step {where.name} ({where.type})" if where else ""
        why = ": ".join(part for part in (outcome.error_code, outcome.reason) if part)
        lines.append(f"failed{named}" + (f": {why}" if why else ""))
    else:
        lines.append(outcome.status.lower() if outcome.status else "done")
    return lines


class Pacer:
    """At most `limit` calls in any `window` seconds: waits, on `clock` (the retries' clock, which
    tests replace), before a call that would exceed it; Interrupted if the run is stopped meanwhile."""

    def __init__(
        self, clock: Clock = CLOCK, stop: threading.Event | None = None, limit: int = LIMIT, window: float = WINDOW
    ):
        self.clock, self.stop, self.limit, self.window = clock, stop, limit, window
        self.sent: list[float] = []

    def wait_turn(self) -> None:
        now = self.clock.now()
        self.sent = [at for at in self.sent if now - at < self.window]
        if len(self.sent) >= self.limit:
            if self.clock.sleep_until(self.sent[0] + self.window, self.stop):
                raise Interrupted()
            now = self.clock.now()
            self.sent = [at for at in self.sent if now - at < self.window]
        self.sent.append(now)


def provision(
    client: GraphClient, principal: str, job_id: str, rule_id: str, object_id: str, type_name: str, pacer: Pacer
) -> Outcome:
    """One object now; Graph's 429 is waited out by the client (Retry-After), never a failure."""
    body = {"parameters": [{"ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": type_name}]}]}
    pacer.wait_turn()
    return parse_answer(
        client.post_json(f"{job_url(client, principal, job_id)}/provisionOnDemand", body, repeatable=False)
    )


def rules_for(schema: object, type_name: str) -> list[tuple[str, str]]:
    """(id, name) of the schema's rules with an enabled object mapping from `type_name`."""
    rules = schema.get("synchronizationRules") if isinstance(schema, dict) else None
    if not isinstance(rules, list):
        raise GraphError(None, "UnexpectedAnswer", "Graph's job schema has no synchronizationRules list")
    found = []
    for rule in rules:
        if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
            continue
        mappings = rule.get("objectMappings") if isinstance(rule.get("objectMappings"), list) else []
        if any(
            isinstance(m, dict)
            and m.get("enabled", True) is not False
            and _text(m.get("sourceObjectName")).lower() == type_name.lower()
            for m in mappings
        ):
            found.append((clean_message(rule["id"]), clean_message(_text(rule.get("name")))))
    return found


def _step(step: dict) -> Step:
    details = step.get("details") if isinstance(step.get("details"), dict) else {}
    shown = tuple(
        (clean_message(str(k)), clean_message(v if isinstance(v, str) else json.dumps(v)))
        for k, v in list(details.items())[:20]
    )
    return Step(
        _text(step.get("name")),
        _text(step.get("type")),
        _text(step.get("status")) or "Unknown",
        _text(step.get("description")),
        shown,
    )


def _inner(text: object, name: str) -> dict:
    if text is None:
        return {}
    if not isinstance(text, str):
        raise _unexpected(f"holds a {name} that is not a string")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise _unexpected(f"holds a {name} that is not JSON") from None
    if not isinstance(document, dict):
        raise _unexpected(f"holds a {name} that is not a JSON object")
    return document


def _unexpected(what: str) -> GraphError:
    return GraphError(None, "UnexpectedAnswer", f"Graph's provisionOnDemand answer {what}")


def _text(value: object) -> str:
    return clean_message(value) if isinstance(value, str) else ""


def provision_target(
    client: GraphClient, plan, subjects: list[str], type_name: str, rule: str | None, pacer: Pacer | None = None
) -> None:
    """Provisions `subjects` with the target's job; plan.status provisioned, not-provisioned (a
    step failed) or failed (Graph refused), plan.problems for what the profile's owner must decide,
    plan.detail: the job, the rule, each subject's steps (and `lines`, as text shows them)."""
    from .job_action import WrongTemplate, target_job
    from .jobs import JobChoice, read_job_schema
    from .planning import FAILED, NOT_PROVISIONED, PROVISIONED

    target = plan.target
    pacer = pacer or Pacer(client.clock, client.stop)
    try:
        job = target_job(client, target)
        if job is None:
            raise GraphError(
                None,
                "NoSynchronizationJob",
                "the service principal has no synchronization job: create it first (`[job]` and `syncsecrets apply`)",
            )
        plan.detail["job_id"] = job["id"]
        if rule is None:
            rules = rules_for(read_job_schema(client, target.service_principal_id, job["id"]), type_name)
            if len(rules) != 1:
                listed = "; ".join(f"{rule_id} ({name})" if name else rule_id for rule_id, name in rules)
                why = (
                    f"several rules provision {type_name} objects: {listed}"
                    if rules
                    else f"no rule of the job's schema provisions {type_name} objects"
                )
                raise _Choice(Problem(target.profile, f"{why}: name one with --rule RULE_ID", "--rule"))
            rule = rules[0][0]
        plan.detail["rule_id"] = rule
        results, lines = [], []
        for subject in subjects:
            outcome = provision(client, target.service_principal_id, job["id"], rule, subject, type_name, pacer)
            results.append(_subject(subject, type_name, outcome))
            lines += [f"{type_name} {clean_message(subject)}:", *(f"  {line}" for line in outcome_lines(outcome))]
            plan.detail["subjects"], plan.detail["lines"] = results, lines
    except (WrongTemplate, JobChoice, _Choice) as refused:
        plan.status, plan.error = FAILED, refused.problem.message
        plan.problems.append(refused.problem)
        return
    except GraphError as error:
        plan.status, plan.error = FAILED, str(error)
        return
    except Interrupted:
        return
    plan.status = NOT_PROVISIONED if any(result["failed"] for result in results) else PROVISIONED


class _Choice(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _subject(subject: str, type_name: str, outcome: Outcome) -> dict:
    failed = outcome.failed_step
    return {
        "object_id": clean_message(subject),
        "type": type_name,
        "status": outcome.status,
        "failed": outcome.failed,
        "failed_step": failed.name if failed else None,
        "error": ": ".join(part for part in (outcome.error_code, outcome.reason) if part) or None,
        "steps": [
            {"name": step.name, "type": step.type, "status": step.status, "description": step.description}
            for step in outcome.steps
        ],
    }

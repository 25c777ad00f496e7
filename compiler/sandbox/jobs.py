"""Synchronization jobs of the fake Graph: templates, creating a job, list, get, start / pause /
restart (criteria checked), validateCredentials (which tests credentials against the app the job
provisions), and provisionOnDemand (a job's schema: schema.py).

The provisioning target is simulated by `Job.accepts`: credentials are valid when they hold
every one of those pairs (None: any credentials work). Status transitions follow Graph: a new
job is NotConfigured with its schedule Disabled; start makes the schedule Active (status NotRun
until a first cycle, Active when resumed), pause makes both Paused; restart with QuarantineState
(or Full, or empty criteria, the portal's "Restart provisioning") lifts a quarantine.
"""

from __future__ import annotations

import json
import secrets as random
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import odata
from .secrets_state import Refused, parse_put_body
from .server import Request, Response

ACTIONS = ("validateCredentials", "start", "pause", "restart", "provisionOnDemand")
RESET_SCOPES = ("Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes", "None", "ConnectorDataStore")
LIFTS_QUARANTINE = ("QuarantineState", "Full")
ON_DEMAND_LIMIT, ON_DEMAND_WINDOW = 5, 10.0  # requests per seconds, as Microsoft documents


def template(template_id: str, factory_tag: str = "CustomSCIM") -> dict[str, Any]:
    """A synchronization template as GET .../templates lists it (schema left out: its default
    schema is what GET .../jobs/{id}/schema serves for a new job)."""
    return {
        "id": template_id,
        "applicationId": None,
        "default": True,
        "description": None,
        "discoverable": True,
        "factoryTag": factory_tag,
        "metadata": [],
    }


def new_job_id(template_id: str) -> str:
    """`<templateId>.<32 hex>.<guid>`, as Graph names jobs."""
    return f"{template_id}.{random.token_hex(16)}.{uuid.uuid4()}"


@dataclass
class Job:
    id: str
    template_id: str
    status: str = "Active"  # synchronizationStatus.code: NotConfigured, NotRun, Active, Paused, Quarantine
    accepts: dict[str, str] | None = None
    # synchronizationStatus objects, served as given (Graph's shapes: synchronizationTaskExecution
    # {state, timeBegan, timeEnded, error {code, message, tenantActionable}, countExported...},
    # synchronizationQuarantine {reason, currentBegan, nextAttempt, seriesBegan, seriesCount, error},
    # synchronizationProgress [{completedUnits, totalUnits, units, progressObservationDateTime}]).
    last_execution: dict[str, Any] | None = None
    quarantine: dict[str, Any] | None = None
    progress: list[dict[str, Any]] | None = None
    failures: int = 0  # countSuccessiveCompleteFailures
    schedule: str | None = None  # Active, Disabled, Paused; None: as the status code implies
    interval: str = "PT40M"
    schema: dict[str, Any] | None = None  # None: the template's default (schema.py serves both)
    restarts: list[str] = field(default_factory=list)  # the resetScope of every restart, in order

    def __post_init__(self) -> None:
        if self.schedule is None:
            self.schedule = {"NotConfigured": "Disabled", "Paused": "Paused"}.get(self.status, "Active")

    def document(self) -> dict[str, Any]:
        succeeded = self.last_execution if (self.last_execution or {}).get("state") == "Succeeded" else None
        return {
            "id": self.id,
            "templateId": self.template_id,
            "schedule": {
                "expiration": None,
                "interval": self.interval,
                "state": self.schedule,
            },
            "status": {
                "code": self.status,
                "countSuccessiveCompleteFailures": self.failures,
                "escrowsPruned": False,
                "lastExecution": self.last_execution,
                "lastSuccessfulExecution": succeeded,
                "lastSuccessfulExecutionWithExports": succeeded,
                "progress": self.progress or [],
                "quarantine": self.quarantine,
                "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
                "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z",
                "synchronizedEntryCountByType": [],
                "troubleshootingUrl": None,
            },
        }


def listing(request: Request, context: str, jobs: dict[str, Job], job_id: str | None) -> Response:
    """GET .../jobs (all) or .../jobs/{jobId} (one)."""
    if job_id is None:
        return Response.json(200, {"@odata.context": context, "value": [job.document() for job in jobs.values()]})
    job = jobs.get(job_id)
    if job is None:
        return odata.error(request, 404, "Request_ResourceNotFound", f"Resource '{job_id}' does not exist.")
    return Response.json(200, {"@odata.context": f"{context}/$entity", **job.document()})


def parse_validate_body(document: object) -> tuple[bool, list[tuple[str, str]]]:
    """(useSavedCredentials, credentials) of a validateCredentials body, or Refused."""
    if not isinstance(document, dict):
        raise Refused("BadRequest", "Empty Payload. JSON content expected.")
    use_saved = document.get("useSavedCredentials", False)
    if not isinstance(use_saved, bool):
        raise Refused("BadRequest", "Invalid JSON. 'useSavedCredentials' must be a boolean.")
    return use_saved, parse_put_body({"value": document.get("credentials") or []})


def validate(request: Request, job: Job, credentials: dict[str, str]) -> Response:
    if job.accepts is None or all(credentials.get(key) == value for key, value in job.accepts.items()):
        return Response(204, headers={"request-id": odata.new_request_id()})
    # Shape guessed from the provisioning service's habit of nesting its own error as JSON.
    nested = {
        "code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
        "message": "We were unable to validate the credentials: the target application refused them.",
    }
    return odata.error(request, 400, "BadRequest", json.dumps(nested))


def create(
    request: Request, jobs: dict[str, Job], templates: list[dict[str, Any]], accepts: dict[str, str] | None = None
) -> Response:
    """POST .../jobs {"templateId"}: 201 and the new job, disabled and not configured; its
    application accepts the credentials `accepts` describes (see Job.accepts)."""
    document = request.json()
    template_id = document.get("templateId") if isinstance(document, dict) else None
    if not isinstance(template_id, str) or not template_id:
        return odata.error(request, 400, "BadRequest", "The templateId is required.")
    if template_id not in {item["id"] for item in templates}:
        return odata.error(request, 404, "ObjectNotFound", f"Template '{template_id}' was not found.")
    job = Job(new_job_id(template_id), template_id, "NotConfigured", accepts)
    jobs[job.id] = job
    return Response.json(201, job.document(), {"request-id": odata.new_request_id()})


def act(request: Request, job: Job, action: str) -> Response:
    """start / pause / restart: 204, and the job's status follows (criteria of restart checked)."""
    if action == "restart":
        scopes, refused = restart_scopes(request.json())
        if refused:
            return odata.error(request, 400, "BadRequest", refused)
        job.restarts.append(", ".join(scopes))
        if not scopes or any(scope in LIFTS_QUARANTINE for scope in scopes):
            job.quarantine = None
            if job.status == "Quarantine":
                job.status = "Active"
        if job.schedule != "Active":
            job.schedule, job.status = "Active", "NotRun" if job.status == "NotConfigured" else "Active"
    elif action == "pause":
        job.status, job.schedule = "Paused", "Paused"
    else:  # start: resumes, starts a new job (NotRun until its first cycle), lifts a quarantine
        job.status = "NotRun" if job.status == "NotConfigured" else "Active"
        job.schedule = "Active"
        job.quarantine = None
    return Response(204, headers={"request-id": odata.new_request_id()})


def restart_scopes(document: object) -> tuple[list[str], str | None]:
    """The resetScope values of a restart body, or why Graph would refuse it."""
    if document is None:
        return [], None
    criteria = document.get("criteria") if isinstance(document, dict) else None
    if criteria is None or criteria == {}:
        return [], None
    scope = criteria.get("resetScope") if isinstance(criteria, dict) else None
    if not isinstance(scope, str):
        return [], "Invalid JSON. 'criteria.resetScope' must be a string."
    scopes = [part.strip() for part in scope.split(",") if part.strip()]
    unknown = [part for part in scopes if part not in RESET_SCOPES]
    if unknown:
        return [], f"Requested value '{unknown[0]}' was not found."
    return scopes, None


@dataclass
class OnDemand:
    """What provisionOnDemand answers for an object: the result and its steps (Graph's shapes)."""

    result: str = "Success"  # Success, Failure, Skipped
    failed_step: str | None = None  # the step that fails, by type (Import, Scoping, Matching, Export)
    error_code: str = "SystemForCrossDomainIdentityManagementBadRequest"
    reason: str = "The target application refused the request."


STEP_NAMES = (
    ("Import", "EntryImport"),
    ("Scoping", "EntrySynchronizationScoping"),
    ("Matching", "EntryImportByMatchingAttributes"),
    ("Export", "EntryExportAdd"),
)


def provision_answer(request: Request, job: Job, schema: dict[str, Any], outcomes: dict[str, OnDemand]) -> Response:
    """200 `{"key": <summary as JSON text>, "value": <the result as JSON text>}`, as Graph does."""
    document = request.json()
    try:
        (parameter,) = document["parameters"]
        rule_id = parameter["ruleId"]
        (subject,) = parameter["subjects"]
        object_id, type_name = subject["objectId"], subject["objectTypeName"]
        assert isinstance(rule_id, str) and isinstance(object_id, str) and isinstance(type_name, str)
    except (KeyError, TypeError, ValueError, AssertionError):
        return odata.error(request, 400, "BadRequest", "The request body is not valid parameters.")
    rules = [rule.get("id") for rule in schema.get("synchronizationRules") or []]
    if rule_id not in rules:
        return odata.error(request, 400, "BadRequest", f"Rule '{rule_id}' was not found in the schema.")
    outcome = outcomes.get(object_id, OnDemand())
    steps, failed = [], False
    for kind, name in STEP_NAMES:
        status = "Success"
        if failed:
            break
        if outcome.failed_step == kind:
            status, failed = "Failure", True
        elif outcome.result == "Skipped" and kind == "Export":
            status = "Skipped"
        details = {"SkipReason": "RedundantExport"} if status == "Skipped" else {}
        if status == "Failure":
            details = {"ReportableIdentifier": object_id, "ErrorCode": outcome.error_code, "Reason": outcome.reason}
        steps.append(
            {
                "name": name,
                "type": kind,
                "status": status,
                "description": f"{kind} of {type_name} '{object_id}'",
                "timestamp": "2026-01-01T00:00:00Z",
                "details": details,
            }
        )
    status = "Failure" if failed else outcome.result
    info = {
        "status": status,
        "errorCode": outcome.error_code if failed else None,
        "reason": outcome.reason if failed else None,
    }
    value = {
        "action": "Create",
        "provisioningSteps": steps,
        "statusInfo": info,
        "reportableIdentifier": object_id,
        "sourceIdentity": {"id": object_id, "type": type_name},
    }
    key = {
        "result": status,
        "details": {"errorCode": info["errorCode"], "errorMessage": info["reason"]} if failed else {},
    }
    body = {
        "@odata.context": "https://syncfabric.windowsazure.com/api/$metadata#microsoft.synchronization.stringKeyStringValuePair",
        "key": json.dumps(key),
        "value": json.dumps(value),
    }
    return Response.json(200, body, {"request-id": odata.new_request_id()})

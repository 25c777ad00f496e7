"""Synchronization jobs of the fake Graph: list, get, start / pause / restart, and
validateCredentials (which tests credentials against the app the job provisions).

The provisioning target is simulated by `Job.accepts`: credentials are valid when they hold
every one of those pairs (None: any credentials work).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import odata
from .secrets_state import Refused, parse_put_body
from .server import Request, Response

ACTIONS = ("validateCredentials", "start", "pause", "restart")


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

    def document(self) -> dict[str, Any]:
        succeeded = self.last_execution if (self.last_execution or {}).get("state") == "Succeeded" else None
        return {
            "id": self.id,
            "templateId": self.template_id,
            "schedule": {
                "expiration": None,
                "interval": "PT40M",
                "state": "Paused" if self.status == "Paused" else "Active",
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


def act(request: Request, job: Job, action: str) -> Response:
    """start / pause / restart: 204, and the job's status follows."""
    job.status = "Paused" if action == "pause" else "Active"
    if action != "pause":  # start and restart lift a quarantine
        job.quarantine = None
    return Response(204, headers={"request-id": odata.new_request_id()})

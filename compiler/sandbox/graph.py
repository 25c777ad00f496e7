"""A fake Microsoft Graph serving the synchronization secrets (and jobs) of service principals.

- GET/PUT  /{v1.0|beta}/servicePrincipals/{id}/synchronization/secrets
- GET      /{v1.0|beta}/servicePrincipals/{id}/synchronization/jobs[/{jobId}]
- POST     .../jobs {"templateId"}   (201, the new job)
- POST     .../jobs/{jobId}/validateCredentials | start | pause | restart | provisionOnDemand  (jobs.py;
           provisionOnDemand answers 429 past 5 requests in 10 s, by `clock` as the rate limit)
- GET      .../synchronization/templates[/{id}[/schema]]; GET/PUT/DELETE .../jobs/{jobId}/schema, its
           parseExpression, filterOperators and functions (schema.py)

Stateful per service principal; PUT merges (default) or replaces (`semantics`); GET masks
secrets as "*", pages with an absolute `@odata.nextLink` and may lag behind PUTs; every request
needs a bearer token, checked by the TokenVerifier given (the tests' fake authority, or the
sandbox's own), for this Graph root. Scripted faults come first, then the rate limit
(`limit_rate`: 429 with Retry-After beyond so many requests per second).
Rules of the stored secrets live in secrets_state.py.
"""

from __future__ import annotations

import copy
import re
import secrets as random
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from . import odata
from . import schema as schemas
from .faults import Fault, FaultScript, RateLimit, Streamed, scripted_answer
from .jobs import (
    ON_DEMAND_LIMIT,
    ON_DEMAND_WINDOW,
    Job,
    OnDemand,
    act,
    create,
    listing,
    parse_validate_body,
    provision_answer,
    template,
    validate,
)
from .secrets_state import Principal, Refused, apply_put, masked_view, parse_put_body, sent_pairs, violation
from .server import Request, Response

_PATH = re.compile(
    r"^/(?P<version>v1\.0|beta)/servicePrincipals/(?P<sp>[^/]+)/synchronization/"
    r"(?:(?P<secrets>secrets)|jobs(?:/(?P<job>[^/]+)"
    r"(?:/(?P<action>validateCredentials|start|pause|restart|provisionOnDemand))?)?)$",
    re.IGNORECASE,
)


HOLD_SECONDS = 30


class TokenVerifier(Protocol):
    """Who issues the tokens this Graph accepts: `verify` gives the claims of a token it issued
    (signature and issuer; None otherwise), `authorization_uri` goes into the 401 challenge.
    Audience and expiry are checked here, as a resource does."""

    @property
    def authorization_uri(self) -> str: ...

    def verify(self, token: str) -> dict[str, Any] | None: ...


@dataclass
class GraphRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the parsed JSON body, or None
    status: int  # 0 = connection reset
    authorized: bool
    tenant: str | None  # the token's `tid`, when the token was ours


class FakeGraph:
    def __init__(self, verifier: TokenVerifier, journal_limit: int | None = None) -> None:
        """`journal_limit`: keep only the newest so many records of the journal (None: all of them,
        as tests read it); a long-running sandbox must not grow with every request."""
        self.url = ""  # "https://127.0.0.1:PORT", set once served
        self.semantics = "merge"
        self.page_size: int | None = None
        self.lag = 0
        self.latency = 0.0
        self.clock = time.monotonic  # what the rate limit measures time with
        self._rate_limit: RateLimit | None = None
        self._hold: tuple[str, int, threading.Event, threading.Event] | None = None
        self.journal: list[GraphRecord] = []
        self._journal_limit = journal_limit
        self.violations: list[str] = []
        self._verifier = verifier
        self._principals: dict[str, Principal] = {}
        self._tenants: dict[str, str] = {}  # sp id -> tenant, when a test pins one
        self._pages: dict[str, tuple[str, list[dict[str, str]]]] = {}  # skiptoken -> (sp id, rest of the view)
        self._faults = FaultScript()
        self._lock = threading.RLock()
        self.schemas = schemas.Schemas()  # template schemas and jobs' schemas; `.lag` delays reads
        self._on_demand: list[float] = []  # arrival times of provisionOnDemand requests
        self.outcomes: dict[str, OnDemand] = {}  # object id -> what provisionOnDemand answers
        self.new_job_accepts: dict[str, str] | None = None  # Job.accepts of every job POSTed

    # -- set-up and inspection, from tests ---------------------------------------------------
    def add_principal(
        self,
        sp_id: str,
        pairs: dict[str, str] | None = None,
        *,
        tenant_id: str | None = None,
        templates: tuple[str, ...] = ("scim",),
    ) -> None:
        """A service principal with these stored secrets and synchronization templates (jobs are
        created from them); with `tenant_id`, visible only to tokens of that tenant (others get
        404, as another tenant's object does not exist)."""
        with self._lock:
            self._principals[sp_id] = Principal(pairs=dict(pairs or {}), templates=[template(t) for t in templates])
            if tenant_id:
                self._tenants[sp_id] = tenant_id

    def pairs(self, sp_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._principals[sp_id].pairs)

    def add_job(
        self,
        sp_id: str,
        job_id: str,
        template_id: str,
        status: str = "Active",
        *,
        accepts: dict[str, str] | None = None,
        last_execution: dict[str, Any] | None = None,
        quarantine: dict[str, Any] | None = None,
        progress: list[dict[str, Any]] | None = None,
        failures: int = 0,
        schedule: str | None = None,
        interval: str = "PT40M",
    ) -> None:
        """A synchronization job; validateCredentials succeeds when the credentials hold every
        pair of `accepts` (None: always). `last_execution`, `quarantine` and `progress` are
        served in its status as given; `schedule` (Active, Disabled, Paused) defaults to what
        the status implies (see jobs.Job)."""
        job = Job(
            job_id, template_id, status, accepts, last_execution, quarantine, progress, failures, schedule, interval
        )
        with self._lock:
            self._principals[sp_id].jobs[job_id] = job

    def job_status(self, sp_id: str, job_id: str) -> str:
        with self._lock:
            return self._principals[sp_id].jobs[job_id].status

    def jobs(self, sp_id: str) -> dict[str, Job]:
        """The principal's jobs (id -> jobs.Job: status, schedule, quarantine, restarts)."""
        with self._lock:
            return dict(self._principals[sp_id].jobs)

    def calls(self, sp_id: str) -> list[str]:
        """`METHOD last-segments` of every request about this principal, in arrival order:
        "GET secrets", "POST jobs", "POST start", "PUT secrets"..., for tests of the order."""
        marker = f"/servicePrincipals/{sp_id}/synchronization/".lower()
        with self._lock:
            found = []
            for record in self.journal:
                path = record.path.lower()
                if marker in path:
                    rest = record.path[path.index(marker) + len(marker) :].split("/")
                    name = rest[0] if len(rest) == 1 else "job" if len(rest) == 2 else rest[2]
                    found.append(f"{record.method} {name}")
            return found

    def fault(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        sp_id: str | None = None,
        retry_after: int | str | None = None,
        code: str | None = None,
        message: str | None = None,
        applied: bool = False,
        location: str | None = None,
        body: bytes | Streamed | None = None,
        headers: dict[str, str] | None = None,
        echo: bool = False,
        path: str | None = None,
    ) -> None:
        """The next `times` matching requests fail with `status` (0: the connection is reset).
        `retry_after`: seconds (int) or an HTTP-date (str, see faults.http_date). `applied`: the
        request takes effect first and only its reply is lost or failed. `location`: with a 3xx
        status, a redirect there (to test that a client does not follow it with its token). `body`:
        these bytes are the answer instead of Graph's error document (a hostile or broken answer,
        also with a 2xx status), or a `faults.Streamed` body (`endless()`, `trickle()`). `headers`: added to
        the answer (`{"Content-Encoding": "gzip"}` with `body=faults.gzip_bomb()`). `echo`: the message
        quotes the request's body, and the answer is written as .NET writes JSON (`\\u002B` for `+`,
        upper-case hex; odata.dotnet_json). `path`: only requests whose path ends so ("/jobs")."""
        fault = Fault(
            status, times, method, sp_id, retry_after, code, message, applied, location, body, headers or {}, echo, path
        )
        self._faults.add(fault)

    def hold(self, method: str, after: int) -> tuple[threading.Event, threading.Event]:
        """The request of `method` that comes after the first `after` ones waits until `release`
        is set (at most HOLD_SECONDS). (arrived, release): `arrived` is set when it is held, so a
        test can catch a run in the middle of that request, e.g. to signal it, without a sleep."""
        arrived, release = threading.Event(), threading.Event()
        self._hold = (method.upper(), after, arrived, release)
        return arrived, release

    def _wait_if_held(self, method: str) -> None:
        hold = self._hold
        if hold is None or hold[0] != method:
            return
        with self._lock:
            seen = sum(1 for record in self.journal if record.method == method)
        if seen == hold[1] and not hold[2].is_set():
            hold[2].set()
            hold[3].wait(HOLD_SECONDS)

    def limit_rate(self, per_second: float | None) -> None:
        """At most `per_second` requests a second from now on (None: no limit); beyond it,
        429 TooManyRequests with Retry-After, as Graph throttles (see faults.RateLimit)."""
        self._rate_limit = RateLimit(per_second, self.clock) if per_second else None

    @property
    def pending_faults(self) -> list[Fault]:
        return self._faults.pending

    def puts(self, sp_id: str) -> list[Any]:
        """The bodies of every PUT of this principal's secrets, in arrival order."""
        suffix = f"/servicePrincipals/{sp_id}/synchronization/secrets".lower()
        with self._lock:
            return [r.body for r in self.journal if r.method == "PUT" and r.path.lower().endswith(suffix)]

    def schema(self, sp_id: str, job_id: str) -> dict[str, Any]:
        """The schema the job holds now (a copy)."""
        with self._lock:
            return copy.deepcopy(self.schemas.of_job(self._principals[sp_id].jobs[job_id]))

    def set_schema(self, sp_id: str, job_id: str, document: dict[str, Any]) -> None:
        """The job's schema as if someone had changed it in the portal (drift)."""
        with self._lock:
            self._principals[sp_id].jobs[job_id].schema = copy.deepcopy(document)

    def requests(self, method: str, suffix: str) -> list[GraphRecord]:
        """The requests of `method` whose path ends with `suffix` (any case), in arrival order."""
        with self._lock:
            return [r for r in self.journal if r.method == method and r.path.lower().endswith(suffix.lower())]

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        self._wait_if_held(request.method)
        match = schemas.ROUTE.match(request.path) or _PATH.match(request.path)
        sp_id = match["sp"] if match else None
        claims, auth_error = self._authenticate(request)
        # Checked before anything else: a mask or a placeholder sent is a bug even when the
        # request is then refused for its token or hit by a scripted fault.
        reason = violation(sent_pairs(request.json())) if request.method in ("PUT", "POST") else None
        if reason is not None:
            with self._lock:
                self.violations.append(reason)
        fault = self._faults.take(request.method, sp_id, request.path)
        limit = self._rate_limit
        wait = limit.retry_after() if fault is None and limit is not None else None
        if wait is not None:
            fault = Fault(429, retry_after=wait, code="TooManyRequests", message="Too many requests.")
        if fault is not None and fault.applied and auth_error is None and match and reason is None:
            self._route(request, match, claims)
        if fault is not None:
            response = self._fault_response(request, fault)
        elif auth_error is not None:
            response = auth_error
        elif reason is not None:
            response = odata.error(request, 400, "BadRequest", f"Invalid value for a synchronization secret: {reason}.")
        elif match is None:
            segment = request.path.rstrip("/").rsplit("/", 1)[-1]
            response = odata.error(request, 400, "BadRequest", f"Resource not found for the segment '{segment}'.")
        else:
            response = self._route(request, match, claims)
        with self._lock:
            self.journal.append(
                GraphRecord(
                    request.method,
                    request.path,
                    request.query,
                    request.json(),
                    response.status,
                    authorized=auth_error is None,
                    tenant=claims.get("tid") if claims else None,
                )
            )
            if self._journal_limit is not None and len(self.journal) > self._journal_limit:
                del self.journal[0]
        return response

    def _authenticate(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": f'Bearer realm="", authorization_uri="{self._verifier.authorization_uri}"'}

        def refuse(message: str) -> Response:
            return odata.error(request, 401, "InvalidAuthenticationToken", message, challenge)

        if kind.lower() != "bearer" or not token.strip():
            return None, refuse("Access token is empty.")
        claims = self._verifier.verify(token.strip())
        if claims is None:
            return None, refuse("Access token validation failure.")
        if str(claims.get("aud", "")).rstrip("/") != self.url:
            return claims, refuse("Access token validation failure. Invalid audience.")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= time.time():
            return claims, refuse("Lifetime validation failed, the token is expired.")
        return claims, None

    def _fault_response(self, request: Request, fault: Fault) -> Response:
        headers = fault.answer_headers
        scripted = scripted_answer(fault, headers)
        if scripted is not None:
            return scripted
        if fault.echo:
            sent = odata.dotnet_json(request.json())
            return odata.error(request, fault.status, fault.code, f"Validation failed for {sent}", headers, dotnet=True)
        return odata.error(request, fault.status, fault.code, fault.message, headers)

    def _route(self, request: Request, match: re.Match[str], claims: dict[str, Any] | None) -> Response:
        sp_id, version = match["sp"], match["version"]
        with self._lock:
            principal = self._principals.get(sp_id)
            pinned = self._tenants.get(sp_id)
        if principal is None or (pinned and claims and claims.get("tid") != pinned):
            return odata.error(
                request,
                404,
                "Request_ResourceNotFound",
                f"Resource '{sp_id}' does not exist or one of its queried reference-property objects are not present.",
            )
        if match.re is schemas.ROUTE:
            with self._lock:
                return schemas.handle(request, match, sp_id, principal, self.schemas, self.url)
        if match["secrets"]:
            if request.method == "GET":
                return self._get_secrets(request, version, sp_id, principal)
            if request.method == "PUT":
                return self._put_secrets(request, principal)
        elif request.method == "GET" and not match["action"]:
            return self._get_jobs(request, version, sp_id, principal, match["job"])
        elif request.method == "POST" and not match["job"]:
            with self._lock:
                return create(request, principal.jobs, principal.templates, self.new_job_accepts)
        elif request.method == "POST" and match["action"]:
            return self._job_action(request, principal, match["job"], match["action"])
        return odata.error(
            request, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
        )

    def _provision(self, request: Request, job: Job) -> Response:
        with self._lock:
            now = self.clock()
            self._on_demand = [at for at in self._on_demand if now - at < ON_DEMAND_WINDOW]
            if len(self._on_demand) >= ON_DEMAND_LIMIT:
                wait = max(1, round(ON_DEMAND_WINDOW - (now - self._on_demand[0]) + 0.5))
                return odata.error(
                    request, 429, "TooManyRequests", "Too many requests: 5 per 10 seconds.", {"Retry-After": str(wait)}
                )
            self._on_demand.append(now)
            return provision_answer(request, job, self.schemas.of_job(job), self.outcomes)

    def _get_secrets(self, request: Request, version: str, sp_id: str, principal: Principal) -> Response:
        base = f"{self.url}/{version}/servicePrincipals/{sp_id}/synchronization/secrets"
        token = request.query.get("$skiptoken")
        with self._lock:
            if token is not None:
                page = self._pages.pop(token, None)
                if page is None or page[0] != sp_id:
                    return odata.error(request, 400, "BadRequest", "The skip token is not valid or has expired.")
                view = page[1]
            else:
                if principal.stale_reads > 0 and principal.stale is not None:
                    principal.stale_reads -= 1
                    view = masked_view(principal.stale)
                else:
                    view = masked_view(principal.pairs)
            document: dict[str, Any] = {
                "@odata.context": f"{self.url}/{version}/$metadata#servicePrincipals('{sp_id}')/synchronization/secrets"
            }
            if self.page_size and len(view) > self.page_size:
                next_token = random.token_urlsafe(12)
                self._pages[next_token] = (sp_id, view[self.page_size :])
                view = view[: self.page_size]
                document["@odata.nextLink"] = f"{base}?$skiptoken={next_token}"
        document["value"] = view
        return Response.json(200, document, {"request-id": odata.new_request_id()})

    def _put_secrets(self, request: Request, principal: Principal) -> Response:
        try:
            pairs = parse_put_body(request.json())
        except Refused as refused:
            return odata.error(request, 400, refused.code, refused.message)
        with self._lock:
            try:
                new = apply_put(principal.pairs, pairs, self.semantics)
            except Refused as refused:
                return odata.error(request, 400, refused.code, refused.message)
            if self.lag > 0:
                principal.stale, principal.stale_reads = principal.pairs, self.lag
            principal.pairs = new
        return Response(204, headers={"request-id": odata.new_request_id()})

    def _get_jobs(
        self, request: Request, version: str, sp_id: str, principal: Principal, job_id: str | None
    ) -> Response:
        context = f"{self.url}/{version}/$metadata#servicePrincipals('{sp_id}')/synchronization/jobs"
        with self._lock:
            return listing(request, context, principal.jobs, job_id)

    def _job_action(self, request: Request, principal: Principal, job_id: str, action: str) -> Response:
        with self._lock:
            job = principal.jobs.get(job_id)
            stored = dict(principal.pairs)
        if job is None:
            return odata.error(request, 404, "Request_ResourceNotFound", f"Resource '{job_id}' does not exist.")
        if action == "provisionOnDemand":
            return self._provision(request, job)
        if action != "validateCredentials":
            with self._lock:
                return act(request, job, action)
        try:
            use_saved, pairs = parse_validate_body(request.json())
        except Refused as refused:
            return odata.error(request, 400, refused.code, refused.message)
        return validate(request, job, stored if use_saved else dict(pairs))

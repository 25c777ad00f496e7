"""A fake of the GitHub Actions OIDC token service (what a workflow with `id-token: write` gets):

    GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange
    Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN
    -> {"count": N, "value": "<JWT issued by https://token.actions.githubusercontent.com>"}

The request URL already carries a query (`?api-version=2.0`), so clients append `&audience=`.
Without `audience`, GitHub uses the repository owner's URL. The JWT is signed with this fake's
key, which the `authority` trusts for the GitHub issuer (federation.py checks it).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from compiler.sandbox import tokens
from compiler.sandbox.faults import Fault, FaultScript
from compiler.sandbox.server import RESET, Request, Response

ISSUER = "https://token.actions.githubusercontent.com"
PATH = "/_apis/distributedtask/hubs/Actions/plans/0f8e7d6c/jobs/1a2b3c4d/idtoken"


@dataclass
class OidcRecord:
    path: str
    audience: str | None
    status: int


class FakeActionsOidc:
    def __init__(self, repository: str = "contoso/provisioning", subject: str | None = None) -> None:
        self.url = ""  # "https://127.0.0.1:PORT", set once served
        self.latency = 0.0
        self.repository = repository
        self.subject = subject or f"repo:{repository}:environment:production"
        self.request_token = secrets.token_urlsafe(24)  # the runner's ACTIONS_ID_TOKEN_REQUEST_TOKEN
        self.key = secrets.token_bytes(32)
        self.journal: list[OidcRecord] = []
        self._faults = FaultScript()
        self._lock = threading.Lock()

    @property
    def request_url(self) -> str:
        """ACTIONS_ID_TOKEN_REQUEST_URL, query included as on a runner."""
        return f"{self.url}{PATH}?api-version=2.0"

    def env(self) -> dict[str, str]:
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": self.request_url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}

    def fault(self, status: int, *, times: int = 1) -> None:
        self._faults.add(Fault(status, times))

    def issue(self, audience: str, expires_in: int = 300, **claims: Any) -> str:
        now = int(time.time())
        owner = self.repository.split("/", 1)[0]
        payload = {
            "iss": ISSUER,
            "sub": self.subject,
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
            "repository": self.repository,
            "repository_owner": owner,
            "ref": "refs/heads/main",
            "event_name": "push",
            "runner_environment": "github-hosted",
            **claims,
        }
        return tokens.sign(payload, self.key)

    def handle(self, request: Request) -> Response:
        audience = request.query.get("audience")
        response = self._answer(request, audience)
        with self._lock:
            self.journal.append(OidcRecord(request.path, audience, response.status))
        return response

    def _answer(self, request: Request, audience: str | None) -> Response:
        fault = self._faults.take(request.method, None)
        if fault is not None:
            return RESET if fault.status == 0 else Response.json(fault.status, {"message": "Scripted failure."})
        if request.method != "GET" or request.path != PATH:
            return Response.json(404, {"message": "Not Found"})
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), self.request_token.encode()):
            return Response.json(401, {"message": "Unauthorized"})
        owner = self.repository.split("/", 1)[0]
        return Response.json(200, {"count": 1, "value": self.issue(audience or f"https://github.com/{owner}")})

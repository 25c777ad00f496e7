"""A fake Azure Key Vault serving secrets: GET /secrets/{name}[/{version}]?api-version=7.x|YYYY-MM-DD.

Challenge-based auth as Key Vault does it (and as azure-keyvault-secrets expects): a request
without a token gets 401 with `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
resource="https://vault.azure.net"`; the client then asks the authority for a token with scope
`https://vault.azure.net/.default`. Errors have Key Vault's shape:
{"error": {"code", "message", "innererror": {"code"}}} and an `x-ms-request-id` header.
The journal never holds a secret value.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from compiler.sandbox.faults import Fault, FaultScript, Streamed, scripted_answer
from compiler.sandbox.server import Request, Response

from .authority import FakeAuthority

RESOURCE = "https://vault.azure.net"
_API_VERSION = re.compile(r"^(7\.\d+|\d{4}-\d{2}-\d{2})(-preview(\.\d+)?)?$")  # 7.4 ... and 2025-07-01 ...
_PATH = re.compile(r"^/secrets/(?P<name>[0-9A-Za-z-]{1,127})(?:/(?P<version>[0-9A-Za-z]{1,64}))?/?$")


@dataclass
class SecretVersion:
    version: str
    value: str
    enabled: bool
    expires: int | None  # epoch seconds
    created: int


@dataclass
class VaultRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int
    authorized: bool
    name: str | None  # the secret asked for


def _error(
    status: int, code: str, message: str, inner: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return Response.json(status, {"error": error}, {"x-ms-request-id": str(uuid.uuid4()), **(headers or {})})


class FakeKeyVault:
    def __init__(self, authority: FakeAuthority, tenant_id: str) -> None:
        self.url = ""  # "https://127.0.0.1:PORT", set once served
        self.tenant_id = tenant_id
        self.latency = 0.0
        self.journal: list[VaultRecord] = []
        self.challenge: str | None = None  # a WWW-Authenticate to send instead (a hostile vault)
        self._authority = authority
        self._secrets: dict[str, list[SecretVersion]] = {}  # name -> versions, latest last
        self._denied: set[str] = set()
        self._faults = FaultScript()
        self._lock = threading.Lock()

    # -- set-up and inspection, from tests ---------------------------------------------------
    @property
    def host(self) -> str:
        """host:port, as SYNCSECRETS_KEYVAULT_HOSTS takes it."""
        return self.url.removeprefix("https://")

    @property
    def default_challenge(self) -> str:
        return f'Bearer authorization="{self._authority.host}/{self.tenant_id}", resource="{RESOURCE}"'

    def secret_uri(self, name: str, version: str | None = None) -> str:
        return f"{self.url}/secrets/{name}" + (f"/{version}" if version else "")

    def set_secret(
        self, name: str, value: str, version: str | None = None, *, enabled: bool = True, expires: float | None = None
    ) -> str:
        """Adds a version (the latest from now on) and returns its id. `expires`: epoch seconds."""
        version = version or uuid.uuid4().hex
        entry = SecretVersion(version, value, enabled, None if expires is None else int(expires), int(time.time()))
        with self._lock:
            self._secrets.setdefault(name, []).append(entry)
        return version

    def deny(self, name: str) -> None:
        """The caller lacks permission to get this secret (403, as RBAC answers)."""
        self._denied.add(name)

    def fault(
        self,
        status: int,
        *,
        times: int = 1,
        name: str | None = None,
        retry_after: int | str | None = None,
        code: str | None = None,
        message: str | None = None,
        location: str | None = None,
        body: bytes | Streamed | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` authenticated requests (for secret `name`) fail with `status` (0:
        connection reset; a 3xx with `location`: a redirect there). Unauthenticated challenge
        requests never consume a fault, so a script means the same whether or not the client
        has already been challenged."""
        self._faults.add(
            Fault(
                status,
                times,
                None,
                name,
                retry_after,
                code,
                message,
                location=location,
                body=body,
                headers=headers or {},
            )
        )

    def fetched(self) -> list[str]:
        """Names of the secrets actually served (200), in order."""
        with self._lock:
            return [r.name for r in self.journal if r.status == 200 and r.name]

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        name = match["name"] if match else None
        refusal = self._authenticate(request)
        if refusal is None and (fault := self._faults.take(request.method, name)) is not None:
            response = self._fault_response(fault)
        elif refusal is not None:
            response = refusal
        else:
            response = self._route(request, match)
        with self._lock:
            self.journal.append(
                VaultRecord(request.method, request.path, request.query, response.status, refusal is None, name)
            )
        return response

    def _authenticate(self, request: Request) -> Response | None:
        """None when the request carries a valid token of ours for the vault's tenant."""
        challenge = {"WWW-Authenticate": self.challenge or self.default_challenge}
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            return _error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", headers=challenge)
        claims = self._authority.verify(token.strip())
        if claims is None:
            return _error(401, "Unauthorized", "AKV10022: Invalid token signature.", headers=challenge)
        if str(claims.get("aud", "")).rstrip("/") != RESOURCE:
            return _error(401, "Unauthorized", f"AKV10022: Invalid audience. Expected {RESOURCE}.", headers=challenge)
        if claims.get("tid") != self.tenant_id:
            return _error(
                401, "Unauthorized", "AKV10032: Invalid issuer: the token is for another tenant.", headers=challenge
            )
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= time.time():
            return _error(401, "Unauthorized", "AKV10032: Token is expired.", headers=challenge)
        return None

    def _fault_response(self, fault: Fault) -> Response:
        headers = fault.answer_headers
        scripted = scripted_answer(fault, headers)
        if scripted is not None:
            return scripted
        default = "Throttled" if fault.status == 429 else "ServiceUnavailable" if fault.status >= 500 else "BadRequest"
        return _error(
            fault.status, fault.code or default, fault.message or "Scripted failure of the fake vault.", headers=headers
        )

    def _route(self, request: Request, match: re.Match[str] | None) -> Response:
        if match is None:
            return _error(404, "NotFound", "The requested path is not served by this vault.")
        if request.method != "GET":
            return _error(405, "MethodNotAllowed", "Only GET is served by the fake vault.")
        if not _API_VERSION.match(request.query.get("api-version", "")):
            return _error(400, "BadParameter", "The api-version query parameter is missing or not supported.")
        name, version = match["name"], match["version"]
        if name in self._denied:
            return _error(
                403,
                "Forbidden",
                "Caller is not authorized to perform action on resource. "
                "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
                "ForbiddenByRbac",
            )
        with self._lock:
            versions = self._secrets.get(name, [])
            entry = (
                versions[-1] if versions and not version else next((v for v in versions if v.version == version), None)
            )
        if entry is None:
            shown = f"{name}/{version}" if version else name
            return _error(404, "SecretNotFound", f"A secret with (name/id) {shown} was not found in this key vault.")
        if not entry.enabled:
            return _error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled")
        attributes: dict[str, Any] = {
            "enabled": True,
            "created": entry.created,
            "updated": entry.created,
            "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": 90,
        }
        if entry.expires is not None:
            attributes["exp"] = entry.expires  # served even when past: Key Vault does not enforce it on get
        document = {
            "value": entry.value,
            "id": self.secret_uri(name, entry.version),
            "attributes": attributes,
            "tags": {},
        }
        return Response.json(200, document, {"x-ms-request-id": str(uuid.uuid4())})

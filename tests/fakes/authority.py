"""A fake Microsoft Entra authority: just what MSAL (under azure-identity) asks of one for the
client-credentials flow with instance discovery disabled:

- GET  /{tenant}/v2.0/.well-known/openid-configuration  (MSAL's tenant discovery)
- POST /{tenant}/oauth2/v2.0/token  grant_type=client_credentials, with client_secret (post or
  HTTP Basic) or client_assertion (a federated credential, as GitHub Actions OIDC uses)

Errors follow Entra's shape: {"error", "error_description": "AADSTSnnn: ...", "error_codes", ...}.
Secrets are never kept in the journal.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from compiler.sandbox import tokens
from compiler.sandbox.faults import Fault, FaultScript, Streamed, scripted_answer
from compiler.sandbox.server import Request, Response

from .federation import TOKEN_EXCHANGE_AUDIENCE, Federation, check_assertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RESERVED_SCOPES = {"openid", "profile", "offline_access"}  # MSAL may add these; Entra ignores them here
SECRET_FIELDS = {"client_secret", "client_assertion"}

_DISCOVERY = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")


@dataclass
class AuthorityRecord:
    method: str
    path: str
    form: dict[str, str]  # secret fields replaced by "<redacted>"
    status: int
    client_id: str | None


class FakeAuthority:
    def __init__(self) -> None:
        self.host = ""  # "https://127.0.0.1:PORT", set once served
        self.latency = 0.0
        self.requests: list[AuthorityRecord] = []
        self.audiences: set[str] = set()  # resource roots a token may be asked for (`<root>/.default`)
        self._key = secrets.token_bytes(32)
        self._secrets: dict[tuple[str, str], str] = {}  # (tenant, client) -> secret
        self._federations: dict[tuple[str, str], list[Federation]] = {}
        self._issuer_keys: dict[str, bytes] = {}  # external issuers whose signatures we check
        self._faults = FaultScript()
        self._lock = threading.Lock()

    # -- set-up, from tests -------------------------------------------------------------------
    def add_client(self, tenant_id: str, client_id: str, secret: str) -> None:
        self._secrets[(tenant_id, client_id)] = secret

    def add_federated(
        self, tenant_id: str, client_id: str, *, issuer: str, subject: str, audience: str = TOKEN_EXCHANGE_AUDIENCE
    ) -> None:
        """A federated credential of this app: it signs in with a token of `issuer` for `subject`
        (client_assertion), as GitHub Actions OIDC does. An app may have several."""
        self._federations.setdefault((tenant_id, client_id), []).append(Federation(issuer, subject, audience))

    add_federated_client = add_federated  # the first name, kept for tests written against it

    def trust_issuer(self, issuer: str, key: bytes) -> None:
        """The signing key of an external token issuer (the actions_oidc fixture registers its own)."""
        self._issuer_keys[issuer] = key

    def fault(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: int | str | None = None,
        body: bytes | Streamed | None = None,
        headers: dict[str, str] | None = None,
        echo: bool = False,
    ) -> None:
        """The next `times` requests (of `method`) fail with `status` (0: connection reset), as
        when Entra is unavailable or throttles; the error is AADSTS-shaped. `body` and `headers`:
        served instead (a hostile answer: `faults.gzip_bomb()`, `faults.endless()`...). `echo`: its
        error_description quotes the posted form as it arrived (URL-encoded, secrets and all)."""
        self._faults.add(
            Fault(status, times, method, retry_after=retry_after, body=body, headers=headers or {}, echo=echo)
        )

    def add_audience(self, root: str) -> None:
        self.audiences.add(root.rstrip("/"))

    def issue_token(
        self,
        tenant_id: str,
        audience: str,
        expires_in: int = 3600,
        *,
        client_id: str = "00000000-0000-4000-8000-00000000c11e",
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        claims = tokens.access_claims(audience, f"{self.host}/{tenant_id}/v2.0", tenant_id, client_id, expires_in)
        return tokens.sign(claims | (extra_claims or {}), self._key)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this authority issued (signature and issuer), else None.
        Audience and expiry are the resource's checks (graph.py)."""
        claims = tokens.verify(token, self._key)
        if claims is None or not str(claims.get("iss", "")).startswith(f"{self.host}/"):
            return None
        return claims

    @property
    def authorization_uri(self) -> str:
        """Where a resource's 401 challenge sends a client to sign in (FakeGraph's TokenVerifier)."""
        return f"{self.host}/common/oauth2/authorize"

    @property
    def tenants(self) -> set[str]:
        return {tenant for tenant, _ in (*self._secrets, *self._federations)}

    # -- HTTP -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        form = request.form() if request.method == "POST" else {}
        fault = self._faults.take(request.method, None)
        if fault is not None:
            response, client_id = _fault_response(fault, request), form.get("client_id")
        else:
            response, client_id = self._route(request, form)
        redacted = {name: "<redacted>" if name in SECRET_FIELDS else value for name, value in form.items()}
        with self._lock:
            self.requests.append(AuthorityRecord(request.method, request.path, redacted, response.status, client_id))
        return response

    def _route(self, request: Request, form: dict[str, str]) -> tuple[Response, str | None]:
        if (match := _DISCOVERY.match(request.path)) and request.method == "GET":
            return self._discovery(match["tenant"]), None
        if (match := _TOKEN.match(request.path)) and request.method == "POST":
            return self._token(match["tenant"], request, form)
        return _aad_error(404, "invalid_request", 90011, "Request path not served by this authority."), None

    def _discovery(self, tenant: str) -> Response:
        if tenant not in self.tenants:
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.host}/{tenant}"
        return Response.json(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "tenant_region_scope": None,
                "cloud_instance_name": "fake.invalid",
            },
        )

    def _token(self, tenant: str, request: Request, form: dict[str, str]) -> tuple[Response, str | None]:
        client_id, secret = _basic_credentials(request)
        client_id = form.get("client_id") or client_id
        secret = form.get("client_secret") or secret
        if form.get("grant_type") != "client_credentials":
            return _aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            ), client_id
        if tenant not in self.tenants:
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found."), client_id
        key = (tenant, client_id or "")
        if key not in self._secrets and key not in self._federations:
            return _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            ), client_id
        refusal = self._check_credential(key, secret, form)
        if refusal is None:
            refusal, audience = self._check_scope(form.get("scope", ""))
        if refusal is not None:
            return refusal, client_id
        token = self.issue_token(tenant, audience, client_id=client_id or "")
        body = {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        return Response.json(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"}), client_id

    def _check_credential(self, key: tuple[str, str], secret: str | None, form: dict[str, str]) -> Response | None:
        if form.get("client_assertion_type") == ASSERTION_TYPE:
            refusal = check_assertion(
                self._federations.get(key, []), self._issuer_keys, form.get("client_assertion", "")
            )
            return (
                None
                if refusal is None
                else _aad_error(refusal.status, refusal.error, refusal.code, refusal.description)
            )
        expected = self._secrets.get(key)
        if expected is None or not secret or not secrets.compare_digest(expected.encode(), secret.encode()):
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        return None

    def _check_scope(self, scope: str) -> tuple[Response | None, str]:
        wanted = [item for item in scope.split() if item not in RESERVED_SCOPES]
        if len(wanted) != 1 or not wanted[0].endswith("/.default"):
            return _aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            ), ""
        audience = wanted[0].removesuffix("/.default")
        if audience not in self.audiences:
            return _aad_error(
                400, "invalid_resource", 500011, f"The resource principal named {audience} was not found in the tenant."
            ), ""
        return None, audience


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "basic":
        return None, None
    try:
        user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
    except (ValueError, binascii.Error):
        return None, None
    return unquote(user), unquote(password)


def _fault_response(fault: Fault, request: Request) -> Response:
    scripted = scripted_answer(fault, {})
    if scripted is not None:
        return scripted
    if fault.echo:
        form = request.body.decode("utf-8", "replace")
        return _aad_error(fault.status, "invalid_request", 900144, f"The request body is not valid: {form}")
    if fault.status == 429 or fault.status >= 500:
        response = _aad_error(
            fault.status,
            "temporarily_unavailable",
            90055 if fault.status == 429 else 90033,
            "The service is temporarily unavailable.",
        )
    else:
        response = _aad_error(fault.status, "invalid_request", 90014, "Scripted failure of the fake authority.")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return Response.json(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {stamp}",
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )

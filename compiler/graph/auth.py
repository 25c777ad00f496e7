"""A bearer token for Graph, from azure-identity, and the tenant it was issued for.

Every `--auth` mode is one azure-identity credential (or, for `token`, a token given as is).
The token is kept in memory only, handed to the HTTP client and to nobody else: it is never
printed, logged or written, and it is remembered as a secret so that even a traceback under
`--debug` blanks it out.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable

from ..problems import UserError
from ..profile.references import remember_secret, scrub
from ..run.result import AUTH_MODES as MODES
from .connection import Connection, tls_context

AUTH_VARIABLE = "SYNCSECRETS_AUTH"
TOKEN_VARIABLE = "SYNCSECRETS_ACCESS_TOKEN"
# A cached token is renewed this long before it expires, so no request goes out with a dying one.
RENEW_BEFORE = 300


class AuthError(Exception):
    """The authority refused or could not be reached: exit 4. The message holds no secret."""


class TokenSource:
    """The current token for one scope, fetched once and renewed near its expiry (thread-safe:
    the pool's workers share it, and `az` or a token endpoint is asked once, not per request)."""

    def __init__(self, fetch: Callable[[], tuple[str, float]]):
        self._fetch = fetch
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._expires - RENEW_BEFORE < time.time():
                self._token, self._expires = self._fetch()
                remember_secret(self._token)
            return self._token


def token_source(mode: str, connection: Connection, environ) -> TokenSource:
    if mode == "token":
        return TokenSource(lambda: given_token(environ))
    signer = credential(mode, connection, environ)

    def fetch() -> tuple[str, float]:
        from azure.core.exceptions import AzureError, ClientAuthenticationError

        try:
            token = signer.get_token(connection.scope)
        except ValueError as error:  # azure-identity's word for settings it cannot use
            raise settings_error(mode, error) from None
        except ClientAuthenticationError as error:  # CredentialUnavailableError is one too
            raise AuthError(f"the authority refused --auth {mode}: {first_lines(error)}") from None
        except AzureError as error:  # the authority could not be reached
            raise AuthError(f"no token for --auth {mode}: {first_lines(error)}") from None
        return token.token, float(token.expires_on)

    return TokenSource(fetch)


def given_token(environ, variable: str = TOKEN_VARIABLE) -> tuple[str, float]:
    """`--auth token`: the token given in `variable` and when it expires (its `exp`, else in an hour)."""
    token = (environ.get(variable) or "").strip()
    if not token:
        raise AuthError(f"--auth token reads the access token from {variable}, which is not set")
    remember_secret(token)
    if not (token.isascii() and token.isprintable()) or " " in token:  # it goes into an HTTP header
        raise AuthError(f"{variable} does not hold an access token alone (it has spaces, line breaks or "
                        "characters other than ASCII): give the token as `az account get-access-token --query "
                        "accessToken -o tsv` prints it")  # fmt: skip
    expires = claims(token).get("exp")
    return token, float(expires) if isinstance(expires, int | float) else time.time() + 3600


def credential(mode: str, connection: Connection, environ):
    """The azure-identity credential of an `--auth` mode (not `token`), for the connection's
    authority; the Key Vault client signs in with it too."""
    import logging

    import azure.identity as identity  # only here: compile never pays for it

    # azure-identity logs each failed attempt as a warning, which Python would print on stderr
    # beside our own report of the same failure: the report says it once, with the fix.
    logging.getLogger("azure").setLevel(logging.CRITICAL)

    # A non-Microsoft authority (a sovereign deployment of its own, a test double) cannot answer
    # instance discovery; MSAL would refuse to use it otherwise.
    options = {"authority": connection.authority, "disable_instance_discovery": not connection.microsoft_authority}
    try:
        return _credential(identity, mode, options, environ)
    except ValueError as error:  # a malformed AZURE_TENANT_ID, an empty AZURE_CLIENT_ID...
        raise settings_error(mode, error) from None


def settings_error(mode: str, error: ValueError) -> UserError:
    """azure-identity refuses the environment's settings: exit 2, as for any unusable option."""
    return UserError.single(f"--auth {mode}", f"the credential cannot be set up ({first_lines(error)}): check "
                            "AZURE_TENANT_ID, AZURE_CLIENT_ID and the other AZURE_* variables of this mode")  # fmt: skip


def _credential(identity, mode: str, options: dict, environ):
    if mode == "default":
        return identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, **options)
    if mode == "cli":
        return identity.AzureCliCredential()
    if mode == "env":
        return identity.EnvironmentCredential(**options)
    if mode == "managed-identity":
        return identity.ManagedIdentityCredential(client_id=environ.get("AZURE_CLIENT_ID") or None)
    if mode == "workload-identity":
        return identity.WorkloadIdentityCredential(**options)
    if mode == "github-oidc":
        tenant, client = environ.get("AZURE_TENANT_ID"), environ.get("AZURE_CLIENT_ID")
        if not (tenant and client):
            raise AuthError("--auth github-oidc needs AZURE_TENANT_ID and AZURE_CLIENT_ID (the app registration "
                            "with a federated credential for this repository)")  # fmt: skip
        return identity.ClientAssertionCredential(tenant, client, lambda: github_id_token(environ), **options)
    raise AssertionError(f"--auth {mode} has no credential")  # check_mode refused it before


def check_mode(mode: str | None, where: str) -> None:
    """UserError if `mode`, given at `where` (an option or a variable), is not a sign-in mode."""
    if mode and mode not in MODES:
        raise UserError.single(where, f"must be one of {', '.join(MODES)}")


def github_id_token(environ) -> str:
    """The GitHub Actions OIDC token for Entra's audience (the job needs `id-token: write`)."""
    import httpx

    url, bearer = environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"), environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not (url and bearer):
        raise AuthError("--auth github-oidc runs in GitHub Actions only, in a job with `permissions: id-token: write` "
                        "(ACTIONS_ID_TOKEN_REQUEST_URL is not set)")  # fmt: skip
    remember_secret(bearer)
    try:
        # The runner's URL carries its own query (api-version): the audience is added to it.
        request_url = httpx.URL(url).copy_merge_params({"audience": "api://AzureADTokenExchange"})
        response = httpx.get(request_url, headers={"Authorization": f"bearer {bearer}"}, timeout=30,
                             verify=tls_context(environ))  # fmt: skip
        response.raise_for_status()
        token = response.json()["value"]
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, RecursionError, KeyError, TypeError):
        raise AuthError("GitHub's OIDC token endpoint did not give a token") from None
    remember_secret(token)
    return token


def claims(token: str) -> dict:
    """The claims of a JWT access token, read without checking its signature (Graph does that):
    only to learn its tenant before any request. Empty if it is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        found = json.loads(payload)
    except (ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def token_tenant(token: str) -> str | None:
    tenant = claims(token).get("tid")
    return tenant.lower() if isinstance(tenant, str) and tenant else None


def first_lines(error: Exception) -> str:
    # azure-identity's messages are long and name every credential tried; the first lines say why.
    # Scrubbed before it is cut into lines: a secret with a line break in it would match no line.
    lines = [line.strip() for line in scrub(str(error)).splitlines() if line.strip()]
    return " ".join(lines[:4])[:600] or type(error).__name__

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
from urllib.parse import urlsplit

from ..problems import UserError
from ..profile.secrets import remember_secret, scrub, too_short, too_short_message
from ..run.result import AUTH_MODES as MODES
from .answers import capped_transport
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


# What the sign-in reads that is a credential: an authority may quote the posted form in its
# `error_description`, so each is masked from the start, whichever mode reads it.
# Those a person types are refused when too short to be masked (profile/secrets.py).
TYPED_CREDENTIALS = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_PASSWORD")
CREDENTIAL_VARIABLES = (
    *TYPED_CREDENTIALS,
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    TOKEN_VARIABLE,
    "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN",
)
ASSERTION_FILE_VARIABLE = "AZURE_FEDERATED_TOKEN_FILE"  # workload identity's federated assertion


def remember_credentials(environ) -> None:
    """Registers every credential the sign-in may read from `environ` as a secret, before any
    request: the values as given and as the sign-in sends them (stripped). UserError (exit 2)
    if a typed one is too short to be a real credential."""
    for name in CREDENTIAL_VARIABLES:
        value = environ.get(name) or ""
        if value and name in TYPED_CREDENTIALS and too_short(value):
            raise UserError.single(name, too_short_message(f"environment variable {name}"))
        remember_secret(value)
        remember_secret(value.strip())
    path = environ.get(ASSERTION_FILE_VARIABLE)
    if path:
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                assertion = file.read(1 << 20)
        except OSError:
            return  # azure-identity says it cannot read it; then it sends nothing from it either
        remember_secret(assertion)
        remember_secret(assertion.strip())


def token_source(mode: str, connection: Connection, environ) -> TokenSource:
    remember_credentials(environ)
    if mode == "token":
        return TokenSource(lambda: given_token(environ))
    signer = credential(mode, connection, environ)

    def fetch() -> tuple[str, float]:
        from azure.core.exceptions import AzureError, ClientAuthenticationError

        try:
            token = signer.get_token(connection.scope)
        except ValueError as error:  # azure-identity's word for settings it cannot use
            raise settings_error(mode, error) from None
        except (ClientAuthenticationError, AzureError) as error:
            raise sign_in_error(mode, connection, signer, error) from None
        return token.token, float(token.expires_on)

    return TokenSource(fetch)


# How to give each mode something to sign in with (the troubleshooting table repeats it).
SIGN_IN = {
    "default": "run `az login`, or use --auth env with AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
    "--auth github-oidc in GitHub Actions, or --auth token with SYNCSECRETS_ACCESS_TOKEN",
    "cli": "install the Azure CLI and run `az login` (or choose another --auth)",
    "env": "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or a certificate: AZURE_CLIENT_CERTIFICATE_PATH)",
    "managed-identity": "run on an Azure host with a managed identity, or choose another --auth (like `az login` "
    "with --auth cli)",
    "workload-identity": "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE (as AKS workload "
    "identity does), or choose another --auth",
}


def sign_in_error(mode: str, connection: Connection, signer, error: Exception) -> AuthError:
    """What went wrong, in this order: nothing to sign in with (no authority was asked), an
    authority that could not be reached (named), an authority that refused."""
    from azure.core.exceptions import ClientAuthenticationError

    if not getattr(signer, "attempted", True) or _unavailable(error):
        return AuthError(
            f"--auth {mode} found no credential to sign in with ({first_lines(error)}): "
            f"{SIGN_IN.get(mode, SIGN_IN['default'])}"
        )
    if unreachable(error):
        host = urlsplit(connection.authority).netloc
        return AuthError(f"no token for --auth {mode}: could not reach {host} (the authority): {first_lines(error)}")
    if isinstance(error, ClientAuthenticationError):
        return AuthError(f"the authority refused --auth {mode}: {first_lines(error)}")
    return AuthError(f"no token for --auth {mode}: {first_lines(error)}")


def _unavailable(error: Exception) -> bool:
    from azure.identity import CredentialUnavailableError

    return isinstance(error, CredentialUnavailableError)


class Chain:
    """DefaultAzureCredential, remembering whether any of its credentials tried to sign in (its
    own error says "failed to retrieve a token" alike when none had anything to try with)."""

    def __init__(self, chain):
        from azure.identity import CredentialUnavailableError

        self._chain = chain
        self.attempted = False
        outer = self

        class Noting:
            def __init__(self, inner):
                self._inner = inner

            def get_token(self, *scopes, **kwargs):
                try:
                    return self._inner.get_token(*scopes, **kwargs)
                except CredentialUnavailableError:
                    raise
                except Exception:
                    outer.attempted = True
                    raise

            def __getattr__(self, name):
                return getattr(self._inner, name)

        # Named as the credential it wraps: azure-identity's message lists the credentials by class name.
        chain.credentials = tuple(type(type(c).__name__, (Noting,), {})(c) for c in chain.credentials)

    def get_token(self, *scopes, **kwargs):
        return self._chain.get_token(*scopes, **kwargs)

    def __getattr__(self, name):
        return getattr(self._chain, name)


def unreachable(error: BaseException) -> bool:
    """Whether the sign-in failed because a connection could not be made (azure-identity wraps
    the transport's error in its own, under several names)."""
    from azure.core.exceptions import ServiceRequestError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServiceRequestError | ConnectionError) or type(current).__name__ == "ConnectionError":
            return True
        current = current.__cause__ or current.__context__
    return False


def given_token(environ, variable: str = TOKEN_VARIABLE) -> tuple[str, float]:
    """`--auth token`: the token given in `variable` and when it expires (its `exp`, else in an hour)."""
    token = (environ.get(variable) or "").strip()
    if not token:
        raise AuthError(f"--auth token reads the access token from {variable}, which is not set")
    remember_secret(token)
    if not (token.isascii() and token.isprintable()) or " " in token:  # it goes into an HTTP header
        raise AuthError(
            f"{variable} does not hold an access token alone (it has spaces, line breaks or "
            "characters other than ASCII): give the token as `az account get-access-token --query "
            "accessToken -o tsv` prints it"
        )
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
    remember_credentials(environ)  # the Key Vault client signs in through here alone
    options = {"authority": connection.authority, "disable_instance_discovery": not connection.microsoft_authority}
    options["transport"] = capped_transport()  # the authority's answers are capped as Graph's are
    try:
        return _credential(identity, mode, options, environ)
    except ValueError as error:  # a malformed AZURE_TENANT_ID, an empty AZURE_CLIENT_ID...
        raise settings_error(mode, error) from None


def settings_error(mode: str, error: ValueError) -> UserError:
    """azure-identity refuses the environment's settings: exit 2, as for any unusable option."""
    return UserError.single(
        f"--auth {mode}",
        f"the credential cannot be set up ({first_lines(error)}): check "
        "AZURE_TENANT_ID, AZURE_CLIENT_ID and the other AZURE_* variables of this mode",
    )


def _credential(identity, mode: str, options: dict, environ):
    if mode == "default":
        return Chain(identity.DefaultAzureCredential(exclude_interactive_browser_credential=True, **options))
    if mode == "cli":
        return identity.AzureCliCredential()
    if mode == "env":
        return identity.EnvironmentCredential(**options)
    if mode == "managed-identity":
        return identity.ManagedIdentityCredential(
            client_id=environ.get("AZURE_CLIENT_ID") or None, transport=options["transport"]
        )
    if mode == "workload-identity":
        return identity.WorkloadIdentityCredential(**options)
    if mode == "github-oidc":
        tenant, client = environ.get("AZURE_TENANT_ID"), environ.get("AZURE_CLIENT_ID")
        if not (tenant and client):
            raise AuthError(
                "--auth github-oidc needs AZURE_TENANT_ID and AZURE_CLIENT_ID (the app registration "
                "with a federated credential for this repository)"
            )
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
        raise AuthError(
            "--auth github-oidc runs in GitHub Actions only, in a job with `permissions: id-token: write` "
            "(ACTIONS_ID_TOKEN_REQUEST_URL is not set)"
        )
    remember_secret(bearer)
    try:
        # The runner's URL carries its own query (api-version): the audience is added to it.
        request_url = httpx.URL(url).copy_merge_params({"audience": "api://AzureADTokenExchange"})
        response = httpx.get(
            request_url, headers={"Authorization": f"bearer {bearer}"}, timeout=30, verify=tls_context(environ)
        )
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

"""Reading Key Vault secrets for a run that reveals (compile --reveal, plan, apply).

- One fetch per (vault, name, version) per run, however many profiles name it; fetches run
  concurrently, at most MAX_IN_FLIGHT at once.
- The same retry policy as Graph requests (graph/retry.py): azure-core's own retries are off.
- The same credential as Graph (`--auth`), or another one (`--keyvault-auth`); under `--auth
  token` the vault's token comes from TOKEN_VARIABLE.
- A missing secret is the profile's mistake (InvalidValue: exit 2). A secret the vault refuses
  (no permission, disabled, expired) or cannot serve is VaultRefused (exit 4). Messages name the
  reference (`keyvault:<host>/<name>`), never a value.

azure-keyvault-secrets and azure-identity are imported only here, when a run has a keyvault
reference to resolve.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from ..graph.answers import capped_transport, cut_off
from ..graph.auth import first_lines
from ..graph.connection import CLOUDS
from ..graph.retry import CLOCK, THROTTLED, RetryPolicy, wait_before_retry
from ..problems import InvalidValue, Refused
from ..profile.secrets import remember_secret, too_short
from ..profile.vault_address import VAULT_DOMAINS, SecretAddress

TOKEN_VARIABLE = "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN"
MAX_IN_FLIGHT = 8
CONNECT_SECONDS, READ_SECONDS = 10, 30  # a stalled vault is a retry, not a hung deploy
# The authority of each national cloud's vault domain (VAULT_DOMAINS' order), for a credential
# that needs one when AZURE_AUTHORITY_HOST does not name it.
AUTHORITIES = dict(zip(VAULT_DOMAINS, (CLOUDS[cloud].authority for cloud in ("global", "usgov", "china")), strict=True))


class VaultRefused(Refused):
    """The vault refused or could not serve a secret: the mapper reports it at the reference as
    a refused problem (exit 4, as any refusal by Azure)."""


class VaultReader:
    """The secrets of one run, each fetched once (thread-safe: concurrent targets share it)."""

    def __init__(self, mode: str, environ, policy: RetryPolicy | None = None) -> None:
        self.mode = mode
        self._environ = environ
        self._policy = policy or RetryPolicy()
        self._lock = threading.Lock()
        self._results: dict[SecretAddress, Future] = {}
        self._clients: dict[str, object] = {}
        self._credentials: dict[str, object] = {}

    def prefetch(self, addresses) -> None:
        """Starts every fetch not started yet, concurrently; waits for them (errors are kept for
        `value` to raise, so the caller reports them where the reference was written)."""
        mine = []
        with self._lock:
            for address in dict.fromkeys(addresses):
                if address not in self._results:
                    self._results[address] = Future()
                    mine.append(address)
        if not mine:
            return
        with ThreadPoolExecutor(max_workers=min(MAX_IN_FLIGHT, len(mine)), thread_name_prefix="keyvault") as pool:
            list(pool.map(self._settle, mine))

    def value(self, address: SecretAddress) -> str:
        self.prefetch([address])
        return self._results[address].result()

    def _settle(self, address: SecretAddress) -> None:
        future = self._results[address]
        try:
            future.set_result(self._fetch(address))
        except Exception as error:  # kept for `value` to raise where the reference was written
            future.set_exception(error)

    def _fetch(self, address: SecretAddress) -> str:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        label = f"keyvault:{address.canonical}"
        client = self._client(address)
        attempt, waited, other_failures = 0, 0.0, 0
        while True:
            attempt += 1
            try:
                secret = client.get_secret(address.name, address.version)
                break
            except ResourceNotFoundError:
                named = "the secret's name and version" if address.version else "the secret's name"
                raise InvalidValue(f"{label} is not in the vault: check the vault and {named}") from None
            except ClientAuthenticationError as error:
                status = getattr(error, "status_code", None)
                if status is None:  # the credential failed, before the vault was asked
                    raise VaultRefused(
                        f"no token for the vault of {label} (--keyvault-auth {self.mode}): {first_lines(error)}"
                    ) from None
                raise VaultRefused(
                    f"the vault refused the token for {label} (HTTP {status}): check that the "
                    "identity is of the vault's tenant"
                ) from None
            except HttpResponseError as error:
                status, retry_after = error.status_code, _header(error, "Retry-After")
                if status == 403:
                    raise VaultRefused(_forbidden(label, error)) from None
            except (ServiceRequestError, ServiceResponseError) as error:
                if (cut := cut_off(error)) is not None:  # too large or too slow: asking again would not help
                    raise VaultRefused(f"the vault's answer for {label} was not read: {cut.message}") from None
                status, retry_after = None, None
            if status is None or (status >= 500 and status not in THROTTLED):
                other_failures += 1
            delay = wait_before_retry(self._policy, attempt, status, retry_after, waited, other_failures)
            if delay is None:
                what = f"HTTP {status}" if status else "no answer"
                raise VaultRefused(f"the vault did not serve {label} ({what}, after {attempt} tries)")
            CLOCK.sleep(delay)
            waited += delay
        value = secret.value or ""
        if not too_short(value):  # the reference's rule: a short credential is refused, not masked
            remember_secret(value)
        expires = secret.properties.expires_on
        if expires is not None and expires <= datetime.now(UTC):
            raise VaultRefused(f"{label} expired on {expires:%Y-%m-%d}: rotate it, or set a new expiry date")
        if value == "":
            raise InvalidValue(f"{label} is empty: put the secret in it")
        return value

    def _client(self, address: SecretAddress):
        from azure.keyvault.secrets import SecretClient

        with self._lock:
            if address.host not in self._clients:
                connection = {
                    "connection_verify": self._environ.get("REQUESTS_CA_BUNDLE")
                    or self._environ.get("SSL_CERT_FILE")
                    or True,
                    "connection_timeout": CONNECT_SECONDS,  # azure-core waits 300 s by default
                    "read_timeout": READ_SECONDS,
                }
                self._clients[address.host] = SecretClient(
                    address.vault_url,
                    self._credential(address),
                    retry_total=0,  # our policy retries, with the Graph client's rules
                    permit_redirects=False,  # a vault never redirects: its token must not follow one
                    # The SDK checks that the vault's challenge names a Key Vault domain; an added
                    # test host (vault_address.py) cannot, and is trusted by the operator's setting.
                    verify_challenge_resource=not address.added,
                    transport=capped_transport(**connection),  # answers capped in size and time, as Graph's
                    **connection,
                )
            return self._clients[address.host]

    def _credential(self, address: SecretAddress):
        domain = address.host.partition(".")[2]
        authority = self._environ.get("AZURE_AUTHORITY_HOST") or AUTHORITIES.get(domain, AUTHORITIES[VAULT_DOMAINS[0]])
        if authority not in self._credentials:
            self._credentials[authority] = _VaultScopesOnly(self._make_credential(authority))
        return self._credentials[authority]

    def _make_credential(self, authority: str):
        if self.mode == "token":
            return _GivenToken(self._environ)
        from ..graph.auth import credential
        from ..graph.connection import Connection

        authority = authority if "://" in authority else f"https://{authority}"
        return credential(self.mode, Connection("", "v1.0", authority.rstrip("/")), self._environ)


# The scopes a vault's challenge may ask for: Key Vault's own resource in each cloud.
VAULT_SCOPES = frozenset(f"https://{domain}/.default" for domain in VAULT_DOMAINS)


class _VaultScopesOnly:
    """A credential that gives tokens for Key Vault only. The vault's challenge chooses the scope,
    and for a host SYNCSECRETS_KEYVAULT_HOSTS adds the SDK cannot check it: whatever answers as a
    vault must not obtain a token for Graph (or anything else) this way."""

    def __init__(self, credential) -> None:
        self._credential = credential

    def get_token(self, *scopes, **kwargs):
        # A challenge's resource may end in "/": the SDK then asks for "https://vault.azure.net//.default".
        if not scopes or any(scope.replace("//.default", "/.default") not in VAULT_SCOPES for scope in scopes):
            raise VaultRefused("the vault asked for a token of another resource than Key Vault: none was given")
        return self._credential.get_token(*scopes, **kwargs)


class _GivenToken:
    """An azure-core TokenCredential that hands out the token given in TOKEN_VARIABLE."""

    def __init__(self, environ) -> None:
        self._environ = environ

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        from ..graph.auth import AuthError, given_token

        try:
            token, expires = given_token(self._environ, TOKEN_VARIABLE)
        except AuthError as error:  # raised inside the SDK's pipeline: report it as the vault's refusal
            raise VaultRefused(str(error)) from None
        return AccessToken(token, int(expires))


def _header(error, name: str) -> str | None:
    response = getattr(error, "response", None)
    return response.headers.get(name) if response is not None else None


def _forbidden(label: str, error) -> str:
    inner = getattr(getattr(error, "error", None), "innererror", None) or {}
    code = inner.get("code") if isinstance(inner, dict) else None
    if code == "SecretDisabled":
        return f"{label} is disabled in the vault: enable it, or point the reference at another secret"
    return (
        f"the identity may not read {label}: give it the Key Vault Secrets User role on the vault "
        "(or the secret get permission of an access policy)"
    )

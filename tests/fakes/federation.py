"""Federated credentials (workload identity federation): an app trusts tokens of an external
issuer (GitHub Actions, Kubernetes...) for one subject and audience, and exchanges them at the
token endpoint as `client_assertion`. Entra checks, in this order: a credential for the
assertion's issuer, the issuer's signature, the subject, the audience, the lifetime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from compiler.sandbox import tokens

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # what Entra expects of a federated assertion


@dataclass(frozen=True)
class Federation:
    issuer: str
    subject: str
    audience: str = TOKEN_EXCHANGE_AUDIENCE


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    code: int  # AADSTS number
    description: str


def check_assertion(federations: list[Federation], issuer_keys: dict[str, bytes], assertion: str) -> Refusal | None:
    """None when `assertion` is a valid token for one of `federations`."""
    claims = tokens.peek(assertion)
    issuer = claims.get("iss") if claims else None
    candidates = [federation for federation in federations if federation.issuer == issuer]
    if claims is None or not candidates:
        return Refusal(
            401, "invalid_client", 700211, "No matching federated identity record found for presented assertion issuer."
        )
    key = issuer_keys.get(str(issuer))
    # An issuer whose key no test registered is taken on trust (a test's own stand-in issuer);
    # the actions_oidc fixture registers its key, and then a forged signature is refused.
    if key is not None and tokens.verify(assertion, key) is None:
        return Refusal(401, "invalid_client", 50013, "Assertion failed signature validation.")
    candidates = [federation for federation in candidates if federation.subject == claims.get("sub")]
    if not candidates:
        return Refusal(
            400,
            "invalid_request",
            700213,
            "No matching federated identity record found for presented assertion subject.",
        )
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not any(federation.audience in audiences for federation in candidates):
        return Refusal(
            400,
            "invalid_request",
            700212,
            "No matching federated identity record found for presented assertion audience.",
        )
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time():
        return Refusal(400, "invalid_client", 700024, "Client assertion is not within its valid time range.")
    return None

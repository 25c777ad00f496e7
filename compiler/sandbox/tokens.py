"""JWT-shaped access tokens (base64url header.payload.signature), signed with HMAC-SHA256.

Real Entra tokens are RS256-signed; the clients under test never verify a signature (Graph
does), they only read claims such as `tid`. HMAC with the authority's random key is enough for
the fake Graph to know a token was issued by *this* authority and not altered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from typing import Any


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def access_claims(audience: str, issuer: str, tenant_id: str, client_id: str, lifetime: int) -> dict[str, Any]:
    """An Entra v2.0 app-only access token's claims, valid from now for `lifetime` seconds; `oid`
    is the same for the same tenant and client, as a service principal's object id is."""
    now = int(time.time())
    return {
        "aud": audience,
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "tid": tenant_id,
        "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{client_id}")),
        "appid": client_id,
        "azp": client_id,
        "ver": "2.0",
    }


def sign(claims: dict[str, Any], key: bytes) -> str:
    header = _encode(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "fake"}).encode())
    payload = _encode(json.dumps(claims).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return f"{header}.{payload}.{_encode(signature)}"


def peek(token: str) -> dict[str, Any] | None:
    """The claims, unverified; None when the token is not JWT-shaped."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_decode(parts[1]))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def verify(token: str, key: bytes) -> dict[str, Any] | None:
    """The claims when `key` signed this token, else None."""
    header, _, rest = token.partition(".")
    payload, _, signature = rest.partition(".")
    try:
        expected = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _decode(signature)):
            return None
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    return peek(token)

"""The sandbox's own tokens: what FakeGraph's TokenVerifier is when no authority is around.

A token is JWT-shaped and HMAC-signed with a key that lives only in this process (tokens.py), so
it is worth nothing anywhere else and nothing once the sandbox stops. It carries the claims the
client reads: `tid` (the tenant it checks against a profile's tenant_id), `aud`, `exp`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from . import tokens

LIFETIME_SECONDS = 30 * 24 * 3600  # the sandbox serves until stopped: its token outlives any session
# Real Graph's challenge names Entra's authorize endpoint; no client follows it to sign in here.
AUTHORIZATION_URI = "https://login.microsoftonline.com/common/oauth2/authorize"


class Issuer:
    def __init__(self) -> None:
        self.url = ""  # the Graph root the tokens are for, set once served
        self._key = secrets.token_bytes(32)

    @property
    def authorization_uri(self) -> str:
        return AUTHORIZATION_URI

    def issue(self, tenant_id: str) -> str:
        client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "syncsecrets-sandbox"))
        issuer = f"{self.url}/{tenant_id}/sandbox"
        claims = tokens.access_claims(self.url, issuer, tenant_id, client_id, LIFETIME_SECONDS)
        return tokens.sign(claims, self._key)

    def verify(self, token: str) -> dict[str, Any] | None:
        claims = tokens.verify(token, self._key)
        if claims is None or not str(claims.get("iss", "")).startswith(f"{self.url}/"):
            return None
        return claims

"""What the fake Graph stores per service principal, and the rules of GET and PUT on it.

Deliberately its own list of keys, independent of the code under test: a fake that shared the
product's catalog could not catch a mistake in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# The synchronizationSecret enumeration, in Graph's order, `None` excluded (never settable).
KEYS = """UserName Password SecretToken AppKey BaseAddress ClientIdentifier ClientSecret SingleSignOnType
Sandbox Url Domain ConsumerKey ConsumerSecret TokenKey TokenExpiration Oauth2AccessToken
Oauth2AccessTokenCreationTime Oauth2RefreshToken SyncAll InstanceName Oauth2ClientId Oauth2ClientSecret
CompanyId UpdateKeyOnSoftDelete SynchronizationSchedule SystemOfRecord SandboxName EnforceDomain
SyncNotificationSettings SkipOutOfScopeDeletions Oauth2AuthorizationCode Oauth2RedirectUri
ApplicationTemplateIdentifier Oauth2TokenExchangeUri Oauth2AuthorizationUri AuthenticationType Server
PerformInboundEntitlementGrants HardDeletesEnabled SyncAgentCompatibilityKey SyncAgentADContainer
ValidateDomain TestReferences ConnectionString""".split()

# Served as "*" by GET (AppKey only when it is not a JSON document, as Cloud Sync stores it).
MASKED = set(
    """Password SecretToken ClientSecret ConsumerSecret TokenKey Oauth2AccessToken Oauth2RefreshToken
    Oauth2ClientSecret Oauth2AuthorizationCode ConnectionString AppKey""".split()
)
# Keys whose value is a JSON document and that Graph refuses to clear with "" (msgraph-metadata #347).
ALWAYS_JSON = {"SyncNotificationSettings"}
JSON_WHEN_STORED_AS_JSON = {"Domain", "AppKey"}

MASK = "*"
PLACEHOLDER_PREFIX = "<unrevealed"


class Refused(Exception):
    """A PUT Graph answers with 400: (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _is_json_object(value: str) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


def masked_view(pairs: dict[str, str]) -> list[dict[str, str]]:
    def shown(key: str, value: str) -> str:
        if key in MASKED and not (key == "AppKey" and _is_json_object(value)):
            return MASK
        return value

    return [{"key": key, "value": shown(key, value)} for key, value in pairs.items()]


def parse_put_body(document: object) -> list[tuple[str, str]]:
    """The pairs of a PUT body `{"value": [{"key", "value"}...]}`, or Refused as Graph's
    deserializer would (unknown key, missing or non-string value)."""
    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        raise Refused("BadRequest", "Empty Payload. JSON content expected.")
    pairs = []
    for item in document["value"]:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise Refused("BadRequest", "Invalid JSON. A 'key' property is expected in each pair.")
        if item["key"] not in KEYS:
            raise Refused("BadRequest", f"Requested value '{item['key']}' was not found.")
        if not isinstance(item.get("value"), str):
            raise Refused("BadRequest", "Invalid JSON. A string 'value' property is expected in each pair.")
        pairs.append((item["key"], item["value"]))
    return pairs


def _nested_error(code: str, message: str) -> str:
    """Graph's synchronization service wraps its own error as a JSON string in `message`."""
    return json.dumps({"code": code, "message": message, "details": [], "target": None})


def apply_put(stored: dict[str, str], pairs: list[tuple[str, str]], semantics: str) -> dict[str, str]:
    """The state after a PUT (merge: upsert, "" removes; replace: the body is the new set)."""
    for key, value in pairs:
        if value == "" and (
            key in ALWAYS_JSON or (key in JSON_WHEN_STORED_AS_JSON and _is_json_object(stored.get(key, "")))
        ):
            raise Refused(
                "UnknownError",
                _nested_error("InvalidNotificationSettings", f"The value of {key} is not a valid settings document."),
            )
    result = dict(stored) if semantics == "merge" else {}
    for key, value in pairs:
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    return result


def sent_pairs(document: object) -> list[tuple[str, str]]:
    """Every string pair of a PUT body (`value`) or validateCredentials body (`credentials`),
    read leniently: whatever else is wrong with the body, what it would send is checked."""
    if not isinstance(document, dict):
        return []
    items = [
        item for field in ("value", "credentials") if isinstance(document.get(field), list) for item in document[field]
    ]
    return [
        (item["key"], item["value"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("value"), str)
    ]


def violation(pairs: list[tuple[str, str]]) -> str | None:
    """Why this body must never reach a tenant (a mask or a placeholder sent as a value), if so."""
    for key, value in pairs:
        if value == MASK:
            return f"{key}: the masked value '*' was sent back (it would overwrite the real secret)"
        if value.startswith(PLACEHOLDER_PREFIX):
            return f"{key}: a placeholder was sent instead of the resolved value"
    return None


@dataclass
class Principal:
    pairs: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)  # id -> jobs.Job (jobs.py imports this module)
    templates: list[dict] = field(default_factory=list)  # synchronization templates (jobs.template)
    stale: dict[str, str] | None = None  # what lagging GETs serve
    stale_reads: int = 0

"""The catalog against the facts of Microsoft Graph, written out independently here."""

from __future__ import annotations

import re

from compiler.catalog.keys import BY_FRIENDLY, BY_GRAPH, KEYS, NOTIFICATION_FIELDS, Kind, lookup, lookup_loosely
from compiler.catalog.templates import templates

# Graph's synchronizationSecret enumeration, in Graph's order (None, the null member, left out).
GRAPH_ENUMERATION = """
UserName Password SecretToken AppKey BaseAddress ClientIdentifier ClientSecret SingleSignOnType
Sandbox Url Domain ConsumerKey ConsumerSecret TokenKey TokenExpiration Oauth2AccessToken
Oauth2AccessTokenCreationTime Oauth2RefreshToken SyncAll InstanceName Oauth2ClientId
Oauth2ClientSecret CompanyId UpdateKeyOnSoftDelete SynchronizationSchedule SystemOfRecord
SandboxName EnforceDomain SyncNotificationSettings SkipOutOfScopeDeletions Oauth2AuthorizationCode
Oauth2RedirectUri ApplicationTemplateIdentifier Oauth2TokenExchangeUri Oauth2AuthorizationUri
AuthenticationType Server PerformInboundEntitlementGrants HardDeletesEnabled SyncAgentCompatibilityKey
SyncAgentADContainer ValidateDomain TestReferences ConnectionString
""".split()

SPEC_BOOLEANS = {
    "SyncAll",
    "SkipOutOfScopeDeletions",
    "Sandbox",
    "EnforceDomain",
    "UpdateKeyOnSoftDelete",
    "PerformInboundEntitlementGrants",
    "HardDeletesEnabled",
    "ValidateDomain",
}
SPEC_URLS = {"BaseAddress", "Url", "Oauth2RedirectUri", "Oauth2TokenExchangeUri", "Oauth2AuthorizationUri"}
SPEC_TIMESTAMPS = {"TokenExpiration", "Oauth2AccessTokenCreationTime"}
SPEC_SENSITIVE = {
    "Password",
    "SecretToken",
    "ClientSecret",
    "ConsumerSecret",
    "TokenKey",
    "Oauth2AccessToken",
    "Oauth2RefreshToken",
    "Oauth2ClientSecret",
    "Oauth2AuthorizationCode",
    "ConnectionString",
    "AppKey",
}


def kinds(kind: Kind) -> set[str]:
    return {key.graph for key in KEYS if key.kind is kind}


def test_every_settable_member_in_graph_order() -> None:
    assert [key.graph for key in KEYS] == GRAPH_ENUMERATION
    assert "None" not in BY_GRAPH


def test_friendly_names_are_the_snake_case_of_graph_names() -> None:
    for key in KEYS:
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key.graph).lower()
        assert key.friendly == snake, key.graph
    assert BY_GRAPH["SyncAgentADContainer"].friendly == "sync_agent_ad_container"


def test_kinds_match_the_spec() -> None:
    assert kinds(Kind.BOOLEAN) == SPEC_BOOLEANS
    assert kinds(Kind.URL) == SPEC_URLS
    assert kinds(Kind.TIMESTAMP) == SPEC_TIMESTAMPS
    assert kinds(Kind.NOTIFICATIONS) == {"SyncNotificationSettings"}
    assert kinds(Kind.OBJECT_OR_TEXT) == {"Domain", "AppKey"}
    assert {key.graph for key in KEYS if key.sensitive} == SPEC_SENSITIVE
    assert kinds(Kind.SECRET) == SPEC_SENSITIVE - {"AppKey"}  # AppKey may also be a JSON object


def test_credential_endpoints() -> None:
    found = {key.graph for key in KEYS if key.receives_credentials}
    assert found == {"BaseAddress", "Url", "Oauth2TokenExchangeUri", "Oauth2AuthorizationUri", "Server"}


def test_every_key_is_described_in_one_line() -> None:
    for key in KEYS:
        assert key.description and "\n" not in key.description and key.description.endswith("."), key.graph


def test_lookup_takes_either_spelling_only() -> None:
    assert lookup("sync_all") is lookup("SyncAll") is BY_GRAPH["SyncAll"]
    assert lookup("syncall") is None and lookup("Sync_All") is None
    assert lookup_loosely("SYNC_ALL") is BY_FRIENDLY["sync_all"]
    assert lookup_loosely("future_key") is None


def test_notification_fields_in_graph_order() -> None:
    assert [field.graph for field in NOTIFICATION_FIELDS] == [
        "Enabled",
        "Recipients",
        "DeleteThresholdEnabled",
        "DeleteThresholdValue",
        "HumanResourcesLookaheadQueryEnabled",
    ]


def test_templates_cover_the_documented_kinds() -> None:
    found = templates()
    assert {"scim", "scim-oauth2", "cross-tenant", "ecma", "aws-legacy", "workday", "cloud-sync"} <= set(found)
    assert [key.graph for key in found["scim"].required] == ["BaseAddress", "SecretToken"]
    assert found["cross-tenant"].values == {"AuthenticationType": "SyncPolicy"}
    assert found["scim-oauth2"].values == {"AuthenticationType": "OAuth2ClientCredentialsGrant"}
    assert found["ecma"].patterns["BaseAddress"].match("https://localhost:8585/ecma2host_SQL/scim")

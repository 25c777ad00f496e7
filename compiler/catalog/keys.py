"""The one catalog of Microsoft Graph synchronization secret keys.

Everything that knows about keys (validation, the mapper, masking, the diff, `keys`, the JSON
Schema, the templates, `init` and `import`) reads this table; there is no second list of keys.
Order matters: it is the order of Graph's `synchronizationSecret` enumeration, which is the
canonical order of pairs in the output.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from .suggest import fold


class Kind(StrEnum):
    """How a key's TOML value becomes its wire string (the Values table of docs/profiles.md); each
    kind's rules are one object of profile/kinds.py."""

    TEXT = "text"
    SECRET = "secret"  # a reference only: profiles live in version control
    BOOLEAN = "boolean"
    URL = "url"
    TIMESTAMP = "timestamp"
    NOTIFICATIONS = "notifications"  # SyncNotificationSettings, the [notifications] table
    OBJECT_OR_TEXT = "object-or-text"  # Domain and AppKey: a string or a JSON object


class Family(StrEnum):
    """Where a key belongs once Graph retires the secrets API (deprecated in beta): how the app is
    reached (endpoint, credentials, OAuth, tenant ids) or how its synchronization job behaves.
    `validate` sends only connectivity keys, as Microsoft's validateCredentials examples do."""

    CONNECTIVITY = "connectivity"
    JOB_SETTING = "job setting"


# Records on the compile path are NamedTuples (or small slotted classes where they change):
# cheap to define at every start (start-up has a budget, see bench/) and to build, once per
# value of a profile.
class Key(NamedTuple):
    graph: str
    friendly: str
    kind: Kind
    description: str
    # A string value is a credential: masked everywhere, refused as a literal.
    sensitive: bool = False
    # Text keys where a TOML integer is a natural way to write the value (ids).
    integer_ok: bool = False
    # A URL or host the provisioning service sends credentials to (exfiltration warning).
    receives_credentials: bool = False
    family: Family = Family.CONNECTIVITY

    def holds_json(self, value: str) -> bool:
        """Whether a string value of this key is the JSON-object form (Domain, AppKey)."""
        return self.kind is Kind.OBJECT_OR_TEXT and value.lstrip().startswith("{")

    def is_secret(self, value: str) -> bool:
        """Whether a string value of this key is a credential, to be masked everywhere and never
        written down. AppKey is one as text, not in its JSON form (a Cloud Sync scenario)."""
        return self.sensitive and not self.holds_json(value)


_JOB = Family.JOB_SETTING
_T, _S, _B, _U, _D, _N, _O = (
    Kind.TEXT,
    Kind.SECRET,
    Kind.BOOLEAN,
    Kind.URL,
    Kind.TIMESTAMP,
    Kind.NOTIFICATIONS,
    Kind.OBJECT_OR_TEXT,
)

# `None`, the enumeration's null member, comes first in Graph and is never settable.
NULL_MEMBER = "None"

KEYS: tuple[Key, ...] = (
    Key("UserName", "user_name", _T, "User name for apps that sign in with basic credentials (Workday, ServiceNow)."),
    Key("Password", "password", _S, "Password that goes with UserName.", sensitive=True),
    Key(
        "SecretToken",
        "secret_token",
        _S,
        "Bearer token sent to a SCIM endpoint (portal: Secret Token).",
        sensitive=True,
    ),
    Key(
        "AppKey",
        "app_key",
        _O,
        'Application key; Cloud Sync sends a JSON object such as {appKeyScenario = "AD2AADPasswordHash"}.',
        sensitive=True,
    ),
    Key(
        "BaseAddress",
        "base_address",
        _U,
        "Endpoint the provisioning service calls (portal: Tenant URL).",
        receives_credentials=True,
    ),
    Key("ClientIdentifier", "client_identifier", _T, "Client identifier of the target app's API.", integer_ok=True),
    Key(
        "ClientSecret",
        "client_secret",
        _S,
        "Client secret of the target app's API (AWS legacy template).",
        sensitive=True,
    ),
    Key("SingleSignOnType", "single_sign_on_type", _T, "Single sign-on type of the target app (format unverified)."),
    Key("Sandbox", "sandbox", _B, "Provision into the app's sandbox instead of production."),
    Key(
        "Url",
        "url",
        _U,
        "URL of the target app's API, for apps that do not use BaseAddress.",
        receives_credentials=True,
    ),
    Key(
        "Domain", "domain", _O, 'Domain of the target; Cloud Sync sends a JSON object such as {domain = "contoso.com"}.'
    ),
    Key("ConsumerKey", "consumer_key", _T, "OAuth 1 consumer key of the target app.", integer_ok=True),
    Key("ConsumerSecret", "consumer_secret", _S, "OAuth 1 consumer secret of the target app.", sensitive=True),
    Key("TokenKey", "token_key", _S, "API token of the target app.", sensitive=True),
    Key("TokenExpiration", "token_expiration", _D, "When the API token expires."),
    Key(
        "Oauth2AccessToken",
        "oauth2_access_token",
        _S,
        "OAuth 2 access token obtained for the target app.",
        sensitive=True,
    ),
    Key(
        "Oauth2AccessTokenCreationTime",
        "oauth2_access_token_creation_time",
        _D,
        "When the OAuth 2 access token was issued.",
    ),
    Key("Oauth2RefreshToken", "oauth2_refresh_token", _S, "OAuth 2 refresh token for the target app.", sensitive=True),
    Key(
        "SyncAll",
        "sync_all",
        _B,
        "Provision all users and groups (true) or only those assigned to the app (false).",
        family=_JOB,
    ),
    Key("InstanceName", "instance_name", _T, "Instance name of the target app (ServiceNow-style, unverified)."),
    Key(
        "Oauth2ClientId",
        "oauth2_client_id",
        _T,
        "OAuth 2 client id the provisioning service authenticates with.",
        integer_ok=True,
    ),
    Key(
        "Oauth2ClientSecret",
        "oauth2_client_secret",
        _S,
        "OAuth 2 client secret that goes with Oauth2ClientId.",
        sensitive=True,
    ),
    Key(
        "CompanyId",
        "company_id",
        _T,
        "Company or tenant id of the target (cross-tenant sync: the target tenant id).",
        integer_ok=True,
    ),
    Key(
        "UpdateKeyOnSoftDelete",
        "update_key_on_soft_delete",
        _B,
        "Update the matching key when an account is soft-deleted.",
        family=_JOB,
    ),
    Key(
        "SynchronizationSchedule",
        "synchronization_schedule",
        _T,
        "Synchronization schedule (format unverified).",
        integer_ok=True,
        family=_JOB,
    ),
    Key("SystemOfRecord", "system_of_record", _T, "System of record for inbound (HR) provisioning.", family=_JOB),
    Key("SandboxName", "sandbox_name", _T, "Name of the app's sandbox to provision into."),
    Key("EnforceDomain", "enforce_domain", _B, "Only provision accounts in the configured Domain.", family=_JOB),
    Key(
        "SyncNotificationSettings",
        "sync_notification_settings",
        _N,
        "Quarantine and failure emails and the accidental-deletion threshold.",
        family=_JOB,
    ),
    Key(
        "SkipOutOfScopeDeletions",
        "skip_out_of_scope_deletions",
        _B,
        "Do not disable accounts in the target when they leave scope.",
        family=_JOB,
    ),
    Key(
        "Oauth2AuthorizationCode",
        "oauth2_authorization_code",
        _S,
        "OAuth 2 authorization code from the app's consent flow.",
        sensitive=True,
    ),
    Key("Oauth2RedirectUri", "oauth2_redirect_uri", _U, "OAuth 2 redirect URI registered with the target app."),
    Key(
        "ApplicationTemplateIdentifier",
        "application_template_identifier",
        _T,
        "Gallery application template identifier.",
    ),
    Key(
        "Oauth2TokenExchangeUri",
        "oauth2_token_exchange_uri",
        _U,
        "OAuth 2 token endpoint (client credentials grant).",
        receives_credentials=True,
    ),
    Key(
        "Oauth2AuthorizationUri",
        "oauth2_authorization_uri",
        _U,
        "OAuth 2 authorization endpoint of the target app.",
        receives_credentials=True,
    ),
    Key(
        "AuthenticationType",
        "authentication_type",
        _T,
        "How to authenticate: OAuth2ClientCredentialsGrant, SyncPolicy (cross-tenant), ...",
    ),
    Key("Server", "server", _T, "Server (host) of the target directory or app.", receives_credentials=True),
    Key(
        "PerformInboundEntitlementGrants",
        "perform_inbound_entitlement_grants",
        _B,
        "Grant entitlements read from the source during inbound provisioning.",
        family=_JOB,
    ),
    Key(
        "HardDeletesEnabled",
        "hard_deletes_enabled",
        _B,
        "Delete accounts in the target instead of disabling them.",
        family=_JOB,
    ),
    Key(
        "SyncAgentCompatibilityKey",
        "sync_agent_compatibility_key",
        _T,
        "Compatibility key of the on-premises provisioning agent (format unverified).",
    ),
    Key(
        "SyncAgentADContainer",
        "sync_agent_ad_container",
        _T,
        "Active Directory container the provisioning agent writes to (format unverified).",
    ),
    Key("ValidateDomain", "validate_domain", _B, "Check that the Domain is verified before provisioning.", family=_JOB),
    Key("TestReferences", "test_references", _T, "Test references (format unverified)."),
    Key(
        "ConnectionString",
        "connection_string",
        _S,
        "Connection string of the target (database or service).",
        sensitive=True,
    ),
)

# 1-based, because Graph's `None` member holds position 0.
POSITION: dict[str, int] = {key.graph: index for index, key in enumerate(KEYS, start=1)}
BY_GRAPH: dict[str, Key] = {key.graph: key for key in KEYS}
BY_FRIENDLY: dict[str, Key] = {key.friendly: key for key in KEYS}
NOTIFICATION_KEY = BY_GRAPH["SyncNotificationSettings"]


def lookup(name: str) -> Key | None:
    """The key a profile means by `name`, in either spelling, or None."""
    return BY_FRIENDLY.get(name) or BY_GRAPH.get(name)


def is_connectivity(graph_name: str) -> bool:
    """Whether a pair goes to validateCredentials: a catalog key of the connectivity family, or a
    [raw] key (syncsecrets cannot tell, and leaving out a credential would fail the test)."""
    key = BY_GRAPH.get(graph_name)
    return key is None or key.family is Family.CONNECTIVITY


def lookup_loosely(name: str) -> Key | None:
    """The key `name` would be with different case or underscores (`[raw] syncall` is SyncAll)."""
    return _BY_FOLDED.get(fold(name))


_BY_FOLDED: dict[str, Key] = {fold(key.graph): key for key in KEYS}


class NotificationField(NamedTuple):
    """A field of the SyncNotificationSettings JSON object, in Graph's order."""

    graph: str
    friendly: str | None  # the two threshold fields are written together as `delete_threshold`
    type: type
    description: str


NOTIFICATION_FIELDS: tuple[NotificationField, ...] = (
    NotificationField(
        "Enabled", "enabled", bool, "Send quarantine and failure emails (default: true when recipients is set)."
    ),
    NotificationField(
        "Recipients",
        "recipients",
        str,
        "Email address; several separated by ';' or ','; a list (joined with ';'); [] for none.",
    ),
    NotificationField("DeleteThresholdEnabled", None, bool, "Stop a cycle that would delete too many accounts."),
    NotificationField("DeleteThresholdValue", None, int, "Deletions in one cycle that stop it (portal default 500)."),
    NotificationField(
        "HumanResourcesLookaheadQueryEnabled", "hr_lookahead_query", bool, "Look ahead for future-dated HR changes."
    ),
)
NOTIFICATION_BY_GRAPH = {field.graph: field for field in NOTIFICATION_FIELDS}
_NOTIFICATION_POSITION = {field.graph: position for position, field in enumerate(NOTIFICATION_FIELDS)}


def notification_field_order(names) -> list[str]:
    """SyncNotificationSettings field names in canonical order: Graph's known fields in their
    order, then fields syncsecrets does not know, sorted."""
    known = sorted((name for name in names if name in _NOTIFICATION_POSITION), key=_NOTIFICATION_POSITION.__getitem__)
    return known + sorted(name for name in names if name not in _NOTIFICATION_POSITION)

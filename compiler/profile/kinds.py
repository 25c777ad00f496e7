"""One object per value kind (catalog.keys.Kind): everything syncsecrets does with a value of it.

- `literal` and `text`: a TOML literal, or a string (written, or revealed from a reference),
  checked and turned into the wire string (InvalidValue says what to write instead);
- `equal`: whether the tenant's wire string says what the profile's does (plan, apply);
- `is_json`: whether a wire string is the JSON form, which Graph cannot clear with "";
- `schema`: the JSON Schema of a literal (None: a reference only);
- `to_toml`: a wire string as `import` writes it into a profile.

A new kind is one member of Kind and one class here; tests/test_kinds.py checks that every
kind has its object and that the object implements every method, so no kind falls through to
another's rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from ..catalog.keys import Key, Kind
from ..problems import InvalidValue
from . import notifications
from .references import EXAMPLE, FORMS, SCHEMES
from .secrets import remember_secret
from .values import (
    TIMESTAMP_EXAMPLE,
    URL_EXAMPLE,
    check_url,
    compact_json,
    fraction_digits,
    json_object,
    reject_placeholder,
    timestamp,
    with_all_fraction_digits,
)

Warn = Callable[[str], None]


class ValueKind:
    """The rules every kind must give; this base gives none (see the module's docstring)."""

    description = ""  # what a value of this kind is, for the JSON Schema
    # A TOML table written for a key of this kind is its value, not a reference.
    takes_table = False

    def literal(self, key: Key, value: object) -> str:
        raise NotImplementedError

    def text(self, key: Key, text: str) -> str:
        raise NotImplementedError

    def equal(self, tenant: str, profile: str) -> bool:
        raise NotImplementedError

    def is_json(self, text: str) -> bool:
        raise NotImplementedError

    def schema(self, key: Key) -> dict | None:
        raise NotImplementedError

    def to_toml(self, key: Key, text: str, warn: Warn) -> object:
        raise NotImplementedError


class Text(ValueKind):
    description = "a string"

    def literal(self, key: Key, value: object) -> str:
        if key.sensitive and isinstance(value, str):
            refuse_secret(value)
        if isinstance(value, int) and not isinstance(value, bool) and key.integer_ok:
            return str(value)
        if not isinstance(value, str):
            wanted = "a string or an integer" if key.integer_ok else "a string (in quotes)"
            raise InvalidValue(f"expected {wanted}")
        return self.text(key, value)

    def text(self, key: Key, text: str) -> str:
        if not text:
            raise InvalidValue(
                "is empty: give a value, or leave the key out (to clear it on the tenant, leave it out and run "
                '`syncsecrets apply`, which sends "" for it)'
            )
        reject_placeholder(text)
        return text

    def equal(self, tenant: str, profile: str) -> bool:
        return tenant == profile

    def is_json(self, text: str) -> bool:
        return False

    def schema(self, key: Key) -> dict | None:
        if key.integer_ok:
            return {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
        return {"type": "string", "minLength": 1}

    def to_toml(self, key: Key, text: str, warn: Warn) -> object:
        return text


class Secret(Text):
    """A credential: only ever a reference, since profiles live in version control."""

    description = f"a reference: {FORMS}"

    def literal(self, key: Key, value: object) -> str:
        refuse_secret(value)

    def schema(self, key: Key) -> dict | None:
        return None


class Boolean(Text):
    description = "true or false"

    def literal(self, key: Key, value: object) -> str:
        if isinstance(value, bool):
            return str(value)  # Graph's spelling: True, False
        raise InvalidValue("expected true or false (a TOML boolean, without quotes)")

    def text(self, key: Key, text: str) -> str:
        found = boolean(super().text(key, text))
        if found is None:
            raise InvalidValue("must be true or false")
        return str(found)

    def equal(self, tenant: str, profile: str) -> bool:
        found = boolean(tenant)  # Graph may answer "true" for a "True" it was sent
        return found is not None and found == boolean(profile)

    def schema(self, key: Key) -> dict | None:
        return {"type": "boolean"}

    def to_toml(self, key: Key, text: str, warn: Warn) -> object:
        found = boolean(text)
        if found is None:
            raise InvalidValue("is not true or false, so it cannot be a boolean")
        return found


class Url(Text):
    description = "an absolute https:// URL with a host"

    def text(self, key: Key, text: str) -> str:
        check_url(super().text(key, text))
        return text

    def schema(self, key: Key) -> dict | None:
        return {"type": "string", "pattern": "^https://[^/?#\\s]+[^\\s]*$", "examples": [URL_EXAMPLE]}


class Timestamp(Text):
    description = "a TOML offset date-time, sent in UTC"

    def literal(self, key: Key, value: object) -> str:
        if isinstance(value, str) and len(fraction_digits(value)) > 6:
            return self.text(key, value)  # more digits than a TOML date-time holds
        return timestamp(value)

    def text(self, key: Key, text: str) -> str:
        super().text(key, text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(f"must be an ISO 8601 date-time with an offset, e.g. {TIMESTAMP_EXAMPLE}") from None
        return with_all_fraction_digits(timestamp(parsed), text)

    def schema(self, key: Key) -> dict | None:
        return {"type": "string", "format": "date-time"}

    def to_toml(self, key: Key, text: str, warn: Warn) -> object:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue("is not an ISO 8601 date-time") from None
        if moment.tzinfo is None:
            warn(f"{key.graph}: has no UTC offset; taken as UTC")
            moment = moment.replace(tzinfo=UTC)
            text += "Z"
        # Python (and TOML) hold microseconds: seven digits, as .NET writes them, stay a string.
        return text if len(fraction_digits(text)) > 6 else moment


class Notifications(Text):
    """SyncNotificationSettings; its [notifications] table is read by layers.py, field by field."""

    description = "the [notifications] table or a JSON object string"

    def literal(self, key: Key, value: object) -> str:
        if not isinstance(value, str):
            raise InvalidValue("expected a JSON object as a string, or use the [notifications] table")
        return self.text(key, value)

    def text(self, key: Key, text: str) -> str:
        return notifications.canonical_json(text)

    def equal(self, tenant: str, profile: str) -> bool:
        return same_json(tenant, profile)

    def is_json(self, text: str) -> bool:
        return True

    def schema(self, key: Key) -> dict | None:
        return {"anyOf": [{"type": "string", "minLength": 2}, {"$ref": "#/$defs/notifications"}]}


class ObjectOrText(Text):
    """Domain and AppKey: a string, or a JSON object (a TOML table, sent as compact JSON)."""

    description = "a string or a table (sent as compact JSON)"
    takes_table = True

    def literal(self, key: Key, value: object) -> str:
        if isinstance(value, dict):
            text = compact_json(value)
            reject_placeholder(text)
            return text
        return super().literal(key, value)

    def text(self, key: Key, text: str) -> str:
        super().text(key, text)
        return compact_json(json_object(text)) if key.holds_json(text) else text

    def equal(self, tenant: str, profile: str) -> bool:
        return profile.startswith("{") and same_json(tenant, profile)

    def is_json(self, text: str) -> bool:
        return isinstance(_json(text), dict)

    def schema(self, key: Key) -> dict | None:
        table = {
            "type": "object",
            "minProperties": 1,
            "not": {"anyOf": [{"required": [scheme]} for scheme in SCHEMES]},
        }
        # AppKey as a string is a secret: only its JSON-object form may be written out.
        return {"anyOf": [table]} if key.sensitive else {"anyOf": [table, {"type": "string", "minLength": 1}]}

    def to_toml(self, key: Key, text: str, warn: Warn) -> object:
        if not key.holds_json(text):
            return text
        found = json_object(text)
        compact_json(found)
        return found if fits_toml(found) else text


KINDS: dict[Kind, ValueKind] = {
    Kind.TEXT: Text(),
    Kind.SECRET: Secret(),
    Kind.BOOLEAN: Boolean(),
    Kind.URL: Url(),
    Kind.TIMESTAMP: Timestamp(),
    Kind.NOTIFICATIONS: Notifications(),
    Kind.OBJECT_OR_TEXT: ObjectOrText(),
}


def convert_literal(key: Key, value: object) -> str:
    """The wire string for a literal TOML `value` of `key` (not a reference)."""
    return KINDS[key.kind].literal(key, value)


def convert_text(key: Key, text: str) -> str:
    """A string for `key` (written, or revealed from a reference) checked and normalised."""
    return KINDS[key.kind].text(key, text)


def boolean(text: str) -> bool | None:
    """A boolean as Graph writes it, in any case ("True", "false"); None if it is not one."""
    return {"true": True, "false": False}.get(text.lower())


def refuse_secret(value: object):
    if isinstance(value, str):
        remember_secret(value)  # refused, but seen: keep it out of any traceback too
    raise InvalidValue(
        f"is a credential and may not be written in a profile, which lives in version control: {EXAMPLE}"
    )


def same_json(tenant: str, profile: str) -> bool:
    before, after = _json(tenant), _json(profile)
    return before is not None and after is not None and compact_json(before) == compact_json(after)


def _json(text: str) -> object | None:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def fits_toml(value: object, depth: int = 0) -> bool:
    """Whether JSON reads well as a TOML table; if not (TOML has no null; deep nesting is
    unreadable inline), it stays a JSON string, which compile accepts just the same."""
    if value is None or depth > 16:
        return False
    if isinstance(value, dict):
        return all(fits_toml(member, depth + 1) for member in value.values())
    if isinstance(value, list):
        return all(fits_toml(member, depth + 1) for member in value)
    return True

"""The checks and conversions a value kind (kinds.py) is made of.

Every check raises InvalidValue (problems.py) with a message that says what to write instead. No message ever
contains the value it rejects: the value may be a secret, and messages go to CI logs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from ..problems import InvalidValue

URL_EXAMPLE = "https://scim.example.com/v2"
TOO_DEEP = "is nested too deeply: flatten it"
# What `syncsecrets init` writes where a person must fill in a value: refused until replaced.
PLACEHOLDER_MARK = "REPLACE ME"
TIMESTAMP_EXAMPLE = "2026-01-31T09:00:00Z"
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
_EMAIL = re.compile(r"[^@\s;,<>()\[\]\"]+@[^@\s;,<>()\[\]\".]+(?:\.[^@\s;,<>()\[\]\".]+)+\Z")


# The usual shape of a URL, accepted without taking it apart (printable ASCII, no backslash);
# anything else gets the full check. One regex match against about 10 us for the full check,
# twice a profile: 0.2 s of a 10,000-profile compile (bench/ scenario 1).
_PLAIN_HTTPS_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,4})?(?:[/?#][!-\[\]-~]*)?\Z"
)


def check_url(text: str) -> None:
    """A URL the provisioning service calls. Refused: anything two parsers could read with two
    different hosts (a backslash, which browsers and .NET read as `/` while Python does not;
    spaces, control and invisible characters), and a user or password in it, which would also
    show in every diff."""
    if _PLAIN_HTTPS_URL.match(text):
        return
    if any(c.isspace() or not c.isprintable() for c in text):
        raise InvalidValue(f"must be a URL without spaces or control characters, e.g. {URL_EXAMPLE}")
    if "\\" in text:
        raise InvalidValue(
            "must not contain a backslash (some clients read it as /, and the URL then names "
            f"another host): write / instead, e.g. {URL_EXAMPLE}"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidValue(f"is not a valid URL: write it like {URL_EXAMPLE}") from None
    if "@" in parts.netloc:
        raise InvalidValue(
            "must not hold a user name or password (user:password@host): remove it, and give a "
            "credential its own key, as a reference"
        )
    if parts.scheme.lower() == "http":
        raise InvalidValue("must use https://: the provisioning service sends credentials to it")
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise InvalidValue(f"must be an absolute https:// URL with a host, e.g. {URL_EXAMPLE}")


def timestamp(value: object) -> str:
    """A TOML offset date-time as ISO 8601 in UTC with `Z`."""
    example = f"write a TOML date-time with an offset, without quotes, e.g. {TIMESTAMP_EXAMPLE}"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidValue(f"has no UTC offset: {example}")
        try:
            utc = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is a moment before year 1 in UTC
            raise InvalidValue(
                "is out of range once moved to UTC: give a date-time between years 1 and 9999 in UTC"
            ) from None
        text = utc.replace(microsecond=0).isoformat()
        if utc.microsecond:
            text += f".{utc.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, (date, time)):
        raise InvalidValue(f"needs a date, a time and an offset: {example}")
    raise InvalidValue(example)


# The fraction of a second in an ISO 8601 text: the first digits after a `.` or `,` (a date has none).
_FRACTION = re.compile(r"[0-9][.,]([0-9]+)")


def fraction_digits(text: str) -> str:
    """The significant digits of `text`'s fraction of a second ("" when it has none)."""
    found = _FRACTION.search(text)
    return found.group(1).rstrip("0") if found else ""


def with_all_fraction_digits(wire: str, text: str) -> str:
    """`wire` (from the parsed `text`) with every digit of `text`'s fraction of a second.

    Python and TOML hold microseconds: Graph and .NET write seven digits
    (2025-06-17T09:20:28.4706449Z), which parsing would silently cut. The offset is whole
    minutes, so converting to UTC never changes the fraction: the text's digits stay exact.
    """
    digits = fraction_digits(text)
    if len(digits) <= 6:
        return wire
    return wire.removesuffix("Z").partition(".")[0] + f".{digits}Z"


# Built once: json.dumps with options builds a new encoder on every call.
_COMPACT = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False).encode


def compact_json(value: object) -> str:
    """A JSON value in the canonical compact form: no spaces, object keys sorted."""
    try:
        return _COMPACT(value)
    except (TypeError, ValueError):
        raise InvalidValue(
            "a JSON object may hold strings, numbers, booleans, arrays and tables (no dates, nan or inf)"
        ) from None
    except RecursionError:
        raise InvalidValue(TOO_DEEP) from None


def json_object(text: str) -> dict:
    try:
        value = json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise InvalidValue(TOO_DEEP) from None
    except json.JSONDecodeError as error:
        # The decoder's message names only a position (never the text), so it is safe to show.
        raise InvalidValue(
            f"is not valid JSON ({error.msg} at character {error.pos}): write it as a TOML table"
        ) from None
    except ValueError:  # NaN or Infinity, or an integer longer than Python converts (4,300 digits)
        raise InvalidValue(UNFIT_NUMBER) from None
    if not isinstance(value, dict):
        raise InvalidValue("must be a JSON object ({...}): write it as a TOML table")
    return value


UNFIT_NUMBER = "holds a number JSON cannot carry (NaN, Infinity, or an integer over 4300 digits): remove it"


def reject_constant(_name: str) -> object:
    raise ValueError("NaN and Infinity are not JSON")


def reject_placeholder(text: str) -> None:
    if PLACEHOLDER_MARK in text:
        raise InvalidValue(
            f"still holds a {PLACEHOLDER_MARK} placeholder from `syncsecrets init`: put the real value here"
        )


PRINCIPAL_GUID = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10 (the service principal's object id)"
TENANT_GUID = "72f988bf-86f1-41af-91ab-2d7cd011db47 (the Directory (tenant) ID)"


def check_guid(value: object, example: str = PRINCIPAL_GUID) -> str:
    if isinstance(value, str):
        reject_placeholder(value)
    if not isinstance(value, str) or not GUID.match(value):
        raise InvalidValue(f"must be a GUID like {example}")
    return value.lower()


def check_email(value: str) -> str:
    reject_placeholder(value)
    if not _EMAIL.match(value):
        raise InvalidValue("must be an email address like iam-alerts@contoso.example")
    return value


def check_label(value: object) -> str:
    """A plain non-empty string (metadata such as display_name)."""
    if not isinstance(value, str):
        raise InvalidValue("expected a string (in quotes)")
    if not value.strip():
        raise InvalidValue("is empty: give a value or leave the key out")
    reject_placeholder(value)
    return value

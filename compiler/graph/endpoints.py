"""The synchronization calls of Graph, one function each (and the checks on what goes out).

Further calls (validateCredentials, the jobs) belong here too: a URL, a body, and the client.
"""

from __future__ import annotations

import json
from typing import Any

from ..profile.layers import RAW_NAME
from ..profile.names import PLAIN_NAME
from ..profile.references import placeholder_reason
from ..profile.values import reject_constant
from .client import GraphClient, GraphError

MASK = "*"  # how a GET shows a secret
MAX_PAGES = 100  # a secrets set is one page; a longer chain of nextLinks is a loop


def secrets_url(client: GraphClient, principal: str) -> str:
    return client.connection.url(f"servicePrincipals/{principal}/synchronization/secrets")


def jobs_url(client: GraphClient, principal: str) -> str:
    return client.connection.url(f"servicePrincipals/{principal}/synchronization/jobs")


MAX_JOB_ID = 256  # Graph's are `<template>.<32 hex>.<guid>` (scim.0a1b....2f9f1c9e-1b7a-...), some 80 characters
NOT_AN_ID = f"not an id (letters, digits, '.', '-' and '_', at most {MAX_JOB_ID} characters)"


def is_job_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_JOB_ID and bool(PLAIN_NAME.match(value))


def job_url(client: GraphClient, principal: str, job_id: object) -> str:
    """A job's URL. Its id comes from Graph's answer: one that is not a plain id (a slash, a `?`,
    a `..`) would move the request, and the credentials it carries, to another path."""
    if not is_job_id(job_id):
        raise GraphError(
            None, "UnexpectedAnswer", f"Graph's answer names a job whose id is {NOT_AN_ID}: nothing was sent to it"
        )
    return f"{jobs_url(client, principal)}/{job_id}"


def read_secrets(client: GraphClient, principal: str, deadline: float | None = None) -> list[tuple[str, str]]:
    """The tenant's pairs, every page (`@odata.nextLink`, on the Graph root's host only)."""
    items = read_collection(client, secrets_url(client, principal), deadline)
    if not all(isinstance(item.get("key"), str) and isinstance(item.get("value"), str) for item in items):
        raise GraphError(None, "UnexpectedAnswer", 'Graph\'s answer is not a list of {"key", "value"} pairs')
    if not all(RAW_NAME.match(item["key"]) for item in items):  # Graph's keys are names of its enumeration
        raise GraphError(
            None, "UnexpectedAnswer", "Graph's answer holds a key that is not a key name (letters and digits)"
        )
    if len({item["key"] for item in items}) < len(items):  # which of the two would plan compare?
        raise GraphError(None, "UnexpectedAnswer", "Graph's answer holds a key twice")
    for item in items:
        if not_json_number(item["value"]):
            raise GraphError(
                None,
                "UnexpectedAnswer",
                f"Graph's answer holds NaN or Infinity in the JSON value of "
                f"{item['key']}, which JSON does not allow: fix the value on the tenant",
            )
    return [(item["key"], item["value"]) for item in items]


def not_json_number(value: str) -> bool:
    """Whether `value` is JSON but for a NaN or an Infinity (which Python's json reads, and no
    comparison, diff or canonical form of a JSON value could then handle)."""
    if not value.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(value, parse_constant=reject_constant)
    except json.JSONDecodeError:  # not JSON at all: a text value
        return False
    except RecursionError:
        return False
    except ValueError:  # reject_constant's, or an integer longer than Python reads (not JSON's fault)
        try:
            json.loads(value)
        except (ValueError, RecursionError):
            return False
        return True
    return False


def read_collection(client: GraphClient, url: str, deadline: float | None = None) -> list[dict]:
    """Every item of an OData collection, following `@odata.nextLink` on the same host only."""
    items: list[dict] = []
    for _page in range(MAX_PAGES):
        document = client.get(url, deadline)
        items += _items(document)
        url = document.get("@odata.nextLink")
        if url is None:
            return items
        if not isinstance(url, str) or not client.connection.owns(url):
            raise GraphError(
                None, "ForeignNextLink", "Graph's @odata.nextLink is not a URL on the Graph root's host: not followed"
            )
    raise GraphError(None, "TooManyPages", f"more than {MAX_PAGES} pages of results: stopped")


def write_secrets(client: GraphClient, principal: str, pairs: list[tuple[str, str]]) -> None:
    """PUT the pairs. A mask or a placeholder would overwrite a real secret on the tenant: such a
    body is a bug of syncsecrets, never sent (RuntimeError: exit 3)."""
    check_sendable(pairs)
    client.put(secrets_url(client, principal), {"value": [{"key": key, "value": value} for key, value in pairs]})


def check_sendable(pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        if unsendable(value):
            raise RuntimeError(f"refusing to send a mask or a placeholder as the value of {key}")


def unsendable(value: str) -> str | None:
    """Why `value` must never be sent (it would overwrite a real secret on the tenant), or None.
    targets.py refuses such a value from a profile or a reference as a user error (exit 2)
    before check_sendable could meet it."""
    if value == MASK:
        return '"*" is how Graph hides a secret, not a value: sending it would overwrite the real secret'
    return placeholder_reason(value)


def _items(document: Any) -> list[dict]:
    items = document.get("value") if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise GraphError(None, "UnexpectedAnswer", "Graph's answer is not an OData collection")
    return items

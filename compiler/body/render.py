"""The canonical bytes of a PUT body, and reading a previous output back.

Canonical: UTF-8, non-ASCII kept, 2-space indent, `key` before `value`, one trailing newline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable


def render(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The body for (key, value) pairs, already in canonical order."""
    body = {"value": [{"key": key, "value": value} for key, value in pairs]}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def parse_body(data: bytes) -> list[tuple[str, str]] | None:
    """The pairs of a secrets body (a previous output), or None if it is not one."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return None
    pairs = body.get("value") if isinstance(body, dict) else None
    if not isinstance(pairs, list):
        return None
    result = []
    for pair in pairs:
        if not (isinstance(pair, dict) and isinstance(pair.get("key"), str) and isinstance(pair.get("value"), str)):
            return None
        result.append((pair["key"], pair["value"]))
    return result

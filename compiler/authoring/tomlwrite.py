"""Writing profiles (for `init` and `import`) with tomli-w.

tomli-w formats every value (strings with their escapes, date-times, arrays), but writes every
mapping as a `[section]`; a reference reads best inline (`secret_token = { env = "X" }`), so
mappings inside a section are written as inline tables here, their members formatted by tomli-w.
"""

from __future__ import annotations

import re
from datetime import datetime

import tomli_w

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def value(item: object) -> str:
    """One TOML value on one line: scalars by tomli-w; arrays and mappings inline (a line break
    inside an inline table is not TOML); date-times with a `T` and `Z` for UTC."""
    if isinstance(item, dict):
        members = ", ".join(f"{key(name)} = {value(member)}" for name, member in item.items())
        return f"{{ {members} }}" if members else "{}"
    if isinstance(item, list):
        return "[" + ", ".join(value(member) for member in item) + "]"
    if isinstance(item, datetime):
        return item.isoformat().replace("+00:00", "Z")
    return tomli_w.dumps({"v": item}).removeprefix("v = ").rstrip("\n")


def key(name: str) -> str:
    return name if _BARE_KEY.match(name) else value(name)


def line(name: str, item: object, comment: str | None = None) -> str:
    text = f"{key(name)} = {value(item)}"
    return f"{text}  # {comment}" if comment else text


def section(name: str, items: dict[str, object]) -> list[str]:
    return [f"[{name}]", *(line(item_name, item) for item_name, item in items.items())]

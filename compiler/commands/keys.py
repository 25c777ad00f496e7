"""`syncsecrets keys`: every settable key of the catalog, as a table or as JSON."""

from __future__ import annotations

import json

from ..catalog import KEYS
from ..guard import out

COLUMNS = ("key", "friendly_name", "kind", "sensitive", "description")


def key_rows() -> list[dict]:
    return [
        {"key": key.graph, "friendly_name": key.friendly, "kind": str(key.kind), "sensitive": key.sensitive,
         "description": key.description}
        for key in KEYS
    ]  # fmt: skip


def list_keys(as_json: bool) -> int:
    rows = key_rows()
    if as_json:
        out(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    table = [("KEY", "FRIENDLY NAME", "KIND", "SECRET", "DESCRIPTION")]
    table += [(row["key"], row["friendly_name"], row["kind"], "yes" if row["sensitive"] else "", row["description"])
              for row in rows]  # fmt: skip
    widths = [max(len(row[column]) for row in table) for column in range(4)]
    for row in table:
        out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    return 0

"""`syncsecrets keys`: every settable key of the catalog, as a table, JSON or Markdown."""

from __future__ import annotations

import json

from .. import exits
from ..catalog.keys import KEYS
from ..reports.terminal import RichWriter, Writer, writer_for_terminal

HEADINGS = ("KEY", "FRIENDLY NAME", "KIND", "SECRET", "FAMILY", "DESCRIPTION")


def key_rows() -> list[dict]:
    return [
        {
            "key": key.graph,
            "friendly_name": key.friendly,
            "kind": str(key.kind),
            "sensitive": key.sensitive,
            "family": str(key.family),
            "description": key.description,
        }
        for key in KEYS
    ]


def _cells(row: dict) -> tuple[str, ...]:
    secret = "yes" if row["sensitive"] else ""
    return row["key"], row["friendly_name"], row["kind"], secret, row["family"], row["description"]


def markdown_table() -> str:
    """The reference table of docs/keys.md."""
    lines = ["| Graph key | friendly name | kind | secret | family | description |", "|---|---|---|---|---|---|"]
    lines += ["| `{}` | `{}` | {} | {} | {} | {} |".format(*_cells(row)) for row in key_rows()]
    return "\n".join(lines) + "\n"


def list_keys(as_json: bool, markdown: bool = False) -> int:
    writer = writer_for_terminal() if not (as_json or markdown) else Writer()  # data stays plain
    if as_json:
        writer.document(json.dumps(key_rows(), indent=2, ensure_ascii=False))
    elif markdown:
        writer.document(markdown_table().rstrip("\n"))
    elif isinstance(writer, RichWriter):
        from rich.table import Table

        table = Table(*HEADINGS, highlight=False)
        for row in key_rows():
            table.add_row(*_cells(row), style="yellow" if row["sensitive"] else None)
        writer.table(table)
    else:
        rows = [HEADINGS, *(_cells(row) for row in key_rows())]
        widths = [max(len(row[column]) for row in rows) for column in range(5)]
        for row in rows:
            writer.out("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5])
    return exits.OK

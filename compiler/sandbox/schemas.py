"""The default schema of a synchronization template, as a new job starts with it.

scim_schema.json is a generic SCIM application's ("customappsso") schema: one rule from Azure
Active Directory with the User and Group object mappings and the attribute mappings Microsoft
documents as the defaults of a SCIM app (entra-docs, app-provisioning/use-scim-to-provision-
users-and-groups.md; shapes of microsoft-graph-docs-contrib's synchronization-synchronizationschema
resource). Any template id gets it, under its own id: the sandbox knows no gallery app's schema.
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from typing import Any

SCIM_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "scim_schema.json")


@cache
def _scim_schema() -> dict[str, Any]:
    with open(SCIM_SCHEMA_FILE, encoding="utf-8") as file:
        return json.load(file)


def template_schema(template_id: str) -> dict[str, Any]:
    """A fresh copy (the caller may change it) of the default schema of `template_id`."""
    schema = copy.deepcopy(_scim_schema())
    schema["id"] = template_id
    schema["version"] = f"Date:2026-01-01T00:00:00Z~Template:{template_id}"
    return schema

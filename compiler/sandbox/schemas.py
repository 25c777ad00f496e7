"""The default schema of a synchronization template, as a new job starts with it.

- scim_schema.json: a generic SCIM application's ("customappsso") schema: one rule from Azure
  Active Directory with the User and Group object mappings and the attribute mappings Microsoft
  documents as the defaults of a SCIM app (entra-docs, app-provisioning/use-scim-to-provision-
  users-and-groups.md, "Default user attribute mapping" and "Default group attribute mapping";
  shapes of microsoft-graph-docs-contrib's synchronization-synchronizationschema resource). The
  source trees are the fake's own parseExpression answers; fields only beta documents
  (`containerFilter`, `groupFilter`, `flowNullValues`, `discoverabilities`, `supportedApis`,
  `readOnly`) are there so that a client that drops what it does not manage is caught. Any
  template id gets it, under its own id: the sandbox knows no gallery app's schema but one:
- salesforce_schema.json, for the template id `salesforce`: Microsoft's Salesforce object
  mapping (microsoft-graph-docs-contrib, api-reference/v1.0/resources/synchronization-
  objectmapping.md, "JSON example") inside the schema shape of api-reference/v1.0/api/
  synchronization-synchronizationschema-get.md, unchanged (also the tests' published schema).
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from typing import Any

SCIM_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "scim_schema.json")
SALESFORCE_SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "salesforce_schema.json")


@cache
def _read(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def template_schema(template_id: str) -> dict[str, Any]:
    """A fresh copy (the caller may change it) of the default schema of `template_id`."""
    if template_id == "salesforce":
        return copy.deepcopy(_read(SALESFORCE_SCHEMA_FILE))
    schema = copy.deepcopy(_read(SCIM_SCHEMA_FILE))
    schema["id"] = template_id
    schema["version"] = f"Date:2026-01-01T00:00:00Z~Template:{template_id}"
    return schema

"""The JSON Schema (draft 2020-12) of a profile, generated from the catalog.

Editors use it (through Taplo / Even Better TOML) for completion, hover text and validation as
the profile is typed. It mirrors what `layers.py` accepts; what a schema cannot say (a value
from a reference checked after resolution, template requirements after merging) is left to
`compile`.
"""

from __future__ import annotations

from ..catalog.keys import KEYS, NOTIFICATION_FIELDS, Key
from ..catalog.templates import templates
from ..profile import notifications
from ..profile.job import STATES, TEMPLATE_ID
from ..profile.kinds import KINDS
from ..profile.layers import APPLICATION_FIELDS, ENVIRONMENT_NAME, RAW_NAME
from ..profile.references import ENV_NAME, SCHEMES
from ..profile.values import GUID
from ..profile.vault_address import EXAMPLE as KEYVAULT_EXAMPLE
from ..profile.vault_address import SCHEMA_PATTERN as KEYVAULT_PATTERN

SCHEMA_ID = "urn:syncsecrets:profile"


def profile_schema() -> dict:
    layer = _layer_properties()
    spellings = {key.friendly: key.graph for key in KEYS} | {key.graph: key.friendly for key in KEYS}
    # Both spellings of one key in one table is an error.
    one_spelling = {name: {"not": {"required": [other]}} for name, other in spellings.items()}
    environment = {
        "type": "object",
        "description": "Overrides for one environment (tenant), compiled with --env NAME into <out>/NAME/.",
        "properties": layer,
        "additionalProperties": False,
        "dependentSchemas": one_spelling,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "syncsecrets profile",
        "description": "One provisioning application's synchronization secrets, compiled by `syncsecrets compile`.",
        "type": "object",
        "properties": {
            "extends": {
                "description": "Profiles or partials (_*.toml) merged under this one, paths relative to this file.",
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                ],
            },
            "environments": {
                "type": "object",
                "description": "[environments.NAME]: per-environment overrides of any pair.",
                "propertyNames": {"pattern": _anchored(ENVIRONMENT_NAME.pattern)},
                "additionalProperties": environment,
            },
            **layer,
        },
        "additionalProperties": False,
        "dependentSchemas": one_spelling,
        "$defs": _definitions(),
    }


def _layer_properties() -> dict:
    properties = {}
    for key in KEYS:
        schema = _key_schema(key)
        properties[key.friendly] = schema
        properties[key.graph] = schema
    properties["notifications"] = {"$ref": "#/$defs/notifications"}
    properties["application"] = {"$ref": "#/$defs/application"}
    properties["job"] = {"$ref": "#/$defs/job"}
    properties["raw"] = {"$ref": "#/$defs/raw"}
    properties["mappings"] = {"$ref": "#/$defs/mappings"}
    return properties


def _key_schema(key: Key) -> dict:
    description = f"{key.graph}: {key.description} ({KINDS[key.kind].description})"
    reference = {"$ref": "#/$defs/reference"}
    value = KINDS[key.kind].schema(key)
    if value is None:  # a reference only
        return {**reference, "description": description}
    return {"description": description, "anyOf": [value, reference]}


def _definitions() -> dict:
    reference_name = {"type": "string", "minLength": 1}
    env = {**reference_name, "pattern": _anchored(ENV_NAME.pattern)}
    keyvault = {
        "type": "string",
        "description": f"An Azure Key Vault secret: {KEYVAULT_EXAMPLE}.",
        "pattern": KEYVAULT_PATTERN,
    }
    fields = {}
    for field in NOTIFICATION_FIELDS:
        if field.graph == "Recipients":
            schema = {
                "anyOf": [
                    {"type": "string", "minLength": 3},
                    {"type": "array", "items": {"type": "string"}},  # [] is "no address"
                ]
            }
        elif field.type is int:
            schema = {"type": "integer", "minimum": 1}
        else:
            schema = {"type": "boolean"}
        schema = {"description": field.description, **schema}
        fields[field.graph] = schema
        if field.friendly:
            fields[field.friendly] = schema
    fields[notifications.DELETE_THRESHOLD] = {
        "description": notifications.DELETE_THRESHOLD_DESCRIPTION,
        "anyOf": [{"type": "integer", "minimum": 1}, {"const": False}],
    }
    known = sorted({name for key in KEYS for name in (key.friendly, key.graph)})
    return {
        "reference": {
            "description": 'A secret reference: { env = "NAME" }, { file = "path" } (relative to this file) or '
            '{ keyvault = "https://<vault>.vault.azure.net/secrets/<name>" }.',
            "oneOf": [
                {"type": "object", "properties": {scheme: schema}, "required": [scheme], "additionalProperties": False}
                for scheme, schema in zip(SCHEMES, (env, reference_name, keyvault), strict=True)
            ],
        },
        "notifications": {
            "type": "object",
            "description": "SyncNotificationSettings: quarantine emails and the accidental-deletion threshold.",
            "properties": fields,
            "additionalProperties": False,
        },
        "application": {
            "type": "object",
            "description": "Metadata about the application, never sent as a pair.",
            "properties": {
                "display_name": {"type": "string", "minLength": 1, "description": "The application's name."},
                "service_principal_id": {
                    "type": "string",
                    "pattern": _anchored(GUID.pattern),
                    "description": "Object id of the service principal the body is PUT to.",
                },
                "template": {
                    "enum": list(templates()),
                    "description": "The kind of application: compile checks the keys it needs.",
                },
                "tenant_id": {
                    "type": "string",
                    "pattern": _anchored(GUID.pattern),
                    "description": "Directory (tenant) ID: plan and apply refuse a credential for another tenant.",
                },
                "keep": {
                    "type": "array",
                    "items": {"enum": known},
                    "uniqueItems": True,
                    "description": "Keys something else sets on the tenant (OAuth 2 tokens from Authorize): "
                    "apply never sends nor clears them.",
                },
                "job_id": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The synchronization job to use when the service principal has several.",
                },
            },
            "additionalProperties": False,
            "propertyNames": {"enum": list(APPLICATION_FIELDS)},
        },
        "job": {
            "type": "object",
            "description": "The synchronization job as code: apply creates it from its template, starts or "
            "pauses it, and heals a quarantine for its credentials (never deletes it).",
            "properties": {
                "template_id": {
                    "type": "string",
                    "pattern": _anchored(TEMPLATE_ID.pattern),
                    "description": 'The Graph synchronization template of the job (its templateId), e.g. "scim".',
                },
                "state": {"enum": list(STATES), "description": '"active" (default): running; "paused": paused.'},
            },
            "additionalProperties": False,
        },
        **_mapping_definitions(),
        "raw": {
            "type": "object",
            "description": "Keys newer than syncsecrets' catalog, passed through as strings.",
            "propertyNames": {"pattern": _anchored(RAW_NAME.pattern), "not": {"enum": known}},
            "additionalProperties": {"anyOf": [{"type": "string", "minLength": 1}, {"$ref": "#/$defs/reference"}]},
        },
    }


def _mapping_definitions() -> dict:
    """[mappings.OBJECT]: the shapes, operators with their arity and flow types; expressions are
    checked by `compile` (a JSON Schema cannot parse them)."""
    from ..catalog.operators import BINARY, OPERATORS
    from ..schema.overlay import FLOW_TYPES

    def operators(arity: str) -> dict:
        words = [name for name, kind in OPERATORS.items() if kind == arity]
        return {"type": "string", "pattern": "^(" + "|".join(_any_case(name, "[_ ]+") for name in words) + ")$"}

    expression = {
        "type": "string",
        "minLength": 1,
        "description": 'An expression: [attribute], "string", Function(...)',
    }
    flow = {
        "type": "string",
        "pattern": "^(" + "|".join(_any_case(name, "") for name in FLOW_TYPES) + ")$",
        "description": "flowType: " + ", ".join(FLOW_TYPES),
    }
    matching = {"type": "integer", "minimum": 0, "description": "matchingPriority: 0 (not matching) or more"}
    default = {"type": "string", "description": "defaultValue: used when the source is empty (or alone: a constant)"}
    table = {
        "type": "object",
        "properties": {
            "source": expression,
            "expression": expression,
            "flow": flow,
            "flowType": flow,
            "matching": matching,
            "matchingPriority": matching,
            "default": default,
            "defaultValue": default,
        },
        "additionalProperties": False,
        "minProperties": 1,
        "dependentSchemas": {
            friendly: {"not": {"required": [graph]}}
            for friendly, graph in (
                ("source", "expression"),
                ("flow", "flowType"),
                ("matching", "matchingPriority"),
                ("default", "defaultValue"),
            )
        },
    }
    value = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    clause = {
        "description": "[attribute, operator] or [attribute, operator, value or [values]]",
        "anyOf": [
            {"type": "array", "prefixItems": [{"type": "string"}, operators("Unary")], "minItems": 2, "maxItems": 2},
            {
                "type": "array",
                "prefixItems": [{"type": "string"}, operators(BINARY), value],
                "minItems": 3,
                "maxItems": 3,
            },
        ],
    }
    return {
        "mappings": {
            "type": "object",
            "description": "[mappings.OBJECT]: changes to the job template's default attribute mappings and scoping "
            "filter, by target object (User, Group, or source>target).",
            "additionalProperties": {"$ref": "#/$defs/objectMapping"},
        },
        "objectMapping": {
            "type": "object",
            "description": "One object mapping: enabled, scope, and one entry per target attribute.",
            "properties": {
                "enabled": {"type": "boolean", "description": "Whether the object mapping provisions."},
                "scope": {
                    "type": "array",
                    "description": "The scoping filter: groups ORed, the clauses of a group ANDed; [] = no filter.",
                    "items": {"type": "array", "minItems": 1, "items": clause},
                },
            },
            "additionalProperties": {
                "description": "A target attribute: an expression, a table {source, flow, matching, default}, "
                "or false to remove the template's mapping.",
                "anyOf": [expression, {"const": False}, table],
            },
        },
    }


def _any_case(name: str, separator: str) -> str:
    """A pattern for `name` in any case, with `separator` between its words (or an optional `_`
    or `-` where `separator` is empty, as flow types may be written)."""
    out = []
    for char in name:
        if char in "_ ":
            out.append(separator)
        elif char.isalpha():
            out.append(f"[{char.upper()}{char.lower()}]" + ("" if separator else "[_-]?"))
        else:
            out.append(char)
    return "".join(out)


def _anchored(pattern: str) -> str:
    """A Python `...\\Z` pattern as the `^...$` that JSON Schema uses."""
    return "^" + pattern.removesuffix("\\Z") + "$"

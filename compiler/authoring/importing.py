"""Turning a secrets body that already exists (a PUT body, a GET response, a validateCredentials
body) into a friendly profile.

No secret is ever carried over: every sensitive value, and every `"*"` a GET masked, becomes an
env reference `<NAME>_<KEY>`, and the person importing is told which variables to set. The
profile is compiled in memory before it is returned, so what is written is known to compile to
the canonical form of the input (secrets aside).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from ..body.mapper import OutPair, map_layer
from ..catalog.keys import BY_GRAPH, KEYS, NOTIFICATION_KEY, NULL_MEMBER, Key, Kind, lookup_loosely
from ..catalog.templates import templates
from ..graph.endpoints import MASK as GRAPH_MASK
from ..problems import InvalidValue, Problem, UserError
from ..profile import notifications
from ..profile.kinds import KINDS
from ..profile.layers import read_file_profile
from ..profile.references import placeholder_label, reference_table, variable_name
from ..profile.secrets import holds_secret
from ..profile.source import MAX_FILE_BYTES, Document
from ..profile.values import UNFIT_NUMBER, compact_json, json_object, reject_constant
from . import tomlwrite

_CONTEXT_PRINCIPAL = re.compile(r'"@odata\.context"\s*:\s*"[^"]*servicePrincipals\(\'?([0-9a-fA-F-]{36})\'?\)')
SHAPES = 'a PUT or GET body {"value": [...]}, or a validateCredentials body {"credentials": [...]}'


@dataclass
class Imported:
    text: str
    variables: list[tuple[str, str]] = field(default_factory=list)  # (environment variable, Graph key)
    warnings: list[str] = field(default_factory=list)
    pairs: list[OutPair] = field(default_factory=list)  # what the profile compiles to


def service_principal(data: bytes) -> str | None:
    """The service principal a GET response names in its @odata.context, if it does."""
    found = _CONTEXT_PRINCIPAL.search(data.decode("utf-8", "replace"))
    return found.group(1).lower() if found else None


def read_pairs(data: bytes, source: str) -> list[tuple[str, str]]:
    """The (key, value) pairs of a body; UserError saying what is wrong (never quoting a value)."""
    if len(data) > MAX_FILE_BYTES:
        raise UserError.single(source, "is larger than 1 MiB: a secrets body is a few kilobytes")
    try:
        body = json.loads(data, parse_constant=reject_constant)
    except UnicodeDecodeError:
        raise UserError.single(source, "is not UTF-8 text") from None
    except RecursionError:
        raise UserError.single(source, "is nested too deeply to be a secrets body") from None
    except json.JSONDecodeError as error:
        raise UserError(
            [Problem(source, f"is not JSON ({error.msg}): give {SHAPES}", None, error.lineno, error.colno)]
        ) from None
    except ValueError:  # NaN or Infinity, or an integer over 4,300 digits (int() refuses it)
        raise UserError.single(source, UNFIT_NUMBER) from None
    items = body
    if isinstance(body, dict):
        items = body.get("value", body.get("credentials"))
    if not isinstance(items, list):
        raise UserError.single(source, f"holds no list of pairs: give {SHAPES}")
    pairs, seen = [], set()
    for number, item in enumerate(items, start=1):
        if not (isinstance(item, dict) and isinstance(item.get("key"), str) and "value" in item):
            raise UserError.single(source, f"pair {number} is not an object with a key and a value")
        key, value = item["key"], item["value"]
        if not isinstance(value, str):
            raise UserError.single(source, f"pair {number} ({key}): the value must be a string, as Graph sends it")
        if key in seen:
            raise UserError.single(source, f"pair {number}: {key} appears twice: keep one")
        seen.add(key)
        pairs.append((key, value))
    return pairs


def build_profile(
    pairs: list[tuple[str, str]],
    name: str,
    source: str,
    principal: str | None = None,
    tenant: str | None = None,
    from_tenant: bool = False,
    job: tuple[str, str] | None = None,
    mappings: dict | None = None,
) -> Imported:
    """`from_tenant`: the pairs come from a GET, not from a file syncsecrets wrote. A tenant never
    holds a placeholder (apply refuses to send one), so a value that looks like one is not taken
    as the reference it names (whoever can write the tenant would pick the variable, or the
    file, whose secret the next apply sends): it is imported like any hidden value."""
    imported = Imported("")
    top: dict[Key, object] = {}
    raw: dict[str, object] = {}
    table: dict[str, object] | None = None
    comments: dict[Key, str] = {}
    spelled: dict[str, str] = {}  # friendly name -> the key as the body spells it, for messages
    for key_name, value in pairs:
        key = BY_GRAPH.get(key_name) or lookup_loosely(key_name)
        if key:
            spelled[key.friendly] = key_name
        where = f"{source}: {key_name}"
        label = placeholder_label(value)
        # A value holding a secret the run knows (the access token pasted into UserName) is no
        # literal to write into version control: it becomes a reference, like a masked one.
        hidden = value == GRAPH_MASK or (from_tenant and label is not None) or holds_secret(value)
        if key_name == NULL_MEMBER or value == "":
            imported.warnings.append(f"{key_name}: left out ({'not a settable key' if value else 'empty'})")
        elif label and not from_tenant:  # an unrevealed output of syncsecrets: the reference it names comes back
            scheme, _, reference = label.partition(":")
            (top if key else raw)[key or key_name] = reference_table(label)
            if scheme == "env":
                imported.variables.append((reference, key.graph if key else key_name))
        elif hidden or (key is not None and key.is_secret(value)):
            variable = variable_name(name, key.friendly if key else key_name)
            imported.variables.append((variable, key.graph if key else key_name))
            (top if key else raw)[key or key_name] = {"env": variable}
        elif key is None:
            raw[key_name] = value
        elif key is NOTIFICATION_KEY:
            table = _notifications(value, where, imported)
            if table is None:
                top[key] = value  # fields the friendly table cannot hold: keep the JSON string form
        else:
            top[key] = _value(key, value, where, imported)
            if isinstance(top[key], str) and key.kind is Kind.TIMESTAMP:
                comments[key] = "a string: a TOML date-time holds six digits of fractions of a second"
    imported.warnings += [f"{key_name}: not in syncsecrets' catalog: kept in [raw]" for key_name in raw]
    imported.text = _text(name, source, top, table, raw, imported, principal, comments, tenant, job)
    if mappings:  # the job's schema against its template's: plan finds it in sync
        imported.text += "\n" + mapping_sections(mappings)
    imported.pairs = _compile(imported.text, name, source, spelled)
    return imported


def _value(key: Key, value: str, where: str, imported: Imported) -> object:
    try:
        return KINDS[key.kind].to_toml(key, value, imported.warnings.append)
    except InvalidValue as error:
        raise UserError.single(where, str(error)) from None


def _notifications(value: str, where: str, imported: Imported) -> dict[str, object] | None:
    """The friendly [notifications] table, or None when only the JSON string can say it all."""
    try:
        fields, unknown = notifications.read_json(value)
    except InvalidValue as error:
        raise UserError.single(where, str(error)) from None
    if fields.get("Recipients") != json_object(value).get("Recipients"):  # said, never silent
        imported.warnings.append(f"{NOTIFICATION_KEY.graph}: spaces around the addresses in Recipients are dropped")
    if unknown or not fields:
        return None  # "{}" too: kept as the string, which compiles to "{}" again
    table: dict[str, object] = {}
    recipients = fields.get("Recipients")
    if recipients is not None:
        table["recipients"] = _recipients(recipients)
    if "Enabled" in fields and fields["Enabled"] != bool(recipients):
        table["enabled"] = fields["Enabled"]  # only when it differs from the default
    enabled, threshold = fields.get("DeleteThresholdEnabled"), fields.get("DeleteThresholdValue")
    if enabled is True and threshold is not None:
        table[notifications.DELETE_THRESHOLD] = threshold
    elif enabled is False and threshold is None:
        table[notifications.DELETE_THRESHOLD] = False
    else:  # an unusual combination: the Graph fields say it exactly
        table.update(
            {
                name: item
                for name, item in (("DeleteThresholdEnabled", enabled), ("DeleteThresholdValue", threshold))
                if item is not None
            }
        )
    if "HumanResourcesLookaheadQueryEnabled" in fields:
        table["hr_lookahead_query"] = fields["HumanResourcesLookaheadQueryEnabled"]
    return table


def _recipients(value: str) -> str | list[str]:
    """The friendly form of Recipients that compiles back to exactly `value`: a list joins with
    `;`, so addresses separated by `,` stay one string, which keeps its separator."""
    if value == notifications.NO_RECIPIENTS:
        return []
    addresses = value.split(";")
    return addresses if len(addresses) > 1 else value


def mapping_sections(mappings: dict) -> str:
    """`[mappings.OBJECT]` tables for an overlay (schema/overlay.derive's), one per object mapping."""
    blocks = ["# What the job's attribute mappings and scoping filters change in its template's defaults."]
    for label, settings in mappings.items():
        blocks.append("\n".join(tomlwrite.section(f"mappings.{tomlwrite.key(label)}", settings)))
    return "\n\n".join(blocks) + "\n"


def _text(
    name, source, top, table, raw, imported: Imported, principal: str | None, comments, tenant=None, job=None
) -> str:
    header = [f"# {name}: imported from {os.path.basename(source)} by `syncsecrets import`."]
    if imported.variables:
        header.append("# Secrets were not imported: `syncsecrets plan`, `apply` and `compile --reveal` read them from:")
        header += [f"#   {variable}  ({graph})" for variable, graph in imported.variables]
    blocks = [header, [tomlwrite.line(key.friendly, top[key], comments.get(key)) for key in KEYS if key in top]]
    if table is not None:
        blocks.append(tomlwrite.section("notifications", table))
    if raw:
        blocks.append(["# Keys syncsecrets does not know, passed through as they are.", *tomlwrite.section("raw", raw)])
    application = ["[application]", tomlwrite.line("display_name", name)]
    if principal:
        application.append(tomlwrite.line("service_principal_id", principal))
    if tenant:
        application.append(tomlwrite.line("tenant_id", tenant))
    guess = _guess_template(top)
    if guess:
        application.append(f'# template = "{guess}"  # guessed from the keys: uncomment to have compile check them')
    blocks.append(application)
    if job is not None:  # (template_id, state): the service principal's only job, as it is
        blocks.append(["[job]", tomlwrite.line("template_id", job[0]), tomlwrite.line("state", job[1])])
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def _guess_template(top: dict[Key, object]) -> str | None:
    # As on the wire: a table (Domain = { domain = ... }) as its compact JSON.
    present = {key.graph: compact_json(value) if isinstance(value, dict) else value for key, value in top.items()}
    fitting = [
        template
        for template in templates().values()
        if all(key.graph in present for key in template.required)
        and all(present.get(graph) == wanted for graph, wanted in template.values.items())
        and all(
            isinstance(present.get(graph), str) and pattern.match(present[graph])
            for graph, pattern in template.patterns.items()
        )
    ]
    # A matched pattern is the strongest evidence (Domain as JSON is Cloud Sync's, a localhost
    # ecma2host URL the ECMA host's); then the kind that explains more keys.
    return max(fitting, key=lambda template: (len(template.patterns), len(template.required))).name if fitting else None


def _compile(text: str, name: str, source: str, spelled: dict[str, str]) -> list[OutPair]:
    """The profile compiled in memory; UserError if the input holds something compile refuses."""
    import tomllib

    document = Document(f"{name}.toml", f"{name}.toml", tomllib.loads(text), text)
    profile, problems = read_file_profile(document)
    pairs, mapped = map_layer(profile.layer(None), reveal=False, environ={})
    errors = [problem for problem in problems + mapped if not problem.warning]
    if errors:
        named = [Problem(source, f"{_as_in_body(problem.key, spelled)}: {problem.message}") for problem in errors]
        raise UserError(named)
    return pairs


def _as_in_body(keypath: str | None, spelled: dict[str, str]) -> str:
    """A key of the generated profile, named as the body spells it (BaseAddress, not base_address)."""
    head, _, rest = (keypath or "").partition(".")
    if head == "raw":
        return rest
    if head == "notifications":
        head = NOTIFICATION_KEY.friendly
    return spelled.get(head) or keypath or ""

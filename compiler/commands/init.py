"""`syncsecrets init NAME --template KIND`: a new profile with the keys that kind needs.

Values a person must fill in are `REPLACE ME: <what goes here>`, which `compile` refuses until
they are replaced; secrets are env references named `<NAME>_<KEY>`.
"""

from __future__ import annotations

import os

from .. import exits
from ..authoring import tomlwrite
from ..catalog.keys import BY_GRAPH, Key, Kind
from ..catalog.templates import Template, find_template, templates
from ..problems import InvalidValue, UserError
from ..profile.names import PLAIN_NAME
from ..profile.notifications import DELETE_THRESHOLD
from ..profile.references import variable_name
from ..profile.values import PLACEHOLDER_MARK
from ..reports.terminal import PLAIN
from ..run.outputs import replace_file


def init_profile(name: str, template_name: str | None, configs: str) -> int:
    template = template_named(template_name)
    check_profile_name(name)
    path = os.path.join(configs, f"{name}.toml")
    text, variables = profile_text(name, template)
    replace_file(path, text.encode("utf-8"), exclusive=True, exists="exists already: edit it, or choose another name")
    PLAIN.out(f"Wrote {path} (template {template.name}).")
    PLAIN.out(f"Replace each {PLACEHOLDER_MARK} value, then compile with `syncsecrets compile`.")
    if variables:
        PLAIN.out("Before `syncsecrets plan`, `apply` or `compile --reveal`, set: " + ", ".join(variables))
    return exits.OK


def check_profile_name(name: str) -> None:
    if not PLAIN_NAME.match(name) or name.endswith(".toml"):
        raise UserError.single(
            name,
            "is not a profile name: use letters, digits, '.', '-' and '_', not starting "
            "with '_' (that makes a partial), without .toml",
        )


def template_named(name: str | None) -> Template:
    if name is None:  # typer would only say "Missing option": list the kinds to choose from
        width = max(map(len, templates()))
        kinds = tuple(f"  {kind:<{width}}  {template.description}" for kind, template in templates().items())
        raise UserError.single("--template", "give the kind of application, one of:", details=kinds)
    try:
        return find_template(name)
    except InvalidValue as error:
        raise UserError.single("--template", str(error)) from None


def profile_text(name: str, template: Template) -> tuple[str, list[str]]:
    """The new profile and the environment variables its references name."""
    pairs = {key.friendly: _value(name, key, template) for key in (*template.required, *template.recommended)}
    variables = [value["env"] for value in pairs.values() if isinstance(value, dict) and "env" in value]
    lines = [
        f"# {name}: {template.description}.",
        f"# Written by `syncsecrets init --template {template.name}`. Replace each {PLACEHOLDER_MARK} value.",
    ]
    if variables:
        lines.append(
            "# `syncsecrets plan`, `apply` and `compile --reveal` read the secrets from: " + ", ".join(variables)
        )
    lines += ["", *(tomlwrite.line(friendly, value) for friendly, value in pairs.items())]
    lines.append(tomlwrite.line("sync_all", False, "only users and groups assigned to the app"))
    lines += [
        "",
        *tomlwrite.section(
            "notifications",
            {
                "recipients": f"{PLACEHOLDER_MARK}: who gets quarantine and failure emails",
                DELETE_THRESHOLD: 500,
            },
        ),
        "",
        *tomlwrite.section(
            "application",
            {
                "display_name": name,
                "service_principal_id": f"{PLACEHOLDER_MARK}: the object id of the app's service principal",
                "template": template.name,
            },
        ),
    ]
    if template.keep:  # stored by the provisioning service: `apply` must neither send nor clear them
        lines.append(tomlwrite.line("keep", [key.friendly for key in template.keep], "set on the tenant by Authorize"))
    return "\n".join(lines) + "\n", variables


def _value(name: str, key: Key, template: Template) -> object:
    if key.graph in template.examples:
        return template.examples[key.graph]
    if key.graph in template.values:
        return template.values[key.graph]
    if key.kind is Kind.SECRET:
        return {"env": variable_name(name, key.friendly)}
    hint = template.hints.get(key.graph) or BY_GRAPH[key.graph].description.rstrip(".")
    return f"{PLACEHOLDER_MARK}: {hint}"

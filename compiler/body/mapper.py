"""A merged layer mapped to the ordered pairs of the PUT body.

Pairs come in the order of Graph's enumeration (the catalog's order), then `[raw]` pairs
sorted by key. References become placeholders, or under `--reveal` their values, checked for
the key's kind like a literal would be.
"""

from __future__ import annotations

from typing import NamedTuple

from ..catalog.keys import BY_GRAPH, NOTIFICATION_KEY, POSITION, Key, Kind
from ..catalog.templates import check, templates
from ..problems import InvalidValue, Problem, Refused
from ..profile import notifications
from ..profile.kinds import convert_text
from ..profile.layers import Layer, Located
from ..profile.references import Reference, prefetch, resolve

NOTIFICATION = NOTIFICATION_KEY.graph


class OutPair(NamedTuple):
    key: str
    value: str
    # The reference the value came from ("env:NAME"): such values are masked in every diff.
    label: str | None = None


def map_checked(layer: Layer, reveal: bool, environ, problems: list[Problem]):
    """A merged profile mapped as compile and the remote commands map it: its pairs, or None when
    mapping found an error (what it found is added to `problems`)."""
    pairs, mapped = map_layer(layer, reveal, environ)
    problems += mapped
    if any(not problem.warning for problem in mapped):
        return None
    return pairs


def map_layer(layer: Layer, reveal: bool, environ) -> tuple[list[OutPair], list[Problem]]:
    problems: list[Problem] = []
    pairs: list[OutPair] = []
    present = list(layer.pairs)
    from_fields = layer.notifications is not None and NOTIFICATION not in layer.pairs
    if from_fields:
        present.append(NOTIFICATION)
    present.sort(key=POSITION.__getitem__)
    if reveal:  # Key Vault secrets are read together, not one round trip after another
        prefetch(layer.references())
    for graph in present:
        if graph == NOTIFICATION and from_fields:
            fields = {name: field.value for name, field in layer.notifications.items()}
            pairs.append(OutPair(graph, notifications.to_json(fields)))
            continue
        pair = _pair(graph, BY_GRAPH[graph], layer.pairs[graph], reveal, environ, problems)
        if pair:
            pairs.append(pair)
    for name in sorted(layer.raw):
        pair = _pair(name, None, layer.raw[name], reveal, environ, problems)
        if pair:
            pairs.append(pair)
    kept = layer.application.get("keep")
    if kept is not None:
        _check_keep(kept, present, problems)
    if layer.job:  # the merged [job], checked whole (template_id may come from another file)
        from ..profile.job import job_spec

        problems += job_spec(layer.job)[1]
    template = layer.application.get("template")
    if template is not None and not problems:  # a key whose reference failed is set all the same
        _check_template(template, pairs, problems)
    return pairs, problems


def _pair(graph: str, key: Key | None, entry: Located, reveal: bool, environ, problems: list) -> OutPair | None:
    value = entry.value
    if not isinstance(value, Reference):
        return OutPair(graph, value)
    if not reveal:
        return OutPair(graph, value.placeholder, value.label)
    try:
        text = resolve(value, environ, key is None or key.sensitive or key.kind is Kind.SECRET)
    except InvalidValue as error:
        problems.append(entry.problem(str(error)))
        return None
    except Refused as error:  # a Key Vault secret the vault would not serve: exit 4, at the reference
        problems.append(entry.problem(str(error))._replace(refused=True))
        return None
    try:
        text = convert_text(key, text) if key else text
    except InvalidValue as error:
        problems.append(entry.problem(f"the value of {value.label} {error}"))
        return None
    return OutPair(graph, text, value.label)


def _check_keep(kept: Located, present: list[str], problems: list) -> None:
    """A kept key is left to whatever else sets it on the tenant: the profile cannot also set it."""
    for graph in kept.value:
        if graph in present:
            problems.append(
                kept.problem(
                    f"{BY_GRAPH[graph].friendly} is both in keep and set by the profile: remove it from one of them"
                )
            )


def _check_template(entry: Located, pairs: list[OutPair], problems: list) -> None:
    template = templates()[entry.value]
    values = {pair.key: pair.value for pair in pairs if pair.key in BY_GRAPH}
    masked = {pair.key for pair in pairs if pair.label}
    errors, warnings = check(template, values, masked)
    problems.extend(entry.problem(message) for message in errors)
    problems.extend(entry.problem(message, warning=True) for message in warnings)

"""SyncNotificationSettings: the `[notifications]` table and the raw JSON string form.

Both forms become the same thing, a mapping of Graph field name to a JSON value, so that files
can be merged field by field; `render` then decides the `Enabled` default and writes the
canonical JSON. Unknown fields are refused in the friendly table (a typo is likelier than a new
field) but kept, with a warning, in the raw JSON string, where a user pastes what Graph returned.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from ..catalog.keys import NOTIFICATION_BY_GRAPH, NOTIFICATION_FIELDS, notification_field_order
from ..problems import InvalidValue
from .values import check_email, compact_json, json_object

DELETE_THRESHOLD = "delete_threshold"  # friendly: sets both threshold fields at once
DELETE_THRESHOLD_DESCRIPTION = (
    "Deletions in one cycle that stop it (a positive integer, portal default 500), or false to turn the check off."
)
# A field a later file removes (delete_threshold = false drops an inherited DeleteThresholdValue).
CLEARED = object()

FRIENDLY_TO_GRAPH = {field.friendly: field.graph for field in NOTIFICATION_FIELDS if field.friendly}
TABLE_FIELDS = (*FRIENDLY_TO_GRAPH, DELETE_THRESHOLD, *NOTIFICATION_BY_GRAPH)


def read_field(name: str, value: object) -> dict[str, object]:
    """The Graph fields one `[notifications]` entry sets; InvalidValue if the value is wrong.

    `name` is a known field (friendly or Graph spelling); unknown names are the caller's business.
    """
    if name == DELETE_THRESHOLD:
        if value is False:
            return {"DeleteThresholdEnabled": False, "DeleteThresholdValue": CLEARED}
        if value is True:
            raise InvalidValue("give the number of deletions that stops a cycle (e.g. 500), or false")
        return {"DeleteThresholdEnabled": True, "DeleteThresholdValue": _threshold(value)}
    graph = FRIENDLY_TO_GRAPH.get(name, name)
    return {graph: check_field(graph, value, friendly=name != graph)}


def check_field(graph: str, value: object, friendly: bool = False) -> object:
    """`value` checked for the Graph field `graph`, as it will appear in the JSON."""
    if graph == "Recipients":
        return recipients(value, allow_list=friendly)
    if graph == "DeleteThresholdValue":
        return _threshold(value)
    if not isinstance(value, bool):
        raise InvalidValue("expected true or false")
    return value


# Separators of several addresses in Recipients: Graph's is unverified (the portal takes one
# address), and tenants hold both, so a string keeps the one it uses.
SEPARATORS = (";", ",")
NO_RECIPIENTS = ""  # a tenant may hold Recipients "" (no address) with other fields set


def recipients(value: object, allow_list: bool) -> str:
    """The Recipients string: a list is joined with `;`, a string keeps its own separator."""
    if isinstance(value, list) and allow_list:
        if not all(isinstance(item, str) for item in value):
            raise InvalidValue("expected email addresses as strings")
        return ";".join(check_email(address) for address in value)  # [] means no address
    if not isinstance(value, str):
        raise InvalidValue("expected an email address or a list of them")
    if value == NO_RECIPIENTS:
        if allow_list:
            raise InvalidValue("is empty: write recipients = [] for no address, or leave recipients out")
        return value
    used = [separator for separator in SEPARATORS if separator in value]
    if len(used) > 1:
        raise InvalidValue("mixes ';' and ',' between addresses: separate them with one of the two")
    separator = used[0] if used else SEPARATORS[0]
    return separator.join(check_email(address.strip()) for address in value.split(separator))


def _threshold(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue("must be a positive integer (the portal's default is 500)")
    return value


def read_json(text: str) -> tuple[dict[str, object], list[str]]:
    """Fields of a raw SyncNotificationSettings string, and the unknown field names in it."""
    fields = json_object(text)
    checked, unknown = {}, []
    for name, value in fields.items():
        if name in NOTIFICATION_BY_GRAPH:
            try:
                checked[name] = check_field(name, value)
            except InvalidValue as error:
                raise InvalidValue(f"field {name} {error}") from None
        else:
            unknown.append(name)
            checked[name] = value
    return checked, unknown


EMPTY_OBJECT = "{}"


def canonical_json(text: str) -> str:
    """A raw SyncNotificationSettings string in canonical form. An object with no field at all
    stays `{}` (what users PUT because Graph refuses `""`): no default is added to it."""
    fields, _unknown = read_json(text)
    return to_json(fields) if fields else EMPTY_OBJECT


def to_json(fields: dict[str, object]) -> str:
    """The canonical JSON string: known fields in Graph's order, then unknown ones sorted (with
    their own objects' keys sorted), compact."""
    present = {name: value for name, value in fields.items() if value is not CLEARED}
    if "Enabled" not in present:
        present["Enabled"] = bool(present.get("Recipients"))
    members = (f"{encode_basestring(name)}:{compact_json(present[name])}" for name in notification_field_order(present))
    return "{" + ",".join(members) + "}"

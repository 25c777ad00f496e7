"""What changes between the previous output and the new one, with secrets masked on both sides.

Masking rule: a value is shown only when it is known to be no secret. The new side knows where
each value came from (a reference is masked). The old side is a file on disk that cannot say
so; its value is masked when the key is sensitive, when it is a placeholder, when the new value
of the key is masked, when it holds a secret the run knows (profile/secrets.py), or when the
old file holds revealed values (any of them may have come from a reference). That is read from the file's content: a real value where the profile has a
reference or the catalog a secret; never from its mode, which `cp` or a CI artifact loses.
A change of a masked value is still a change: `*** (env:A) -> *** (env:B)`, or
`*** (env:A) -> *** (env:A, changed)`.
"""

from __future__ import annotations

import json
import posixpath
from typing import NamedTuple
from urllib.parse import urlsplit

from ..catalog.keys import BY_GRAPH, NOTIFICATION_KEY, POSITION, notification_field_order
from ..escape import printable
from ..profile.kinds import KINDS
from ..profile.references import MASK, placeholder_label
from ..profile.secrets import holds_secret
from .mapper import OutPair
from .render import render


class Row(NamedTuple):
    """One key of the old and new outputs, as it may be shown. None: the key is absent."""

    key: str
    old: str | None
    new: str | None
    old_masked: bool = False
    new_masked: bool = False

    @property
    def action(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "unchanged" if self.old == self.new else "changed"


class Change(NamedTuple):
    """One thing a run does, or would do, to one key, as every report shows it: compile's
    added, removed or changed; a remote command's add, change, same, masked, clear or keep
    (graph/classify.py); any key alike (a pair, a job, a mapping)."""

    key: str  # a Graph key, or a SyncNotificationSettings field under `fields`
    action: str
    old: str | object | None  # display value (a JSON value for notification fields); None: absent
    new: str | object | None
    old_masked: bool = False
    new_masked: bool = False
    fields: tuple[Change, ...] = ()  # SyncNotificationSettings, field by field, when shown
    flags: tuple[str, ...] = ()  # what else a report says of it, word by word


def mask(label: str | None, changed: bool = False) -> str:
    notes = [note for note in (label, "changed" if changed else None) if note]
    return f"{MASK} ({', '.join(notes)})" if notes else MASK


def compare(old: list[tuple[str, str]], new: list[OutPair], revealed: bool | None = None) -> list[Row]:
    """Every key of either side, in canonical order; `revealed`: whether the old side holds
    revealed values (None: decided from its content; a tenant's values are known not to)."""
    old_values = dict(old)
    new_pairs = {pair.key: pair for pair in new}
    if revealed is None:
        revealed = holds_revealed(old, new)
    keys = sorted(old_values.keys() | new_pairs.keys(), key=lambda key: (POSITION.get(key, len(POSITION) + 1), key))
    return [_row(key, old_values.get(key), new_pairs.get(key), revealed) for key in keys]


def holds_revealed(old: list[tuple[str, str]], new: list[OutPair]) -> bool:
    """Whether the previous output holds revealed values: a real value (not a placeholder) for a
    key whose new value comes from a reference, or for a secret key (which only a reference sets)."""
    labels = {pair.key: pair.label for pair in new}
    return any(
        placeholder_label(value) is None and (labels.get(key) is not None or _is_secret(key, value))
        for key, value in old
    )


def _row(key: str, old: str | None, new: OutPair | None, revealed: bool) -> Row:
    # A value that holds a secret the run resolved is masked whatever key carries it (a token
    # pasted into UserName on the tenant, a literal equal to a referenced secret).
    new_masked = new is not None and (new.label is not None or holds_secret(new.value))
    if new is not None and old == new.value:
        shown = mask(new.label) if new_masked else new.value
        return Row(key, shown, shown, new_masked, new_masked)
    old_label = placeholder_label(old) if old is not None else None
    old_masked = old is not None and (
        new_masked or revealed or old_label is not None or _is_secret(key, old) or holds_secret(old)
    )
    old_shown = None if old is None else mask(old_label) if old_masked else old
    new_shown = None if new is None else mask(new.label) if new_masked else new.value
    if old_masked and new_masked and old_shown == new_shown:
        new_shown = mask(new.label, changed=True)
    return Row(key, old_shown, new_shown, old_masked, new_masked)


def _is_secret(key: str, value: str) -> bool:
    known = BY_GRAPH.get(key)
    return known is not None and known.is_secret(value)


def changes(rows: list[Row]) -> list[Change]:
    """The semantic diff: keys added, removed and changed; JSON values field by field."""
    result = []
    for row in rows:
        action = row.action
        if action == "unchanged":
            continue
        fields = field_changes(row.key, row.old, row.new) if not (row.old_masked or row.new_masked) else ()
        result.append(Change(row.key, action, row.old, row.new, row.old_masked, row.new_masked, fields))
    return result


def field_changes(key: str, old: str | None, new: str | None) -> tuple[Change, ...]:
    """A JSON-valued key (SyncNotificationSettings, a table for Domain or AppKey) added, or
    changed from one JSON object to another, field by field; () for any other value. The one
    rule of compile's diff and the remote reports; `old`, `new`: unmasked values (None: absent)."""
    if new is None or not _holds_json(key, new) or (old is not None and not _holds_json(key, old)):
        return ()
    try:
        before, after = json.loads(old) if old is not None else {}, json.loads(new)
    except (ValueError, RecursionError):
        return ()
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return ()
    names = notification_field_order(before.keys() | after.keys())
    found = []
    for name in names:
        if name not in before:
            found.append(Change(name, "added", None, after[name]))
        elif name not in after:
            found.append(Change(name, "removed", before[name], None))
        elif before[name] != after[name] or type(before[name]) is not type(after[name]):
            found.append(Change(name, "changed", before[name], after[name]))
    return tuple(found)


def _holds_json(key: str, value: str) -> bool:
    known = BY_GRAPH.get(key)
    return known is not None and KINDS[known.kind].is_json(value)


def removal_warnings(found: list[Change]) -> list[str]:
    """Warnings for keys the new body no longer holds: omitting a key may not clear it (Graph's
    PUT merges, by every public account), and a JSON-valued one cannot be cleared at all."""
    removed = [change for change in found if change.action == "removed"]
    warnings = []
    for json_valued in (False, True):
        keys = [change.key for change in removed if _is_json_valued(change) is json_valued]
        if not keys:
            continue
        verb, them = ("is", "it") if len(keys) == 1 else ("are", "them")
        fix = (
            f'on the tenant, and Graph refuses "" for a JSON value, so nothing clears {them}: set {them} '
            "explicitly instead (for notifications, [notifications] enabled = false)"
            if json_valued
            else f"on the tenant; `syncsecrets apply` clears {them}"
        )
        warnings.append(
            f"{', '.join(keys)} {verb} removed from the body: a PUT that omits a key may leave {them} {fix}"
        )
    return warnings


def _is_json_valued(change: Change) -> bool:
    return change.key == NOTIFICATION_KEY.graph or (
        not change.old_masked and isinstance(change.old, str) and change.old.startswith("{")
    )


def unified(rows: list[Row], name: str) -> str:
    """A unified diff of the canonical JSON of both sides, masked values replaced by their mask."""
    import difflib  # only needed in this mode

    old = _lines(render((row.key, row.old) for row in rows if row.old is not None))
    new = _lines(render((row.key, row.new) for row in rows if row.new is not None))
    if not [row for row in rows if row.old is not None]:
        old = []  # a new file: every line is added
    name = printable(name)  # a newline in it would end the header line early
    return "".join(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"))


def _lines(data: bytes) -> list[str]:
    # Split at "\n" only: splitlines() would also break a value at U+2028 or U+0085, which the
    # canonical JSON keeps raw, and the rest of the value would start a line of its own.
    return [line + "\n" for line in data.decode().split("\n")[:-1]]


def credential_warnings(
    old: list[tuple[str, str]], new: list[OutPair], revealed: bool | None = None, tenant: bool = False
) -> list[str]:
    """Warnings for a URL that receives credentials changing host, or appearing, while a secret
    may stay the same.

    A reviewer must see that an unchanged token is about to be sent somewhere new. Hosts are
    named only when neither side is masked (a URL from a reference stays hidden), in their
    ASCII form (`xn--...`), so that a lookalike in another script does not read as the old host.
    `revealed`: whether the old side holds revealed values (None: decided from its content).
    Against the `tenant` (plan), whose secrets read `*`, every secret the profile sends counts:
    it cannot be told whether it changed, and it will go to the new host.
    """
    old_values = dict(old)
    if tenant:  # every secret the profile sends, but the URLs themselves (even from references)
        kept = [pair.key for pair in new if _is_secret_pair(pair) and not _receives_credentials(pair.key)]
    else:
        kept = [pair.key for pair in new if _is_secret_pair(pair) and _may_keep(old_values.get(pair.key), pair)]
    if not kept:
        return []
    one = len(kept) == 1
    if tenant:  # a tenant's secret reads "*": whether it changes is unknown, but it will be sent
        secrets = ", ".join(kept) + (" is sent with it" if one else " are sent with it")
    else:
        secrets = ", ".join(kept) + (" keeps the same secret" if one else " keep the same secret")
    if revealed is None:
        revealed = holds_revealed(old, new)
    warnings = []
    for pair in new:
        key = BY_GRAPH.get(pair.key)
        old_value = old_values.get(pair.key)
        if key is None or not key.receives_credentials or old_value == pair.value:
            continue
        after = None if pair.label else _host(pair.value)
        if old_value is None:
            if old_values:  # a key where there was none (not a first body: everything is new there)
                where = "masked" if after is None else after
                warnings.append(
                    f"{pair.key} is new ({where}) while {secrets}: the credential will also be sent "
                    "there; make sure that is intended"
                )
            continue
        old_label = placeholder_label(old_value)
        before = None if old_label else _host(old_value)
        if before is not None and before == after:
            continue
        if after is None or old_label or revealed:
            warnings.append(
                f"{pair.key} (masked) now points at another host while {secrets}: "
                "check where the credential will be sent"
            )
        else:
            warnings.append(
                f"{pair.key} host changes from {before} to {after} while {secrets}: "
                f"the credential will be sent to {after}; make sure that is intended"
            )
    return warnings


def _may_keep(old: str | None, new: OutPair) -> bool:
    """Whether the secret `new` may be the one the previous output held. Known to differ only
    when both sides can be compared: two values, or two references (`tok.txt` and `./tok.txt`
    are one file); a real old value against a placeholder may be the same secret."""
    if old is None:
        return False
    old_label = placeholder_label(old)
    if old_label is not None and new.label is not None:
        return _normal_label(old_label) == _normal_label(new.label)
    if old_label is None and placeholder_label(new.value) is None:
        return old == new.value
    return old_label is None  # a revealed old value, a placeholder now: it cannot tell


def _normal_label(label: str) -> str:
    kind, _, name = label.partition(":")
    return f"{kind}:{posixpath.normpath(name)}" if kind == "file" else label


def _receives_credentials(key: str) -> bool:
    known = BY_GRAPH.get(key)
    return known is not None and known.receives_credentials


def _is_secret_pair(pair: OutPair) -> bool:
    return pair.label is not None or _is_secret(pair.key, pair.value)


def _host(value: str) -> str:
    """The host a URL (or a bare `host[:port]`, as Server holds) names, as DNS will see it."""
    try:
        host = urlsplit(value).hostname if "://" in value else value.split("/")[0].rsplit(":", 1)[0]
    except ValueError:
        host = None
    host = (host or value).lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")  # xn--: what a lookalike host really is
    except UnicodeError:
        return host.encode("ascii", "backslashreplace").decode("ascii")

"""One profile file read into layers: its base, and one layer per `[environments.NAME]`.

Values are checked and turned into wire strings here, file by file, so that each problem is
reported against the file and line that wrote it, a shared partial included. Layers are then
merged (`Layer.under`) in the order `loading.py` decides.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import NamedTuple

from ..catalog.keys import BY_FRIENDLY, BY_GRAPH, NOTIFICATION_KEY, Key, lookup, lookup_loosely
from ..catalog.suggest import did_you_mean
from ..catalog.templates import find_template
from ..problems import InvalidValue, Problem
from . import notifications
from .confine import OUTSIDE, Boundary
from .kinds import KINDS, convert_literal
from .names import ENVIRONMENT_NAME, ENVIRONMENT_RULE
from .references import Reference, is_reference_table, parse_reference
from .source import Document
from .values import TENANT_GUID, check_guid, check_label, fraction_digits, reject_placeholder

TABLES = ("notifications", "application", "job", "raw", "mappings", "environments")
TOP_ONLY = ("extends", "environments")
APPLICATION_FIELDS = ("display_name", "service_principal_id", "template", "tenant_id", "keep", "job_id")
RAW_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_SEE_KEYS = "`syncsecrets keys` lists them all"
# A TOML date-time literal with its fraction of a second, as written in the file.
_DATETIME_LITERAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+")


class Located(NamedTuple):
    """A value and where it was written, so that a later problem can point at it."""

    value: object  # a wire string, a Reference, a notification field's JSON value, or a path
    doc: Document
    keypath: tuple[str, ...]

    def problem(self, message: str, warning: bool = False) -> Problem:
        return self.doc.problem(self.keypath, message, warning)


class Layer:
    __slots__ = ("application", "job", "mappings", "notifications", "pairs", "raw")

    def __init__(self, pairs=None, raw=None, notifications=None, application=None, job=None, mappings=None):
        self.pairs: dict[str, Located] = pairs if pairs is not None else {}  # Graph key -> located value
        self.raw: dict[str, Located] = raw if raw is not None else {}  # raw key -> located value
        self.notifications: dict[str, Located] | None = notifications  # Graph field -> entry; None: not given
        self.application: dict[str, Located] = application if application is not None else {}
        self.job: dict[str, Located] = job if job is not None else {}  # [job] field -> located value
        self.mappings: dict = mappings if mappings is not None else {}  # mappings.Entries

    def references(self) -> list:
        """The references among its values (`references.Reference`), keys and raw keys alike."""
        from .references import Reference

        return [
            entry.value for entry in (*self.pairs.values(), *self.raw.values()) if isinstance(entry.value, Reference)
        ]

    def under(self, over: Layer) -> Layer:
        """This layer with `over` on top: key by key, notifications field by field."""
        pairs = {**self.pairs, **over.pairs}
        fields = self.notifications
        if NOTIFICATION_KEY.graph in over.pairs:
            fields = None  # a reference, or "{}", replaces the whole object: no field to merge
        elif over.notifications is not None:
            pairs.pop(NOTIFICATION_KEY.graph, None)
            fields = {**(self.notifications or {}), **over.notifications}
        application = {**self.application, **over.application}
        mappings = self.mappings
        if over.mappings:
            from .mappings import merge

            mappings = merge(self.mappings, over.mappings)
        return Layer(pairs, {**self.raw, **over.raw}, fields, application, {**self.job, **over.job}, mappings)


class FileProfile:
    __slots__ = ("base", "doc", "environments", "extends")

    def __init__(self, doc: Document, extends: list[Located], base: Layer, environments: dict[str, Layer]):
        self.doc = doc
        self.extends = extends  # Located values: (path to open, name to show)
        self.base = base
        self.environments = environments

    def layer(self, environment: str | None) -> Layer:
        """This file's own settings for `environment`: its environment table over its base."""
        over = self.environments.get(environment) if environment else None
        return self.base.under(over) if over else self.base


def read_file_profile(doc: Document, boundary: Boundary | None = None) -> tuple[FileProfile, list[Problem]]:
    """The file's layers and problems; `boundary`: where its file references may lead (None: anywhere)."""
    reader = _Reader(doc, boundary)
    profile = reader.file_profile()
    return profile, reader.problems


class _Reader:
    def __init__(self, doc: Document, boundary: Boundary | None):
        self.doc = doc
        self.boundary = boundary
        self.folder = os.path.dirname(doc.path)  # file references are relative to it
        self.problems: list[Problem] = []
        self.notification_forms: list[tuple[str, tuple[str, ...]]] = []

    def error(self, keypath: tuple[str, ...], message: str) -> None:
        self.problems.append(self.doc.problem(keypath, message))

    def warn(self, keypath: tuple[str, ...], message: str) -> None:
        self.problems.append(self.doc.problem(keypath, message, warning=True))

    # -- the file --------------------------------------------------------------------------
    def file_profile(self) -> FileProfile:
        data = self.doc.data
        extends = self.extends(data["extends"]) if "extends" in data else []
        environments = {}
        if "environments" in data:
            environments = self.environments(data["environments"])
        base = self.layer(data, ())
        forms = {form for form, _ in self.notification_forms}
        if len(forms) > 1:
            _form, keypath = self.notification_forms[-1]
            self.error(
                keypath,
                "SyncNotificationSettings is given both as [notifications] and as "
                "sync_notification_settings in this file: keep one form",
            )
        return FileProfile(self.doc, extends, base, environments)

    def extends(self, value: object) -> list[Located]:
        keypath = ("extends",)
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
            self.error(keypath, 'takes a path or a list of paths, e.g. extends = "_shared.toml"')
            return []
        shown_folder = os.path.dirname(self.doc.name)
        return [
            Located(
                (os.path.normpath(os.path.join(self.folder, item)), os.path.normpath(os.path.join(shown_folder, item))),
                self.doc,
                keypath,
            )
            for item in items
        ]

    def environments(self, value: object) -> dict[str, Layer]:
        if not isinstance(value, dict):
            self.error(("environments",), "must be a table of [environments.NAME] tables")
            return {}
        layers = {}
        for name, table in value.items():
            keypath = ("environments", name)
            if not ENVIRONMENT_NAME.match(name):
                self.error(keypath, ENVIRONMENT_RULE)
            elif not isinstance(table, dict):
                self.error(keypath, f"must be a table: [environments.{name}]")
            else:
                layers[name] = self.layer(table, keypath)
        return layers

    # -- one layer -------------------------------------------------------------------------
    def layer(self, table: dict, prefix: tuple[str, ...]) -> Layer:
        layer = Layer()
        top = not prefix
        spelled: dict[str, str] = {}  # Graph key -> the spelling this table used
        for name, value in table.items():
            keypath = (*prefix, name)
            if name in TOP_ONLY:
                if not top:
                    self.error(keypath, f"{name} belongs at the top of the file, not in an environment")
                continue
            if name in TABLES:
                if not isinstance(value, dict):
                    self.error(keypath, f"must be a table: [{name}]")
                else:
                    getattr(self, name)(layer, value, keypath)
                continue
            key = lookup(name)
            if key is None:
                self.unknown_key(keypath, name, value, tables=top)
            elif key.graph in spelled:
                self.error(keypath, f"{name} and {spelled[key.graph]} are the same key ({key.graph}): keep one")
            else:
                spelled[key.graph] = name
                self.pair(layer, key, value, keypath)
        return layer

    def pair(self, layer: Layer, key: Key, value: object, keypath: tuple[str, ...]) -> None:
        if key is NOTIFICATION_KEY and not is_reference_table(value):
            self.notification_string(layer, value, keypath)
            return
        if isinstance(value, datetime) and self.fraction_cut(keypath):
            self.error(
                keypath,
                "has more than six digits of fractions of a second, which a TOML date-time cannot "
                'hold: write it as a string in quotes to keep every digit, e.g. "2025-06-17T09:20:28.4706449Z"',
            )
            return
        try:
            if isinstance(value, dict) and (not KINDS[key.kind].takes_table or is_reference_table(value)):
                wire = self.reference(value)
            else:
                wire = convert_literal(key, value)
        except InvalidValue as error:
            self.error(keypath, str(error))
            return
        if key is NOTIFICATION_KEY:
            self.notification_forms.append(("reference", keypath))
        layer.pairs[key.graph] = Located(wire, self.doc, keypath)

    def reference(self, table: dict) -> Reference:
        """The reference `table` describes; a file must be inside the boundary, checked now, in
        every run, so that a pull request's check fails before a deploy job would read it."""
        reference = parse_reference(table, self.folder)
        path = os.path.join(reference.base_dir, reference.name)
        if reference.scheme == "file" and self.boundary is not None and not self.boundary.admits(path):
            raise InvalidValue(f"file {reference.name} {OUTSIDE}")
        return reference

    def fraction_cut(self, keypath: tuple[str, ...]) -> bool:
        """Whether the date-time written at `keypath` had digits tomllib dropped (it keeps six)."""
        position = self.doc.position(keypath)
        if position is None:
            return False
        line, column = position
        written = _DATETIME_LITERAL.search(self.doc.text.splitlines()[line - 1], column - 1)
        return written is not None and len(fraction_digits(written.group())) > 6

    def unknown_key(self, keypath: tuple[str, ...], name: str, value: object, tables: bool) -> None:
        if isinstance(value, dict) and not is_reference_table(value) and tables:
            hint = did_you_mean(name, TABLES, "[{}]")
            self.error(keypath, f"unknown table [{name}]{hint}; the tables are " + ", ".join(f"[{t}]" for t in TABLES))
            return
        spellings = BY_GRAPH if name[:1].isupper() else BY_FRIENDLY
        hint = did_you_mean(name, [*spellings, *(TABLES if tables else ())])
        self.error(keypath, f"unknown key{hint}; {_SEE_KEYS}, and [raw] passes a key newer than syncsecrets")

    # -- tables ----------------------------------------------------------------------------
    def notifications(self, layer: Layer, table: dict, keypath: tuple[str, ...]) -> None:
        self.notification_forms.append(("table", keypath))
        fields = layer.notifications if layer.notifications is not None else {}
        spelled: dict[str, str] = {}
        for name, value in table.items():
            field_path = (*keypath, name)
            if name not in notifications.TABLE_FIELDS:
                hint = did_you_mean(name, notifications.TABLE_FIELDS)
                self.error(
                    field_path,
                    f"unknown notifications field{hint}; the fields are " + ", ".join(notifications.TABLE_FIELDS[:4]),
                )
                continue
            try:
                found = notifications.read_field(name, value)
            except InvalidValue as error:
                self.error(field_path, str(error))
                continue
            clash = next((spelled[graph] for graph in found if graph in spelled), None)
            if clash:
                self.error(field_path, f"{name} and {clash} set the same field: keep one")
                continue
            for graph, field_value in found.items():
                spelled[graph] = name
                fields[graph] = Located(field_value, self.doc, field_path)
        layer.notifications = fields

    def notification_string(self, layer: Layer, value: object, keypath: tuple[str, ...]) -> None:
        if isinstance(value, dict):  # the table form, written inline
            self.notifications(layer, value, keypath)
            return
        self.notification_forms.append(("string", keypath))
        if not isinstance(value, str):
            self.error(keypath, "expected a JSON object as a string, or use the [notifications] table")
            return
        try:
            fields, unknown = notifications.read_json(value)
        except InvalidValue as error:
            self.error(keypath, str(error))
            return
        if unknown:
            self.warn(keypath, f"unknown fields {', '.join(unknown)} are passed through unchecked")
        if not fields:  # "{}" is sent as it is, like a reference: it has no field to merge
            layer.pairs[NOTIFICATION_KEY.graph] = Located(notifications.EMPTY_OBJECT, self.doc, keypath)
            return
        layer.notifications = {graph: Located(v, self.doc, keypath) for graph, v in fields.items()}

    def application(self, layer: Layer, table: dict, keypath: tuple[str, ...]) -> None:
        for name, value in table.items():
            field_path = (*keypath, name)
            if name not in APPLICATION_FIELDS:
                hint = did_you_mean(name, APPLICATION_FIELDS)
                self.error(
                    field_path, f"unknown application field{hint}; the fields are " + ", ".join(APPLICATION_FIELDS)
                )
                continue
            try:
                if name == "service_principal_id":
                    value = check_guid(value)
                elif name == "template":
                    value = find_template(value).name
                elif name == "tenant_id":
                    value = check_guid(value, TENANT_GUID)
                elif name == "keep":
                    value = check_keep(value)
                else:
                    value = check_label(value)
            except InvalidValue as error:
                self.error(field_path, str(error))
                continue
            layer.application[name] = Located(value, self.doc, field_path)

    def job(self, layer: Layer, table: dict, keypath: tuple[str, ...]) -> None:
        from .job import check_field as check_job_field  # only profiles with [job] pay for it

        for name, value in table.items():
            field_path = (*keypath, name)
            try:
                layer.job[name] = Located(check_job_field(name, value), self.doc, field_path)
            except InvalidValue as error:
                self.error(field_path, str(error))

    def mappings(self, layer: Layer, table: dict, keypath: tuple[str, ...]) -> None:
        from .mappings import read  # only for profiles that have mappings: compile's start-up

        entries, problems = read(self.doc, table, keypath)
        layer.mappings = entries
        self.problems.extend(problems)

    def raw(self, layer: Layer, table: dict, keypath: tuple[str, ...]) -> None:
        for name, value in table.items():
            raw_path = (*keypath, name)
            known = lookup(name) or lookup_loosely(name)
            if known:
                self.error(
                    raw_path,
                    f"{known.graph} is a known key: write it at the top level as "
                    f"{known.friendly} (or {known.graph}), not in [raw]",
                )
                continue
            if not RAW_NAME.match(name):
                self.error(raw_path, "is not a Graph key name: [raw] keys are letters and digits, like SomeNewKey")
                continue
            try:
                if isinstance(value, dict):
                    wire = self.reference(value)
                elif isinstance(value, str) and value:
                    reject_placeholder(value)
                    wire = value
                else:
                    raise InvalidValue(
                        "[raw] values are non-empty strings (the exact wire value, in quotes) or references"
                    )
            except InvalidValue as error:
                self.error(raw_path, str(error))
                continue
            layer.raw[name] = Located(wire, self.doc, raw_path)
            self.warn(
                raw_path, "not in syncsecrets' catalog: passed through unchecked (check the name in Microsoft's docs)"
            )


def check_keep(value: object) -> tuple[str, ...]:
    """`keep`: key names in either spelling, as Graph names (keys something else sets on the tenant)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InvalidValue('takes a list of key names, e.g. keep = ["oauth2_access_token", "oauth2_refresh_token"]')
    names = []
    for name in value:
        key = lookup(name)
        if key is None:
            hint = did_you_mean(name, [*BY_FRIENDLY, *BY_GRAPH], "{!r}")
            raise InvalidValue(f"names an unknown key{hint}; {_SEE_KEYS}")
        if key.graph in names:
            raise InvalidValue(f"names {key.graph} twice: list it once")
        names.append(key.graph)
    return tuple(names)

"""The `[job]` table (also `[environments.NAME.job]`): the synchronization job the application
should have, as code: which Graph template it runs and whether it runs.

Fields are checked file by file as they are read, so that a problem points at the line that
wrote it; the merged table (field by field, by the layering rule) is checked whole once, for the
field that may come from another file. No HTTP here: what the tenant has is the planner's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..catalog.suggest import did_you_mean
from ..problems import InvalidValue, Problem

JOB_FIELDS = ("template_id", "state")
STATES = ("active", "paused")
DEFAULT_STATE = "active"
# Graph's template ids (scim, Slack, aws, Azure2Azure, AD2AADProvisioning...) are one word: the
# job id is `<templateId>.<32 hex>.<guid>`, so a dot cannot be part of one.
TEMPLATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}\Z")


class JobSpec(NamedTuple):
    template_id: str
    state: str  # "active" or "paused"


def check_field(name: str, value: object) -> str:
    """The checked value of `[job] name`; InvalidValue says what to write instead."""
    if name not in JOB_FIELDS:
        raise InvalidValue(f"unknown job field{did_you_mean(name, JOB_FIELDS)}; the fields are {', '.join(JOB_FIELDS)}")
    if not isinstance(value, str):
        raise InvalidValue("expected a string (in quotes)")
    if name == "state":
        if value not in STATES:
            raise InvalidValue(f'must be "active" or "paused"{did_you_mean(value, STATES, "{!r}")}')
        return value
    if not TEMPLATE_ID.match(value):
        raise InvalidValue(
            'must be the id of a Graph synchronization template, one word such as "scim" '
            "(`syncsecrets status` and the portal show a job's template)"
        )
    return value


def job_spec(fields: dict) -> tuple[JobSpec | None, list[Problem]]:
    """The job a merged profile asks for (None: no `[job]`, the job is not managed). `fields`
    maps each field to its Located value (profile.layers)."""
    if not fields:
        return None, []
    if "template_id" not in fields:
        where = next(iter(fields.values()))
        return None, [
            where.problem('[job] needs template_id, the Graph template of the job, e.g. template_id = "scim"')
        ]
    state = fields["state"].value if "state" in fields else DEFAULT_STATE
    return JobSpec(fields["template_id"].value, state), []

"""A target's `[mappings.*]` against its job's synchronization schema: plan, PUT, read back.

Plan: the job (`[application] job_id`, or the only one), its template's default schema, and the
job's schema, all read with the client's API version; the desired object mappings are the
template's with the overlay applied (schema/overlay.py) and are compared with the job's
(schema/compare.py). Source trees for changed mappings are built locally, or, for the operators
whose tree Microsoft does not publish, asked of Graph's parseExpression (a POST that changes
nothing).

Apply: the target is planned again right before its PUT (the job's schema read then, and the
plan's actions checked unchanged: what was approved is what is sent), then one PUT of the whole
schema. Its body is the schema just read from the job, with its
object mappings replaced by the desired ones: everything else of the job's schema (directories
and their extension attributes, ids, version, fields only beta documents) goes back as Graph
sent it. Never PATCH (Graph answers it 404). graph/applying.py then reads it back until the
job's schema shows the overlay.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import NamedTuple

from ..body.diff import Change
from ..problems import Problem
from ..profile import mappings as located
from ..schema import compare, overlay
from ..schema.expression import Unbuildable, source_of
from .client import GraphClient, GraphError, clean_message
from .endpoints import job_url
from .jobs import checked_schema, choose_job, read_job_schema, read_jobs, read_templates
from .targets import Target


class MappingProblems(Exception):
    """The overlay does not fit the template (an object mapping it lacks): exit 2."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class SchemaPlan(NamedTuple):
    job_id: str | None  # None: the job [job] creates
    current: dict  # the job's schema as read ({} unless kept: see plan_schema)
    desired: dict  # the template's with the overlay applied (likewise)
    named: overlay.Named
    actions: list[compare.Action]

    @property
    def in_sync(self) -> bool:
        return compare.in_sync(self.actions)


def changes(plan: SchemaPlan) -> list[Change]:
    """The plan's schema actions as every report shows an action: keyed `mappings.<object>...`,
    with their flags (resync, may-deprovision)."""
    return [Change(action.key, action.action, action.old, action.new, flags=action.flags) for action in plan.actions]


def fewer_collections() -> None:
    """A 1 MB schema parses into some 100,000 objects, none of them in a cycle; at the default
    thresholds the cyclic collector walks every schema in flight many times per parse, which
    doubled the cost of reading one in bench/apply.py --mappings. Collect less often."""
    import gc

    gc.set_threshold(100_000, 50, 100)


def schema_url(client: GraphClient, principal: str, job_id: object) -> str:
    return f"{job_url(client, principal, job_id)}/schema"


def plan_schema(
    client: GraphClient, target: Target, entries: located.Entries, keep: bool = False, jobs: list[dict] | None = None
) -> SchemaPlan:
    """The schema actions of `target` (JobChoice or MappingProblems: exit 2; GraphError: the
    target fails); `jobs`: the service principal's, when read already. With `keep` (apply, right
    before its PUT) the plan holds the schemas read; a plan does not, so a run of many targets
    with 1 MB schemas holds only those in flight."""
    jobs = read_jobs(client, target) if jobs is None else jobs
    if not jobs and target.job is not None:  # [job] creates it: a new job starts with its template's schema
        job = {"id": None, "templateId": target.job.template_id}
    else:
        job = choose_job(target, jobs)
    job_id = job.get("id")
    template = read_template_schema(client, target.service_principal_id, job.get("templateId"))
    current = read_schema(client, target.service_principal_id, job_id) if job_id is not None else template

    def build(text: str) -> dict:
        try:
            return source_of(text)
        except Unbuildable:
            return parse_expression(client, target.service_principal_id, job_id, text)

    try:
        desired, named = overlay.apply(template, located.overlay(entries), build)
        actions = compare.compare(desired, current, named)
    except overlay.OverlayError as error:
        raise MappingProblems(located.problems(entries, error)) from None
    except (AttributeError, TypeError, ValueError):  # a field of the wrong type somewhere in an answer
        raise GraphError(None, "UnexpectedAnswer", "Graph's answer for the job's or the template's schema is not "
                         "a synchronization schema (a field has the wrong type)") from None  # fmt: skip
    return SchemaPlan(job_id, current, desired, named, actions) if keep else SchemaPlan(job_id, {}, {}, named, actions)


def read_schema(client: GraphClient, principal: str, job_id: object, deadline: float | None = None) -> dict:
    return read_job_schema(client, principal, job_id, deadline)


def read_template_schema(client: GraphClient, principal: str, template_id: object) -> dict:
    """The default schema of the job's template, from the templates Graph lists for the
    service principal (or its own `schema` resource when the list leaves it out)."""
    for template in read_templates(client, principal):
        if template.get("id") == template_id:
            if isinstance(template.get("schema"), Mapping):
                return checked_schema(template["schema"], "the template's schema")
            templates_url = client.connection.url(f"servicePrincipals/{principal}/synchronization/templates")
            return checked_schema(client.get(f"{templates_url}/{template_id}/schema"), "the template's schema")
    name = clean_message(str(template_id))
    raise GraphError(
        None,
        "NoTemplate",
        f"the job's template {name} is not among the service principal's "
        "synchronization templates: its default schema cannot be read",
    )


def parse_expression(client: GraphClient, principal: str, job_id: object, text: str) -> dict:
    """Graph's source tree for `text` (parseExpression changes nothing on the tenant)."""
    answer = client.post(f"{schema_url(client, principal, job_id)}/parseExpression", {"expression": text})
    try:
        document = answer.json()
    except ValueError:
        document = None
    tree = document.get("parsedExpression") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("parsingSucceeded") is not True or not isinstance(tree, dict):
        exception = document.get("parsingException") if isinstance(document, dict) else None
        said = exception.get("message") if isinstance(exception, dict) else None
        raise GraphError(answer.status_code, "ParseExpression", "Graph's parseExpression did not parse "
                         f"an expression of [mappings]{': ' + clean_message(str(said)) if said else ''}")  # fmt: skip
    return tree


def put_body(plan: SchemaPlan) -> dict:
    """The job's schema as read, with its object mappings replaced by the desired ones (matched
    by rule and object mapping; one the template lacks is left out, as the plan showed)."""
    wanted = dict(overlay.object_mappings(plan.desired))
    body = dict(plan.current)
    rules = []
    for rule in plan.current.get("synchronizationRules") or []:
        rule = dict(rule)
        rule_id = overlay.identity(rule, {})[0]
        mappings = [wanted[key] for mapping in rule.get("objectMappings") or []
                    if (key := overlay.identity(rule, mapping)) in wanted]  # fmt: skip
        have = {overlay.identity(rule, mapping) for mapping in mappings}
        mappings += [mapping for key, mapping in wanted.items() if key[0] == rule_id and key not in have]
        rule["objectMappings"] = mappings
        rules.append(rule)
    body["synchronizationRules"] = rules
    return copy.deepcopy(body)


def shows(plan: SchemaPlan, schema: dict) -> bool:
    """Whether the job's schema read back shows the plan's desired object mappings."""
    return compare.in_sync(compare.compare(plan.desired, schema, plan.named))


def write_schema(client: GraphClient, principal: str, plan: SchemaPlan) -> None:
    client.put(schema_url(client, principal, plan.job_id), put_body(plan))

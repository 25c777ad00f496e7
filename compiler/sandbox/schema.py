"""Synchronization schemas of the fake Graph: templates, a job's schema, and the schema helpers.

- GET    /{v}/servicePrincipals/{id}/synchronization/templates[/{templateId}[/schema]] (the list
                                              and a template without their schema)
- GET    .../jobs/{jobId}/schema              the job's schema (a new job has its template's)
- PUT    .../jobs/{jobId}/schema              full replacement: attribute mappings re-sorted as
                                              Graph sorts them, fields it does not know kept,
                                              `version` bumped; 204
- DELETE .../jobs/{jobId}/schema              back to the template's schema; 204
- PATCH  .../jobs/{jobId}/schema              404 "No HTTP resource was found ..." (what the SDKs
                                              that send PATCH get from Graph)
- POST   .../schema/parseExpression           this module's own small parser (below)
- GET    .../schema/filterOperators | functions

The parser here is deliberately not the client's (compiler/schema/expression.py): the fake is
the reference the client's local source-tree builder is tested against, so it must not share its
code. It knows Graph's published grammar and function parameter names; its tree for the
comparison and `&` operators, which Microsoft does not publish, is a guess (`name` the operator,
parameters `left` and `right`).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import odata
from .schemas import template_schema
from .server import Request, Response

ROUTE = re.compile(
    r"^/(?P<version>v1\.0|beta)/servicePrincipals/(?P<sp>[^/]+)/synchronization/"
    r"(?:jobs/(?P<job>[^/]+)/schema(?:/(?P<helper>parseExpression|filterOperators|functions))?"
    r"|templates(?:/(?P<template>[^/]+)(?P<template_schema>/schema)?)?)$",
    re.IGNORECASE,
)


@dataclass
class Schemas:
    """Template schemas (by template id), and what jobs' schemas need besides (`Job.schema` holds
    a job's own; None: its template's)."""

    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    stale: dict[int, tuple[dict[str, Any], int]] = field(default_factory=dict)  # id(job) -> (schema, reads)
    lag: int = 0  # GETs of a job's schema that still show the one before the last PUT
    versions: int = 0
    encoded: dict[int, tuple[dict[str, Any], bytes]] = field(default_factory=dict)  # id -> (document, its JSON)

    def template(self, template_id: str) -> dict[str, Any]:
        if template_id not in self.templates:
            self.templates[template_id] = template_schema(template_id)
        return self.templates[template_id]

    def of_job(self, job: Any) -> dict[str, Any]:
        """The job's schema; a new job's is its template's (shared, never changed in place: a PUT
        stores a new document), so a thousand jobs of one 1 MB template hold it once."""
        return job.schema if job.schema is not None else self.template(job.template_id)

    def read(self, job: Any) -> dict[str, Any]:
        old, reads = self.stale.get(id(job), (None, 0))
        if old is not None and reads > 0:
            self.stale[id(job)] = (old, reads - 1)
            return old
        return self.of_job(job)

    def replace(self, job: Any, document: dict[str, Any]) -> None:
        before = self.of_job(job)
        if self.lag:
            self.stale[id(job)] = (before, self.lag)
        self.versions += 1
        stored = copy.deepcopy(document)
        stored["id"] = before.get("id", stored.get("id"))
        stored["version"] = "Date:" + (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.versions)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        for rule in stored.get("synchronizationRules") or []:
            for mapping in rule.get("objectMappings") or []:
                if isinstance(mapping.get("attributeMappings"), list):
                    mapping["attributeMappings"] = sorted(mapping["attributeMappings"], key=_sort_key)
        job.schema = stored

    def answer(self, context: str, document: dict[str, Any]) -> Response:
        """A schema as GET answers it. A document is never changed in place (a PUT stores a new
        one), so its JSON is written once: a benchmark's thousand jobs of one 1 MB template do
        not spend the fake's time (and the client's cores) on encoding it again."""
        found = self.encoded.get(id(document))
        if found is None or found[0] is not document:
            found = (document, json.dumps(document).encode())
            self.encoded[id(document)] = found
        body = json.dumps({"@odata.context": context}).encode()[:-1]
        body += b", " + found[1][1:] if found[1] != b"{}" else b"}"
        headers = {"Content-Type": "application/json", "request-id": odata.new_request_id()}
        return Response(200, body, headers)


def _sort_key(attribute: Any) -> str:
    """Graph returns attribute mappings ordered by target attribute (it does not de-duplicate)."""
    return str(attribute.get("targetAttributeName", "")).lower() if isinstance(attribute, dict) else ""


def handle(request: Request, match: re.Match[str], sp_id: str, principal: Any, schemas: Schemas, url: str) -> Response:
    """One schema request for the service principal `sp_id` (a secrets_state.Principal: its
    jobs and templates)."""
    version = match["version"]
    if match["job"] is None:
        return _templates(request, match, sp_id, principal, schemas, url, version)
    job = principal.jobs.get(match["job"])
    if job is None:
        return odata.error(request, 404, "Request_ResourceNotFound", f"Resource '{match['job']}' does not exist.")
    helper = match["helper"]
    if helper:
        return _helper(request, helper.lower())
    if request.method == "PATCH":
        address = f"{url}{request.path}"
        return odata.error(
            request, 404, "", f"No HTTP resource was found that matches the request URI '{address}?api-version=2.0'."
        )
    if request.method == "GET":
        context = (
            f"{url}/{version}/$metadata#servicePrincipals('{sp_id}')/synchronization/jobs('{job.id}')/schema/$entity"
        )
        return schemas.answer(context, schemas.read(job))
    if request.method == "PUT":
        document = request.json()
        problem = _shape_problem(document)
        if problem:
            return odata.error(request, 400, "BadRequest", problem)
        schemas.replace(job, document)
        return Response(204, headers={"request-id": odata.new_request_id()})
    if request.method == "DELETE":
        job.schema = None
        return Response(204, headers={"request-id": odata.new_request_id()})
    return odata.error(
        request, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
    )


def _templates(request, match, sp_id, principal: Any, schemas: Schemas, url: str, version: str) -> Response:
    """The principal's templates (those it was given, and those of its jobs), without their
    schema (as without `$expand=schema`); GET .../templates/{id}/schema serves it."""
    if request.method != "GET":
        return odata.error(
            request, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
        )
    listed = list(principal.templates)
    listed += [
        {"id": template_id, "applicationId": None, "default": True, "description": None, "discoverable": True,
         "factoryTag": template_id, "metadata": []}
        for template_id in sorted({job.template_id for job in principal.jobs.values()} - {t["id"] for t in listed})
    ]  # fmt: skip
    context = f"{url}/{version}/$metadata#servicePrincipals('{sp_id}')/synchronization/templates"
    if match["template"] is None:
        return Response.json(200, {"@odata.context": context, "value": listed})
    found = [template for template in listed if template["id"] == match["template"]]
    if not found:
        return odata.error(request, 404, "Request_ResourceNotFound", f"Resource '{match['template']}' does not exist.")
    if match["template_schema"]:
        return schemas.answer(f"{context}/schema/$entity", schemas.template(found[0]["id"]))
    return Response.json(200, {"@odata.context": f"{context}/$entity", **found[0]})


def _shape_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "Empty Payload. JSON content expected."
    rules = document.get("synchronizationRules")
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        return "Invalid schema: 'synchronizationRules' must be a list of rules."
    for rule in rules:
        for mapping in rule.get("objectMappings") or []:
            for attribute in (mapping or {}).get("attributeMappings") or []:
                if not isinstance(attribute, dict) or not attribute.get("targetAttributeName"):
                    return "Invalid schema: every attribute mapping needs a targetAttributeName."
                source = attribute.get("source")
                if source is not None and (
                    not isinstance(source, dict) or not isinstance(source.get("expression"), str)
                ):
                    return "Invalid schema: an attribute mapping's source needs an expression."
    return None


def _helper(request: Request, helper: str) -> Response:
    if helper == "parseexpression":
        if request.method != "POST":
            return odata.error(
                request, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
            )
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("expression"), str):
            return odata.error(request, 400, "BadRequest", "The expression is required.")
        return Response.json(200, parse_answer(body["expression"]))
    if request.method != "GET":
        return odata.error(
            request, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."
        )
    if helper == "filteroperators":
        value = [{"name": name, "arity": arity, "multivaluedComparisonType": "All", "supportedAttributeTypes": ["String"]}
                 for name, arity in OPERATORS]  # fmt: skip
        return Response.json(200, {"value": value})
    return Response.json(200, {"value": [_function_document(name, spec) for name, spec in FUNCTIONS.items()]})


# -- Graph's catalog, as its filterOperators and functions answers serve it ---------------------
OPERATORS = [(name, "Binary") for name in ("&", "!&", "ENDS_WITH", "EQUALS", "NOT EQUALS", "Greater_Than",
             "Greater_Than_OR_EQUALS", "Less_Than", "Less_Than_OR_EQUALS", "Includes", "REGEX MATCH",
             "NOT REGEX MATCH")] + [(name, "Unary") for name in ("IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL")]  # fmt: skip

# name -> parameters: a trailing `?` marks an optional one, a trailing `*` one that repeats
FUNCTIONS: dict[str, str] = {
    "Append": "source suffix",
    "AppRoleAssignments": "source",
    "AppRoleAssignmentsComplex": "appRoleAssignments",
    "BitAnd": "value1 value2",
    "CBool": "Expression",
    "CDate": "expression",
    "Coalesce": "source*",
    "Contains": "attribute search compare?",
    "ConvertFromBase64": "source Encoding?",
    "ConvertToBase64": "source",
    "ConvertToUTF8Hex": "source",
    "Count": "attribute",
    "CRef": "value",
    "CStr": "value",
    "DateAdd": "interval value dateTime",
    "DateDiff": "interval date1 date2",
    "DateFromNum": "value",
    "DefaultDomain": "",
    "DNComponent": "dn ComponentNumber",
    "Error": "ErrorMessage",
    "FormatDateTime": "source dateTimeStyles? inputFormat outputFormat",
    "Guid": "",
    "IgnoreFlowIfNullOrEmpty": "expression",
    "IIF": "condition valueIfTrue valueIfFalse",
    "InStr": "value1 value2 start? compareType?",
    "IsNull": "Expression",
    "IsNullOrEmpty": "Expression",
    "IsPresent": "Expression",
    "IsString": "Expression",
    "Item": "attribute index",
    "Join": "separator source*",
    "Left": "String NumChars",
    "Mid": "source start length?",
    "NormalizeDiacritics": "source",
    "Not": "source",
    "Now": "",
    "NumFromDate": "value",
    "PCase": "source wordSeparators?",
    "RandomString": "Length MinimumNumbers MinimumSpecialCharacters MinimumCapital MinimumLowerCase CharactersToAvoid?",
    "Redact": "value",
    "RemoveDuplicates": "attribute",
    "Replace": "source Find? regexPattern? regexGroupName? Replacement? replacementAttributeName? template?",
    "SelectUniqueValue": "uniqueValueRule uniqueValueRule*",
    "SingleAppRoleAssignment": "source",
    "Split": "source delimiter",
    "StringFromSid": "ObjectSID",
    "StripSpaces": "source",
    "Switch": "source defaultValue key* value*",
    "ToLower": "source culture?",
    "ToUpper": "source culture?",
    "Trim": "source",
    "Word": "String WordNumber delimiters",
}
_BY_LOWER = {name.lower(): name for name in FUNCTIONS}


def _parameters(spec: str) -> list[tuple[str, bool, bool]]:
    """(name, required, repeats) of each parameter."""
    return [(word.rstrip("?*"), not word.endswith("?"), word.endswith("*")) for word in spec.split()]


def _function_document(name: str, spec: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.attributeMappingFunctionSchema",
        "name": name,
        "parameters": [
            {"allowMultipleOccurrences": repeats, "name": parameter, "required": required, "type": "String"}
            for parameter, required, repeats in _parameters(spec)
        ],
    }


def _key(name: str, position: int) -> str:
    parameters = _parameters(FUNCTIONS[name])
    if position < len(parameters):
        return parameters[position][0]
    repeating = [parameter for parameter, _, repeats in parameters if repeats] or [parameters[-1][0]]
    return repeating[(position - len(parameters)) % len(repeating)]


# -- parseExpression --------------------------------------------------------------------------
class _Failed(Exception):
    pass


def parse_answer(text: str) -> dict[str, Any]:
    """Graph's parseExpression answer for `text` (no test input object: nothing is evaluated)."""
    try:
        tree = _Reader(text).whole()
    except _Failed as failed:
        exception = {"message": str(failed)}
        return {"parsingSucceeded": False, "parsingException": exception, "evaluationSucceeded": False,
                "evaluationResult": None, "parsedExpression": None}  # fmt: skip
    return {"parsingSucceeded": True, "parsingException": None, "evaluationSucceeded": False,
            "evaluationResult": None, "parsedExpression": tree}  # fmt: skip


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def whole(self) -> dict[str, Any]:
        tree, _ = self.comparison()
        self.blank()
        if self.at != len(self.text):
            raise _Failed(f"Unexpected character at position {self.at}.")
        return tree

    def blank(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def comparison(self) -> tuple[dict[str, Any], str]:
        left, written = self.joined()
        self.blank()
        for operator in ("<>", ">=", "<=", "=", ">", "<"):
            if self.text.startswith(operator, self.at):
                self.at += len(operator)
                right, right_written = self.joined()
                return _operation(operator, left, written, right, right_written)
        return left, written

    def joined(self) -> tuple[dict[str, Any], str]:
        left, written = self.value()
        while True:
            saved = self.at
            self.blank()
            if self.text.startswith("&", self.at) and self.text[self.at + 1 : self.at + 2] not in ("H", "h"):
                self.at += 1
                right, right_written = self.value()
                left, written = _operation("&", left, written, right, right_written)
            else:
                self.at = saved
                return left, written

    def value(self) -> tuple[dict[str, Any], str]:
        self.blank()
        if self.at >= len(self.text):
            raise _Failed("Unexpected end of the expression.")
        char = self.text[self.at]
        if char == "[":
            end = self.text.find("]", self.at)
            if end < 0:
                raise _Failed(f"Unclosed attribute reference at position {self.at}.")
            name = self.text[self.at + 1 : end]
            self.at = end + 1
            return _leaf(f"[{name}]", name, "Attribute"), f"[{name}]"
        if char == '"':
            start, self.at, value = self.at, self.at + 1, []
            while self.at < len(self.text) and self.text[self.at] != '"':
                if self.text[self.at] == "\\" and self.at + 1 < len(self.text):
                    self.at += 1
                value.append(self.text[self.at])
                self.at += 1
            if self.at >= len(self.text):
                raise _Failed(f"Unclosed string constant at position {start}.")
            self.at += 1
            written = self.text[start : self.at]
            return _leaf(written, "".join(value), "Constant"), written
        found = re.compile(r"%[^%]+%|&[Hh][0-9A-Fa-f]+|[-+]?[0-9][0-9.]*|[A-Za-z_][A-Za-z0-9_.]*").match(
            self.text, self.at
        )
        if not found:
            raise _Failed(f"Unexpected character '{char}' at position {self.at}.")
        self.at = found.end()
        word = found.group()
        saved = self.at
        self.blank()
        if self.text.startswith("(", self.at) and word[0].isalpha():
            return self.call(word)
        self.at = saved
        return _leaf(f'"{word}"', word, "Constant"), word

    def call(self, word: str) -> tuple[dict[str, Any], str]:
        name = _BY_LOWER.get(word.lower())
        if name is None:
            raise _Failed(f"Unknown function '{word}'.")
        self.at += 1
        arguments: list[tuple[dict[str, Any], str] | None] = []
        self.blank()
        if self.text.startswith(")", self.at):
            self.at += 1
        else:
            while True:
                self.blank()
                if self.text[self.at : self.at + 1] in (",", ")"):
                    arguments.append(None)
                else:
                    arguments.append(self.comparison())
                self.blank()
                char = self.text[self.at : self.at + 1]
                self.at += 1
                if char == ")":
                    break
                if char != ",":
                    raise _Failed(f"Expected ',' or ')' at position {self.at - 1}.")
        written = f"{name}({', '.join('' if argument is None else argument[1] for argument in arguments)})"
        parameters = [
            {"key": _key(name, position), "value": argument[0]}
            for position, argument in enumerate(arguments)
            if argument is not None
        ]
        return {"expression": written, "name": name, "parameters": parameters, "type": "Function"}, written


def _leaf(expression: str, name: str, kind: str) -> dict[str, Any]:
    return {"expression": expression, "name": name, "parameters": [], "type": kind}


def _operation(operator: str, left: dict, left_written: str, right: dict, right_written: str) -> tuple[dict, str]:
    written = f"{left_written} {operator} {right_written}"
    parameters = [{"key": "left", "value": left}, {"key": "right", "value": right}]
    return {"expression": written, "name": operator, "parameters": parameters, "type": "Function"}, written

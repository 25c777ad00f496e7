"""`--format github` for `plan` and `apply`: annotations on the profiles, and a Markdown table
appended to `$GITHUB_STEP_SUMMARY` (the job's summary page) when that variable is set.

A target with changes is a notice on its profile whose text is the plan (an error under
`plan --check`, which it fails); a failure is an error; a credential-host warning a warning.
The table names keys only, never values. Every piece of text in the summary, whoever wrote it
(a profile's path, Graph's message, a token's claim), is written through one rule (`markdown_text`).
"""

from __future__ import annotations

import os
import re

from ..escape import printable
from ..graph.planning import CHANGES, FAILED, RemoteRun, TargetPlan
from . import View
from .github import command, problem_command
from .remote_text import BAD, RESULT, action_lines, counts, header, outside_line, summary
from .terminal import PLAIN, Writer
from .text import SYMBOL


def write(run: RemoteRun, view: View, writer: Writer) -> None:
    del view  # annotations say everything, quiet or not
    for problem in [*run.warnings, *run.problems]:
        writer.out(problem_command(problem))
    if run.error:
        writer.out(command("error", run.error, title="syncsecrets"))
    failing = not run.kind.results and run.check  # plan --check: a target with changes fails it
    for plan in run.plans:
        title = f"syncsecrets {run.command}: {header(plan)}"
        for warning in plan.warnings:
            writer.out(command("warning", warning, file=plan.target.profile, title=title))
        if plan.status == FAILED:
            writer.out(command("error", plan.error or "failed", file=plan.target.profile, title=title))
        elif plan.status in BAD:  # invalid credentials, a quarantined or failing job
            lines = [plan.error or "", *plan.detail.get("lines", ())]
            text = "\n".join(line.strip() for line in lines if line)
            writer.out(
                command("error", text or plan.status, file=plan.target.profile, title=f"{title} ({plan.status})")
            )
        elif plan.status == CHANGES or (plan.actions and not plan.in_sync):
            lines = [line.removeprefix("  ") for line in action_lines(plan)]
            kind = "error" if failing else "notice"
            state = RESULT.get(plan.status, plan.status) if run.kind.results else counts(plan)
            writer.out(command(kind, "\n".join(lines), file=plan.target.profile, title=f"{title} ({state})"))
    for profile in run.outside:
        writer.out(command("notice", outside_line(run, profile), file=profile, title=f"syncsecrets {run.command}"))
    writer.out(summary(run))
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(markdown(run))
        except OSError as error:
            PLAIN.err(f"syncsecrets: GITHUB_STEP_SUMMARY cannot be written ({error.strerror})")


def markdown(run: RemoteRun) -> str:
    lines = [f"### {markdown_text(f'syncsecrets {run.command}')}", "", markdown_text(summary(run)), ""]
    if run.plans:
        lines += ["| profile | environment | service principal | status | keys |", "|---|---|---|---|---|"]
        lines += [_row(plan) for plan in run.plans]
    return "\n".join(lines) + "\n\n"


def _row(plan: TargetPlan) -> str:
    keys = " ".join(
        f"{SYMBOL[a.action]}{a.key}" for a in plan.actions if a.action in ("add", "change", "clear", "remove")
    )
    cells = [plan.target.profile, plan.target.environment or "", plan.target.service_principal_id, plan.status, keys]
    return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |"


# What Markdown (GitHub's, with its tables, HTML and strikethrough) reads as markup inside a line.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~!&#])")


def markdown_text(text: str) -> str:
    """`text` as literal Markdown on one line: markup characters backslash-escaped, and line
    breaks and control characters escaped (`printable`), so nothing can start a heading, a row
    or an HTML element of its own."""
    return printable(_MARKUP.sub(r"\\\1", text))

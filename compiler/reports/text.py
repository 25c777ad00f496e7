"""The text report: diffs and the summary on stdout, problems on stderr."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ..problems import failure_line
from ..run.result import DEFAULT_OUT, DEFAULT_PATHS, Options, Outcome, RunResult, Status
from . import View
from .terminal import Writer

if TYPE_CHECKING:
    from ..body.diff import Change

# A key the body no longer holds. Not "cleared": by every public account Graph's PUT merges,
# so the tenant may keep the key (see removal_warnings in body/diff.py).
REMOVED_NOTE = "removed from the body"

# How each action shows: its symbol, the side it shows (both for the others), and its note.
# Compile's actions and the remote commands' (graph/classify.py) are rendered by one function.
SYMBOL = {"added": "+", "removed": "-", "changed": "~", "new": "+", "stale": "-"}
SYMBOL |= {"add": "+", "change": "~", "clear": "-", "masked": "*", "keep": "=", "remove": "-"}
SYMBOL |= {"create": "+", "start": ">", "pause": "~", "heal": "~", "quarantined": "!", "restart": "~"}
SHOWS_NEW = ("added", "add")
SHOWS_OLD = ("removed", "clear", "keep", "remove")
NOTE = {
    "clear": 'cleared: apply sends ""',
    "masked": "hidden by the tenant: cannot be compared, sent again",
    "keep": "kept: neither sent nor cleared",
    # A job's actions (graph/job_action.py, graph/restarting.py): old and new are its states.
    "create": "no job yet: apply creates it and has the application validate the credentials before sending them",
    "start": "apply starts it after the secrets",
    "pause": "apply pauses it before sending anything",
    "heal": "in quarantine for its credentials: apply validates them first, then restarts it with QuarantineState",
    "quarantined": "in quarantine: never cleared automatically; fix the cause, then `syncsecrets restart`",
    # Old is the job's status, new the reset scope: said, since "Active -> QuarantineState" reads
    # as a job put into quarantine.
    "restart": "the reset scope, not a state: restart clears it and runs the job again",
}
# A line's style by its first character (its symbol); plain output ignores it.
STYLE = {
    "+": "added",
    "-": "removed",
    "~": "changed",
    "@": "muted",
    "*": "muted",
    "=": "muted",
    "!": "warning",
    ">": "changed",
}


def shown(value: object, masked: bool = False) -> str:
    """A value as a diff line shows it: JSON strings quoted, masks bare."""
    if masked:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def change_lines(change: Change, indent: str = "  ") -> list[str]:
    """One change (or action) of any key, with its fields below it, its note and its flags."""
    action = change.action
    symbol = SYMBOL[action]
    if change.fields:
        lines = [f"{indent}{symbol} {change.key}:"]
        for field in change.fields:
            lines += change_lines(field, indent + "    ")
    else:
        # A mapping's expression reads as it is written in the profile (quotes in it unescaped)
        plain = change.key.startswith("mappings.")
        old, new = (
            change.old if plain and isinstance(change.old, str) else shown(change.old, change.old_masked),
            change.new if plain and isinstance(change.new, str) else shown(change.new, change.new_masked),
        )
        value = new if action in SHOWS_NEW else old if action in SHOWS_OLD else f"{old} -> {new}"
        note = REMOVED_NOTE if action == "removed" and indent == "  " else NOTE.get(action)
        lines = [f"{indent}{symbol} {change.key}: {value}" + (f"  ({note})" if note else "")]
    if change.flags:
        lines[0] += f"  [{', '.join(flag_words(change.key, change.flags))}]"
    return lines


# A mapping action's consequences (schema/compare.py), in words; {} is what the object mapping provisions.
FLAG_WORDS = {"resync": "re-evaluates every {}", "may-deprovision": "may remove {}s from the app"}


def flag_words(key: str, flags: tuple[str, ...]) -> list[str]:
    """`mappings.User.scope`'s flags as a person reads them: "re-evaluates every user"."""
    parts = key.split(".")
    kind = parts[1].rsplit(">", 1)[-1].lower() if len(parts) > 2 and parts[0] == "mappings" else ""
    kind = kind if kind in ("user", "group") else "object"
    return [FLAG_WORDS[flag].format(kind) if flag in FLAG_WORDS else flag for flag in flags]


def outcome_lines(outcome: Outcome, out: str, mode: str) -> list[str]:
    path = os.path.join(out, outcome.output)
    if outcome.status is Status.NEW:
        head = [f"+ {path} (new, {outcome.pairs} {'pair' if outcome.pairs == 1 else 'pairs'})"]
    else:
        head = [f"~ {path} (changed)"]
    if mode == "unified":
        return head + outcome.unified.rstrip("\n").split("\n")  # not splitlines(): see diff._lines
    if mode == "semantic":
        return head + [line for change in outcome.changes for line in change_lines(change)]
    return head


def update_command(options: Options, stale: bool) -> str:
    """The command that makes a failed --check pass: the same PATHs, --out and --env, and --prune
    when outputs are stale (compile reports a stale output; only --prune removes it)."""
    import shlex  # only when a check failed

    from ..run.root import as_typed

    words = ["syncsecrets", "compile"]
    words += [as_typed(path) for path in options.paths] if options.paths != DEFAULT_PATHS else []
    words += ["--out", as_typed(options.out)] if options.out != DEFAULT_OUT else []
    for name in options.environments:
        words += ["--env", name]
    words += ["--prune"] if stale else []
    return shlex.join(words)


def summary(result: RunResult) -> str:
    options = result.options
    counts = [f"{result.count(status)} {status}" for status in Status]
    if result.stale:
        counts[-1] += " (removed)" if options.prune and not options.check else " (--prune removes)"
    profiles = len({outcome.profile for outcome in result.outcomes})
    verb = "Checked" if options.check else "Compiled"
    where = "against" if options.check else "into"
    line = f"{verb} {profiles} {'profile' if profiles == 1 else 'profiles'} {where} {options.out}/"
    if result.environments and not options.environments:  # found in --out, not asked for: say so
        folders = ", ".join(f"{name}/" for name in result.environments)
        line += f" (and its environment {'folder' if len(result.environments) == 1 else 'folders'} {folders})"
    line += ": " + ", ".join(counts)
    if options.check and result.exit_code == 1:
        line += f"; run `{update_command(options, bool(result.stale))}` to update"
    return line


def write(result: RunResult, view: View, writer: Writer) -> None:
    """The default report: per-file diffs, warnings, the summary line; or the problems."""
    mode, quiet = result.options.diff, view.quiet
    for problem in result.problems:  # in file and line order, warnings among errors
        writer.err(str(problem), "warning" if problem.warning else "error")
    if result.errors:
        count = len(result.errors)
        writer.err(failure_line(count, len(result.unrestored)), "error")
        return
    base = result.options.out
    for outcome in result.outcomes:
        if quiet:  # one line per warning, as problems are printed: what a log search or grep wants
            for warning in outcome.warnings:
                writer.out(f"{os.path.join(base, outcome.output)}: warning: {warning}", "warning")
            continue
        # A warning about a change belongs next to it, in every mode: the reviewer reads the diff.
        lines = outcome_lines(outcome, base, mode) if outcome.status is not Status.UNCHANGED else []
        if outcome.warnings and not lines:
            lines = [f"! {os.path.join(base, outcome.output)}"]
        lines += [f"  ! warning: {warning}" for warning in outcome.warnings]
        for number, line in enumerate(lines):
            writer.out(line, "header" if number == 0 else STYLE.get(line.lstrip()[:1]))
    if not quiet:
        for stale in result.stale:
            writer.out(f"- {os.path.join(base, stale)} (stale: no profile writes it)", "removed")
    writer.out(summary(result), "summary")

"""`syncsecrets restart`: restart each target's synchronization job, with the reset scope asked for.

What each scope resets is Graph's (`restart` criteria `resetScope`); `portal` sends empty
criteria, the portal's "Restart provisioning". ForceDeletes releases the deletions the
accidental-deletion threshold held back: it needs `--force-deletes` besides the scope. The run
shows what it will restart and asks like apply (or `--auto-approve`).
"""

from __future__ import annotations

import os

from ..catalog.suggest import did_you_mean
from ..problems import UserError
from ..run.interrupts import terminable
from .remote import RemoteOptions, Stopped, connect, finish

# The scope words of the command line, as Graph spells them.
SCOPES = {
    "watermark": "Watermark",
    "escrows": "Escrows",
    "quarantine": "QuarantineState",
    "full": "Full",
    "force-deletes": "ForceDeletes",
}
PORTAL = "portal"
QUESTION = "Restart the jobs of {count} service {noun}? [y/N] "


def parse_scope(text: str, force_deletes: bool) -> tuple[str, ...]:
    """Graph's resetScope values for `--scope` (empty: `portal`); UserError (exit 2) if wrong."""
    words = [word.strip().lower() for word in text.split(",") if word.strip()]
    if words == [PORTAL]:
        return ()
    if not words or PORTAL in words:
        raise UserError.single(
            "--scope", f"is portal alone, or a comma-separated list of {', '.join(SCOPES)}, e.g. --scope quarantine"
        )
    for word in words:
        if word not in SCOPES:
            hint = did_you_mean(word, [*SCOPES, PORTAL])
            raise UserError.single("--scope", f"{word!r} is no scope{hint}; the scopes are portal, {', '.join(SCOPES)}")
    if "force-deletes" in words and not force_deletes:
        raise UserError.single(
            "--scope",
            "force-deletes releases the deletions the accidental-deletion threshold "
            "held back and cannot be undone: add --force-deletes to mean it",
        )
    return tuple(dict.fromkeys(SCOPES[word] for word in words))


def restart(
    options: RemoteOptions, scope: str, force_deletes: bool = False, auto_approve: bool = False, environ=os.environ
) -> int:
    from ..graph.planning import CHANGES, RemoteRun, TargetPlan, job_problems
    from ..graph.restarting import read_all, restart_all
    from ..reports.progress import progress
    from ..reports.remote import write_remote_report
    from .apply import approved, is_terminal

    run = RemoteRun("restart", [], [])
    try:
        scopes = parse_scope(scope, force_deletes)
        if not (auto_approve or is_terminal()):
            raise UserError.single("restart", "needs a terminal to ask for confirmation, or --auto-approve")
    except UserError as error:
        return finish(run, options, problems=error.problems)
    try:
        targets, session = connect(run, options, environ, reveal=False)  # no secret is sent
    except Stopped as stopped:
        return stopped.code
    client = session.client
    run.plans = [TargetPlan(target) for target in targets]
    try:
        with terminable(), progress(len(targets), "Reading the jobs") as advance:
            run.interrupted = read_all(client, run.plans, scopes, options.jobs, lambda _plan, _result: advance())
        run.problems = job_problems(run.plans)
        chosen = [plan for plan in run.plans if plan.status == CHANGES]
        if run.problems or run.interrupted:
            write_remote_report(run, options.fmt, options.quiet)
            return run.exit_code
        if chosen and not auto_approve and not approved(run, options, len(chosen), QUESTION, "restarted"):
            return 0
        if chosen:
            run.sending = True
            with terminable(), progress(len(chosen), "Restarting") as advance:
                run.interrupted = restart_all(client, chosen, scopes, options.jobs, lambda _plan, _result: advance())
    finally:
        client.close()
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code

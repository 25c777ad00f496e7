"""`syncsecrets provision PROFILE --subject OBJECT_ID`: provision objects now, and say how it went.

The job is the one the profile means (as plan decides); the rule is `--rule`, or the job
schema's rule for the object type (several: the profile's owner picks one, exit 2). Each
subject is one provisionOnDemand request, at most 5 in 10 seconds (Microsoft's limit; a 429 from
another run is waited out as its Retry-After says). Every step of each result is shown, the
failed one with why. Exit 0 provisioned, 1 an object failed a step, 2 bad input, 4 Graph refused.
"""

from __future__ import annotations

import os

from ..problems import Problem, UserError
from ..run.interrupts import terminable
from .remote import RemoteOptions, Stopped, connect, finish

TYPES = ("User", "Group")


def check_input(subjects: list[str], type_name: str) -> str:
    """The object type as Graph spells it; UserError (exit 2) for what cannot be sent."""
    if not subjects:
        raise UserError.single(
            "--subject",
            "give the object id of a user or group to provision, e.g. --subject 9bb0f679-a883-4a6f-8260-35b491b8b8c8",
        )
    for subject in subjects:
        if not subject.strip() or not subject.isprintable() or len(subject) > 1024:
            raise UserError.single("--subject", "must be an object id (or, for Cloud Sync, a distinguished name)")
    named = {kind.lower(): kind for kind in TYPES}.get(type_name.lower())
    if named is None:
        raise UserError.single("--type", "must be User or Group")
    return named


def provision(
    options: RemoteOptions, subjects: list[str], type_name: str = "User", rule: str | None = None, environ=os.environ
) -> int:
    from ..graph.planning import RemoteRun, TargetPlan
    from ..graph.pool import run_all
    from ..graph.provision import provision_target
    from ..reports.remote import write_remote_report

    run = RemoteRun("provision", [], [])
    try:
        kind = check_input(subjects, type_name)
    except UserError as error:
        return finish(run, options, problems=error.problems)
    try:
        # Graph provisions with the saved credentials; the profile's are resolved (in memory, never
        # sent) so that a step echoing one, as a target application's error may, is masked.
        targets, session = connect(run, options, environ)
    except Stopped as stopped:
        return stopped.code
    if len(targets) != 1:
        session.client.close()
        problem = Problem(
            ", ".join(options.paths),
            f"provision takes one profile (and one --env), not {len(targets)}: name the profile of the application",
        )
        run.problems = [problem]
        write_remote_report(run, options.fmt, options.quiet)
        return run.exit_code
    plan = TargetPlan(targets[0])
    run.plans = [plan]
    client = session.client
    try:
        with terminable():
            _done, run.interrupted = run_all(
                run.plans,
                lambda found: provision_target(client, found, list(dict.fromkeys(subjects)), kind, rule),
                1,
                client.stop,
            )
    finally:
        client.close()
    if plan.problems:
        run.problems = list(plan.problems)
    write_remote_report(run, options.fmt, options.quiet)
    return run.exit_code

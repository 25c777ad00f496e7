"""`apply` for many targets: one PUT each, then reading back until the tenant shows the profile.

Graph is eventually consistent: a GET right after a PUT may still show the old pairs. A target
is applied when a GET shows every non-masked value of the profile and none of the cleared keys;
until `wait` seconds have passed it is read again (0.5 s, then doubling, at most 5 s apart).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .classify import classify, in_sync, put_body
from .client import GraphClient, GraphError, Interrupted
from .endpoints import check_sendable, read_secrets, write_secrets
from .planning import APPLIED, CHANGES, FAILED, IN_SYNC, NOT_STARTED, SENT, TargetPlan
from .pool import run_all

FIRST_READ_BACK = 0.5
LONGEST_READ_BACK = 5.0
# The read-back's requests end when `wait` does, but no sooner than this after the PUT: a GET
# needs time to answer (`--wait 0` still reads back once).
SHORTEST_READ = 10.0


def bodies(plans: list[TargetPlan]) -> dict[int, list[tuple[str, str]]]:
    """Every body that will be sent, built and checked before the first PUT: a mask or a
    placeholder in any of them is a bug that stops the run with nothing sent (exit 3)."""
    found = {}
    for index, plan in enumerate(plans):
        found[index] = put_body(plan.target.pairs, plan.actions)
        check_sendable(found[index])
    return found


def apply_all(
    client: GraphClient,
    plans: list[TargetPlan],
    jobs: int,
    wait: float,
    done: Callable[[TargetPlan, TargetPlan], None] | None = None,
) -> BaseException | None:
    """Applies `plans` (their status and error are updated); the signal that interrupted it, if any."""
    sendable = bodies(plans)
    index_of = {id(plan): index for index, plan in enumerate(plans)}

    def work(plan: TargetPlan) -> TargetPlan:
        apply_target(client, plan, sendable[index_of[id(plan)]], wait)
        return plan

    _results, interrupted = run_all(plans, work, jobs, client.stop, done)
    for plan in plans:
        if plan.status in (CHANGES, IN_SYNC):  # never sent: Ctrl-C came first
            plan.status = NOT_STARTED
    return interrupted


def apply_target(client: GraphClient, plan: TargetPlan, body: list[tuple[str, str]], wait: float) -> None:
    target = plan.target
    try:
        write_secrets(client, target.service_principal_id, body)
    except GraphError as error:
        plan.status, plan.error = FAILED, f"PUT refused: {error}"
        return
    except Interrupted:
        return  # not sent (a retry was waiting): the status stays as planned
    plan.status = SENT
    started = time.monotonic()  # answers are whole by a time of the wall (bytes arrive in it)
    reads_end = max(started + wait, started + SHORTEST_READ)
    deadline = client.clock.now() + wait  # the read-backs' waits happen on the client's clock
    delay = FIRST_READ_BACK
    while True:
        try:
            tenant = read_secrets(client, target.service_principal_id, reads_end)
        except GraphError as error:
            plan.status, plan.error = FAILED, f"the PUT was accepted, but reading it back failed: {error}"
            return
        except Interrupted:
            return  # sent, not confirmed: reported as such
        if in_sync(classify(target.pairs, tenant, target.keep)):
            plan.status = APPLIED
            return
        if client.clock.now() + delay > deadline:
            plan.status = FAILED
            plan.error = (
                f"the PUT was accepted, but after {wait:g} s the tenant does not show the profile yet "
                "(Graph is eventually consistent: run plan again, or give --wait more seconds)"
            )
            return
        if client.clock.sleep(delay, client.stop):
            return
        delay = min(delay * 2, LONGEST_READ_BACK)

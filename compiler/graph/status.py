"""`status`: the state of each service principal's synchronization jobs, as the portal shows it.

GET `.../synchronization/jobs`; for each job (or the one `job_id` names): its status code, the
schedule, the last execution (and its error), and the quarantine (reason, since when, next
attempt). A target is quarantined if any job is, failing if a job's last run failed; either
fails a pipeline that gates on `status` (exit 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .client import GraphClient, GraphError, Interrupted, clean_message
from .jobs import read_jobs
from .planning import ACTIVE, FAILED, FAILING, NO_JOB, NOT_RUN, PAUSED, QUARANTINED, TargetPlan
from .pool import run_all

# Worst first: a target takes the status of its worst job.
SEVERITY = (QUARANTINED, FAILING, PAUSED, NOT_RUN, ACTIVE)


def status_target(client: GraphClient, plan: TargetPlan) -> TargetPlan:
    target = plan.target
    try:
        jobs = read_jobs(client, target)
    except GraphError as error:
        plan.status, plan.error = FAILED, str(error)
        return plan
    except Interrupted:
        return plan
    if target.job_id:
        jobs = [job for job in jobs if job.get("id") == target.job_id]
    if not jobs:
        plan.status = NO_JOB
        named = f"no job {target.job_id}" if target.job_id else "no synchronization job (provisioning is not set up)"
        plan.detail = {"jobs": [], "lines": [named]}
        return plan
    summaries = [job_summary(job) for job in jobs]
    plan.status = min((summary["state"] for summary in summaries), key=SEVERITY.index)
    plan.detail = {"jobs": summaries, "lines": [line for summary in summaries for line in job_lines(summary)]}
    return plan


def job_summary(job: dict) -> dict:
    """What matters of a job, every text cleaned (one line, bounded, no known secret)."""
    status = _dict(job.get("status"))
    schedule = _dict(job.get("schedule"))
    last = _dict(status.get("lastExecution"))
    quarantine = _dict(status.get("quarantine"))
    code = _text(status.get("code"))
    failed = _text(last.get("state")).lower() == "failed"
    if code == "Quarantine" or quarantine:
        state = QUARANTINED
    elif failed:
        state = FAILING
    elif code == "Paused" or _text(schedule.get("state")) == "Paused":
        state = PAUSED
    elif code in ("NotRun", "NotConfigured"):
        state = NOT_RUN
    else:
        state = ACTIVE
    return {
        "id": _text(job.get("id")),
        "template": _text(job.get("templateId")),
        "state": state,
        "code": code,
        "schedule": _text(schedule.get("state")),
        "interval": _text(schedule.get("interval")),
        "last_run": _text(last.get("state")) or None,
        "last_run_ended": _text(last.get("timeEnded")) or None,
        "last_error": _error(last.get("error")),
        "quarantine_reason": _text(quarantine.get("reason")) or None,
        "quarantined_since": _text(quarantine.get("currentBegan")) or None,
        "next_attempt": _text(quarantine.get("nextAttempt")) or None,
        "quarantine_error": _error(quarantine.get("error")),
    }


# An ISO 8601 duration as Graph writes a schedule's interval (PT40M, P1D, PT1H30M).
_DURATION = re.compile(r"P(?:(?P<day>\d+)D)?(?:T(?:(?P<hour>\d+)H)?(?:(?P<minute>\d+)M)?(?:(?P<second>\d+)S)?)?\Z")


def interval_words(interval: str) -> str:
    """ "every 40 minutes" for PT40M, "every hour" for PT1H; what Graph wrote if it is not a
    duration syncsecrets can read (it is shown, not interpreted)."""
    found = _DURATION.match(interval)
    parts = [(int(found[unit]), unit) for unit in ("day", "hour", "minute", "second") if found and found[unit]]
    parts = [(count, unit) for count, unit in parts if count]
    if not parts:
        return interval
    if len(parts) == 1 and parts[0][0] == 1:
        return f"every {parts[0][1]}"
    return "every " + " ".join(f"{count} {unit}{'s' if count != 1 else ''}" for count, unit in parts)


def job_lines(summary: dict) -> list[str]:
    schedule = f"; schedule {summary['schedule']}" if summary["schedule"] else ""
    every = f", {interval_words(summary['interval'])}" if summary["interval"] else ""
    lines = [f"job {summary['id']} ({summary['template']}): {summary['code'] or 'no status'}{schedule}{every}"]
    if summary["last_run"]:
        ended = f" at {summary['last_run_ended']}" if summary["last_run_ended"] else ""
        error = f": {summary['last_error']}" if summary["last_error"] else ""
        lines.append(f"  last run: {summary['last_run']}{ended}{error}")
    if summary["state"] == QUARANTINED:
        since = f" since {summary['quarantined_since']}" if summary["quarantined_since"] else ""
        attempt = f"; next attempt {summary['next_attempt']}" if summary["next_attempt"] else ""
        reason = summary["quarantine_reason"] or "reason not given"
        lines.append(f"  quarantined{since}: {reason}{attempt}")
        if summary["quarantine_error"]:
            lines.append(f"  {summary['quarantine_error']}")
    return lines


def status_all(
    client: GraphClient,
    plans: list[TargetPlan],
    jobs: int,
    done: Callable[[TargetPlan, TargetPlan], None] | None = None,
) -> BaseException | None:
    _results, interrupted = run_all(plans, lambda plan: status_target(client, plan), jobs, client.stop, done)
    return interrupted


def _error(value: object) -> str | None:
    error = _dict(value)
    text = ": ".join(part for part in (_text(error.get("code")), _text(error.get("message"))) if part)
    return clean_message(text) if text else None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return clean_message(value) if isinstance(value, str) else ""

"""The pure parts of the job as code, data-driven: the job action of every row of the contract's
table, provisionOnDemand answers (Microsoft's published examples), the pacer, the schedule in
words, and the catalog's key families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.catalog.keys import KEYS, Family, is_connectivity
from compiler.graph.client import GraphError
from compiler.graph.job_action import WrongTemplate, classify_job
from compiler.graph.jobs import JobChoice
from compiler.graph.provision import Pacer, outcome_lines, parse_answer, rules_for
from compiler.graph.status import interval_words
from compiler.profile.job import JobSpec
from compiler.sandbox.schemas import template_schema as default_schema
from tests.fakes.clock import FakeClock

CASES = Path(__file__).parent / "provision_cases"


def job(status: str, schedule: str, reason: str | None = None, template: str = "scim", id_: str = "scim.1") -> dict:
    quarantine = {"reason": reason, "currentBegan": "2026-01-01T00:00:00Z"} if reason else None
    return {
        "id": id_,
        "templateId": template,
        "schedule": {"interval": "PT40M", "state": schedule},
        "status": {"code": status, "quarantine": quarantine},
    }


QUARANTINE = "EncounteredQuarantineException"
ROWS = [
    # (state, jobs, sends credentials, action, old)
    ("active", [], True, "create", None),
    ("paused", [], True, "create", None),
    ("active", [job("NotConfigured", "Disabled")], True, "start", "NotConfigured"),
    ("active", [job("Paused", "Paused")], True, "start", "Paused"),
    ("active", [job("NotRun", "Active")], True, "same", "NotRun"),  # started, first cycle pending: running
    ("active", [job("Active", "Active")], True, "same", "Active"),
    ("paused", [job("Active", "Active")], True, "pause", "Active"),
    ("paused", [job("NotRun", "Active")], True, "pause", "NotRun"),
    ("paused", [job("Paused", "Paused")], True, "same", "Paused"),
    ("paused", [job("NotConfigured", "Disabled")], True, "same", "NotConfigured"),
    ("active", [job("Quarantine", "Active", QUARANTINE)], True, "heal", "Quarantine"),
    ("active", [job("Quarantine", "Active", QUARANTINE)], False, "quarantined", "Quarantine"),
    ("active", [job("Quarantine", "Active", "TooManyDeletes")], True, "quarantined", "Quarantine"),
    ("active", [job("Quarantine", "Active", "EncounteredBaseEscrowThreshold")], True, "quarantined", "Quarantine"),
    ("active", [job("Quarantine", "Active")], True, "quarantined", "Quarantine"),  # no reason given
    (
        "active",
        [job("Active", "Active", template="Other", id_="Other.1"), job("Paused", "Paused")],
        True,
        "start",
        "Paused",
    ),  # the job of the profile's template is the one
]


@pytest.mark.parametrize(("state", "jobs", "sends", "action", "old"), ROWS)
def test_every_row_of_the_job_table(state, jobs, sends, action, old) -> None:
    found = classify_job(JobSpec("scim", state), jobs, sends, "p.toml", principal="sp")
    assert (found.action, found.old, found.new) == (action, old, state)


def test_a_quarantine_keeps_graphs_reason() -> None:
    found = classify_job(JobSpec("scim", "active"), [job("Quarantine", "Active", "TooManyDeletes")], True, "p.toml")
    assert found.reason == "TooManyDeletes"


def test_jobs_all_of_another_template_name_both_templates() -> None:
    with pytest.raises(WrongTemplate) as raised:
        classify_job(
            JobSpec("scim", "active"),
            [job("Active", "Active", template="aws", id_="aws.1")],
            True,
            "p.toml",
            principal="sp",
        )
    assert "'scim'" in raised.value.problem.message and "'aws'" in raised.value.problem.message


def test_several_jobs_of_the_template_need_job_id() -> None:
    jobs = [job("Active", "Active", id_="scim.1"), job("Paused", "Paused", id_="scim.2")]
    with pytest.raises(JobChoice):
        classify_job(JobSpec("scim", "active"), jobs, True, "p.toml")
    assert classify_job(JobSpec("scim", "active"), jobs, True, "p.toml", job_id="scim.2").action == "start"


def test_microsofts_example_of_a_user_already_in_sync() -> None:
    outcome = parse_answer(json.loads((CASES / "user-skipped.json").read_text()))
    assert outcome.status == "Skipped" and not outcome.failed
    assert [(step.type, step.status) for step in outcome.steps] == [
        ("Import", "Success"),
        ("Matching", "Success"),
        ("Scoping", "Success"),
        ("Export", "Skipped"),
    ]
    assert outcome_lines(outcome)[-1] == "skipped"


def test_microsofts_example_of_a_group_has_no_steps() -> None:
    outcome = parse_answer(json.loads((CASES / "group-success.json").read_text()))
    assert (outcome.status, outcome.steps, outcome.failed) == ("Success", (), False)


def test_a_failed_step_is_named_with_why() -> None:
    value = {
        "provisioningSteps": [
            {"name": "EntryImport", "type": "Import", "status": "Success", "description": "Retrieved User 'a'"},
            {
                "name": "EntryExportAdd",
                "type": "Export",
                "status": "Failure",
                "description": "Creating 'a' failed",
                "details": {"Reason": "The SCIM endpoint answered 409"},
            },
        ],
        "statusInfo": {
            "status": "Failure",
            "errorInformation": {"errorCode": "SCIMConflict", "reason": "Already exists"},
        },
    }
    outcome = parse_answer({"key": json.dumps({"result": "Failure"}), "value": json.dumps(value)})
    assert outcome.failed and outcome.failed_step.name == "EntryExportAdd"
    lines = outcome_lines(outcome)
    assert "Reason: The SCIM endpoint answered 409" in lines[2]
    assert lines[-1] == "failed at step EntryExportAdd (Export): SCIMConflict: Already exists"


@pytest.mark.parametrize(
    "answer",
    [[], {"key": 1}, {"value": "not json"}, {"value": "[1]"}, {"value": json.dumps({"provisioningSteps": {}})}],
)
def test_a_broken_answer_is_a_graph_error(answer) -> None:
    with pytest.raises(GraphError):
        parse_answer(answer)


def test_the_rule_for_an_object_type_comes_from_the_schema() -> None:
    schema = default_schema("scim")
    assert [rule for rule, _ in rules_for(schema, "user")] == ["03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8"]
    assert rules_for(schema, "Device") == []


def test_the_pacer_keeps_to_five_calls_in_ten_seconds() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    sent = []
    for _ in range(12):
        pacer.wait_turn()
        sent.append(clock.now())
        clock.sleep(0.5)
    assert all(sum(1 for at in sent if start <= at < start + 10) <= 5 for start in sent)
    assert sent[5] == sent[0] + 10  # the 6th waits for the 1st to leave the window, not longer


@pytest.mark.parametrize(
    ("interval", "words"),
    [
        ("PT40M", "every 40 minutes"),
        ("PT1H", "every hour"),
        ("PT1H30M", "every 1 hour 30 minutes"),
        ("P1D", "every day"),
        ("PT2H", "every 2 hours"),
        ("P1DT2H1M", "every 1 day 2 hours 1 minute"),
        ("PT1H0M", "every hour"),  # a zero part is left out
        ("PT0M", "PT0M"),  # no time at all: shown as Graph wrote it
        ("weekly", "weekly"),
    ],
)
def test_the_schedule_in_words(interval: str, words: str) -> None:
    assert interval_words(interval) == words


def test_job_settings_are_not_connectivity() -> None:
    settings = {key.graph for key in KEYS if key.family is Family.JOB_SETTING}
    assert {"SyncAll", "SkipOutOfScopeDeletions", "SyncNotificationSettings", "SynchronizationSchedule"} <= settings
    assert not any(key.sensitive or key.receives_credentials for key in KEYS if key.graph in settings)
    assert is_connectivity("SecretToken") and is_connectivity("BaseAddress") and is_connectivity("SomeRawKey")
    assert not is_connectivity("SyncAll")

"""The fake Graph behaves as documented in tests/fakes/README.md: the plan and apply tests
rely on it, so its behaviour is pinned here with a plain HTTP client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from compiler.sandbox.faults import http_date
from compiler.sandbox.graph import FakeGraph
from tests.fakes.authority import FakeAuthority
from tests.fakes.fixtures import TENANT_ID
from tests.fakes.tls import TestTLS

SP = "5a5a5a5a-0000-4000-8000-000000000001"
SECRETS = f"/v1.0/servicePrincipals/{SP}/synchronization/secrets"


@pytest.fixture
def api(tls: TestTLS, authority: FakeAuthority, graph: FakeGraph) -> Iterator[httpx.Client]:
    token = authority.issue_token(TENANT_ID, audience=graph.url)
    with httpx.Client(
        base_url=graph.url, verify=tls.client_context(), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as client:
        yield client


def put(api: httpx.Client, pairs: dict[str, str], path: str = SECRETS) -> httpx.Response:
    return api.put(path, json={"value": [{"key": k, "value": v} for k, v in pairs.items()]})


def shown(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {pair["key"]: pair["value"] for pair in response.json()["value"]}


def test_get_masks_secrets_and_shows_the_rest(api, graph):
    settings = '{"Enabled":true,"Recipients":"ops@contoso.example"}'
    graph.add_principal(
        SP, {"BaseAddress": "https://scim.example/v2", "SecretToken": "s3cret", "SyncNotificationSettings": settings}
    )
    response = api.get(SECRETS)
    assert shown(response) == {
        "BaseAddress": "https://scim.example/v2",
        "SecretToken": "*",
        "SyncNotificationSettings": settings,
    }
    assert response.json()["@odata.context"].startswith(f"{graph.url}/v1.0/$metadata#")
    assert "@odata.nextLink" not in response.json()


def test_app_key_is_masked_unless_it_holds_json(api, graph):
    graph.add_principal(SP, {"AppKey": '{"appKeyScenario":"AD2AADPasswordHash"}'})
    assert shown(api.get(SECRETS)) == {"AppKey": '{"appKeyScenario":"AD2AADPasswordHash"}'}
    graph.add_principal(SP, {"AppKey": "plain-key"})
    assert shown(api.get(SECRETS)) == {"AppKey": "*"}


def test_beta_serves_the_same_secrets(api, graph):
    graph.add_principal(SP, {"SyncAll": "True"})
    assert shown(api.get(SECRETS.replace("/v1.0/", "/beta/"))) == {"SyncAll": "True"}


def test_put_merges_by_default_and_empty_value_removes(api, graph):
    graph.add_principal(SP, {"BaseAddress": "https://old.example", "SecretToken": "t1", "SyncAll": "False"})
    response = put(api, {"SyncAll": "True", "SecretToken": "", "SkipOutOfScopeDeletions": "True"})
    assert response.status_code == 204 and response.content == b""
    assert graph.pairs(SP) == {
        "BaseAddress": "https://old.example",
        "SyncAll": "True",
        "SkipOutOfScopeDeletions": "True",
    }
    assert list(graph.pairs(SP)) == ["BaseAddress", "SyncAll", "SkipOutOfScopeDeletions"]  # stored order
    assert graph.puts(SP) == [
        {
            "value": [
                {"key": "SyncAll", "value": "True"},
                {"key": "SecretToken", "value": ""},
                {"key": "SkipOutOfScopeDeletions", "value": "True"},
            ]
        }
    ]


def test_put_replaces_the_whole_set_in_replace_mode(api, graph):
    graph.semantics = "replace"
    graph.add_principal(SP, {"BaseAddress": "https://old.example", "SecretToken": "t1", "SyncAll": "False"})
    assert put(api, {"BaseAddress": "https://new.example", "SyncAll": ""}).status_code == 204
    assert graph.pairs(SP) == {"BaseAddress": "https://new.example"}


@pytest.mark.parametrize("semantics", ["merge", "replace"])
def test_empty_notification_settings_is_refused_with_a_nested_error(api, graph, semantics):
    graph.semantics = semantics
    before = {"SecretToken": "t1", "SyncNotificationSettings": '{"Enabled":false}'}
    graph.add_principal(SP, before)
    response = put(api, {"SecretToken": "t2", "SyncNotificationSettings": ""})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "UnknownError"
    assert json.loads(error["message"])["code"] == "InvalidNotificationSettings"
    assert graph.pairs(SP) == before  # all or nothing


def test_domain_can_be_cleared_unless_stored_as_json(api, graph):
    graph.add_principal(SP, {"Domain": "contoso.example"})
    assert put(api, {"Domain": ""}).status_code == 204
    assert graph.pairs(SP) == {}
    graph.add_principal(SP, {"Domain": '{"domain":"contoso.example"}'})
    assert put(api, {"Domain": ""}).status_code == 400
    assert put(api, {"Domain": "{}"}).status_code == 204  # accepted, and the key stays
    assert graph.pairs(SP) == {"Domain": "{}"}


@pytest.mark.parametrize(
    "body",
    [
        {"value": [{"key": "NotAGraphKey", "value": "x"}]},
        {"value": [{"key": "SyncAll", "value": True}]},
        {"value": [{"value": "x"}]},
        {"values": []},
        [],
    ],
)
def test_malformed_bodies_are_refused(api, graph, body):
    graph.add_principal(SP, {"SyncAll": "False"})
    response = api.put(SECRETS, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert graph.pairs(SP) == {"SyncAll": "False"}


@pytest.mark.parametrize("value", ["*", "<unrevealed env:SCIM_TOKEN>"])
def test_a_mask_or_placeholder_sent_as_a_value_is_a_violation(api, graph, value):
    graph.add_principal(SP, {"SecretToken": "real"})
    response = put(api, {"SecretToken": value})
    assert response.status_code == 400
    # Worded as Graph words a refusal: sandbox users read it, and it is no test's business there.
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid value for a synchronization secret: SecretToken: ")
    assert "fake" not in message.lower() and "test" not in message.lower()
    assert graph.pairs(SP) == {"SecretToken": "real"}
    assert len(graph.violations) == 1 and "SecretToken" in graph.violations[0]
    graph.violations.clear()  # the fixture's finalizer would (rightly) fail this test otherwise


def test_unknown_principal_is_404_and_another_tenants_principal_too(api, graph):
    response = api.get(SECRETS)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"
    graph.add_principal(SP, {"SyncAll": "True"}, tenant_id="99999999-9999-4999-8999-999999999999")
    assert api.get(SECRETS).status_code == 404


def test_unsupported_method_and_unknown_path(api, graph):
    graph.add_principal(SP)
    assert api.delete(SECRETS).status_code == 405
    response = api.get(f"/v1.0/servicePrincipals/{SP}/synchronization/nothing")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Resource not found for the segment 'nothing'."


def test_paging_follows_absolute_next_links(api, graph):
    pairs = {
        "UserName": "u",
        "Password": "p",
        "BaseAddress": "https://b.example",
        "SyncAll": "True",
        "InstanceName": "i",
    }
    graph.add_principal(SP, pairs)
    graph.page_size = 2
    seen, url, pages = [], SECRETS, 0
    while url and pages < 10:
        response = api.get(url)
        assert response.status_code == 200
        seen += response.json()["value"]
        url = response.json().get("@odata.nextLink")
        assert url is None or url.startswith(f"{graph.url}/v1.0/")
        pages += 1
    assert pages == 3
    assert {p["key"]: p["value"] for p in seen} == {**pairs, "Password": "*"}
    assert [p["key"] for p in seen] == list(pairs)


def test_a_next_link_needs_a_token_too(api, graph, tls):
    graph.add_principal(SP, {"UserName": "u", "SyncAll": "True"})
    graph.page_size = 1
    next_link = api.get(SECRETS).json()["@odata.nextLink"]
    assert httpx.get(next_link, verify=tls.client_context()).status_code == 401


def test_lag_serves_the_previous_state_for_n_reads(api, graph):
    graph.add_principal(SP, {"SyncAll": "False"})
    graph.lag = 2
    assert put(api, {"SyncAll": "True"}).status_code == 204
    assert [shown(api.get(SECRETS)) for _ in range(3)] == [
        {"SyncAll": "False"},
        {"SyncAll": "False"},
        {"SyncAll": "True"},
    ]
    assert graph.pairs(SP) == {"SyncAll": "True"}  # the truth never lags


def test_latency_delays_every_request(api, graph):
    graph.add_principal(SP)
    graph.latency = 0.2
    started = time.monotonic()
    assert api.get(SECRETS).status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "InvalidAuthenticationToken"),
        (403, "Authorization_RequestDenied"),
        (404, "Request_ResourceNotFound"),
        (409, "Conflict"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
        (504, "GatewayTimeout"),
    ],
)
def test_scripted_faults_answer_with_graphs_error_shape(api, graph, status, code):
    graph.add_principal(SP, {"SyncAll": "False"})
    graph.fault(status)
    response = put(api, {"SyncAll": "True"})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert graph.pairs(SP) == {"SyncAll": "False"}  # a failed PUT changed nothing
    assert put(api, {"SyncAll": "True"}).status_code == 204  # consumed: the next one goes through
    assert graph.pairs(SP) == {"SyncAll": "True"}


def test_client_request_id_is_echoed(api, graph):
    graph.fault(500)
    response = api.get(SECRETS, headers={"client-request-id": "abc-123"})
    assert response.json()["error"]["innerError"]["client-request-id"] == "abc-123"
    assert response.headers["client-request-id"] == "abc-123"


def test_retry_after_in_seconds_or_as_an_http_date(api, graph):
    graph.add_principal(SP)
    graph.fault(429, retry_after=3)
    graph.fault(503, retry_after=http_date(2))
    assert api.get(SECRETS).headers["Retry-After"] == "3"
    when = parsedate_to_datetime(api.get(SECRETS).headers["Retry-After"])
    assert 0 < when.timestamp() - time.time() <= 3
    assert "Retry-After" not in api.get(SECRETS).headers


def test_faults_are_filtered_counted_and_taken_in_order(api, graph):
    graph.add_principal(SP)
    graph.fault(409, method="PUT", times=2)
    graph.fault(503)
    graph.fault(500)
    assert [api.get(SECRETS).status_code for _ in range(3)] == [503, 500, 200]  # the PUT fault waits
    assert [put(api, {"SyncAll": "True"}).status_code for _ in range(3)] == [409, 409, 204]
    assert graph.pending_faults == []


def test_a_fault_for_one_principal_leaves_others_alone(api, graph):
    graph.add_principal(SP)
    graph.add_principal("other")
    graph.fault(429, sp_id="other", code="Throttled", message="slow down")
    assert api.get(SECRETS).status_code == 200
    response = api.get(SECRETS.replace(SP, "other"))
    assert (response.status_code, response.json()["error"]["code"], response.json()["error"]["message"]) == (
        429,
        "Throttled",
        "slow down",
    )


def test_an_applied_fault_loses_only_the_reply(api, graph):
    graph.add_principal(SP, {"SyncAll": "False"})
    graph.fault(504, method="PUT", applied=True)
    assert put(api, {"SyncAll": "True"}).status_code == 504
    assert graph.pairs(SP) == {"SyncAll": "True"}


def test_a_reset_drops_the_connection_without_applying(api, graph):
    graph.add_principal(SP, {"SyncAll": "False"})
    graph.fault(0, method="PUT")
    with pytest.raises(httpx.TransportError):
        put(api, {"SyncAll": "True"})
    assert graph.pairs(SP) == {"SyncAll": "False"}
    assert graph.journal[-1].status == 0
    assert put(api, {"SyncAll": "True"}).status_code == 204  # the client reconnects


def test_missing_token_is_refused_and_journaled(tls, graph):
    graph.add_principal(SP)
    response = httpx.get(f"{graph.url}{SECRETS}", verify=tls.client_context())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert [(r.method, r.status, r.authorized, r.tenant) for r in graph.journal] == [("GET", 401, False, None)]


def token_refusals(authority: FakeAuthority, graph: FakeGraph) -> dict[str, str]:
    stranger = FakeAuthority()  # same shape, different key: not issued by our authority
    stranger.host = authority.host
    good = authority.issue_token(TENANT_ID, audience=graph.url)
    header, payload, signature = good.split(".")
    return {
        "not a JWT": "opaque-token",
        "foreign": stranger.issue_token(TENANT_ID, audience=graph.url),
        "tampered": f"{header}.{payload}x.{signature}",
        "wrong audience": authority.issue_token(TENANT_ID, audience="https://graph.microsoft.com"),
        "expired": authority.issue_token(TENANT_ID, audience=graph.url, expires_in=-5),
    }


@pytest.mark.parametrize("kind", ["not a JWT", "foreign", "tampered", "wrong audience", "expired"])
def test_tokens_the_authority_did_not_issue_for_this_graph_are_refused(tls, authority, graph, kind):
    graph.add_principal(SP)
    token = token_refusals(authority, graph)[kind]
    response = httpx.get(
        f"{graph.url}{SECRETS}", verify=tls.client_context(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert graph.journal[-1].authorized is False


def test_the_journal_records_tenant_and_bodies(api, graph):
    graph.add_principal(SP)
    put(api, {"SyncAll": "True"})
    api.get(SECRETS, params={"$top": "5"})
    assert [(r.method, r.status, r.authorized, r.tenant) for r in graph.journal] == [
        ("PUT", 204, True, TENANT_ID),
        ("GET", 200, True, TENANT_ID),
    ]
    assert graph.journal[0].body == {"value": [{"key": "SyncAll", "value": "True"}]}
    assert graph.journal[1].query == {"$top": "5"} and graph.journal[1].body is None


def test_jobs_are_listed_and_fetched(api, graph):
    graph.add_principal(SP)
    graph.add_job(SP, "scim.0123", "scim", status="Quarantine")
    jobs = f"/v1.0/servicePrincipals/{SP}/synchronization/jobs"
    listed = api.get(jobs).json()["value"]
    assert [(j["id"], j["templateId"], j["status"]["code"]) for j in listed] == [("scim.0123", "scim", "Quarantine")]
    assert api.get(f"{jobs}/scim.0123").json()["id"] == "scim.0123"
    assert api.get(f"{jobs}/missing").status_code == 404


def test_parallel_requests_are_all_served(api, graph):
    from concurrent.futures import ThreadPoolExecutor

    principals = [f"sp-{n}" for n in range(6)]
    for sp_id in principals:
        graph.add_principal(sp_id, {"SyncAll": "False"})
    graph.latency = 0.1  # keeps requests in flight together
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(lambda sp_id: put(api, {"SyncAll": "True"}, SECRETS.replace(SP, sp_id)).status_code, principals)
        )
    assert statuses == [204] * 6
    assert all(graph.pairs(sp_id) == {"SyncAll": "True"} for sp_id in principals)
    assert len(graph.journal) == 6


JOBS = f"/v1.0/servicePrincipals/{SP}/synchronization/jobs"


def validate(api: httpx.Client, credentials: dict[str, str], use_saved: bool = False) -> httpx.Response:
    return api.post(
        f"{JOBS}/scim.1/validateCredentials",
        json={
            "useSavedCredentials": use_saved,
            "credentials": [{"key": k, "value": v} for k, v in credentials.items()],
        },
    )


def test_validate_credentials_tests_the_given_or_the_saved_credentials(api, graph):
    graph.add_principal(SP, {"BaseAddress": "https://scim.example", "SecretToken": "stale"})
    graph.add_job(SP, "scim.1", "scim", accepts={"SecretToken": "good"})
    assert validate(api, {"BaseAddress": "https://scim.example", "SecretToken": "good"}).status_code == 204
    refused = validate(api, {"SecretToken": "wrong"})
    assert refused.status_code == 400
    assert json.loads(refused.json()["error"]["message"])["code"].endswith("CredentialValidationUnavailable")
    assert validate(api, {"SecretToken": "good"}, use_saved=True).status_code == 400  # the saved one is stale
    assert graph.pairs(SP)["SecretToken"] == "stale"  # validating never stores


def test_validate_credentials_refuses_a_mask_as_a_violation(api, graph):
    graph.add_principal(SP)
    graph.add_job(SP, "scim.1", "scim")
    assert validate(api, {"SecretToken": "*"}).status_code == 400
    assert len(graph.violations) == 1
    graph.violations.clear()


def test_jobs_start_and_pause(api, graph):
    graph.add_principal(SP)
    graph.add_job(SP, "scim.1", "scim", status="Quarantine")
    assert api.post(f"{JOBS}/scim.1/pause").status_code == 204
    assert graph.job_status(SP, "scim.1") == "Paused"
    assert api.post(f"{JOBS}/scim.1/start").status_code == 204
    assert graph.job_status(SP, "scim.1") == "Active"
    assert api.post(f"{JOBS}/missing/start").status_code == 404


@pytest.mark.parametrize("obstacle", ["fault", "no token"])
def test_a_violation_is_recorded_even_when_the_request_fails_otherwise(api, graph, tls, obstacle):
    graph.add_principal(SP, {"SecretToken": "real"})
    body = {"value": [{"key": "SecretToken", "value": "<unrevealed env:SCIM_TOKEN>"}]}
    if obstacle == "fault":
        graph.fault(503)
        assert api.put(SECRETS, json=body).status_code == 503
    else:
        assert httpx.put(f"{graph.url}{SECRETS}", json=body, verify=tls.client_context()).status_code == 401
    assert len(graph.violations) == 1
    graph.violations.clear()


def test_a_scripted_redirect_points_elsewhere(api, graph, elsewhere, tls):
    graph.add_principal(SP)
    graph.fault(307, location=f"{elsewhere.url}{SECRETS}")
    response = api.get(SECRETS)  # httpx does not follow redirects unless asked
    assert (response.status_code, response.headers["Location"]) == (307, f"{elsewhere.url}{SECRETS}")
    assert api.get(SECRETS).status_code == 200  # no fault left: served normally
    assert elsewhere.requests == []
    httpx.get(response.headers["Location"], verify=tls.client_context(), headers={"Authorization": "Bearer x"})
    assert elsewhere.tokens_received == 1


def test_missing_permissions_as_graph_reports_them(api, graph):
    graph.add_principal(SP)
    graph.fault(401, code="UnknownError", message="")  # 401 rather than 403, with an empty message
    error = api.get(SECRETS).json()["error"]
    assert (error["code"], error["message"]) == ("UnknownError", "")


def test_a_job_status_carries_graphs_execution_and_quarantine(api, graph):
    graph.add_principal(SP)
    failed = {
        "state": "Failed",
        "timeEnded": "2026-11-27T09:00:00Z",
        "error": {"code": "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable", "message": "401"},
    }
    quarantine = {
        "reason": "EncounteredQuarantineException",
        "currentBegan": "2026-11-27T08:00:00Z",
        "nextAttempt": "2026-11-27T20:00:00Z",
    }
    graph.add_job(SP, "scim.1", "scim", status="Quarantine", last_execution=failed, quarantine=quarantine, failures=3)
    status = api.get(f"{JOBS}/scim.1").json()["status"]
    assert (
        status["code"],
        status["lastExecution"],
        status["quarantine"],
        status["countSuccessiveCompleteFailures"],
    ) == ("Quarantine", failed, quarantine, 3)
    assert status["lastSuccessfulExecution"] is None
    assert api.post(f"{JOBS}/scim.1/start").status_code == 204  # start lifts the quarantine
    assert api.get(f"{JOBS}/scim.1").json()["status"]["quarantine"] is None

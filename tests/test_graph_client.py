"""The Graph client without a server: the retry policy, errors, hosts, paging (httpx.MockTransport)."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from compiler.graph.auth import TokenSource, claims, token_tenant
from compiler.graph.client import GraphClient, GraphError, unwrap
from compiler.graph.connection import Connection, connect
from compiler.graph.endpoints import check_sendable, read_secrets, write_secrets
from compiler.graph.pool import run_all
from compiler.graph.retry import RetryPolicy, backoff, parse_retry_after, wait_before_retry
from compiler.graph.throttle import Throttle
from compiler.problems import UserError
from tests.fakes.clock import FakeClock

ROOT = "https://graph.example.test"
CONNECTION = Connection(ROOT, "v1.0", "https://login.example.test")
TOKEN = "header.eyJ0aWQiOiAiVCJ9.canary-token-signature"
SP = "2f9f1c9e-1b7a-4c1e-9a55-0c9e2d1f7b10"
POLICY = RetryPolicy()


def client_for(
    handler, policy: RetryPolicy = POLICY, jobs: int = 4
) -> tuple[GraphClient, list[httpx.Request], FakeClock]:
    """A client of `handler(request, count)`; its waits take no time and are in the clock's `sleeps`."""
    seen: list[httpx.Request] = []
    lock = threading.Lock()

    def record(request: httpx.Request) -> httpx.Response:
        with lock:
            seen.append(request)
            count = len(seen)
        return handler(request, count)

    clock = FakeClock()
    tokens = TokenSource(lambda: (TOKEN, 4102444800.0))
    client = GraphClient(
        CONNECTION, tokens, jobs=jobs, policy=policy, transport=httpx.MockTransport(record), clock=clock
    )
    return client, seen, clock


def odata_error(status: int, code: str, message: str, headers: dict | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "req-123"}}}
    return httpx.Response(status, json=body, headers=headers or {})


# -- the policy, as pure functions ---------------------------------------------------------------
def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now.timestamp()) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now.timestamp()) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("\u00b2") is None  # a digit to str.isdigit, not to float()
    assert parse_retry_after("\u0661") is None  # delta-seconds are ASCII digits
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("status", [429, 503, 504])
def test_throttling_waits_what_graph_asks_as_often_as_the_budget_allows(status: int) -> None:
    assert wait_before_retry(POLICY, 1, status, "3", 0.0) == 3.0
    assert wait_before_retry(POLICY, 50, status, "3", 0.0) == 3.0  # tries are not counted
    assert wait_before_retry(POLICY, 50, status, "3", 117.0) == 3.0
    assert wait_before_retry(POLICY, 50, status, "3", 117.5) is None  # the time is
    assert wait_before_retry(POLICY, 2, status, "0", 0.0) == POLICY.least  # never a retry at once


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(status: int) -> None:
    assert wait_before_retry(POLICY, 1, status, "1", 0.0) is None


@pytest.mark.parametrize("status", [None, 500, 502])
def test_connection_errors_and_other_5xx_are_retried_a_few_times(status: int | None) -> None:
    assert wait_before_retry(POLICY, 1, status, None, 0.0, other_failures=1) is not None
    assert wait_before_retry(POLICY, 2, status, None, 0.0, other_failures=2) is not None
    assert wait_before_retry(POLICY, 3, status, None, 0.0, other_failures=3) is None
    # Throttling before does not count against the few tries of a failing connection.
    assert wait_before_retry(POLICY, 3, status, None, 0.0, other_failures=1) is not None


def test_waiting_is_bounded_per_request() -> None:
    assert wait_before_retry(POLICY, 1, 429, "121", 0.0) is None
    assert wait_before_retry(POLICY, 2, 429, "30", 100.0) is None
    assert wait_before_retry(POLICY, 2, 429, "20", 100.0) == 20.0


def test_backoff_is_exponential_with_jitter() -> None:
    rng = random.Random(1)
    for attempt in range(1, 8):
        ceiling = min(POLICY.cap, POLICY.base * 2 ** (attempt - 1))
        delays = {backoff(POLICY, attempt, rng) for _ in range(50)}
        assert all(0.1 <= delay <= max(0.1, ceiling) for delay in delays)
        assert len(delays) > 1  # jitter: not all the same


# -- the client ----------------------------------------------------------------------------------
def test_throttled_request_is_retried_after_retry_after() -> None:
    def handler(request, count):
        if count < 3:
            return odata_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "2"})
        return httpx.Response(200, json={"value": [{"key": "SyncAll", "value": "True"}]})

    client, seen, clock = client_for(handler)
    assert read_secrets(client, SP) == [("SyncAll", "True")]
    assert len(seen) == 3 and clock.sleeps == [2.0, 2.0]
    assert all(request.headers["Authorization"] == f"Bearer {TOKEN}" for request in seen)


def test_throttling_without_retry_after_backs_off_then_gives_up_with_the_request_id() -> None:
    client, seen, clock = client_for(lambda request, count: odata_error(503, "ServiceUnavailable", "busy"))
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert len(clock.sleeps) == len(seen) - 1 and len(seen) > 5  # as long as the budget lasts
    assert sum(clock.sleeps) <= POLICY.budget < sum(clock.sleeps) + POLICY.cap
    error = raised.value
    assert (error.status, error.code, error.request_id) == (503, "ServiceUnavailable", "req-123")
    assert f"after {len(seen)} attempts" in str(error) and TOKEN not in str(error)


def test_retry_after_zero_forever_ends_within_the_budget() -> None:
    client, seen, clock = client_for(
        lambda request, count: odata_error(429, "TooManyRequests", "slow down", {"Retry-After": "0"})
    )
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert raised.value.status == 429
    assert clock.sleeps == pytest.approx([POLICY.least] * (len(seen) - 1))
    assert sum(clock.sleeps) == pytest.approx(POLICY.budget, abs=POLICY.least)


def test_a_burst_of_429_fails_no_request_that_has_budget_left() -> None:
    """Eight tries answered 429 (Retry-After: 1) in a row: the ninth succeeds, the budget barely touched."""

    def handler(request, count):
        if count <= 8:
            return odata_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"})
        return httpx.Response(200, json={"value": []})

    client, seen, clock = client_for(handler)
    assert read_secrets(client, SP) == []
    assert len(seen) == 9 and clock.sleeps == [1.0] * 8


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_refusals_are_reported_at_once(status: int) -> None:
    client, seen, _stop = client_for(lambda request, count: odata_error(status, "Denied", "no"))
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert len(seen) == 1 and raised.value.status == status
    assert str(raised.value) == f"HTTP {status}: Denied: no (request-id req-123)"


def test_connection_errors_are_retried_then_reported() -> None:
    def handler(request, count):
        raise httpx.ConnectError("refused", request=request)

    client, seen, _stop = client_for(handler)
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert len(seen) == 3 and raised.value.status is None and raised.value.code == "ConnectError"
    assert str(raised.value) == "ConnectError: no answer from graph.example.test: the connection failed (retried)"


def test_a_nested_json_message_is_unwrapped() -> None:
    inner = json.dumps({"code": "InvalidNotificationSettings", "message": "Notification settings are invalid."})
    client, _seen, _stop = client_for(lambda request, count: odata_error(400, "UnknownError", inner))
    with pytest.raises(GraphError) as raised:
        write_secrets(client, SP, [("SyncNotificationSettings", "")])
    assert raised.value.code == "UnknownError: InvalidNotificationSettings"
    assert raised.value.message == "Notification settings are invalid."
    assert unwrap("A", "{not json") == ("A", "{not json")


def test_redirects_are_not_followed() -> None:
    client, seen, _stop = client_for(
        lambda request, count: httpx.Response(302, headers={"Location": "https://evil.example/steal"})
    )
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert len(seen) == 1 and raised.value.status == 302 and raised.value.code == "Redirect"


def test_the_token_goes_to_the_graph_root_only() -> None:
    client, seen, _stop = client_for(lambda request, count: httpx.Response(200, json={"value": []}))
    for url in ("https://evil.example/v1.0/x", "http://graph.example.test/v1.0/x", "https://graph.example.test:444/x"):
        with pytest.raises(GraphError):
            client.get(url)
    assert seen == []


def test_next_links_are_followed_on_the_same_host_only() -> None:
    def handler(request, count):
        if "skiptoken" not in str(request.url):
            return httpx.Response(
                200, json={"value": [{"key": "A", "value": "1"}], "@odata.nextLink": f"{ROOT}/v1.0/x?$skiptoken=2"}
            )
        if count == 2:
            return httpx.Response(
                200, json={"value": [{"key": "B", "value": "2"}], "@odata.nextLink": "https://evil.example/next"}
            )
        raise AssertionError("followed a foreign link")

    client, seen, _stop = client_for(handler)
    with pytest.raises(GraphError) as raised:
        read_secrets(client, SP)
    assert raised.value.code == "ForeignNextLink" and len(seen) == 2


def test_a_mask_or_a_placeholder_is_never_sent() -> None:
    client, seen, _stop = client_for(lambda request, count: httpx.Response(204))
    for value in ("*", "<unrevealed env:TOKEN>"):
        with pytest.raises(RuntimeError):
            write_secrets(client, SP, [("SecretToken", value)])
    assert seen == []
    check_sendable([("SecretToken", "real")])


def test_the_tenant_is_read_from_the_token() -> None:
    assert token_tenant(TOKEN) == "t"
    assert token_tenant("not-a-jwt") is None
    assert claims("a.%%%.c") == {}


# -- connection ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://graph.example.test",
        "ftp://x",
        "https://graph.example.test/v1.0",
        "https://u:p@h",
        "https://h?x=1",
        "https://xn--.example",
        "https://exa mple.example",
        "https://\uff47raph.microsoft.com",
        "https://a..example",
        "https://-x.example",
        "https://a%zz.example",
        "https://x_y.example",
    ],
)
def test_graph_url_must_be_https_or_loopback_and_a_bare_root(url: str) -> None:
    with pytest.raises(UserError):
        connect("global", url, "v1.0", {})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:5", "https://h.example/", "https://10.0.0.1"]
)
def test_loopback_http_and_any_https_root_are_accepted(url: str) -> None:
    assert connect("global", url, "v1.0", {}).root == url.rstrip("/")


def test_clouds_choose_the_root_and_the_authority() -> None:
    assert connect("usgov", None, "beta", {}) == Connection(
        "https://graph.microsoft.us", "beta", "https://login.microsoftonline.us"
    )
    assert connect("china", None, "v1.0", {}).root == "https://microsoftgraph.chinacloudapi.cn"
    custom = connect("global", None, "v1.0", {"AZURE_AUTHORITY_HOST": "https://127.0.0.1:9"})
    assert custom.authority == "https://127.0.0.1:9" and not custom.microsoft_authority
    assert connect("global", None, "v1.0", {}).microsoft_authority


@pytest.mark.parametrize(
    ("url", "owned"),
    [
        (f"{ROOT}/v1.0/next", True),
        ("https://graph.example.test:443/v1.0/next", True),  # the default port, spelled out
        ("https://GRAPH.example.test/v1.0/next", True),
        ("https://graph.example.test.evil.test/v1.0/next", False),
        ("https://graph.example.test@evil.test/v1.0/next", False),
        ("https://graph.example.test\\@evil.test/v1.0/next", False),
        ("http://graph.example.test/v1.0/next", False),
        ("https://graph.example.test:8443/v1.0/next", False),
        (f"{ROOT}/v1.0/next\n?page=2", False),  # urlsplit drops the line break; httpx refuses the URL
        (f"{ROOT}/v1.0/next\t", False),
        (f" {ROOT}/v1.0/next", False),
        ("//graph.example.test/v1.0/next", False),
    ],
)
def test_the_token_goes_where_the_http_client_would_send_it(url: str, owned: bool) -> None:
    assert CONNECTION.owns(url) is owned


def test_an_azure_error_quoting_a_secret_with_a_line_break_shows_none_of_it() -> None:
    """azure-identity's and Key Vault's messages (first_lines, for both) are cut into lines: a secret must be masked
    before, or the line holding its first half would be printed."""
    from compiler.graph.auth import first_lines
    from compiler.profile import references

    references.remember_secret("canary-first-half\ncanary-second-half")
    try:
        error = Exception("the service said: canary-first-half\ncanary-second-half was refused\nmore")
        assert "canary" not in first_lines(error)
    finally:
        references.SECRETS.clear()


# -- throttling shared by the workers ------------------------------------------------------------
def test_after_a_429_every_worker_waits_and_fewer_requests_are_in_flight() -> None:
    clock, stop = FakeClock(), threading.Event()
    throttle = Throttle(4, clock)
    burst = [throttle.enter(0.0, stop) for _ in range(4)]
    assert [waited for _ticket, waited in burst] == [0.0] * 4 and clock.sleeps == []
    throttle.leave(burst[0][0], 429, 1.0)
    assert throttle.limit == 2
    throttle.leave(burst[1][0], 429, 1.0)  # the same burst: no second cut
    assert throttle.limit == 2
    throttle.leave(burst[2][0], 200, None)
    throttle.leave(burst[3][0], 200, None)  # answered, but sent before the cut: 2 -> 3
    assert throttle.limit == 3
    # A worker that was not throttled itself waits for the shared time too.
    ticket, waited = throttle.enter(0.0, stop)
    assert (waited, clock.sleeps) == (1.0, [1.0])
    for _ in range(2):
        throttle.leave(ticket, 200, None)
        ticket, _waited = throttle.enter(0.0, stop)
    assert throttle.limit == 3
    for _ in range(3):
        throttle.leave(ticket, 200, None)
        ticket, _waited = throttle.enter(0.0, stop)
    assert throttle.limit == 4  # back up to --jobs, and no higher
    throttle.leave(ticket, 200, None)
    assert throttle.limit == 4


def test_a_stopped_run_sends_nothing_more_even_while_throttled() -> None:
    clock, stop = FakeClock(), threading.Event()
    throttle = Throttle(1, clock)
    ticket, _waited = throttle.enter(0.0, stop)
    throttle.leave(ticket, 429, 30.0)
    stop.set()
    assert throttle.enter(0.0, stop) is None and clock.sleeps == []


def test_workers_share_the_wait_and_no_request_fails_under_a_burst_of_429() -> None:
    """Four workers, the first eight requests answered 429 (Retry-After: 1): every read succeeds."""

    def handler(request, count):
        if count <= 8:
            return odata_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"})
        return httpx.Response(200, json={"value": []})

    client, seen, _clock = client_for(handler)
    results, interrupted = run_all(list(range(20)), lambda index: read_secrets(client, SP), 4, client.stop)
    assert interrupted is None and results == [[]] * 20
    assert len(seen) == 28


def test_a_signal_while_the_work_is_being_queued_is_reported_not_raised(monkeypatch) -> None:
    """Ctrl-C can land while run_all is still submitting: the run must still get its results
    (and report them) instead of the KeyboardInterrupt escaping with no report."""
    from concurrent.futures import ThreadPoolExecutor

    submitted = []
    real_submit = ThreadPoolExecutor.submit

    def submit(self, *args, **kwargs):
        if len(submitted) == 2:
            raise KeyboardInterrupt
        submitted.append(args)
        return real_submit(self, *args, **kwargs)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    stop = threading.Event()
    results, interrupted = run_all(list(range(5)), lambda item: item * 10, 2, stop)
    assert isinstance(interrupted, KeyboardInterrupt)
    assert stop.is_set()
    assert results[2:] == [None, None, None]
    assert all(result in (None, index * 10) for index, result in enumerate(results[:2]))

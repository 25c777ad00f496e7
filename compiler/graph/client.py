"""The HTTP client of the remote commands: httpx, the retry policy, Graph's errors made readable.

The bearer token goes only to the Graph root's scheme, host and port (`Connection.owns`), and
redirects are never followed: a 3xx is an error. Every failure becomes a `GraphError` that
names the HTTP status, Graph's error code and message (a JSON document nested in the message
unwrapped, as the synchronization service does) and the `request-id` Microsoft support asks for.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from .. import __version__
from ..escape import printable
from ..profile.secrets import scrub
from .answers import ACCEPT_ENCODING, AnswerError, ends_at, read_capped, too_slow
from .auth import TokenSource
from .connection import Connection, is_loopback, tls_context
from .retry import CLOCK, THROTTLED, Clock, RetryPolicy, retryable, wait_before_retry
from .throttle import Throttle

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_MESSAGE = 500


class GraphError(Exception):
    """Graph (or the way to it) refused or failed a request: exit 4 for its target."""

    def __init__(self, status: int | None, code: str, message: str, request_id: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        head = f"HTTP {self.status}" if self.status is not None else None  # our own finding, or no answer
        text = ": ".join(part for part in (head, self.code, self.message) if part)
        return f"{text} (request-id {self.request_id})" if self.request_id else text


class Unanswered(GraphError):
    """A request that is not safe to repeat (it creates, restarts, provisions) failed in a way
    that leaves open whether Graph acted on it: it was not sent again."""


class Interrupted(Exception):
    """The run was asked to stop (Ctrl-C): no new request goes out."""


class GraphClient:
    """Thread-safe: the pool's workers share one client, its connections and its token."""

    def __init__(
        self,
        connection: Connection,
        tokens: TokenSource,
        *,
        jobs: int = 4,
        stop: threading.Event | None = None,
        policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - an immutable NamedTuple
        transport: httpx.BaseTransport | None = None,
        environ=os.environ,
        clock: Clock = CLOCK,
    ):
        self.connection = connection
        self.stop = stop or threading.Event()
        self._tokens = tokens
        self._policy = policy
        self.clock = clock  # every wait of the remote commands happens on it
        self._throttle = Throttle(jobs, clock)
        if transport is None:
            # No Nagle: a PUT's headers and body go out in two writes, and waiting for the ACK
            # of the first would add a delayed-ACK pause (tens of ms) to every request.
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            limits = httpx.Limits(max_connections=jobs * 2, max_keepalive_connections=jobs * 2)
            transport = httpx.HTTPTransport(verify=tls_context(environ), socket_options=nodelay, limits=limits)
        self._http = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=TIMEOUT,
            # gzip only, decoded under the cap (answers.py), never by httpx.
            headers={"User-Agent": f"syncsecrets/{__version__}", "Accept-Encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, deadline: float | None = None) -> Any:
        return _answer(self.request("GET", url, deadline=deadline))

    def put(self, url: str, body: Any) -> None:
        self.request("PUT", url, body)

    def post(self, url: str, body: Any, *, repeatable: bool = True) -> httpx.Response:
        return self.request("POST", url, body, repeatable=repeatable)

    def post_json(self, url: str, body: Any, *, repeatable: bool = True) -> Any:
        """POST and the answer's JSON (a created job, a provisionOnDemand result)."""
        return _answer(self.request("POST", url, body, repeatable=repeatable))

    def request(
        self, method: str, url: str, body: Any = None, deadline: float | None = None, *, repeatable: bool = True
    ) -> httpx.Response:
        """The answer (2xx), or GraphError. `deadline` (time.monotonic()) ends the request, its
        retries and their waits included; each try also ends within answers.REQUEST_SECONDS.
        Not `repeatable` (its effect would happen twice): retried only when Graph surely did not
        act on it (a 429, or no connection made); after any other failure, Unanswered."""
        if not self.connection.owns(url):
            raise GraphError(
                None, "ForeignHost", f"Graph pointed to another host; the token is sent to {self.connection.root} only"
            )
        content = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        attempt, others, waited, until = 0, 0, 0.0, 0.0
        while True:
            attempt += 1
            entered = self._throttle.enter(until, self.stop)
            if entered is None:
                raise Interrupted()
            ticket, queued = entered
            waited += queued
            status, delay = None, None
            try:
                headers = {"Authorization": f"Bearer {self._tokens.get()}", "client-request-id": str(uuid.uuid4())}
                if content is not None:
                    headers["Content-Type"] = "application/json"
                try:
                    response = self._exchange(method, url, content, headers, deadline)
                except httpx.TransportError as error:
                    failure, retry_after = _transport_error(error, url), None
                    if not repeatable and not isinstance(error, NEVER_SENT):
                        raise _unanswered(failure) from None
                else:
                    if response.status_code < 300:
                        status = response.status_code
                        return response
                    status, failure, retry_after = response.status_code, None, response.headers.get("Retry-After")
                    if not repeatable and status != 429 and retryable(status):
                        raise _unanswered(graph_error(response, attempt))
                others += status not in THROTTLED
                delay = wait_before_retry(self._policy, attempt, status, retry_after, waited, others)
                if delay is not None and deadline is not None and time.monotonic() + delay >= deadline:
                    delay = None
                if delay is None:
                    raise failure if failure is not None else graph_error(response, attempt)
            finally:
                self._throttle.leave(ticket, status, delay)
            until = self.clock.now() + delay

    def _exchange(self, method: str, url: str, content: bytes | None, headers: dict, deadline: float | None):
        """One try: the answer read whole, within its deadline and size cap (GraphError if not)."""
        ends = ends_at(deadline)
        left = max(0.001, ends - time.monotonic())
        # No single wait (connect, each read) may outlast the deadline; between reads it is checked.
        timeout = httpx.Timeout(min(TIMEOUT.read or left, left), connect=min(TIMEOUT.connect or left, left))
        request = self._http.build_request(method, url, content=content, headers=headers, timeout=timeout)
        response = self._http.send(request, stream=True)
        try:
            body = read_answer(response, ends)
        finally:
            response.close()
        # As received (bytes: a header need not be ASCII), but for how the body was carried.
        kept = [
            (name, value)
            for name, value in response.headers.raw
            if name.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=kept,
            content=body,
            request=request,
            extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")},
        )


def read_answer(response: httpx.Response, ends: float) -> bytes:
    """The answer's body, decoded, under the cap and deadline of answers.py (GraphError if not:
    the target fails)."""
    status = response.status_code
    # A response read already (an in-memory transport of tests) is one decoded chunk.
    chunks = (response.content,) if response.is_stream_consumed else response.iter_raw()
    encoding = "" if response.is_stream_consumed else response.headers.get("Content-Encoding", "")
    try:
        return read_capped(chunks, encoding, ends)
    except AnswerError as error:
        raise GraphError(status, error.code, error.message) from None
    except httpx.TimeoutException:
        raise GraphError(status, "Timeout", too_slow().message) from None


def error_in_answer(response: httpx.Response) -> GraphError | None:
    """A 2xx that is not a plain success: a body that is not JSON, or one carrying an `error`
    (as a service behind Graph may answer 200 to say no). An empty body is a success."""
    if not response.content.strip():
        return None
    try:
        document = _json(response)
    except ValueError:  # our own finding (no status): not a refusal, a broken answer
        return GraphError(None, "UnexpectedAnswer", f"Graph's answer (HTTP {response.status_code}) is not JSON")
    if isinstance(document, dict) and "error" in document:
        return graph_error(response)
    return None


def graph_error(response: httpx.Response, attempts: int = 1) -> GraphError:
    request_id = response.headers.get("request-id")
    code, message = "", ""
    try:
        document = _json(response)
    except ValueError:
        document = None
    error = document.get("error") if isinstance(document, dict) else None
    if 300 <= response.status_code < 400:  # whatever the body says: the token does not follow
        code, message = "Redirect", "Graph answered with a redirect, which is not followed"
    elif isinstance(error, dict):
        code, message = _text(error.get("code")), _text(error.get("message"))
        inner = error.get("innerError")
        if not request_id and isinstance(inner, dict):
            request_id = _text(inner.get("request-id")) or None
        code, message = unwrap(code, message)
    if not message:
        message = response.reason_phrase or "no error message"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    return GraphError(
        response.status_code,
        clean_message(code),
        clean_message(message),
        clean_message(request_id) if request_id else None,
    )


def unwrap(code: str, message: str, depth: int = 0) -> tuple[str, str]:
    """The synchronization service puts its own error, as JSON, in the message of an
    `UnknownError`: show the inner code and message ("UnknownError: InvalidNotificationSettings")."""
    if depth > 3 or not message.lstrip().startswith("{"):
        return code, message
    try:
        inner = json.loads(message)
    except (ValueError, RecursionError):
        return code, message
    if isinstance(inner, dict) and isinstance(inner.get("error"), dict):
        inner = inner["error"]
    if not isinstance(inner, dict):
        return code, message
    inner_code = _text(inner.get("code") or inner.get("Code"))
    inner_message = _text(inner.get("message") or inner.get("Message"))
    if not (inner_code or inner_message):
        return code, message
    inner_code, inner_message = unwrap(inner_code, inner_message, depth + 1)
    joined = ": ".join(part for part in (code, inner_code) if part)
    return joined, inner_message


def _json(response: httpx.Response) -> Any:
    """The answer's JSON; ValueError if it is not JSON (NaN and Infinity included), not UTF-8, or
    nested deeper than 1,024 levels. orjson, not json: a job's schema is about 1 MB of small
    objects, which orjson reads in 11 ms against json's 19 ms, and a plan reads two per target."""
    return orjson.loads(response.content)  # its JSONDecodeError is a ValueError


def _answer(response: httpx.Response) -> Any:
    """A successful answer's JSON; GraphError if it is not JSON."""
    try:
        return _json(response)
    except ValueError:
        raise GraphError(
            response.status_code,
            "UnexpectedAnswer",
            "Graph's answer is not JSON",
            clean_message(response.headers.get("request-id") or "") or None,
        ) from None


# Failures before a byte of the request left: Graph cannot have acted on it.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _unanswered(error: GraphError) -> Unanswered:
    message = error.message.replace(" (retried)", "")
    return Unanswered(
        error.status,
        error.code,
        f"{message}; Graph may or may not have acted on it, so it was not sent again",
        error.request_id,
    )


def _transport_error(error: httpx.TransportError, url: str) -> GraphError:
    kind = type(error).__name__  # ConnectError, ReadTimeout, RemoteProtocolError...
    reason = "the connection failed" if not isinstance(error, httpx.TimeoutException) else "the request timed out"
    message = f"no answer from {_host(url)}: {reason} (retried)"
    if isinstance(error, httpx.ConnectError) and is_loopback(urlsplit(url).hostname or ""):
        # A Graph on loopback is the sandbox: most often stopped while the shell kept its exports.
        message += (
            "; nothing listens there: if it was `syncsecrets sandbox`, start it again and export the lines "
            "it prints, or unset SYNCSECRETS_GRAPH_URL to reach Graph"
        )
    return GraphError(None, kind, message)


def _host(url: str) -> str:
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return "the server"
    return clean_message(f"{parts.host}:{parts.port}" if parts.port else parts.host)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def clean_message(text: str) -> str:
    # One line, bounded, and never a secret the run knows (Graph could echo a value back).
    # Scrubbed first: a secret with a newline or two spaces in it no longer matches once the
    # whitespace is folded.
    return printable(" ".join(scrub(text).split()))[:MAX_MESSAGE]

"""Scripted faults: the next matching request gets an error (or a dropped connection) instead of
normal handling. Faults are consumed in the order they were scripted."""

from __future__ import annotations

import functools
import gzip
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate

from .server import RESET, Response


def http_date(seconds_from_now: float) -> str:
    """A Retry-After value in its HTTP-date form (RFC 9110), e.g. 'Fri, 27 Nov 2026 10:00:00 GMT'."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


@dataclass(frozen=True)
class Streamed:
    """An answer sent in chunks (`Transfer-Encoding: chunked`), `pause` seconds apart, while the
    client reads and at most `limit` bytes: an endless body, or one that trickles in."""

    chunks: Callable[[], Iterator[bytes]]
    pause: float = 0.0
    limit: int = 64 * 1024 * 1024


def endless(item: bytes = b'{"key":"Filler","value":"x"},') -> Streamed:
    """A 200 whose collection never ends (up to `limit`): `{"value":[` and `item` over and over."""
    return Streamed(lambda: itertools.chain([b'{"value":['], itertools.repeat(item * 2048)))


def trickle(body: bytes = b'{"value":[]}' + b" " * 200, pause: float = 0.2) -> Streamed:
    """`body` one byte at a time, `pause` seconds apart (a valid answer, if one waited for it)."""
    return Streamed(lambda: (body[i : i + 1] for i in range(len(body))), pause)


@functools.cache
def gzip_bomb(size: int = 64 * 1024 * 1024, layers: int = 1) -> bytes:
    """`{"value":[]}` and `size` spaces, gzipped `layers` times (Content-Encoding: gzip, ...): a
    few kilobytes on the wire."""
    body = b'{"value":[]}' + b" " * size
    for _ in range(layers):
        body = gzip.compress(body, compresslevel=9, mtime=0)
    return body


@dataclass
class Fault:
    status: int  # 0 = reset the connection
    times: int = 1
    method: str | None = None
    sp_id: str | None = None
    retry_after: int | str | None = None
    code: str | None = None
    message: str | None = None
    applied: bool = False  # the request takes effect before the fault is answered (a lost reply)
    location: str | None = None  # for a 3xx: where the redirect points
    body: bytes | Streamed | None = None  # served as is (Content-Type: application/json) instead of an error document
    headers: dict[str, str] = field(default_factory=dict)  # added to the answer (Content-Encoding...)
    # The error quotes the request as the service received it: Graph's message holds the body it
    # was sent (and the answer is written by .NET's JSON encoder), the authority's
    # error_description the posted form, URL-encoded.
    echo: bool = False
    path: str | None = None  # only requests whose path ends so ("/jobs", "/restart"), case aside

    @property
    def answer_headers(self) -> dict[str, str]:
        """Retry-After and Location, where the fault sets them."""
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        if self.location is not None:
            headers["Location"] = self.location
        return headers

    def matches(self, method: str, sp_id: str | None, path: str = "") -> bool:
        return (
            (self.method is None or self.method.upper() == method)
            and (self.sp_id is None or self.sp_id == sp_id)
            and (self.path is None or path.lower().endswith(self.path.lower()))
        )


class FaultScript:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("a fault happens at least once")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, sp_id: str | None, path: str = "") -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, sp_id, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)


def scripted_answer(fault: Fault, headers: dict[str, str]) -> Response | None:
    """The answer a fault scripts whole, or None (the fake writes its own error): a dropped
    connection (status 0), or a `body` (bytes or Streamed) with `headers`. One rule for every
    fake, so each can send the same hostile answers."""
    if fault.status == 0:
        return RESET
    if fault.body is None:
        return None
    headers = {"Content-Type": "application/json", **headers, **fault.headers}
    if isinstance(fault.body, Streamed):
        return Response(fault.status, b"", headers, fault.body)
    return Response(fault.status, fault.body, headers)


class RateLimit:
    """Graph's throttling as a token bucket: `rate` requests per second, a burst of one second's
    worth. Every request takes a token, a throttled one too (a client that retries at once stays
    throttled), down to one second's worth of debt; a request that finds no token is answered
    429 with the whole seconds until one is back in `Retry-After`. `clock`: seconds, monotonic
    (tests share a FakeClock)."""

    def __init__(self, rate: float, clock) -> None:
        if rate <= 0:
            raise ValueError("a rate limit lets some requests through")
        self.rate = rate
        self._clock = clock
        self._tokens = rate
        self._last = clock()
        self._lock = threading.Lock()

    def retry_after(self) -> int | None:
        """None: the request may go through; else seconds to wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
            self._last = now
            allowed = self._tokens >= 1
            self._tokens = max(-self.rate, self._tokens - 1)
            return None if allowed else max(1, math.ceil((1 - self._tokens) / self.rate))

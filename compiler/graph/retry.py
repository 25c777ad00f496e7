"""The retry policy of every Graph request, written once, as pure functions of what happened.

- 429, 503 and 504: Graph is busy. Wait what `Retry-After` says (seconds, or an HTTP date),
  otherwise back off exponentially with full jitter; as often as the waiting budget allows:
  throttling is Graph pacing a busy run, not a sign that the request is broken.
- A dropped connection, a timeout, or another 5xx: retried too, but only `other_attempts` times.
- Anything else (400, 401, 403, 404, ...): never retried; the answer will not change.
- The waits of one request add up to at most `budget` seconds: a wait that would go past it
  ends the request instead (Retry-After of ten minutes means "not now", not "hold the job").
  No wait is shorter than `least` seconds, so the budget also bounds the number of tries
  (a `Retry-After: 0` answered forever ends the request too).

Every wait happens on `CLOCK`, which tests replace with one that does not sleep.
"""

from __future__ import annotations

import random
import threading
import time
from email.utils import parsedate_to_datetime
from typing import NamedTuple

THROTTLED = (429, 503, 504)


class RetryPolicy(NamedTuple):
    other_attempts: int = 3  # tries of one request that may end in a connection error or another 5xx
    budget: float = 120.0  # seconds of waiting per request, in total
    base: float = 1.0  # the first backoff's ceiling; doubled each time
    cap: float = 30.0  # no single backoff is longer
    least: float = 0.1  # no wait is shorter: a retry at once would meet the same trouble


class Clock:
    """Time as the retries see it: `now()` in seconds (monotonic), and the sleeps, which a set
    `stop` event ends early (True: interrupted)."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        if stop is not None:
            return stop.wait(seconds)
        time.sleep(seconds)
        return False

    def sleep_until(self, when: float, stop: threading.Event | None = None) -> bool:
        remaining = when - self.now()
        return self.sleep(remaining, stop) if remaining > 0 else bool(stop and stop.is_set())


CLOCK = Clock()


def retryable(status: int | None) -> bool:
    """None stands for a connection error (no answer at all)."""
    return status is None or status in THROTTLED or status >= 500


def wait_before_retry(
    policy: RetryPolicy,
    attempt: int,
    status: int | None,
    retry_after: str | None,
    waited: float,
    other_failures: int = 0,
    now: float | None = None,
) -> float | None:
    """Seconds to wait before try `attempt + 1` after try `attempt` (1-based) failed with
    `status`, having waited `waited` seconds so far, `other_failures` of the tries (this one
    included) being connection errors or 5xx other than 503/504; None: give up."""
    if not retryable(status):
        return None
    if status not in THROTTLED and other_failures >= policy.other_attempts:
        return None
    asked = parse_retry_after(retry_after, now) if status in THROTTLED else None
    delay = max(policy.least, asked) if asked is not None else backoff(policy, attempt)
    if waited + delay > policy.budget:
        return None
    return delay


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))],
    never under `least`."""
    ceiling = min(policy.cap, policy.base * 2 ** min(attempt - 1, 32))
    return max(policy.least, (rng or random).uniform(0, ceiling))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone takes "²", which float() refuses
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))

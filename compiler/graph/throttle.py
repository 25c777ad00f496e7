"""The workers of one run share one Graph: when it throttles, they slow down together.

As Microsoft Graph's throttling guidance asks: after a throttled answer (429, 503, 504) no
worker sends before the time it names (one "not before" time for the run, not one per request),
and fewer requests are in flight: the limit halves, once per burst of throttled answers (an
answer to a request sent before the last cut does not cut again), and grows back by one after
as many answered requests as it allows, up to `--jobs`. Requests that get no answer (a dropped
connection) change neither.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from .retry import CLOCK, THROTTLED, Clock

POLL = 0.1  # seconds between looks at the stop event while waiting for a free slot


class Ticket(NamedTuple):
    cut: int  # how many cuts the limit had when the request was sent


class Throttle:
    def __init__(self, jobs: int, clock: Clock = CLOCK) -> None:
        self.jobs = max(1, jobs)
        self.limit = self.jobs  # requests in flight allowed now
        self.clock = clock
        self._not_before = 0.0
        self._in_flight = 0
        self._cuts = 0
        self._answered = 0  # answered requests since the limit last changed
        self._changed = threading.Condition()

    def enter(self, until: float, stop: threading.Event) -> tuple[Ticket, float] | None:
        """Waits until `until` (the clock's time), the shared "not before" time and a free slot;
        the ticket to hand to `leave` and the seconds spent waiting for time to pass. None:
        `stop` was set (nothing may be sent)."""
        waited = 0.0
        while True:
            with self._changed:
                start, wake = self.clock.now(), max(until, self._not_before)
            if wake > start:
                if self.clock.sleep_until(wake, stop):
                    return None
                waited += self.clock.now() - start
            with self._changed:
                while self._in_flight >= self.limit and not stop.is_set():
                    self._changed.wait(POLL)
                if stop.is_set():
                    return None
                if self._not_before > self.clock.now():
                    continue  # another worker was throttled meanwhile
                self._in_flight += 1
                return Ticket(self._cuts), waited

    def leave(self, ticket: Ticket, status: int | None, delay: float | None) -> None:
        """The request of `ticket` ended with `status` (None: no answer), to be retried in
        `delay` seconds (None: not retried)."""
        with self._changed:
            self._in_flight -= 1
            if status in THROTTLED:
                if delay is not None:
                    self._not_before = max(self._not_before, self.clock.now() + delay)
                if ticket.cut == self._cuts:
                    self.limit = max(1, self.limit // 2)
                    self._cuts += 1
                    self._answered = 0
            elif status is not None and self.limit < self.jobs:
                self._answered += 1
                if self._answered >= self.limit:
                    self.limit += 1
                    self._answered = 0
            self._changed.notify_all()

"""A clock whose sleeps return at once and move its time on: retries and throttling run in
no time, in the order they would for real, and a test reads what was waited (`sleeps`).
A sleep moves the time to when the sleeper wakes, if that is later: workers that wait at the
same time for the same second make one second pass, not one each.

Share one with the fake Graph (`graph.clock`) and its rate limit sees the client's waits."""

from __future__ import annotations

import threading

from compiler.graph.retry import Clock


class FakeClock(Clock):
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.sleeps: list[float] = []
        self._lock = threading.RLock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        with self._lock:
            return self.sleep_until(self._now + seconds, stop)

    def sleep_until(self, when: float, stop: threading.Event | None = None) -> bool:
        if stop is not None and stop.is_set():
            return True
        with self._lock:
            self.sleeps.append(max(0.0, when - self._now))
            self._now = max(self._now, when)
        return False

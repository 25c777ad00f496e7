"""A loopback server standing for "somewhere else": a host the client must never send its token
to (a redirect target, a hostile URL). It answers 200 to everything and records each request,
noting whether it carried an Authorization header (never the header itself)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from compiler.sandbox.server import Request, Response


@dataclass
class ElsewhereRecord:
    method: str
    path: str
    had_authorization: bool


class FakeElsewhere:
    def __init__(self) -> None:
        self.url = ""  # "https://127.0.0.1:PORT", set once served
        self.latency = 0.0
        self.requests: list[ElsewhereRecord] = []
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(ElsewhereRecord(request.method, request.path, "authorization" in request.headers))
        return Response.json(200, {"value": []})

    @property
    def tokens_received(self) -> int:
        with self._lock:
            return sum(record.had_authorization for record in self.requests)

"""The sandbox as `syncsecrets sandbox` runs it: FakeGraph with the sandbox's own tokens, served
over plain HTTP on 127.0.0.1 (the client allows http:// to loopback only), seeded."""

from __future__ import annotations

from collections.abc import Iterable

from .graph import FakeGraph
from .issuer import Issuer
from .seed import Seed, plant
from .server import LoopbackServer

JOURNAL_LIMIT = 1000  # the newest requests kept: the sandbox serves until Ctrl-C, nobody reads more


class Sandbox:
    def __init__(self, seeds: Iterable[Seed], port: int = 0) -> None:
        """Serving once built; OSError when `port` (0: any free one) cannot be listened on."""
        self.issuer = Issuer()
        self.graph = FakeGraph(self.issuer, JOURNAL_LIMIT)  # eventual consistency off: `lag` stays 0
        self._server = LoopbackServer(self.graph, None, port)
        self.url = self.graph.url = self.issuer.url = self._server.url
        for seed in seeds:
            plant(self.graph, seed)

    @property
    def errors(self) -> list[str]:
        """Exceptions the fake raised while answering (each answered 500): bugs of the sandbox."""
        return self._server.errors

    def token(self, tenant_id: str) -> str:
        return self.issuer.issue(tenant_id)

    def stop(self) -> None:
        self._server.stop()

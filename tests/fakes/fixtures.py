"""pytest fixtures: `tls`, `authority`, `graph`, `graph_env` (see README.md in this folder).

The servers run in threads of the test process; a CLI started as a subprocess reaches them over
loopback, and they stay up until the test that requested them ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from .authority import FakeAuthority
from .graph import FakeGraph
from .server import LoopbackServer
from .tls import TestTLS, make_tls

TENANT_ID = "11111111-1111-4111-8111-111111111111"
CLIENT_ID = "22222222-2222-4222-8222-222222222222"
CLIENT_SECRET = "fake-client-secret-value"  # only valid against the fake authority


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TestTLS:
    return make_tls(tmp_path_factory.mktemp("fake-tls"))


@pytest.fixture
def authority(tls: TestTLS) -> Iterator[FakeAuthority]:
    fake = FakeAuthority()
    server = LoopbackServer(fake, tls.server_context())
    fake.host = server.url
    try:
        yield fake
    finally:
        server.stop()


@pytest.fixture
def graph(tls: TestTLS, authority: FakeAuthority) -> Iterator[FakeGraph]:
    fake = FakeGraph(authority)
    server = LoopbackServer(fake, tls.server_context())
    fake.url = server.url
    authority.add_audience(fake.url)
    try:
        yield fake
    finally:
        server.stop()
    # A mask or a placeholder sent as a secret is the product's worst bug: fail the test even if
    # the client swallowed the 400. A test of the check itself clears the list when done.
    assert not fake.violations, f"values that must never be sent reached the fake Graph: {fake.violations}"


@pytest.fixture
def graph_env(tls: TestTLS, authority: FakeAuthority, graph: FakeGraph) -> Callable[..., dict[str, str]]:
    """`graph_env(token=True)` -> environment for running the CLI against the fakes: a ready
    bearer token (SYNCSECRETS_AUTH=token), or with token=False a registered client secret
    (SYNCSECRETS_AUTH=env, the AZURE_* variables EnvironmentCredential reads)."""

    def make(token: bool = True) -> dict[str, str]:
        env = {
            "SYNCSECRETS_GRAPH_URL": graph.url,
            "SSL_CERT_FILE": str(tls.ca_file),
            "REQUESTS_CA_BUNDLE": str(tls.ca_file),
            "AZURE_AUTHORITY_HOST": authority.host,
        }
        if token:
            env["SYNCSECRETS_AUTH"] = "token"
            env["SYNCSECRETS_ACCESS_TOKEN"] = authority.issue_token(TENANT_ID, audience=graph.url, client_id=CLIENT_ID)
        else:
            authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
            env.update(
                SYNCSECRETS_AUTH="env",
                AZURE_TENANT_ID=TENANT_ID,
                AZURE_CLIENT_ID=CLIENT_ID,
                AZURE_CLIENT_SECRET=CLIENT_SECRET,
            )
        return env

    return make

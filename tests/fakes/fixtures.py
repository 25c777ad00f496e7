"""pytest fixtures: `tls`, `clock`, `authority`, `graph`, `graph_env` (see README.md in this folder).

The servers run in threads of the test process; a CLI started as a subprocess reaches them over
loopback, and they stay up until the test that requested them ends.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from compiler.graph import retry
from compiler.sandbox.graph import FakeGraph
from compiler.sandbox.server import LoopbackServer

from .actions_oidc import ISSUER as ACTIONS_ISSUER
from .actions_oidc import FakeActionsOidc
from .authority import FakeAuthority
from .clock import FakeClock
from .elsewhere import FakeElsewhere
from .keyvault import RESOURCE as VAULT_RESOURCE
from .keyvault import FakeKeyVault
from .tls import TestTLS, make_tls

CHILD_GUARD = Path(__file__).resolve().parent / "child_guard"
TENANT_ID = "11111111-1111-4111-8111-111111111111"
CLIENT_ID = "22222222-2222-4222-8222-222222222222"
CLIENT_SECRET = "fake-client-secret-value"  # only valid against the fake authority


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TestTLS:
    return make_tls(tmp_path_factory.mktemp("fake-tls"))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The time of every retry wait in this process (a CLI run by run_cli), azure-identity's
    included: waits take none, and `clock.sleeps` lists them. The fake Graph's rate limit runs on it too. A CLI subprocess
    keeps the real clock."""
    fake = FakeClock()
    for name in ("now", "sleep", "sleep_until"):
        monkeypatch.setattr(retry.CLOCK, name, getattr(fake, name))
    # azure-identity's own retries (an authority refusing connections, a 429 from it): azure-core's
    # policy decides, and sleeps through the transport it is given; here it sleeps on `fake`.
    from azure.core.pipeline.policies import RetryPolicy

    sleeper = SimpleNamespace(sleep=fake.sleep)
    for name in ("_sleep_backoff", "_sleep_for_retry"):
        original = getattr(RetryPolicy, name)
        monkeypatch.setattr(RetryPolicy, name, functools.partialmethod(_through, original, sleeper))
    return fake


def _through(policy, original, sleeper, first, transport):
    return original(policy, first, sleeper)


@pytest.fixture
def authority(tls: TestTLS) -> Iterator[FakeAuthority]:
    fake = FakeAuthority()
    server = LoopbackServer(fake, tls.server_context())
    fake.host = server.url
    try:
        yield fake
    finally:
        server.stop()
    assert not server.errors, f"the fake authority crashed: {server.errors}"


@pytest.fixture
def graph(tls: TestTLS, authority: FakeAuthority, clock: FakeClock) -> Iterator[FakeGraph]:
    fake = FakeGraph(authority)
    fake.clock = clock.now
    server = LoopbackServer(fake, tls.server_context())
    fake.url = server.url
    authority.add_audience(fake.url)
    try:
        yield fake
    finally:
        server.stop()
    assert not server.errors, f"the fake Graph crashed: {server.errors}"
    # A mask or a placeholder sent as a secret is the product's worst bug: fail the test even if
    # the client swallowed the 400. A test of the check itself clears the list when done.
    assert not fake.violations, f"values that must never be sent reached the fake Graph: {fake.violations}"


@pytest.fixture
def keyvault(tls: TestTLS, authority: FakeAuthority, clock: FakeClock) -> Iterator[FakeKeyVault]:
    """A fake Key Vault of tenant TENANT_ID; `keyvault.host` goes in SYNCSECRETS_KEYVAULT_HOSTS."""
    fake = FakeKeyVault(authority, TENANT_ID)
    server = LoopbackServer(fake, tls.server_context())
    fake.url = server.url
    authority.add_audience(VAULT_RESOURCE)
    try:
        yield fake
    finally:
        server.stop()
    assert not server.errors, f"the fake Key Vault crashed: {server.errors}"


@pytest.fixture
def actions_oidc(tls: TestTLS, authority: FakeAuthority) -> Iterator[FakeActionsOidc]:
    """GitHub Actions' OIDC token service; `authority` trusts its signatures. Register the
    federated credential with `authority.add_federated(..., issuer=ACTIONS_ISSUER,
    subject=actions_oidc.subject)` (graph_env(auth="github-oidc") does it for CLIENT_ID)."""
    fake = FakeActionsOidc()
    server = LoopbackServer(fake, tls.server_context())
    fake.url = server.url
    authority.trust_issuer(ACTIONS_ISSUER, fake.key)
    try:
        yield fake
    finally:
        server.stop()
    assert not server.errors, f"the fake GitHub OIDC service crashed: {server.errors}"


@pytest.fixture
def elsewhere(tls: TestTLS) -> Iterator[FakeElsewhere]:
    """Another loopback host (a redirect target): `elsewhere.requests`, `elsewhere.tokens_received`."""
    fake = FakeElsewhere()
    server = LoopbackServer(fake, tls.server_context())
    fake.url = server.url
    try:
        yield fake
    finally:
        server.stop()


@pytest.fixture
def graph_env(
    request: pytest.FixtureRequest,
    tls: TestTLS,
    authority: FakeAuthority,
    graph: FakeGraph,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., dict[str, str]]]:
    """`graph_env(token=True)` -> environment for running the CLI against the fakes: a ready
    bearer token (SYNCSECRETS_AUTH=token), or with token=False a registered client secret
    (SYNCSECRETS_AUTH=env, the AZURE_* variables EnvironmentCredential reads).
    `graph_env(auth="github-oidc")`: AZURE_TENANT_ID / AZURE_CLIENT_ID with a federated
    credential for the `actions_oidc` fake, and its ACTIONS_ID_TOKEN_REQUEST_* variables.

    It also installs the network guard in the child (PYTHONPATH -> child_guard/sitecustomize.py);
    what the child was refused is logged to a file this fixture checks when the test ends."""
    guard_log = tmp_path_factory.mktemp("netguard") / "refused.log"
    python_path = os.pathsep.join(filter(None, [str(CHILD_GUARD), os.environ.get("PYTHONPATH")]))

    def make(token: bool = True, auth: str | None = None) -> dict[str, str]:
        auth = auth or ("token" if token else "env")
        env = {
            "SYNCSECRETS_GRAPH_URL": graph.url,
            "SSL_CERT_FILE": str(tls.ca_file),
            "REQUESTS_CA_BUNDLE": str(tls.ca_file),
            "AZURE_AUTHORITY_HOST": authority.host,
            "PYTHONPATH": python_path,
            "FAKES_NETWORK_GUARD_LOG": str(guard_log),
        }
        if auth == "token":
            env["SYNCSECRETS_AUTH"] = "token"
            env["SYNCSECRETS_ACCESS_TOKEN"] = authority.issue_token(TENANT_ID, audience=graph.url, client_id=CLIENT_ID)
        elif auth == "github-oidc":
            oidc: FakeActionsOidc = request.getfixturevalue("actions_oidc")
            authority.add_federated(TENANT_ID, CLIENT_ID, issuer=ACTIONS_ISSUER, subject=oidc.subject)
            env.update(
                SYNCSECRETS_AUTH="github-oidc", AZURE_TENANT_ID=TENANT_ID, AZURE_CLIENT_ID=CLIENT_ID, **oidc.env()
            )
        elif auth == "env":
            authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
            env.update(
                SYNCSECRETS_AUTH="env",
                AZURE_TENANT_ID=TENANT_ID,
                AZURE_CLIENT_ID=CLIENT_ID,
                AZURE_CLIENT_SECRET=CLIENT_SECRET,
            )
        else:
            raise ValueError(f"graph_env: no fake sign-in for auth={auth!r}")
        return env

    yield make
    if guard_log.exists() and (refused := guard_log.read_text(encoding="utf-8").strip()):
        pytest.fail(f"a CLI subprocess tried to leave the machine:\n{refused}", pytrace=False)


@pytest.fixture
def vault_env(authority: FakeAuthority, keyvault: FakeKeyVault, graph_env) -> dict[str, str]:
    """graph_env(token=True) plus what Key Vault references need against the `keyvault` fake:
    its host allowed (SYNCSECRETS_KEYVAULT_HOSTS) and a vault token (SYNCSECRETS_KEYVAULT_ACCESS_TOKEN)."""
    return {
        **graph_env(token=True),
        "SYNCSECRETS_KEYVAULT_HOSTS": keyvault.host,
        "SYNCSECRETS_KEYVAULT_ACCESS_TOKEN": authority.issue_token(TENANT_ID, audience=VAULT_RESOURCE),
    }

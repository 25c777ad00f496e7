"""The fake authority, the loopback server underneath both fakes, and the network guard."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest

from compiler.sandbox import tokens
from compiler.sandbox.graph import FakeGraph
from compiler.sandbox.server import LoopbackServer, Response
from tests.fakes.authority import FakeAuthority
from tests.fakes.fixtures import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.fakes.netguard import NetworkBlocked, NetworkGuard
from tests.fakes.tls import TestTLS

SP = "5a5a5a5a-0000-4000-8000-000000000002"


def token_request(tls: TestTLS, authority: FakeAuthority, tenant: str = TENANT_ID, **form: str) -> httpx.Response:
    fields = {"grant_type": "client_credentials", "client_id": CLIENT_ID, **form}
    return httpx.post(f"{authority.host}/{tenant}/oauth2/v2.0/token", data=fields, verify=tls.client_context())


def test_real_azure_identity_gets_a_token_the_fake_graph_accepts(tls, authority, graph, monkeypatch):
    identity = pytest.importorskip("azure.identity")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority.host)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    graph.add_principal(SP, {"SyncAll": "True"})
    credential = identity.ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET, disable_instance_discovery=True)
    token = credential.get_token(f"{graph.url}/.default").token
    claims = tokens.peek(token)
    assert (claims["tid"], claims["aud"], claims["appid"]) == (TENANT_ID, graph.url, CLIENT_ID)
    response = httpx.get(
        f"{graph.url}/v1.0/servicePrincipals/{SP}/synchronization/secrets",
        headers={"Authorization": f"Bearer {token}"},
        verify=tls.client_context(),
    )
    assert response.status_code == 200
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in authority.requests] == [
        ("openid-configuration", 200),
        ("token", 200),
    ]
    assert CLIENT_SECRET not in repr(authority.requests)  # the journal never keeps a secret


def test_real_azure_identity_with_a_wrong_secret_is_refused(tls, authority, graph, monkeypatch):
    identity = pytest.importorskip("azure.identity")
    from azure.core.exceptions import ClientAuthenticationError

    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority.host)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    credential = identity.ClientSecretCredential(TENANT_ID, CLIENT_ID, "wrong", disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(f"{graph.url}/.default")
    assert authority.requests[-1].status == 401


def test_discovery_names_the_token_endpoint_and_refuses_unknown_tenants(tls, authority):
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    config = httpx.get(
        f"{authority.host}/{TENANT_ID}/v2.0/.well-known/openid-configuration", verify=tls.client_context()
    )
    assert config.json()["token_endpoint"] == f"{authority.host}/{TENANT_ID}/oauth2/v2.0/token"
    unknown = httpx.get(f"{authority.host}/nobody/v2.0/.well-known/openid-configuration", verify=tls.client_context())
    assert (unknown.status_code, unknown.json()["error_codes"]) == (400, [90002])


@pytest.mark.parametrize(
    ("form", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": CLIENT_SECRET, "client_id": "someone-else"}, 400, "unauthorized_client", 700016),
        ({"client_secret": CLIENT_SECRET, "grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        (
            {"client_secret": CLIENT_SECRET, "scope": "https://graph.microsoft.com/.default"},
            400,
            "invalid_resource",
            500011,
        ),
        ({"client_secret": CLIENT_SECRET, "scope": "User.Read"}, 400, "invalid_scope", 1002012),
    ],
)
def test_token_endpoint_refusals_have_entras_shape(tls, authority, graph, form, status, error, code):
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    response = token_request(tls, authority, **{"scope": f"{graph.url}/.default", **form})
    assert response.status_code == status
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert CLIENT_SECRET not in response.text


def test_client_secret_by_http_basic_is_accepted(tls, authority, graph):
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    response = httpx.post(
        f"{authority.host}/{TENANT_ID}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": f"{graph.url}/.default"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        verify=tls.client_context(),
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


class _Echo:
    latency = 0.0

    def handle(self, request):
        return Response.json(200, {"path": request.path})


def test_a_stopped_server_no_longer_answers_even_with_a_kept_alive_connection(tls):
    server = LoopbackServer(_Echo(), tls.server_context())
    with httpx.Client(verify=tls.client_context()) as client:
        assert client.get(f"{server.url}/x").json() == {"path": "/x"}  # leaves a pooled connection open
        server.stop()
        with pytest.raises(httpx.TransportError):
            client.get(f"{server.url}/x")


def test_servers_listen_on_loopback_only(authority, graph):
    assert authority.host.startswith("https://127.0.0.1:") and graph.url.startswith("https://127.0.0.1:")


def test_the_guard_refuses_non_loopback_connections_and_lookups():
    refused: list[str] = []
    guard = NetworkGuard(refused.append)  # a second guard, so the autouse one sees nothing
    guard.install()
    try:
        with pytest.raises(NetworkBlocked), socket.socket() as sock:
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: documentation only
        with pytest.raises(NetworkBlocked):
            socket.getaddrinfo("graph.microsoft.com", 443)
        with pytest.raises(NetworkBlocked), socket.socket(socket.AF_INET6) as sock:
            sock.connect_ex(("2001:db8::1", 443, 0, 0))
        assert socket.getaddrinfo("localhost", 443)
        assert socket.getaddrinfo("::ffff:127.0.0.1", 443)
        assert socket.getaddrinfo("127.0.0.1", 443)
    finally:
        guard.uninstall()
    assert len(refused) == 3 and "192.0.2.1:443" in refused[0]


def run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_subprocess_reaches_the_fakes_with_graph_env(graph, graph_env):
    graph.add_principal(SP, {"SyncAll": "True", "SecretToken": "t"})
    env = graph_env(token=True)
    code = f"""
        import json, os, urllib.request
        request = urllib.request.Request(
            os.environ["SYNCSECRETS_GRAPH_URL"] + "/v1.0/servicePrincipals/{SP}/synchronization/secrets",
            headers={{"Authorization": "Bearer " + os.environ["SYNCSECRETS_ACCESS_TOKEN"]}},
        )
        print(json.dumps(json.load(urllib.request.urlopen(request, timeout=10))["value"]))
    """
    child = run_child(code, env)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == [{"key": "SyncAll", "value": "True"}, {"key": "SecretToken", "value": "*"}]


def test_graph_env_for_a_client_secret_registers_the_client(tls, authority, graph, graph_env):
    env = graph_env(token=False)
    assert env["SYNCSECRETS_AUTH"] == "env"
    response = token_request(
        tls, authority, env["AZURE_TENANT_ID"], client_secret=env["AZURE_CLIENT_SECRET"], scope=f"{graph.url}/.default"
    )
    assert response.status_code == 200


def test_a_subprocess_with_graph_env_is_guarded_too(graph_env, tmp_path):
    log = tmp_path / "refused.log"
    env = {**graph_env(), "FAKES_NETWORK_GUARD_LOG": str(log)}  # our own log: the fixture's must stay empty
    code = """
        import socket
        try:
            socket.create_connection(("192.0.2.1", 443), timeout=5)
        except OSError as error:
            print(type(error).__name__)
    """
    child = run_child(code, env)
    assert child.stdout.strip() == "NetworkBlocked", child.stderr
    assert "192.0.2.1" in log.read_text()


def test_fake_graph_works_without_pytest(tls):
    """The fakes are plain objects: a script or a benchmark can serve them outside pytest."""
    authority, servers = FakeAuthority(), []
    try:
        servers.append(LoopbackServer(authority, tls.server_context()))
        authority.host = servers[0].url
        graph = FakeGraph(authority)
        servers.append(LoopbackServer(graph, tls.server_context()))
        graph.url = servers[1].url
        graph.add_principal(SP)
        token = authority.issue_token(TENANT_ID, audience=graph.url)
        response = httpx.get(
            f"{graph.url}/v1.0/servicePrincipals/{SP}/synchronization/secrets",
            headers={"Authorization": f"Bearer {token}"},
            verify=tls.client_context(),
        )
        assert response.json()["value"] == []
    finally:
        for server in servers:
            server.stop()


def test_authority_faults_are_aadsts_shaped_and_consumed(tls, authority, graph):
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    authority.fault(503, method="POST", retry_after=7)
    authority.fault(0, method="POST")
    first = token_request(tls, authority, client_secret=CLIENT_SECRET, scope=f"{graph.url}/.default")
    assert (first.status_code, first.json()["error"], first.headers["Retry-After"]) == (
        503,
        "temporarily_unavailable",
        "7",
    )
    with pytest.raises(httpx.TransportError):
        token_request(tls, authority, client_secret=CLIENT_SECRET, scope=f"{graph.url}/.default")
    assert token_request(tls, authority, client_secret=CLIENT_SECRET, scope=f"{graph.url}/.default").status_code == 200


def test_a_crash_inside_a_fake_is_answered_and_reported(tls):
    class Broken:
        latency = 0.0

        def handle(self, request):
            raise RuntimeError("bug in the fake")

    server = LoopbackServer(Broken(), tls.server_context())
    try:
        assert httpx.get(f"{server.url}/x", verify=tls.client_context()).status_code == 500
    finally:
        server.stop()
    assert server.errors == ["GET /x: RuntimeError('bug in the fake')"]

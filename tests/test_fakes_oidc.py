"""GitHub Actions OIDC against the fakes: the runner's token service, and the authority's
exchange of its token (client_assertion) through a federated credential."""

from __future__ import annotations

import time

import httpx
import pytest

from compiler.sandbox import tokens
from tests.fakes.actions_oidc import ISSUER
from tests.fakes.fixtures import CLIENT_ID, TENANT_ID

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def runner_token(
    tls, actions_oidc, audience: str | None = "api://AzureADTokenExchange", bearer: str | None = None
) -> httpx.Response:
    url = actions_oidc.request_url + (f"&audience={audience}" if audience else "")
    return httpx.get(
        url, headers={"Authorization": f"Bearer {bearer or actions_oidc.request_token}"}, verify=tls.client_context()
    )


def exchange(tls, authority, graph, assertion: str) -> httpx.Response:
    return httpx.post(
        f"{authority.host}/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "scope": f"{graph.url}/.default",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
        verify=tls.client_context(),
    )


def test_the_runner_service_issues_a_github_token_for_the_audience(tls, actions_oidc):
    claims = tokens.peek(runner_token(tls, actions_oidc).json()["value"])
    assert (claims["iss"], claims["aud"], claims["sub"]) == (ISSUER, "api://AzureADTokenExchange", actions_oidc.subject)
    default = tokens.peek(runner_token(tls, actions_oidc, audience=None).json()["value"])
    assert default["aud"] == "https://github.com/contoso"
    assert runner_token(tls, actions_oidc, bearer="wrong").status_code == 401
    assert [r.audience for r in actions_oidc.journal] == [
        "api://AzureADTokenExchange",
        None,
        "api://AzureADTokenExchange",
    ]


def test_the_authority_exchanges_a_runner_token_for_a_graph_token(tls, authority, graph, actions_oidc):
    authority.add_federated(TENANT_ID, CLIENT_ID, issuer=ISSUER, subject=actions_oidc.subject)
    response = exchange(tls, authority, graph, runner_token(tls, actions_oidc).json()["value"])
    assert response.status_code == 200
    assert tokens.peek(response.json()["access_token"])["aud"] == graph.url
    assert authority.requests[-1].form["client_assertion"] == "<redacted>"


@pytest.mark.parametrize(
    ("make_assertion", "code"),
    [
        (
            lambda oidc: tokens.sign(
                {"iss": ISSUER, "sub": oidc.subject, "aud": "api://AzureADTokenExchange", "exp": time.time() + 60},
                b"forged",
            ),
            50013,
        ),
        (lambda oidc: tokens.sign({"iss": "https://elsewhere.example", "sub": oidc.subject}, oidc.key), 700211),
        (lambda oidc: oidc.issue("api://AzureADTokenExchange", sub="repo:evil/fork:ref:refs/heads/main"), 700213),
        (lambda oidc: oidc.issue("https://github.com/contoso"), 700212),
        (lambda oidc: oidc.issue("api://AzureADTokenExchange", expires_in=-30), 700024),
        (lambda oidc: "not-a-jwt", 700211),
    ],
)
def test_the_authority_refuses_assertions_that_do_not_match(tls, authority, graph, actions_oidc, make_assertion, code):
    authority.add_federated(TENANT_ID, CLIENT_ID, issuer=ISSUER, subject=actions_oidc.subject)
    response = exchange(tls, authority, graph, make_assertion(actions_oidc))
    assert response.status_code in (400, 401)
    assert response.json()["error_codes"] == [code]


def test_one_app_may_have_several_federated_credentials(tls, authority, graph, actions_oidc):
    authority.add_federated(
        TENANT_ID, CLIENT_ID, issuer=ISSUER, subject="repo:contoso/provisioning:environment:staging"
    )
    authority.add_federated(TENANT_ID, CLIENT_ID, issuer=ISSUER, subject=actions_oidc.subject)
    assert exchange(tls, authority, graph, actions_oidc.issue("api://AzureADTokenExchange")).status_code == 200


def test_real_azure_identity_client_assertion_credential(tls, authority, graph, actions_oidc, monkeypatch):
    identity = pytest.importorskip("azure.identity")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority.host)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))
    authority.add_federated(TENANT_ID, CLIENT_ID, issuer=ISSUER, subject=actions_oidc.subject)
    credential = identity.ClientAssertionCredential(
        TENANT_ID, CLIENT_ID, lambda: runner_token(tls, actions_oidc).json()["value"], disable_instance_discovery=True
    )
    assert tokens.peek(credential.get_token(f"{graph.url}/.default").token)["tid"] == TENANT_ID


def test_graph_env_for_github_oidc(graph_env, authority, actions_oidc):
    env = graph_env(auth="github-oidc")
    assert env["SYNCSECRETS_AUTH"] == "github-oidc"
    assert (
        env["ACTIONS_ID_TOKEN_REQUEST_URL"].startswith(actions_oidc.url)
        and "?api-version=" in env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    )
    assert "AZURE_CLIENT_SECRET" not in env and "SYNCSECRETS_ACCESS_TOKEN" not in env
    with pytest.raises(ValueError, match="no fake sign-in"):
        graph_env(auth="cli")

"""The fake Key Vault: challenge-based auth, versions, and Key Vault's refusals."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes.fixtures import CLIENT_ID, CLIENT_SECRET, TENANT_ID
from tests.fakes.keyvault import RESOURCE

API = {"api-version": "7.4"}


def vault_get(tls, keyvault, authority, path: str, token: str | None = None, **params: str) -> httpx.Response:
    token = token if token is not None else authority.issue_token(TENANT_ID, audience=RESOURCE)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{keyvault.url}{path}", params={**API, **params}, headers=headers, verify=tls.client_context())


def test_a_request_without_token_gets_the_challenge(tls, authority, keyvault):
    keyvault.set_secret("scim-token", "v1")
    response = vault_get(tls, keyvault, authority, "/secrets/scim-token", token="")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer authorization="{authority.host}/{TENANT_ID}", resource="https://vault.azure.net"'
    )
    assert response.json()["error"]["code"] == "Unauthorized"
    assert keyvault.fetched() == []


def test_latest_and_pinned_versions(tls, authority, keyvault):
    first = keyvault.set_secret("scim-token", "v1")
    second = keyvault.set_secret("scim-token", "v2")
    latest = vault_get(tls, keyvault, authority, "/secrets/scim-token").json()
    assert (latest["value"], latest["id"]) == ("v2", keyvault.secret_uri("scim-token", second))
    assert vault_get(tls, keyvault, authority, f"/secrets/scim-token/{first}").json()["value"] == "v1"
    assert keyvault.fetched() == ["scim-token", "scim-token"]
    assert keyvault.host == keyvault.url.removeprefix("https://")


@pytest.mark.parametrize(
    ("setup", "path", "status", "code", "inner"),
    [
        (lambda kv: None, "/secrets/missing", 404, "SecretNotFound", None),
        (lambda kv: kv.set_secret("s", "v"), "/secrets/s/0123abcd", 404, "SecretNotFound", None),
        (lambda kv: kv.set_secret("s", "v", enabled=False), "/secrets/s", 403, "Forbidden", "SecretDisabled"),
        (lambda kv: (kv.set_secret("s", "v"), kv.deny("s")), "/secrets/s", 403, "Forbidden", "ForbiddenByRbac"),
    ],
)
def test_refusals_have_key_vaults_shape(tls, authority, keyvault, setup, path, status, code, inner):
    setup(keyvault)
    response = vault_get(tls, keyvault, authority, path)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error.get("innererror", {}).get("code") == inner
    assert response.headers["x-ms-request-id"]


def test_an_expired_secret_is_still_served_with_its_expiry(tls, authority, keyvault):
    past = int(time.time()) - 60
    keyvault.set_secret("old", "v", expires=past)
    document = vault_get(tls, keyvault, authority, "/secrets/old").json()
    assert (document["value"], document["attributes"]["exp"]) == ("v", past)


def test_api_version_is_required(tls, authority, keyvault):
    keyvault.set_secret("s", "v")
    response = httpx.get(
        f"{keyvault.url}/secrets/s",
        headers={"Authorization": f"Bearer {authority.issue_token(TENANT_ID, audience=RESOURCE)}"},
        verify=tls.client_context(),
    )
    assert response.status_code == 400


@pytest.mark.parametrize("kind", ["graph audience", "other tenant", "expired"])
def test_tokens_not_for_this_vault_are_refused(tls, authority, graph, keyvault, kind):
    keyvault.set_secret("s", "v")
    token = {
        "graph audience": authority.issue_token(TENANT_ID, audience=graph.url),
        "other tenant": authority.issue_token("99999999-9999-4999-8999-999999999999", audience=RESOURCE),
        "expired": authority.issue_token(TENANT_ID, audience=RESOURCE, expires_in=-5),
    }[kind]
    response = vault_get(tls, keyvault, authority, "/secrets/s", token=token)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert keyvault.fetched() == []


def test_throttling_then_success(tls, authority, keyvault):
    keyvault.set_secret("s", "v")
    keyvault.fault(429, name="s", retry_after=2)
    assert vault_get(tls, keyvault, authority, "/secrets/s", token="").status_code == 401  # challenges consume no fault
    throttled = vault_get(tls, keyvault, authority, "/secrets/s")
    assert (throttled.status_code, throttled.headers["Retry-After"], throttled.json()["error"]["code"]) == (
        429,
        "2",
        "Throttled",
    )
    assert vault_get(tls, keyvault, authority, "/secrets/s").json()["value"] == "v"


def test_the_journal_never_holds_a_value(tls, authority, keyvault):
    keyvault.set_secret("s", "canary-vault-value")
    vault_get(tls, keyvault, authority, "/secrets/s")
    assert "canary-vault-value" not in repr(keyvault.journal)


def test_real_secret_client_through_the_challenge(tls, authority, keyvault, monkeypatch):
    identity = pytest.importorskip("azure.identity")
    secrets = pytest.importorskip("azure.keyvault.secrets")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority.host)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca_file))
    authority.add_client(TENANT_ID, CLIENT_ID, CLIENT_SECRET)
    keyvault.set_secret("scim-token", "from-the-vault")
    credential = identity.ClientSecretCredential(TENANT_ID, CLIENT_ID, CLIENT_SECRET, disable_instance_discovery=True)
    # The SDK checks that the challenge's resource matches the vault's domain: a loopback vault
    # needs that check off (a product client would keep its own host allow-list instead).
    client = secrets.SecretClient(keyvault.url, credential, verify_challenge_resource=False)
    assert client.get_secret("scim-token").value == "from-the-vault"
    assert [(r.status, r.authorized) for r in keyvault.journal] == [(401, False), (200, True)]

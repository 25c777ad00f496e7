"""What a keyvault reference may name (profile/vault_address.py): the corpus
(tests/cases/*keyvault*) shows the messages; these pin the host rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.problems import InvalidValue
from compiler.profile.references import reference_table
from compiler.profile.vault_address import from_canonical, parse_url

ADDED = {"SYNCSECRETS_KEYVAULT_HOSTS": "127.0.0.1:8443, Vault.Internal, [::1]:9443"}


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://Contoso-KV.vault.azure.net/secrets/Token", "contoso-kv.vault.azure.net/Token"),
        ("https://kv1.vault.azure.net:443/secrets/t/", "kv1.vault.azure.net/t"),
        (
            "https://kv1.vault.usgovcloudapi.net/secrets/t/0123456789ABCDEF0123456789abcdef",
            "kv1.vault.usgovcloudapi.net/t/0123456789abcdef0123456789abcdef",
        ),
        ("https://127.0.0.1:8443/secrets/t", "127.0.0.1:8443/t"),
        ("https://vault.internal/secrets/t", "vault.internal/t"),
        ("https://[::1]:9443/secrets/t", "[::1]:9443/t"),
    ],
)
def test_accepted_and_canonical(url, canonical):
    address = parse_url(url, ADDED)
    assert address.canonical == canonical
    assert from_canonical(canonical) == address
    written = reference_table(f"keyvault:{canonical}")["keyvault"]
    assert parse_url(written, ADDED) == address  # import writes back a URL that parses the same


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8444/secrets/t",  # an added host, another port
        "https://127.0.0.1/secrets/t",
        "https://kv1.vault.azure.net.evil.example/secrets/t",
        "https://evil.example/kv1.vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net@evil.example/secrets/t",
        "https://evil.example\\@kv1.vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net./secrets/t",
        "https://kv--1.vault.azure.net/secrets/t",
        "https://a-very-long-vault-name-indeed.vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net/secrets/",
        "https://kv1.vault.azure.net/secrets/t/v/extra",
        "https://kv1.vault.azure.net/secrets/t#frag",
        "ftp://kv1.vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net:notaport/secrets/t",
        # Look-alikes and parser tricks: each must fail the host check, whatever a URL library
        # would make of it later (the URL sent to is rebuilt from the checked host).
        "https://..vault.azure.net/secrets/t",
        "https://evil.com#.vault.azure.net/secrets/t",
        "https://evil.com?.vault.azure.net/secrets/t",
        "https://evil.com%23.vault.azure.net/secrets/t",
        "https://evil.com%2f.kv1.vault.azure.net/secrets/t",
        "https://kv1%2evault.azure.net/secrets/t",
        "https://evil.com\\.vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net\\@evil.com/secrets/t",
        "https://kv1.v\u0430ult.azure.net/secrets/t",  # a Cyrillic a
        "https://kv1\uff0evault.azure.net/secrets/t",  # a fullwidth full stop
        "https://\uff4b\uff561.vault.azure.net/secrets/t",  # fullwidth letters
        "https://xn--kv1-9na.vault.azure.net/secrets/t",  # punycode: a vault name has no "--"
        "https://evil.com/.vault.azure.net/secrets/t",
        "https://evil.com:443.vault.azure.net/secrets/t",
        "https://[::2]:9443/secrets/t",
        "https://vault.azure.net/secrets/t",
        "https://kv1.vault.azure.net.:443/secrets/t",
        "https://kv1.VAULT.azure.com/secrets/t",
    ],
)
def test_refused(url):
    with pytest.raises(InvalidValue) as refused:
        parse_url(url, ADDED)
    assert url not in str(refused.value)  # messages never quote what the profile wrote


@given(
    st.one_of(
        st.text(),
        st.builds(lambda tail: "https://kv1.vault.azure.net/" + tail, st.text()),
        st.builds(lambda host: f"https://{host}/secrets/t", st.text()),
    )
)
def test_any_text_is_accepted_or_refused_never_a_crash(url):
    try:
        address = parse_url(url, ADDED)
    except InvalidValue:
        return
    assert from_canonical(address.canonical) == address
    assert address.added or address.host.endswith(("vault.azure.net", "vault.usgovcloudapi.net", "vault.azure.cn"))


@settings(max_examples=40)
@given(st.text(max_size=60))
def test_import_of_any_keyvault_placeholder_is_a_profile_or_exit_2(label):
    import json
    import tempfile
    from pathlib import Path

    from tests.helpers import run_cli

    with tempfile.TemporaryDirectory() as folder:
        body = {"value": [{"key": "SecretToken", "value": f"<unrevealed keyvault:{label}>"}]}
        (Path(folder) / "body.json").write_text(json.dumps(body))
        result = run_cli(["import", "body.json", "--name", "app"], cwd=Path(folder), env=ADDED)
        assert result.exit_code in (0, 2), result.stderr


def test_upper_case_names_the_same_vault():
    assert parse_url("https://KV1.VAULT.AZURE.NET/secrets/t", {}).canonical == "kv1.vault.azure.net/t"


@pytest.mark.parametrize("hosts", ["*", "*.example", "https://evil.example", "evil.example/", "vault.azure.net", ",,"])
def test_the_hosts_variable_adds_exact_hosts_only(hosts):
    with pytest.raises(InvalidValue):
        parse_url("https://evil.example/secrets/t", {"SYNCSECRETS_KEYVAULT_HOSTS": hosts})


def test_an_added_host_does_not_turn_off_the_challenge_check_of_a_real_vault():
    address = parse_url("https://kv1.vault.azure.net/secrets/t", {"SYNCSECRETS_KEYVAULT_HOSTS": "kv1.vault.azure.net"})
    assert address.added is False

"""The one masking rule (profile/secrets.py): a known secret is masked in any spelling a
service could write it back in, and nothing else is."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest

from compiler.profile import secrets
from compiler.sandbox.odata import dotnet_json
from tests.helpers import spellings

SECRET = "s3cret+<tok>&'\u00e9\"\\x \U0001f600-end"


@pytest.fixture(autouse=True)
def registry():
    secrets.SECRETS.clear()
    yield
    secrets.SECRETS.clear()


@pytest.mark.parametrize("form", spellings(SECRET))
def test_every_spelling_is_masked(form: str) -> None:
    secrets.remember_secret(SECRET)
    assert secrets.scrub(f"before {form} after") == "before *** after"
    assert secrets.holds_secret(f"x{form}x")


@pytest.mark.parametrize(
    "text",
    [
        "Validation failed for " + dotnet_json({"value": SECRET}),
        "Validation failed for " + json.dumps({"message": "inner " + dotnet_json({"value": SECRET})}),
        "Validation failed for " + dotnet_json({"message": "inner " + dotnet_json({"value": SECRET})}),
        "client_id=1&client_secret=" + quote_plus(SECRET) + "&scope=x",
    ],
    ids=["dotnet", "dotnet-in-json", "dotnet-in-dotnet", "form"],
)
def test_a_secret_nested_in_what_a_service_quotes_is_masked(text: str) -> None:
    secrets.remember_secret(SECRET)
    scrubbed = secrets.scrub(text)
    assert "s3cret" not in scrubbed and "***" in scrubbed
    assert scrubbed.startswith(text[:10])


@pytest.mark.parametrize("text", ["DefaultAzureCredential failed", "a+b %2B \\u002B \\n plain", "", "100% done + more"])
def test_text_without_a_secret_is_unchanged(text: str) -> None:
    secrets.remember_secret("canary-not-here-5d1e")
    assert secrets.scrub(text) == text
    assert not secrets.holds_secret(text)


def test_overlapping_secrets_are_masked_as_one() -> None:
    secrets.remember_secret("abcdefgh-1234")
    secrets.remember_secret("1234-ijklmnop")
    assert secrets.scrub("x abcdefgh-1234-ijklmnop y") == "x *** y"


def test_a_secret_remembered_after_a_scrub_is_masked_too() -> None:
    secrets.remember_secret("first-secret-1")
    assert secrets.scrub("first-secret-1 second-secret-2") == "*** second-secret-2"
    secrets.remember_secret("second-secret-2")
    assert secrets.scrub("first-secret-1 second-secret-2") == "*** ***"

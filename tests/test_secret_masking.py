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


# Every escape the decoder knows, at its boundaries: the first and last astral characters (their
# surrogates are the four limits), 2-, 3- (lead E0 and above) and 4-byte UTF-8, short escapes.
EDGES = "\U00010000s3cret+<tok>&'\u00e9\u0800\u20ac\"\\x\t\b\f\r\n \U0001f600-\U0010ffff"
AROUND = ('pr\u00e9 \udc00 \U0001f600\n"', "\t\\ \u20ac \udbff suffix")  # a lone surrogate on each side
AROUND_URL = ('pr\u00e9 \U0001f600\n"', "\t\\ \u20ac suffix")  # UTF-8 has no lone surrogate


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _json_utf8(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _dotnet(text: str) -> str:
    return dotnet_json(text)[1:-1]


@pytest.mark.parametrize(
    "encodings",
    [
        [_json],
        [_json_utf8],
        [_dotnet],
        [quote_plus],
        [_json, _json],
        [_dotnet, _json],
        [_dotnet, _dotnet],
        [quote_plus, _json],
        [quote_plus, _dotnet, _json],
        [_json, _json, _json],
    ],
    ids=lambda encodings: "-".join(encode.__name__.strip("_") for encode in encodings),
)
def test_exactly_the_spelling_of_a_secret_is_masked(encodings) -> None:
    """Encoded one way or nested several ways, with escapes before and after it: the secret's
    spelling becomes the mask, and every other character stays as it was written."""
    secrets.remember_secret(EDGES)
    before, after = AROUND_URL if quote_plus in encodings else AROUND
    spell = {"before": before, "secret": EDGES, "after": after}
    for encode in encodings:
        spell = {part: encode(text) for part, text in spell.items()}
    text = spell["before"] + spell["secret"] + spell["after"]
    assert secrets.scrub(text) == spell["before"] + "***" + spell["after"]


@pytest.mark.parametrize(
    ("secret", "text", "scrubbed"),
    [
        # \x and \U escapes (Python's repr); a \U past the last code point stays as written.
        (
            "A\U0001f600s3cret+value",
            "pre \\U00110000 \\x41\\U0001f600s3cret\\x2bvalue post",
            "pre \\U00110000 *** post",
        ),
        # A lone low surrogate first in the text joins nothing.
        ("s3cret+value", "\\udc00 s3cret\\u002Bvalue", "\\udc00 ***"),
        # An invalid UTF-8 byte is one replacement character: what follows is still read.
        ("\u00e9s3cret+value", "x=%FF%C3%A9s3cret%2Bvalue&y", "x=%FF***&y"),
        ("\u00e9s3cret+value", "x=%ff%c3%a9s3cret%2bvalue&y", "x=%ff***&y"),
        # Form encoding: + is a space.
        ("two words secret", "a=two+words+secret&b=c+d", "a=***&b=c+d"),
        # ...also in escaped text, the secret ending at a +.
        ("two words\nsecret ", "x\\t a=two+words\\nsecret+&b", "x\\t a=***&b"),
        # \U of the last code point is a character; only a high surrogate and a low one make a pair.
        ("\U0010ffffs3cret-value", "a \\U0010ffffs3cret-value b", "a *** b"),
        ("\ue000s3cret-value", "\\ud800\\ue000s3cret-value", "\\ud800***"),
        ("s3cret+value", "\\udc00\\udc00 s3cret\\u002Bvalue", "\\udc00\\udc00 ***"),
        # A secret that holds a \U past the last code point, written as JSON after other escapes.
        ("pre\\U00110000-secret", "x\\n\\n pre\\\\U00110000-secret y", "x\\n\\n *** y"),
        # A text that is the secret, and a secret at the very end.
        ("abcdefgh", "abcdefgh", "***"),
        ("abcdefgh", "token abcdefgh", "token ***"),
    ],
)
def test_escapes_the_decoder_reads(secret: str, text: str, scrubbed: str) -> None:
    secrets.remember_secret(secret)
    assert secrets.scrub(text) == scrubbed


@pytest.mark.parametrize(("value", "short"), [("1234567", True), ("12345678", False), ("  seven  ", True), ("", True)])
def test_a_credential_shorter_than_eight_characters_is_refused_saying_why(value: str, short: bool) -> None:
    assert secrets.too_short(value) is short
    assert secrets.too_short_message("APP_TOKEN") == (
        "APP_TOKEN holds fewer than 8 characters, too short to be a real credential (and too short to be "
        "masked in messages without blanking ordinary words): give the real secret"
    )


@pytest.mark.parametrize(
    ("remembered", "text", "scrubbed"),
    [
        (["abcdefgh-1"], "abcdefgh-1 x abcdefgh-1 y abcdefgh-1", "*** x *** y ***"),  # every occurrence
        (["aaaaaaaa"], "aaaaaaaaa", "***"),  # occurrences that overlap: one mask
        (["abcdefgh-1", "ijklmnop-2"], "abcdefgh-1ijklmnop-2", "***"),  # side by side: one mask
    ],
)
def test_every_occurrence_is_masked(remembered: list[str], text: str, scrubbed: str) -> None:
    for secret in remembered:
        secrets.remember_secret(secret)
    assert secrets.scrub(text) == scrubbed

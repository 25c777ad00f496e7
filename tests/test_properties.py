"""Properties over generated profiles, built from the catalog's own keys and kinds.

- any profile, valid or not, compiles to exit 0 or 2, never a crash;
- output is deterministic and does not depend on the order of keys in the TOML;
- `import` of a compiled body compiles back to the same bytes;
- the hand-written renderer gives exactly `json.dumps(..., indent=2)`.

The number of examples comes from the hypothesis profile: `ci` (default) or `long`
(HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py), see conftest.py.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from compiler.body.render import render
from compiler.catalog.keys import KEYS, Key, Kind
from tests.helpers import run_cli, tree

# Not "*": import reads it as a secret that GET masked, as a GET shows masked values, so it cannot round-trip.
SAFE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda text: "REPLACE ME" not in text and text != "*"
)
NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True)
REFERENCE = st.one_of(
    st.builds(lambda name: {"env": name}, NAME), st.builds(lambda name: {"file": f"{name}.txt"}, NAME)
)
HOST = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
URL = st.builds(lambda host, path: f"https://{host}/{path}", HOST, st.from_regex(r"[a-z0-9/_-]{0,12}", fullmatch=True))
OFFSET = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-14 * 60, 14 * 60))
MOMENT = st.builds(
    lambda moment, offset: moment.replace(tzinfo=offset),
    st.datetimes(datetime(1970, 1, 2), datetime(2200, 1, 1)),
    OFFSET,
)
JSON_SCALAR = st.one_of(st.booleans(), st.integers(-(2**53), 2**53), SAFE_TEXT)
JSON_OBJECT = st.dictionaries(
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,8}", fullmatch=True),
    st.one_of(JSON_SCALAR, st.lists(JSON_SCALAR, max_size=3)),
    min_size=1,
    max_size=4,
)
EMAIL = st.from_regex(r"[a-z][a-z0-9.]{0,8}@[a-z]{1,8}\.example", fullmatch=True)
JUNK = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.builds(lambda: datetime(2026, 1, 1)),
    MOMENT,
)


def valid_value(key: Key) -> st.SearchStrategy:
    kind = key.kind
    if kind is Kind.SECRET:
        return REFERENCE
    if kind is Kind.BOOLEAN:
        return st.booleans()
    if kind is Kind.URL:
        return st.one_of(URL, REFERENCE)
    if kind is Kind.TIMESTAMP:
        return MOMENT
    if kind is Kind.NOTIFICATIONS:
        return st.builds(lambda fields: json.dumps(fields), NOTIFICATION_FIELDS)
    if kind is Kind.OBJECT_OR_TEXT:  # a string that starts with { is read as JSON
        text = SAFE_TEXT.filter(lambda text: not text.lstrip().startswith("{"))
        return st.one_of(JSON_OBJECT, REFERENCE) if key.sensitive else st.one_of(JSON_OBJECT, text)
    if key.integer_ok:
        return st.one_of(SAFE_TEXT, st.integers(0, 10**12))
    return st.one_of(SAFE_TEXT, REFERENCE)


NOTIFICATION_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "Enabled": st.booleans(),
        "Recipients": EMAIL,
        "DeleteThresholdEnabled": st.booleans(),
        "DeleteThresholdValue": st.integers(1, 10**6),
        "HumanResourcesLookaheadQueryEnabled": st.booleans(),
    },
)
NOTIFICATIONS_TABLE = st.fixed_dictionaries(
    {},
    optional={
        "recipients": st.one_of(EMAIL, st.lists(EMAIL, min_size=1, max_size=3)),
        "enabled": st.booleans(),
        "delete_threshold": st.one_of(st.integers(1, 10**6), st.just(False)),
        "hr_lookahead_query": st.booleans(),
    },
)
RAW = st.dictionaries(
    st.from_regex(r"Future[A-Z][a-zA-Z0-9]{0,8}", fullmatch=True), st.one_of(SAFE_TEXT, REFERENCE), max_size=3
)


@st.composite
def valid_profiles(draw) -> dict:
    """A profile dict with keys in a drawn order; each key in a drawn spelling."""
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=12))
    profile = {}
    for key in keys:
        name = key.graph if draw(st.booleans()) else key.friendly
        profile[name] = draw(valid_value(key))
    if not any(key.kind is Kind.NOTIFICATIONS for key in keys) and draw(st.booleans()):
        profile["notifications"] = draw(NOTIFICATIONS_TABLE)
    raw = draw(RAW)
    if raw:
        profile["raw"] = raw
    return profile


@st.composite
def any_profiles(draw) -> dict:
    """Valid profiles with junk spliced in: wrong types, unknown keys, broken references."""
    profile = draw(valid_profiles())
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.one_of(st.sampled_from([key.friendly for key in KEYS]), st.text(min_size=1, max_size=12)))
        profile[key] = draw(
            st.one_of(JUNK, st.dictionaries(st.sampled_from(["env", "file", "vault"]), JUNK, max_size=2))
        )
    if draw(st.booleans()):
        profile["application"] = draw(
            st.dictionaries(st.sampled_from(["template", "display_name", "owner"]), JUNK | SAFE_TEXT)
        )
    return profile


def compile_text(text: str, *args: str) -> tuple[int, str, dict[str, bytes]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "profile.toml").write_text(text, encoding="utf-8")
        result = run_cli(["compile", "profile.toml", "--out", "out", *args], cwd=root)
        return result.exit_code, result.stderr, tree(root / "out")


@given(any_profiles())
def test_any_profile_compiles_or_is_refused_never_crashes(profile: dict) -> None:
    code, stderr, _ = compile_text(tomli_w.dumps(profile))
    assert code in (0, 2), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    if code == 2:
        assert "nothing was written" in stderr


@given(valid_profiles(), st.randoms(use_true_random=False))
def test_output_is_deterministic_and_independent_of_key_order(profile: dict, random) -> None:
    code, stderr, first = compile_text(tomli_w.dumps(profile))
    assert code == 0, stderr
    shuffled = list(profile.items())
    random.shuffle(shuffled)
    code, _, second = compile_text(tomli_w.dumps(dict(shuffled)))
    assert second == first
    assert compile_text(tomli_w.dumps(profile))[2] == first


@given(valid_profiles())
def test_import_of_a_compiled_body_compiles_back_to_the_same_bytes(profile: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "profile.toml").write_text(tomli_w.dumps(profile), encoding="utf-8")
        assert run_cli(["compile", "profile.toml", "--out", "first"], cwd=root).exit_code == 0
        imported = run_cli(["import", "first/profile.json", "--name", "again"], cwd=root)
        assert imported.exit_code == 0, imported.stderr
        assert run_cli(["compile", "configs/again.toml", "--out", "second"], cwd=root).exit_code == 0
        assert (root / "second" / "again.json").read_bytes() == (root / "first" / "profile.json").read_bytes()


@given(st.lists(st.tuples(st.text(), st.text()), max_size=5))
def test_renderer_matches_json_dumps(pairs: list[tuple[str, str]]) -> None:
    body = {"value": [{"key": key, "value": value} for key, value in pairs]}
    assert render(pairs) == (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

"""Key positions, which every error message relies on."""

from __future__ import annotations

import tomllib

import pytest

from compiler.profile.locate import key_positions, position_of

DOCUMENT = '''# comment
base_address = "https://x" # trailing
"quoted key" = 1
dotted.inner = 2
multi = """
fake_key = "inside a string"
"""
array = [
  "a", # comment
  { nested = 1 },
]
inline = { env = "X", file = 'y' }

[notifications]
  recipients = "a@b.c"

[environments."prod-1".notifications]
delete_threshold = 5
[[raw]]
k = "v"
'''


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("base_address",), (2, 1)),
        (("quoted key",), (3, 1)),
        (("dotted",), (4, 1)),
        (("dotted", "inner"), (4, 8)),
        (("multi",), (5, 1)),
        (("array",), (8, 1)),
        (("inline",), (12, 1)),
        (("inline", "env"), (12, 12)),
        (("inline", "file"), (12, 23)),
        (("notifications",), (14, 2)),
        (("notifications", "recipients"), (15, 3)),
        (("environments", "prod-1", "notifications", "delete_threshold"), (18, 1)),
        (("raw", "k"), (20, 1)),
    ],
)
def test_positions(path: tuple[str, ...], where: tuple[int, int]) -> None:
    tomllib.loads(DOCUMENT)  # the document itself is valid TOML
    assert key_positions(DOCUMENT)[path] == where


def test_keys_inside_strings_and_arrays_are_not_keys() -> None:
    found = key_positions(DOCUMENT)
    assert ("fake_key",) not in found
    assert ("array", "nested") not in found and ("nested",) not in found


def test_nearest_enclosing_key_stands_in() -> None:
    found = key_positions(DOCUMENT)
    assert position_of(found, ("notifications", "unknown")) == (14, 2)
    assert position_of(found, ("nothing",)) is None


def test_broken_documents_give_what_was_found() -> None:
    assert key_positions('a = 1\nb = "unterminated\nc = 3\n') == {("a",): (1, 1), ("b",): (2, 1)}
    assert key_positions("= 5") == {}

"""The secrets a run knows, and the one rule that masks them in anything printed or written.

Every secret the run has seen is registered here: a resolved reference, a literal refused for a
sensitive key, the access token, the credential the sign-in reads (client secret, certificate
password, federated assertion, the pipeline's OIDC request token). `scrub` replaces each one by
the mask in any text; `holds_secret` says whether a value would be masked (a tenant value equal
to, or containing, a resolved secret is then shown masked, whatever key carries it).

A secret can come back in many spellings: raw; as a JSON string (`\\"`, `\\n`, `\\u00e9` or
`\\u00E9`); as .NET's encoder writes it (`+ < > & '` and every non-ASCII character as `\\u002B`);
nested in JSON that is itself a JSON string (`\\\\u002B`); as Python's repr (`\\xe9`); URL-encoded
in form data (`%2B` or `%2b`, `+` for a space). Rather than list every spelling of every secret,
the text is decoded (each JSON/repr escape level, then URL encoding), the secrets are searched in
each decoding, and what they cover is masked in the original text.
"""

from __future__ import annotations

import re

MASK = "***"
# A credential shorter than this is refused where it is read (references.py, graph/auth.py):
# masking so short a string would blank parts of ordinary words in every message
# (`Defaul***AzureCreden***ial`), and no real credential is this short (Entra ID passwords have
# at least 8 characters, its client secrets 40, SCIM and OAuth tokens far more).
MIN_SECRET_CHARS = 8
_LEVELS = 3  # JSON nested in JSON nested in JSON: deeper is not seen in practice


class _Registry(set):
    """A set of secrets that counts its changes, so the search index is rebuilt only after one."""

    generation = 0

    def add(self, value: str) -> None:
        if value not in self:
            super().add(value)
            self.generation += 1

    def clear(self) -> None:
        super().clear()
        self.generation += 1


SECRETS = _Registry()

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|(.))", re.DOTALL)
_SHORT = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\+")


def remember_secret(value: str) -> None:
    if value:
        SECRETS.add(value)


def too_short(value: str) -> bool:
    return len(value.strip()) < MIN_SECRET_CHARS


def too_short_message(source: str) -> str:
    """Why a credential read from `source` (a variable, a file, a vault secret) is refused."""
    return (
        f"{source} holds fewer than {MIN_SECRET_CHARS} characters, too short to be a real credential (and "
        "too short to be masked in messages without blanking ordinary words): give the real secret"
    )


def scrub(text: str) -> str:
    """`text` with every known secret, in any of its spellings, replaced by the mask."""
    if not SECRETS or not text:
        return text
    spans = _covered(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(MASK)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def holds_secret(value: object) -> bool:
    """Whether `value` (a string) holds a known secret in any spelling: it is shown masked."""
    return isinstance(value, str) and bool(SECRETS) and bool(_covered(value))


class _Index:
    """The secrets by their first characters (at most MIN_SECRET_CHARS of them): a text is
    searched for every secret at once, at a cost that does not grow with their number."""

    def __init__(self, secrets: tuple[str, ...], generation: int = -1) -> None:
        self.generation = generation
        self.by_prefix: dict[int, dict[str, list[str]]] = {}
        for secret in secrets:
            width = min(len(secret), MIN_SECRET_CHARS)
            self.by_prefix.setdefault(width, {}).setdefault(secret[:width], []).append(secret)

    def find(self, text: str) -> list[tuple[int, int]]:
        found = []
        for width, prefixes in self.by_prefix.items():
            if len(text) < width:
                continue
            for prefix in {text[i : i + width] for i in range(len(text) - width + 1)} & prefixes.keys():
                at = text.find(prefix)
                while at != -1:
                    found.extend((at, at + len(secret)) for secret in prefixes[prefix] if text.startswith(secret, at))
                    at = text.find(prefix, at + 1)
        return found


_INDEX = _Index(())


def _index() -> _Index:
    global _INDEX
    generation = SECRETS.generation
    if _INDEX.generation != generation:
        _INDEX = _Index(tuple(SECRETS), generation)
    return _INDEX


def _covered(text: str) -> list[tuple[int, int]]:
    """The merged spans of `text` that spell a secret."""
    index = _index()
    found: list[tuple[int, int]] = []
    for decoded, origin in _decodings(text):
        if origin is None:  # the text as it is
            found.extend(index.find(decoded))
        else:
            found.extend((origin[start][0], origin[end - 1][1]) for start, end in index.find(decoded))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


# For each decoded character, the span of the text it came from (None: the text itself).
Origin = list[tuple[int, int]] | None


def _span(origin: Origin, at: int) -> tuple[int, int]:
    return (at, at + 1) if origin is None else origin[at]


def _decodings(text: str):
    """`text` as it is, with each level of escapes undone, and each of those URL-decoded; every
    decoding with the spans of the original text its characters stand for."""
    decoded, origin = text, None
    for level in range(_LEVELS + 1):
        yield decoded, origin
        if "%" in decoded or "+" in decoded:
            yield _url_decode(decoded, origin)
        if level == _LEVELS or "\\" not in decoded:
            return
        decoded, origin = _unescape(decoded, origin)


def _rewrite(text: str, origin: Origin, pattern: re.Pattern, decode) -> tuple[str, list[tuple[int, int]]]:
    """`text` with each match of `pattern` replaced by the characters `decode(match, chars,
    spans)` appends, every character with the span of the original text it stands for."""
    chars: list[str] = []
    spans: Origin = []
    last = 0
    for match in pattern.finditer(text):
        for i in range(last, match.start()):
            chars.append(text[i])
            spans.append(_span(origin, i))
        decode(match, origin, chars, spans)
        last = match.end()
    for i in range(last, len(text)):
        chars.append(text[i])
        spans.append(_span(origin, i))
    return "".join(chars), spans


def _unescape(text: str, origin: Origin) -> tuple[str, list[tuple[int, int]]]:
    """One level of JSON (and .NET, and Python repr) string escapes undone; an unknown escape
    stays as written. Surrogate pairs (`\\ud83d\\ude00`) become one character."""
    return _rewrite(text, origin, _ESCAPE, _unescape_one)


def _unescape_one(match: re.Match, origin: Origin, chars: list[str], spans: list[tuple[int, int]]) -> None:
    span = (_span(origin, match.start())[0], _span(origin, match.end() - 1)[1])
    unit, wide, byte, other = match.groups()
    if unit is not None:
        char = chr(int(unit, 16))
        if 0xDC00 <= ord(char) <= 0xDFFF and chars and 0xD800 <= ord(chars[-1]) <= 0xDBFF:
            high = ord(chars.pop())
            span = (spans.pop()[0], span[1])
            char = chr(0x10000 + ((high - 0xD800) << 10) + (ord(char) - 0xDC00))
    elif wide is not None:
        code = int(wide, 16)
        if code > 0x10FFFF:  # no character: stays as written, each of its characters standing for itself
            chars.extend(match.group())
            spans.extend(_span(origin, i) for i in range(match.start(), match.end()))
            return
        char = chr(code)
    elif byte is not None:
        char = chr(int(byte, 16))
    else:
        char = _SHORT.get(other, other)
    chars.append(char)
    spans.append(span)


def _url_decode(text: str, origin: Origin) -> tuple[str, list[tuple[int, int]]]:
    """Form encoding undone (`%XX` as UTF-8 bytes, `+` as a space)."""
    return _rewrite(text, origin, _PERCENT, _url_decode_one)


def _url_decode_one(match: re.Match, origin: Origin, chars: list[str], spans: list[tuple[int, int]]) -> None:
    if match.group() == "+":
        chars.append(" ")
        spans.append(_span(origin, match.start()))
        return
    data = bytes.fromhex(match.group().replace("%", ""))
    at = 0
    while at < len(data):
        size = _utf8_size(data[at])
        try:
            char = data[at : at + size].decode("utf-8")
        except UnicodeDecodeError:
            char, size = "\ufffd", 1
        start = match.start() + 3 * at
        chars.append(char)
        spans.append((_span(origin, start)[0], _span(origin, start + 3 * size - 1)[1]))
        at += size


def _utf8_size(lead: int) -> int:
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4

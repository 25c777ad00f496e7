"""'Did you mean ...?' for unknown names."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` was most likely meant to be, or None when nothing is close."""
    candidates = list(candidates)
    folded = fold(name)
    same_letters = [candidate for candidate in candidates if fold(candidate) == folded]
    if same_letters:  # `SYNC_ALL`, `syncall`, `Sync_All`: prefer the spelling style the user chose
        return min(same_letters, key=lambda candidate: (_style(candidate) != _style(name), candidate))
    import difflib  # only on the error path: it costs start-up time on every run otherwise

    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not matches:
        by_folded = {fold(candidate): candidate for candidate in candidates}
        matches = [by_folded[m] for m in difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.75)]
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str], wrap: str = "{}") -> str:
    """': did you mean X?' or '' (for appending to a message)."""
    found = closest(name, candidates)
    return f": did you mean {wrap.format(found)}?" if found else ""


def fold(name: str) -> str:
    """A name without case, underscores or dashes: `sync_all`, `SyncAll` and `SYNCALL` agree."""
    return name.replace("_", "").replace("-", "").lower()


def _style(name: str) -> str:
    return "snake" if name == name.lower() else "pascal"

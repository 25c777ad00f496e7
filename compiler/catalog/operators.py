"""The operators of scoping filter clauses, with their arity, listed once.

Sources: MicrosoftDocs/entra-docs,
docs/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts.md
("Create a scoping filter" lists &, !&, ENDS_WITH, EQUALS, Greater_Than,
Greater_Than_OR_EQUALS, Includes, IS FALSE, IS NOT NULL, IS NULL, IS TRUE, NOT EQUALS,
NOT REGEX MATCH, REGEX MATCH), and Graph's `GET .../schema/filterOperators`
(api-reference/v1.0/api/synchronization-synchronizationschema-filteroperators.md: each operator
has an `arity`, Unary or Binary; EQUALS is Binary). Less_Than and Less_Than_OR_EQUALS are the
counterparts that Graph's operator list carries besides.

A unary operator takes no value (`["accountEnabled", "IS TRUE"]`); a binary one takes one
(`["department", "EQUALS", "Sales"]`, a list of strings where the clause holds several values).
"""

from __future__ import annotations

UNARY = "Unary"
BINARY = "Binary"

# Graph's spelling -> arity
OPERATORS: dict[str, str] = {
    "&": BINARY,
    "!&": BINARY,
    "ENDS_WITH": BINARY,
    "EQUALS": BINARY,
    "NOT EQUALS": BINARY,
    "Greater_Than": BINARY,
    "Greater_Than_OR_EQUALS": BINARY,
    "Less_Than": BINARY,
    "Less_Than_OR_EQUALS": BINARY,
    "Includes": BINARY,
    "REGEX MATCH": BINARY,
    "NOT REGEX MATCH": BINARY,
    "IS TRUE": UNARY,
    "IS FALSE": UNARY,
    "IS NULL": UNARY,
    "IS NOT NULL": UNARY,
}


def _fold(name: str) -> str:
    return " ".join(name.replace("_", " ").upper().split())


_BY_FOLDED = {_fold(name): name for name in OPERATORS}


def operator(name: str) -> str | None:
    """Graph's spelling of the operator `name` (any case, `_` or space between words), or None:
    `GREATER_THAN`, `greater than` and `Greater_Than` are one operator."""
    return _BY_FOLDED.get(_fold(name))

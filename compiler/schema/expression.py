"""Attribute-mapping expressions: text -> tree, the normal form, and Graph's source object.

The grammar is that of Microsoft's expression reference and of what its published schemas use:
`[attribute]`, `"string"` constants (a backslash escapes `\\` and `"`), function calls with
positional, possibly empty arguments, nesting, comparisons (`IIF([a]="x", ...)`: `=`, `<>`, `>`,
`>=`, `<`, `<=`), Cloud Sync's `&` concatenation and `%JobSetting%` placeholders, and the bare
constants the examples use (`7`, `-10`, `&HF7`, `vbBinaryCompare`).

Every mistake is an ExpressionError with the 1-based column of the offending character.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..catalog.functions import function
from ..catalog.suggest import did_you_mean

COMPARISONS = ("<>", ">=", "<=", "=", ">", "<")
# Deepest nesting of calls and `&` taken: Microsoft's published schemas nest a few levels; the
# parser, the normal form and the source tree recurse once per level, and Python's stack ends
# near 1,000 frames (a profile's or a tenant's 10,000 levels must be a mistake, not a crash).
MAX_DEPTH = 64


class ExpressionError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


class Unbuildable(ValueError):
    """The expression has a part whose Graph source tree is not published (a comparison,
    `&`): ask Graph's parseExpression for it instead."""


@dataclass(frozen=True)
class Attribute:
    name: str
    column: int


@dataclass(frozen=True)
class Constant:
    value: str  # the string without its quotes and escapes
    text: str  # as written, quotes included
    column: int


@dataclass(frozen=True)
class Bare:
    text: str  # a number, &H hex, a bare word, or a %Placeholder%
    column: int


@dataclass(frozen=True)
class Call:
    name: str  # the catalog's spelling
    arguments: tuple[Node | None, ...]  # None: an empty argument
    column: int


@dataclass(frozen=True)
class Operation:
    operator: str  # one of COMPARISONS, or "&"
    left: Node
    right: Node
    column: int


Node = Attribute | Constant | Bare | Call | Operation


def parse(text: str) -> Node:
    """The tree of `text`, or ExpressionError."""
    parser = _Parser(text)
    parser.space()
    if parser.at_end():
        raise ExpressionError("the expression is empty: write an attribute like [mail] or a function call", 1)
    node = parser.expression()
    parser.space()
    if not parser.at_end():
        raise ExpressionError(f"unexpected {parser.describe()} after the end of the expression", parser.column())
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.depth = 0  # calls open and `&` chained so far: see MAX_DEPTH

    def deeper(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep (calls and '&'): simplify it", column)

    def column(self) -> int:
        return self.at + 1

    def at_end(self) -> bool:
        return self.at >= len(self.text)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def describe(self) -> str:
        return f"{self.peek()!r}" if not self.at_end() else "end of the expression"

    def space(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def expression(self) -> Node:
        left = self.concatenation()
        self.space()
        for operator in COMPARISONS:
            if self.text.startswith(operator, self.at):
                column = self.column()
                self.at += len(operator)
                self.space()
                right = self.concatenation()
                return Operation(operator, left, right, column)
        return left

    def concatenation(self) -> Node:
        node = self.operand()
        outside = self.depth
        while True:
            saved = self.at
            self.space()
            # `&H` starts a hex constant, never a concatenation
            if self.peek() == "&" and self.text[self.at + 1 : self.at + 2].upper() != "H":
                column = self.column()
                self.deeper(column)  # the tree of `a & b & c` leans left: one level per `&`
                self.at += 1
                self.space()
                node = Operation("&", node, self.operand(), column)
            else:
                self.at = saved
                self.depth = outside
                return node

    def operand(self) -> Node:
        self.space()
        start = self.at
        char = self.peek()
        if char == "[":
            return self.attribute()
        if char == '"':
            return self.string()
        if char == "%":
            end = self.text.find("%", self.at + 1)
            if end < 0 or end == self.at + 1:
                raise ExpressionError("a placeholder is written %Name%: missing the closing %", start + 1)
            self.at = end + 1
            return Bare(self.text[start : self.at], start + 1)
        if char == "&" and self.text[self.at + 1 : self.at + 2].upper() == "H":
            self.at += 2
            while self.peek().isalnum():
                self.at += 1
            return Bare(self.text[start : self.at], start + 1)
        if char.isdigit() or (char in "-+" and self.text[self.at + 1 : self.at + 2].isdigit()):
            self.at += 1
            while self.peek().isdigit() or self.peek() == ".":
                self.at += 1
            return Bare(self.text[start : self.at], start + 1)
        if char.isalpha() or char == "_":
            while self.peek().isalnum() or self.peek() in "_.":
                self.at += 1
            name = self.text[start : self.at]
            after = self.at
            self.space()
            if self.peek() == "(":
                return self.call(name, start + 1)
            self.at = after
            return Bare(name, start + 1)
        if self.at_end():
            raise ExpressionError("the expression ends where a value was expected", self.column())
        raise ExpressionError(
            f'unexpected {self.describe()}: expected [attribute], "string" or a function call', self.column()
        )

    def attribute(self) -> Attribute:
        start = self.at
        depth = 0
        quoted = False
        while self.at < len(self.text):
            char = self.text[self.at]
            if quoted:
                if char == "\\":
                    self.at += 1
                elif char == '"':
                    quoted = False
            elif char == '"':
                quoted = True
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    self.at += 1
                    name = self.text[start + 1 : self.at - 1]
                    if not name.strip():
                        raise ExpressionError("an attribute name is empty: write [attributeName]", start + 1)
                    return Attribute(name, start + 1)
            self.at += 1
        raise ExpressionError("an attribute is not closed: missing ']'", start + 1)

    def string(self) -> Constant:
        start = self.at
        self.at += 1
        value = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.text[self.at + 1 : self.at + 2] in ('"', "\\"):
                value.append(self.text[self.at + 1])
                self.at += 2
                continue
            if char == '"':
                self.at += 1
                return Constant("".join(value), self.text[start : self.at], start + 1)
            value.append(char)
            self.at += 1
        raise ExpressionError("a string is not closed: missing '\"' (write \\\" for a quote inside it)", start + 1)

    def call(self, name: str, column: int) -> Call:
        known = function(name)
        if known is None:
            from ..catalog.functions import FUNCTIONS

            raise ExpressionError(f"unknown function {name!r}{did_you_mean(name, FUNCTIONS)}", column)
        self.deeper(column)
        self.at += 1  # (
        arguments: list[Node | None] = []
        self.space()
        if self.peek() == ")":
            self.at += 1
        else:
            while True:
                self.space()
                if self.peek() in (",", ")"):
                    arguments.append(None)
                elif self.at_end():
                    raise ExpressionError(f"{known.name}( is not closed: missing ')'", self.column())
                else:
                    arguments.append(self.expression())
                self.space()
                if self.peek() == ",":
                    self.at += 1
                    continue
                if self.peek() == ")":
                    self.at += 1
                    break
                if self.at_end():
                    raise ExpressionError(f"{known.name}( is not closed: missing ')'", self.column())
                raise ExpressionError(f"unexpected {self.describe()}: expected ',' or ')'", self.column())
        self.depth -= 1
        if not known.accepts(len(arguments)):
            raise ExpressionError(f"{known.name} takes {known.arity()}, not {len(arguments)}", column)
        return Call(known.name, tuple(arguments), column)


def render(node: Node | None) -> str:
    """The normal form of a tree: whitespace outside strings as Graph writes it back
    (`Replace([a], "-", , , "_", , )`), function names as the catalog spells them."""
    if node is None:
        return ""
    if isinstance(node, Attribute):
        return f"[{node.name}]"
    if isinstance(node, Constant):
        return node.text
    if isinstance(node, Bare):
        return node.text
    if isinstance(node, Call):
        return f"{node.name}({', '.join(render(argument) for argument in node.arguments)})"
    return f"{render(node.left)} {node.operator} {render(node.right)}"


@lru_cache(maxsize=65536)
def normal(text: str) -> str:
    """`text` in normal form, for comparing two expressions; text that does not parse (a
    tenant may hold what this parser does not know) is compared with its whitespace outside
    strings collapsed."""
    try:
        return render(parse(text))
    except ExpressionError:
        return _collapse(text)


def _collapse(text: str) -> str:
    out: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if quoted:
            out.append(char)
            if char == "\\" and index + 1 < len(text):
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
            out.append(char)
        elif char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
        index += 1
    return "".join(out).strip()


def to_source(node: Node) -> dict:
    """Graph's source object for a tree, as parseExpression returns it: `{expression, name,
    type, parameters}`; an empty argument is left out of `parameters`, the key of an argument
    is its function parameter's name."""
    if isinstance(node, Attribute):
        return {"expression": render(node), "name": node.name, "parameters": [], "type": "Attribute"}
    if isinstance(node, Constant):
        return {"expression": render(node), "name": node.value, "parameters": [], "type": "Constant"}
    if isinstance(node, Bare):
        # Graph's answer for Mid([userPrincipalName], 1, 8) carries 1 as the constant "1":
        # {"expression": "\"1\"", "name": "1", "type": "Constant"}
        return {"expression": f'"{node.text}"', "name": node.text, "parameters": [], "type": "Constant"}
    if isinstance(node, Call):
        known = function(node.name)
        assert known is not None  # parse() admits only the catalog's functions
        parameters = [
            {"key": known.key(position), "value": to_source(argument)}
            for position, argument in enumerate(node.arguments)
            if argument is not None
        ]
        return {"expression": render(node), "name": node.name, "parameters": parameters, "type": "Function"}
    raise Unbuildable(
        f"{render(node)!r}: Graph's tree for the operator {node.operator!r} is not published; "
        "it is built by Graph's parseExpression"
    )


def source_of(text: str) -> dict:
    """Graph's source object for the expression `text` (ExpressionError, Unbuildable)."""
    return to_source(parse(text))

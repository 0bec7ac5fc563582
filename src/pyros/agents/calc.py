"""Safe arithmetic for the ``calc`` test command, which replaces the original ``eval``:
the expression is parsed, and only numbers and arithmetic operators are evaluated."""

from __future__ import annotations

import ast
import math
import operator

MAX_LENGTH = 200
MAX_EXPONENT = 1000
#: A result's size: more digits than this is refused before it is computed. Without it
#: "(9**999)**999" computed a number of a million digits (seconds of CPU, then a
#: result no JSON reader takes), and a chain of products as bad: an agent froze.
MAX_DIGITS = 1000

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class CalcError(ValueError):
    """The expression is not plain arithmetic, or cannot be computed."""


def calculate(expression: str) -> int | float:
    if len(expression) > MAX_LENGTH:
        raise CalcError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise CalcError(f"not an arithmetic expression: {exc.msg}") from exc
    try:
        value = _evaluate(tree.body)
    except (ZeroDivisionError, OverflowError) as exc:
        raise CalcError(str(exc)) from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise CalcError("the result is not a finite number")
    return value


def _digits(value: int | float) -> float:
    """Decimal digits of a whole number's magnitude (floats overflow by themselves)."""
    if isinstance(value, float) or value == 0:
        return 1.0
    return abs(value).bit_length() * math.log10(2) + 1


def _digits_of(op: ast.operator, left: int | float, right: int | float) -> float:
    """An upper bound of the result's digits, computed without computing the result."""
    if isinstance(left, float) or isinstance(right, float):
        return 1.0
    if isinstance(op, ast.Pow):
        return _digits(left) * max(right, 0) if abs(left) > 1 else 1.0
    if isinstance(op, ast.Mult):
        return _digits(left) + _digits(right)
    return max(_digits(left), _digits(right)) + 1


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalcError(f"exponent larger than {MAX_EXPONENT}")
        if _digits_of(node.op, left, right) > MAX_DIGITS:
            raise CalcError(f"the result would have more than {MAX_DIGITS} digits")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    raise CalcError(f"only numbers and + - * / // % ** are allowed, not {type(node).__name__}")

"""A restricted arithmetic evaluator for the expressions users write in input files.

Templates, ``FUNCTION`` observables, ``Conditions`` and ``Derived Variables`` are
expressions of variables and observables. They are parsed with :mod:`ast` and only
numbers, names, ``VARIABLE[i]``, arithmetic, comparisons, boolean operators and
whitelisted ``math`` functions are accepted; attribute access (other than
``math.<fn>`` / ``np.<fn>``), calls of anything else, subscripts of anything else,
lambdas, comprehensions and dunder names are refused at parse time. Python ``eval``
is never used.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Mapping

from bsmart.errors import ExpressionError, UnknownNameError

__all__ = ["Expression", "compile_expression", "MATH_FUNCTIONS"]

MATH_FUNCTIONS: dict[str, Callable[..., float]] = {
    name: getattr(math, name)
    for name in (
        "sqrt exp log log10 log2 log1p expm1 sin cos tan asin acos atan atan2 sinh cosh tanh "
        "asinh acosh atanh fabs floor ceil pow hypot erf erfc gamma lgamma degrees radians copysign"
    ).split()
}
MATH_FUNCTIONS.update({"abs": abs, "min": min, "max": max, "round": round, "float": float, "int": int})
MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan, "tau": math.tau}
# Module prefixes users write out of habit (BSMArt templates use ``math.sqrt``).
MODULE_ALIASES = {"math", "np", "numpy"}

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}

Evaluator = Callable[[Mapping[str, Any]], Any]


def _function_name(node: ast.expr) -> str:
    """Name of a callable node: ``sqrt`` or ``math.sqrt``; anything else is refused."""
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODULE_ALIASES:
        name = node.attr
    else:
        raise ExpressionError("only math functions may be called")
    if name not in MATH_FUNCTIONS:
        raise ExpressionError(f"unknown function '{name}'")
    return name


def _compile(node: ast.AST) -> Evaluator:
    """Turn a checked AST node into a closure; every node kind not listed is refused."""
    if isinstance(node, ast.Expression):
        return _compile(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"constant {node.value!r} is not a number")
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id
        if name.startswith("__"):
            raise ExpressionError(f"name '{name}' is not allowed")
        if name in ("True", "False"):
            value = name == "True"
            return lambda env: value

        if name == "VARIABLE":  # a list: arithmetic on it would repeat it (VARIABLE * 10**8 takes GBs)
            raise ExpressionError("VARIABLE must be indexed, as VARIABLE[i]")

        def lookup(env: Mapping[str, Any]) -> Any:
            if name in env:
                return env[name]
            if name in MATH_CONSTANTS:
                return MATH_CONSTANTS[name]
            raise UnknownNameError(f"unknown name '{name}'")
        return lookup
    if isinstance(node, ast.Attribute):
        # math.pi and friends
        if isinstance(node.value, ast.Name) and node.value.id in MODULE_ALIASES and node.attr in MATH_CONSTANTS:
            value = MATH_CONSTANTS[node.attr]
            return lambda env: value
        raise ExpressionError("attribute access is not allowed")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op, left, right = _BINARY[type(node.op)], _compile(node.left), _compile(node.right)
        if isinstance(node.op, ast.Pow):
            def power(env: Mapping[str, Any]) -> Any:
                # in floats: integer powers such as (10**9999)**9999 would run for hours
                result = op(float(left(env)), float(right(env)))
                if isinstance(result, complex):
                    raise ExpressionError(f"'{ast.unparse(node)}' has no real value")
                return result
            return power
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        op, operand = _UNARY[type(node.op)], _compile(node.operand)
        return lambda env: op(operand(env))
    if isinstance(node, ast.BoolOp):
        values = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(v(env) for v in values)
        return lambda env: any(v(env) for v in values)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        first = _compile(node.left)
        ops = [_COMPARE[type(op)] for op in node.ops]
        rest = [_compile(c) for c in node.comparators]

        def compare(env: Mapping[str, Any]) -> bool:
            left = first(env)
            for op, right_fn in zip(ops, rest):
                right = right_fn(env)
                if not op(left, right):
                    return False
                left = right
            return True
        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = _compile(node.test), _compile(node.body), _compile(node.orelse)
        return lambda env: body(env) if test(env) else orelse(env)
    if isinstance(node, ast.Call):
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed")
        fn = MATH_FUNCTIONS[_function_name(node.func)]
        args = [_compile(a) for a in node.args]
        return lambda env: fn(*(a(env) for a in args))
    if isinstance(node, ast.Subscript):
        # VARIABLE[i]: the i-th variable in declaration order, as in BSMArt templates
        if not (isinstance(node.value, ast.Name) and node.value.id == "VARIABLE"):
            raise ExpressionError("only VARIABLE[i] may be indexed")
        index = node.slice
        if not (isinstance(index, ast.Constant) and isinstance(index.value, int) and not isinstance(index.value, bool)):
            raise ExpressionError("VARIABLE index must be an integer")
        i = index.value

        def variable(env: Mapping[str, Any]) -> Any:
            values = env.get("VARIABLE")
            if values is None or not -len(values) <= i < len(values):
                raise ExpressionError(f"VARIABLE[{i}] is out of range")
            return values[i]
        return variable
    raise ExpressionError(f"'{type(node).__name__}' is not allowed in an expression")


class Expression:
    """A parsed expression; call ``evaluate(env)`` with a mapping of names to values."""

    __slots__ = ("source", "names", "_fn")

    def __init__(self, source: str):
        if not isinstance(source, str):
            raise ExpressionError(f"expected an expression string, got {source!r}")
        if len(source) > 2000:
            raise ExpressionError("expression is too long")
        self.source = source
        try:
            tree = ast.parse(source.strip(), mode="eval")
            self._fn = _compile(tree)
        except SyntaxError as exc:
            raise ExpressionError(f"cannot parse '{source}': {exc.msg}") from None
        except (RecursionError, MemoryError):
            raise ExpressionError(f"'{source[:40]}...' is nested too deeply") from None
        self.names = frozenset(
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
        ) - set(MATH_FUNCTIONS) - set(MATH_CONSTANTS) - MODULE_ALIASES - {"True", "False"}

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        try:
            return self._fn(env)
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise ExpressionError(f"'{self.source}': {exc}") from None
        except (RecursionError, MemoryError):
            raise ExpressionError(f"'{self.source[:40]}...' is nested too deeply") from None

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __reduce__(self):  # closures do not pickle; re-parse in the worker
        return (Expression, (self.source,))


def compile_expression(source: str) -> Expression:
    return Expression(source)

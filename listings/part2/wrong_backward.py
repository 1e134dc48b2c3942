"""Three plausible backward bugs, and the gradient check that catches each.

A deliberately wrong listing. Each buggy operation computes the right
*forward* value, so nothing looks wrong until we compare its gradients with
central differences: `chainrule.gradcheck.gradcheck` raises `GradcheckError`
with a table of every input, and the corrected operation passes.

A new operation is made the way `chainrule` makes its own: a `Value` built
with its parents and the local derivative towards each one.

Run it: ``python listings/part2/wrong_backward.py``.
"""

from __future__ import annotations

import math

from chainrule import Value
from chainrule.gradcheck import GradcheckError, gradcheck


def mul_swapped(a: Value, b: Value) -> Value:
    """WRONG: d(ab)/da is b, but this hands each factor its *own* value."""
    return Value(a.data * b.data, "", (a, b), (a.data, b.data), "*")


def mul(a: Value, b: Value) -> Value:
    return Value(a.data * b.data, "", (a, b), (b.data, a.data), "*")


def softplus_no_chain(a: Value) -> Value:
    """WRONG: log(1 + e**a) has derivative e**a / (1 + e**a); this forgot the e**a."""
    return Value(math.log1p(math.exp(a.data)), "", (a,), (1 / (1 + math.exp(a.data)),), "softplus")


def softplus(a: Value) -> Value:
    e = math.exp(a.data)
    return Value(math.log1p(e), "", (a,), (e / (1 + e),), "softplus")


def sub_no_sign(a: Value, b: Value) -> Value:
    """WRONG: d(a - b)/db is -1, not +1."""
    return Value(a.data - b.data, "", (a, b), (1.0, 1.0), "-")


def sub(a: Value, b: Value) -> Value:
    return Value(a.data - b.data, "", (a, b), (1.0, -1.0), "-")


def caught(f, inputs) -> str | None:
    """The gradient check's report if it fails, None if it passes."""
    try:
        gradcheck(f, inputs)
    except GradcheckError as error:
        return str(error)
    return None


def check_each_bug() -> None:
    """Gradcheck each buggy operation (it must be caught) and its fix (it must pass)."""
    cases = [
        ("a * b, local derivatives swapped", mul_swapped, mul, lambda op: lambda a, b: op(a, b),
         (2.0, -3.0)),
        ("softplus, chain factor forgotten", softplus_no_chain, softplus,
         lambda op: lambda a: op(a), (0.7,)),
        ("a - b, sign forgotten", sub_no_sign, sub, lambda op: lambda a, b: op(a, b) * a,
         (2.0, -3.0)),
    ]
    for name, wrong, right, make, inputs in cases:
        report = caught(make(wrong), inputs)
        assert report is not None, f"the check should have caught: {name}"
        print(f"{name}: caught\n{report}\n")
        assert caught(make(right), inputs) is None, "the fix passes"

    # A bug can hide at a lucky point: with a == b, swapping a and b changes nothing.
    assert caught(lambda a, b: mul_swapped(a, b), (2.0, 2.0)) is None
    print("a * b with swapped local derivatives passes at a = b = 2: check at several points")


check_each_bug()

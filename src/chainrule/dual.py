"""`Dual`: forward-mode automatic differentiation with dual numbers.

A dual number ``a + a' * eps`` with ``eps**2 = 0`` carries a value and its
derivative along one chosen direction. ``eps`` is not a small real number
(no real number but 0 squares to 0): it is a new symbol defined by that
rule, as ``i`` is defined by ``i**2 = -1``. Arithmetic on dual numbers *is* the
chain rule: ``f(a + a' eps) = f(a) + f'(a) a' eps``. One forward pass gives
the derivative of every output with respect to one input; reverse mode
(`Value.backward`) gives the derivative of one output with respect to every
input.

Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainrule.scalar import _check_number, _float_power, _power_derivative

__all__ = ["Dual", "derivative"]

Number = int | float


# --8<-- [start:class]
class Dual:
    """A value and its derivative, carried forward together: ``value + derivative * eps``.

    ``Dual(x, 1.0)`` is the input we differentiate with respect to (its
    derivative with respect to itself is 1); a plain number is a constant
    (derivative 0). Every operation computes the new value *and* the new
    derivative at once.
    """

    __slots__ = ("value", "derivative")

    def __init__(self, value: Number, derivative: Number = 0.0) -> None:
        self.value = _as_float(value, "value")
        self.derivative = _as_float(derivative, "derivative")
    # --8<-- [end:class]

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, derivative={self.derivative!r})"

    # --8<-- [start:add_mul]
    def __add__(self, other: Dual | Number) -> Dual:
        """(a + a'eps) + (b + b'eps) = (a + b) + (a' + b')eps."""
        other = _lift(other, "+")
        return Dual(self.value + other.value, self.derivative + other.derivative)

    def __mul__(self, other: Dual | Number) -> Dual:
        """(a + a'eps)(b + b'eps) = ab + (a'b + ab')eps, since eps**2 = 0."""
        other = _lift(other, "*")
        return Dual(
            self.value * other.value,
            self.derivative * other.value + self.value * other.derivative,
        )
    # --8<-- [end:add_mul]

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.derivative)

    def __sub__(self, other: Dual | Number) -> Dual:
        other = _lift(other, "-")
        return Dual(self.value - other.value, self.derivative - other.derivative)

    def __truediv__(self, other: Dual | Number) -> Dual:
        """Quotient rule: (a/b)' = (a'b - ab') / b**2."""
        other = _lift(other, "/")
        a, b = self.value, other.value
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero in Dual division: {a!r} / {b!r}")
        return Dual(a / b, (self.derivative * b - a * other.derivative) / (b * b))

    def __pow__(self, exponent: Dual | Number) -> Dual:
        """(a**n)' = n a**(n-1) a'; with a Dual exponent also + a**n log(a) n'."""
        if isinstance(exponent, Dual):
            return _power_of_duals(self, exponent)
        n = _check_number(exponent, "**")
        a = self.value
        da = self.derivative
        return Dual(_float_power(a, n), _power_derivative(a, n) * da if da else 0.0)

    def __radd__(self, other: Number) -> Dual:
        return _lift(other, "+") + self

    def __rsub__(self, other: Number) -> Dual:
        return _lift(other, "-") - self

    def __rmul__(self, other: Number) -> Dual:
        return _lift(other, "*") * self

    def __rtruediv__(self, other: Number) -> Dual:
        return _lift(other, "/") / self

    def __rpow__(self, base: Number) -> Dual:
        return _power_of_duals(_lift(base, "**"), self)

    # --8<-- [start:functions]
    def exp(self) -> Dual:
        """(e**a)' = e**a a'."""
        try:
            out = math.exp(self.value)
        except OverflowError:
            raise OverflowError(f"exp({self.value!r}) overflows a float") from None
        return Dual(out, out * self.derivative)

    def log(self) -> Dual:
        """(log a)' = a' / a, for a > 0."""
        a = self.value
        if a <= 0.0:
            raise ValueError(f"log of a non-positive number: log({a!r}) is undefined")
        return Dual(math.log(a), self.derivative / a)

    def tanh(self) -> Dual:
        """(tanh a)' = (1 - tanh(a)**2) a', computed without overflow."""
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.derivative)

    def relu(self) -> Dual:
        """max(0, a), with slope 0 at the kink (as `Value.relu`)."""
        positive = self.value > 0.0
        return Dual(self.value if positive else 0.0, self.derivative if positive else 0.0)

    def sigmoid(self) -> Dual:
        """(s(a))' = s(a)(1 - s(a)) a', computed without overflow."""
        a = self.value
        if a >= 0.0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return Dual(s, s * (1.0 - s) * self.derivative)
    # --8<-- [end:functions]


# --8<-- [start:derivative]
def derivative(f: Callable[[Dual], Any], x: Number) -> float:
    """df/dx at `x` by one forward pass: seed the input's derivative with 1."""
    out = f(Dual(x, 1.0))
    return out.derivative if isinstance(out, Dual) else 0.0  # a constant f
# --8<-- [end:derivative]


def _as_float(x: Any, what: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, int | float) and not isinstance(x, bool):
        return float(x)
    try:
        return _check_number(x, "Dual")
    except TypeError:
        raise TypeError(
            f"Dual {what} must be an int or a float, got {type(x).__name__} ({x!r:.40})"
        ) from None


def _lift(x: Any, op: str) -> Dual:
    """A plain number is a constant: derivative 0."""
    if isinstance(x, Dual):
        return x
    return Dual(_check_number(x, op).__float__(), 0.0)


def _power_of_duals(base: Dual, exponent: Dual) -> Dual:
    """a**b with both varying: (a**b)' = b a**(b-1) a' + a**b log(a) b'."""
    a, b = base.value, exponent.value
    if a < 0.0:
        raise ValueError(
            f"negative base {a!r} with a Dual exponent: the derivative a**b * log(a) "
            "needs a >= 0"
        )
    out = _float_power(a, b)
    d_exponent = out * math.log(a) if a > 0.0 else 0.0
    da, db = base.derivative, exponent.derivative
    return Dual(out, (_power_derivative(a, b) * da if da else 0.0) + d_exponent * db)

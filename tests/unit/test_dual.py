"""Tests of `chainrule.Dual`: forward mode agrees with reverse mode and with the
numerical derivative for every op of the table."""

from __future__ import annotations

import math

import pytest

from chainrule import Dual, Value
from chainrule.dual import derivative
from chainrule.gradcheck import numerical_gradient
from tests.helpers import OPS, Op, relative_difference, sample_points


def test_dual_holds_value_and_derivative() -> None:
    d = Dual(3, 1)
    assert (d.value, d.derivative) == (3.0, 1.0)
    assert type(d.value) is float and type(d.derivative) is float
    assert Dual(2.0).derivative == 0.0
    assert repr(d) == "Dual(value=3.0, derivative=1.0)"


@pytest.mark.parametrize("bad", [True, "1", None, [1.0], 1j])
def test_dual_rejects_non_numbers_naming_the_type(bad: object) -> None:
    name = type(bad).__name__
    with pytest.raises(TypeError, match=name):
        Dual(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=name):
        Dual(1.0, bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=name):
        Dual(1.0) + bad  # type: ignore[operator]
    with pytest.raises(TypeError, match=name):
        bad * Dual(1.0)  # type: ignore[operator]


def test_the_seed_polynomial() -> None:
    assert derivative(lambda x: 3 * x**2 - 4 * x + 5, 3.0) == 14.0


def test_derivative_of_a_constant_function() -> None:
    assert derivative(lambda x: 7.0, 1.0) == 0.0


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_forward_value_matches_reference(op: Op) -> None:
    for point in sample_points(op, 4):
        out = op.apply(*(Dual(x) for x in point))
        assert out.value == pytest.approx(op.reference(*point), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_each_partial_matches_central_difference_and_reverse_mode(op: Op) -> None:
    for point in sample_points(op, 4):
        numeric = numerical_gradient(op.reference, point)
        leaves = [Value(x) for x in point]
        op.apply(*leaves).backward()
        for i in range(op.arity):
            duals = [Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(point)]
            forward = op.apply(*duals).derivative
            assert relative_difference(forward, numeric[i]) < 1e-6, (op.name, point, i)
            assert forward == pytest.approx(leaves[i].grad, rel=1e-12, abs=1e-12)


def test_stable_tanh_and_sigmoid() -> None:
    for x in (1000.0, -1000.0):
        for method in ("tanh", "sigmoid"):
            out = getattr(Dual(x, 1.0), method)()
            assert math.isfinite(out.value) and math.isfinite(out.derivative)


def test_errors_name_the_culprit() -> None:
    with pytest.raises(ValueError, match=r"log\(-1\.0\)"):
        Dual(-1.0).log()
    with pytest.raises(ZeroDivisionError, match=r"2\.0 / 0\.0"):
        Dual(2.0) / 0
    with pytest.raises(ValueError, match=r"negative base -2\.0"):
        Dual(-2.0) ** Dual(2.0)
    with pytest.raises(ValueError, match=r"negative base -2\.0"):
        (-2) ** Dual(2.0)
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\)"):
        Dual(1000.0).exp()


def test_constant_zero_base_to_a_fractional_power_has_zero_derivative() -> None:
    out = Dual(0.0) ** 0.5
    assert (out.value, out.derivative) == (0.0, 0.0)


def test_number_on_either_side() -> None:
    x = Dual(2.0, 1.0)
    for f, expected in [
        (lambda x: 1 + x, 1.0),
        (lambda x: 1 - x, -1.0),
        (lambda x: 3 * x, 3.0),
        (lambda x: 8 / x, -2.0),
        (lambda x: 2**x, 4 * math.log(2)),
        (lambda x: -x, -1.0),
    ]:
        assert f(x).derivative == pytest.approx(expected)

"""Tests of `chainrule.gradcheck`: numerical derivatives and the gradient check."""

from __future__ import annotations

import math

import pytest

from chainrule import Value
from chainrule.gradcheck import (
    GradcheckError,
    compare_gradients,
    gradcheck,
    numerical_derivative,
    numerical_gradient,
    relative_error,
)


def f(x: float) -> float:
    return 3 * x**2 - 4 * x + 5


def test_forward_difference_of_the_seed_example() -> None:
    assert numerical_derivative(f, 3.0, h=0.001, method="forward") == pytest.approx(14.003)


def test_central_difference_is_exact_for_a_quadratic() -> None:
    assert numerical_derivative(f, 3.0, h=0.001) == pytest.approx(14.0, abs=1e-9)


def test_central_beats_forward() -> None:
    for h in (1e-2, 1e-3, 1e-4):
        forward = abs(numerical_derivative(math.exp, 1.0, h, "forward") - math.e)
        central = abs(numerical_derivative(math.exp, 1.0, h, "central") - math.e)
        assert central < forward / 10


def test_numerical_derivative_accepts_a_function_returning_a_value() -> None:
    assert numerical_derivative(lambda x: Value(x).tanh(), 0.0) == pytest.approx(1.0)


def test_numerical_gradient() -> None:
    grad = numerical_gradient(lambda a, b, c: a * b + c, [2.0, -3.0, 10.0])
    assert grad == pytest.approx([-3.0, 2.0, 1.0])


@pytest.mark.parametrize(("h", "method"), [(0.0, "central"), (-1e-3, "central"), (1e-3, "back")])
def test_bad_step_or_method_is_named(h: float, method: str) -> None:
    with pytest.raises(ValueError, match=repr(method) if method == "back" else repr(h)):
        numerical_derivative(f, 1.0, h, method)


def test_relative_error() -> None:
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)
    assert relative_error(1e-9, 2e-9) == pytest.approx(0.5)


def test_gradcheck_passes_for_correct_gradients() -> None:
    assert gradcheck(lambda a, b: (a * b + b**3).tanh() / a.exp(), [0.3, -0.7])


def _wrong_mul(a: Value, b: Value) -> Value:
    """a * b with the local derivatives in the wrong order (d/da = a, d/db = b)."""
    return Value(a.data * b.data, "", (a, b), (a.data, b.data), "*")


def _wrong_tanh(a: Value) -> Value:
    """tanh with local derivative 1 - t instead of 1 - t**2."""
    t = math.tanh(a.data)
    return Value(t, "", (a,), (1.0 - t,), "tanh")


def test_gradcheck_catches_a_wrong_backward() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(_wrong_mul, [2.0, 5.0])
    message = str(caught.value)
    assert isinstance(caught.value, AssertionError)
    for needle in ("x0", "x1", "analytic", "numeric", "rel error", "NO"):
        assert needle in message
    rows = message.splitlines()[2:]
    assert rows[0].split()[1:4] == ["2", "2", "5"]  # input x0: value, analytic, numeric
    assert rows[1].split()[1:4] == ["5", "5", "2"]


def test_gradcheck_catches_a_wrong_rule_inside_a_bigger_function() -> None:
    with pytest.raises(GradcheckError, match="NO"):
        gradcheck(lambda a, b: _wrong_tanh(a * b) + b, [0.7, 0.4])
    assert gradcheck(lambda a, b: (a * b).tanh() + b, [0.7, 0.4])


def test_relu_kink_shows_disagreement() -> None:
    result = compare_gradients(lambda a: a.relu(), [0.0])
    assert not result.ok
    assert result.analytic == [0.0]
    assert result.numeric == pytest.approx([0.5])
    with pytest.raises(GradcheckError, match="0.5"):
        gradcheck(lambda a: a.relu(), [0.0])
    assert gradcheck(lambda a: a.relu(), [0.1])


def test_report_uses_labels_and_lists_every_input() -> None:
    result = compare_gradients(lambda a, b: a * b, [2.0, 3.0])
    text = str(result)
    assert result.ok and result.names == ["x0", "x1"]
    assert len(text.splitlines()) == 3
    assert result.errors == pytest.approx([0.0, 0.0], abs=1e-8)


def test_report_names_inputs() -> None:
    with pytest.raises(GradcheckError, match=r"(?m)^a .*NO$"):
        gradcheck(_wrong_mul, [2.0, 5.0], names=["a", "b"])
    with pytest.raises(ValueError, match="1 names for 2 inputs"):
        compare_gradients(_wrong_mul, [2.0, 5.0], names=["a"])


def test_gradcheck_needs_a_value_output() -> None:
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda a: a.data, [1.0])


# ---------------------------------------------------------------- array helpers


def test_numerical_gradient_array_and_compare() -> None:
    np = pytest.importorskip("numpy")
    from chainrule.gradcheck import compare_array_gradients, numerical_gradient_array

    a = np.arange(6.0).reshape(2, 3)
    b = np.linspace(-1, 1, 6).reshape(3, 2)
    ga, gb = numerical_gradient_array(lambda x, y: np.sum(np.tanh(x @ y)), [a, b])
    s = 1 - np.tanh(a @ b) ** 2
    compare_array_gradients([s @ b.T, a.T @ s], [ga, gb])
    assert ga.shape == a.shape and gb.shape == b.shape
    assert a[0, 1] == 1.0  # inputs untouched

    forward = numerical_gradient_array(lambda x: np.sum(x**2), [a], h=1e-7, method="forward")
    np.testing.assert_allclose(forward[0], 2 * a, atol=1e-5)

    upstream = np.array([1.0, -2.0, 0.5])
    (gx,) = numerical_gradient_array(lambda x: 3 * x, [np.zeros(3)], upstream=upstream)
    np.testing.assert_allclose(gx, 3 * upstream, rtol=1e-8)

    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        numerical_gradient_array(lambda x: 3 * x, [np.zeros(3)])
    with pytest.raises(GradcheckError, match=r"W: 1 of 6 elements disagree.*\(1, 2\)"):
        wrong = ga.copy()
        wrong[1, 2] += 1.0
        compare_array_gradients([wrong], [ga], names=["W"])
    with pytest.raises(GradcheckError, match=r"analytic shape \(3, 2\) != numeric shape \(2, 3\)"):
        compare_array_gradients([gb], [ga])

"""Every row of the op registry (`tests/unit/op_registry.py`), for both engines:
forward against the reference, gradient against central differences and
against PyTorch float64, every error input, and the elementwise ops over
[-1000, 1000] against PyTorch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from chainrule import Tensor, Value
from chainrule.gradcheck import (
    compare_array_gradients,
    compare_gradients,
    numerical_gradient_array,
)
from tests.unit.op_registry import ELEMENTWISE, OPS, WIDE_GRID, OpInfo, draw_inputs, value_points

TOLERANCE = 1e-12  # max|difference| / max(1, max|reference|), against PyTorch float64


def scaled_error(ours: Any, reference: Any) -> float:
    """max |ours - reference| / max(1, max |reference|): relative for large values,
    absolute for small ones (a relative error per element means nothing at 0)."""
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    assert ours.shape == reference.shape, (ours.shape, reference.shape)
    if ours.size == 0:
        return 0.0
    return float(np.max(np.abs(ours - reference)) / max(1.0, float(np.max(np.abs(reference)))))


def run_tensor(op: OpInfo, arrays: list[np.ndarray], rng: np.random.Generator):
    """Apply a tensor row and backpropagate a random upstream gradient."""
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = op.apply(*inputs)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    return out, inputs, upstream


# ------------------------------------------------------------------ forward
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_forward_matches_reference(op: OpInfo) -> None:
    if op.engine == "value":
        for point in value_points(op, 5):
            out = op.apply(*(Value(x) for x in point))
            assert isinstance(out, Value)
            assert out.data == pytest.approx(op.reference(*point), rel=1e-12, abs=1e-12), point
        return
    arrays = draw_inputs(op, np.random.default_rng(1))
    out = op.apply(*(Tensor(a) for a in arrays))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, op.reference(*arrays), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ gradient: central differences
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_gradient_matches_central_differences(op: OpInfo) -> None:
    if op.engine == "value":
        for point in value_points(op, 5):
            result = compare_gradients(op.apply, point, rtol=1e-6, atol=1e-8)
            assert result.ok, f"{op.name} at {point}:\n{result}"
        return
    rng = np.random.default_rng(0)
    arrays = draw_inputs(op, rng)
    out, inputs, upstream = run_tensor(op, arrays, rng)
    numeric = numerical_gradient_array(
        lambda *xs: op.apply(*(Tensor(x) for x in xs)), arrays, upstream=upstream
    )
    compare_array_gradients([t.grad for t in inputs], numeric, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ gradient: PyTorch float64
@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=repr)
def test_forward_and_gradient_match_pytorch(op: OpInfo) -> None:
    torch = pytest.importorskip("torch")
    theirs_apply = op.torch or op.apply
    if op.engine == "value":
        for point in value_points(op, 5):
            leaves = [Value(x) for x in point]
            out = op.apply(*leaves)
            out.backward()
            tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
            ref = theirs_apply(*tensors)
            ref.backward()
            grads = [0.0 if t.grad is None else t.grad.item() for t in tensors]
            assert scaled_error(out.data, ref.item()) <= TOLERANCE, point
            assert scaled_error([v.grad for v in leaves], grads) <= TOLERANCE, point
        return
    rng = np.random.default_rng(0)
    arrays = draw_inputs(op, rng)
    out, inputs, upstream = run_tensor(op, arrays, rng)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    ref = theirs_apply(*tensors)
    ref.backward(torch.tensor(upstream, dtype=torch.float64))
    assert scaled_error(out.data, ref.detach().numpy()) <= TOLERANCE
    for t, r in zip(inputs, tensors, strict=True):
        expected = np.zeros_like(t.data) if r.grad is None else r.grad.numpy()
        assert scaled_error(t.grad, expected) <= TOLERANCE


# ------------------------------------------------------------------ error inputs
ERROR_CASES = [
    pytest.param(op, error, id=f"{op.id}-{i}") for op in OPS for i, error in enumerate(op.errors)
]


@pytest.mark.parametrize(("op", "error"), ERROR_CASES)
def test_error_input_raises(op: OpInfo, error) -> None:
    with pytest.raises(error.error, match=error.match):
        error.call()


def test_every_engine_has_rows_with_error_inputs() -> None:
    for engine in ("value", "tensor"):
        rows = [op for op in OPS if op.engine == engine]
        assert len(rows) >= 20 and sum(bool(op.errors) for op in rows) >= 10, engine


# ------------------------------------------------------------------ [-1000, 1000] against PyTorch
@pytest.mark.torch
@pytest.mark.parametrize("op", ELEMENTWISE, ids=repr)
def test_elementwise_op_on_the_whole_range_matches_pytorch(op: OpInfo) -> None:
    """Finite wherever PyTorch is finite, and within 1e-12 relative there."""
    torch = pytest.importorskip("torch")
    theirs_apply = op.torch or op.apply
    grid = np.array(WIDE_GRID)
    if op.engine == "tensor":
        x = Tensor(grid.copy(), requires_grad=True)
        with np.errstate(all="ignore"):
            out = op.apply(x)
            out.backward(np.ones_like(grid))
        ours_out, ours_grad = out.data, x.grad
    else:
        ours_out, ours_grad = _value_on_grid(op, grid)
    t = torch.tensor(grid, dtype=torch.float64, requires_grad=True)
    ref = theirs_apply(t)
    ref.backward(torch.ones_like(t))
    theirs_out, theirs_grad = ref.detach().numpy(), t.grad.numpy()
    # The value: finite where PyTorch's is, and within 1e-12 relative (a
    # subnormal like sigmoid(-745) = 5e-324, where PyTorch underflows to 0, is
    # allowed for by atol=1e-300).
    finite = np.isfinite(theirs_out)
    assert np.all(np.isfinite(ours_out[finite])), grid[finite & ~np.isfinite(ours_out)]
    np.testing.assert_allclose(ours_out[finite], theirs_out[finite], rtol=1e-12, atol=1e-300,
                               err_msg=f"{op.id} value")
    # The gradient, where value and gradient are finite in PyTorch: finite, and
    # |difference| <= 1e-12 max(1, |gradient|). A plain relative error means
    # nothing for tanh's 1 - tanh(x)^2 at x = 19, which is a rounding error
    # (2e-16 in PyTorch, 0 here; the true value is 1.3e-16).
    finite &= np.isfinite(theirs_grad)
    assert np.all(np.isfinite(ours_grad[finite])), grid[finite & ~np.isfinite(ours_grad)]
    scale = np.maximum(1.0, np.abs(theirs_grad[finite]))
    worst = np.max(np.abs(ours_grad[finite] - theirs_grad[finite]) / scale)
    assert worst <= TOLERANCE, f"{op.id} gradient differs by {worst:.2e}"


def _value_on_grid(op: OpInfo, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scalar op at each point; nan where it raises (PyTorch's inf or nan)."""
    outs, grads = [], []
    for x in grid:
        leaf = Value(float(x))
        try:
            out = op.apply(leaf)
            out.backward()
            outs.append(out.data)
            grads.append(leaf.grad)
        except (ValueError, OverflowError, ZeroDivisionError):  # outside the domain
            outs.append(math.nan)
            grads.append(math.nan)
    return np.array(outs), np.array(grads)

"""Tensor gradients against central differences on shapes drawn at random.

Each operation's own checks (forward, central differences, PyTorch, error
inputs) are rows of the registry, `tests/unit/op_registry.py`. Here
hypothesis draws random broadcasting shapes, axes and matrix sizes, and a
program with a non-scalar output is checked through a random upstream
gradient (a vector-Jacobian product).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import Tensor
from chainrule.gradcheck import compare_array_gradients, numerical_gradient_array

Program = Callable[..., Tensor]


def draw(shape: tuple[int, ...], kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if kind == "distinct":  # well separated values: no ties for max
        return rng.permutation(np.arange(int(np.prod(shape)), dtype=float)).reshape(shape) * 0.3
    if kind == "away_from_zero":  # relu's kink is at 0
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 1.5, size=shape)
    return rng.normal(size=shape)


def check(program: Program, arrays: list[np.ndarray], rng: np.random.Generator) -> None:
    """Backward of `program` at `arrays` equals the central differences."""
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = program(*inputs)
    upstream = None if out.data.size == 1 and out.data.ndim == 0 else rng.normal(size=out.shape)
    out.backward(upstream)
    numeric = numerical_gradient_array(
        lambda *xs: program(*[Tensor(x) for x in xs]), arrays, upstream=upstream
    )
    for t in inputs:
        assert t.grad is not None and t.grad.shape == t.data.shape
    compare_array_gradients([t.grad for t in inputs], numeric, rtol=1e-5, atol=1e-7)


def test_max_splits_the_gradient_between_ties() -> None:
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


# ------------------------------------------------------------------ hypothesis: random shapes
@st.composite
def broadcast_pair(draw_: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and a second shape that broadcasts against it, in either order."""
    full = tuple(draw_(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dropped = draw_(st.integers(0, len(full)))
    other = tuple(
        1 if draw_(st.booleans()) else n for n in full[dropped:]
    )
    return (other, full) if draw_(st.booleans()) else (full, other)


OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_pair(), op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_broadcasting_gradients_on_random_shapes(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], op: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    arrays = [draw(shape, "positive" if op == "/" else "normal", rng) for shape in shapes]
    check(OPS[op], arrays, rng)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
    keepdims=st.booleans(),
    data=st.data(),
)
def test_reductions_on_random_shapes_and_axes(
    shape: tuple[int, ...], keepdims: bool, data: st.DataObject
) -> None:
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    name = data.draw(st.sampled_from(["sum", "mean", "amax", "amin"]))
    rng = np.random.default_rng(0)
    array = draw(shape, "distinct", rng)
    check(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), [array], rng)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4))
def test_matmul_on_random_shapes(n: int, k: int, m: int) -> None:
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    check(lambda a, b: a @ b, [rng.normal(size=(n, k)), rng.normal(size=(k, m))], rng)

"""Every Tensor operation against central differences, in float64.

One table of cases drives the check (minitorch style): a name, a program of
tensors, the shapes of its inputs and how to draw their values (``positive``
for log and powers, ``distinct`` for max so that no two elements tie). A
program with a non-scalar output is checked through a random upstream
gradient (a vector-Jacobian product). Hypothesis then draws random
broadcasting shapes for the elementwise operations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule.functional as F
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


S, M = (3, 4), (2, 3, 4)
CASES: list[tuple[str, Program, list[tuple[int, ...]], str]] = [
    # arithmetic, same shapes and broadcast in both directions
    ("add", lambda a, b: a + b, [S, S], "normal"),
    ("add row", lambda a, b: a + b, [S, (4,)], "normal"),
    ("add column", lambda a, b: a + b, [(3, 1), S], "normal"),
    ("add outer", lambda a, b: a + b, [(3, 1), (1, 4)], "normal"),
    ("add 3-D", lambda a, b: a + b, [M, (3, 1)], "normal"),
    ("add scalar tensor", lambda a, b: a + b, [S, ()], "normal"),
    ("sub", lambda a, b: a - b, [(4,), S], "normal"),
    ("mul", lambda a, b: a * b, [S, S], "normal"),
    ("mul broadcast", lambda a, b: a * b, [M, (1, 4)], "normal"),
    ("div", lambda a, b: a / b, [S, (4,)], "positive"),
    ("div broadcast left", lambda a, b: a / b, [(3, 1), S], "positive"),
    ("pow number", lambda a: a**3, [S], "normal"),
    ("pow fraction", lambda a: a**0.5, [S], "positive"),
    ("pow negative", lambda a: a**-2, [S], "positive"),
    ("pow tensor", lambda a, b: a**b, [S, (4,)], "positive"),
    ("numbers on the left", lambda a: 2.0 - 3.0 / a + 2.0**a + 4 * a, [S], "positive"),
    ("neg", lambda a: -a, [S], "normal"),
    # matmul
    ("matmul 2-D", lambda a, b: a @ b, [(2, 3), (3, 4)], "normal"),
    ("matmul 1-D left", lambda a, b: a @ b, [(3,), (3, 4)], "normal"),
    ("matmul 1-D right", lambda a, b: a @ b, [(2, 3), (3,)], "normal"),
    ("matmul 1-D both", lambda a, b: a @ b, [(3,), (3,)], "normal"),
    ("rmatmul array", lambda b: np.ones((2, 3)) @ b, [(3, 4)], "normal"),
    # reductions
    ("sum all", lambda a: a.sum(), [M], "normal"),
    ("sum axis", lambda a: a.sum(axis=1), [M], "normal"),
    ("sum axes keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), [M], "normal"),
    ("sum negative axis", lambda a: a.sum(axis=-1), [S], "normal"),
    ("mean all", lambda a: a.mean(), [M], "normal"),
    ("mean axis keepdims", lambda a: a.mean(axis=0, keepdims=True), [S], "normal"),
    ("mean axes", lambda a: a.mean(axis=(1, 2)), [M], "normal"),
    ("max all", lambda a: a.max(), [S], "distinct"),
    ("max axis", lambda a: a.max(axis=1), [M], "distinct"),
    ("max keepdims", lambda a: a.max(axis=0, keepdims=True), [S], "distinct"),
    # elementwise functions
    ("exp", lambda a: a.exp(), [S], "normal"),
    ("log", lambda a: a.log(), [S], "positive"),
    ("tanh", lambda a: a.tanh(), [S], "normal"),
    ("relu", lambda a: a.relu(), [S], "away_from_zero"),
    ("sigmoid", lambda a: a.sigmoid(), [S], "normal"),
    # shapes and indexing
    ("reshape", lambda a: a.reshape(4, 3), [S], "normal"),
    ("reshape tuple", lambda a: a.reshape((2, -1)), [M], "normal"),
    ("T", lambda a: a.T, [S], "normal"),
    ("transpose axes", lambda a: a.transpose(2, 0, 1), [M], "normal"),
    ("index int", lambda a: a[1], [S], "normal"),
    ("slice", lambda a: a[1:, ::2], [S], "normal"),
    ("negative step", lambda a: a[::-1, 1], [S], "normal"),
    ("ellipsis and None", lambda a: a[..., None, 2], [M], "normal"),
    ("fancy with repeats", lambda a: a[[0, 2, 0, 0]], [S], "normal"),
    ("fancy pairs", lambda a: a[np.array([0, 1, 1]), np.array([3, 3, 0])], [S], "normal"),
    ("boolean mask", lambda a: a[a.data > 0], [S], "normal"),
    ("tensor index", lambda a: a[Tensor([2, 0])], [S], "normal"),
    # functional
    ("softmax", lambda a: F.softmax(a), [S], "normal"),
    ("softmax axis 0", lambda a: F.softmax(a, axis=0), [S], "normal"),
    ("log_softmax", lambda a: F.log_softmax(a), [S], "normal"),
    ("log_softmax axis 0", lambda a: F.log_softmax(a, axis=0), [M], "normal"),
    ("cross_entropy", lambda a: F.cross_entropy(a, [3, 0, 1]), [S], "normal"),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), [S, S], "normal"),
    ("linear", lambda x, w, b: F.linear(x, w, b), [(5, 3), (3, 4), (4,)], "normal"),
    ("linear no bias", lambda x, w: F.linear(x, w), [(5, 3), (3, 4)], "normal"),
    # compositions: a tensor used on several paths
    ("used twice", lambda a: (a * a + a).sum(), [S], "normal"),
    ("two-layer net", lambda x, w, v: ((x @ w).tanh() @ v).sigmoid().sum(),
     [(5, 3), (3, 4), (4, 2)], "normal"),
]


@pytest.mark.parametrize(("program", "shapes", "kind"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_gradient_matches_central_differences(
    program: Program, shapes: list[tuple[int, ...]], kind: str
) -> None:
    rng = np.random.default_rng(0)
    check(program, [draw(shape, kind, rng) for shape in shapes], rng)


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
    name = data.draw(st.sampled_from(["sum", "mean", "max"]))
    rng = np.random.default_rng(0)
    array = draw(shape, "distinct", rng)
    check(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), [array], rng)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4))
def test_matmul_on_random_shapes(n: int, k: int, m: int) -> None:
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    check(lambda a, b: a @ b, [rng.normal(size=(n, k)), rng.normal(size=(k, m))], rng)

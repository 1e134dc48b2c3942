"""The registry of operations: one row per op of each engine drives the op tests.

Modelled on PyTorch's OpInfo and minitorch's ``testing.py``. A row says

- how to apply the op to engine objects (`apply`), and to torch tensors
  (`torch`, when the spelling differs: ``axis=`` is ``dim=`` there);
- a reference forward written with `math` or numpy (`reference`);
- its input domain: one interval per argument for `Value`, shapes and a
  domain name for `Tensor` (see `DOMAINS`);
- its error inputs: calls that must raise, with the exception and message.

`test_op_registry.py` then checks, for every row, the forward against the
reference, the gradient against central differences (`chainrule.gradcheck`)
and against PyTorch in float64, and that every error input raises. Adding an
op means adding one row here.

The scalar rows wrap the table of `tests.helpers` (which the forward-mode
`Dual` tests share), adding the error inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import chainrule.functional as F
from chainrule import Tensor, Value, nn, optim
from chainrule.tensor import arange, cat, ones, ones_like, stack, tril, where, zeros, zeros_like
from tests.helpers import OPS as SCALAR_TABLE


@dataclass(frozen=True)
class ErrorInput:
    """A call that must raise `error` with a message matching `match`."""

    call: Callable[[], Any]
    error: type[BaseException]
    match: str


@dataclass(frozen=True)
class OpInfo:
    """One operation of one engine: how to call it, what it should give, how it fails."""

    name: str
    engine: str  # "value" or "tensor"
    apply: Callable[..., Any]
    reference: Callable[..., Any]
    domain: tuple[Any, ...]  # value: one interval per argument; tensor: shapes
    kind: str = "real"  # tensor: a key of DOMAINS
    torch: Callable[..., Any] | None = None  # None: `apply` works on torch tensors as is
    errors: tuple[ErrorInput, ...] = ()
    kinks: tuple[float, ...] = ()
    elementwise: bool = False  # a unary elementwise op: also checked on [-1000, 1000]

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"

    def __repr__(self) -> str:
        return self.id


# Tensor domains: how to draw each input.
DOMAINS: dict[str, Callable[[tuple[int, ...], np.random.Generator], np.ndarray]] = {
    "real": lambda shape, rng: rng.uniform(-2.0, 2.0, size=shape),
    "positive": lambda shape, rng: rng.uniform(0.5, 2.0, size=shape),
    # well-separated values: no ties for max, min, sorting-like ops
    "distinct": lambda shape, rng: (
        rng.permutation(np.arange(int(np.prod(shape)), dtype=float)).reshape(shape) * 0.3 - 1.0
    ),
    # away from a kink at 0 (relu, abs) and from clamp's ends at +-0.5
    "nonzero": lambda shape, rng: (
        rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.6, 1.5, size=shape)
    ),
}


def draw_inputs(op: OpInfo, rng: np.random.Generator) -> list[np.ndarray]:
    return [DOMAINS[op.kind](shape, rng) for shape in op.domain]


# ----------------------------------------------------------------------------- scalar rows
def _value_errors(name: str) -> tuple[ErrorInput, ...]:
    """The scalar engine's error inputs, by op name."""
    bad_operand = ErrorInput(lambda: Value(1.0) + "2", TypeError, r"\+ with a Value: str")
    table: dict[str, tuple[ErrorInput, ...]] = {
        "add": (bad_operand, ErrorInput(lambda: Value(1.0) + None, TypeError, "NoneType")),
        "radd": (ErrorInput(lambda: [1.0] + Value(1.0), TypeError, "list"),),
        "sub": (ErrorInput(lambda: Value(1.0) - True, TypeError, "bool"),),
        "rsub": (ErrorInput(lambda: 1j - Value(1.0), TypeError, "complex"),),
        "mul": (ErrorInput(lambda: Value(1.0) * "3", TypeError, "str"),),
        "truediv": (
            ErrorInput(lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"1.0 / 0.0"),
        ),
        "rtruediv": (ErrorInput(lambda: 2.5 / Value(0.0), ZeroDivisionError, r"2.5 / 0.0"),),
        "sqrt": (ErrorInput(lambda: Value(-1.0) ** 0.5, ValueError, r"negative base -1.0"),),
        "pow_negative": (
            ErrorInput(lambda: Value(0.0) ** -1.5, ZeroDivisionError, "negative power"),
        ),
        "pow_value": (
            ErrorInput(lambda: Value(-2.0) ** Value(2.0), ValueError, "negative base -2.0"),
        ),
        "rpow": (ErrorInput(lambda: (-2.0) ** Value(0.5), ValueError, "negative base"),),
        "exp": (ErrorInput(lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000.0\)"),),
        "log": (
            ErrorInput(lambda: Value(0.0).log(), ValueError, r"log\(0.0\)"),
            ErrorInput(lambda: Value(-1.5).log(), ValueError, r"log\(-1.5\)"),
        ),
        "square": (ErrorInput(lambda: Value(1e200) ** 2, OverflowError, "overflows"),),
    }
    return table.get(name, ())


_VALUE_ELEMENTWISE = {"exp", "log", "tanh", "relu", "sigmoid", "neg", "square", "sqrt"}

VALUE_OPS: tuple[OpInfo, ...] = tuple(
    OpInfo(
        op.name, "value", op.apply, op.reference, op.domain,
        errors=_value_errors(op.name), kinks=op.kinks,
        elementwise=op.name in _VALUE_ELEMENTWISE,
    )
    for op in SCALAR_TABLE
)


# ----------------------------------------------------------------------------- tensor rows
S, M, B = (3, 4), (2, 3, 4), (2, 4, 3)
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])


def _t(
    name: str, apply: Callable[..., Any], reference: Callable[..., Any], shapes: list[tuple],
    kind: str = "real", torch: Callable[..., Any] | None = None,
    errors: tuple[ErrorInput, ...] = (), elementwise: bool = False,
) -> OpInfo:
    return OpInfo(name, "tensor", apply, reference, tuple(shapes), kind, torch, errors,
                  elementwise=elementwise)


def _softmax(a: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return out if keepdims else (out.reshape(()) if axis is None else np.squeeze(out, axis))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def _tf() -> Any:  # torch.nn.functional, imported only when a torch column runs
    import torch.nn.functional as tf

    return tf


def _torch() -> Any:
    import torch

    return torch


def _tensor_1d(n: int = 3) -> Tensor:
    return Tensor(np.arange(float(n)), requires_grad=True)


TARGETS = np.array([3, 0, 1])
LAYERS = nn.ModuleList([nn.Linear(3, 4, rng=0), nn.Linear(4, 2, rng=1)])
_W = [layer.weight.data.copy() for layer in LAYERS]
_B = [layer.bias.data.copy() for layer in LAYERS]
DROP_MASK = np.random.default_rng(0).random(S) >= 0.3  # the mask of dropout(rng=0, p=0.3)

TENSOR_OPS: tuple[OpInfo, ...] = (
    # ------------------------------------------------------------------ arithmetic
    _t("add", lambda a, b: a + b, np.add, [S, S],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)) + Tensor(np.ones(M[:2])), ValueError,
                          r"shapes \(3, 4\) \+ \(2, 3\) do not broadcast"),
               ErrorInput(lambda: Tensor([1.0]) + "a", TypeError, "Tensor and str"))),
    _t("add row", lambda a, b: a + b, np.add, [S, (4,)]),
    _t("add column", lambda a, b: a + b, np.add, [(3, 1), S]),
    _t("add outer", lambda a, b: a + b, np.add, [(3, 1), (1, 4)]),
    _t("add 3-D", lambda a, b: a + b, np.add, [M, (3, 1)]),
    _t("add scalar tensor", lambda a, b: a + b, np.add, [S, ()]),
    _t("sub", lambda a, b: a - b, np.subtract, [(4,), S],
       errors=(ErrorInput(lambda: Tensor([True]) - Tensor([1.0]), TypeError, "boolean Tensor"),)),
    _t("mul", lambda a, b: a * b, np.multiply, [S, S],
       errors=(ErrorInput(lambda: Tensor([1.0]) * None, TypeError, "NoneType"),)),
    _t("mul broadcast", lambda a, b: a * b, np.multiply, [M, (1, 4)]),
    _t("div", lambda a, b: a / b, np.divide, [S, (4,)], "positive"),
    _t("div broadcast left", lambda a, b: a / b, np.divide, [(3, 1), S], "positive"),
    _t("pow number", lambda a: a**3, lambda a: a**3, [S]),
    _t("pow zero", lambda a: a**0, lambda a: a**0, [S]),
    _t("pow fraction", lambda a: a**0.5, np.sqrt, [S], "positive"),
    _t("pow negative", lambda a: a**-2, lambda a: a**-2.0, [S], "positive"),
    _t("pow tensor", lambda a, b: a**b, np.power, [S, (4,)], "positive"),
    _t("numbers on the left", lambda a: 2.0 - 3.0 / a + 2.0**a + 4 * a,
       lambda a: 2.0 - 3.0 / a + 2.0**a + 4 * a, [S], "positive"),
    _t("neg", lambda a: -a, np.negative, [S], elementwise=True),
    # ------------------------------------------------------------------ matmul
    _t("matmul 2-D", lambda a, b: a @ b, np.matmul, [(2, 3), (3, 4)],
       errors=(ErrorInput(lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), ValueError,
                          r"\(2, 3\) @ \(2, 3\) do not fit"),
               ErrorInput(lambda: Tensor(2.0) @ Tensor(np.ones(2)), ValueError,
                          "at least one axis"))),
    _t("matmul 1-D left", lambda a, b: a @ b, np.matmul, [(3,), (3, 4)]),
    _t("matmul 1-D right", lambda a, b: a @ b, np.matmul, [(2, 3), (3,)]),
    _t("matmul 1-D both", lambda a, b: a @ b, np.matmul, [(3,), (3,)]),
    _t("matmul batched", lambda a, b: a @ b, np.matmul, [M, B],
       errors=(ErrorInput(lambda: Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 2))),
                          ValueError, "batch axes"),)),
    _t("matmul batch broadcast", lambda a, b: a @ b, np.matmul, [(2, 1, 3, 4), (5, 4, 2)]),
    _t("matmul batched by matrix", lambda a, b: a @ b, np.matmul, [M, (4, 2)]),
    _t("matmul vector by batch", lambda a, b: a @ b, np.matmul, [(3,), (2, 3, 4)]),
    _t("rmatmul array", lambda b: np.ones((2, 3)) @ b, lambda b: np.ones((2, 3)) @ b, [(3, 4)],
       torch=lambda b: _torch().ones(2, 3, dtype=b.dtype) @ b),
    # ------------------------------------------------------------------ reductions
    _t("sum all", lambda a: a.sum(), np.sum, [M]),
    _t("sum axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), [M],
       torch=lambda a: a.sum(dim=1)),
    _t("sum axes keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
       lambda a: a.sum(axis=(0, 2), keepdims=True), [M],
       torch=lambda a: a.sum(dim=(0, 2), keepdim=True)),
    _t("sum dim keepdim", lambda a: a.sum(dim=-1, keepdim=True),
       lambda a: a.sum(axis=-1, keepdims=True), [M],
       errors=(ErrorInput(lambda: Tensor(np.ones(M)).sum(axis=1.0), TypeError,
                          r"dim \(axis\) must be an integer.*1.0 \(float\)"),
               ErrorInput(lambda: Tensor(np.ones(M)).sum(axis=1, dim=1), TypeError,
                          "both axis=1 and dim=1"),
               ErrorInput(lambda: Tensor(np.ones(M)).mean(keepdims=True, keepdim=True),
                          TypeError, "both keepdims"),
               ErrorInput(lambda: Tensor(np.ones(M)).var(dim=(0, 0)), ValueError,
                          "names an axis twice"))),
    _t("mean all", lambda a: a.mean(), np.mean, [M]),
    _t("mean dim", lambda a: a.mean(dim=(0, 2)), lambda a: a.mean(axis=(0, 2)), [M]),
    _t("var dim keepdim", lambda a: a.var(dim=1, keepdim=True),
       lambda a: a.var(axis=1, ddof=1, keepdims=True), [M]),
    _t("std dim", lambda a: a.std(dim=0), lambda a: a.std(axis=0, ddof=1), [M]),
    _t("logsumexp dim", lambda a: a.logsumexp(dim=-1, keepdim=True),
       lambda a: _logsumexp(a, -1, True), [M]),
    _t("mean axes", lambda a: a.mean(axis=(1, 2)), lambda a: a.mean(axis=(1, 2)), [M],
       torch=lambda a: a.mean(dim=(1, 2))),
    _t("max all", lambda a: a.max(), np.max, [S], "distinct"),
    _t("amax axis", lambda a: a.amax(axis=1), lambda a: a.max(axis=1), [M], "distinct",
       torch=lambda a: a.amax(dim=1)),
    _t("amax dims", lambda a: a.amax(dim=(0, 2)), lambda a: a.max(axis=(0, 2)), [M], "distinct"),
    _t("max dim values", lambda a: a.max(dim=1).values, lambda a: a.max(axis=1), [M],
       "distinct",
       errors=(ErrorInput(lambda: Tensor(np.ones(M)).max(dim=(0, 1)), TypeError,
                          r"one integer.*amax"),)),
    _t("max dim keepdim indices", lambda a: a.max(1, True)[0] * 2.0,
       lambda a: a.max(axis=1, keepdims=True) * 2.0, [S], "distinct"),
    _t("min all", lambda a: a.min(), np.min, [S], "distinct"),
    _t("amin axis keepdims", lambda a: a.amin(axis=0, keepdims=True),
       lambda a: a.min(axis=0, keepdims=True), [S], "distinct",
       torch=lambda a: a.amin(dim=0, keepdim=True)),
    _t("min dim values", lambda a: a.min(dim=-1).values, lambda a: a.min(axis=-1), [M],
       "distinct"),
    _t("logsumexp all", lambda a: a.logsumexp(), _logsumexp, [S],
       torch=lambda a: a.logsumexp(dim=(0, 1))),
    _t("logsumexp axis", lambda a: a.logsumexp(axis=1), lambda a: _logsumexp(a, 1), [M],
       torch=lambda a: a.logsumexp(dim=1)),
    _t("logsumexp of 1000s", lambda a: (a * 1000).logsumexp(axis=-1, keepdims=True),
       lambda a: _logsumexp(a * 1000, -1, True), [S],
       torch=lambda a: (a * 1000).logsumexp(dim=-1, keepdim=True)),
    _t("var", lambda a: a.var(), lambda a: a.var(ddof=1), [S]),
    _t("var axis population", lambda a: a.var(axis=0, correction=0),
       lambda a: a.var(axis=0), [M], torch=lambda a: a.var(dim=0, correction=0)),
    _t("std axis", lambda a: a.std(axis=1, keepdims=True),
       lambda a: a.std(axis=1, ddof=1, keepdims=True), [S],
       torch=lambda a: a.std(dim=1, keepdim=True)),
    # ------------------------------------------------------------------ elementwise
    _t("exp", lambda a: a.exp(), np.exp, [S], elementwise=True),
    _t("log", lambda a: a.log(), np.log, [S], "positive", elementwise=True),
    _t("tanh", lambda a: a.tanh(), np.tanh, [S], elementwise=True),
    _t("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), [S], "nonzero",
       elementwise=True),
    _t("sigmoid", lambda a: a.sigmoid(), _sigmoid, [S], elementwise=True),
    _t("abs", lambda a: a.abs(), np.abs, [S], "nonzero", elementwise=True),
    _t("sqrt", lambda a: a.sqrt(), np.sqrt, [S], "positive", elementwise=True),
    _t("clamp", lambda a: a.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), [S], "nonzero",
       torch=lambda a: a.clamp(-0.5, 0.5),
       errors=(ErrorInput(lambda: Tensor([1.0]).clamp(), ValueError, "min, max or both"),
               ErrorInput(lambda: Tensor([1.0]).clamp(min="0"), TypeError, "min must be"))),
    _t("clamp min only", lambda a: a.clamp(min=0.5), lambda a: np.maximum(a, 0.5), [S],
       "nonzero", torch=lambda a: a.clamp(min=0.5), elementwise=True),
    _t("maximum", lambda a, b: a.maximum(b), np.maximum, [S, (4,)], "distinct"),
    _t("minimum", lambda a, b: a.minimum(b), np.minimum, [(3, 1), S], "distinct"),
    _t("where", lambda a, b: where(MASK, a, b), lambda a, b: np.where(MASK, a, b), [S, (4,)],
       torch=lambda a, b: _torch().where(_torch().tensor(MASK), a, b),
       errors=(ErrorInput(lambda: where(np.ones(2), Tensor([1.0, 2.0]), 0.0), TypeError,
                          "boolean mask"),)),
    _t("where method", lambda a, b: a.where(MASK, b), lambda a, b: np.where(MASK, a, b),
       [S, S], torch=lambda a, b: a.where(_torch().tensor(MASK), b)),
    # ------------------------------------------------------------------ shapes
    _t("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [S],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).reshape(5), ValueError, "cannot reshape"),
               ErrorInput(lambda: Tensor(np.ones(S)).reshape(2.5), TypeError, "integers"))),
    _t("reshape numpy int", lambda a: a.reshape(np.int64(12)), lambda a: a.reshape(12), [S],
       torch=lambda a: a.reshape(12)),
    _t("T", lambda a: a.T, lambda a: a.T, [S]),
    _t("transpose 2-D", lambda a: a.transpose(0, 1), lambda a: a.T, [S],
       errors=(ErrorInput(lambda: Tensor(np.ones(M)).transpose(2, 0, 1), TypeError,
                          r"swaps two dimensions.*permute"),
               ErrorInput(lambda: Tensor(np.ones(S)).transpose(0, 2), ValueError,
                          "dim 2 is out of range"))),
    _t("transpose negative dims", lambda a: a.transpose(-1, 0), lambda a: np.swapaxes(a, -1, 0),
       [M]),
    _t("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [M],
       errors=(ErrorInput(lambda: Tensor(np.ones(M)).permute(0, 1), ValueError,
                          "not a reordering"),
               ErrorInput(lambda: Tensor(np.ones(M)).permute(0, 0, 1), ValueError,
                          "not a reordering"))),
    _t("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), [M],
       errors=(ErrorInput(lambda: Tensor(np.ones(3)).mT, ValueError, "matrix or a batch"),
               ErrorInput(lambda: Tensor(np.ones(M)).T, ValueError, r"deprecated \.T"))),
    _t("squeeze", lambda a: a.squeeze(), np.squeeze, [(3, 1, 4)]),
    _t("squeeze axis", lambda a: a.squeeze(1), lambda a: np.squeeze(a, 1), [(3, 1, 4)],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).squeeze(0), ValueError,
                          "does not have length 1"),)),
    _t("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], [S],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).unsqueeze(5), ValueError,
                          "out of range"),)),
    _t("flatten", lambda a: a.flatten(), np.ravel, [M]),
    _t("flatten inner", lambda a: a.flatten(1), lambda a: a.reshape(2, 12), [M],
       errors=(ErrorInput(lambda: Tensor(np.ones(M)).flatten(2, 1), ValueError,
                          "comes after"),)),
    _t("cat", lambda a, b: cat([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
       [S, (3, 2)], torch=lambda a, b: _torch().cat([a, b], dim=1),
       errors=(ErrorInput(lambda: cat([Tensor(np.ones(S)), Tensor(np.ones(M))]), ValueError,
                          "cannot join"),
               ErrorInput(lambda: cat([]), ValueError, "at least one"),
               ErrorInput(lambda: cat(Tensor([1.0])), TypeError, "list or tuple"))),
    _t("stack", lambda a, b: stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
       [S, S], torch=lambda a, b: _torch().stack([a, b], dim=-1),
       errors=(ErrorInput(lambda: stack([Tensor(np.ones(S)), Tensor(np.ones(M))]), ValueError,
                          "cannot stack"),)),
    # ------------------------------------------------------------------ indexing
    _t("index int", lambda a: a[1], lambda a: a[1], [S],
       errors=(ErrorInput(lambda: Tensor(np.ones(S))[1.0], TypeError, "is a float"),)),
    _t("slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [S]),
    _t("negative step", lambda a: a[::-1, 1], lambda a: a[::-1, 1], [S],
       torch=lambda a: a.flip(0)[:, 1]),
    _t("ellipsis and None", lambda a: a[..., None, 2], lambda a: a[..., None, 2], [M]),
    _t("fancy with repeats", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [S]),
    _t("fancy pairs", lambda a: a[np.array([0, 1, 1]), np.array([3, 3, 0])],
       lambda a: a[np.array([0, 1, 1]), np.array([3, 3, 0])], [S],
       torch=lambda a: a[[0, 1, 1], [3, 3, 0]]),
    _t("boolean mask array", lambda a: a[MASK], lambda a: a[MASK], [S],
       torch=lambda a: a[_torch().tensor(MASK)]),
    _t("boolean mask Tensor", lambda a: a[Tensor(MASK)], lambda a: a[MASK], [S],
       torch=lambda a: a[_torch().tensor(MASK)],
       errors=(ErrorInput(lambda: Tensor(MASK, requires_grad=True), ValueError,
                          "cannot require grad"),
               ErrorInput(lambda: Tensor(MASK).exp(), TypeError, "boolean Tensor is a mask"))),
    _t("tensor index", lambda a: a[Tensor([2, 0])], lambda a: a[[2, 0]], [S],
       torch=lambda a: a[[2, 0]],
       errors=(ErrorInput(lambda: Tensor([1.0, 2.0])[Tensor([0.9, 1.7])], TypeError,
                          "dtype float64 must hold whole numbers"),
               ErrorInput(lambda: Tensor([1.0, 2.0])[np.array([0.5])], TypeError, "float64"))),
    # ------------------------------------------------------------------ functional
    _t("softmax", lambda a: F.softmax(a), _softmax, [S],
       torch=lambda a: _torch().softmax(a, dim=-1)),
    _t("softmax axis 0", lambda a: F.softmax(a, axis=0), lambda a: _softmax(a, 0), [S],
       torch=lambda a: _torch().softmax(a, dim=0)),
    _t("log_softmax", lambda a: F.log_softmax(a), lambda a: np.log(_softmax(a)), [S],
       torch=lambda a: _torch().log_softmax(a, dim=-1)),
    _t("log_softmax of 1e4", lambda a: F.log_softmax(a * 1e4),
       lambda a: a * 1e4 - _logsumexp(a * 1e4, -1, True), [S],
       torch=lambda a: _torch().log_softmax(a * 1e4, dim=-1)),
    _t("cross_entropy", lambda a: F.cross_entropy(a * 100, TARGETS),
       lambda a: np.mean(_logsumexp(a * 100, 1) - (a * 100)[np.arange(3), TARGETS]),
       [S], torch=lambda a: _tf().cross_entropy(a * 100, _torch().tensor(TARGETS)),
       errors=(ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros(S)), [0, 4, 1]), ValueError,
                          r"target 4 \(at index 1\) is out of range"),
               ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros(S)), [0.5, 1, 1]), TypeError,
                          "integer class indices"),
               ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros((0, 3))), []), ValueError,
                          "batch is empty"))),
    _t("cross_entropy Tensor targets", lambda a: F.cross_entropy(a, Tensor(TARGETS)),
       lambda a: np.mean(_logsumexp(a, 1) - a[np.arange(3), TARGETS]), [S],
       torch=lambda a: _tf().cross_entropy(a, _torch().tensor(TARGETS))),
    _t("nll_loss", lambda a: F.nll_loss(F.log_softmax(a), TARGETS),
       lambda a: -np.mean(np.log(_softmax(a))[np.arange(3), TARGETS]), [S],
       torch=lambda a: _tf().nll_loss(_torch().log_softmax(a, -1), _torch().tensor(TARGETS)),
       errors=(ErrorInput(lambda: F.nll_loss(Tensor(np.zeros(S)), [0, 1]), ValueError,
                          r"targets \(2,\)"),)),
    _t("binary_cross_entropy_with_logits",
       lambda z, y: F.binary_cross_entropy_with_logits(z * 3, y),
       lambda z, y: np.mean(np.maximum(z * 3, 0) - z * 3 * y + np.log1p(np.exp(-np.abs(z * 3)))),
       [S, S], "positive",
       torch=lambda z, y: _tf().binary_cross_entropy_with_logits(z * 3, y),
       errors=(ErrorInput(lambda: F.binary_cross_entropy_with_logits(Tensor(np.ones(S)),
                                                                     np.ones(3)),
                          ValueError, "targets of the logits' shape"),)),
    _t("bce with logits of +-1000",
       lambda z: F.binary_cross_entropy_with_logits(z * 1000, np.array([1.0, 0.0, 1.0, 0.0])),
       lambda z: np.mean(np.maximum(z * 1000, 0) - z * 1000 * np.array([1.0, 0.0, 1.0, 0.0])
                         + np.log1p(np.exp(-np.abs(z * 1000)))),
       [(4,)], "nonzero",
       torch=lambda z: _tf().binary_cross_entropy_with_logits(
           z * 1000, _torch().tensor([1.0, 0.0, 1.0, 0.0], dtype=z.dtype))),
    _t("F.sigmoid", lambda a: F.sigmoid(a), _sigmoid, [S], torch=lambda a: _torch().sigmoid(a)),
    _t("F.tanh", lambda a: F.tanh(a), np.tanh, [S], torch=lambda a: _torch().tanh(a)),
    _t("dropout", lambda a: F.dropout(a, 0.3, rng=0), lambda a: a * DROP_MASK / 0.7, [S],
       torch=lambda a: a * _torch().tensor(DROP_MASK) / 0.7,
       errors=(ErrorInput(lambda: F.dropout(Tensor([1.0]), 1.5), ValueError,
                          r"p must lie in \[0, 1\], got 1.5"),
               ErrorInput(lambda: F.dropout(Tensor([1.0]), "0.5"), TypeError, "p must be"))),
    _t("dropout in evaluation", lambda a: F.dropout(a, 0.3, training=False), lambda a: a, [S],
       torch=lambda a: a),
    _t("nn.Dropout", lambda a: nn.Dropout(0.3, rng=0)(a), lambda a: a * DROP_MASK / 0.7, [S],
       torch=lambda a: a * _torch().tensor(DROP_MASK) / 0.7),
    _t("nn.Dropout after eval()", lambda a: nn.Dropout(0.3, rng=0).eval()(a), lambda a: a, [S],
       torch=lambda a: a),
    _t("nn.ModuleList", lambda x: LAYERS[1](LAYERS[0](x).tanh()),
       lambda x: np.tanh(x @ _W[0].T + _B[0]) @ _W[1].T + _B[1], [(5, 3)],
       torch=lambda x: _tf().linear(_tf().linear(x, _torch().tensor(_W[0]),
                                                 _torch().tensor(_B[0])).tanh(),
                                    _torch().tensor(_W[1]), _torch().tensor(_B[1]))),
    _t("mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: np.mean((a - b) ** 2), [S, S],
       torch=lambda a, b: _tf().mse_loss(a, b),
       errors=(ErrorInput(lambda: F.mse_loss(Tensor(np.ones((3, 1))), np.ones(3)), ValueError,
                          "equal shapes"),)),
    _t("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
       [(5, 3), (4, 3), (4,)], torch=lambda x, w, b: _tf().linear(x, w, b),
       errors=(ErrorInput(lambda: F.linear(Tensor(np.ones((2, 3))), np.ones((2, 4))),
                          ValueError, r"x of shape \(2, 3\) does not fit weight \(2, 4\)"),
               ErrorInput(lambda: F.linear(Tensor(np.ones((2, 3))), "w"), TypeError,
                          "weight needs a Tensor"))),
    _t("linear numpy weight", lambda x: F.linear(x, np.full((2, 3), 0.5)),
       lambda x: x @ np.full((2, 3), 0.5).T, [(5, 3)],
       torch=lambda x: _tf().linear(x, _torch().full((2, 3), 0.5, dtype=x.dtype))),
    _t("linear no bias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T, [(5, 3), (4, 3)],
       torch=lambda x, w: _tf().linear(x, w)),
    _t("linear square weight", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
       [(5, 3), (3, 3)], torch=lambda x, w: _tf().linear(x, w)),
    # ------------------------------------------------------------------ compositions
    _t("used twice", lambda a: (a * a + a).sum(), lambda a: (a * a + a).sum(), [S]),
    _t("two-layer net", lambda x, w, v: ((x @ w).tanh() @ v).sigmoid().sum(),
       lambda x, w, v: _sigmoid(np.tanh(x @ w) @ v).sum(), [(5, 3), (3, 4), (4, 2)]),
)

OPS: tuple[OpInfo, ...] = VALUE_OPS + TENSOR_OPS

# ----------------------------------------------------------------------------- tensor parity rows
# The PyTorch names a learner reaches for (issue 19): views, masks, triangles,
# softmax as a method, factories, comparisons as numbers.
CAUSAL = np.tril(np.ones((4, 4), dtype=bool))  # True on and below the diagonal

TENSOR_PARITY_OPS: tuple[OpInfo, ...] = (
    _t("view", lambda a: a.view(4, 3), lambda a: a.reshape(4, 3), [S],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).T.view(12), RuntimeError,
                          r"not laid out in order.*reshape"),)),
    _t("view -1", lambda a: a.view(-1, 2) * 3.0, lambda a: a.reshape(-1, 2) * 3.0, [M]),
    _t("expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)],
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).expand(3, 5), ValueError,
                          r"shape \(3, 4\) cannot be expanded to \(3, 5\)"),)),
    _t("expand -1", lambda a: a.expand(-1, 4) * a, lambda a: np.broadcast_to(a, (3, 4)) * a,
       [(3, 1)]),
    _t("masked_fill", lambda a: a.masked_fill(MASK, -1.5), lambda a: np.where(MASK, -1.5, a),
       [S], torch=lambda a: a.masked_fill(_torch().tensor(MASK), -1.5),
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).masked_fill(np.ones(S), 0.0), TypeError,
                          "mask must be boolean"),
               ErrorInput(lambda: Tensor(np.ones(S)).masked_fill(MASK[:, :2], 0.0), ValueError,
                          r"mask of shape \(3, 2\) does not broadcast"))),
    _t("causal softmax", lambda a: a.masked_fill(~CAUSAL, -math.inf).softmax(dim=-1),
       lambda a: _softmax(np.where(CAUSAL, a, -np.inf)), [(2, 4, 4)],
       torch=lambda a: a.masked_fill(~_torch().tensor(CAUSAL), -math.inf).softmax(dim=-1),
       errors=(ErrorInput(lambda: Tensor(np.ones(S)).softmax(), TypeError, "needs dim"),)),
    _t("log_softmax method", lambda a: a.log_softmax(0), lambda a: np.log(_softmax(a, 0)), [S]),
    _t("tril", lambda a: a.tril(), np.tril, [M],
       errors=(ErrorInput(lambda: Tensor(np.ones(3)).tril(), ValueError, "needs a matrix"),)),
    _t("triu diagonal 1", lambda a: a.triu(1), lambda a: np.triu(a, 1), [S]),
    _t("tril function", lambda a: tril(a, -1), lambda a: np.tril(a, -1), [S],
       torch=lambda a: _torch().tril(a, -1)),
    _t("clone", lambda a: a.clone() * a, lambda a: a * a, [S]),
    _t("transpose in a product", lambda a: a @ a.transpose(-2, -1),
       lambda a: a @ np.swapaxes(a, -1, -2), [M]),
    _t("mask as numbers", lambda a: a * (a > 0).double() + (a < 0).float().double(),
       lambda a: a * (a > 0) + (a < 0), [S], "nonzero"),
    _t("factories", lambda a: a * ones(3, 4) + zeros_like(a) + arange(4.0) + ones_like(a),
       lambda a: a + np.arange(4.0) + 1.0, [S],
       torch=lambda a: a * _torch().ones(3, 4, dtype=a.dtype) + _torch().zeros_like(a)
       + _torch().arange(4.0, dtype=a.dtype) + _torch().ones_like(a),
       errors=(ErrorInput(lambda: arange(3, requires_grad=True), TypeError, "floating-point"),
               ErrorInput(lambda: zeros(-1), ValueError, "negative lengths"))),
    _t("std plus zeros", lambda a: a.std(dim=0) + zeros(4), lambda a: a.std(axis=0, ddof=1),
       [S], torch=lambda a: a.std(dim=0) + _torch().zeros(4, dtype=a.dtype)),
)
OPS = OPS + TENSOR_PARITY_OPS

# Optimizers: ours and PyTorch's with the same settings (torch's made lazily);
# tests/unit/test_tensor_torch.py trains a model with each and compares weights.
OPTIMIZERS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "SGD momentum weight decay": (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: _torch().optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
    "Adam": (
        lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.001),
        lambda ps: _torch().optim.Adam(ps, lr=0.01, weight_decay=0.001)),
    "AdamW": (
        lambda ps: optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
        lambda ps: _torch().optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    # the defaults (SGD's lr was 0.01, PyTorch's is 0.001) and parameter groups
    "SGD defaults": (lambda ps: optim.SGD(ps), lambda ps: _torch().optim.SGD(ps)),
    "AdamW defaults": (lambda ps: optim.AdamW(ps), lambda ps: _torch().optim.AdamW(ps)),
    "Adam two groups": (
        lambda ps: optim.Adam(_two_groups(ps), lr=0.01, betas=(0.8, 0.9)),
        lambda ps: _torch().optim.Adam(_two_groups(ps), lr=0.01, betas=(0.8, 0.9))),
    "SGD momentum two groups": (
        lambda ps: optim.SGD(_two_groups(ps), lr=0.05, momentum=0.5),
        lambda ps: _torch().optim.SGD(_two_groups(ps), lr=0.05, momentum=0.5)),
}


def _two_groups(params: Any) -> list[dict[str, Any]]:
    """The first layer with its own learning rate, the rest with the default."""
    params = list(params)
    return [{"params": params[:2], "lr": 0.1}, {"params": params[2:]}]


ELEMENTWISE: tuple[OpInfo, ...] = tuple(op for op in OPS if op.elementwise)


# ----------------------------------------------------------------------------- points
def value_points(op: OpInfo, n: int = 4, seed: int = 0) -> list[tuple[float, ...]]:
    """`n` points inside a scalar op's domain, away from its kinks, the same every run."""
    import random

    rng = random.Random(f"{op.name}-{seed}")
    points: list[tuple[float, ...]] = []
    while len(points) < n:
        point = tuple(rng.uniform(low, high) for low, high in op.domain)
        if all(abs(point[0] - k) > 0.05 for k in op.kinks):
            points.append(point)
    return points


# Where every unary elementwise op is compared with PyTorch: the whole range
# [-1000, 1000], with the points where float64 changes behaviour (exp's
# overflow near 709.8, sigmoid's underflow, tanh's saturation near 19).
WIDE_GRID: tuple[float, ...] = tuple(
    sorted({0.0, *(s * x for s in (-1.0, 1.0) for x in (
        1e-300, 1e-8, 0.5, 1.0, 2.0, 10.0, 19.0, 30.0, 37.0, 40.0, 50.0, 100.0, 500.0, 700.0,
        709.0, 710.0, 745.0, 800.0, 1000.0))} | set(np.linspace(-1000.0, 1000.0, 81).tolist()))
)
assert math.isclose(min(WIDE_GRID), -1000.0) and math.isclose(max(WIDE_GRID), 1000.0)


# ----------------------------------------------------------------------------- Part IV rows
# Normalisation and attention (normalization.py, attention.py and their nn layers),
# each compared with torch.nn.functional's layer_norm, batch_norm and
# scaled_dot_product_attention.
def _layer_norm_ref(x: np.ndarray, w: Any = 1.0, b: Any = 0.0, axes: Any = -1) -> np.ndarray:
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred / np.sqrt((centred**2).mean(axis=axes, keepdims=True) + 1e-5) * w + b


def _attention_ref(q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: Any = 0.0,
                   scale: float | None = None) -> np.ndarray:
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale + bias
    return _softmax(scores) @ v


CAUSAL = np.tril(np.ones((4, 4), dtype=bool))
KEY_MASK = np.array([[True, False, True, True, False, True]] * 3 + [[False] * 6])  # row 3: none
RUNNING = (np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0]))
ATTENTION = nn.CausalSelfAttention(8, 2, rng=0)
_ATT = {name: p.data.copy() for name, p in ATTENTION.named_parameters()}


def _causal_self_attention_ref(x: Any, sdpa: Callable[..., Any], tensor: Callable[..., Any],
                               swap: Callable[..., Any]) -> Any:
    """nanoGPT's forward written once for numpy and torch (`sdpa`, `tensor`, `swap` differ)."""
    B, T, C = x.shape  # noqa: N806
    qkv = x @ tensor(_ATT["c_attn.weight"]).T + tensor(_ATT["c_attn.bias"])
    q, k, v = (swap(qkv[:, :, i * C:(i + 1) * C].reshape(B, T, 2, C // 2)) for i in range(3))
    y = swap(sdpa(q, k, v)).reshape(B, T, C)
    return y @ tensor(_ATT["c_proj.weight"]).T + tensor(_ATT["c_proj.bias"])


def _np_causal(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    t = q.shape[-2]
    return _attention_ref(q, k, v, np.where(np.tril(np.ones((t, t), bool)), 0.0, -np.inf))


PART4_OPS: tuple[OpInfo, ...] = (
    _t("layer_norm", lambda x, w, b: F.layer_norm(x, 5, w, b), _layer_norm_ref,
       [(4, 5), (5,), (5,)], torch=lambda x, w, b: _tf().layer_norm(x, (5,), w, b),
       errors=(ErrorInput(lambda: F.layer_norm(Tensor(np.ones((4, 5))), 4), ValueError,
                          r"\(4, 5\) does not end in normalized_shape \(4,\)"),
               ErrorInput(lambda: F.layer_norm(Tensor(np.ones((4, 5))), 5, np.ones(4)),
                          ValueError, r"weight of shape \(4,\), expected \(5,\)"),
               ErrorInput(lambda: F.layer_norm(Tensor(np.ones((4, 5))), 5.0), TypeError,
                          "normalized_shape must be a positive int"),
               ErrorInput(lambda: F.layer_norm(Tensor(np.ones((4, 5))), 5, eps=-1.0),
                          ValueError, "eps must lie in"))),
    _t("layer_norm two axes", lambda x, w: F.layer_norm(x, (3, 4), w),
       lambda x, w: _layer_norm_ref(x, w, 0.0, (1, 2)), [M, (3, 4)],
       torch=lambda x, w: _tf().layer_norm(x, (3, 4), w)),
    _t("layer_norm no affine", lambda x: F.layer_norm(x * 100, 4),
       lambda x: _layer_norm_ref(x * 100), [M], torch=lambda x: _tf().layer_norm(x * 100, (4,))),
    _t("nn.LayerNorm", lambda x: nn.LayerNorm(4)(x), _layer_norm_ref, [M],
       torch=lambda x: _torch().nn.LayerNorm(4, dtype=x.dtype)(x),
       errors=(ErrorInput(lambda: nn.LayerNorm(0), ValueError, "normalized_shape must be"),)),
    _t("batch_norm training", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
       lambda x, w, b: _layer_norm_ref(x, w, b, 0), [(5, 3), (3,), (3,)],
       torch=lambda x, w, b: _tf().batch_norm(x, None, None, w, b, training=True),
       errors=(ErrorInput(lambda: F.batch_norm(Tensor(np.ones((1, 3))), None, None,
                                               training=True),
                          ValueError, "more than one value per channel"),
               ErrorInput(lambda: F.batch_norm(Tensor(np.ones((4, 3))), None, None),
                          ValueError, "running_mean and running_var are needed"),
               ErrorInput(lambda: F.batch_norm(Tensor(np.ones(3)), None, None), ValueError,
                          r"\(N, C\) or \(N, C, L\)"))),
    _t("batch_norm (N, C, L)", lambda x: F.batch_norm(x, None, None, training=True),
       lambda x: _layer_norm_ref(x, axes=(0, 2)), [M],
       torch=lambda x: _tf().batch_norm(x, None, None, training=True)),
    _t("batch_norm evaluation", lambda x, w: F.batch_norm(x, *RUNNING, w),
       lambda x, w: (x - RUNNING[0]) / np.sqrt(RUNNING[1] + 1e-5) * w, [(5, 3), (3,)],
       torch=lambda x, w: _tf().batch_norm(
           x, _torch().tensor(RUNNING[0]), _torch().tensor(RUNNING[1]), w)),
    _t("nn.BatchNorm1d", lambda x: nn.BatchNorm1d(3)(x), lambda x: _layer_norm_ref(x, axes=0),
       [(6, 3)], torch=lambda x: _torch().nn.BatchNorm1d(3, dtype=x.dtype)(x),
       errors=(ErrorInput(lambda: nn.BatchNorm1d(3, momentum=2.0), ValueError,
                          "momentum must lie in"),)),
    _t("scaled_dot_product_attention", lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
       _attention_ref, [(2, 4, 3), (2, 6, 3), (2, 6, 5)],
       torch=lambda q, k, v: _tf().scaled_dot_product_attention(q, k, v),
       errors=(ErrorInput(lambda: F.scaled_dot_product_attention(
                   Tensor(np.ones((4, 3))), Tensor(np.ones((6, 2))), Tensor(np.ones((6, 5)))),
                   ValueError, r"do not fit: got \(4, 3\), \(6, 2\), \(6, 5\)"),
               ErrorInput(lambda: F.scaled_dot_product_attention(
                   Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))),
                   dropout_p=0.1), ValueError, "dropout_p=0.1 is not supported"),
               ErrorInput(lambda: F.scaled_dot_product_attention(
                   Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))),
                   attn_mask=CAUSAL, is_causal=True), ValueError, "not both"),
               ErrorInput(lambda: F.scaled_dot_product_attention(
                   Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones((4, 3))),
                   attn_mask=np.ones((3, 3), bool)), ValueError, "does not broadcast"))),
    _t("attention causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v,
                                                                           is_causal=True),
       lambda q, k, v: _attention_ref(q, k, v, np.where(CAUSAL, 0.0, -np.inf)),
       [(2, 3, 4, 2), (2, 3, 4, 2), (2, 3, 4, 3)],
       torch=lambda q, k, v: _tf().scaled_dot_product_attention(q, k, v, is_causal=True)),
    _t("attention causal, more keys", lambda q, k, v: F.scaled_dot_product_attention(
           q, k, v, is_causal=True),
       lambda q, k, v: _attention_ref(q, k, v, np.where(np.tril(np.ones((3, 5))), 0, -np.inf)),
       [(3, 2), (5, 2), (5, 2)],
       torch=lambda q, k, v: _tf().scaled_dot_product_attention(q, k, v, is_causal=True)),
    _t("attention boolean mask, a row masked out",
       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=KEY_MASK, scale=0.7),
       lambda q, k, v: np.where(KEY_MASK.any(-1, keepdims=True), _attention_ref(
           q, k, v, np.where(KEY_MASK, 0.0, -1e300), 0.7), 0.0),
       [(4, 3), (6, 3), (6, 2)],
       torch=lambda q, k, v: _tf().scaled_dot_product_attention(
           q, k, v, attn_mask=_torch().tensor(KEY_MASK), scale=0.7)),
    _t("attention float mask", lambda q, k, v, m: F.scaled_dot_product_attention(
           q, k, v, attn_mask=m),
       lambda q, k, v, m: _attention_ref(q, k, v, m), [(2, 4, 3), (2, 6, 3), (2, 6, 5), (4, 6)],
       torch=lambda q, k, v, m: _tf().scaled_dot_product_attention(q, k, v, attn_mask=m)),
    _t("nn.CausalSelfAttention", lambda x: ATTENTION(x),
       lambda x: _causal_self_attention_ref(x, _np_causal, np.asarray,
                                            lambda a: np.swapaxes(a, 1, 2)),
       [(2, 5, 8)],
       torch=lambda x: _causal_self_attention_ref(
           x, lambda q, k, v: _tf().scaled_dot_product_attention(q, k, v, is_causal=True),
           _torch().tensor, lambda a: a.transpose(1, 2)),
       errors=(ErrorInput(lambda: nn.CausalSelfAttention(8, 3), ValueError,
                          "n_embd 8 is not a multiple of n_head 3"),
               ErrorInput(lambda: ATTENTION(Tensor(np.ones((5, 8)))), ValueError,
                          r"needs input \(B, T, 8\), got shape \(5, 8\)"))),
)
OPS = OPS + PART4_OPS


# ----------------------------------------------------------------------------- nn/functional rows
# The layers a GPT needs (issue 18) and the PyTorch shapes of linear and the
# losses (issue 19): embedding, GELU, Identity, linear over (..., in),
# cross_entropy and nll_loss with classes on axis 1, ignore_index, reduction.
IDS = np.array([[0, 4, 0], [2, 2, 1]])  # a row picked three times: the scatter-add
SEQ_TARGETS = np.array([[1, 0, 3], [2, -100, 1]])  # (n, d1) targets for (n, C, d1) logits
FLAT_TARGETS = np.array([1, -100, 0])


def _erf(a: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[float])(a)


def _gelu_tanh(a: np.ndarray) -> np.ndarray:
    return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))


def _per_target_loss(z: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """-log softmax over axis 1 at each target (0 where the target is -100)."""
    log_p = z - _logsumexp(z, 1, True)
    kept = np.where(targets == -100, 0, targets)
    picked = np.take_along_axis(log_p, np.expand_dims(kept, 1), axis=1).squeeze(1)
    return np.where(targets == -100, 0.0, -picked)


def _embedding_module(weight: Tensor) -> nn.Embedding:
    """The layer computing with the row's `weight`, which may be a plain tensor
    (forward and numerical checks): del first, as a parameter takes only a
    tensor that requires grad."""
    layer = nn.Embedding(5, 3, rng=0)
    del layer.weight
    layer.weight = weight
    return layer


def _linear_module(weight: Tensor, bias: Tensor) -> nn.Linear:
    layer = nn.Linear(3, 4, rng=0)
    del layer.weight, layer.bias  # as in _embedding_module
    layer.weight, layer.bias = weight, bias
    return layer


NN_OPS: tuple[OpInfo, ...] = (
    _t("embedding", lambda w: F.embedding(IDS, w), lambda w: w[IDS], [(5, 3)],
       torch=lambda w: _tf().embedding(_torch().tensor(IDS), w),
       errors=(ErrorInput(lambda: F.embedding([5], Tensor(np.ones((5, 2)))), IndexError,
                          "index 5 is out of range for 5 rows"),
               ErrorInput(lambda: F.embedding([1.5], Tensor(np.ones((5, 2)))), TypeError,
                          "integer indices"),
               ErrorInput(lambda: F.embedding([1], Tensor(np.ones(5))), ValueError,
                          r"weight must be a matrix \(num, dim\)"))),
    _t("nn.Embedding", lambda w: _embedding_module(w)(IDS), lambda w: w[IDS], [(5, 3)],
       torch=lambda w: _tf().embedding(_torch().tensor(IDS), w),
       errors=(ErrorInput(lambda: nn.Embedding(0, 3), ValueError, "num_embeddings must be"),
               ErrorInput(lambda: nn.Embedding(4, 2.0), TypeError, "embedding_dim must be"))),
    _t("gelu", lambda a: F.gelu(a), lambda a: a * 0.5 * (1 + _erf(a / math.sqrt(2))), [S],
       torch=lambda a: _tf().gelu(a), elementwise=True,
       errors=(ErrorInput(lambda: F.gelu(Tensor([1.0]), "fast"), ValueError,
                          "approximate must be 'none' or 'tanh'"),)),
    _t("gelu tanh", lambda a: F.gelu(a, approximate="tanh"), _gelu_tanh, [S],
       torch=lambda a: _tf().gelu(a, approximate="tanh"), elementwise=True),
    _t("gelu on 4..7", lambda a: F.gelu(a * 3 + 1), lambda a: (a * 3 + 1) * 0.5 * (
           1 + _erf((a * 3 + 1) / math.sqrt(2))), [S], "positive",
       torch=lambda a: _tf().gelu(a * 3 + 1)),
    _t("nn.GELU", lambda a: nn.GELU()(a), lambda a: a * 0.5 * (1 + _erf(a / math.sqrt(2))),
       [M], torch=lambda a: _torch().nn.GELU()(a)),
    _t("nn.GELU tanh", lambda a: nn.GELU("tanh")(a), _gelu_tanh, [M],
       torch=lambda a: _torch().nn.GELU("tanh")(a)),
    _t("nn.Identity", lambda a: nn.Identity()(a), lambda a: a, [S],
       torch=lambda a: _torch().nn.Identity()(a)),
    _t("linear 1-D input", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
       [(3,), (4, 3), (4,)], torch=lambda x, w, b: _tf().linear(x, w, b)),
    _t("linear 3-D input", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
       [(2, 5, 3), (4, 3), (4,)], torch=lambda x, w, b: _tf().linear(x, w, b),
       errors=(ErrorInput(lambda: F.linear(Tensor(np.ones((2, 5, 4))), np.ones((4, 3))),
                          ValueError, r"x of shape \(2, 5, 4\) does not fit weight \(4, 3\)"),)),
    _t("linear 4-D input no bias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
       [(2, 1, 2, 3), (4, 3)], torch=lambda x, w: _tf().linear(x, w)),
    _t("nn.Linear 3-D input", lambda x, w, b: _linear_module(w, b)(x),
       lambda x, w, b: x @ w.T + b, [(2, 5, 3), (4, 3), (4,)],
       torch=lambda x, w, b: _tf().linear(x, w, b)),
    _t("cross_entropy classes on axis 1", lambda z: F.cross_entropy(z * 3, SEQ_TARGETS),
       lambda z: _per_target_loss(z * 3, SEQ_TARGETS).sum() / 5, [(2, 4, 3)],
       torch=lambda z: _tf().cross_entropy(z * 3, _torch().tensor(SEQ_TARGETS)),
       errors=(ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros((2, 3, 5))),
                                                  np.zeros((2, 3), dtype=int)),
                          ValueError, r"reshape to \(B\*T, classes\)"),
               ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros(S)), [0, 1, 2],
                                                  reduction="avg"),
                          ValueError, "reduction must be 'mean', 'sum' or 'none'"),
               ErrorInput(lambda: F.cross_entropy(Tensor(np.zeros(S)), [-100] * 3),
                          ValueError, "every target is ignore_index"))),
    _t("cross_entropy ignore_index sum", lambda z: F.cross_entropy(
           z, FLAT_TARGETS, reduction="sum"),
       lambda z: _per_target_loss(z, FLAT_TARGETS).sum(), [S],
       torch=lambda z: _tf().cross_entropy(z, _torch().tensor(FLAT_TARGETS), reduction="sum")),
    _t("cross_entropy reduction none", lambda z: F.cross_entropy(
           z, SEQ_TARGETS, reduction="none"),
       lambda z: _per_target_loss(z, SEQ_TARGETS), [(2, 4, 3)],
       torch=lambda z: _tf().cross_entropy(z, _torch().tensor(SEQ_TARGETS), reduction="none")),
    _t("cross_entropy one unbatched row", lambda z: F.cross_entropy(z, 2),
       lambda z: _logsumexp(z) - z[2], [(4,)],
       torch=lambda z: _tf().cross_entropy(z, _torch().tensor(2))),
    _t("cross_entropy own ignore_index", lambda z: F.cross_entropy(
           z, np.array([3, 0, 1]), ignore_index=0),
       lambda z: (_per_target_loss(z, np.array([3, -100, 1]))).sum() / 2, [S],
       torch=lambda z: _tf().cross_entropy(z, _torch().tensor([3, 0, 1]), ignore_index=0)),
    _t("nll_loss classes on axis 1", lambda z: F.nll_loss(F.log_softmax(z, axis=1), SEQ_TARGETS),
       lambda z: _per_target_loss(z, SEQ_TARGETS).sum() / 5, [(2, 4, 3)],
       torch=lambda z: _tf().nll_loss(_torch().log_softmax(z, 1), _torch().tensor(SEQ_TARGETS))),
    _t("nll_loss reduction sum", lambda z: F.nll_loss(z, TARGETS, reduction="sum"),
       lambda z: -z[np.arange(3), TARGETS].sum(), [S],
       torch=lambda z: _tf().nll_loss(z, _torch().tensor(TARGETS), reduction="sum")),
    _t("softmax dim= middle axis", lambda a: F.softmax(a, dim=1), lambda a: _softmax(a, 1), [M],
       torch=lambda a: _torch().softmax(a, dim=1),
       errors=(ErrorInput(lambda: F.softmax(Tensor(np.ones(S)), 0, dim=1), TypeError,
                          "got both axis=0 and dim=1"),
               ErrorInput(lambda: F.softmax(Tensor(np.ones(S)), dim=1.0), TypeError,
                          r"dim \(axis\) must be an integer"),
               ErrorInput(lambda: F.softmax(Tensor(np.ones(M))), TypeError,
                          r"shape \(2, 3, 4\) needs dim="),
               ErrorInput(lambda: F.log_softmax(Tensor(np.ones(M))), TypeError,
                          "PyTorch would take axis 0 or 1"))),
    _t("log_softmax dim=0", lambda a: F.log_softmax(a, dim=0),
       lambda a: a - _logsumexp(a, 0, True), [M], torch=lambda a: _torch().log_softmax(a, dim=0)),
)
OPS = OPS + NN_OPS
ELEMENTWISE = ELEMENTWISE + tuple(op for op in NN_OPS if op.elementwise)

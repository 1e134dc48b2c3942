"""`Tensor`: the numpy-backed reverse-mode engine of Part III.

A `Tensor` holds a numpy array in ``.data``. Every operation computes its
result with numpy and records, for each input that needs a gradient, a *rule*:
a small function that turns the gradient of the result (the upstream
gradient) into the gradient of that input. That is the chain rule, one line
per operation, as in the scalar engine; the backward sweep itself is the one
in `chainrule.graph`, shared with `Value`.

Two things are done once, centrally, instead of in every operation:

- broadcasting: numpy stretches a ``(3,)`` bias over a ``(64, 3)`` batch, so
  the gradient arriving at the bias has shape ``(64, 3)``; `unbroadcast` sums
  it back to ``(3,)`` for every rule of every operation;
- bookkeeping: `_result` builds the output node and keeps only the inputs that
  need a gradient, so no work is spent differentiating the data.

The rules are closures over the input *arrays*, never over the output node,
so a graph holds no reference cycles and is freed as soon as it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Number
from typing import Any

import numpy as np

from chainrule.graph import backward_pass

__all__ = ["Tensor", "no_grad", "unbroadcast"]

Rule = Callable[[np.ndarray], np.ndarray]
_ndarray = np.ndarray
_grad_enabled = True


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside ``with no_grad():`` operations record no graph (for evaluation).

    Results are plain constants: cheaper to make and holding no reference to
    their inputs, like PyTorch's ``torch.no_grad()``.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


# --8<-- [start:unbroadcast]
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` back down to `shape`, undoing numpy's broadcasting.

    Broadcasting copies an input along new leading axes and along its axes of
    length 1. Each copy contributed to the output, so the input's gradient is
    the sum of the copies' gradients: sum over the added leading axes, and
    over the axes where the input had length 1.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=axes).reshape(shape)
# --8<-- [end:unbroadcast]


def _as_array(data: Any) -> np.ndarray:
    """`data` as a floating numpy array: floats keep their dtype, the rest is float64."""
    if isinstance(data, Tensor):
        return data.data
    if type(data) is _ndarray and data.dtype.kind == "f":
        return data
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"Tensor data must be a rectangular array of numbers: {error}") from None
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "biu":
        return array.astype(np.float64)
    raise TypeError(
        "Tensor needs numbers (a number, a list of numbers or a numeric array), "
        f"got {type(data).__name__} {_short(data)} (numpy dtype {array.dtype})"
    )


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Tensor:
    """An n-dimensional array that records how it was computed, for backward().

    ``Tensor(data, requires_grad=False)``: a float32 or float64 array is used
    as is (no copy, dtype kept); Python numbers, lists and integer or boolean
    arrays become float64, the precision for checking gradients. Use float32
    arrays for speed; results of float32 operations stay float32.

    ``.grad`` is None until a backward pass reaches the tensor, then a numpy
    array of the data's shape. Gradients accumulate over backward calls, as in
    PyTorch; ``t.grad = None`` clears them.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_edges", "_op", "__weakref__")
    __array_ufunc__ = None  # `ndarray * Tensor` calls Tensor.__rmul__, not numpy

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        self.data: np.ndarray = _as_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self._parents: tuple[Tensor, ...] = ()
        self._edges: tuple[tuple[Tensor, Rule], ...] = ()  # (parent, rule) pairs
        self._op = ""

    # ----------------------------------------------------------- describing
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        return f"Tensor({body}{extra})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A constant with the same data, cut off from the graph."""
        return Tensor(self.data)

    # ----------------------------------------------------------- backward
    # --8<-- [start:backward]
    def _backward(self, upstream: np.ndarray) -> tuple[np.ndarray, ...]:
        """The gradient of each parent: its rule applied to `upstream`, summed to shape."""
        grads = ()
        for parent, rule in self._edges:
            grad = rule(upstream)
            shape = parent.data.shape
            grads += (grad if grad.shape == shape else unbroadcast(grad, shape),)
        return grads

    def _accumulate(self, gradient: np.ndarray) -> None:
        """Add `gradient` into ``.grad`` (a new array each time, never in place).

        No copy is made, so ``.grad`` may share memory with another tensor's
        gradient (``a + b`` hands both the same array): treat it as read-only.
        """
        if gradient.__class__ is not _ndarray:  # numpy scalars from 0-d arithmetic
            gradient = np.asarray(gradient)
        self.grad = gradient if self.grad is None else self.grad + gradient
    # --8<-- [end:backward]

    def backward(self, gradient: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on (that requires grad).

        Without `gradient` the tensor must hold one element (a loss); otherwise
        `gradient` is d(something)/d(self) and must have this tensor's shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: create the leaves "
                "with requires_grad=True (and not inside no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element tensor (a loss), "
                    f"but this tensor has shape {self.data.shape}; "
                    f"pass backward(gradient) with an array of that shape"
                )
            seed = np.array(1, self.data.dtype).reshape(self.data.shape)  # d(self)/d(self)
        else:
            seed = np.array(_as_array(gradient), dtype=self.data.dtype)  # a copy
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward(gradient): gradient of shape {seed.shape} "
                    f"for a tensor of shape {self.data.shape}"
                )
        backward_pass(self, seed)

    # ----------------------------------------------------------- arithmetic
    # --8<-- [start:add]
    def __add__(self, other: Any) -> Tensor:
        other = _lift(other, self)
        data = _broadcasting(np.add, self, other, "+")
        return _result(data, "+", (self, _identity), (other, _identity))
    # --8<-- [end:add]

    def __radd__(self, other: Any) -> Tensor:
        return _lift(other, self) + self

    def __sub__(self, other: Any) -> Tensor:
        other = _lift(other, self)
        data = _broadcasting(np.subtract, self, other, "-")
        return _result(data, "-", (self, _identity), (other, np.negative))

    def __rsub__(self, other: Any) -> Tensor:
        return _lift(other, self) - self

    def __neg__(self) -> Tensor:
        return _result(-self.data, "neg", (self, np.negative))

    # --8<-- [start:mul]
    def __mul__(self, other: Any) -> Tensor:
        other = _lift(other, self)
        a, b = self.data, other.data
        data = _broadcasting(np.multiply, self, other, "*")
        return _result(data, "*", (self, lambda g: g * b), (other, lambda g: g * a))
    # --8<-- [end:mul]

    def __rmul__(self, other: Any) -> Tensor:
        return _lift(other, self) * self

    def __truediv__(self, other: Any) -> Tensor:
        other = _lift(other, self)
        b = other.data
        data = _broadcasting(np.divide, self, other, "/")
        return _result(data, "/", (self, lambda g: g / b), (other, lambda g: -g * data / b))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _lift(other, self) / self

    def __pow__(self, exponent: Any) -> Tensor:
        """``x ** p``: d/dx = p x^(p-1); with a tensor exponent, d/dp = x^p ln x."""
        if isinstance(exponent, Number) and not isinstance(exponent, bool):
            a, p = self.data, exponent
            return _result(a**p, "**", (self, lambda g: g * p * a ** (p - 1)))
        other = _lift(exponent, self)
        a, b = self.data, other.data
        data = _broadcasting(np.power, self, other, "**")
        return _result(
            data,
            "**",
            (self, lambda g: g * b * a ** (b - 1)),
            (other, lambda g: g * data * np.log(a)),
        )

    def __rpow__(self, base: Any) -> Tensor:
        return _lift(base, self) ** self

    # ----------------------------------------------------------- matmul
    # --8<-- [start:matmul]
    def __matmul__(self, other: Any) -> Tensor:
        """Matrix product. For C = A @ B: dA = dC @ B.T and dB = A.T @ dC.

        The index calculation proves it (dA[i, p] = sum_j dC[i, j] B[p, j]).
        Shapes are a check, not a proof: dA must have A's shape (n, k), which
        rules out dC @ B unless B is square (m = k), when both fit.
        """
        other = _lift(other, self)
        a, b = self.data, other.data
        data = _matmul(a, b)
        if a.ndim == 2 and b.ndim == 2:
            return _result(data, "@", (self, lambda g: g @ b.T), (other, lambda g: a.T @ g))
        # --8<-- [end:matmul]
        if a.ndim == 1 and b.ndim == 2:  # (k,) @ (k, m) -> (m,)
            return _result(
                data, "@", (self, lambda g: b @ g), (other, lambda g: np.outer(a, g))
            )
        if a.ndim == 2:  # (n, k) @ (k,) -> (n,)
            return _result(
                data, "@", (self, lambda g: np.outer(g, b)), (other, lambda g: a.T @ g)
            )
        return _result(data, "@", (self, lambda g: g * b), (other, lambda g: g * a))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _lift(other, self) @ self

    # ----------------------------------------------------------- reductions
    # --8<-- [start:sum]
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (all axes by default). Every input element gets the
        upstream gradient of the sum it went into."""
        shape = self.data.shape
        data = self.data.sum(axis=axis, keepdims=keepdims)
        return _result(data, "sum", (self, lambda g: _spread(g, shape, axis, keepdims)))
    # --8<-- [end:sum]

    # --8<-- [start:mean]
    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over `axis`: a sum divided by the count, so each input gets g / count."""
        shape = self.data.shape
        data = self.data.mean(axis=axis, keepdims=keepdims)
        count = self.data.size // max(np.size(data), 1) if self.data.size else 1
        return _result(
            data, "mean", (self, lambda g: _spread(g, shape, axis, keepdims) / count)
        )
    # --8<-- [end:mean]

    # --8<-- [start:max]
    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over `axis`. The gradient goes to the maxima; ties
        share it equally (as ``torch.amax`` does)."""
        a = self.data
        data = a.max(axis=axis, keepdims=keepdims)

        def rule(g: np.ndarray) -> np.ndarray:
            kept = data if keepdims or axis is None else np.expand_dims(data, axis)
            winners = (a == kept).astype(a.dtype)
            share = winners / winners.sum(axis=axis, keepdims=True)
            return share * _spread(g, a.shape, axis, keepdims)

        return _result(data, "max", (self, rule))
    # --8<-- [end:max]

    # ----------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        data = np.exp(self.data)
        return _result(data, "exp", (self, lambda g: g * data))

    def log(self) -> Tensor:
        a = self.data
        return _result(np.log(a), "log", (self, lambda g: g / a))

    def tanh(self) -> Tensor:
        data = np.tanh(self.data)
        return _result(data, "tanh", (self, lambda g: g * (1 - data * data)))

    # --8<-- [start:relu]
    def relu(self) -> Tensor:
        a = self.data
        return _result(np.maximum(a, 0), "relu", (self, lambda g: g * (a > 0)))
    # --8<-- [end:relu]

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2: equal, and it never
        overflows (e^-x does for x < -710 in float64)."""
        data = 0.5 * (1 + np.tanh(0.5 * self.data))
        return _result(data, "sigmoid", (self, lambda g: g * data * (1 - data)))

    # ----------------------------------------------------------- shape
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """Same elements, new shape; the gradient is reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        old = self.data.shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape {old} ({self.data.size} elements) into {shape}"
            ) from None
        return _result(data, "reshape", (self, lambda g: g.reshape(old)))

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes (reverse them by default); the gradient is permuted back."""
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = tuple(axes[0])
        order = axes or tuple(reversed(range(self.data.ndim)))
        data = self.data.transpose(order)
        inverse = tuple(np.argsort(order))
        return _result(data, "transpose", (self, lambda g: g.transpose(inverse)))

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy's name)
        return self.transpose()

    # --8<-- [start:getitem]
    def __getitem__(self, index: Any) -> Tensor:
        """Indexing and slicing; the gradient is scattered back into zeros.

        Integer-array indices may pick an element twice, so their gradients
        are added with ``np.add.at`` (a plain assignment would keep only one).
        """
        index = _plain_index(index)
        a = self.data
        data = a[index]

        def rule(g: np.ndarray) -> np.ndarray:
            grad = np.zeros_like(a)
            if _has_integer_array(index):
                np.add.at(grad, index, g)
            else:
                grad[index] = g
            return grad

        return _result(data, "index", (self, rule))
    # --8<-- [end:getitem]


# ------------------------------------------------------------------- building results
# --8<-- [start:result]
def _result(data: np.ndarray, op: str, *edges: tuple[Tensor, Rule]) -> Tensor:
    """The output of an operation: its data and, for each input that needs a
    gradient, an edge (input, rule) the backward pass will follow."""
    out = Tensor.__new__(Tensor)
    out.data = data if data.__class__ is _ndarray else np.asarray(data)
    out.grad = None
    out._op = op
    parents = kept = ()
    if _grad_enabled:
        for edge in edges:
            if edge[0].requires_grad:  # data and constants need no gradient
                parents += (edge[0],)
                kept += (edge,)
    out._parents = parents
    out._edges = kept
    out.requires_grad = bool(parents)
    return out
# --8<-- [end:result]


def _identity(g: np.ndarray) -> np.ndarray:
    return g


def _lift(value: Any, like: Tensor) -> Tensor:
    """`value` as a Tensor. A Python number takes `like`'s dtype, so that
    ``x32 * 2.0`` stays float32; anything else follows `Tensor()`'s rules."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        constant = Tensor.__new__(Tensor)
        constant.data = np.asarray(value, dtype=like.data.dtype)
        constant.grad = None
        constant.requires_grad = False
        constant._parents = ()
        constant._edges = ()
        constant._op = ""
        return constant
    try:
        return Tensor(value)
    except TypeError:
        raise TypeError(
            f"unsupported operand: Tensor and {type(value).__name__} {_short(value)}"
        ) from None


def _broadcasting(ufunc: np.ufunc, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """``ufunc(a, b)``, with numpy's broadcasting error turned into one naming both shapes."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"shapes {a.data.shape} {op} {b.data.shape} do not broadcast together"
        ) from None


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 0 or b.ndim == 0 or a.ndim > 2 or b.ndim > 2:
        raise ValueError(
            f"matmul needs 1-D or 2-D operands, got {a.shape} @ {b.shape}"
        )
    if a.shape[-1] != b.shape[0]:
        raise ValueError(
            f"matmul shapes {a.shape} @ {b.shape} do not fit: "
            f"{a.shape[-1]} columns on the left, {b.shape[0]} rows on the right"
        )
    return a @ b


# --8<-- [start:spread]
def _spread(
    g: np.ndarray, shape: tuple[int, ...], axis: int | tuple[int, ...] | None, keepdims: bool
) -> np.ndarray:
    """The upstream gradient of a reduction, copied to every element that was reduced.

    The reverse of `unbroadcast`: a sum's backward is a broadcast, as a
    broadcast's backward is a sum.
    """
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)  # put back the reduced axes, with length 1
    return np.broadcast_to(g, shape).copy()
# --8<-- [end:spread]


def _plain_index(index: Any) -> Any:
    """Replace Tensors inside an index by their (integer) arrays."""
    if isinstance(index, Tensor):
        return index.data.astype(np.intp)
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    return index


def _has_integer_array(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind in "iu":
            return True
    return False

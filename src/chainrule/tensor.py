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

import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Number
from typing import Any, NamedTuple

import numpy as np

from chainrule.graph import backward_pass

__all__ = [
    "Tensor",
    "ValuesIndices",
    "arange",
    "cat",
    "default_rng",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "stack",
    "tril",
    "triu",
    "unbroadcast",
    "where",
    "zeros",
    "zeros_like",
]

Rule = Callable[[np.ndarray], np.ndarray]
Dims = int | tuple[int, ...] | None  # the axes a reduction runs over (None: all)
_ndarray = np.ndarray
_grad_mode = threading.local()  # one switch per thread, as in PyTorch


def is_grad_enabled() -> bool:
    """True unless the calling thread is inside ``with no_grad():``."""
    return getattr(_grad_mode, "enabled", True)


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside ``with no_grad():`` operations record no graph (for evaluation).

    Results are plain constants: cheaper to make and holding no reference to
    their inputs, like PyTorch's ``torch.no_grad()``. The switch belongs to
    the thread that enters the block: a thread evaluating under ``no_grad()``
    leaves another thread's training untouched, and leaving the block restores
    that thread's previous mode (so nested blocks are fine).
    """
    previous = is_grad_enabled()
    _grad_mode.enabled = False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


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
    if kind in "fb":  # floats as they are; booleans stay a mask
        return array
    if kind in "iu":
        return array.astype(np.float64)
    if isinstance(data, int):  # beyond int64: numpy gave up and kept a Python object
        raise OverflowError(
            f"Tensor({_short(data)}): the number is too large for float64 "
            f"(the largest is about {np.finfo(np.float64).max:.1e})"
        )
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
    as is (no copy, dtype kept); Python numbers, lists and integer arrays
    become float64, the precision for checking gradients. Use float32 arrays
    for speed; results of float32 operations stay float32. Booleans (``True``,
    a boolean array) make a *mask*: a boolean tensor selects elements
    (``x[mask]``) and chooses in `where`, but takes part in no arithmetic
    and has no gradient.

    Comparisons (``x > 0``, ``x == y``) work elementwise, as in PyTorch, and
    return a boolean Tensor: a mask, recorded in no graph. ``.float()`` makes
    it numbers (``(pred == y).float().mean()``), ``.sum()`` counts it.

    ``.grad`` is None until a backward pass reaches the tensor, then a numpy
    array of the data's shape and dtype, owned by this tensor alone.
    Gradients accumulate over backward calls, as in PyTorch; ``t.grad = None``
    clears them.

    In-place arithmetic (``p -= lr * p.grad``, ``add_``, ``zero_``) changes
    the data where it is, as in PyTorch: inside ``no_grad()`` for a tensor
    that requires grad. Each change counts up a version number, and a
    backward pass that would read values changed since the forward pass
    refuses to run.
    """

    __slots__ = (
        "data", "grad", "requires_grad", "_parents", "_edges", "_op", "_counter", "_saved",
        "__weakref__",
    )
    __array_ufunc__ = None  # `ndarray * Tensor` calls Tensor.__rmul__, not numpy

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        if requires_grad and _holds_integers(data):
            raise TypeError(
                f"Tensor({_short(data)}, requires_grad=True): only floating-point tensors "
                "can require grad, as in PyTorch; write the numbers as floats (1.0, not 1)"
            )
        self.data: np.ndarray = _as_array(data)
        if requires_grad and self.data.dtype.kind == "b":
            raise ValueError(
                "a boolean Tensor (a mask) cannot require grad: it has no gradient; "
                "make it numbers first, e.g. Tensor(mask.double().data, requires_grad=True)"
            )
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self._parents: tuple[Tensor, ...] = ()
        self._edges: tuple[tuple[Tensor, Rule], ...] = ()  # (parent, rule) pairs
        self._op = ""
        self._counter = [0]  # the version: in-place changes so far (shared with detach())
        self._saved: tuple[tuple[Tensor, int], ...] = ()  # inputs the rules read, and versions

    # ----------------------------------------------------------- describing
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape, as PyTorch's ``size()``; ``size(d)`` is the length of
        dimension `d`. (numpy's ``.size``, the element count, is `numel`.)"""
        if dim is None:
            return self.data.shape
        return self.data.shape[_axis(dim, self.data.ndim, "size", "dim")]

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name for ``.ndim``)."""
        return self.data.ndim

    def numel(self) -> int:
        """The number of elements (numpy's ``.size``)."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first dimension; use .item()")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The slices along the first dimension, as in PyTorch."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: it has no first dimension; use .item()")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        return f"Tensor({body}{extra})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float (a bool for a mask)."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as nested Python lists of floats (a float for a 0-d tensor)."""
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor (an `argmax`, say) used as an index."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(
                f"only a one-element integer tensor can be an index, got dtype "
                f"{self.data.dtype} and shape {self.data.shape}"
            )
        return int(self.data.reshape(()))

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; for more elements it is ambiguous."""
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a Tensor with {self.data.size} elements is ambiguous: "
                "use (t > 0).any() or (t > 0).all()"
            )
        return bool(self.data.reshape(()))

    # ----------------------------------------------------------- comparisons
    # Elementwise, broadcasting, and outside the graph (a comparison has no
    # useful derivative): each returns a boolean Tensor, a ready mask.
    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other, "<")

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other, "<=")

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other, ">")

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other, ">=")

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented
        return _compare(np.equal, self, other, "==")

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        if not _comparable(other):
            return NotImplemented
        return _compare(np.not_equal, self, other, "!=")

    __hash__ = object.__hash__  # a tensor is still usable as a dict key (by identity)

    # Logic on masks, as in PyTorch: ``~causal``, ``(x > 0) & (x < 1)``.
    def __invert__(self) -> Tensor:
        return _constant(~_mask_array(self, "~"))

    def __and__(self, other: Any) -> Tensor:
        return _logic(np.logical_and, self, other, "&")

    def __or__(self, other: Any) -> Tensor:
        return _logic(np.logical_or, self, other, "|")

    def __xor__(self, other: Any) -> Tensor:
        return _logic(np.logical_xor, self, other, "^")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def any(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Whether any element is nonzero (True), as a boolean Tensor."""
        return _constant(np.asarray(self.data.any(axis=_reduction_axes(dim, self.ndim, "any"),
                                                  keepdims=keepdim)))

    def all(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Whether every element is nonzero (True), as a boolean Tensor."""
        return _constant(np.asarray(self.data.all(axis=_reduction_axes(dim, self.ndim, "all"),
                                                  keepdims=keepdim)))

    # ----------------------------------------------------------- dtypes
    def to(self, dtype: Any) -> Tensor:
        """The tensor in another dtype (a numpy dtype or its name, e.g. "float32").

        Between float dtypes it is an operation like any other (the gradient
        is cast back); to integers or booleans the result is a constant.
        """
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"to({dtype!r}): expected a dtype such as np.float32 or 'float64' "
                "(chainrule runs on the CPU only, so there is no device to move to)"
            ) from None
        if target.kind not in "fiub":
            raise TypeError(f"to({dtype!r}): a Tensor holds floats, integers or booleans")
        if target == self.data.dtype:
            return self
        if target.kind == "f" and self.data.dtype.kind == "f":
            source = self.data.dtype
            data = self.data.astype(target)
            return _result(data, "to", (self, lambda g: g.astype(source)))
        return _constant(self.data.astype(target))

    def float(self) -> Tensor:
        """As float32, PyTorch's ``float`` (not Python's float, which is float64)."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """As float64."""
        return self.to(np.float64)

    def long(self) -> Tensor:
        """As int64 (fractions cut toward 0), for class indices: a constant."""
        return self.to(np.int64)

    def bool(self) -> Tensor:
        """As a boolean mask: True where nonzero."""
        return self.to(np.bool_)

    def detach(self) -> Tensor:
        """A constant with the same data (not a copy), cut off from the graph.

        As in PyTorch it shares the version counter too: changing either in
        place is seen by a backward pass that saved the other.
        """
        out = Tensor(self.data)
        out._counter = self._counter
        return out

    @property
    def _version(self) -> int:
        """How many times the data was changed in place (PyTorch's ``_version``)."""
        return self._counter[0]

    # ----------------------------------------------------------- backward
    # --8<-- [start:backward]
    def _backward(self, upstream: np.ndarray) -> tuple[np.ndarray, ...]:
        """The gradient of each parent: its rule applied to `upstream`, summed to shape."""
        if self._saved or self._version:  # values the rules read: unchanged since forward?
            _check_versions(self)
        grads = ()
        for parent, rule in self._edges:
            grad = rule(upstream)
            shape = parent.data.shape
            grads += (grad if grad.shape == shape else unbroadcast(grad, shape),)
        return grads

    def _accumulate(self, gradient: np.ndarray) -> None:
        """Add `gradient` into ``.grad`` (a new array each time, never in place).

        ``.grad`` has the tensor's dtype, as in PyTorch, and a leaf gets its
        own copy: ``a + b`` hands both parents the same array, and clipping
        ``a.grad`` in place must not change ``b.grad``.
        """
        if gradient.__class__ is not _ndarray:  # numpy scalars from 0-d arithmetic
            gradient = np.asarray(gradient)
        if gradient.dtype != self.data.dtype or (self.grad is None and not self._parents):
            gradient = gradient.astype(self.data.dtype)  # a copy
        if self.grad is None:
            self.grad = gradient
        elif self.grad.shape == gradient.shape:
            self.grad = self.grad + gradient
        else:  # a .grad set by hand to another shape would broadcast silently
            raise ValueError(
                f"cannot add a gradient of shape {gradient.shape} to .grad of shape "
                f"{np.shape(self.grad)}; set .grad = None to start afresh"
            )
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
        """``x ** p``: d/dx = p x^(p-1); with a tensor exponent, d/dp = x^p ln x.

        Two limits are taken as PyTorch takes them, where the formulas would
        give 0 * inf = nan: x**0 is the constant 1, so d/dx = 0 even at x = 0;
        and 0**p is 0 for every p > 0 (1 for p = 0), so d/dp = 0 at x = 0.
        """
        if isinstance(exponent, Number) and not isinstance(exponent, bool):
            a, p = self.data, exponent
            if p == 0:
                return _result(a**p, "**", (self, lambda g: np.zeros_like(a)))
            return _result(a**p, "**", (self, lambda g: g * p * a ** (p - 1)))
        other = _lift(exponent, self)
        a, b = self.data, other.data
        data = _broadcasting(np.power, self, other, "**")

        def d_base(g: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1, only where b != 0
                return g * np.where(b == 0, 0.0, b * a ** (b - 1))

        def d_exponent(g: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0), only where a != 0
                return g * np.where((a == 0) & (b >= 0), 0.0, data * np.log(a))

        return _result(data, "**", (self, d_base), (other, d_exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return _lift(base, self) ** self

    # ----------------------------------------------------------- in place
    # --8<-- [start:inplace]
    def _in_place(self, op: str, other: Any, compute: Callable[[], Tensor]) -> Tensor:
        """Write ``compute()`` into this tensor's own array and count a new version.

        As in PyTorch, the array changes where it is, so every holder of it
        (a module, an optimizer) sees the new values, and a tensor that
        requires grad may be changed only inside ``no_grad()``. The version
        lets a later backward pass notice that values it needs have changed.
        """
        _refuse_in_place_while_recording(self, other, op)
        with no_grad():
            new = compute()
        if new.data.shape != self.data.shape:
            raise ValueError(
                f"in-place {op}: the result has shape {new.data.shape}, but the tensor "
                f"keeps its shape {self.data.shape} (only the other operand may broadcast)"
            )
        if not np.can_cast(new.data.dtype, self.data.dtype, "same_kind"):
            raise TypeError(
                f"in-place {op}: a {new.data.dtype} result cannot be stored in this "
                f"{self.data.dtype} tensor, as in PyTorch; convert first, e.g. x = x.double()"
            )
        if not self.data.flags.writeable:
            raise ValueError(f"in-place {op}: this tensor's array is read-only; clone() it first")
        self.data[...] = new.data  # in the tensor's own dtype
        self._counter[0] += 1
        return self
    # --8<-- [end:inplace]

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place("+=", other, lambda: self + other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place("-=", other, lambda: self - other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place("*=", other, lambda: self * other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place("/=", other, lambda: self / other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._in_place("**=", other, lambda: self**other)

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """In place: self + alpha * other (PyTorch's ``add_``)."""
        return self._in_place("add_", other, lambda: self + _lift(other, self) * alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """In place: self - alpha * other."""
        return self._in_place("sub_", other, lambda: self - _lift(other, self) * alpha)

    def mul_(self, other: Any) -> Tensor:
        """In place: self * other."""
        return self._in_place("mul_", other, lambda: self * other)

    def div_(self, other: Any) -> Tensor:
        """In place: self / other."""
        return self._in_place("div_", other, lambda: self / other)

    def zero_(self) -> Tensor:
        """In place: every element 0."""
        return self.fill_(0.0)

    def fill_(self, value: float) -> Tensor:
        """In place: every element `value`."""
        if isinstance(value, bool) or not isinstance(value, Number):
            raise TypeError(f"fill_: value must be a number, got {value!r}")
        return self._in_place("fill_", None, lambda: _constant(np.full_like(self.data, value)))

    def copy_(self, source: Any) -> Tensor:
        """In place: the values of `source` (broadcast to this tensor's shape)."""
        values = _lift(source, self).data
        if not _reducible(self.data.shape, values.shape):  # source broadcasts to our shape
            raise ValueError(
                f"copy_: a source of shape {values.shape} does not broadcast to the "
                f"tensor's shape {self.data.shape}"
            )
        return self._in_place("copy_", source, lambda: _constant(
            np.broadcast_to(values, self.data.shape)))

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking of a leaf on or off, in place (PyTorch's name)."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        if self._parents:
            raise RuntimeError(
                "requires_grad_ on a tensor computed from others: only leaves can change it; "
                "use detach() for a constant copy"
            )
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only float tensors can require grad, got dtype {self.data.dtype}")
        self.requires_grad = requires_grad
        return self

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
        if a.ndim > 2 or b.ndim > 2:  # a batch of matrices: (..., n, k) @ (..., k, m)
            return _batched_matmul(self, other, data)
        if a.ndim == 1 and b.ndim == 2:  # (k,) @ (k, m) -> (m,)
            return _result(
                data, "@", (self, lambda g: b @ g), (other, lambda g: np.outer(a, g))
            )
        if a.ndim == 2:  # (n, k) @ (k,) -> (n,)
            return _result(
                data, "@", (self, lambda g: np.outer(g, b)), (other, lambda g: a.T @ g)
            )
        return _result(data, "@", (self, lambda g: g * b), (other, lambda g: g * a))
    # --8<-- [end:matmul]

    def __rmatmul__(self, other: Any) -> Tensor:
        return _lift(other, self) @ self

    # ----------------------------------------------------------- reductions
    # --8<-- [start:sum]
    def sum(
        self, axis: Dims = None, keepdims: bool | None = None, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Sum over `axis` (all axes by default). Every input element gets the
        upstream gradient of the sum it went into.

        Like every reduction here it takes numpy's names (`axis`, `keepdims`)
        or PyTorch's (`dim`, `keepdim`), so code written for either runs.
        """
        axis, keepdims = _reduce_args("sum", self, axis, keepdims, dim, keepdim)
        if self.data.dtype.kind == "b":  # a mask: count the True entries
            return _constant(np.asarray(self.data.sum(axis=axis, keepdims=keepdims)))
        shape = self.data.shape
        data = self.data.sum(axis=axis, keepdims=keepdims)
        return _result(data, "sum", (self, lambda g: _spread(g, shape, axis, keepdims)))
    # --8<-- [end:sum]

    # --8<-- [start:mean]
    def mean(
        self, axis: Dims = None, keepdims: bool | None = None, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Mean over `axis`: a sum divided by the count, so each input gets g / count."""
        axis, keepdims = _reduce_args("mean", self, axis, keepdims, dim, keepdim)
        shape = self.data.shape
        data = self.data.mean(axis=axis, keepdims=keepdims)
        count = self.data.size // max(np.size(data), 1) if self.data.size else 1
        return _result(
            data, "mean", (self, lambda g: _spread(g, shape, axis, keepdims) / count)
        )
    # --8<-- [end:mean]

    # --8<-- [start:max]
    def amax(
        self, axis: Dims = None, keepdims: bool | None = None, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Largest element over `axis` (all axes by default). The gradient goes
        to the maxima; ties share it equally (as ``torch.amax`` does)."""
        axis, keepdims = _reduce_args("amax", self, axis, keepdims, dim, keepdim)
        a = self.data
        data = a.max(axis=axis, keepdims=keepdims)

        def rule(g: np.ndarray) -> np.ndarray:
            kept = data if keepdims or axis is None else np.expand_dims(data, axis)
            winners = (a == kept).astype(a.dtype)
            share = winners / winners.sum(axis=axis, keepdims=True)
            return share * _spread(g, a.shape, axis, keepdims)

        return _result(data, "max", (self, rule))

    def max(
        self, axis: int | None = None, keepdims: bool | None = None, *,
        dim: int | None = None, keepdim: bool | None = None,
    ) -> Any:
        """Without a dim, the largest element, as `amax`. With one, as in
        PyTorch, the largest along it and where it lies: a named tuple
        ``(values, indices)``, whose gradient goes to that one index."""
        if axis is None and dim is None:
            return self.amax(keepdims=keepdims, keepdim=keepdim)
        axis, keepdims = _reduce_args("max", self, axis, keepdims, dim, keepdim)
        return _along(self, axis, keepdims, np.argmax, "max")
    # --8<-- [end:max]

    def amin(
        self, axis: Dims = None, keepdims: bool | None = None, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Smallest element over `axis`: amin(x) = -amax(-x), so ties share the
        gradient as in `amax`."""
        axis, keepdims = _reduce_args("amin", self, axis, keepdims, dim, keepdim)
        return -(-self).amax(axis=axis, keepdims=keepdims)

    def min(
        self, axis: int | None = None, keepdims: bool | None = None, *,
        dim: int | None = None, keepdim: bool | None = None,
    ) -> Any:
        """The smallest element, or with a dim ``(values, indices)``, as `max`."""
        if axis is None and dim is None:
            return self.amin(keepdims=keepdims, keepdim=keepdim)
        axis, keepdims = _reduce_args("min", self, axis, keepdims, dim, keepdim)
        return _along(self, axis, keepdims, np.argmin, "min")

    def argmax(
        self, axis: int | None = None, keepdims: bool | None = None, *,
        dim: int | None = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Index of the largest element (of the flattened tensor by default),
        as an int64 Tensor, as in PyTorch. An index has no gradient, so
        nothing is recorded."""
        return _arg(self, np.argmax, "argmax", axis, keepdims, dim, keepdim)

    def argmin(
        self, axis: int | None = None, keepdims: bool | None = None, *,
        dim: int | None = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Index of the smallest element, as `argmax`."""
        return _arg(self, np.argmin, "argmin", axis, keepdims, dim, keepdim)

    def logsumexp(
        self, axis: Dims = None, keepdims: bool | None = None, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """log(sum(exp(x))) over `axis`, computed as m + log(sum(exp(x - m))) with
        m the largest element, so exp never overflows. Its gradient is softmax(x)."""
        axis, keepdims = _reduce_args("logsumexp", self, axis, keepdims, dim, keepdim)
        a = self.data
        m = a.max(axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or an inf): nothing to shift by
        kept = m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
        if keepdims:
            data = kept
        else:  # drop the reduced axes again
            data = kept.reshape(()) if axis is None else np.squeeze(kept, axis=axis)

        def rule(g: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                softmax = np.exp(a - kept)
            return softmax * _spread(g, a.shape, axis, keepdims)

        return _result(data, "logsumexp", (self, rule))

    def var(
        self, axis: Dims = None, keepdims: bool | None = None, correction: int = 1, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Variance over `axis`: sum((x - mean)^2) / (count - correction).

        ``correction=1`` (the default, as in PyTorch) is the unbiased sample
        variance; ``correction=0`` divides by the count (numpy's default).
        Each input gets g * 2 (x - mean) / (count - correction).
        """
        axis, keepdims = _reduce_args("var", self, axis, keepdims, dim, keepdim)
        a = self.data
        data = a.var(axis=axis, keepdims=keepdims, ddof=correction)
        count = a.size // max(np.size(data), 1) if a.size else 1

        def rule(g: np.ndarray) -> np.ndarray:
            centred = a - a.mean(axis=axis, keepdims=True)
            return 2 * centred / (count - correction) * _spread(g, a.shape, axis, keepdims)

        return _result(data, "var", (self, rule))

    def std(
        self, axis: Dims = None, keepdims: bool | None = None, correction: int = 1, *,
        dim: Dims = None, keepdim: bool | None = None,
    ) -> Tensor:
        """Standard deviation: the square root of `var` (same arguments).

        Its own op rather than ``var().sqrt()``: where every element is the
        same, sqrt's slope is infinite and var's is 0, and the product would be
        nan. The gradient there is 0, as in PyTorch, so normalising a constant
        row does not poison the whole model.
        """
        axis, keepdims = _reduce_args("std", self, axis, keepdims, dim, keepdim)
        a = self.data
        data = np.sqrt(a.var(axis=axis, keepdims=keepdims, ddof=correction))
        count = a.size // max(np.size(data), 1) if a.size else 1

        def rule(g: np.ndarray) -> np.ndarray:
            centred = a - a.mean(axis=axis, keepdims=True)
            spread = _spread(np.where(data == 0, 0.0, g / np.where(data == 0, 1.0, data)),
                             a.shape, axis, keepdims)
            return centred / (count - correction) * spread

        return _result(data, "std", (self, rule))

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
        """1 / (1 + e^-x), stable at both ends, with derivative s (1 - s).

        For x >= 0 we use 1 / (1 + e^-x); for x < 0 the equal form
        e^x / (1 + e^x). Either way exp only sees -|x|, so it never overflows,
        and for a very negative x the result keeps its digits (sigmoid(-50)
        is about 2e-22, not 0), so log(sigmoid(x)) stays finite.
        """
        a = self.data
        e = np.exp(-np.abs(a))  # in (0, 1]
        data = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return _result(data, "sigmoid", (self, lambda g: g * data * (1 - data)))

    def abs(self) -> Tensor:
        """|x|, with slope sign(x) (0 at the kink x = 0, as in PyTorch)."""
        a = self.data
        return _result(np.abs(a), "abs", (self, lambda g: g * np.sign(a)))

    def __abs__(self) -> Tensor:
        return self.abs()

    def sqrt(self) -> Tensor:
        """The square root, with derivative 1 / (2 sqrt(x)) (infinite at 0)."""
        data = np.sqrt(self.data)
        return _result(data, "sqrt", (self, lambda g: g / (2 * data)))

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Each element limited to [min, max] (either may be None). The gradient
        passes where the input lay inside the limits (ends included, as in
        PyTorch) and is 0 where it was clipped."""
        if min is None and max is None:
            raise ValueError("clamp needs min, max or both, got neither")
        low = -np.inf if min is None else _check_limit(min, "min")
        high = np.inf if max is None else _check_limit(max, "max")
        a = self.data
        data = np.clip(a, low, high).astype(a.dtype, copy=False)
        inside = (a >= low) & (a <= high)
        return _result(data, "clamp", (self, lambda g: g * inside))

    def maximum(self, other: Any) -> Tensor:
        """The elementwise larger of two tensors (broadcasting). The gradient
        goes to the larger; on a tie each gets half, as in PyTorch."""
        return _pick(self, _lift(other, self), np.maximum, np.greater, "maximum")

    def minimum(self, other: Any) -> Tensor:
        """The elementwise smaller of two tensors; ties share the gradient."""
        return _pick(self, _lift(other, self), np.minimum, np.less, "minimum")

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where `condition` holds, else `other`: ``where(condition, self, other)``."""
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """`value` where the boolean `mask` is True, the tensor elsewhere (the
        mask broadcasts to the tensor's shape). Filled places get no gradient.

        Attention uses it to hide the future: ``scores.masked_fill(~causal, -inf)``.
        """
        keep = ~_mask_array(mask, "masked_fill")
        if isinstance(value, bool) or not isinstance(value, Number):
            if not (isinstance(value, Tensor) and value.ndim == 0 and not value.requires_grad):
                raise TypeError(f"masked_fill: value must be a number, got {_short(value)}")
            value = value.item()
        try:
            data = np.where(keep, self.data, np.asarray(value, self.data.dtype))
        except ValueError:
            data = None
        if data is None or data.shape != self.data.shape:
            raise ValueError(
                f"masked_fill: a mask of shape {keep.shape} does not broadcast to the "
                f"tensor's shape {self.data.shape}"
            )
        return _result(data, "masked_fill", (self, lambda g: g * keep))

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of each matrix (the last two dimensions): entries
        above the `diagonal`-th diagonal become 0, and so does their gradient."""
        return _triangle(self, diagonal, np.tril, "tril")

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of each matrix: entries below the diagonal become 0."""
        return _triangle(self, diagonal, np.triu, "triu")

    def softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """`chainrule.functional.softmax` along `dim`, which PyTorch requires too."""
        from chainrule import functional

        return functional.softmax(self, _one_dim(axis, dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """`chainrule.functional.log_softmax` along `dim`."""
        from chainrule import functional

        return functional.log_softmax(self, _one_dim(axis, dim, self.ndim, "log_softmax"))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (the gradient passes through)."""
        return _result(self.data.copy(), "clone", (self, _identity))

    # ----------------------------------------------------------- shape
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """Same elements, new shape; the gradient is reshaped back."""
        shape = _integers(shape, "reshape", "shape")
        old = self.data.shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape {old} ({self.data.size} elements) into {shape}"
            ) from None
        return _result(data, "reshape", (self, lambda g: g.reshape(old)))

    # --8<-- [start:transpose]
    def transpose(self, *dims: int) -> Tensor:
        """``transpose(dim0, dim1)`` swaps two dimensions, as PyTorch's does: on
        a matrix, ``transpose(0, 1)`` (or ``transpose(-2, -1)``) is the matrix
        transpose. numpy's ``transpose`` takes a whole order instead; that is
        `permute` here, and a call in numpy's style is refused, not misread.
        """
        if len(dims) != 2 or not all(_is_integer(d) for d in dims):
            spelled = ", ".join(map(repr, dims))
            raise TypeError(
                f"transpose(dim0, dim1) swaps two dimensions, as in PyTorch; got "
                f"transpose({spelled}). For a whole order of the axes use permute(...)"
            )
        dim0, dim1 = dims
        n = self.data.ndim
        a = _axis(dim0, max(n, 1), "transpose", "dim")  # a 0-d tensor takes dims 0 and -1
        b = _axis(dim1, max(n, 1), "transpose", "dim")
        order = list(range(n))
        if n:
            order[a], order[b] = order[b], order[a]
        return self._permuted(tuple(order), "transpose")

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """Reorder the dimensions: dimension ``dims[i]`` of the input becomes
        dimension ``i`` of the result (numpy's ``transpose(order)``)."""
        order = _integers(dims, "permute", "dims")
        n = self.data.ndim
        if len(order) != n or sorted(d % n if n else d for d in order) != list(range(n)):
            raise ValueError(
                f"permute: dims {order} are not a reordering of the {n} dimensions "
                f"of a tensor of shape {self.data.shape}"
            )
        return self._permuted(tuple(_axis(d, n, "permute", "dim") for d in order), "permute")

    def _permuted(self, order: tuple[int, ...], op: str) -> Tensor:
        """The tensor with its axes in `order`; the gradient is put back in the inverse order."""
        inverse = tuple(np.argsort(order))
        return _result(self.data.transpose(order), op, (self, lambda g: g.transpose(inverse)))
    # --8<-- [end:transpose]

    @property
    def mT(self) -> Tensor:  # noqa: N802 (PyTorch's name)
        """Each matrix of a batch transposed: the last two dimensions swapped."""
        if self.data.ndim < 2:
            raise ValueError(
                f"mT needs a matrix or a batch of matrices, got shape {self.data.shape}"
            )
        return self.transpose(-2, -1)

    @property
    def T(self) -> Tensor:  # noqa: N802 (PyTorch's and numpy's name)
        """The matrix transpose (a 1-D or 0-d tensor is returned as it is).

        On more than two dimensions numpy reverses them all, while PyTorch has
        deprecated ``.T`` there; we refuse and name the clear spellings.
        """
        if self.data.ndim > 2:
            raise ValueError(
                f".T on a tensor of shape {self.data.shape}: on more than 2 dimensions "
                "PyTorch has deprecated .T; use .mT to transpose each matrix of a batch, "
                "or permute(...) for another order"
            )
        return self._permuted(tuple(reversed(range(self.data.ndim))), "transpose")

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """`reshape` that promises not to copy, as PyTorch's ``view``: a tensor
        whose elements are not laid out in order (after `transpose`, say) is
        refused, where `reshape` would copy."""
        out = self.reshape(*shape)
        if out.data.size and not np.shares_memory(out.data, self.data):
            raise RuntimeError(
                f"view{tuple(out.shape)}: the elements of this {self.data.shape} tensor are "
                "not laid out in order (after a transpose or a strided slice, say), so a view "
                "would need a copy; use reshape(...), as PyTorch advises too"
            )
        out._op = "view"
        return out

    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        """The tensor repeated along its dimensions of length 1 (and new leading
        ones) without copying, as PyTorch's ``expand``; -1 keeps a length.
        The gradient is summed back, as for broadcasting."""
        sizes = _integers(sizes, "expand", "sizes")
        old = self.data.shape
        lead = len(sizes) - len(old)
        wanted = tuple(
            n if n != -1 or i < lead else old[i - lead] for i, n in enumerate(sizes)
        )
        if lead < 0 or any(n < 0 for n in wanted) or any(
            old[i] not in (1, wanted[lead + i]) for i in range(len(old))
        ):
            raise ValueError(
                f"expand: a tensor of shape {old} cannot be expanded to {sizes}: only "
                "dimensions of length 1 stretch, and new ones go in front"
            )
        data = np.broadcast_to(self.data, wanted)  # a read-only view
        return _result(data, "expand", (self, lambda g: unbroadcast(g, old)))

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """Drop axes of length 1 (all of them, or those in `axis`)."""
        try:
            shape = np.squeeze(self.data, axis=axis).shape
        except ValueError:
            raise ValueError(
                f"squeeze: axis {axis} of shape {self.data.shape} does not have length 1"
            ) from None
        return self.reshape(shape)

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of length 1 at position `axis`."""
        axis = _integers((axis,), "unsqueeze", "axis")[0]
        try:
            shape = np.expand_dims(self.data, axis).shape
        except np.exceptions.AxisError:
            raise ValueError(
                f"unsqueeze: axis {axis} is out of range for a tensor of shape {self.data.shape}"
            ) from None
        return self.reshape(shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes start_dim..end_dim (all, by default) into one."""
        shape = self.data.shape
        if not shape:
            return self.reshape(1)
        start, end = (_axis(d, len(shape), "flatten") for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = int(np.prod(shape[start : end + 1]))
        return self.reshape((*shape[:start], merged, *shape[end + 1 :]))

    # --8<-- [start:getitem]
    def __getitem__(self, index: Any) -> Tensor:
        """Indexing and slicing; the gradient is scattered back into zeros.

        Integer-array indices may pick an element twice, so their gradients
        are added with ``np.add.at`` (a plain assignment would keep only one).
        A boolean mask (``x[x > 0]``, a boolean Tensor or array) selects the
        elements where it is True. A Tensor of indices holds floats, as every
        Tensor does, so its values must be whole numbers: ``x[Tensor([0.9])]``
        is a TypeError, never rounded down.
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
    if op not in _SHAPE_OPS:
        _refuse_masks(edges, op)
    parents = kept = ()
    if is_grad_enabled():
        for edge in edges:
            if edge[0].requires_grad:  # data and constants need no gradient
                parents += (edge[0],)
                kept += (edge,)
    out._parents = parents
    out._edges = kept
    out.requires_grad = bool(parents)
    out._counter = _version_counter(out.data, op, edges)
    out._saved = () if not parents or op in _READS_NO_INPUT else _versions(edges)
    return out
# --8<-- [end:result]


def _version_counter(data: np.ndarray, op: str, edges: tuple[tuple[Tensor, Rule], ...]) -> list:
    """A new version counter; but a view of its input's array (a reshape, a
    transpose, a slice) shares the input's, as PyTorch's views do: changing
    either in place changes both arrays, so it must count for both."""
    if op in _SHAPE_OPS and len(edges) == 1 and np.may_share_memory(data, edges[0][0].data):
        return edges[0][0]._counter
    return [0]


# Operations that only move elements around: a boolean mask may go through them.
_SHAPE_OPS = frozenset(
    {"reshape", "view", "expand", "transpose", "permute", "index", "cat", "stack"}
)

# Operations whose rules read no input's values, and those whose rules do
# not read their own result: changing those in place after the forward pass
# leaves the gradient right, so backward lets it pass, as PyTorch does.
_READS_NO_INPUT = _SHAPE_OPS | {
    "+", "-", "neg", "sum", "mean", "where", "masked_fill", "tril", "triu", "clone", "to",
}
_READS_NO_RESULT = _READS_NO_INPUT | {
    "*", "@", "log", "relu", "abs", "clamp", "var", "maximum", "minimum",
}


def _versions(edges: tuple[tuple[Tensor, Rule], ...]) -> tuple[tuple[Tensor, int], ...]:
    """Each input of an operation with its version now, for `_check_versions`."""
    return tuple((tensor, tensor._counter[0]) for tensor, _ in edges)


def _check_versions(node: Tensor) -> None:
    """Refuse a backward step whose rules would read values changed in place since."""
    if node._version and node._op not in _READS_NO_RESULT:
        raise RuntimeError(
            f"backward through {node._op!r}: its result (shape {node.data.shape}) was changed "
            f"in place after the forward pass (version {node._version}, was 0), and its "
            "gradient rule reads it; PyTorch refuses this too. Run the forward pass again "
            "after the change, or change a clone()"
        )
    for tensor, version in node._saved:
        if tensor._counter[0] != version:
            raise RuntimeError(
                f"backward through {node._op!r}: an input of shape {tensor.data.shape} was "
                f"changed in place after the forward pass (version {tensor._counter[0]}, "
                f"was {version} when {node._op!r} used it), and the gradient rule reads it; "
                "PyTorch refuses this too. Run the forward pass again after the change "
                "(e.g. after optimizer.step()), or change a clone()"
            )


def _refuse_in_place_while_recording(x: Tensor, other: Any, op: str) -> None:
    """In-place changes are not recorded in the graph: refuse those that would need it."""
    if not is_grad_enabled():
        return
    if x.requires_grad and not x._parents:
        raise RuntimeError(
            f"in-place {op} on a leaf tensor that requires grad (shape {x.data.shape}), "
            "while gradients are recorded; PyTorch refuses this too. Update parameters "
            "inside `with no_grad():`, or write `x = x + ...` for a new tensor"
        )
    if x.requires_grad:
        raise RuntimeError(
            f"in-place {op} on a tensor computed by {x._op!r} that requires grad: chainrule "
            "records no in-place operation in the graph (PyTorch does); write `y = y + ...` "
            "for a new tensor, or change it inside `with no_grad():`"
        )
    if isinstance(other, Tensor) and other.requires_grad:
        raise RuntimeError(
            f"in-place {op} with an operand that requires grad: chainrule records no "
            "in-place operation in the graph (PyTorch does); write `x = x + other` instead"
        )


def _refuse_masks(edges: tuple[tuple[Tensor, Rule], ...], op: str) -> None:
    """A boolean Tensor is a mask, not numbers: arithmetic on it is refused."""
    for tensor, _ in edges:
        if tensor.data.dtype.kind == "b":
            raise TypeError(
                f"{op!r} on a boolean Tensor: a boolean Tensor is a mask, for indexing, "
                "where() and counting with sum(), and chainrule does no arithmetic on it "
                "(PyTorch reads True as 1 in some operations); make numbers first with "
                ".float() or .double(), e.g. (pred == y).float().mean()"
            )


def _identity(g: np.ndarray) -> np.ndarray:
    return g


def _as_tensor(x: Any, what: str) -> Tensor:
    """`x` as a Tensor for an op's argument `what` (a Tensor passes through, an
    array or a list is wrapped); anything else is refused by name."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except TypeError:
        raise TypeError(f"{what} needs a Tensor or an array, got {type(x).__name__}") from None


def _lift(value: Any, like: Tensor) -> Tensor:
    """`value` as a Tensor. A Python number takes `like`'s dtype, so that
    ``x32 * 2.0`` stays float32, and a mask beside numbers counts as 1 and 0,
    as in PyTorch; anything else follows `Tensor()`'s rules."""
    if isinstance(value, Tensor):
        if value.data.dtype.kind == "b" and like.data.dtype.kind == "f":
            return _constant(value.data.astype(like.data.dtype))
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        kind = like.data.dtype.kind
        same = kind == "f" or (kind in "iu" and isinstance(value, int))
        dtype = like.data.dtype if same else np.float64
        try:
            return _constant(np.asarray(value, dtype=dtype))
        except OverflowError:
            raise OverflowError(
                f"operand {_short(value)} is too large for a {dtype} tensor "
                f"(the largest is about {np.finfo(np.float64).max:.1e})"
            ) from None
    try:
        lifted = Tensor(value)
    except TypeError:
        raise TypeError(
            f"unsupported operand: Tensor and {type(value).__name__} {_short(value)}"
        ) from None
    if lifted.data.dtype.kind == "b":  # True/False as an operand counts as 1/0
        lifted.data = lifted.data.astype(np.float64)
    return lifted


def _comparable(value: object) -> bool:
    """Whether ``==`` should compare elementwise (numbers and arrays) or fall
    back to Python's default (``t == None`` is False, as in PyTorch)."""
    return isinstance(value, (Tensor, Number, np.ndarray, np.generic, list, tuple))


def _compare(ufunc: np.ufunc, a: Tensor, other: Any, op: str) -> Tensor:
    """An elementwise comparison as a boolean Tensor: no node, no graph."""
    b = other if isinstance(other, Tensor) else _lift(other, a)
    return _constant(np.asarray(_broadcasting(ufunc, a, b, op)))


def _constant(data: np.ndarray) -> Tensor:
    """A tensor in no graph holding `data` as it is, in any dtype (a mask, indices):
    what `_result` makes of an operation with no inputs, built directly because
    it runs for every plain number an operation meets (``x * 2.0``).
    tests/unit/test_tensor.py checks that the two set the same fields alike."""
    out = Tensor.__new__(Tensor)
    out.data = data if data.__class__ is _ndarray else np.asarray(data)
    out.grad = None
    out._op = ""
    out._parents = out._edges = out._saved = ()
    out.requires_grad = False
    out._counter = [0]
    return out


def _holds_integers(data: Any) -> bool:
    """Whether `data` is integers (a Python int, a list of them, an integer array)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return True
    try:
        return np.asarray(data).dtype.kind in "iu"
    except ValueError:  # ragged: `_as_array` says so
        return False


class ValuesIndices(NamedTuple):
    """What ``max(dim=...)`` and ``min(dim=...)`` return, as in PyTorch."""

    values: Tensor
    indices: Tensor


def _along(x: Tensor, axis: Dims, keepdims: bool, arg: Any, op: str) -> ValuesIndices:
    """The largest (``np.argmax``) or smallest (``np.argmin``) entry along one
    axis and its index; the gradient goes to that index alone (the first, on a
    tie), as PyTorch's ``max(dim)`` does."""
    if not isinstance(axis, int):
        raise TypeError(
            f"{op}: dim must be one integer, got {axis!r}; for several dims use a{op}(dim=...)"
        )
    a = x.data
    index = arg(a, axis=axis, keepdims=True)
    values = np.take_along_axis(a, index, axis=axis)

    def rule(g: np.ndarray) -> np.ndarray:
        grad = np.zeros(a.shape, dtype=np.result_type(a, g))
        np.put_along_axis(grad, index, g if keepdims else np.expand_dims(g, axis), axis=axis)
        return grad

    indices = index.astype(np.int64)
    if not keepdims:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return ValuesIndices(_result(values, op, (x, rule)), _constant(indices))


def _broadcasting(ufunc: np.ufunc, a: Tensor, b: Tensor, op: str) -> np.ndarray:
    """``ufunc(a, b)``, with numpy's broadcasting error turned into one naming both shapes."""
    try:
        return ufunc(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"shapes {a.data.shape} {op} {b.data.shape} do not broadcast together"
        ) from None


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs operands with at least one axis, got {a.shape} @ {b.shape}"
        )
    rows = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != rows:
        raise ValueError(
            f"matmul shapes {a.shape} @ {b.shape} do not fit: "
            f"{a.shape[-1]} columns on the left, {rows} rows on the right"
        )
    try:
        return a @ b
    except ValueError:
        raise ValueError(
            f"matmul: the batch axes of {a.shape} @ {b.shape} do not broadcast together"
        ) from None


def _batched_matmul(x: Tensor, y: Tensor, data: np.ndarray) -> Tensor:
    """``x @ y`` for a stack of matrices: the 2-D rules, matrix by matrix.

    A 1-D operand is a row (on the left) or a column (on the right) for the
    product, as in numpy. A batch axis broadcast across the other operand's
    batch gets its gradients summed back by `unbroadcast`.
    """
    a, b = x.data, y.data
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    full = (*batch, a2.shape[-2], b2.shape[-1])  # the product before 1-D axes are dropped

    def d_left(g: np.ndarray) -> np.ndarray:
        grad = g.reshape(full) @ np.swapaxes(b2, -1, -2)
        return unbroadcast(grad, a2.shape).reshape(a.shape)

    def d_right(g: np.ndarray) -> np.ndarray:
        grad = np.swapaxes(a2, -1, -2) @ g.reshape(full)
        return unbroadcast(grad, b2.shape).reshape(b.shape)

    return _result(data, "@", (x, d_left), (y, d_right))


def _pick(
    a: Tensor, b: Tensor, choose: np.ufunc, beats: np.ufunc, op: str
) -> Tensor:
    """`maximum` or `minimum`: the gradient goes to the winner, half each on a tie."""
    data = _broadcasting(choose, a, b, op)
    x, y = a.data, b.data
    with_a = np.where(beats(x, y), 1.0, np.where(x == y, 0.5, 0.0))
    return _result(data, op, (a, lambda g: g * with_a), (b, lambda g: g * (1.0 - with_a)))


def _check_limit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Number):
        raise TypeError(f"clamp: {name} must be a number or None, got {value!r}")
    if value != value:  # nan
        raise ValueError(f"clamp: {name} must not be nan")
    return float(value)  # type: ignore[arg-type]


def _integers(args: tuple[Any, ...], op: str, what: str) -> tuple[int, ...]:
    """``(2, 3)`` or ``((2, 3),)`` as a tuple of ints; numpy integers are welcome."""
    if len(args) == 1 and not _is_integer(args[0]):
        try:
            args = tuple(args[0])
        except TypeError:
            raise TypeError(f"{op}: {what} must be integers, got {args[0]!r}") from None
    for n in args:
        if not _is_integer(n):
            raise TypeError(f"{op}: {what} must be integers, got {n!r} in {args!r}")
    return tuple(operator.index(n) for n in args)


def _is_integer(n: Any) -> bool:
    return hasattr(n, "__index__") and not isinstance(n, (bool, np.bool_, Tensor, np.ndarray))


def _axis(axis: Any, ndim: int, op: str, name: str = "axis") -> int:
    """`axis` (negative counts from the end) as an index in 0..ndim-1."""
    if not _is_integer(axis):
        raise TypeError(f"{op}: {name} must be an integer, got {axis!r}")
    index = operator.index(axis)
    if not -ndim <= index < ndim:
        raise ValueError(f"{op}: {name} {index} is out of range for {ndim} axes")
    return index % ndim


def _reduce_args(
    op: str, x: Tensor, axis: Any, keepdims: Any, dim: Any, keepdim: Any
) -> tuple[Dims, bool]:
    """The axes and keepdims of a reduction, from numpy's names (`axis`,
    `keepdims`) or PyTorch's (`dim`, `keepdim`), checked: both spellings at
    once is an error, and so is an axis that is not an integer in range."""
    if dim is not None:
        if axis is not None:
            raise TypeError(
                f"{op}: got both axis={axis!r} and dim={dim!r}; they are one argument "
                "(numpy's name and PyTorch's): pass one of them"
            )
        axis = dim
    if keepdim is not None:
        if keepdims is not None:
            raise TypeError(
                f"{op}: got both keepdims={keepdims!r} and keepdim={keepdim!r}; they are one "
                "argument (numpy's name and PyTorch's): pass one of them"
            )
        keepdims = keepdim
    if keepdims is None:
        keepdims = False
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdim must be True or False, got {keepdims!r}")
    return _reduction_axes(axis, x.data.ndim, op), bool(keepdims)


def _reduction_axes(axis: Any, ndim: int, op: str) -> Dims:
    """None, or the axes as non-negative ints: one int, or a tuple without repeats."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(_axis(a, ndim, op, "dim") for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: dim {tuple(axis)!r} names an axis twice")
        return axes
    if not _is_integer(axis):
        raise TypeError(
            f"{op}: dim (axis) must be an integer, a tuple of integers or None, "
            f"got {axis!r} ({type(axis).__name__})"
        )
    return _axis(axis, ndim, op, "dim")


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
    """An index numpy can use: Tensors become their arrays; a float array of
    whole numbers becomes integers; anything fractional is a TypeError."""
    if isinstance(index, tuple):  # one part per axis; a tuple inside is a list of positions
        return tuple(_plain_index(list(part) if isinstance(part, tuple) else part)
                     for part in index)
    if isinstance(index, (float, np.floating)):
        raise TypeError(f"index {index!r} is a float ({type(index).__name__}); use an int")
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, list):
        index = np.asarray(index)
    if not isinstance(index, np.ndarray):
        return index
    kind = index.dtype.kind
    if kind in "biu":  # a mask or integer positions
        return index
    if kind == "f" and np.all(np.isfinite(index)) and np.all(index == np.round(index)):
        return index.astype(np.intp)  # a Tensor of indices, stored as floats
    if kind == "f":
        bad = index[~(np.isfinite(index) & (index == np.round(index)))].flat[0]
        raise TypeError(
            f"an index array of dtype {index.dtype} must hold whole numbers "
            f"(or be a boolean mask), got {bad!r}"
        )
    raise TypeError(f"an index array must be integers or booleans, got dtype {index.dtype}")


def _has_integer_array(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)) and np.asarray(part).dtype.kind in "iu":
            return True
    return False


# ------------------------------------------------------------------- functions of several tensors
def where(condition: Any, x: Any, y: Any) -> Tensor:
    """`x` where `condition` is True, `y` elsewhere (all three broadcast).

    `condition` is a boolean mask: a comparison such as ``x > 0``, or a
    boolean Tensor or array. Each branch gets the upstream gradient where it
    was chosen and 0 elsewhere; the condition itself has no gradient.
    """
    mask = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if mask.dtype.kind != "b":
        raise TypeError(
            f"where: condition must be a boolean mask (e.g. x > 0), got dtype {mask.dtype}"
        )
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else Tensor(0.0)
    x, y = _lift(x, like), _lift(y, like)
    try:
        data = np.where(mask, x.data, y.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {mask.shape} (condition), {x.shape} and {y.shape} "
            "do not broadcast together"
        ) from None
    return _result(data, "where", (x, lambda g: g * mask), (y, lambda g: g * ~mask))


def cat(
    tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None
) -> Tensor:
    """Join tensors end to end along an existing `axis` (`dim`, PyTorch's name;
    0 by default); each gets its slice of the gradient back."""
    parts = _tensor_list(tensors, "cat")
    axis = _join_axis(axis, dim, parts[0].ndim, "cat")
    try:
        data = np.concatenate([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError):
        raise ValueError(
            f"cat: cannot join shapes {[t.shape for t in parts]} along axis {axis}"
        ) from None
    ends = np.cumsum([t.shape[axis] for t in parts])
    edges = []
    for i, t in enumerate(parts):
        positions = np.arange(ends[i - 1] if i else 0, ends[i])  # where t's part lies
        edges.append((t, lambda g, positions=positions: np.take(g, positions, axis=axis)))
    return _result(data, "cat", *edges)


def stack(
    tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None
) -> Tensor:
    """Stack same-shaped tensors along a new `axis` (or `dim`); each gets its slice back."""
    parts = _tensor_list(tensors, "stack")
    axis = _join_axis(axis, dim, parts[0].ndim + 1, "stack")
    try:
        data = np.stack([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError):
        raise ValueError(
            f"stack: cannot stack shapes {[t.shape for t in parts]} along axis {axis}"
        ) from None
    edges = [(t, lambda g, i=i: np.take(g, i, axis)) for i, t in enumerate(parts)]
    return _result(data, "stack", *edges)


def _join_axis(axis: Any, dim: Any, ndim: int, op: str) -> int:
    """The axis of `cat` or `stack`, from `axis` or `dim` (not both), checked."""
    if axis is not None and dim is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one of them")
    axis = 0 if axis is None and dim is None else dim if axis is None else axis
    if not _is_integer(axis):
        raise TypeError(
            f"{op}: dim (axis) must be an integer, got {axis!r} ({type(axis).__name__})"
        )
    if not -max(ndim, 1) <= operator.index(axis) < max(ndim, 1):
        raise ValueError(f"{op}: dim {axis} is out of range for tensors with {ndim} axes")
    return operator.index(axis) % max(ndim, 1)


def _one_dim(axis: Any, dim: Any, ndim: int, op: str) -> int:
    """The single dimension of `softmax`-like ops, from `dim` or `axis`; required."""
    if axis is not None and dim is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one of them")
    chosen = dim if axis is None else axis
    if chosen is None:
        raise TypeError(f"{op} needs dim= (the dimension to normalise over), as in PyTorch")
    if not _is_integer(chosen):
        raise TypeError(f"{op}: dim must be one integer, got {chosen!r}")
    return _axis(chosen, ndim, op, "dim")


def _arg(x: Tensor, arg: Any, op: str, *names: Any) -> Tensor:
    """`argmax` or `argmin` over one axis (or the flattened tensor) as int64."""
    axis, keepdims = _reduce_args(op, x, *names)
    if isinstance(axis, tuple):
        raise TypeError(f"{op}: dim must be one integer, got {axis!r}")
    return _constant(np.asarray(arg(x.data, axis=axis, keepdims=keepdims), dtype=np.int64))


def _logic(ufunc: np.ufunc, a: Tensor, other: Any, op: str) -> Tensor:
    """``&``, ``|`` or ``^`` of two masks (broadcasting), as a mask."""
    x, y = _mask_array(a, op), _mask_array(other, op)
    try:
        return _constant(ufunc(x, y))
    except ValueError:
        raise ValueError(f"shapes {x.shape} {op} {y.shape} do not broadcast together") from None


def _mask_array(mask: Any, op: str) -> np.ndarray:
    """A boolean mask (a boolean Tensor or array) as a numpy array."""
    array = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype.kind != "b":
        raise TypeError(f"{op}: mask must be boolean (e.g. x > 0), got dtype {array.dtype}")
    return array


def _triangle(x: Tensor, diagonal: int, keep: Any, op: str) -> Tensor:
    """`tril` or `triu`: `keep` (``np.tril`` or ``np.triu``) applied to each
    matrix, and to the gradient, which flows only through the kept entries."""
    if x.data.ndim < 2:
        raise ValueError(f"{op} needs a matrix or a batch of them, got shape {x.data.shape}")
    if not _is_integer(diagonal):
        raise TypeError(f"{op}: diagonal must be an integer, got {diagonal!r}")
    k = operator.index(diagonal)
    return _result(keep(x.data, k), op, (x, lambda g: keep(g, k)))


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of each matrix of `x` (``torch.tril``)."""
    return _tensor_list([x], "tril")[0].tril(diagonal)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of each matrix of `x` (``torch.triu``)."""
    return _tensor_list([x], "triu")[0].triu(diagonal)


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op} needs a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor, got an empty list")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


# --8<-- [start:random]
_default_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed chainrule's default random generator, as ``torch.manual_seed`` does:
    afterwards `randn`, `rand` and every draw the library makes without an
    explicit `rng` repeat exactly."""
    global _default_generator
    if not _is_integer(seed):
        raise TypeError(f"manual_seed: seed must be an integer, got {seed!r}")
    _default_generator = np.random.default_rng(operator.index(seed))
    return _default_generator


def default_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """numpy's ``default_rng(rng)``, except that None means chainrule's default
    generator (the one `manual_seed` seeds), not fresh entropy."""
    return _default_generator if rng is None else np.random.default_rng(rng)
# --8<-- [end:random]


def randn(
    *shape: int, rng: np.random.Generator | int | None = None, requires_grad: bool = False,
    dtype: Any = np.float64,
) -> Tensor:
    """Draws from the standard normal N(0, 1) in the given shape.

    `rng` is a ``numpy.random.Generator`` or a seed: the same seed gives the
    same numbers. Without it the draw comes from the default generator, which
    `manual_seed` seeds (as ``torch.manual_seed`` does in PyTorch).
    """
    shape = _integers(shape, "randn", "shape")
    data = default_rng(rng).standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *shape: int, rng: np.random.Generator | int | None = None, requires_grad: bool = False,
    dtype: Any = np.float64,
) -> Tensor:
    """Draws from the uniform distribution on [0, 1), seeded like `randn`."""
    shape = _integers(shape, "rand", "shape")
    data = default_rng(rng).random(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def zeros(*shape: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of 0s (float64 by default: chainrule's default dtype, not PyTorch's float32)."""
    return _filled(0.0, _integers(shape, "zeros", "shape"), dtype, requires_grad, "zeros")


def ones(*shape: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of 1s."""
    return _filled(1.0, _integers(shape, "ones", "shape"), dtype, requires_grad, "ones")


def zeros_like(x: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """0s in the shape (and, by default, the dtype) of `x`."""
    x = _tensor_list([x], "zeros_like")[0]
    return _filled(0.0, x.shape, dtype or x.dtype, requires_grad, "zeros_like")


def ones_like(x: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """1s in the shape (and, by default, the dtype) of `x`."""
    x = _tensor_list([x], "ones_like")[0]
    return _filled(1.0, x.shape, dtype or x.dtype, requires_grad, "ones_like")


def _filled(
    value: float, shape: tuple[int, ...], dtype: Any, requires_grad: bool, op: str
) -> Tensor:
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: a shape cannot have negative lengths, got {shape}")
    data = np.full(shape, value, dtype=np.dtype(dtype))
    if data.dtype.kind != "f":
        if requires_grad:
            raise TypeError(f"{op}: only floating-point tensors can require grad")
        return _constant(data)
    return Tensor(data, requires_grad=requires_grad)


def arange(
    start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to `end` (excluded), or ``0 .. start - 1``.

    As in PyTorch, whole-number arguments give an int64 tensor (indices);
    any float gives float64 (PyTorch's float32 is its default dtype, float64
    is ours).
    """
    for name, value in (("start", start), ("end", end), ("step", step)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, Number)):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    start, end = (0, start) if end is None else (start, end)
    whole = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    data = np.arange(start, end, step, dtype=dtype or (np.int64 if whole else np.float64))
    if data.dtype.kind != "f":
        if requires_grad:
            raise TypeError("arange: only floating-point tensors can require grad")
        return _constant(data)
    return Tensor(data, requires_grad=requires_grad)


# ------------------------------------------------------------------- user-defined operations
def _function_node(function: Any, inputs: tuple[Any, ...], context_type: type) -> Tensor:
    """The node of a `chainrule.function.Function` applied to tensors.

    Each tensor input gets a rule; the rules share one call of the user's
    ``backward`` per upstream gradient, and each checks the shape it gets.
    """
    from chainrule.function import gradients_per_input

    name = function.__name__
    ctx = context_type(tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs))
    plain = [x.data if isinstance(x, Tensor) else x for x in inputs]
    data = _as_array(function.forward(ctx, *plain))
    answer: dict[str, Any] = {}

    def gradients(g: np.ndarray) -> tuple[Any, ...]:
        if answer.get("upstream") is not g:  # the first rule of this pass calls backward
            answer["upstream"] = g
            answer["grads"] = gradients_per_input(name, function.backward(ctx, g), len(inputs))
        return answer["grads"]

    def rule_for(i: int, x: Tensor) -> Rule:
        def rule(g: np.ndarray) -> np.ndarray:
            grad = gradients(g)[i]
            if grad is None:
                return np.zeros_like(x.data)
            grad = np.asarray(grad, dtype=x.data.dtype)
            if grad.shape != x.data.shape and not _reducible(grad.shape, x.data.shape):
                raise ValueError(
                    f"{name}.backward returned a gradient of shape {grad.shape} "
                    f"for input {i} of shape {x.data.shape}"
                )
            return grad

        return rule

    edges = [(x, rule_for(i, x)) for i, x in enumerate(inputs) if isinstance(x, Tensor)]
    return _result(data, name, *edges)


def _reducible(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether `unbroadcast` can sum a gradient of `grad_shape` down to `shape`."""
    try:
        return np.broadcast_shapes(grad_shape, shape) == grad_shape
    except ValueError:
        return False

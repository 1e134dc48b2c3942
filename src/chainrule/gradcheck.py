"""Numerical derivatives and gradient checking, for both engines.

A derivative is a limit; a computer can only take a small step `h`. The
*forward* difference (f(x + h) - f(x)) / h has an error proportional to h; the
*central* difference (f(x + h) - f(x - h)) / 2h has an error proportional to
h**2, for the price of one more evaluation. `gradcheck` compares the gradients
that backpropagation computes with central differences: if they disagree, a
derivative rule is wrong (or the function has a kink, like ReLU at 0).

The scalar functions use only the standard library. The array functions
(`numerical_gradient_array`, `compare_array_gradients`) import numpy inside
themselves, so importing this module never imports numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GradcheckError",
    "GradcheckResult",
    "compare_array_gradients",
    "compare_gradients",
    "gradcheck",
    "numerical_derivative",
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
]

Number = int | float
METHODS = ("central", "forward")


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message lists every input."""


# --8<-- [start:numerical_derivative]
def numerical_derivative(
    f: Callable[[float], float], x: Number, h: float = 1e-6, method: str = "central"
) -> float:
    """The slope of `f` at `x`, from a small step `h` either side (or forward only).

    ``method="central"``: (f(x + h) - f(x - h)) / 2h, error about h**2.
    ``method="forward"``: (f(x + h) - f(x)) / h, error about h.
    """
    _check_step(h, method)
    x = float(x)
    if method == "central":
        return (_scalar(f(x + h)) - _scalar(f(x - h))) / (2.0 * h)
    return (_scalar(f(x + h)) - _scalar(f(x))) / h
# --8<-- [end:numerical_derivative]


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    f: Callable[..., float], xs: Sequence[Number], h: float = 1e-6, method: str = "central"
) -> list[float]:
    """The partial derivatives of ``f(*xs)``: nudge one input at a time, hold the rest."""
    _check_step(h, method)
    point = [float(x) for x in xs]
    gradient = []
    for i in range(len(point)):

        def along_i(t: float, i: int = i) -> float:
            return f(*point[:i], t, *point[i + 1 :])

        gradient.append(numerical_derivative(along_i, point[i], h, method))
    return gradient
# --8<-- [end:numerical_gradient]


# --8<-- [start:relative_error]
def relative_error(analytic: float, numeric: float) -> float:
    """|g_an - g_num| / max(|g_an|, |g_num|), for the analytic gradient g_an and the
    numerical one g_num: scale-free, so 1e-7 means the same for big and small
    gradients. 0.0 when both are 0."""
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0.0 else abs(analytic - numeric) / scale
# --8<-- [end:relative_error]


@dataclass
class GradcheckResult:
    """One row per input: its value, the analytic and numeric gradients, the error.

    ``ok`` is true when every row agrees within ``rtol`` (relative) or ``atol``
    (absolute, for gradients near zero). ``str(result)`` is a readable table.
    """

    inputs: list[float]
    analytic: list[float]
    numeric: list[float]
    rtol: float
    atol: float
    names: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[float]:
        return [relative_error(a, n) for a, n in zip(self.analytic, self.numeric, strict=True)]

    @property
    def agrees(self) -> list[bool]:
        return [
            _close(a, n, self.rtol, self.atol)
            for a, n in zip(self.analytic, self.numeric, strict=True)
        ]

    @property
    def ok(self) -> bool:
        return all(self.agrees)

    def __str__(self) -> str:
        names = self.names or [f"x{i}" for i in range(len(self.inputs))]
        width = max([5, *map(len, names)])
        lines = [
            f"{'input':<{width}} {'value':>12} {'analytic':>14} {'numeric':>14}"
            f" {'rel error':>10}  ok"
        ]
        for name, x, a, n, e, good in zip(
            names, self.inputs, self.analytic, self.numeric, self.errors, self.agrees, strict=True
        ):
            lines.append(
                f"{name:<{width}} {x:>12.6g} {a:>14.8g} {n:>14.8g} {e:>10.2e}"
                f"  {'yes' if good else 'NO'}"
            )
        return "\n".join(lines)


# --8<-- [start:gradcheck]
def compare_gradients(
    f: Callable[..., Any],
    inputs: Sequence[Number],
    h: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    names: Sequence[str] | None = None,
) -> GradcheckResult:
    """Backpropagate through ``f(*values)`` and compare with central differences.

    `f` takes one `Value` per input and returns a `Value`; the numeric side
    calls the same `f` on fresh leaves and reads only ``.data``. `names`
    label the inputs in the report (default ``x0``, ``x1``, ...).
    """
    from chainrule.scalar import Value  # the scalar engine; no numpy

    names = list(names) if names is not None else [f"x{i}" for i in range(len(inputs))]
    if len(names) != len(inputs):
        raise ValueError(f"{len(names)} names for {len(inputs)} inputs")
    leaves = [Value(x, name) for x, name in zip(inputs, names, strict=True)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck needs f to return a Value, got {type(out).__name__}")
    out.backward()
    numeric = numerical_gradient(lambda *xs: f(*map(Value, xs)).data, inputs, h)
    return GradcheckResult(
        [leaf.data for leaf in leaves], [leaf.grad for leaf in leaves], numeric, rtol, atol, names
    )


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Number],
    h: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    names: Sequence[str] | None = None,
) -> bool:
    """True if the analytic gradients of `f` at `inputs` match central differences.

    An analytic gradient g_an matches its numerical estimate g_num when
    ``|g_an - g_num| <= atol + rtol * max(|g_an|, |g_num|)``: relative for gradients of
    ordinary size, absolute (`atol`) for gradients that are essentially zero.
    Raises `GradcheckError` (an AssertionError) otherwise, with a table of each
    input, its analytic and numeric gradient and their relative error.
    """
    result = compare_gradients(f, inputs, h, rtol, atol, names)
    if not result.ok:
        raise GradcheckError("gradients disagree:\n" + str(result))
    return True
# --8<-- [end:gradcheck]


# --------------------------------------------------------------------------- arrays


def numerical_gradient_array(
    f: Callable[..., Any],
    arrays: Sequence[Any],
    h: float = 1e-6,
    method: str = "central",
    upstream: Any = None,
) -> list[Any]:
    """Central (or forward) differences of ``f(*arrays)`` for every element of every array.

    The arrays are copied to float64 once; each element is nudged in place and
    restored, so `f` must not keep or modify its arguments. `f` returns a
    scalar; if it returns an array, pass `upstream` (same shape) and the
    gradient of ``sum(f(*arrays) * upstream)`` is taken (a vector-Jacobian
    product). Returns one float64 array per input, shaped like it.
    """
    import numpy as np

    _check_step(h, method)
    work = [np.array(a, dtype=np.float64) for a in arrays]

    def value() -> float:
        out = np.asarray(_unwrap(f(*work)), dtype=np.float64)
        if upstream is not None:
            return float(np.sum(out * np.asarray(upstream, dtype=np.float64)))
        if out.size != 1:
            raise ValueError(
                f"numerical_gradient_array needs f to return a scalar, got shape {out.shape}; "
                "pass upstream= for an array output"
            )
        return float(out.reshape(()))

    base = value() if method == "forward" else 0.0
    grads = []
    for x in work:
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            saved = x[index]
            x[index] = saved + h
            plus = value()
            if method == "central":
                x[index] = saved - h
                grad[index] = (plus - value()) / (2.0 * h)
            else:
                grad[index] = (plus - base) / h
            x[index] = saved
        grads.append(grad)
    return grads


def compare_array_gradients(
    analytic: Sequence[Any],
    numeric: Sequence[Any],
    rtol: float = 1e-5,
    atol: float = 1e-7,
    names: Sequence[str] | None = None,
) -> None:
    """Raise `GradcheckError` unless each analytic array matches its numeric one.

    Checks shapes first (naming both), then values: an element passes when
    ``|a - n| <= atol + rtol * max(|a|, |n|)``; the message names the input,
    the worst element's index, both values and the relative error.
    """
    import numpy as np

    names = list(names) if names is not None else [f"x{i}" for i in range(len(analytic))]
    if len(analytic) != len(numeric):
        raise GradcheckError(f"{len(analytic)} analytic gradients but {len(numeric)} numeric")
    problems = []
    for name, a, n in zip(names, analytic, numeric, strict=True):
        a = np.asarray(_unwrap(a), dtype=np.float64)
        n = np.asarray(n, dtype=np.float64)
        if a.shape != n.shape:
            problems.append(f"{name}: analytic shape {a.shape} != numeric shape {n.shape}")
            continue
        scale = np.maximum(np.abs(a), np.abs(n))
        bad = ~(np.abs(a - n) <= atol + rtol * scale)
        if bad.any():
            rel = np.where(scale > 0, np.abs(a - n) / np.where(scale > 0, scale, 1.0), 0.0)
            rel = np.where(np.isnan(rel), np.inf, rel)
            worst = np.unravel_index(int(np.argmax(np.where(bad, rel, -1.0))), a.shape)
            problems.append(
                f"{name}: {int(bad.sum())} of {a.size} elements disagree; worst at index "
                f"{tuple(int(i) for i in worst)}: analytic {a[worst]:.8g}, numeric "
                f"{n[worst]:.8g}, rel error {rel[worst]:.2e}"
            )
    if problems:
        raise GradcheckError("gradients disagree:\n" + "\n".join(problems))


# --------------------------------------------------------------------------- helpers


def _check_step(h: float, method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be 'central' or 'forward', got {method!r}")
    if not h > 0.0:
        raise ValueError(f"step h must be positive, got {h!r}")


def _scalar(y: Any) -> float:
    """A function's output as a float: a number, or the data of a Value or Dual."""
    for attribute in ("data", "value"):
        inner = getattr(y, attribute, None)
        if isinstance(inner, int | float):
            return float(inner)
    return float(y)


def _unwrap(y: Any) -> Any:
    """The array inside an engine's object (its ``.data``), or `y` itself.

    Only called by the array functions, which have imported numpy already.
    """
    import numpy as np

    if isinstance(y, np.ndarray | np.generic | int | float):
        return y
    return getattr(y, "data", y)


def _close(a: float, n: float, rtol: float, atol: float) -> bool:
    if math.isnan(a) or math.isnan(n):
        return False
    return abs(a - n) <= atol + rtol * max(abs(a), abs(n))

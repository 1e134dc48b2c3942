"""Functions of tensors with a backward rule of their own: softmax, the losses,
and the affine layer.

Each could be written from `Tensor` operations (``exp``, ``sum``, ``/``,
``log``, indexing), and the tests check they agree. Written as one operation
each, they are numerically stable (the largest logit is subtracted before
``exp``), make one graph node instead of several (cross-entropy built from
``exp``, ``sum``, ``/``, ``log``, indexing, ``mean`` and negation makes
seven), and their gradients are the
short formulas of Part III: ``softmax * (g - sum(g * softmax))``,
``p - y`` for cross-entropy, ``g.T @ x`` for a weight.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule._checks import flag, real
from chainrule.tensor import Tensor, _as_tensor, _lift, _result, default_rng

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def _tensor(x: Any, name: str) -> Tensor:
    return _as_tensor(x, name)


def _one_axis(axis: Any, dim: Any, x: Tensor, op: str) -> int:
    """The axis from numpy's name or PyTorch's (`dim`); the last one if neither.

    Without either, PyTorch picks the last axis of a vector or a matrix, but
    axis 0 of a 3-D tensor and axis 1 of a 4-D one (a deprecated guess), so
    there we ask for the axis rather than silently differ.
    """
    if axis is not None and dim is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one of them")
    if axis is None and dim is None and x.ndim > 2:
        raise TypeError(
            f"{op} of a tensor of shape {x.shape} needs dim= (or axis=): without it "
            "PyTorch would take axis 0 or 1, not the last; e.g. dim=-1"
        )
    chosen = dim if dim is not None else axis if axis is not None else -1
    if isinstance(chosen, bool) or not isinstance(chosen, (int, np.integer)):
        raise TypeError(f"{op}: dim (axis) must be an integer, got {chosen!r:.40}")
    return int(chosen)


# --8<-- [start:softmax]
def softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (the last by default; PyTorch calls it
    `dim`), each row a probability distribution.

    The row maximum is subtracted first: softmax does not change (the factor
    e^-max cancels) and exp no longer overflows for logits like 1e4.
    """
    x = _tensor(x, "softmax")
    axis = _one_axis(axis, dim, x, "softmax")
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    s = e / e.sum(axis=axis, keepdims=True)
    return _result(s, "softmax", (x, lambda g: s * (g - (g * s).sum(axis=axis, keepdims=True))))
# --8<-- [end:softmax]


# --8<-- [start:log_softmax]
def log_softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """log(softmax(x)) computed as (x - max) - log(sum(exp(x - max))).

    Never takes the log of an underflowed 0, so it stays finite where
    ``softmax(x).log()`` gives -inf. Gradient: g - softmax * sum(g).
    """
    x = _tensor(x, "log_softmax")
    axis = _one_axis(axis, dim, x, "log_softmax")
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return _result(
        out, "log_softmax", (x, lambda g: g - np.exp(out) * g.sum(axis=axis, keepdims=True))
    )
# --8<-- [end:log_softmax]


def _class_indices(targets: Any, op: str, what: str = "class indices as targets") -> np.ndarray:
    """`targets` as an integer array (class indices, or rows to look up).

    Integers in any form are welcome: a list, an integer array, or a Tensor,
    which always stores floats (so Tensor([2, 0]) holds 2.0 and 0.0). A
    value that is not a whole number, such as 2.5, is refused.
    """
    t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t)):
        t = t.astype(np.intp)  # whole numbers stored as floats
    if t.dtype.kind not in "iu":
        kind = "whole numbers" if t.dtype.kind == "f" else "numbers"
        raise TypeError(
            f"{op} needs integer {what}, got dtype {t.dtype} "
            f"(not all {kind}): {np.ravel(t)[:5]!r}"
        )
    return t


def _class_rows(
    logits: np.ndarray, targets: Any, op: str, ignore_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """Logits and targets in PyTorch's layouts, as rows: (z, t, keep, back).

    PyTorch takes logits (n, C) with targets (n,), one unbatched row (C,)
    with a single target, or (n, C, d1, ...) with targets (n, d1, ...): the
    classes are always axis 1. We move them last and flatten, so every loss
    sees z (rows, C) and t (rows,); `keep` marks the rows whose target is
    not `ignore_index`, and `back` turns a (rows, C) gradient into the
    logits' shape.
    """
    t = _class_indices(targets, op)
    expected = _targets_shape(logits.shape)
    if logits.ndim == 0 or t.shape != expected:
        hint = ""
        if logits.ndim >= 3 and t.shape == logits.shape[:-1]:
            hint = (
                "; PyTorch reads axis 1 as the classes, so for logits (B, T, classes) "
                "reshape to (B*T, classes) and the targets to (B*T,)"
            )
        raise ValueError(
            f"{op} needs logits (n, classes) with targets (n,), or (n, classes, d1, ...) "
            f"with targets (n, d1, ...), got logits {logits.shape} and targets {t.shape}{hint}"
        )
    classes = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    moved = np.moveaxis(logits, 1, -1) if logits.ndim >= 2 else logits
    z, t = moved.reshape(-1, classes), t.reshape(-1)
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= classes))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{op}: target {int(t[i])} (at index {i}) is out of range "
            f"for {classes} classes (0 to {classes - 1})"
        )

    def back(grad: np.ndarray) -> np.ndarray:
        grad = grad.reshape(moved.shape)
        return np.moveaxis(grad, -1, 1) if logits.ndim >= 2 else grad

    return z, np.where(keep, t, 0), keep, back


def _targets_shape(logits: tuple[int, ...]) -> tuple[int, ...]:
    """The targets' shape for logits of shape `logits`: without the classes, axis 1."""
    return logits[:1] + logits[2:] if len(logits) >= 2 else ()


def _reduce(
    losses: np.ndarray, keep: np.ndarray, reduction: str, shape: tuple[int, ...], op: str
) -> tuple[np.ndarray, Any]:
    """Reduce the per-row losses as PyTorch's `reduction` says: (loss, weigh).

    ``"mean"`` averages over the rows whose target is not ignored, ``"sum"``
    adds them, ``"none"`` returns one loss per target (0 where ignored), in
    the targets' `shape`. ``weigh(g)`` gives, for an upstream gradient g,
    the factor each row's gradient is multiplied by.
    """
    losses = np.where(keep, losses, 0.0)
    if reduction == "mean":
        count = int(keep.sum())
        if count == 0:
            raise ValueError(
                f"{op}: the batch is empty, or every target is ignore_index: a mean over "
                "no targets is undefined (PyTorch returns nan)"
            )
        return losses.sum() / count, lambda g: keep * (float(g) / count)
    if reduction == "sum":
        return losses.sum(), lambda g: keep * float(g)
    if reduction == "none":
        return losses.reshape(shape), lambda g: keep * g.reshape(-1)
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r:.40}")


# --8<-- [start:cross_entropy]
def cross_entropy(
    logits: Tensor, targets: Any, *, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, targets[i]].

    `logits` has shape (n, classes), `targets` holds n integer classes (or,
    as in PyTorch, (n, classes, d1, ...) with targets (n, d1, ...)). One
    fused operation: its gradient is (softmax(logits) - onehot(targets)) / n,
    the famous ``p - y``, without building the softmax graph. Targets equal
    to `ignore_index` count for nothing; `reduction` is "mean", "sum" or "none".
    Both are keywords only: PyTorch's third argument is a class weight, which
    chainrule does not take.
    """
    logits = _tensor(logits, "cross_entropy")
    z, t, keep, back = _class_rows(logits.data, targets, "cross_entropy", ignore_index)
    rows = np.arange(len(t))
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    losses = np.log(total[:, 0]) - shifted[rows, t]  # -log softmax(z)[t], row by row
    loss, weigh = _reduce(losses, keep, reduction, _targets_shape(logits.shape), "cross_entropy")

    def rule(g: np.ndarray) -> np.ndarray:
        p = e / total  # softmax
        p[rows, t] -= 1  # p - y
        p *= weigh(g)[:, None]  # the mean's 1/n (0 for an ignored row)
        return back(p)

    return _result(loss, "cross_entropy", (logits, rule))
# --8<-- [end:cross_entropy]


def mse_loss(prediction: Tensor, target: Any) -> Tensor:
    """Mean of the squared differences. The shapes must be equal: a (n, 1)
    prediction against a (n,) target would broadcast silently to (n, n)."""
    prediction = _tensor(prediction, "mse_loss")
    target = _lift(target, prediction)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss needs equal shapes, got prediction {prediction.shape} "
            f"and target {target.shape}"
        )
    diff = prediction - target
    return (diff * diff).mean()


# --8<-- [start:linear]
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine layer x @ weight.T + bias as one operation, for x of shape (..., in).

    The weight is laid out as in PyTorch, (out, in): row j holds the weights
    of output unit j, one per input feature, so ``y[..., j]`` is row j dotted
    with x. With g the gradient of the output (n, out), the three rules are
    the matrix form of backpropagation: dx = g @ W, dW = g.T @ x (one row
    per output unit, like W), db = sum of g over the batch (the bias was
    broadcast over it). Extra leading axes, as in a batch of sequences
    (B, T, in), are rows of the batch too: the weight's rules see x and g
    flattened to (B*T, in) and (B*T, out).
    """
    x, weight = _tensor(x, "linear: x"), _tensor(weight, "linear: weight")
    bias = None if bias is None else _tensor(bias, "linear: bias")
    a, w = x.data, weight.data
    _check_linear_shapes(a.shape, w.shape, None if bias is None else bias.data.shape)
    # products of 2-D matrices: numpy multiplies a stack by a transposed matrix slowly
    rows, outs = a.reshape(-1, w.shape[1]), (-1, w.shape[0])  # (n, in) and (n, out)
    out = (rows @ w.T).reshape(*a.shape[:-1], w.shape[0])
    edges = [(x, lambda g: (g.reshape(outs) @ w).reshape(a.shape)),
             (weight, lambda g: g.reshape(outs).T @ rows)]
    if bias is not None:
        out += bias.data
        edges.append((bias, lambda g: g.reshape(outs).sum(axis=0)))
    return _result(out, "linear", *edges)
# --8<-- [end:linear]


def _check_linear_shapes(
    x: tuple[int, ...], weight: tuple[int, ...], bias: tuple[int, ...] | None
) -> None:
    """x (..., in), weight (out, in) as PyTorch's, bias (out,): anything else
    is refused by name."""
    if len(weight) != 2:
        raise ValueError(f"linear: weight must be a matrix (out, in), got shape {weight}")
    if len(x) == 0 or x[-1] != weight[1]:
        raise ValueError(
            f"linear: x of shape {x} does not fit weight {weight}: the weight is "
            f"(out, in) as in PyTorch, so x's last axis must hold its {weight[1]} "
            f"input features, as in (..., {weight[1]})"
        )
    if bias is not None and bias != weight[:1]:
        raise ValueError(f"linear: bias of shape {bias} for {weight[0]} outputs")


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise (the same as ``x.relu()``)."""
    return _tensor(x, "relu").relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), elementwise and stable (the same as ``x.sigmoid()``)."""
    return _tensor(x, "sigmoid").sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise (the same as ``x.tanh()``)."""
    return _tensor(x, "tanh").tanh()


def nll_loss(
    log_probs: Tensor, targets: Any, *, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Mean over the batch of -log_probs[i, targets[i]] (negative log-likelihood).

    `log_probs` (n, classes) are log-probabilities, such as `log_softmax`
    gives: ``cross_entropy(z, t)`` equals ``nll_loss(log_softmax(z), t)``.
    Only the picked entries have a gradient: -1/n each. Shapes,
    `ignore_index` and `reduction` as in `cross_entropy`.
    """
    x = _tensor(log_probs, "nll_loss")
    z, t, keep, back = _class_rows(x.data, targets, "nll_loss", ignore_index)
    rows = np.arange(len(t))
    loss, weigh = _reduce(-z[rows, t], keep, reduction, _targets_shape(x.shape), "nll_loss")

    def rule(g: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(z)
        grad[rows, t] = -weigh(g)
        return back(grad)

    return _result(loss, "nll_loss", (x, rule))


def binary_cross_entropy_with_logits(logits: Tensor, targets: Any) -> Tensor:
    """Mean of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], from logits z.

    Written as max(z, 0) - z y + log(1 + e^-|z|), which equals it and never
    takes exp of a positive number or log of 0: a logit of ±1000 gives a
    finite loss (1000 for a confident wrong answer). The gradient with
    respect to z is (sigmoid(z) - y) / count, the binary ``p - y``; with
    respect to the targets it is -z / count.
    """
    z_tensor = _tensor(logits, "binary_cross_entropy_with_logits")
    y_tensor = _lift(targets, z_tensor)
    z, y = z_tensor.data, y_tensor.data
    if z.shape != y.shape:
        raise ValueError(
            "binary_cross_entropy_with_logits needs targets of the logits' shape, "
            f"got logits {z.shape} and targets {y.shape}"
        )
    if z.size == 0:
        raise ValueError("binary_cross_entropy_with_logits: empty input; its mean is undefined")
    count = z.size
    e = np.exp(-np.abs(z))
    loss = (np.maximum(z, 0) - z * y + np.log1p(e)).sum() / count
    p = np.where(z >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid(z), stable
    return _result(
        loss,
        "bce_with_logits",
        (z_tensor, lambda g: (p - y) * (float(g) / count)),
        (y_tensor, lambda g: -z * (float(g) / count)),
    )


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, *,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """Zero each element with probability `p`, scale the survivors by 1 / (1 - p).

    The scaling keeps the expected value of every element unchanged, so
    nothing needs rescaling at evaluation time, when (``training=False``) the
    input passes through untouched. The gradient flows through the
    survivors, scaled the same way. `rng` (a generator or seed) fixes the mask.
    """
    x = _tensor(x, "dropout")
    p = real(p, "p", "dropout", low=0.0, high=1.0)
    if not flag(training, "training", "dropout") or p == 0.0:
        return x
    keep = default_rng(rng).random(x.shape) >= p
    scale = (keep / (1.0 - p) if p < 1.0 else np.zeros(x.shape)).astype(x.dtype)
    return _result(x.data * scale, "dropout", (x, lambda g: g * scale))


# ----------------------------------------------------------------------------- GELU
# W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969), 631-637: three rational functions, each accurate
# to about one unit in the last place of a float64 on its interval.
_ERF_NEAR_0 = (  # erf(x) = x P(x^2) / Q(x^2) for |x| <= 0.46875
    (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
     3.77485237685302021e02, 3.20937758913846947e03),
    (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
     2.84423683343917062e03),
)
_ERFC_MIDDLE = (  # erfc(x) = exp(-x^2) P(x) / Q(x) for 0.46875 < x <= 4
    (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
     6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
     1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03),
    (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
     1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
     3.43936767414372164e03, 1.23033935480374942e03),
)
_ERFC_TAIL = (  # erfc(x) = exp(-x^2) / x (1/sqrt(pi) - z P(z) / Q(z)), z = 1/x^2, x > 4
    (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
     1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
    (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
     6.05183413124413191e-2, 2.33520497626869185e-3),
)


def _horner(coefficients: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    """The polynomial with these coefficients (highest power first) at every x."""
    y = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        y *= x
        y += c
    return y


def _rational(pair: tuple[tuple[float, ...], tuple[float, ...]], x: np.ndarray) -> np.ndarray:
    return _horner(pair[0], x) / _horner(pair[1], x)


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function of every element, within a few units in the last
    place of `math.erf` (which takes one number at a time).

    Near 0 a rational function gives erf itself. Further out erf(x) = 1 - erfc(x)
    for x > 0, with erfc(x) = exp(-x^2) times a rational function, and
    erf(-x) = -erf(x). Past |x| = 6, erfc(x) < 3e-17, so erf is +-1 to float64.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.array(np.sign(x))  # +-1 far out (and nan stays nan)
    a = np.abs(x)
    near = a <= 0.46875
    xs = x[near]
    out[near] = xs * _rational(_ERF_NEAR_0, xs * xs)
    for part, rational in ((near ^ (a <= 4), _ERFC_MIDDLE), ((a > 4) & (a < 6), _ERFC_TAIL)):
        s = a[part]
        ratio = _rational(rational, s) if rational is _ERFC_MIDDLE else (
            (1 / math.sqrt(math.pi) - _rational(rational, 1 / (s * s)) / (s * s)) / s
        )
        # exp(-s^2) as exp(-r^2) exp(-(s - r)(s + r)), r = s rounded down to 1/16:
        # s * s in float64 loses low bits that exp would magnify.
        r = np.trunc(s * 16) / 16
        erfc = np.exp(-r * r) * np.exp(-(s - r) * (s + r)) * ratio
        out[part] = np.copysign(1 - erfc, x[part])
    return out


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x times the probability that a standard normal is below x: x Phi(x).

    GELU (Hendrycks and Gimpel) weighs each input by how large it is, where
    ReLU keeps or drops it outright: smooth, and slightly negative just left
    of 0. Phi(x) = (1 + erf(x / sqrt 2)) / 2, so the derivative is
    Phi(x) + x phi(x), with phi the normal density. ``approximate="tanh"``
    replaces Phi by (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, as GPT-2
    did; both are PyTorch's ``gelu``, exact by default.
    """
    x = _tensor(x, "gelu")
    a = x.data
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
        density = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        slope = (cdf + a * density).astype(a.dtype)
        return _result((a * cdf).astype(a.dtype), "gelu", (x, lambda g: g * slope))
    if approximate == "tanh":
        out = _in_cache_sized_blocks(_tanh_gelu, a)
        return _result(out, "gelu", (x, lambda g: _in_cache_sized_blocks(_tanh_gelu_grad, a, g)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r:.40}")


def _tanh_gelu(a: np.ndarray) -> np.ndarray:
    """GPT-2's GELU: a (1 + t) / 2, t = tanh(sqrt(2/pi) (a + 0.044715 a^3))."""
    t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))  # not a**3: slow for float32
    return 0.5 * a * (1 + t)


def _tanh_gelu_grad(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g times the slope of `_tanh_gelu`, computed only when the backward pass asks:
    (1 + t) / 2 + a (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 a^2) / 2."""
    t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
    return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _SQRT_2_OVER_PI
                * (1 + 3 * 0.044715 * a * a))


def _in_cache_sized_blocks(formula: Callable[..., np.ndarray], *arrays: np.ndarray,
                           block: int = 32768) -> np.ndarray:
    """``formula(*arrays)``, applied to `block` elements at a time.

    Each numpy operation makes one pass over its arrays. A formula of ten
    operations on a large array (an MLP's (B, T, 4C) activations) makes ten
    passes through main memory; on blocks that fit the CPU's cache, only
    the first read and the last write go that far: about twice as fast.
    """
    out = np.empty(np.shape(arrays[0]), np.result_type(*arrays))
    flat_out = out.reshape(-1)
    flats = [np.ascontiguousarray(x).reshape(-1) for x in arrays]
    for start in range(0, flat_out.size, block):
        part = slice(start, start + block)
        flat_out[part] = formula(*(flat[part] for flat in flats))
    return out


# ----------------------------------------------------------------------------- embedding
# --8<-- [start:embedding]
def embedding(indices: Any, weight: Tensor) -> Tensor:
    """Row ``indices[...]`` of `weight` (num, dim): one vector per index.

    A lookup is the product of a one-hot row with the matrix, so only the
    picked rows get a gradient: the upstream gradient of each position is
    added into the row it picked, ``np.add.at`` so that a row picked twice
    (a letter that appears twice in the text) gets both contributions.
    The result has shape ``indices.shape + (dim,)``.
    """
    weight = _tensor(weight, "embedding: weight")
    table = weight.data
    if table.ndim != 2:
        raise ValueError(f"embedding: weight must be a matrix (num, dim), got shape {table.shape}")
    rows = _lookup_indices(indices, len(table))

    def rule(g: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(table)
        np.add.at(grad, rows, g)  # scatter-add: repeated rows accumulate
        return grad

    return _result(table[rows], "embedding", (weight, rule))
# --8<-- [end:embedding]


def _lookup_indices(indices: Any, num: int) -> np.ndarray:
    """`indices` as an integer array, each in 0..num-1 (PyTorch refuses negatives too)."""
    if isinstance(indices, Tensor) and indices.requires_grad:
        raise TypeError("embedding: indices have no gradient; pass them without requires_grad")
    rows = _class_indices(indices, "embedding", "indices")
    if rows.size and (rows.min() < 0 or rows.max() >= num):
        bad = rows[(rows < 0) | (rows >= num)][0]
        raise IndexError(
            f"embedding: index {int(bad)} is out of range for {num} rows (0 to {num - 1})"
        )
    return rows


# ============================================================================
# Part IV: normalisation and attention (the chapters "Normalisation and
# residuals by hand" and "Self-attention"); written in their own modules.
# ============================================================================
from chainrule.attention import scaled_dot_product_attention  # noqa: E402
from chainrule.normalization import batch_norm, layer_norm  # noqa: E402

__all__ += ["batch_norm", "layer_norm", "scaled_dot_product_attention"]


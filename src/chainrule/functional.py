"""Functions of tensors with a backward rule of their own: softmax, the losses,
and the affine layer.

Each could be written from `Tensor` operations (``exp``, ``sum``, ``/``,
``log``, indexing), and the tests check they agree. Written as one operation
each, they are numerically stable (the largest logit is subtracted before
``exp``), make one graph node instead of several (cross-entropy built from
``exp``, ``sum``, ``/``, ``log``, indexing, ``mean`` and negation makes
seven), and their gradients are the
short formulas of Part III: ``softmax * (g - sum(g * softmax))``,
``p - y`` for cross-entropy, ``x.T @ g`` for a weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._checks import flag, real
from chainrule.tensor import Tensor, _lift, _result

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
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
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except TypeError:
        raise TypeError(f"{name} needs a Tensor or an array, got {type(x).__name__}") from None


# --8<-- [start:softmax]
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, each row a probability distribution.

    The row maximum is subtracted first: softmax does not change (the factor
    e^-max cancels) and exp no longer overflows for logits like 1e4.
    """
    x = _tensor(x, "softmax")
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    s = e / e.sum(axis=axis, keepdims=True)
    return _result(s, "softmax", (x, lambda g: s * (g - (g * s).sum(axis=axis, keepdims=True))))
# --8<-- [end:softmax]


# --8<-- [start:log_softmax]
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) computed as (x - max) - log(sum(exp(x - max))).

    Never takes the log of an underflowed 0, so it stays finite where
    ``softmax(x).log()`` gives -inf. Gradient: g - softmax * sum(g).
    """
    x = _tensor(x, "log_softmax")
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return _result(
        out, "log_softmax", (x, lambda g: g - np.exp(out) * g.sum(axis=axis, keepdims=True))
    )
# --8<-- [end:log_softmax]


def _class_indices(targets: Any, logits: np.ndarray, op: str = "cross_entropy") -> np.ndarray:
    """Check `targets` against `logits` (n, C): n integers, each in 0..C-1.

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
            f"{op} needs integer class indices as targets, got dtype {t.dtype} "
            f"(not all {kind}): {np.ravel(t)[:5]!r}"
        )
    if logits.ndim != 2 or t.shape != logits.shape[:1]:
        raise ValueError(
            f"{op} needs logits (n, classes) and targets (n,), "
            f"got logits {logits.shape} and targets {t.shape}"
        )
    if logits.shape[0] == 0:
        raise ValueError(
            f"{op}: the batch is empty (logits of shape {logits.shape}); "
            "a mean over no samples is undefined"
        )
    if t.min() < 0 or t.max() >= logits.shape[1]:
        bad = int(np.flatnonzero((t < 0) | (t >= logits.shape[1]))[0])
        raise ValueError(
            f"{op}: target {int(t[bad])} (at index {bad}) is out of range "
            f"for {logits.shape[1]} classes (0 to {logits.shape[1] - 1})"
        )
    return t


# --8<-- [start:cross_entropy]
def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean over the batch of -log softmax(logits)[i, targets[i]].

    `logits` has shape (n, classes), `targets` holds n integer classes. One
    fused operation: its gradient is (softmax(logits) - onehot(targets)) / n,
    the famous ``p - y``, without building the softmax graph.
    """
    logits = _tensor(logits, "cross_entropy")
    z = logits.data
    t = _class_indices(targets, z)
    n = z.shape[0]
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - shifted[rows, t].sum()) / n  # mean of log(total) - z_t

    def rule(g: np.ndarray) -> np.ndarray:
        p = e / total  # softmax
        p[rows, t] -= 1  # p - y
        p *= float(g) / n  # g: the loss's upstream gradient, a scalar
        return p

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
    """The affine layer x @ weight + bias as one operation.

    With g the gradient of the output (n, out), the three rules are the
    matrix form of backpropagation: dx = g @ W.T, dW = x.T @ g, db = sum of g
    over the batch (the bias was broadcast over it).
    """
    x, weight = _tensor(x, "linear: x"), _tensor(weight, "linear: weight")
    bias = None if bias is None else _tensor(bias, "linear: bias")
    a, b = x.data, weight.data
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"linear: shapes {a.shape} @ {b.shape} do not fit")
    out = a @ b
    if bias is None:
        return _result(out, "linear", (x, lambda g: g @ b.T), (weight, lambda g: a.T @ g))
    if bias.data.shape != out.shape[1:]:
        raise ValueError(f"linear: bias of shape {bias.data.shape} for {b.shape[1]} outputs")
    out += bias.data
    return _result(
        out,
        "linear",
        (x, lambda g: g @ b.T),
        (weight, lambda g: a.T @ g),
        (bias, lambda g: g.sum(axis=0)),
    )
# --8<-- [end:linear]


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise (the same as ``x.relu()``)."""
    return _tensor(x, "relu").relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), elementwise and stable (the same as ``x.sigmoid()``)."""
    return _tensor(x, "sigmoid").sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise (the same as ``x.tanh()``)."""
    return _tensor(x, "tanh").tanh()


def nll_loss(log_probs: Tensor, targets: Any) -> Tensor:
    """Mean over the batch of -log_probs[i, targets[i]] (negative log-likelihood).

    `log_probs` (n, classes) are log-probabilities, such as `log_softmax`
    gives: ``cross_entropy(z, t)`` equals ``nll_loss(log_softmax(z), t)``.
    Only the picked entries have a gradient: -1/n each.
    """
    x = _tensor(log_probs, "nll_loss")
    z = x.data
    t = _class_indices(targets, z, "nll_loss")
    n = z.shape[0]
    rows = np.arange(n)
    loss = -z[rows, t].sum() / n

    def rule(g: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(z)
        grad[rows, t] = -float(g) / n
        return grad

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
    x: Tensor, p: float = 0.5, training: bool = True,
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
    keep = np.random.default_rng(rng).random(x.shape) >= p
    scale = (keep / (1.0 - p) if p < 1.0 else np.zeros(x.shape)).astype(x.dtype)
    return _result(x.data * scale, "dropout", (x, lambda g: g * scale))


# ============================================================================
# Part IV: normalisation and attention (the chapters "Normalisation and
# residuals by hand" and "Self-attention"); written in their own modules.
# ============================================================================
from chainrule.attention import scaled_dot_product_attention  # noqa: E402
from chainrule.normalization import batch_norm, layer_norm  # noqa: E402

__all__ += ["batch_norm", "layer_norm", "scaled_dot_product_attention"]

"""Layer and batch normalisation, each one fused operation with a closed-form backward.

Both compute the same thing over different axes: subtract the mean, divide
by the standard deviation (plus a small `eps`), then scale and shift by
learned ``weight`` and ``bias``. LayerNorm averages over the features of one
sample; BatchNorm over the samples of one feature.

Written from `Tensor` atoms (``mean``, ``-``, ``**``, ``sqrt``, ``/``, ``*``,
``+``) the normalisation makes about ten graph nodes and as many saved
arrays. As one `Function` it makes one node, and its backward is the
closed form derived in the chapter *Normalisation and residuals by hand*:
with x̂ the normalised input, g the upstream gradient and ĝ = g · weight,

    dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)) / std

(the three paths into x: direct, through the mean, through the variance).
`functional.layer_norm` and `functional.batch_norm` take PyTorch's arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule._checks import flag, real
from chainrule.function import Context, Function
from chainrule.tensor import Tensor, _as_tensor

__all__ = ["Normalize", "batch_norm", "layer_norm"]


# --8<-- [start:Normalize]
class Normalize(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias, the statistics over `axes`.

    `weight` and `bias` (or None) are shaped to broadcast against x. The
    variance divides by the count (the biased one), as both PyTorch layers
    do when normalising.
    """

    @staticmethod
    def forward(ctx: Context, x, weight, bias, axes: tuple[int, ...], eps: float):
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        rstd = 1.0 / np.sqrt(var + eps)  # the reciprocal of the standard deviation
        x_hat = centred
        x_hat *= rstd  # in place: one array fewer the size of x
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.axes = axes
        out = x_hat if weight is None else x_hat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx: Context, g):
        x_hat, rstd, weight = ctx.saved_tensors
        axes = ctx.axes
        g_hat = g if weight is None else g * weight  # the gradient reaching x_hat
        mean_g = g_hat.mean(axis=axes, keepdims=True)  # the path through the mean
        mean_gx = (g_hat * x_hat).mean(axis=axes, keepdims=True)  # through the variance
        dx = g_hat - mean_g
        dx -= x_hat * mean_gx
        dx *= rstd
        # weight and bias were broadcast over x: the engine sums these back to their shapes
        return dx, g * x_hat, g, None, None
# --8<-- [end:Normalize]


def _tensor(x: Any, op: str, what: str) -> Tensor:
    return _as_tensor(x, f"{op}: {what}")


def _optional(x: Any, op: str, what: str, shape: tuple[int, ...]) -> Tensor | None:
    if x is None:
        return None
    t = _tensor(x, op, what)
    if t.shape != shape:
        raise ValueError(f"{op}: {what} of shape {t.shape}, expected {shape}")
    return t


def _eps(eps: Any, op: str) -> float:
    return real(eps, "eps", op, low=0.0)


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    if isinstance(normalized_shape, Sequence) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
        for n in normalized_shape
    ) and normalized_shape:
        return tuple(int(n) for n in normalized_shape)
    raise TypeError(
        f"layer_norm: normalized_shape must be a positive int or a list of them, "
        f"got {normalized_shape!r:.40}"
    )


# --8<-- [start:layer_norm]
def layer_norm(
    input: Tensor,  # noqa: A002 (PyTorch's name)
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, as PyTorch's ``F.layer_norm``.

    Each sample (each position of a sequence) gets mean 0 and variance 1
    over its features, then ``* weight + bias`` (both of `normalized_shape`).
    """
    x = _tensor(input, "layer_norm", "input")
    shape = _shape(normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ValueError(
            f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}"
        )
    weight = _optional(weight, "layer_norm", "weight", shape)
    bias = _optional(bias, "layer_norm", "bias", shape)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return Normalize.apply(x, weight, bias, axes, _eps(eps, "layer_norm"))
# --8<-- [end:layer_norm]


def batch_norm(
    input: Tensor,  # noqa: A002 (PyTorch's name)
    running_mean: np.ndarray | Tensor | None,
    running_var: np.ndarray | Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel over the batch, as ``torch.nn.functional.batch_norm``.

    `input` is (N, C) or (N, C, L). In training the batch's own statistics
    are used and the running ones (if given) are updated in place:
    ``running = (1 - momentum) * running + momentum * batch``, with the
    *unbiased* variance of the batch (divided by count - 1), as PyTorch does.
    Out of training the running statistics normalise, and nothing is learned
    from the batch.
    """
    op = "batch_norm"
    x = _tensor(input, op, "input")
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: input must be (N, C) or (N, C, L), got shape {x.shape}")
    channels = x.shape[1]
    weight = _optional(weight, op, "weight", (channels,))
    bias = _optional(bias, op, "bias", (channels,))
    axes = (0,) if x.ndim == 2 else (0, 2)
    per_channel = (1, channels) if x.ndim == 2 else (1, channels, 1)
    w = None if weight is None else weight.reshape(per_channel)
    b = None if bias is None else bias.reshape(per_channel)
    eps = _eps(eps, op)
    momentum = real(momentum, "momentum", op, low=0.0, high=1.0)
    running = [None if r is None else (r.data if isinstance(r, Tensor) else r)
               for r in (running_mean, running_var)]
    for name, r in zip(("running_mean", "running_var"), running, strict=True):
        if r is not None and np.shape(r) != (channels,):
            raise ValueError(f"{op}: {name} of shape {np.shape(r)}, expected ({channels},)")
    if flag(training, "training", op):
        count = x.numel() // channels
        if count < 2:
            raise ValueError(
                f"{op}: training needs more than one value per channel, got input {x.shape}"
            )
        if running[0] is not None:
            running[0] *= 1.0 - momentum
            running[0] += momentum * x.data.mean(axis=axes)
        if running[1] is not None:
            running[1] *= 1.0 - momentum
            running[1] += momentum * x.data.var(axis=axes, ddof=1)
        return Normalize.apply(x, w, b, axes, eps)
    if running[0] is None or running[1] is None:
        raise ValueError(f"{op}: out of training, running_mean and running_var are needed")
    scale = (1.0 / np.sqrt(running[1] + eps)).reshape(per_channel).astype(x.dtype)
    out = (x - running[0].reshape(per_channel).astype(x.dtype)) * scale
    if w is not None:
        out = out * w
    return out if b is None else out + b

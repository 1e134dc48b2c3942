"""Scaled dot-product attention as one fused operation with a hand-derived backward.

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    scores = Q Kᵀ · scale        (..., L, S), scale = 1/sqrt(E) by default
    P      = softmax(scores)     each row sums to 1 over the S keys
    out    = P V                 (..., L, Ev)

A masked-out score is set to -inf *before* the softmax, so its weight is
exactly 0 and the remaining weights still sum to 1. The backward, derived in
the chapter *Self-attention*, is four matrix products and softmax's rule:

    dV = Pᵀ dout,  dP = dout Vᵀ,  dS = P ⊙ (dP - rowsum(dP ⊙ P)),
    dQ = dS K · scale,  dK = dSᵀ Q · scale.

The arguments and their meaning are PyTorch's
(``torch.nn.functional.scaled_dot_product_attention``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule._checks import flag, real
from chainrule.function import Context, Function
from chainrule.tensor import Tensor, _as_tensor

__all__ = ["Attention", "scaled_dot_product_attention"]


# --8<-- [start:Attention]
class Attention(Function):
    """softmax(Q Kᵀ · scale + bias) V, with `bias` 0 or -inf (a mask) or any float."""

    @staticmethod
    def forward(ctx: Context, q, k, v, bias, scale: float):
        scores = q @ np.swapaxes(k, -1, -2)
        scores *= scale  # in place: the (..., L, S) arrays are the large ones
        if bias is not None:
            scores = scores + bias  # not +=: a mask may have more leading axes
        p = _softmax_rows(scores)  # overwrites scores
        ctx.save_for_backward(q, k, v, p)
        ctx.scale = scale
        return p @ v

    @staticmethod
    def backward(ctx: Context, d_out):
        q, k, v, p = ctx.saved_tensors
        d_v = np.swapaxes(p, -1, -2) @ d_out
        d_scores = d_out @ np.swapaxes(v, -1, -2)  # dP, turned into dS in place:
        d_scores -= (d_scores * p).sum(axis=-1, keepdims=True)  # softmax's rule
        d_scores *= p
        d_q = d_scores @ k * ctx.scale
        d_k = np.swapaxes(d_scores, -1, -2) @ q * ctx.scale
        return d_q, d_k, d_v, d_scores, None
# --8<-- [end:Attention]


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed in `scores`' own memory; a row
    masked out entirely gives weights 0 (as PyTorch's attention does), not
    the 0/0 = nan of a plain softmax."""
    top = scores.max(axis=-1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    scores -= top  # in place, as the rest: `scores` becomes the weights
    e = np.exp(scores, out=scores)
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1.0
    e /= total
    return e


def _tensor(x: Any, what: str) -> Tensor:
    return _as_tensor(x, f"scaled_dot_product_attention: {what}")


def _check_shapes(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            "scaled_dot_product_attention needs query, key and value with at least 2 axes "
            f"(..., length, width), got shapes {q.shape}, {k.shape}, {v.shape}"
        )
    if not q.dtype == k.dtype == v.dtype:
        raise ValueError(
            "scaled_dot_product_attention needs query, key and value of one dtype, as "
            f"PyTorch does: got {q.dtype}, {k.dtype}, {v.dtype}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            "scaled_dot_product_attention: query (..., L, E), key (..., S, E) and value "
            f"(..., S, Ev) do not fit: got {q.shape}, {k.shape}, {v.shape}"
        )


def _mask_bias(attn_mask: Any, length: int, keys: int, dtype: np.dtype) -> Any:
    """The additive bias for `attn_mask`: a boolean mask (True = may attend)
    becomes 0 / -inf; a float mask is added as it is (and gets a gradient)."""
    if not isinstance(attn_mask, np.ndarray):
        attn_mask = _tensor(attn_mask, "attn_mask")  # a list of booleans stays boolean
    if attn_mask.dtype.kind == "b":
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask
        bias = np.where(mask, 0.0, -np.inf).astype(dtype)
    else:
        attn_mask = _tensor(attn_mask, "attn_mask")
        if attn_mask.dtype != dtype:
            raise ValueError(
                f"scaled_dot_product_attention: a float attn_mask must have the query's "
                f"dtype, as in PyTorch: got attn_mask {attn_mask.dtype} for a {dtype} query"
            )
        bias = attn_mask
    try:
        np.broadcast_shapes(np.shape(bias.data if isinstance(bias, Tensor) else bias),
                            (length, keys))
    except ValueError:
        raise ValueError(
            f"scaled_dot_product_attention: attn_mask of shape {np.shape(attn_mask)} does not "
            f"broadcast to the scores' (..., {length}, {keys})"
        ) from None
    return bias


# --8<-- [start:scaled_dot_product_attention]
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """Attention as ``torch.nn.functional.scaled_dot_product_attention`` computes it.

    `attn_mask` is boolean (True where a query may attend to a key) or a
    float bias added to the scores. ``is_causal=True`` lets query i see keys
    0..i only (the lower triangle, aligned at the top left as in PyTorch).
    `scale` defaults to 1 / sqrt(E), E the queries' width. Differences from
    PyTorch, refused rather than ignored: no dropout on the weights
    (``dropout_p`` must be 0), no `attn_mask` together with `is_causal`, and
    no grouped-query attention (``enable_gqa`` must be False).
    """
    q, k, v = _tensor(query, "query"), _tensor(key, "key"), _tensor(value, "value")
    _check_shapes(q, k, v)
    if real(dropout_p, "dropout_p", "scaled_dot_product_attention", low=0.0, high=1.0) != 0:
        raise ValueError(
            f"scaled_dot_product_attention: dropout_p={dropout_p} is not supported in "
            "chainrule (PyTorch drops attention weights at random); apply nn.Dropout "
            "to the output instead"
        )
    if flag(enable_gqa, "enable_gqa", "scaled_dot_product_attention"):
        raise ValueError(
            "scaled_dot_product_attention: enable_gqa=True (keys and values shared by "
            "groups of query heads) is not supported in chainrule; repeat the key and "
            "value heads to the query heads' number instead"
        )
    length, keys = q.shape[-2], k.shape[-2]
    if flag(is_causal, "is_causal", "scaled_dot_product_attention"):
        if attn_mask is not None:
            raise ValueError(
                "scaled_dot_product_attention: give attn_mask or is_causal=True, not both"
            )
        attn_mask = np.tril(np.ones((length, keys), dtype=bool))
    bias = None if attn_mask is None else _mask_bias(attn_mask, length, keys, q.dtype)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    scale = real(scale, "scale", "scaled_dot_product_attention")
    return Attention.apply(q, k, v, bias, scale)
# --8<-- [end:scaled_dot_product_attention]

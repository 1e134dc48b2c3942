"""Attention beyond the op registry's rows: causality, heads as a reshape, float32,
and the fused rule against the same formula written in Tensor atoms."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor, nn, where


def attention_atoms(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal attention from Tensor atoms: scores, -inf above the diagonal, softmax, P V."""
    t, width = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / width**0.5
    scores = where(np.tril(np.ones((t, t), bool)), scores, -np.inf)
    return F.softmax(scores, axis=-1) @ v


def test_fused_attention_equals_the_atoms_in_float64() -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(2, 3, 5, 4)) for _ in range(3)]
    upstream = rng.normal(size=(2, 3, 5, 4))
    results = []
    for make in (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                 attention_atoms):
        leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = make(*leaves)
        out.backward(upstream)
        results.append([out.data] + [leaf.grad for leaf in leaves])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13)


def test_causal_self_attention_never_looks_ahead() -> None:
    layer = nn.CausalSelfAttention(8, 2, rng=0)
    x = np.random.default_rng(1).normal(size=(1, 6, 8))
    changed = x.copy()
    changed[0, 4] += 10.0  # a later position
    before, after = layer(Tensor(x)).data, layer(Tensor(changed)).data
    np.testing.assert_array_equal(before[0, :4], after[0, :4])
    assert np.max(np.abs(before[0, 4:] - after[0, 4:])) > 1e-3


def test_one_head_is_attention_on_the_whole_width() -> None:
    layer = nn.CausalSelfAttention(6, 1, rng=2)
    x = Tensor(np.random.default_rng(3).normal(size=(2, 5, 6)))
    qkv = x.data @ layer.c_attn.weight.data.T + layer.c_attn.bias.data
    q, k, v = (Tensor(qkv[..., i * 6:(i + 1) * 6]) for i in range(3))
    expected = attention_atoms(q, k, v).data @ layer.c_proj.weight.data.T + layer.c_proj.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, atol=1e-12)


def test_heads_are_independent_slices_of_the_width() -> None:
    """Two heads = attention on each half of q, k, v, outputs side by side."""
    layer = nn.CausalSelfAttention(8, 2, rng=4)
    x = Tensor(np.random.default_rng(5).normal(size=(1, 5, 8)))
    qkv = x.data @ layer.c_attn.weight.data.T + layer.c_attn.bias.data
    halves = []
    for h in range(2):
        q, k, v = (Tensor(qkv[..., i * 8 + 4 * h: i * 8 + 4 * h + 4]) for i in range(3))
        halves.append(attention_atoms(q, k, v).data)
    y = np.concatenate(halves, axis=-1)
    expected = y @ layer.c_proj.weight.data.T + layer.c_proj.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, atol=1e-12)


def test_parameters_and_float32() -> None:
    layer = nn.CausalSelfAttention(8, 2, rng=0, dtype=np.float32)
    names = [name for name, _ in layer.named_parameters()]
    assert names == ["c_attn.weight", "c_attn.bias", "c_proj.weight", "c_proj.bias"]
    x = Tensor(np.ones((2, 3, 8), np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert layer.c_attn.weight.grad.shape == (24, 8)  # (out, in)


def test_fully_masked_row_gives_zeros_not_nan() -> None:
    q = Tensor(np.ones((2, 3)), requires_grad=True)
    mask = np.array([[True, False], [False, False]])  # query 1 may see no key
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    out.sum().backward()
    assert out.data[1].tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.isfinite(q.grad))


def test_pytorch_arguments_we_do_not_support_are_refused_by_name() -> None:
    q = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="enable_gqa=True"):
        F.scaled_dot_product_attention(q, q, q, enable_gqa=True)
    with pytest.raises(ValueError, match="dropout_p=0.5"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert F.scaled_dot_product_attention(q, q, q, dropout_p=0.0, enable_gqa=False).shape == (2, 3)


def test_mixed_dtypes_are_refused_as_pytorch_refuses_them() -> None:
    """PyTorch wants query, key and value of one dtype, and a float mask of the
    query's dtype; chainrule used to compute in float64 from a float32 query."""
    q32 = Tensor(np.ones((2, 3), np.float32))
    q64 = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="float32.*float64"):
        F.scaled_dot_product_attention(q32, q64, q64)
    with pytest.raises(ValueError, match="attn_mask.*float64.*float32"):
        F.scaled_dot_product_attention(q32, q32, q32, attn_mask=np.zeros((2, 2)))
    mask32 = np.zeros((2, 2), np.float32)
    assert F.scaled_dot_product_attention(q32, q32, q32, attn_mask=mask32).dtype == np.float32
    assert F.scaled_dot_product_attention(q32, q32, q32, attn_mask=mask32 == 0).dtype == np.float32


def test_a_list_of_booleans_is_a_boolean_mask() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (Tensor(rng.normal(size=(2, 3))) for _ in range(3))
    listed = [[True, False], [True, True]]
    as_array = F.scaled_dot_product_attention(q, k, v, attn_mask=np.array(listed))
    as_list = F.scaled_dot_product_attention(q, k, v, attn_mask=listed)
    np.testing.assert_array_equal(as_list.data, as_array.data)

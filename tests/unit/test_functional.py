"""softmax, log_softmax, cross_entropy, mse_loss, linear: values, stability, errors.

Their gradients are checked against central differences in
``test_tensor_gradcheck.py`` and against PyTorch in ``test_tensor_torch.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor


def test_softmax_rows_are_distributions() -> None:
    x = Tensor(np.random.default_rng(0).normal(size=(4, 5)))
    p = F.softmax(x).data
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)


def test_fused_ops_agree_with_their_composed_forms() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4))
    targets = np.array([0, 3, 1, 2, 2, 0])
    composed_log_softmax = Tensor(z) - Tensor(z).exp().sum(axis=1, keepdims=True).log()
    np.testing.assert_allclose(F.log_softmax(Tensor(z)).data, composed_log_softmax.data)
    np.testing.assert_allclose(F.softmax(Tensor(z)).data, np.exp(composed_log_softmax.data))

    logits = Tensor(z, requires_grad=True)
    F.cross_entropy(logits, targets).backward()
    fused = logits.grad
    logits.grad = None
    composed = -F.log_softmax(logits)[np.arange(6), targets].mean()
    composed.backward()
    np.testing.assert_allclose(fused, logits.grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_p_minus_y_over_n() -> None:
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    logits = Tensor(z, requires_grad=True)
    F.cross_entropy(logits, [2, 0]).backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.array([[0, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(logits.grad, (p - onehot) / 2)


def test_stable_for_logits_of_1e4() -> None:
    z = Tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0]], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        p = F.softmax(z)
        logp = F.log_softmax(z)
        loss = F.cross_entropy(z, [1, 0])
        loss.backward()
    np.testing.assert_allclose(p.data[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(logp.data[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(loss.item(), (1e4 + np.log(2)) / 2)
    assert np.all(np.isfinite(z.grad))


def test_naive_softmax_overflows_where_the_stable_one_does_not() -> None:
    z = np.array([1e4, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
    assert np.isnan(naive[0])
    np.testing.assert_allclose(F.softmax(Tensor(z)).data, [1.0, 0.0])


def test_cross_entropy_of_uniform_logits_is_log_classes() -> None:
    loss = F.cross_entropy(Tensor(np.zeros((3, 10))), [0, 5, 9])
    assert abs(loss.item() - np.log(10)) < 1e-12


def test_cross_entropy_float32_stays_float32() -> None:
    logits = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([0, 1]))
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


@pytest.mark.parametrize(("targets", "culprit", "index"), [([0, 3], 3, 1), ([-1, 0], -1, 0)])
def test_cross_entropy_target_out_of_range_is_named(targets, culprit, index) -> None:
    with pytest.raises(ValueError, match=rf"target {culprit} \(at index {index}\).*3 classes"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), targets)


def test_cross_entropy_needs_whole_number_targets() -> None:
    with pytest.raises(TypeError, match="integer class indices.*float64"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0.0, 1.5])


@pytest.mark.parametrize(
    "targets", [[2, 0], np.array([2, 0]), Tensor([2, 0]), np.array([2.0, 0.0])],
    ids=["list", "int array", "Tensor", "float array"],
)
def test_cross_entropy_takes_integer_targets_in_any_form(targets) -> None:
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    expected = F.cross_entropy(Tensor(logits), np.array([2, 0])).item()
    assert F.cross_entropy(Tensor(logits), targets).item() == expected


def test_cross_entropy_on_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="batch is empty"):
        F.cross_entropy(Tensor(np.zeros((0, 3))), [])


def test_cross_entropy_shapes_are_named() -> None:
    with pytest.raises(ValueError, match=r"logits \(2, 3\) and targets \(3,\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1, 2])


def test_mse_loss_value_and_shape_error() -> None:
    assert F.mse_loss(Tensor([1.0, 2.0]), [0.0, 4.0]).item() == 2.5
    with pytest.raises(ValueError, match=r"prediction \(3, 1\) and target \(3,\)"):
        F.mse_loss(Tensor(np.zeros((3, 1))), np.zeros(3))


def test_linear_is_x_at_w_transposed_plus_b() -> None:
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b)).data, x @ w.T + b)
    with pytest.raises(ValueError, match=r"x of shape \(4, 3\) does not fit weight \(2, 2\)"):
        F.linear(Tensor(x), Tensor(np.ones((2, 2))))
    with pytest.raises(ValueError, match=r"bias of shape \(3,\) for 2 outputs"):
        F.linear(Tensor(x), Tensor(w), Tensor(np.ones(3)))


# ------------------------------------------------------------------ issue 19 item 11, issue 18
@pytest.mark.parametrize("shape", [(3,), (2, 5, 3), (2, 1, 4, 3)])
def test_linear_takes_any_leading_axes_as_pytorch(shape: tuple[int, ...]) -> None:
    """(..., in) @ (out, in).T: 1-D and 3-D inputs used to be refused as 'do not fit'."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    w, b = Tensor(rng.normal(size=(4, 3)), requires_grad=True), Tensor(rng.normal(size=4), True)
    out = F.linear(x, w, b)
    assert out.shape == (*shape[:-1], 4)
    g = rng.normal(size=out.shape)
    out.backward(g)
    rows, grows = x.data.reshape(-1, 3), g.reshape(-1, 4)
    np.testing.assert_allclose(out.data, x.data @ w.data.T + b.data, rtol=1e-14)
    np.testing.assert_allclose(x.grad, g @ w.data, rtol=1e-14)
    np.testing.assert_allclose(w.grad, grows.T @ rows, rtol=1e-13)
    np.testing.assert_allclose(b.grad, grows.sum(axis=0), rtol=1e-13)


def test_linear_refuses_what_does_not_fit_naming_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"x of shape \(2, 5, 4\) does not fit weight \(4, 3\)"):
        F.linear(Tensor(np.ones((2, 5, 4))), Tensor(np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"x of shape \(\) does not fit"):
        F.linear(Tensor(1.0), Tensor(np.ones((4, 1))))
    with pytest.raises(ValueError, match=r"weight must be a matrix \(out, in\), got shape \(3,\)"):
        F.linear(Tensor(np.ones(3)), Tensor(np.ones(3)))


def test_cross_entropy_refuses_sequence_logits_with_a_reshape_hint() -> None:
    """(B, T, V) logits with (B, T) targets: PyTorch reads axis 1 (T) as the classes
    and refuses (B, T) targets; we refuse too, saying how to reshape."""
    with pytest.raises(ValueError, match=r"reshape to \(B\*T, classes\)"):
        F.cross_entropy(Tensor(np.zeros((2, 3, 5))), np.zeros((2, 3), dtype=int))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignore_index_and_reduction_follow_the_formula(reduction: str) -> None:
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4, 3))
    t = np.array([2, -100, 0, 1])
    logits = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(logits, t, reduction=reduction)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    kept = np.array([0, 2, 3])
    each = np.zeros(4)
    each[kept] = -log_p[kept, t[kept]]
    expected = {"mean": each.sum() / 3, "sum": each.sum(), "none": each}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-14)
    loss.backward(np.ones(loss.shape))
    np.testing.assert_array_equal(logits.grad[1], 0.0)  # the ignored row gets nothing


def test_cross_entropy_bad_reduction_and_all_ignored_are_named() -> None:
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], reduction="avg")
    with pytest.raises(ValueError, match="every target is ignore_index"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [-100, -100])


def test_erf_is_within_a_few_units_in_the_last_place_of_math_erf() -> None:
    """GELU's erf: math.erf takes one number at a time; ours takes arrays."""
    from chainrule.functional import _erf

    x = np.concatenate([np.linspace(-8, 8, 20001), [0.0, 0.46875, 4.0, 6.0, 30.0, -np.inf]])
    reference = np.array([math.erf(v) for v in x])
    ulps = np.abs(_erf(x) - reference) / np.spacing(np.abs(reference))
    assert ulps.max() <= 8, ulps.max()
    assert np.isnan(_erf(np.array([np.nan]))).all() and _erf(np.array(0.25)).shape == ()


def test_gelu_keeps_float32_and_refuses_an_unknown_approximation() -> None:
    x = Tensor(np.linspace(-3, 3, 7).astype(np.float32), requires_grad=True)
    y = F.gelu(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(x, approximate="fast")


def test_embedding_is_a_one_hot_product_and_scatter_adds_repeats() -> None:
    rng = np.random.default_rng(6)
    table = rng.normal(size=(5, 3))
    ids = np.array([[0, 4, 0], [2, 2, 2]])
    weight = Tensor(table, requires_grad=True)
    out = F.embedding(ids, weight)
    np.testing.assert_array_equal(out.data, np.eye(5)[ids] @ table)
    g = rng.normal(size=out.shape)
    out.backward(g)
    np.testing.assert_allclose(weight.grad, np.einsum("btv,btd->vd", np.eye(5)[ids], g))
    assert weight.grad[2] == pytest.approx(g[1].sum(axis=0))  # row 2 picked three times


@pytest.mark.parametrize(
    ("indices", "error", "match"),
    [([5], IndexError, "index 5 is out of range for 5 rows"),
     ([-1], IndexError, "index -1 is out of range"),
     ([0.5], TypeError, "integer indices"),
     (Tensor([1.0], requires_grad=True), TypeError, "indices have no gradient")],
)
def test_embedding_names_bad_indices(indices, error, match) -> None:
    with pytest.raises(error, match=match):
        F.embedding(indices, Tensor(np.ones((5, 2))))


def test_a_third_positional_argument_is_refused_not_misread() -> None:
    """PyTorch's cross_entropy(z, t, w) passes class weights; ours has none, so a
    third positional argument must raise rather than be read as ignore_index."""
    z = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="positional"):
        F.cross_entropy(z, [0, 1], np.ones(3))
    with pytest.raises(TypeError, match="positional"):
        F.nll_loss(z, [0, 1], np.ones(3))


@pytest.mark.torch
def test_softmax_without_dim_is_pytorchs_choice_or_refused() -> None:
    """PyTorch's F.softmax(x) without dim takes the last axis of a vector or a
    matrix, but axis 0 of a 3-D tensor: there we ask for dim instead of differing."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for shape in [(5,), (3, 5)]:
        z = rng.normal(size=shape)
        expected = torch.nn.functional.softmax(torch.tensor(z), dim=-1).numpy()
        np.testing.assert_allclose(F.softmax(Tensor(z)).data, expected, rtol=1e-15)
    z = Tensor(rng.normal(size=(2, 3, 4)))
    with pytest.raises(TypeError, match="needs dim="):
        F.softmax(z)
    np.testing.assert_allclose(
        F.softmax(z, dim=0).data,
        torch.nn.functional.softmax(torch.tensor(z.data), dim=0).numpy(), rtol=1e-15)

"""LayerNorm and BatchNorm1d beyond the op registry's rows: the fused rule
against the same formula written in Tensor atoms, float32, parameters, and
BatchNorm's running statistics and train/eval switch against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor, nn


def layer_norm_atoms(x: Tensor, w: Tensor, b: Tensor, eps: float = 1e-5) -> Tensor:
    """LayerNorm over the last axis from Tensor atoms: one node per step."""
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (var + eps).sqrt() * w + b


def gradients(make, arrays: list[np.ndarray], upstream: np.ndarray) -> list[np.ndarray]:
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    make(*leaves).backward(upstream)
    return [leaf.grad for leaf in leaves]


def test_fused_layer_norm_equals_the_atoms_in_float64() -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(6, 10)), rng.normal(size=10), rng.normal(size=10)]
    upstream = rng.normal(size=(6, 10))
    fused = gradients(lambda x, w, b: F.layer_norm(x, 10, w, b), arrays, upstream)
    atoms = gradients(layer_norm_atoms, arrays, upstream)
    for ours, theirs in zip(fused, atoms, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13)


def test_layer_norm_float32_stays_float32_and_is_close_to_float64() -> None:
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(8, 32)), rng.normal(size=(8, 32))
    x32 = Tensor(x.astype(np.float32), requires_grad=True)
    out = F.layer_norm(x32, 32)
    out.backward(g.astype(np.float32))
    assert out.dtype == np.float32 and x32.grad.dtype == np.float32
    x64 = Tensor(x, requires_grad=True)
    F.layer_norm(x64, 32).backward(g)
    assert np.max(np.abs(x32.grad - x64.grad)) < 1e-5  # float32 rounding, not an error
    assert np.max(np.abs(x32.grad - x64.grad)) > 0  # but not bit-for-bit


def test_layer_norm_module_parameters_as_pytorch_names_them() -> None:
    layer = nn.LayerNorm(5)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.tolist() == [1.0] * 5 and layer.bias.tolist() == [0.0] * 5
    assert nn.LayerNorm(5, elementwise_affine=False).parameters() == []
    assert len(nn.LayerNorm((2, 5), bias=False).parameters()) == 1
    assert nn.LayerNorm(5, dtype=np.float32).weight.dtype == np.float32


def test_layer_norm_module_takes_a_numpy_int_and_names_a_bad_shape() -> None:
    """PyTorch's LayerNorm takes any integral size (np.int64 included); a
    float size is refused with the argument's name, not 'not iterable'."""
    assert nn.LayerNorm(np.int64(4)).normalized_shape == (4,)
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(4.0)


def test_layer_norm_bias_without_weight_gets_its_gradient() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    F.layer_norm(x, 3, None, b).sum().backward()
    assert b.grad.tolist() == [2.0, 2.0, 2.0]
    np.testing.assert_allclose(x.grad, 0.0, atol=1e-12)  # a sum of normalised values is 0


@pytest.mark.torch
@pytest.mark.parametrize("momentum", [0.2, None])
def test_batch_norm_running_statistics_and_eval_match_pytorch(momentum) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ours = nn.BatchNorm1d(4, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum, dtype=torch.float64)
    for _ in range(3):
        batch = rng.normal(2.0, 3.0, size=(7, 4))
        ours(Tensor(batch))
        theirs(torch.tensor(batch))
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-14)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-14)
    assert ours.num_batches_tracked == theirs.num_batches_tracked.item() == 3
    ours.eval()
    theirs.eval()
    sample = rng.normal(size=(2, 4, 3))
    x = Tensor(sample, requires_grad=True)
    t = torch.tensor(sample, requires_grad=True)
    out, ref = ours(x), theirs(t)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-13, atol=1e-13)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-13)


def test_batch_norm_in_eval_does_not_update_or_depend_on_the_batch() -> None:
    layer = nn.BatchNorm1d(2).eval()
    one = layer(Tensor([[1.0, 2.0]]))
    both = layer(Tensor([[1.0, 2.0], [50.0, -9.0]]))
    np.testing.assert_array_equal(one.data[0], both.data[0])
    assert layer.running_mean.tolist() == [0.0, 0.0]


def test_batch_norm_without_running_statistics_uses_the_batch_in_eval() -> None:
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    out = layer(Tensor([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(out.data, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-5)

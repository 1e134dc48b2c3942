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
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-14)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-14)
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


class _Net(nn.Module):
    """Linear -> BatchNorm1d -> ReLU -> Linear, as the PyTorch twin below."""

    def __init__(self, seed: int = 0) -> None:
        self.fc1 = nn.Linear(3, 4, rng=seed)
        self.bn = nn.BatchNorm1d(4)
        self.fc2 = nn.Linear(4, 2, rng=seed + 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.bn(self.fc1(x)).relu())


def _torch_twin(torch):
    class Twin(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = torch.nn.Linear(3, 4, dtype=torch.float64)
            self.bn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
            self.fc2 = torch.nn.Linear(4, 2, dtype=torch.float64)

        def forward(self, x):
            return self.fc2(torch.relu(self.bn(self.fc1(x))))

    return Twin()


@pytest.mark.torch
def test_batch_norm_state_dict_has_pytorchs_keys_and_values_after_training(tmp_path) -> None:
    """Running statistics are buffers: in state_dict under PyTorch's names, in
    PyTorch's order, equal after training; a saved and loaded model gives the
    same eval() output (before, they were lost and eval() gave another number)."""
    torch = pytest.importorskip("torch")
    from chainrule import optim

    ours, theirs = _Net(), _torch_twin(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(nn.BatchNorm1d(3).state_dict()) == list(torch.nn.BatchNorm1d(3).state_dict())
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == \
        list(torch.nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    opt_ours = optim.SGD(ours.parameters(), lr=0.1)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, y = rng.normal(1.0, 2.0, size=(8, 3)), rng.normal(size=(8, 2))
        opt_ours.zero_grad()
        ((ours(Tensor(x)) - Tensor(y)) ** 2).mean().backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean().backward()
        opt_theirs.step()
    state, reference = ours.state_dict(), theirs.state_dict()
    assert list(state) == list(reference)
    for name, value in reference.items():
        assert state[name].dtype == value.numpy().dtype, name
        # atol: fc1.bias feeds BatchNorm, which cancels its gradient to rounding noise
        np.testing.assert_allclose(state[name], value.numpy(), rtol=1e-12, atol=1e-15,
                                   err_msg=name)
    assert state["bn.num_batches_tracked"] == 5
    ours.save(tmp_path / "net.npz")
    loaded = _Net(seed=7)
    loaded.load(tmp_path / "net.npz")
    sample = rng.normal(size=(2, 3))
    out = ours.eval()(sample).data
    np.testing.assert_array_equal(loaded.eval()(sample).data, out)
    np.testing.assert_allclose(out, theirs.eval()(torch.tensor(sample)).detach().numpy(),
                               rtol=1e-12)


@pytest.mark.torch
def test_a_pytorch_batch_norm_state_loads_with_its_running_statistics() -> None:
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    rng = np.random.default_rng(4)
    for _ in range(2):
        theirs(torch.tensor(rng.normal(2.0, 3.0, size=(6, 3))))
    ours = nn.BatchNorm1d(3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert ours.num_batches_tracked.item() == 2
    sample = rng.normal(size=(4, 3))
    np.testing.assert_allclose(ours.eval()(sample).data,
                               theirs.eval()(torch.tensor(sample)).detach().numpy(), rtol=1e-13)


@pytest.mark.torch
def test_names_come_in_pytorchs_order_own_tensors_before_sub_modules() -> None:
    """PyTorch lists a module's own parameters, then its own buffers, then each
    sub-module's, whatever the order the attributes were set in; zip over
    two models' named_parameters() pairs the same tensors."""
    torch = pytest.importorskip("torch")

    class Ours(nn.Module):
        def __init__(self) -> None:
            self.inner = nn.Linear(2, 3)
            self.register_buffer("count", Tensor(0.0).long())
            self.scale = Tensor(np.ones(3), requires_grad=True)
            self.bn = nn.BatchNorm1d(3)

    class Theirs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = torch.nn.Linear(2, 3)
            self.register_buffer("count", torch.tensor(0))
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.bn = torch.nn.BatchNorm1d(3)

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["scale"]

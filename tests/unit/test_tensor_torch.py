"""Whole models and training runs in chainrule and in PyTorch, float64: equal losses,
gradients and weights. (Single operations are rows of `tests/unit/op_registry.py`.)"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor, nn
from tests.unit.op_registry import OPTIMIZERS

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def torch_copy(model: nn.MLP) -> torch.nn.Sequential:
    """The same MLP in PyTorch: the weights copied as they are (both (out, in))."""
    layers: list[torch.nn.Module] = []
    for layer in model.layers:
        if isinstance(layer, nn.Linear):
            n_out, n_in = layer.weight.shape
            twin = torch.nn.Linear(n_in, n_out, dtype=torch.float64)
            with torch.no_grad():
                twin.weight.copy_(torch.tensor(layer.weight.data))
                twin.bias.copy_(torch.tensor(layer.bias.data))
            layers.append(twin)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_grads(twin: torch.nn.Sequential) -> list[np.ndarray]:
    """PyTorch's gradients in our order (the layout is the same)."""
    grads = []
    for layer in twin:
        if isinstance(layer, torch.nn.Linear):
            grads += [layer.weight.grad.numpy(), layer.bias.grad.numpy()]
    return grads


def test_mlp_loss_and_gradients_equal_pytorch() -> None:
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(32, 20)), rng.integers(0, 5, size=32)
    model = nn.MLP(20, [16, 16, 5], rng=0)
    twin = torch_copy(model)
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    ref = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(y))
    ref.backward()
    assert abs(loss.item() - ref.item()) < 1e-12
    for p, g in zip(model.parameters(), torch_grads(twin), strict=True):
        np.testing.assert_allclose(p.grad, g, rtol=1e-10, atol=1e-14)


def test_linear_with_a_square_weight_is_pytorchs() -> None:
    """Issue 19: F.linear(x, W) is x @ W.T in both. A square W used to be read
    as x @ W here, a silently different number; other shapes raised."""
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    ours = F.linear(Tensor(x), Tensor(w), Tensor(b)).data
    theirs = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14)
    assert not np.allclose(ours, x @ w + b)  # the old reading gives another number


def test_a_torch_linear_state_loads_untransposed() -> None:
    """Linear(3, 5) holds a (5, 3) weight, as PyTorch's: its state dict copies
    across as it is and both layers give the same outputs."""
    theirs = torch.nn.Linear(3, 5, dtype=torch.float64)
    ours = nn.Linear(3, 5)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (5, 3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(6).normal(size=(2, 4, 3))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-14)
    assert repr(ours) == "Linear(3, 5, bias=True)"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_steps_equal_pytorch(name: str) -> None:
    ours, theirs = OPTIMIZERS[name]
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 8)), rng.integers(0, 3, size=40)
    model = nn.MLP(8, [12, 3], rng=1)
    twin = torch_copy(model)
    opt, ref_opt = ours(model.parameters()), theirs(twin.parameters())
    for step in range(10):
        rows = slice(step % 4 * 10, step % 4 * 10 + 10)
        opt.zero_grad()
        F.cross_entropy(model(X[rows]), y[rows]).backward()
        opt.step()
        ref_opt.zero_grad()
        torch.nn.functional.cross_entropy(
            twin(torch.tensor(X[rows])), torch.tensor(y[rows])
        ).backward()
        ref_opt.step()
    weights = [layer.weight.detach().numpy() for layer in twin if hasattr(layer, "weight")]
    for ours_w, theirs_w in zip(model.parameters()[::2], weights, strict=True):
        np.testing.assert_allclose(ours_w.data, theirs_w, rtol=1e-9, atol=1e-12)

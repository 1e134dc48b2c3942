"""Whole models and training runs in chainrule and in PyTorch, float64: equal losses,
gradients and weights. (Single operations are rows of `tests/unit/op_registry.py`.)"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import nn
from tests.unit.op_registry import OPTIMIZERS

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def torch_copy(model: nn.MLP) -> torch.nn.Sequential:
    """The same MLP in PyTorch: its Linear stores weight.T of ours."""
    layers: list[torch.nn.Module] = []
    for layer in model.layers:
        if isinstance(layer, nn.Linear):
            n_in, n_out = layer.weight.shape
            twin = torch.nn.Linear(n_in, n_out, dtype=torch.float64)
            with torch.no_grad():
                twin.weight.copy_(torch.tensor(layer.weight.data.T))
                twin.bias.copy_(torch.tensor(layer.bias.data))
            layers.append(twin)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_grads(twin: torch.nn.Sequential) -> list[np.ndarray]:
    """PyTorch's gradients in our order and layout (weight transposed)."""
    grads = []
    for layer in twin:
        if isinstance(layer, torch.nn.Linear):
            grads += [layer.weight.grad.numpy().T, layer.bias.grad.numpy()]
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
    weights = [layer.weight.detach().numpy().T for layer in twin if hasattr(layer, "weight")]
    for ours_w, theirs_w in zip(model.parameters()[::2], weights, strict=True):
        np.testing.assert_allclose(ours_w.data, theirs_w, rtol=1e-9, atol=1e-12)

"""The same programs in chainrule and in PyTorch, float64: equal values and gradients."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor, nn, optim

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def run_both(
    ours: Callable[..., Tensor], theirs: Callable[..., object], arrays: list[np.ndarray]
) -> None:
    """Run both programs on the same arrays; compare outputs and input gradients."""
    rng = np.random.default_rng(7)
    mine = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    torchs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = ours(*mine), theirs(*torchs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.normal(size=out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for t, r in zip(mine, torchs, strict=True):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-10, atol=1e-12)


rng0 = np.random.default_rng(0)
A, B, C = rng0.normal(size=(3, 4)), rng0.normal(size=(4,)), rng0.normal(size=(3, 1))
P = rng0.uniform(0.5, 2.0, size=(3, 4))

PAIRS = {
    "broadcast arithmetic": (
        lambda a, b, c: ((a * b + c) / (b * b + 1.0) - c) ** 2,
        lambda a, b, c: ((a * b + c) / (b * b + 1.0) - c) ** 2,
        [A, B, C],
    ),
    "functions": (
        lambda p: p.log().exp().tanh().sigmoid() + p**0.5 + 2.0**p,
        lambda p: p.log().exp().tanh().sigmoid() + p**0.5 + 2.0**p,
        [P],
    ),
    "relu": (lambda a: a.relu(), lambda a: a.relu(), [A]),
    "matmul all ranks": (
        lambda m, v, w: (m @ w) @ v + v @ (w.T @ m.T @ m) @ v + (m.T @ m @ w)[0] @ v,
        lambda m, v, w: (m @ w) @ v + v @ (w.T @ m.T @ m) @ v + (m.T @ m @ w)[0] @ v,
        [A, B, rng0.normal(size=(4, 4))],
    ),
    "reductions": (
        lambda a: a.sum(axis=0) * a.mean(axis=1, keepdims=True) + a.max(axis=1, keepdims=True),
        lambda a: a.sum(dim=0) * a.mean(dim=1, keepdim=True) + a.amax(dim=1, keepdim=True),
        [A],
    ),
    "max with ties": (
        lambda a: a.max(axis=0),
        lambda a: a.amax(dim=0),
        [np.array([[1.0, 5.0, 2.0], [1.0, 5.0, 3.0]])],
    ),
    "reshape, transpose, index": (
        lambda a: a.reshape(2, 6).T[[1, 1, 4], ::-1] * a[2, None, :2],
        lambda a: a.reshape(2, 6).T[[1, 1, 4]].flip(1) * a[2, None, :2],
        [A],
    ),
    "softmax": (lambda a: F.softmax(a), lambda a: torch.softmax(a, dim=-1), [A]),
    "log_softmax axis 0": (
        lambda a: F.log_softmax(a, axis=0),
        lambda a: torch.log_softmax(a, dim=0),
        [A],
    ),
    "log_softmax of 1e4": (
        lambda a: F.log_softmax(a * 1e4),
        lambda a: torch.log_softmax(a * 1e4, dim=-1),
        [A],
    ),
    "cross_entropy": (
        lambda a: F.cross_entropy(a, [3, 0, 0]),
        lambda a: torch.nn.functional.cross_entropy(a, torch.tensor([3, 0, 0])),
        [A * 100],
    ),
    "mse_loss": (
        lambda a, p: F.mse_loss(a, p),
        lambda a, p: torch.nn.functional.mse_loss(a, p),
        [A, P],
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_same_program_same_gradients(name: str) -> None:
    ours, theirs, arrays = PAIRS[name]
    run_both(ours, theirs, arrays)


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


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
         lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
        (lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.001),
         lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.001)),
    ],
    ids=["SGD momentum weight decay", "Adam"],
)
def test_training_steps_equal_pytorch(ours, theirs) -> None:
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

"""Whole models and training runs in chainrule and in PyTorch, float64: equal losses,
gradients and weights. (Single operations are rows of `tests/unit/op_registry.py`.)"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Tensor, nn
from chainrule.tensor import no_grad
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


# -------------------------------------------- issue 19: the same call, the same outcome
def _both(values: list[float]) -> tuple[Tensor, object]:
    return (Tensor(np.array(values), requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def test_in_place_step_between_forward_and_backward_is_refused_by_both() -> None:
    for w in _both([3.0, 4.0]):
        loss = (w * w).sum()
        with (no_grad() if isinstance(w, Tensor) else torch.no_grad()):
            w -= 0.5
        with pytest.raises(RuntimeError):
            loss.backward()


def test_in_place_on_a_leaf_while_recording_is_refused_by_both() -> None:
    for w in _both([3.0]):
        with pytest.raises(RuntimeError):
            w += 1.0


def test_clipping_one_gradient_in_place_leaves_the_other_in_both() -> None:
    results = []
    ours_a, theirs_a = _both([1.0, 2.0])
    ours_b, theirs_b = _both([3.0, 4.0])
    for a, b in ((ours_a, ours_b), (theirs_a, theirs_b)):
        (a + b).sum().backward()
        a.grad *= 0.5
        results.append(np.asarray(b.grad).tolist())
    assert results[0] == results[1] == [1.0, 1.0]


def test_std_over_a_constant_row_and_max_dim_and_comparisons_match() -> None:
    data = [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]
    ours, theirs = (Tensor(np.array(data), requires_grad=True),
                    torch.tensor(data, dtype=torch.float64, requires_grad=True))
    for x in (ours, theirs):
        values, indices = x.max(dim=1)
        (x.std(dim=1).sum() + values.sum()).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=0, atol=1e-15)
    assert ours.max(dim=1).indices.tolist() == theirs.max(dim=1).indices.tolist()
    assert (ours > 1).sum().item() == (theirs > 1).sum().item()
    assert (ours.argmax(dim=1) == 2).float().mean().item() == (
        (theirs.argmax(dim=1) == 2).float().mean().item())
    assert ours.size() == tuple(theirs.size()) and ours.size(-1) == theirs.size(-1)
    assert (ours.dim(), ours.numel()) == (theirs.dim(), theirs.numel())
    assert ours.transpose(0, 1).tolist() == theirs.transpose(0, 1).tolist()


def test_a_float32_leaf_mixed_with_float64_gets_float32_gradients_in_both() -> None:
    ours = Tensor(np.ones(2, np.float32), requires_grad=True)
    theirs = torch.ones(2, dtype=torch.float32, requires_grad=True)
    (ours * Tensor(np.full(2, 2.0))).sum().backward()
    (theirs * torch.full((2,), 2.0, dtype=torch.float64)).sum().backward()
    assert str(ours.grad.dtype) == str(theirs.grad.dtype).removeprefix("torch.")

"""Module, Linear, activations, Sequential, MLP; saving and loading weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrule import Tensor, nn


def test_linear_shapes_init_and_seed() -> None:
    layer = nn.Linear(64, 128, rng=np.random.default_rng(0))
    assert layer.weight.shape == (64, 128) and layer.bias.shape == (128,)
    assert layer.weight.requires_grad and layer.weight.dtype == np.float64
    np.testing.assert_array_equal(layer.bias.data, 0.0)
    assert abs(layer.weight.data.std() - np.sqrt(2 / 64)) < 0.01  # He
    again = nn.Linear(64, 128, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)
    other = nn.Linear(64, 128, rng=np.random.default_rng(1))
    assert not np.array_equal(layer.weight.data, other.weight.data)


def test_xavier_init_bounds_and_float32() -> None:
    layer = nn.Linear(30, 20, init="xavier", rng=0, dtype=np.float32)
    limit = np.sqrt(6 / 50)
    assert layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= limit
    assert np.abs(layer.weight.data).max() > 0.9 * limit


def test_unknown_init_is_named() -> None:
    with pytest.raises(ValueError, match="init must be 'he' or 'xavier', got 'zeros'"):
        nn.Linear(2, 2, init="zeros")


def test_linear_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert layer.bias is None and len(layer.parameters()) == 1
    np.testing.assert_allclose(layer(np.ones((1, 3))).data, np.ones((1, 3)) @ layer.weight.data)


def test_activations() -> None:
    x = Tensor([-1.0, 0.5])
    np.testing.assert_allclose(nn.ReLU()(x).data, [0.0, 0.5])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh([-1.0, 0.5]))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp([1.0, -0.5])))


def test_mlp_structure_parameters_and_names() -> None:
    model = nn.MLP(64, [128, 10], rng=0)
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "ReLU", "Linear"]
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert [p.shape for p in model.parameters()] == [(64, 128), (128,), (128, 10), (10,)]
    assert model(np.zeros((5, 64))).shape == (5, 10)
    assert "Linear(64, 128" in repr(model)
    tanh_model = nn.MLP(2, [3, 3, 1], activation="tanh", rng=0)
    assert [type(layer).__name__ for layer in tanh_model.layers][1::2] == ["Tanh", "Tanh"]
    with pytest.raises(ValueError, match="activation must be one of .* got 'gelu'"):
        nn.MLP(2, [1], activation="gelu")


def test_zero_grad_clears_every_parameter() -> None:
    model = nn.MLP(3, [4, 2], rng=0)
    model(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_custom_module_finds_tensors_modules_and_lists() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            self.scale = Tensor([2.0], requires_grad=True)
            self.constant = Tensor([1.0])  # not a parameter
            self.blocks = [nn.Linear(2, 2, rng=0), nn.Linear(2, 1, rng=1)]

        def forward(self, x: Tensor) -> Tensor:
            for block in self.blocks:
                x = block(x)
            return x * self.scale

    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                     "blocks.1.bias"]
    assert net(np.ones((3, 2))).shape == (3, 1)


def test_module_without_forward_says_so() -> None:
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        nn.Module()(Tensor([1.0]))


# ------------------------------------------------------------------ save and load
def test_save_then_load_gives_identical_arrays(tmp_path: Path) -> None:
    for dtype in (np.float64, np.float32):
        model = nn.MLP(8, [16, 3], rng=0, dtype=dtype)
        path = tmp_path / f"weights_{np.dtype(dtype).name}.npz"
        model.save(path)
        fresh = nn.MLP(8, [16, 3], rng=99, dtype=dtype)
        fresh.load(path)
        for a, b in zip(model.parameters(), fresh.parameters(), strict=True):
            assert a.data.dtype == b.data.dtype
            np.testing.assert_array_equal(a.data, b.data)
            assert a.data is not b.data


def test_load_copies_in_place_so_optimizers_keep_working(tmp_path: Path) -> None:
    model = nn.MLP(2, [2], rng=0)
    before = [p.data for p in model.parameters()]
    model.save(tmp_path / "w.npz")
    model.load(tmp_path / "w.npz")
    assert all(p.data is array for p, array in zip(model.parameters(), before, strict=True))


def test_load_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.weight": np.array([{"not": "numbers"}], dtype=object)})
    model = nn.MLP(2, [2], rng=0)
    with pytest.raises(ValueError, match="'layers.0.weight' holds pickled Python objects"):
        model.load(path)


def test_load_names_missing_and_unexpected_weights(tmp_path: Path) -> None:
    nn.MLP(2, [3, 2], rng=0).save(tmp_path / "two_layers.npz")
    with pytest.raises(KeyError, match=r"unexpected|does not have: \['layers.2.bias'"):
        nn.MLP(2, [3], rng=0).load(tmp_path / "two_layers.npz")


def test_load_names_a_shape_mismatch(tmp_path: Path) -> None:
    nn.MLP(2, [3], rng=0).save(tmp_path / "small.npz")
    with pytest.raises(ValueError, match=r"layers.0.weight has shape \(2, 4\).*\(2, 3\)"):
        nn.MLP(2, [4], rng=0).load(tmp_path / "small.npz")

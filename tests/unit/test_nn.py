"""Module, Linear, activations, Sequential, MLP; saving and loading weights."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from chainrule import Tensor, nn


def test_linear_shapes_init_and_seed() -> None:
    layer = nn.Linear(64, 128, rng=np.random.default_rng(0))
    assert layer.weight.shape == (128, 64) and layer.bias.shape == (128,)  # (out, in)
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
    np.testing.assert_allclose(layer(np.ones((1, 3))).data, np.ones((1, 3)) @ layer.weight.data.T)


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
    assert [p.shape for p in model.parameters()] == [(128, 64), (128,), (10, 128), (10,)]
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
    with pytest.raises(ValueError, match=r"layers.0.weight has shape \(4, 2\).*\(3, 2\)"):
        nn.MLP(2, [4], rng=0).load(tmp_path / "small.npz")


def test_load_of_an_old_in_out_weight_names_the_layout(tmp_path: Path) -> None:
    """A file saved when Linear's weight was (in, out): refused, saying why."""
    old = {name: p.data.T for name, p in nn.MLP(2, [3], rng=0).named_parameters()}
    np.savez(tmp_path / "old.npz", **old)
    with pytest.raises(ValueError, match=r"\(3, 2\) but .* \(2, 3\) \(its transpose: a Linear"):
        nn.MLP(2, [3], rng=0).load(tmp_path / "old.npz")


def test_load_of_a_damaged_archive_names_the_file_and_changes_nothing(tmp_path: Path) -> None:
    """Issue 19 item 13: a bad checksum in a member used to escape as zipfile.BadZipFile."""
    model = nn.Linear(3, 4, rng=0)
    path = tmp_path / "damaged.npz"
    model.save(path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY")  # the first member's array, stored uncompressed
    data[start + 200 : start + 210] = bytes(10)  # inside the weights: its CRC no longer fits
    path.write_bytes(bytes(data))
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match=r"damaged.npz' is a damaged .npz archive: array"):
        nn.Linear(3, 4, rng=1).load(path)
    np.testing.assert_array_equal(model.weight.data, before)


# ------------------------------------------------------------------ PyTorch parity (issues 18, 19)
def test_a_shared_layer_is_listed_once_as_in_pytorch() -> None:
    """Issue 19 item 6: a tied layer used to be listed twice, so it moved twice a step."""
    shared = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(model.parameters()) == 2
    assert [name for name, _ in model.named_parameters()] == ["layers.0.weight", "layers.0.bias"]
    tied = nn.ModuleList([shared, nn.Linear(2, 2, rng=1), shared])
    assert len(tied.parameters()) == 4


def test_linear_takes_a_batch_of_sequences_and_a_single_vector() -> None:
    """Issue 19 item 11 / issue 18: (B, T, in) and (in,) used to be refused."""
    layer = nn.Linear(3, 4, rng=0)
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)
    assert layer(np.ones(3)).shape == (4,)


def test_linear_with_an_integer_dtype_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="Linear: dtype must be a float type such as numpy.float32"):
        nn.Linear(2, 2, dtype=int)
    with pytest.raises(TypeError, match="Embedding: dtype must be a float type"):
        nn.Embedding(4, 2, dtype=np.int32)


def test_call_passes_extra_arguments_and_keywords_to_forward() -> None:
    class Scaled(nn.Module):
        def forward(self, x: Tensor, scale: float, shift: float = 0.0) -> Tensor:
            return x * scale + shift

    out = Scaled()(np.ones(2), 3.0, shift=1.0)
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, [4.0, 4.0])


def test_embedding_weight_shape_init_and_lookup() -> None:
    emb = nn.Embedding(65, 16, rng=0)
    assert emb.weight.shape == (65, 16) and emb.weight.requires_grad
    assert abs(emb.weight.data.std() - 1.0) < 0.05 and abs(emb.weight.data.mean()) < 0.05
    np.testing.assert_array_equal(emb.weight.data, nn.Embedding(65, 16, rng=0).weight.data)
    ids = np.array([[1, 2, 1], [0, 64, 3]])
    out = emb(ids)
    assert out.shape == (2, 3, 16)
    np.testing.assert_array_equal(out.data[1, 1], emb.weight.data[64])
    assert repr(emb) == "Embedding(65, 16)" and emb.parameters() == [emb.weight]
    assert nn.Embedding(3, 2, dtype=np.float32).weight.dtype == np.float32


def test_gelu_identity_and_module_dict() -> None:
    x = Tensor([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(nn.GELU()(x).data, [-1 * 0.5 * (1 + math.erf(-1 / math.sqrt(2))),
                                                   0.0, 2 * 0.5 * (1 + math.erf(2 / math.sqrt(2)))])
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="approximate must be"):
        nn.GELU("erf")
    assert nn.Identity()(x, 1, key=2) is x
    layers = nn.ModuleDict({"encoder": nn.Linear(2, 3, rng=0), "head": nn.Linear(3, 1, rng=1)})
    layers["act"] = nn.Tanh()
    assert list(layers) == ["encoder", "head", "act"] and "head" in layers and len(layers) == 3
    names = [name for name, _ in layers.named_parameters()]
    assert names == ["encoder.weight", "encoder.bias", "head.weight", "head.bias"]

    class Net(nn.Module):
        def __init__(self) -> None:
            self.parts = layers

        def forward(self, x: Tensor) -> Tensor:
            return self.parts["head"](self.parts["act"](self.parts["encoder"](x)))

    net = Net().eval()
    assert not layers["act"].training  # eval() reaches modules inside a ModuleDict
    assert [n for n, _ in net.named_parameters()][0] == "parts.encoder.weight"
    assert net(np.ones((4, 2))).shape == (4, 1)
    with pytest.raises(KeyError, match="has no module 'decoder'"):
        layers["decoder"]
    with pytest.raises(TypeError, match="holds Modules, got int"):
        layers["x"] = 3


@pytest.mark.torch
def test_clip_grad_norm_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=4), None]
    for max_norm, norm_type in [(0.5, 2.0), (100.0, 2.0), (0.3, math.inf), (1.0, 1.0)]:
        ours = [Tensor(np.zeros(np.shape(g) or 2), requires_grad=True) for g in grads]
        theirs = [torch.zeros(*(np.shape(g) or (2,)), dtype=torch.float64, requires_grad=True)
                  for g in grads]
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else g.copy()
            q.grad = None if g is None else torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
        assert abs(float(total) - float(expected)) <= 1e-14 * float(expected)
        for p, q in zip(ours[:2], theirs[:2], strict=True):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-14, atol=0)
        assert ours[2].grad is None


def test_clip_grad_norm_scales_shared_gradients_once_and_checks_arguments() -> None:
    a, b = Tensor([3.0], requires_grad=True), Tensor([4.0], requires_grad=True)
    (a + b).sum().backward()  # the engine may hand both the same gradient array
    from chainrule.nn.utils import clip_grad_norm_

    total = clip_grad_norm_([a, b], max_norm=0.5)
    assert float(total) == pytest.approx(math.sqrt(2))
    np.testing.assert_allclose([a.grad[0], b.grad[0]], 0.5 / (math.sqrt(2) + 1e-6))
    with pytest.raises(RuntimeError, match="total norm of the gradients is nan"):
        a.grad = np.array([np.nan])
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="max_norm must be a real number"):
        clip_grad_norm_([a], "1")


@pytest.mark.torch
def test_a_shared_layer_keeps_every_name_in_state_dict_as_in_pytorch(tmp_path: Path) -> None:
    """named_parameters() lists a shared tensor once; state_dict() under each name."""
    torch = pytest.importorskip("torch")
    shared = nn.Linear(2, 2, rng=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    theirs_shared = torch.nn.Linear(2, 2)
    theirs = torch.nn.Sequential(theirs_shared, torch.nn.ReLU(), theirs_shared)
    ours_keys = [key.removeprefix("layers.") for key in model.state_dict()]
    assert ours_keys == list(theirs.state_dict())
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    model.save(tmp_path / "tied.npz")
    fresh = nn.Linear(2, 2, rng=5)
    nn.Sequential(fresh, nn.ReLU(), fresh).load(tmp_path / "tied.npz")
    np.testing.assert_array_equal(fresh.weight.data, shared.weight.data)


def test_pytorch_positional_arguments_we_do_not_take_are_refused() -> None:
    """nn.Embedding(10, 3, 0) means padding_idx=0 in PyTorch: not our rng."""
    with pytest.raises(TypeError, match="positional"):
        nn.Embedding(10, 3, 0)
    assert nn.Identity(54, unused="argument")(Tensor([1.0])).item() == 1.0


def test_dropout_rng_is_a_keyword_as_pytorchs_second_argument_is_inplace() -> None:
    with pytest.raises(TypeError, match="positional"):
        nn.Dropout(0.5, True)
    import chainrule.functional as F

    with pytest.raises(TypeError, match="positional"):
        F.dropout(Tensor([1.0]), 0.5, True, False)


def test_manual_seed_makes_every_layer_draw_repeat():
    """torch.manual_seed(0) makes a model built afterwards the same every time;
    chainrule.manual_seed must cover the layers' own draws too, not only randn."""
    import chainrule.functional as F
    from chainrule import manual_seed
    from chainrule.conv import Conv2d

    def build() -> list[np.ndarray]:
        manual_seed(0)
        layers = [nn.Linear(3, 2), nn.Embedding(5, 4), nn.MLP(3, [4, 2]), Conv2d(1, 2, 3)]
        drop = F.dropout(Tensor(np.ones((4, 4))), 0.5)
        return [p.data.copy() for layer in layers for p in layer.parameters()] + [drop.data]

    first, second = build(), build()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_module_dict_attribute_access_is_pytorchs() -> None:
    """nanoGPT writes self.transformer.wte for a ModuleDict entry; PyTorch allows
    it, and a module assigned as an attribute is registered (its parameters trained)."""
    layers = nn.ModuleDict({"wte": nn.Embedding(5, 3)})
    assert layers.wte is layers["wte"]
    layers.head = nn.Linear(3, 2)
    assert "head" in layers and layers.head is layers["head"]
    names = [name for name, _ in layers.named_parameters()]
    assert names == ["wte.weight", "head.weight", "head.bias"]
    with pytest.raises(AttributeError, match="no module 'lm'"):
        layers.lm  # noqa: B018


# ------------------------------------------------------------------ buffers
class _Counter(nn.Module):
    """A layer with a parameter, a buffer kept in the state dict and one kept out."""

    def __init__(self) -> None:
        self.weight = Tensor([1.0, 2.0], requires_grad=True)
        self.register_buffer("seen", Tensor([0.0, 0.0]))
        self.register_buffer("scratch", Tensor([5.0]), persistent=False)
        self.register_buffer("unused", None)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.weight


class _Outer(nn.Module):
    def __init__(self) -> None:
        self.inner = _Counter()
        self.register_buffer("steps", Tensor(0.0).long())
        self.head = nn.Linear(2, 1, rng=0)


def test_a_buffer_is_state_but_not_a_parameter() -> None:
    model = _Outer()
    assert [n for n, _ in model.named_parameters()] == [
        "inner.weight", "head.weight", "head.bias"]
    # PyTorch's order: a module's own tensors, then its sub-modules'
    assert [n for n, _ in model.named_buffers()] == ["steps", "inner.seen", "inner.scratch"]
    assert model.buffers()[1] is model.inner.seen
    assert [n for n, _ in model.named_buffers(recurse=False)] == ["steps"]
    # PyTorch's positional order: named_parameters(prefix, recurse, remove_duplicate)
    assert [n for n, _ in model.inner.named_parameters("x.", False)] == ["x.weight"]
    assert list(model.named_parameters("", False)) == []
    state = model.state_dict()  # non-persistent and None buffers are left out, as in PyTorch
    assert list(state) == ["steps", "inner.weight", "inner.seen", "head.weight", "head.bias"]
    assert state["steps"].dtype == np.int64 and state["steps"].shape == ()


def test_buffers_go_through_save_and_load(tmp_path: Path) -> None:
    model = _Outer()
    model.inner.seen += Tensor([3.0, 4.0])
    model.steps += 7
    model.save(tmp_path / "outer.npz")
    fresh = _Outer()
    fresh.load(tmp_path / "outer.npz")
    assert fresh.inner.seen.tolist() == [3.0, 4.0]
    assert fresh.steps.item() == 7 and fresh.steps.dtype == np.int64
    assert fresh.inner.scratch.tolist() == [5.0]  # not saved: keeps its own value


def test_register_buffer_refuses_what_pytorch_refuses() -> None:
    layer = _Counter()
    with pytest.raises(TypeError, match="ndarray.*Tensor or None"):
        layer.register_buffer("table", np.zeros(2))
    with pytest.raises(KeyError, match="'weight' already exists"):
        layer.register_buffer("weight", Tensor([0.0]))
    with pytest.raises(KeyError, match=r"contain '\.'"):
        layer.register_buffer("a.b", Tensor([0.0]))
    with pytest.raises(ValueError, match="requires grad.*parameter"):
        layer.register_buffer("learned", Tensor([0.0], requires_grad=True))
    assert [n for n, _ in layer.named_buffers()] == ["seen", "scratch"]


def test_load_state_dict_strict_and_not_strict() -> None:
    model = _Outer()
    old = {k: v for k, v in model.state_dict().items() if k not in ("inner.seen", "steps")}
    with pytest.raises(KeyError, match=r"\['inner.seen', 'steps'\].*buffers.*strict=False"):
        _Outer().load_state_dict(old)
    fresh = _Outer()
    fresh.head.weight.data[...] = 0.0
    result = fresh.load_state_dict({**old, "extra": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["inner.seen", "steps"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(fresh.head.weight.data, model.head.weight.data)
    assert model.load_state_dict(model.state_dict()) == ([], [])


# ------------------------------------------------------------------ frozen parameters
class _TwoLayers(nn.Module):
    """Linear -> ReLU -> Linear under PyTorch's names, for freezing the first."""

    def __init__(self, seed: int = 0) -> None:
        self.fc1 = nn.Linear(3, 4, rng=seed)
        self.fc2 = nn.Linear(4, 2, rng=seed + 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.fc1(x).relu())


def _torch_two_layers(torch, ours: _TwoLayers):
    """The PyTorch twin of `ours`, holding the same weights (float64)."""
    twin = torch.nn.Sequential()
    twin.fc1 = torch.nn.Linear(3, 4, dtype=torch.float64)
    twin.relu = torch.nn.ReLU()
    twin.fc2 = torch.nn.Linear(4, 2, dtype=torch.float64)
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return twin


@pytest.mark.torch
def test_a_frozen_weight_stays_a_parameter_in_pytorchs_place() -> None:
    """requires_grad_(False) stops the gradient, as in PyTorch; the tensor is still
    listed and saved (before, it dropped out of parameters() and state_dict())."""
    torch = pytest.importorskip("torch")
    ours = _TwoLayers()
    theirs = _torch_two_layers(torch, ours)
    ours.fc1.weight.requires_grad_(False)
    theirs.fc1.weight.requires_grad_(False)
    names = [name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in ours.named_parameters()] == names
    assert ours.parameters()[0] is ours.fc1.weight
    assert list(ours.state_dict()) == list(theirs.state_dict()) == names
    fresh = _TwoLayers(seed=5)
    fresh.fc1.weight.requires_grad_(False)
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(fresh.fc1.weight.data, theirs.fc1.weight.detach().numpy())


def test_a_frozen_layer_goes_through_save_and_load(tmp_path: Path) -> None:
    """A fine-tuned model with a frozen first layer comes back whole (before,
    the frozen layer was not saved, and the fresh model kept its own weights)."""
    model = _TwoLayers()
    model.fc1.weight.requires_grad_(False)
    model.fc1.bias.requires_grad_(False)
    model.save(tmp_path / "frozen.npz")
    fresh = _TwoLayers(seed=9)
    fresh.fc1.weight.requires_grad_(False)
    fresh.fc1.bias.requires_grad_(False)
    fresh.load(tmp_path / "frozen.npz")
    for mine, loaded in zip(model.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(loaded.data, mine.data)
    np.testing.assert_array_equal(fresh.fc1.weight.data, model.fc1.weight.data)
    assert not fresh.fc1.weight.requires_grad  # loading copies values, not the switch


@pytest.mark.torch
@pytest.mark.parametrize("make", ["SGD", "Adam"])
def test_optimizers_skip_a_frozen_weight_as_torch_optim_does(make: str) -> None:
    """The frozen weight has no .grad: SGD and Adam leave it (and clip_grad_norm_
    leaves it out of the norm), and move the others exactly as torch.optim does."""
    torch = pytest.importorskip("torch")
    from chainrule import optim

    ours = _TwoLayers()
    theirs = _torch_two_layers(torch, ours)
    for model in (ours, theirs):
        model.fc1.weight.requires_grad_(False)
    frozen = ours.fc1.weight.data.copy()
    settings = {"lr": 0.1, "weight_decay": 0.01}
    opt_ours = getattr(optim, make)(ours.parameters(), **settings)
    opt_theirs = getattr(torch.optim, make)(theirs.parameters(), **settings)
    assert len(opt_ours.params) == 4
    rng = np.random.default_rng(2)
    for _ in range(3):
        x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
        opt_ours.zero_grad()
        ((ours(Tensor(x)) - Tensor(y)) ** 2).mean().backward()
        norm = nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
        opt_ours.step()
        opt_theirs.zero_grad()
        ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean().backward()
        reference = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5)
        opt_theirs.step()
        assert ours.fc1.weight.grad is None
        assert float(norm) == pytest.approx(float(reference), rel=1e-13)
    np.testing.assert_array_equal(ours.fc1.weight.data, frozen)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-13,
                                   atol=1e-15, err_msg=name)


def test_a_parameter_takes_a_tensor_that_requires_grad_or_none() -> None:
    """As PyTorch refuses a plain tensor in a parameter's place (it would drop
    out of the state dict), chainrule does, saying how to freeze instead."""
    layer = nn.Linear(2, 3, rng=0)
    with pytest.raises(TypeError, match=r"'weight'.*requires_grad_\(False\)"):
        layer.weight = Tensor(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="'bias' is a parameter.*ndarray"):
        layer.bias = np.zeros(3)
    layer.bias = None  # skipped while None, as PyTorch skips a None parameter
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="'bias'"):
        layer.bias = Tensor(np.zeros(3))
    layer.bias = Tensor(np.ones(3), requires_grad=True)
    assert list(layer.state_dict()) == ["weight", "bias"]
    del layer.weight  # PyTorch's way to put a plain tensor there: no longer a parameter
    layer.weight = Tensor(np.zeros((3, 2)))
    assert list(layer.state_dict()) == ["bias"]
    assert layer(Tensor([[1.0, 2.0]])).tolist() == [[1.0, 1.0, 1.0]]


def test_tensors_in_a_list_are_registered_when_the_list_is_set() -> None:
    """chainrule also finds parameters in a list (PyTorch would need a
    ParameterList): registered under dotted names when the list is set, so a
    frozen one stays, and setting the list again registers afresh."""
    model = nn.Module()
    model.scales = [Tensor([1.0], requires_grad=True), Tensor([2.0])]
    model.scales[0].requires_grad_(False)
    assert [name for name, _ in model.named_parameters()] == ["scales.0"]
    model.scales = [Tensor([3.0]), Tensor([4.0], requires_grad=True)]
    assert list(model.state_dict()) == ["scales.1"]
    model.scales = nn.Linear(1, 1, rng=0)  # a module in the name's place, as PyTorch allows
    assert list(model.state_dict()) == ["scales.weight", "scales.bias"]

"""Tests of `chainrule.scalar_nn`: neurons, layers, the MLP, losses and training."""

from __future__ import annotations

import gc
import math

import pytest

from chainrule import Value
from chainrule.data import make_moons
from chainrule.gradcheck import numerical_gradient
from chainrule.scalar_nn import (
    MLP,
    Layer,
    Neuron,
    accuracy,
    hinge_loss,
    l2_penalty,
    mse_loss,
    train,
    train_step,
)


def test_neuron_computes_activation_of_weighted_sum() -> None:
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432
    out = n([2.0, 0.0])
    assert out.data == pytest.approx(math.tanh(-6.0 + 6.8813735870195432))
    assert [p.label for p in n.parameters()] == ["w0", "w1", "b"]


@pytest.mark.parametrize(
    ("activation", "reference"),
    [
        ("tanh", math.tanh),
        ("relu", lambda z: max(z, 0.0)),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        (None, lambda z: z),
    ],
)
def test_neuron_activations(activation, reference) -> None:
    n = Neuron(3, activation)
    x = [0.5, -1.0, 2.0]
    z = n.b.data + sum(w.data * xi for w, xi in zip(n.w, x, strict=True))
    assert n(x).data == pytest.approx(reference(z))


def test_bad_activation_and_wrong_input_size_are_named() -> None:
    with pytest.raises(ValueError, match="'softplus'"):
        Neuron(2, "softplus")
    with pytest.raises(ValueError, match="'gelu'"):
        MLP(2, [3, 1], activation="gelu")
    with pytest.raises(ValueError, match="2 weights but got 3 inputs"):
        Neuron(2)([1.0, 2.0, 3.0])


def test_layer_and_mlp_shapes_and_parameters() -> None:
    layer = Layer(3, 4)
    assert len(layer([1.0, 2.0, 3.0])) == 4
    assert len(layer.parameters()) == 4 * (3 + 1)
    model = MLP(2, [16, 16, 1])
    assert isinstance(model([0.5, -0.5]), Value)
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert repr(model) == "MLP(2, [16, 16, 1])"
    assert len(MLP(2, [3, 2])([1.0, 1.0])) == 2


def test_seed_makes_weights_reproducible() -> None:
    def weights(model: MLP) -> list[float]:
        return [p.data for p in model.parameters()]

    assert weights(MLP(2, [4, 1], seed=3)) == weights(MLP(2, [4, 1], seed=3))
    assert weights(MLP(2, [4, 1], seed=3)) != weights(MLP(2, [4, 1], seed=4))


def test_output_activation() -> None:
    model = MLP(2, [4, 1], activation="relu", output_activation=None)
    assert model.layers[0].neurons[0].activation == "relu"
    assert model.layers[-1].neurons[0].activation is None
    assert MLP(2, [4, 1]).layers[-1].neurons[0].activation == "tanh"


def test_zero_grad_clears_every_parameter() -> None:
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_losses() -> None:
    preds = [Value(0.5), Value(-1.0)]
    assert mse_loss(preds, [1.0, -1.0]).data == pytest.approx(0.125)
    assert hinge_loss(preds, [1, -1]).data == pytest.approx(0.25)
    assert l2_penalty(preds, alpha=0.1).data == pytest.approx(0.125)
    assert accuracy(preds, [1, 1]) == 0.5
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse_loss(preds, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="'l1'"):
        train_step(MLP(2, [1]), [[0.0, 0.0]], [1.0], loss="l1")


def test_mlp_gradients_match_central_differences() -> None:
    model = MLP(2, [3, 3, 1], seed=1)
    X, y = make_moons(6, seed=2)
    params = model.parameters()

    def loss_at(*values: float) -> float:
        for p, v in zip(params, values, strict=True):
            p.data = v
        return mse_loss([model(x) for x in X], y).data

    start = [p.data for p in params]
    loss = mse_loss([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()
    analytic = [p.grad for p in params]
    numeric = numerical_gradient(loss_at, start)
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_training_on_two_moons_lowers_the_loss_and_restores_gc() -> None:
    X, y = make_moons(40, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    assert gc.isenabled()
    history = train(model, X, y, steps=30, learning_rate=0.1)
    assert gc.isenabled()
    assert len(history) == 30
    assert history[-1] < 0.6 * history[0]
    assert accuracy([model(x) for x in X], y) >= 0.8


def test_train_step_with_hinge_loss_and_penalty() -> None:
    X, y = make_moons(30, seed=1)
    model = MLP(2, [8, 1], activation="relu", output_activation=None, seed=1)
    losses = [train_step(model, X, y, 0.05, loss="hinge", alpha=1e-4) for _ in range(15)]
    assert losses[-1] < losses[0]


def test_train_step_keeps_a_disabled_gc_disabled() -> None:
    gc.disable()
    try:
        train_step(MLP(2, [2, 1]), [[0.0, 1.0]], [1.0])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_network_runs_on_the_readers_own_value_class() -> None:
    """MLP(value_type=our_value.Value) builds our class's parameters and gives the
    same losses, step by step, as the package's Value."""
    from chainrule.our_value import Value as OurValue
    from chainrule.scalar_nn import train

    points, labels = make_moons(8, noise=0.1, seed=1)
    ours, package = MLP(2, [4, 1], seed=3, value_type=OurValue), MLP(2, [4, 1], seed=3)
    assert all(type(p) is OurValue for p in ours.parameters())
    assert all(type(p) is Value for p in package.parameters())
    by_ours = train(ours, points, labels, steps=3, learning_rate=0.1)
    by_package = train(package, points, labels, steps=3, learning_rate=0.1)
    assert all(abs(a - b) < 1e-12 for a, b in zip(by_ours, by_package, strict=True))

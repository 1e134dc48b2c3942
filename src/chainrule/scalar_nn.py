"""Neurons, layers and a multi-layer perceptron made of `Value`s, a loss, a training loop.

The same surface as micrograd's ``nn`` (``MLP(nin, [sizes])``,
``parameters()``, ``zero_grad()``), with a choice of activation, a seed for
reproducible weights, and losses and a training step to go with them.

Standard library only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from chainrule._checks import positive_int
from chainrule.scalar import Value, gc_paused

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "accuracy",
    "hinge_loss",
    "l2_penalty",
    "mse_loss",
    "train",
    "train_step",
]

Number = int | float
Input = Sequence[Value | Number]
ACTIVATIONS = ("tanh", "relu", "sigmoid", None)


# --8<-- [start:module]
class Module:
    """Something with parameters: a neuron, a layer, a network."""

    def parameters(self) -> list[Value]:
        """Every `Value` that training should adjust."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 before the next backward pass.

        Gradients accumulate (``+=``), so without this each step would add
        its gradient to those of all earlier steps.
        """
        for p in self.parameters():
            p.grad = 0.0
# --8<-- [end:module]


# --8<-- [start:neuron]
class Neuron(Module):
    """activation(w . x + b): a weighted sum of the inputs plus a bias, squashed.

    Weights start uniform in [-1, 1], the bias at 0. `activation` is
    ``"tanh"`` (the default), ``"relu"``, ``"sigmoid"`` or ``None`` (linear).
    `value_type` is the class of the parameters: the neuron only adds,
    multiplies and calls the activation, so with ``"tanh"``, ``"relu"`` or
    ``None`` the reader's own `chainrule.our_value.Value` works as well as
    `chainrule.Value` (it has no ``sigmoid``).
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        rng: random.Random | None = None,
        value_type: type = Value,
    ) -> None:
        _check_activation(activation)
        nin = positive_int(nin, "nin", "Neuron")
        rng = rng or random.Random(0)
        self.w = [value_type(rng.uniform(-1.0, 1.0), label=f"w{i}") for i in range(nin)]
        self.b = value_type(0.0, label="b")
        self.activation = activation

    def __call__(self, x: Input) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron has {len(self.w)} weights but got {len(x)} inputs")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        return act if self.activation is None else getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]
    # --8<-- [end:neuron]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


# --8<-- [start:layer]
class Layer(Module):
    """`nout` neurons, each looking at the same `nin` inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        rng: random.Random | None = None,
        value_type: type = Value,
    ) -> None:
        nout = positive_int(nout, "nout", "Layer")
        rng = rng or random.Random(0)
        self.neurons = [Neuron(nin, activation, rng, value_type) for _ in range(nout)]

    def __call__(self, x: Input) -> Value | list[Value]:
        """A list of outputs, or the single `Value` when the layer has one neuron."""
        out = [neuron(x) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]
    # --8<-- [end:layer]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons)} x {self.neurons[0]!r})"


# --8<-- [start:mlp]
class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    Hidden layers use `activation`; the last layer uses `output_activation`
    (``"tanh"`` by default, so outputs lie in (-1, 1) like labels -1 and +1;
    ``None`` gives a linear output, as micrograd's MLP, for `hinge_loss`).
    `seed` makes the initial weights reproducible; `value_type` is the class
    of the parameters (see `Neuron`).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "tanh",
        output_activation: str | None = "tanh",
        seed: int | None = 0,
        value_type: type = Value,
    ) -> None:
        _check_activation(activation)
        _check_activation(output_activation)
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        if len(sizes) < 2:
            raise ValueError(f"MLP: nouts must list at least one layer size, got {nouts!r}")
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng,
                  value_type)
            for i in range(len(nouts))
        ]

    def __call__(self, x: Input) -> Value | list[Value]:
        with gc_paused():  # a forward pass only adds nodes: no cycles to look for
            for layer in self.layers:
                x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]
    # --8<-- [end:mlp]

    def __repr__(self) -> str:
        sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({sizes[0]}, {sizes[1:]})"


# --8<-- [start:losses]
def mse_loss(predictions: Sequence[Value], targets: Sequence[Number]) -> Value:
    """Mean squared error: the average of (prediction - target)**2."""
    _check_lengths(predictions, targets)
    squares = [(p - t) ** 2 for p, t in zip(predictions, targets, strict=True)]
    return sum(squares) * (1.0 / len(squares))


def hinge_loss(scores: Sequence[Value], labels: Sequence[Number]) -> Value:
    """Max-margin loss for labels -1/+1: the average of relu(1 - label * score).

    Zero for a point on the right side with margin at least 1.
    """
    _check_lengths(scores, labels)
    margins = [(1 - y * s).relu() for s, y in zip(scores, labels, strict=True)]
    return sum(margins) * (1.0 / len(margins))


def l2_penalty(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """alpha * (sum of squared parameters): a pull towards small weights."""
    return alpha * sum(p * p for p in parameters)
# --8<-- [end:losses]


def accuracy(scores: Sequence[Value | Number], labels: Sequence[Number]) -> float:
    """The fraction of points whose score has the sign of their label (-1/+1)."""
    _check_lengths(scores, labels)
    right = sum((_data(s) > 0) == (y > 0) for s, y in zip(scores, labels, strict=True))
    return right / len(labels)


LOSSES: dict[str, Callable[[Sequence[Value], Sequence[Number]], Value]] = {
    "mse": mse_loss,
    "hinge": hinge_loss,
}


# --8<-- [start:train_step]
def train_step(
    model: Module,
    inputs: Sequence[Input],
    targets: Sequence[Number],
    learning_rate: float = 0.05,
    loss: str = "mse",
    alpha: float = 0.0,
) -> float:
    """One step of gradient descent on the whole data set; returns the loss.

    Forward (the model on every input, then the loss), backward (after
    clearing the old gradients), update (each parameter a small step
    against its gradient). The cyclic garbage collector is paused for the
    step and restored afterwards (see `gc_paused`); the step's graph is
    freed before that, so the collector never walks it at all.
    """
    with gc_paused():
        scores = [model(x) for x in inputs]
        total = _loss_function(loss)(scores, targets)
        if alpha:
            total = total + l2_penalty(model.parameters(), alpha)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        loss_value = total.data
        del scores, total  # free the graph while the collector still sleeps
    return loss_value
# --8<-- [end:train_step]


def train(
    model: Module,
    inputs: Sequence[Input],
    targets: Sequence[Number],
    steps: int = 100,
    learning_rate: float = 0.05,
    loss: str = "mse",
    alpha: float = 0.0,
) -> list[float]:
    """Run `train_step` `steps` times; returns the loss before each update."""
    return [train_step(model, inputs, targets, learning_rate, loss, alpha) for _ in range(steps)]


def _loss_function(name: str) -> Callable[[Sequence[Value], Sequence[Number]], Value]:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name]


def _check_activation(activation: str | None) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")


def _check_lengths(predictions: Sequence[object], targets: Sequence[object]) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions but {len(targets)} targets")
    if not targets:
        raise ValueError("a loss needs at least one prediction")


def _data(x: Value | Number) -> float:
    return x.data if isinstance(x, Value) else float(x)

"""Layers made of tensors: `Module`, `Linear`, activations, `Sequential`, `MLP`.

The names follow PyTorch so that what the reader learns here transfers. One
deliberate difference: `Linear` stores its weight as (in_features,
out_features), so a layer computes ``x @ weight + bias`` exactly as the
book's equations write it (PyTorch stores the transpose and computes
``x @ weight.T + bias``).

Weights are saved to and loaded from ``.npz`` files holding plain arrays.
Loading refuses pickled objects: unpickling a file can run arbitrary code.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chainrule.functional import linear
from chainrule.tensor import Tensor

__all__ = ["MLP", "Linear", "Module", "ReLU", "Sequential", "Sigmoid", "Tanh"]

PathLike = str | os.PathLike


class Module:
    """Base class of a layer or a model.

    A subclass sets its tensors and sub-modules as attributes in ``__init__``
    and defines ``forward``; `parameters` finds every tensor that requires a
    gradient, in the order the attributes were set.
    """

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def __call__(self, x: Any) -> Tensor:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x))

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Pairs (dotted name, tensor), e.g. ``("layers.0.weight", W)``."""
        for name, value in vars(self).items():
            yield from _named(value, prefix + name)

    def parameters(self) -> list[Tensor]:
        """Every tensor of this module and its sub-modules that requires a gradient."""
        return [tensor for _, tensor in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (set them to None)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> array (a copy) of every parameter."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays into the parameters, in place. Names and shapes must match."""
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}: parameters missing from the weights: {missing}; "
                f"names in the weights that this model does not have: {unexpected}"
            )
        for name, p in own.items():
            array = np.asarray(state[name])
            if array.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: {name} has shape {p.data.shape} "
                    f"but the weights hold shape {array.shape}"
                )
            p.data[...] = array

    def save(self, path: PathLike) -> None:
        """Write every parameter to an ``.npz`` file (plain arrays, no pickle)."""
        np.savez(path, **self.state_dict())

    def load(self, path: PathLike) -> None:
        """Read parameters written by `save`. A file holding pickled objects is
        refused with a ValueError: loading a pickle can run arbitrary code."""
        with np.load(path, allow_pickle=False) as archive:
            state = {}
            for name in archive.files:
                try:
                    state[name] = archive[name]
                except ValueError:
                    raise ValueError(
                        f"{os.fspath(path)!r}: array {name!r} holds pickled Python objects; "
                        "chainrule loads plain numeric arrays only, since unpickling "
                        "a file can run arbitrary code"
                    ) from None
        self.load_state_dict(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _named(value: Any, name: str) -> Iterator[tuple[str, Tensor]]:
    if isinstance(value, Tensor):
        if value.requires_grad:
            yield name, value
    elif isinstance(value, Module):
        yield from value.named_parameters(name + ".")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _named(item, f"{name}.{i}")


# --8<-- [start:Linear]
class Linear(Module):
    """A fully connected layer: ``x @ weight + bias``, weight (in, out).

    ``init="he"`` draws weights from N(0, 2 / in_features), which keeps the
    signal's second moment steady through ReLU layers; ``init="xavier"`` draws
    from U(-a, a) with a = sqrt(6 / (in + out)), variance 2 / (in + out),
    derived for tanh (slope 1 at 0). Neither keeps a deep sigmoid stack steady.
    `rng` (a ``numpy.random.Generator`` or a seed) makes the draw repeatable.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        rng = np.random.default_rng(rng)
        shape = (in_features, out_features)
        if init == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / in_features), size=shape)
        elif init == "xavier":
            limit = np.sqrt(6.0 / (in_features + out_features))
            w = rng.uniform(-limit, limit, size=shape)
        else:
            raise ValueError(f"Linear: init must be 'he' or 'xavier', got {init!r}")
        self.weight = Tensor(w.astype(dtype), requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype), requires_grad=True) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)
# --8<-- [end:Linear]

    def __repr__(self) -> str:
        n_in, n_out = self.weight.shape
        return f"Linear({n_in}, {n_out}, bias={self.bias is not None})"


class ReLU(Module):
    """max(x, 0), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Sequential(Module):
    """Modules applied one after the other."""

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}({inner})"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers with an activation between them.

    ``MLP(64, [128, 10])`` is Linear(64, 128), ReLU, Linear(128, 10): the last
    layer has no activation, so it outputs logits for `cross_entropy`. He
    initialisation for ReLU, Xavier for tanh and sigmoid.
    """

    def __init__(
        self,
        n_in: int,
        n_outs: Sequence[int],
        activation: str = "relu",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"MLP: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        rng = np.random.default_rng(rng)
        init = "he" if activation == "relu" else "xavier"
        sizes = [n_in, *n_outs]
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
            if i < len(n_outs) - 1:
                layers.append(_ACTIVATIONS[activation]())
        super().__init__(*layers)

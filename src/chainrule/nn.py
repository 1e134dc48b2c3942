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
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from chainrule._checks import flag, positive_int
from chainrule.functional import dropout, linear
from chainrule.tensor import Tensor

__all__ = [
    "MLP", "Dropout", "Linear", "Module", "ModuleList", "ReLU", "Sequential", "Sigmoid", "Tanh",
]

PathLike = str | os.PathLike


class Module:
    """Base class of a layer or a model.

    A subclass sets its tensors and sub-modules as attributes in ``__init__``
    and defines ``forward``; `parameters` finds every tensor that requires a
    gradient, in the order the attributes were set.
    """

    training = True  # train() and eval() switch it, for this module and every sub-module

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def children(self) -> Iterator[Module]:
        """The sub-modules set as attributes (directly or in a list or tuple)."""
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            yield from (item for item in items if isinstance(item, Module))

    def train(self, mode: bool = True) -> Module:
        """Training mode (the default): layers such as `Dropout` are active.
        Returns the module, so ``model.train()`` can be chained."""
        self.training = flag(mode, "mode", f"{type(self).__name__}.train")
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: `Dropout` passes its input through unchanged."""
        return self.train(False)

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

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy arrays into the parameters, in place: all or nothing.

        Names, shapes and dtypes (real numbers only) are checked for every
        parameter first; only then is anything copied, so a bad entry leaves
        the model exactly as it was.
        """
        name_of_model = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{name_of_model}.load_state_dict needs a dict, got {type(state).__name__}"
            )
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}: parameters missing from the weights: {missing}; "
                f"names in the weights that this model does not have: {unexpected}"
            )
        arrays = {}
        for name, p in own.items():  # check everything first ...
            array = np.asarray(state[name])
            if array.dtype.kind not in "fiu":
                raise ValueError(
                    f"{name_of_model}: {name} holds {array.dtype} values; "
                    "weights must be real numbers (float or int)"
                )
            if array.shape != p.data.shape:
                raise ValueError(
                    f"{name_of_model}: {name} has shape {p.data.shape} "
                    f"but the weights hold shape {array.shape}"
                )
            arrays[name] = array
        for name, p in own.items():  # ... then copy
            p.data[...] = arrays[name]

    def save(self, path: PathLike) -> None:
        """Write every parameter to an ``.npz`` file (plain arrays, no pickle).
        As numpy does, ``.npz`` is appended to a name without it; `load`
        finds the file under either name."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"save needs a file name, got {type(path).__name__} {path!r:.40}")
        np.savez(path, **self.state_dict())

    def load(self, path: PathLike) -> None:
        """Read parameters written by `save`, all or nothing (see `load_state_dict`).

        Anything but an ``.npz`` archive (a ``.npy`` array, a text file, an
        empty file) is refused with a ValueError naming the file, and so is
        an archive holding pickled objects: unpickling can run arbitrary code.
        """
        path = _weights_file(path)
        if os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not a weights file written by save()")
        with open(path, "rb") as file:
            head = file.read(6)
        if not head:
            raise ValueError(f"{path!r} is empty, not a weights file written by save()")
        if head.startswith(b"\x93NUMPY"):
            raise ValueError(
                f"{path!r} is a single-array .npy file; load() reads the .npz archive "
                "that save() writes (one array per parameter name)"
            )
        if not head.startswith(b"PK"):
            raise ValueError(
                f"{path!r} is not an .npz archive written by save() (it starts with {head!r})"
            )
        try:
            archive = np.load(path, allow_pickle=False)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ValueError(f"{path!r} is not a readable .npz archive: {error}") from None
        with archive:
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


def _weights_file(path: Any) -> str:
    """The file `save(path)` wrote: `path` itself, or `path` + ".npz" as numpy names it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load needs a file name, got {type(path).__name__} {path!r:.40}")
    name = os.fspath(path)
    if not os.path.exists(name) and os.path.exists(name + ".npz"):
        return name + ".npz"
    return name


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
        in_features = positive_int(in_features, "in_features", "Linear")
        out_features = positive_int(out_features, "out_features", "Linear")
        rng = np.random.default_rng(rng)
        shape = (in_features, out_features)
        if init == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / in_features), size=shape)
        elif init == "xavier":
            limit = np.sqrt(6.0 / (in_features + out_features))
            w = rng.uniform(-limit, limit, size=shape)
        else:
            raise ValueError(f"Linear: init must be 'he' or 'xavier', got {init!r}")
        self.weight = Tensor(w.astype(_float_dtype(dtype)), requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype), requires_grad=True) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)
# --8<-- [end:Linear]

    def __repr__(self) -> str:
        n_in, n_out = self.weight.shape
        return f"Linear({n_in}, {n_out}, bias={self.bias is not None})"


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = ""
    if kind != "f":
        raise TypeError(f"dtype must be a float type such as numpy.float32, got {dtype!r:.40}")
    return np.dtype(dtype)


class ModuleList(Module):
    """A list of modules whose parameters the enclosing model can find.

    Use it when a model holds a variable number of layers and calls them in
    its own `forward`; parameters are named ``0.weight``, ``1.bias``, ...
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        self._items: list[Module] = []
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
        self._items.append(module)
        return self

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for i, module in enumerate(self._items):
            yield from module.named_parameters(f"{prefix}{i}.")

    def __getitem__(self, index: int) -> Module:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(
            "ModuleList has no forward: call its modules from your model's forward"
        )

    def __repr__(self) -> str:
        return f"ModuleList({', '.join(repr(m) for m in self._items)})"


class Dropout(Module):
    """In training, zero each element with probability `p` and scale the
    rest by 1 / (1 - p), so the expected output equals the input; in
    evaluation (``model.eval()``), pass the input through unchanged.
    `rng` (a generator or a seed) makes the masks repeatable.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        dropout(Tensor(0.0), p, training=False)  # checks p
        self.p = float(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, training=self.training, rng=self.rng)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


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
        n_in = positive_int(n_in, "n_in", "MLP")
        if isinstance(n_outs, (str, bytes)) or not isinstance(n_outs, Iterable):
            raise TypeError(f"MLP: n_outs must be a list of layer sizes, got {n_outs!r:.40}")
        n_outs = [positive_int(n, f"n_outs[{i}]", "MLP") for i, n in enumerate(n_outs)]
        if not n_outs:
            raise ValueError("MLP: n_outs must list at least one layer size, got []")
        rng = np.random.default_rng(rng)
        init = "he" if activation == "relu" else "xavier"
        sizes = [n_in, *n_outs]
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
            if i < len(n_outs) - 1:
                layers.append(_ACTIVATIONS[activation]())
        super().__init__(*layers)

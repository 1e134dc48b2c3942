"""Layers made of tensors: `Module`, `Linear`, activations, `Sequential`, `MLP`.

The names follow PyTorch so that what the reader learns here transfers, and
so do the layouts: `Linear` stores its weight as PyTorch does, (out_features,
in_features), one row per output unit, and computes ``x @ weight.T + bias``.
A state dict copied from a PyTorch model needs no transposing.

Weights are saved to and loaded from ``.npz`` files holding plain arrays.
Loading refuses pickled objects: unpickling a file can run arbitrary code.
"""

from __future__ import annotations

import math
import os
import sys
import types
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from chainrule._checks import flag, positive_int, real
from chainrule.functional import dropout, embedding, gelu, linear
from chainrule.tensor import Tensor, default_rng

__all__ = [
    "GELU", "MLP", "Dropout", "Embedding", "Identity", "Linear", "Module", "ModuleDict",
    "ModuleList", "ReLU", "Sequential", "Sigmoid", "Tanh", "utils",
]

PathLike = str | os.PathLike


class Module:
    """Base class of a layer or a model.

    A subclass sets its tensors and sub-modules as attributes in ``__init__``
    and defines ``forward``. A tensor that requires a gradient when it is set
    becomes a *parameter* (see `__setattr__`); `parameters` lists the
    module's own, in the order the attributes were set, then each
    sub-module's, as PyTorch orders them. State that is not learned but must
    be saved with the model (running statistics) is registered with
    `register_buffer`.
    """

    training = True  # train() and eval() switch it, for this module and every sub-module

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; a tensor that requires grad is registered as a parameter.

        Registration happens here, once, as PyTorch registers an
        ``nn.Parameter`` when it is assigned (a tensor in a list, tuple or
        dict is registered under its dotted name, ``blocks.0``). A parameter
        stays one when it is frozen later with ``requires_grad_(False)``:
        only its gradient stops (an optimizer skips it, its ``.grad`` being
        None), and it is still listed, saved and loaded. A parameter set to
        None is skipped until a tensor comes back. A tensor that does not
        require grad in a parameter's place is refused, as PyTorch refuses
        it: it would silently drop out of the saved weights.
        """
        names = vars(self).setdefault("_parameters", set())  # dotted names, e.g. "weight"
        learnable = isinstance(value, Tensor) and value.requires_grad
        if name in names and not (learnable or value is None or isinstance(value, Module)):
            kind = "Tensor that does not require grad" if isinstance(value, Tensor) \
                else type(value).__name__
            raise TypeError(
                f"{type(self).__name__}: {name!r} is a parameter, so it takes a Tensor "
                f"that requires grad (or None), not a {kind}. To freeze it, call "
                f"{name}.requires_grad_(False) on the parameter; to change its values, "
                f"copy into {name}.data; to put a constant there, del the attribute first"
            )
        if value is not None and name not in vars(self).get("_buffers", {}):
            names -= _own_names(names, name)
            found: list[tuple[str, Tensor]] = []
            _sort_out(value, name, found, [])
            names.update(dotted for dotted, tensor in found if tensor.requires_grad)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        """``del module.weight`` removes a parameter's registration with it, as in PyTorch."""
        super().__delattr__(name)
        names = vars(self).get("_parameters", set())
        names -= _own_names(names, name)

    def children(self) -> Iterator[Module]:
        """The sub-modules set as attributes (directly, or in a list, tuple or dict)."""
        for value in vars(self).values():
            if isinstance(value, dict):
                value = list(value.values())
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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``model(x)`` runs ``model.forward(x)``; any other arguments are passed on.

        A first argument that is an array, a list or a number becomes a Tensor,
        so ``model(numpy_batch)`` works.
        """
        if args and isinstance(args[0], (np.ndarray, list, tuple, int, float)):
            args = (Tensor(args[0]), *args[1:])
        return self.forward(*args, **kwargs)

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Pairs (dotted name, tensor), e.g. ``("layers.0.weight", W)``.

        A tensor reached twice (a layer used in two places, or a weight tied
        to another) is listed once, under its first name, as in PyTorch: an
        optimizer must move it once per step, not twice.
        ``remove_duplicate=False`` lists it under every name;
        ``recurse=False`` lists this module's own tensors, not its sub-modules'.
        """
        pairs = self._members(prefix, recurse, parameters=True, buffers="none")
        return _first_of_each(pairs) if remove_duplicate else pairs

    def parameters(self, recurse: bool = True) -> list[Tensor]:
        """Every parameter of this module and its sub-modules (each once, however
        many places hold it), frozen ones included, as in PyTorch."""
        return [tensor for _, tensor in self.named_parameters(recurse=recurse)]

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep `tensor` as ``self.<name>``: state that is not learned, as PyTorch's
        ``register_buffer`` (BatchNorm's running statistics are buffers).

        No optimizer moves a buffer (it is not in `parameters`), but
        `state_dict`, `save` and `load` carry it beside the parameters, so a
        saved model comes back computing the same numbers. ``persistent=False``
        keeps it out of the state dict; a buffer set to None is skipped.
        """
        owner = f"{type(self).__name__}.register_buffer"
        if not isinstance(name, str):
            raise TypeError(f"{owner}: the name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{owner}: a buffer name cannot be empty or contain '.', got {name!r}")
        own = vars(self).setdefault("_buffers", {})  # name -> persistent
        if name in vars(self) and name not in own:
            raise KeyError(f"{owner}: attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"{owner}: cannot make a {type(tensor).__name__} the buffer {name!r} "
                "(a Tensor or None is needed); wrap an array as Tensor(array)"
            )
        if tensor is not None and tensor.requires_grad:
            raise ValueError(
                f"{owner}: {name!r} requires grad, which makes it a parameter (set it "
                "as an attribute); a buffer is state that is not learned: pass .detach()"
            )
        own[name] = flag(persistent, "persistent", owner)
        setattr(self, name, tensor)

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Pairs (dotted name, buffer), e.g. ``("bn.running_mean", tensor)``."""
        pairs = self._members(prefix, recurse, parameters=False, buffers="all")
        return _first_of_each(pairs) if remove_duplicate else pairs

    def buffers(self, recurse: bool = True) -> list[Tensor]:
        """Every buffer of this module and its sub-modules (each once)."""
        return [tensor for _, tensor in self.named_buffers(recurse=recurse)]

    def _members(
        self, prefix: str, recurse: bool, parameters: bool, buffers: str
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every parameter (if `parameters`) and buffer
        (`buffers`: "none", "all" or "persistent"), a tensor held twice under
        each of its names. PyTorch's order: this module's own parameters, then
        its own buffers, then each sub-module's members, each group in the
        order the attributes were set."""
        own_parameters = vars(self).get("_parameters", set())
        own_buffers = vars(self).get("_buffers", {})
        tensors: list[tuple[str, Tensor]] = []
        modules: list[tuple[str, Module]] = []
        kept_buffers = []
        for name, value in self._entries():
            if name not in own_buffers:
                _sort_out(value, name, tensors, modules)
            elif value is not None and (buffers == "all" or
                                        buffers == "persistent" and own_buffers[name]):
                if not isinstance(value, Tensor):
                    raise TypeError(f"{type(self).__name__}: the buffer {name!r} holds a "
                                    f"{type(value).__name__}; a buffer is a Tensor or None")
                kept_buffers.append((prefix + name, value))
        if parameters:
            yield from ((prefix + name, t) for name, t in tensors if name in own_parameters)
        yield from kept_buffers
        if recurse:
            for name, module in modules:
                yield from module._members(prefix + name + ".", recurse, parameters, buffers)

    def _entries(self) -> Iterable[tuple[str, Any]]:
        """(name, value) of what this module holds, in the order it was set."""
        return vars(self).items()

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (set them to None)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> array (a copy) of every parameter and persistent buffer, in
        PyTorch's names; a shared one under each of its names, as in PyTorch."""
        pairs = self._members("", True, parameters=True, buffers="persistent")
        return {name: t.data.copy() for name, t in pairs}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters and buffers, in place: all or nothing.

        Names, shapes and dtypes (real numbers only) are checked for every
        entry first; only then is anything copied, so a bad entry leaves the
        model exactly as it was. As in PyTorch, ``strict=False`` loads the
        names both sides have and returns the others, (missing_keys,
        unexpected_keys), instead of raising.
        """
        name_of_model = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{name_of_model}.load_state_dict needs a dict, got {type(state).__name__}"
            )
        own = dict(self._members("", True, parameters=True, buffers="persistent"))
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if flag(strict, "strict", f"{name_of_model}.load_state_dict") and (missing or unexpected):
            raise KeyError(_key_message(self, missing, unexpected))
        arrays = {}
        for name, p in own.items():  # check everything first ...
            if name not in state:
                continue
            array = np.asarray(state[name])
            if array.dtype.kind not in "fiu":
                raise ValueError(
                    f"{name_of_model}: {name} holds {array.dtype} values; "
                    "weights must be real numbers (float or int)"
                )
            if array.shape != p.data.shape:
                transposed = array.ndim == 2 and array.shape[::-1] == p.data.shape
                raise ValueError(
                    f"{name_of_model}: {name} has shape {p.data.shape} "
                    f"but the weights hold shape {array.shape}"
                    + (" (its transpose: a Linear weight is (out, in), as in PyTorch; "
                       "files saved before that change hold (in, out))" if transposed else "")
                )
            arrays[name] = array
        for name, array in arrays.items():  # ... then copy
            own[name].data[...] = array
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: PathLike) -> None:
        """Write the `state_dict` (parameters and buffers) to an ``.npz`` file
        (plain arrays, no pickle).
        As numpy does, ``.npz`` is appended to a name without it; `load`
        finds the file under either name."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"save needs a file name, got {type(path).__name__} {path!r:.40}")
        np.savez(path, **self.state_dict())

    def load(self, path: PathLike, strict: bool = True) -> IncompatibleKeys:
        """Read what `save` wrote, all or nothing (see `load_state_dict`).

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
            state = {name: _read_member(archive, name, path) for name in archive.files}
        return self.load_state_dict(state, strict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _read_member(archive: Any, name: str, path: str) -> np.ndarray:
    """One array of an open ``.npz`` archive, or a ValueError naming the file and
    the array: pickled objects are refused, and so is a damaged member (a bad
    checksum or header), which zipfile and numpy report in their own terms."""
    try:
        return archive[name]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(
                f"{path!r}: array {name!r} holds pickled Python objects; "
                "chainrule loads plain numeric arrays only, since unpickling "
                "a file can run arbitrary code"
            ) from None
        raise ValueError(f"{path!r}: array {name!r} is damaged: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise ValueError(
            f"{path!r} is a damaged .npz archive: array {name!r} cannot be read ({error})"
        ) from None


def _weights_file(path: Any) -> str:
    """The file `save(path)` wrote: `path` itself, or `path` + ".npz" as numpy names it."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load needs a file name, got {type(path).__name__} {path!r:.40}")
    name = os.fspath(path)
    if not os.path.exists(name) and os.path.exists(name + ".npz"):
        return name + ".npz"
    return name


def _sort_out(
    value: Any, name: str, tensors: list[tuple[str, Tensor]], modules: list[tuple[str, Module]]
) -> None:
    """File an attribute's value under `tensors` or `modules` by its dotted name:
    a tensor, a module, or a list, tuple or dict of them (other values are not state)."""
    if isinstance(value, Tensor):
        tensors.append((name, value))
    elif isinstance(value, Module):
        modules.append((name, value))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _sort_out(item, f"{name}.{i}", tensors, modules)
    elif isinstance(value, dict):
        for key, item in value.items():
            _sort_out(item, f"{name}.{key}", tensors, modules)


def _own_names(names: set[str], attribute: str) -> set[str]:
    """The registered parameter names that belong to `attribute`: itself, and
    the dotted names of what a list, tuple or dict held there (``blocks.0``)."""
    return {name for name in names if name == attribute or name.startswith(attribute + ".")}


def _key_message(model: Module, missing: list[str], unexpected: list[str]) -> str:
    """Why a strict load is refused: the names on each side only, and, when
    only buffers are missing, how to read a file saved before buffers were."""
    text = (f"{type(model).__name__}: missing from the weights: {missing}; "
            f"names in the weights that this model does not have: {unexpected}")
    buffer_names = {name for name, _ in model.named_buffers(remove_duplicate=False)}
    if missing and not unexpected and set(missing) <= buffer_names:
        text += (" (the missing ones are buffers, such as running statistics; files "
                 "saved before chainrule kept buffers hold parameters only: "
                 "load_state_dict(state, strict=False) reads them and leaves the "
                 "buffers as they are)")
    return text


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(state, strict=False)`` did not match, as PyTorch returns it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _first_of_each(pairs: Iterable[tuple[str, Tensor]]) -> Iterator[tuple[str, Tensor]]:
    """The (name, tensor) pairs, skipping a tensor already seen (by identity)."""
    seen: set[int] = set()
    for name, tensor in pairs:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            yield name, tensor


# --8<-- [start:Linear]
class Linear(Module):
    """A fully connected layer: ``x @ weight.T + bias``, weight (out, in) as in PyTorch.

    Row j of the weight holds output unit j's weights, one per input feature.

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
        rng = default_rng(rng)
        shape = (in_features, out_features)  # W as the equations write it: Z = X W + b
        if init == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / in_features), size=shape)
        elif init == "xavier":
            limit = np.sqrt(6.0 / (in_features + out_features))
            w = rng.uniform(-limit, limit, size=shape)
        else:
            raise ValueError(f"Linear: init must be 'he' or 'xavier', got {init!r}")
        # Stored as PyTorch stores it: W transposed, (out, in), one row per output.
        # (Drawing W first keeps each seed's layer what it was before the change.)
        w = np.ascontiguousarray(w.T, dtype=_float_dtype(dtype, "Linear"))
        self.weight = Tensor(w, requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype), requires_grad=True) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)
# --8<-- [end:Linear]

    def __repr__(self) -> str:
        n_out, n_in = self.weight.shape
        return f"Linear({n_in}, {n_out}, bias={self.bias is not None})"


def _float_dtype(dtype: Any, owner: str = "") -> np.dtype:
    """`dtype` as a numpy float dtype; anything else (int, bool, a string that
    is no dtype) is refused: weights need fractions, and a gradient."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = ""
    if kind != "f":
        where = f"{owner}: " if owner else ""
        raise TypeError(
            f"{where}dtype must be a float type such as numpy.float32, got {dtype!r:.40}"
        )
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

    def _entries(self) -> Iterable[tuple[str, Any]]:
        return ((str(i), module) for i, module in enumerate(self._items))

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


class ModuleDict(Module):
    """A dict of modules, by name, whose parameters the enclosing model can find.

    As ``torch.nn.ModuleDict``: ``layers["encoder"]``, ``"encoder" in layers``,
    ``keys()``, ``values()``, ``items()``, iteration over the names in the
    order they were added; parameters are named ``encoder.weight``, ...
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] = ()) -> None:
        self._items: dict[str, Module] = {}
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for name, module in pairs:
            self[name] = module

    def __setitem__(self, name: str, module: Module) -> None:
        if not isinstance(name, str):
            raise TypeError(f"ModuleDict keys are str, got {type(name).__name__} {name!r:.40}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict holds Modules, got {type(module).__name__} for {name!r}")
        self._items[name] = module

    def __getitem__(self, name: str) -> Module:
        if name not in self._items:
            raise KeyError(f"ModuleDict has no module {name!r}; it has {list(self._items)}")
        return self._items[name]

    def __getattr__(self, name: str) -> Module:
        """``layers.encoder`` is ``layers["encoder"]``, as in PyTorch."""
        items = self.__dict__.get("_items", {})
        if name in items:
            return items[name]
        raise AttributeError(f"ModuleDict has no module {name!r}; it has {list(items)}")

    def __setattr__(self, name: str, value: Any) -> None:
        """``layers.encoder = module`` adds a module, as in PyTorch (so that its
        parameters are found); other attributes are set as usual."""
        if isinstance(value, Module) and not name.startswith("_"):
            self[name] = value
        else:
            super().__setattr__(name, value)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def keys(self) -> Iterable[str]:
        return self._items.keys()

    def values(self) -> Iterable[Module]:
        return self._items.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._items.items()

    def _entries(self) -> Iterable[tuple[str, Any]]:
        return self._items.items()

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(
            "ModuleDict has no forward: call its modules from your model's forward"
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {module!r}" for name, module in self._items.items())
        return f"ModuleDict({{{inner}}})"


class Dropout(Module):
    """In training, zero each element with probability `p` and scale the
    rest by 1 / (1 - p), so the expected output equals the input; in
    evaluation (``model.eval()``), pass the input through unchanged.
    `rng` (a generator or a seed) makes the masks repeatable.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int | None = None) -> None:
        # rng by keyword: PyTorch's second argument is `inplace`, which we do not take
        dropout(Tensor(0.0), p, training=False)  # checks p
        self.p = float(p)
        self.rng = default_rng(rng)

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


class GELU(Module):
    """x Phi(x), elementwise, with Phi the standard normal's distribution
    function; ``approximate="tanh"`` for GPT-2's tanh form (see `functional.gelu`)."""

    def __init__(self, approximate: str = "none") -> None:
        gelu(Tensor(0.0), approximate)  # checks approximate
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate!r})"


class Identity(Module):
    """Returns its input unchanged: a placeholder where a layer is optional.
    Like PyTorch's, it accepts and ignores any arguments when created."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        return x


# --8<-- [start:Embedding]
class Embedding(Module):
    """A table of `num_embeddings` learned vectors of length `embedding_dim`:
    ``weight`` has shape (num_embeddings, embedding_dim).

    ``emb(indices)`` returns row ``indices[...]`` for every index, so a batch of
    token ids (B, T) becomes (B, T, dim). As in PyTorch the rows start from
    N(0, 1): a lookup has no fan-in to scale by. `rng` (a generator or a
    seed) makes the draw repeatable.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,  # PyTorch's third argument is padding_idx, which chainrule does not take
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        num = positive_int(num_embeddings, "num_embeddings", "Embedding")
        dim = positive_int(embedding_dim, "embedding_dim", "Embedding")
        table = default_rng(rng).normal(0.0, 1.0, size=(num, dim))
        self.weight = Tensor(table.astype(_float_dtype(dtype, "Embedding")), requires_grad=True)

    def forward(self, indices: Any) -> Tensor:
        return embedding(indices, self.weight)
# --8<-- [end:Embedding]

    def __repr__(self) -> str:
        return f"Embedding({self.weight.shape[0]}, {self.weight.shape[1]})"


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
        rng = default_rng(rng)
        init = "he" if activation == "relu" else "xavier"
        sizes = [n_in, *n_outs]
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
            if i < len(n_outs) - 1:
                layers.append(_ACTIVATIONS[activation]())
        super().__init__(*layers)



# ----------------------------------------------------------------------------- nn.utils
# --8<-- [start:clip_grad_norm]
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    The norm is taken over every gradient at once, as if they were one long
    vector (parameters whose ``.grad`` is None are skipped). If it exceeds
    `max_norm`, every gradient is multiplied by max_norm / (norm + 1e-6):
    the direction of the step is kept, only its length is capped, so one
    unlucky batch cannot throw the weights far away. Returns the norm
    before clipping, as ``torch.nn.utils.clip_grad_norm_`` does (the
    trailing underscore: the gradients are changed in place).
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    max_norm = real(max_norm, "max_norm", "clip_grad_norm_")
    norm_type = real(norm_type, "norm_type", "clip_grad_norm_", low=0.0, low_open=True) \
        if norm_type != math.inf else math.inf
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norms = np.array([_vector_norm(g, norm_type) for g in grads])  # one per gradient
    total = _vector_norm(norms, norm_type)  # the norm of the norms: of all of them at once
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of the gradients is {total}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    scale = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        if p.grad is not None:
            p.grad = p.grad * np.asarray(scale, p.grad.dtype)  # new array: .grad may be shared
    return Tensor(total)
# --8<-- [end:clip_grad_norm]


def _vector_norm(x: np.ndarray, p: float) -> float:
    """(sum |x|^p)^(1/p) over every element; the largest |x| for p = inf."""
    if p == math.inf:
        return float(np.max(np.abs(x), initial=0.0))
    if p == 2.0:
        return float(np.sqrt(np.sum(x * x)))
    return float(np.sum(np.abs(x) ** p) ** (1 / p))


# ``chainrule.nn.utils.clip_grad_norm_``, where PyTorch has it (torch.nn.utils).
utils = types.ModuleType("chainrule.nn.utils", "Helpers for training: clip_grad_norm_.")
utils.clip_grad_norm_ = clip_grad_norm_  # type: ignore[attr-defined]
utils.__all__ = ["clip_grad_norm_"]  # type: ignore[attr-defined]
sys.modules[utils.__name__] = utils

# ============================================================================
# Part IV: normalisation and attention layers (chapters "Normalisation and
# residuals by hand" and "Self-attention"). The operations themselves are in
# normalization.py and attention.py.
# ============================================================================
from chainrule.attention import scaled_dot_product_attention  # noqa: E402
from chainrule.normalization import batch_norm, layer_norm  # noqa: E402

__all__ += ["BatchNorm1d", "CausalSelfAttention", "LayerNorm"]


# --8<-- [start:LayerNorm]
class LayerNorm(Module):
    """Normalise each sample over its last features, then scale and shift,
    as ``torch.nn.LayerNorm``: ``weight`` starts at ones, ``bias`` at zeros,
    both of shape `normalized_shape`."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        one_size = isinstance(normalized_shape, (int, np.integer)) or not isinstance(
            normalized_shape, Sequence)  # a size; positive_int below names a bad one
        shape = (normalized_shape,) if one_size else normalized_shape
        self.normalized_shape = tuple(positive_int(n, "normalized_shape", "LayerNorm")
                                      for n in shape)
        layer_norm(Tensor(np.zeros(self.normalized_shape)), self.normalized_shape, eps=eps)
        self.eps = float(eps)
        dtype = _float_dtype(dtype)
        affine = flag(elementwise_affine, "elementwise_affine", "LayerNorm")
        with_bias = flag(bias, "bias", "LayerNorm") and affine
        self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True) \
            if affine else None
        self.bias = Tensor(np.zeros(self.normalized_shape, dtype), requires_grad=True) \
            if with_bias else None

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
# --8<-- [end:LayerNorm]

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps:g})"


class BatchNorm1d(Module):
    """Normalise each feature (channel) over the batch, as ``torch.nn.BatchNorm1d``.

    Input (N, C) or (N, C, L). In training the batch's statistics normalise
    and ``running_mean`` / ``running_var`` follow them with `momentum`, the
    variance unbiased as in PyTorch; ``momentum=None`` makes them the plain
    average over all batches so far (PyTorch's cumulative average, counted in
    ``num_batches_tracked``). After ``eval()`` the running statistics
    normalise, so one sample's output no longer depends on the others in its
    batch. The three are buffers (see `Module.register_buffer`): not learned,
    but in ``state_dict`` under PyTorch's names, so a saved model keeps them.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        self.num_features = positive_int(num_features, "num_features", "BatchNorm1d")
        batch_norm(Tensor(np.zeros((2, self.num_features))), None, None, training=True,
                   momentum=0.1 if momentum is None else momentum, eps=eps)  # checks them
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        dtype = _float_dtype(dtype)
        affine = flag(affine, "affine", "BatchNorm1d")
        self.weight = Tensor(np.ones(num_features, dtype), requires_grad=True) if affine else None
        self.bias = Tensor(np.zeros(num_features, dtype), requires_grad=True) if affine else None
        tracking = flag(track_running_stats, "track_running_stats", "BatchNorm1d")
        self.register_buffer("running_mean",
                             Tensor(np.zeros(num_features, dtype)) if tracking else None)
        self.register_buffer("running_var",
                             Tensor(np.ones(num_features, dtype)) if tracking else None)
        self.register_buffer("num_batches_tracked", Tensor(0.0).long() if tracking else None)

    def forward(self, x: Tensor) -> Tensor:
        use_batch = self.training or self.running_mean is None
        momentum = self.momentum
        if self.training and self.running_mean is not None:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # the average of all batches: the n-th weighs 1/n
                momentum = 1.0 / self.num_batches_tracked.item()
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=use_batch, momentum=0.0 if momentum is None else momentum,
                          eps=self.eps)

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum})"


# --8<-- [start:CausalSelfAttention]
class CausalSelfAttention(Module):
    """Multi-head causal self-attention in nanoGPT's shape.

    One Linear makes queries, keys and values for every head at once
    (``c_attn``, width 3 · n_embd); each of the `n_head` heads attends with
    width n_embd / n_head; ``c_proj`` mixes the heads' outputs. Input and
    output are (B, T, n_embd). `dropout` is applied to the output (nanoGPT
    also drops attention weights; chainrule's attention does not).
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        bias: bool = True,
        dropout: float = 0.0,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        n_embd = positive_int(n_embd, "n_embd", "CausalSelfAttention")
        self.n_head = positive_int(n_head, "n_head", "CausalSelfAttention")
        if n_embd % self.n_head:
            raise ValueError(
                f"CausalSelfAttention: n_embd {n_embd} is not a multiple of n_head {n_head}"
            )
        self.n_embd = n_embd
        rng = default_rng(rng)
        self.c_attn = Linear(n_embd, 3 * n_embd, bias, "xavier", rng, dtype)
        self.c_proj = Linear(n_embd, n_embd, bias, "xavier", rng, dtype)
        self.resid_dropout = Dropout(dropout, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[2] != self.n_embd:
            raise ValueError(
                f"CausalSelfAttention({self.n_embd}, {self.n_head}) needs input "
                f"(B, T, {self.n_embd}), got shape {x.shape}"
            )
        B, T, C = x.shape  # noqa: N806 (the usual names)
        qkv = self.c_attn(x)  # (B, T, 3C): queries, keys and values of every head
        q, k, v = (self._heads(qkv[:, :, i * C:(i + 1) * C]) for i in range(3))
        y = scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, n_head, T, C/n_head)
        y = y.transpose(1, 2).reshape(B, T, C)  # the heads side by side again
        return self.resid_dropout(self.c_proj(y))

    def _heads(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, n_head, T, C / n_head): a reshape, then heads first."""
        B, T, C = x.shape  # noqa: N806
        return x.reshape(B, T, self.n_head, C // self.n_head).transpose(1, 2)
# --8<-- [end:CausalSelfAttention]

    def __repr__(self) -> str:
        return f"CausalSelfAttention(n_embd={self.n_embd}, n_head={self.n_head})"

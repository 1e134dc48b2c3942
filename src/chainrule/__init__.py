"""chainrule: the autograd engine built in *Backpropagation from Scratch*.

The scalar side (`Value`, `Dual`, the scalar neural network, gradient checks,
the two-moons data) needs only the standard library. The numpy side
(`Tensor`, `functional`, `nn`, `optim`, `train`) is imported the first time one of its
names is used, so ``import chainrule`` alone never imports numpy: a reader of
Parts I and II needs no numpy at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from chainrule.dual import Dual
from chainrule.function import Function
from chainrule.scalar import Value

if TYPE_CHECKING:
    from chainrule import conv, functional, nn, optim, train
    from chainrule.tensor import Tensor

__all__ = [
    "Dual", "Function", "Tensor", "Value", "arange", "cat", "conv", "functional", "manual_seed",
    "nn", "no_grad", "ones", "ones_like", "optim", "rand", "randn", "stack", "train", "tril",
    "triu", "where", "zeros", "zeros_like",
]
__version__ = "0.1.0"

_NUMPY_BACKED = {
    "Tensor": ("chainrule.tensor", "Tensor"),
    "cat": ("chainrule.tensor", "cat"),
    "stack": ("chainrule.tensor", "stack"),
    "where": ("chainrule.tensor", "where"),
    "randn": ("chainrule.tensor", "randn"),
    "rand": ("chainrule.tensor", "rand"),
    "no_grad": ("chainrule.tensor", "no_grad"),
    "arange": ("chainrule.tensor", "arange"),
    "manual_seed": ("chainrule.tensor", "manual_seed"),
    "ones": ("chainrule.tensor", "ones"),
    "ones_like": ("chainrule.tensor", "ones_like"),
    "tril": ("chainrule.tensor", "tril"),
    "triu": ("chainrule.tensor", "triu"),
    "zeros": ("chainrule.tensor", "zeros"),
    "zeros_like": ("chainrule.tensor", "zeros_like"),
    "conv": ("chainrule.conv", None),
    "functional": ("chainrule.functional", None),
    "nn": ("chainrule.nn", None),
    "optim": ("chainrule.optim", None),
    "train": ("chainrule.train", None),
}


def __getattr__(name: str) -> Any:
    """Import a numpy-backed name on first use (PEP 562)."""
    if name not in _NUMPY_BACKED:
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
    module_name, attribute = _NUMPY_BACKED[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""`Function`: a new operation, with its backward, for either engine.

Every operation of `Value` and `Tensor` is a forward computation on plain
numbers plus a rule for the backward pass. `Function` lets you add one of
your own without touching the engines' private helpers, in the shape of
PyTorch's ``torch.autograd.Function``: subclass it, write two static methods,
and call ``apply``:

```python
from chainrule import Function, Tensor, Value


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return upstream * 3 * x**2


y = Cube.apply(Value(2.0))          # a Value: forward sees the float 2.0
z = Cube.apply(Tensor([1.0, 2.0]))  # a Tensor: forward sees the numpy array
assert y.data == 8.0 and z.tolist() == [1.0, 8.0]
```

- ``forward(ctx, *inputs)`` receives the *plain* inputs (floats for `Value`,
  numpy arrays for `Tensor`; other arguments as given) and returns a plain
  result. Whatever backward needs goes on ``ctx``.
- ``backward(ctx, upstream)`` receives the gradient of the output and returns
  one gradient per input of ``forward``: the chain rule, upstream gradient
  times local derivative. Return None for an input that has no gradient.

Check a new Function with `chainrule.gradcheck` before trusting it.

Standard library only: the tensor engine is used only when a Tensor is passed.
"""

from __future__ import annotations

import sys
from typing import Any

from chainrule.scalar import Value

__all__ = ["Context", "Function"]


class Context:
    """What `forward` leaves for `backward`: saved values and any attributes.

    ``ctx.save_for_backward(x, y)`` then ``x, y = ctx.saved_tensors`` in
    backward (PyTorch's names); ``ctx.anything = ...`` works too.
    ``ctx.needs_input_grad`` says, per input, whether a gradient is wanted.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        self.saved_tensors = values


class Function:
    """Base class of a user-defined operation; see the module docstring."""

    @staticmethod
    def forward(ctx: Context, *inputs: Any) -> Any:
        raise NotImplementedError("a Function must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Context, upstream: Any) -> Any:
        raise NotImplementedError("a Function must define backward(ctx, upstream)")

    @classmethod
    def apply(cls, *inputs: Any) -> Any:
        """Run `forward` on the plain inputs and record a node whose backward is yours.

        With `Value` inputs the result is a `Value`; with `Tensor` inputs a
        `Tensor` (numbers and arrays beside them are constants).
        """
        tensor_type = _tensor_type()
        has_value = any(isinstance(x, Value) for x in inputs)
        has_tensor = tensor_type is not None and any(isinstance(x, tensor_type) for x in inputs)
        if has_value and has_tensor:
            raise TypeError(f"{cls.__name__}.apply: got both Values and Tensors; use one engine")
        if has_value:
            return _apply_to_values(cls, inputs)
        if has_tensor:
            from chainrule.tensor import _function_node

            return _function_node(cls, inputs, Context)
        raise TypeError(
            f"{cls.__name__}.apply needs at least one Value or Tensor input, got "
            f"{', '.join(type(x).__name__ for x in inputs) or 'no inputs'}"
        )


def _tensor_type() -> type | None:
    """`Tensor` if the tensor engine is loaded (if not, no input can be a Tensor)."""
    module = sys.modules.get("chainrule.tensor")
    return None if module is None else module.Tensor


def gradients_per_input(name: str, grads: Any, count: int) -> tuple[Any, ...]:
    """`backward`'s answer as a tuple of `count` gradients, or a clear error."""
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != count:
        raise ValueError(
            f"{name}.backward returned {len(grads)} gradient(s) for {count} input(s) of forward"
        )
    return grads


def _apply_to_values(cls: type[Function], inputs: tuple[Any, ...]) -> Value:
    """The scalar engine stores local derivatives as numbers: since the chain
    rule for scalars is a product, upstream * local, backward called with an
    upstream gradient of 1.0 gives the local derivatives, once, at forward time."""
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Value)]
    ctx = Context(tuple(isinstance(x, Value) for x in inputs))
    plain = [x.data if isinstance(x, Value) else x for x in inputs]
    out = cls.forward(ctx, *plain)
    grads = gradients_per_input(cls.__name__, cls.backward(ctx, 1.0), len(inputs))
    local = []
    for i in positions:
        if grads[i] is None:
            local.append(0.0)
            continue
        try:
            local.append(float(grads[i]))
        except (TypeError, ValueError):
            raise TypeError(
                f"{cls.__name__}.backward must return numbers for Value inputs, "
                f"got {type(grads[i]).__name__} for input {i}"
            ) from None
    parents = tuple(inputs[i] for i in positions)
    return Value(out, "", parents, tuple(local), cls.__name__)

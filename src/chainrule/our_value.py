# --8<-- [start:imports]
"""Our own autograd engine: the `Value` class that "Building Value" writes step by step.

This is the reader's engine, written to be read rather than to be fast. Every
operation computes its result and, right beside it, the local derivative of
the result with respect to each operand; `backward` walks the graph in
reverse topological order and applies the chain rule at every node.
`chainrule.Value` (in `chainrule/scalar.py`) is the same engine with a few
more operations, stricter input checks and three measured choices about how
a node lives in memory; the chapter "From our class to chainrule.Value"
compares the two.

Standard library only, apart from `chainrule.gradcheck` for the checks.
Nothing imports this module for you: use ``from chainrule.our_value import Value``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from chainrule.gradcheck import GradcheckResult, numerical_gradient

__all__ = ["Value", "as_value", "backprop_step", "check_gradients", "draw", "topological_order"]
# --8<-- [end:imports]


# --8<-- [start:class]
class Value:
    """A number that remembers the values it was made from, so it can pass gradients back."""

    def __init__(self, data: float, parents: tuple = (), local_grads: tuple = (),
                 op: str = "", label: str = "") -> None:
        if not isinstance(parents, tuple):  # Value(2.0, "a") would crash much later
            raise TypeError(f"Value's second argument is parents, a tuple of Values, "
                            f"not {parents!r}; to name a value, write label={parents!r}")
        self.data = data
        self.grad = 0.0  # d(output)/d(self), filled in by backward()
        self._parents = parents  # the values this one was made from
        self._local_grads = local_grads  # d(self)/d(parent), one per parent, same order
        self._op = op  # the operation that made it ("+", "*", ...), for drawings
        self.label = label  # a name, for drawings

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"
    # --8<-- [end:class]

    # --8<-- [start:add]
    def __add__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")
    # --8<-- [end:add]

    # --8<-- [start:mul]
    def __mul__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")
    # --8<-- [end:mul]

    # --8<-- [start:backward]
    def backward(self) -> None:
        """Fill in d(self)/d(v), in v.grad, for every value v that self depends on."""
        self.grad = 1.0  # d(self)/d(self)
        for node in reversed(topological_order(self)):
            backprop_step(node)
    # --8<-- [end:backward]

    # --8<-- [start:reflected]
    def __radd__(self, other: float) -> Value:  # other + self, when other is a number
        return self + other

    def __rmul__(self, other: float) -> Value:  # other * self
        return self * other
    # --8<-- [end:reflected]

    # --8<-- [start:neg_sub]
    def __neg__(self) -> Value:
        return Value(-self.data, (self,), (-1.0,), "-")

    def __sub__(self, other: Value | float) -> Value:
        other = as_value(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other: float) -> Value:  # other - self
        return as_value(other) - self
    # --8<-- [end:neg_sub]

    # --8<-- [start:truediv]
    def __truediv__(self, other: Value | float) -> Value:
        other = as_value(other)
        a, b = self.data, other.data
        return Value(a / b, (self, other), (1.0 / b, -a / (b * b)), "/")

    def __rtruediv__(self, other: float) -> Value:  # other / self
        return as_value(other) / self
    # --8<-- [end:truediv]

    # --8<-- [start:pow]
    def __pow__(self, n: float) -> Value:
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise TypeError(f"Value ** {type(n).__name__}: the exponent must be an int or a float")
        return Value(self.data**n, (self,), (n * self.data ** (n - 1),), f"**{n}")
    # --8<-- [end:pow]

    # --8<-- [start:exp]
    def exp(self) -> Value:
        result = math.exp(self.data)
        return Value(result, (self,), (result,), "exp")  # d exp(a)/da = exp(a), the result itself
    # --8<-- [end:exp]

    # --8<-- [start:tanh]
    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")  # d(tanh a)/da = 1 - tanh(a)^2
    # --8<-- [end:tanh]

    # --8<-- [start:relu]
    def relu(self) -> Value:
        if self.data > 0:
            return Value(self.data, (self,), (1.0,), "relu")
        return Value(0.0, (self,), (0.0,), "relu")  # flat, slope 0 (at 0 too, as PyTorch)
    # --8<-- [end:relu]


# --8<-- [start:as_value]
def as_value(x: Value | float) -> Value:
    """`x` itself if it is a Value; a plain number becomes a new leaf Value."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(f"cannot combine a Value with {type(x).__name__} {x!r}: use a number")
# --8<-- [end:as_value]


# --8<-- [start:backprop_step]
def backprop_step(node: Value) -> None:
    """The chain rule at one node: each parent gets local derivative times upstream gradient."""
    for parent, local in zip(node._parents, node._local_grads, strict=True):
        parent.grad += local * node.grad  # += : a parent may receive along several arrows
# --8<-- [end:backprop_step]


# --8<-- [start:topological_order]
def topological_order(root: Value) -> list[Value]:
    """Every value that `root` depends on, each listed after all of its parents.

    A depth-first walk that keeps its own stack of work instead of calling
    itself, so even a very deep graph cannot hit Python's recursion limit.
    Each node goes on the stack twice: first to be *opened* (its parents are
    pushed above it), then to be *closed* (written down), which happens only
    once everything pushed above it, all its parents included, is done.
    """
    order, visited = [], set()
    stack = [(root, "open")]
    while stack:
        node, task = stack.pop()
        if task == "close":
            order.append(node)  # all of its parents are already in `order`
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, "close"))  # comes back after its parents
            for parent in node._parents:
                stack.append((parent, "open"))
    return order
# --8<-- [end:topological_order]


# --8<-- [start:check_gradients]
def check_gradients(f: Callable[..., Value], inputs: Sequence[float], h: float = 1e-6,
                    rtol: float = 1e-5, atol: float = 1e-7) -> GradcheckResult:
    """Compare our backward pass through ``f(*values)`` with central differences.

    The numeric side is `chainrule.gradcheck.numerical_gradient`, which calls
    the same `f` on nudged inputs and reads only ``.data``. The result prints
    as a table and has ``.ok``: every gradient agrees within rtol or atol.
    """
    leaves = [Value(float(x)) for x in inputs]
    f(*leaves).backward()
    numeric = numerical_gradient(lambda *xs: f(*map(Value, xs)).data, inputs, h)
    return GradcheckResult([float(x) for x in inputs], [leaf.grad for leaf in leaves],
                           numeric, rtol, atol)
# --8<-- [end:check_gradients]


# --8<-- [start:draw]
def draw(root: Value, note: Callable[[Value], str] | None = None,
         highlight: Sequence[Value] = ()) -> str:
    """The graph behind `root` as a Mermaid flowchart, for a page to print.

    Each box is a value: its label, data and grad, one per line (so a box
    never breaks inside a field); `note(node)` adds one more line, such as a
    number. Each circle is an operation, and each arrow into it carries its
    local derivative. The values in `highlight` get a thick orange border.
    Works for any node with ``_parents``, ``_local_grads``, ``_op``, ``label``,
    ``data`` and ``grad``, so `chainrule.Value` graphs can be drawn too.
    """
    order = topological_order(root)
    name = {id(node): f"v{i}" for i, node in enumerate(order)}
    lines = ["flowchart LR"]
    for node in order:
        fields = [node.label, f"data {node.data:.4g}", f"grad {node.grad:.4g}"]
        if note is not None:
            fields.append(note(node))
        lines.append(f'    {name[id(node)]}["{"<br>".join(f for f in fields if f)}"]')
        if node._parents:
            op = name[id(node)] + "op"
            lines.append(f'    {op}(("{node._op}"))')
            for parent, local in zip(node._parents, node._local_grads, strict=True):
                lines.append(f'    {name[id(parent)]} -- "{local:.4g}" --> {op}')
            lines.append(f"    {op} --> {name[id(node)]}")
    for node in highlight:
        lines.append(f"    style {name[id(node)]} stroke:#e8590c,stroke-width:4px")
    return "\n".join(lines)
# --8<-- [end:draw]

"""`Value`: a scalar that remembers how it was computed, and reverse-mode autodiff.

Each `Value` stores its number (``data``), its gradient (``grad``), the values
it was computed from (``_parents``, a tuple in a fixed order) and the local
derivative of itself with respect to each parent (``_local_grads``, plain
floats). The backward pass is the chain rule: a parent receives the upstream
gradient times the local derivative, and contributions to the same node add.

Storing local derivatives as numbers rather than as closures (as micrograd
does) keeps the graph free of reference cycles, so Python frees a graph by
reference counting the moment it is no longer used, and the cyclic garbage
collector never has to walk it.

Standard library only.
"""

from __future__ import annotations

import gc
import math
import numbers
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chainrule.graph import backward_pass, reachable, to_dot, to_mermaid, topological_order

__all__ = ["Value", "gc_paused"]

Number = int | float


# --8<-- [start:class]
class Value:
    """A scalar in a computational graph: its data, its gradient and its history.

    ``Value(data, label="")`` makes a leaf (an input or a parameter). Every
    operation on values returns a new `Value` that remembers its parents and
    the local derivative with respect to each, so that `backward` can apply
    the chain rule from the output back to every leaf.
    """

    __slots__ = ("data", "grad", "label", "_parents", "_local_grads", "_op")

    def __init__(
        self,
        data: Number,
        label: str = "",
        _parents: tuple[Value, ...] = (),
        _local_grads: tuple[float, ...] = (),
        _op: str = "",
    ) -> None:
        if type(data) is not float:  # the fast path: results of float arithmetic
            data = _to_float(data)
        self.data: float = data
        self.grad: float = 0.0  # d(output)/d(self), filled in by backward()
        self.label = label
        self._parents = _parents  # the values this one was computed from
        self._local_grads = _local_grads  # d(self)/d(parent), one per parent
        self._op = _op  # the operation that made it, for drawings
    # --8<-- [end:class]

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float:
        """The number held, as a Python float (PyTorch's name for it)."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    # Comparisons look at the data, as PyTorch's do, and return plain bools:
    # a comparison has no useful derivative, so nothing is recorded.
    def __lt__(self, other: Value | Number) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= _compared(other, ">=")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Value | numbers.Real):
            return NotImplemented
        return self.data == _compared(other, "==")

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Value | numbers.Real):
            return NotImplemented
        return self.data != _compared(other, "!=")

    __hash__ = object.__hash__  # still a dict key and a set member by identity

    # --8<-- [start:add]
    def __add__(self, other: Value | Number) -> Value:
        """``a + b``: both local derivatives are 1."""
        other = other if isinstance(other, Value) else _lift(other, "+")
        return Value(self.data + other.data, "", (self, other), _ONE_ONE, "+")
    # --8<-- [end:add]

    # --8<-- [start:mul]
    def __mul__(self, other: Value | Number) -> Value:
        """``a * b``: d/da is b and d/db is a, each the *other* factor."""
        other = other if isinstance(other, Value) else _lift(other, "*")
        return Value(
            self.data * other.data, "", (self, other), (other.data, self.data), "*"
        )
    # --8<-- [end:mul]

    # --8<-- [start:neg_sub]
    def __neg__(self) -> Value:
        """``-a``: the local derivative is -1."""
        return Value(-self.data, "", (self,), _MINUS_ONE, "neg")

    def __sub__(self, other: Value | Number) -> Value:
        """``a - b``: d/da is 1 and d/db is -1."""
        other = other if isinstance(other, Value) else _lift(other, "-")
        return Value(self.data - other.data, "", (self, other), _ONE_MINUS_ONE, "-")
    # --8<-- [end:neg_sub]

    # --8<-- [start:truediv]
    def __truediv__(self, other: Value | Number) -> Value:
        """``a / b``: d/da is 1/b and d/db is -a/b**2."""
        other = other if isinstance(other, Value) else _lift(other, "/")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero in Value division: {a!r} / {b!r}")
        quotient = a / b
        # -a/b**2 written as -(a/b)/b: b*b would underflow to 0 for |b| < 1e-154
        return Value(quotient, "", (self, other), (1.0 / b, -quotient / b), "/")
    # --8<-- [end:truediv]

    # --8<-- [start:pow]
    def __pow__(self, exponent: Value | Number) -> Value:
        """``a ** n``: d/da is n * a**(n - 1); with a `Value` exponent also
        d/dn = a**n * log(a), which needs a positive base (or a zero base)."""
        if isinstance(exponent, Value):
            return _power_of_values(self, exponent)
        n = _check_number(exponent, "**")
        a = self.data
        out = _float_power(a, n)
        return Value(out, "", (self,), (_power_derivative(a, n),), f"**{n:g}")
    # --8<-- [end:pow]

    # --8<-- [start:reflected]
    # A number on the left (2 + a, 2 - a, 2 * a, 2 / a, 2 ** a) lands here:
    # we lift the number to a leaf Value and do the ordinary operation.
    def __radd__(self, other: Number) -> Value:
        return _lift(other, "+") + self

    def __rsub__(self, other: Number) -> Value:
        return _lift(other, "-") - self

    def __rmul__(self, other: Number) -> Value:
        return _lift(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other, "/") / self

    def __rpow__(self, base: Number) -> Value:
        return _power_of_values(_lift(base, "**"), self)
    # --8<-- [end:reflected]

    # --8<-- [start:exp]
    def exp(self) -> Value:
        """``e**a``: its own derivative, so the local derivative is the output."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data!r}) overflows a float") from None
        return Value(out, "", (self,), (out,), "exp")
    # --8<-- [end:exp]

    # --8<-- [start:log]
    def log(self) -> Value:
        """Natural log, defined for a > 0: the local derivative is 1/a."""
        a = self.data
        if a <= 0.0:
            raise ValueError(f"log of a non-positive number: log({a!r}) is undefined")
        return Value(math.log(a), "", (self,), (1.0 / a,), "log")
    # --8<-- [end:log]

    # --8<-- [start:tanh]
    def tanh(self) -> Value:
        """tanh(a), with local derivative 1 - tanh(a)**2.

        `math.tanh` never overflows (tanh(1000) is 1.0), unlike the textbook
        form (e**2a - 1)/(e**2a + 1), whose e**2000 raises OverflowError.
        """
        t = math.tanh(self.data)
        return Value(t, "", (self,), (1.0 - t * t,), "tanh")
    # --8<-- [end:tanh]

    # --8<-- [start:relu]
    def relu(self) -> Value:
        """max(0, a): slope 1 for a > 0 and 0 otherwise (we choose 0 at the kink)."""
        a = self.data
        return Value(a if a > 0.0 else 0.0, "", (self,), (1.0 if a > 0.0 else 0.0,), "relu")
    # --8<-- [end:relu]

    # --8<-- [start:sigmoid]
    def sigmoid(self) -> Value:
        """1 / (1 + e**-a), with local derivative s * (1 - s).

        Stable: we only ever take exp of a non-positive number, so a large
        positive or negative input cannot overflow.
        """
        a = self.data
        if a >= 0.0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return Value(s, "", (self,), (s * (1.0 - s),), "sigmoid")
    # --8<-- [end:sigmoid]

    # --8<-- [start:chain_rule]
    def _backward(self, upstream: float) -> tuple[float, ...]:
        """The chain rule at one node: upstream gradient times each local derivative.

        The general rule is the last line; the one- and two-parent cases (every
        operation here) are spelled out because they run for every node.
        """
        local = self._local_grads
        if len(local) == 2:
            return (upstream * local[0], upstream * local[1])
        if len(local) == 1:
            return (upstream * local[0],)
        return tuple(upstream * d for d in local)

    def _accumulate(self, gradient: float) -> None:
        """Add this pass's total gradient into ``.grad`` (called once per pass)."""
        self.grad += gradient
    # --8<-- [end:chain_rule]

    # --8<-- [start:backward]
    def backward(self) -> None:
        """Fill in ``.grad`` of this value and of everything it was computed from.

        Seeds d(self)/d(self) = 1.0, then visits the graph in reverse
        topological order (no recursion, so a million-node chain is fine).
        Gradients *accumulate* across calls, as in PyTorch: calling backward
        twice exactly doubles every ``.grad``. Clear them with `zero_grad`
        (or a model's ``zero_grad()``) before the next pass.
        """
        with gc_paused():  # no cycles to find: see gc_paused
            _sweep(self)
    # --8<-- [end:backward]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Note a subclass with its own ``_backward`` or ``_accumulate``: a graph
        holding one of its nodes needs the general loop (see `_sweep`)."""
        super().__init_subclass__(**kwargs)
        if "_backward" in cls.__dict__ or "_accumulate" in cls.__dict__:
            _OWN_RULES.add(cls)

    # --8<-- [start:zero_grad]
    def zero_grad(self) -> None:
        """Set ``.grad`` to 0.0 on this value and on every value it was computed from.

        Only leaves (inputs, parameters) outlive a training step; interior
        values are made afresh by each forward pass, with ``grad`` 0.0. The
        order does not matter here, so we walk the graph with `reachable`,
        not `topological_order`. (A model clears only its parameters:
        ``model.zero_grad()`` is cheaper still.)
        """
        with gc_paused():  # the walk's set holds every node: nothing to collect
            for node in reachable(self):
                node.grad = 0.0
    # --8<-- [end:zero_grad]

    def __copy__(self) -> Value:
        """A new node with the same data, gradient and parents (shared, not copied)."""
        twin = Value(self.data, self.label, self._parents, self._local_grads, self._op)
        twin.grad = self.grad
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph, made in topological order, without recursion.

        ``copy.deepcopy`` would otherwise copy parents inside parents, one
        Python call deeper per node, and a long chain hits the recursion limit.
        Nodes already in `memo` (copied as part of something else) are reused.
        """
        for node in topological_order(self):
            if id(node) not in memo:
                parents = tuple(memo[id(parent)] for parent in node._parents)
                copy = Value(node.data, node.label, parents, node._local_grads, node._op)
                copy.grad = node.grad
                memo[id(node)] = copy
        return memo[id(self)]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the graph as a flat list of nodes, so a long chain needs no recursion.

        Leaves are pickled as themselves, so two pickled values that share a
        parameter still share it after loading.
        """
        order = topological_order(self)
        index = {node: i for i, node in enumerate(order)}
        records = [
            node if not node._parents else
            (node.data, node.grad, node.label, tuple(index[p] for p in node._parents),
             node._local_grads, node._op)
            for node in order
        ]
        if not self._parents:
            return (_leaf, (self.data, self.grad, self.label))
        return (_rebuild, (records,))

    # --8<-- [start:drawings]
    def to_mermaid(self, direction: str = "LR") -> str:
        """The graph that produced this value, as a Mermaid flowchart.

        Each value is a box showing its label, data and grad; each operation
        is its own round node between its inputs and its result.
        """
        return to_mermaid(self, describe=_describe, operation=_operation, direction=direction)

    def to_dot(self) -> str:
        """The same graph in Graphviz DOT (record nodes: label | data | grad)."""
        return to_dot(self, describe=_describe_record, operation=_operation)
    # --8<-- [end:drawings]


_OWN_RULES: set[type] = set()  # subclasses of Value with rules of their own


# --8<-- [start:sweep]
def _sweep(root: Value) -> None:
    """`graph.backward_pass` specialised to floats: the same sweep, the same result.

    Three changes, each measured on the performance page:

    - the chain rule, upstream times each local derivative, is written
      inline rather than called as ``node._backward`` (one call and one
      tuple fewer per node), with the two-parent case (``+``, ``*``, ...)
      unpacked by hand, as in `Value._backward`;
    - a node's total is complete when the sweep reaches it (everything that
      used it came earlier in the order), so it goes into ``.grad`` right
      there and leaves the dictionary: the dictionary only ever holds the
      nodes still waiting, a handful for a chain, and no second loop hands
      the totals over;
    - leaves are skipped before any work is done for them.

    As in `backward_pass`, ``.grad`` never serves as an upstream gradient,
    so a second call exactly doubles every gradient. (Multiplying floats
    cannot raise: overflow gives inf.)
    """
    order = topological_order(root)
    if _OWN_RULES and not _OWN_RULES.isdisjoint(map(type, order)):  # no Python loop
        return backward_pass(root, 1.0)  # a node with its own rule: ask it
    waiting = {root: 1.0}  # this pass's gradient of each node reached but not yet swept
    get = waiting.get
    for node in reversed(order):  # the root first, every node before its parents
        upstream = waiting.pop(node)  # complete: all of the node's users came before it
        node.grad += upstream
        parents = node._parents
        if not parents:  # a leaf: nothing further back
            continue
        if len(parents) == 2:
            a, b = parents
            da, db = node._local_grads
            waiting[a] = get(a, 0.0) + upstream * da
            waiting[b] = get(b, 0.0) + upstream * db
        else:
            for parent, local in zip(parents, node._local_grads, strict=True):
                waiting[parent] = get(parent, 0.0) + upstream * local
# --8<-- [end:sweep]


# --8<-- [start:gc_paused]
@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside the block, then restore it.

    A graph of `Value`s has no reference cycles (parents never point back to
    their children, and local derivatives are numbers, not closures), so
    reference counting frees it and the cyclic collector has nothing to find.
    Yet the collector runs every few hundred allocations and walks the young
    objects each time: over a large graph that is pure overhead. We pause it
    only while we work, and restore whatever state it had before, even if the
    block raises (nested uses are fine).

    The collector's switch is process-wide: while one thread is inside the
    block, no thread's cycles are collected. We only switch it back on if it
    was on when we started, so a thread that turned the collector off before
    the block began keeps its choice. (There is one switch and no record of
    who moved it: a thread that turns it off *during* the block finds it on
    again afterwards.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
# --8<-- [end:gc_paused]


def _leaf(data: float, grad: float, label: str) -> Value:
    """Unpickle a leaf."""
    leaf = Value(data, label)
    leaf.grad = grad
    return leaf


def _rebuild(records: list[Any]) -> Value:
    """Unpickle a graph from `Value.__reduce__`'s records; the last one is the root."""
    nodes: list[Value] = []
    for record in records:
        if isinstance(record, Value):
            nodes.append(record)
            continue
        data, grad, label, parents, local_grads, op = record
        node = Value(data, label, tuple(nodes[i] for i in parents), local_grads, op)
        node.grad = grad
        nodes.append(node)
    return nodes[-1]


_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_MINUS_ONE = (-1.0,)


def _check_number(x: Any, op: str) -> float:
    """`x` as a float if it is a real number (not a bool); else a TypeError naming it."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return _as_float(x, f"the operand of {op}")
    raise TypeError(
        f"unsupported operand for {op} with a Value: {type(x).__name__} ({x!r:.40}); "
        "use an int, a float or a Value"
    )


def _compared(x: Any, op: str) -> float:
    """The number a Value is compared with: a Value's data, or a real number."""
    return x.data if isinstance(x, Value) else _check_number(x, op)


def _lift(x: Any, op: str) -> Value:
    """A number used with a Value becomes a leaf Value (a constant in the graph)."""
    return Value(_check_number(x, op))


def _to_float(data: Any) -> float:
    """The data of a new Value: an int or float, kept as a float."""
    if isinstance(data, numbers.Real) and not isinstance(data, bool):
        return _as_float(data, "Value's data")
    raise TypeError(
        f"Value needs an int or a float, got {type(data).__name__} ({data!r:.40})"
    )


def _as_float(x: numbers.Real, what: str) -> float:
    """float(x), or an OverflowError naming `what` and the largest float."""
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(
            f"{what} is too large for a float: {str(x)[:20]}... has {len(str(x))} digits, "
            f"and floats stop at about {sys.float_info.max:.3g}"
        ) from None


def _float_power(a: float, n: float) -> float:
    """``a ** n`` for floats, with errors that name the base and the exponent."""
    if a == 0.0 and n < 0.0:
        raise ZeroDivisionError(f"0.0 ** {n!r}: zero cannot be raised to a negative power")
    if a < 0.0 and not n.is_integer():
        raise ValueError(
            f"negative base {a!r} ** {n!r}: a non-integer power of a negative number "
            "is not a real number"
        )
    try:
        return a**n
    except OverflowError:
        raise OverflowError(f"{a!r} ** {n!r} overflows a float") from None


def _power_derivative(a: float, n: float) -> float:
    """d(a**n)/da = n * a**(n - 1), which is infinite at a = 0 when 0 < n < 1."""
    if n == 0.0:
        return 0.0
    if a == 0.0 and n < 1.0:
        return math.inf
    return n * _float_power(a, n - 1.0)


def _power_of_values(base: Value, exponent: Value) -> Value:
    """``a ** b`` with a Value exponent: d/da = b * a**(b-1), d/db = a**b * log(a)."""
    a, b = base.data, exponent.data
    if a < 0.0:
        raise ValueError(
            f"negative base {a!r} with a Value exponent: d(a**b)/db = a**b * log(a) "
            "needs a >= 0 (use a number exponent for integer powers of negatives)"
        )
    out = _float_power(a, b)
    d_exponent = out * math.log(a) if a > 0.0 else 0.0  # 0**b is 0 for every b > 0
    return Value(out, "", (base, exponent), (_power_derivative(a, b), d_exponent), "**")


def _describe(node: Value) -> str:
    """A value's box in a drawing: its label (if any), data and grad."""
    text = f"data {node.data:.4f} | grad {node.grad:.4f}"
    return f"{node.label} | {text}" if node.label else text  # any label: f-strings call str()


def _describe_record(node: Value) -> str:
    """A DOT record label: special characters of the user's label escaped."""
    label = "".join("\\" + c if c in "{}|<>" else c for c in str(node.label))
    fields = f"data {node.data:.4f} | grad {node.grad:.4f}"
    return "{ " + (f"{label} | {fields}" if label else fields) + " }"


def _operation(node: Value) -> str:
    return node._op

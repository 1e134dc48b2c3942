"""Graph traversal shared by every engine: topological order, the backward sweep,
and drawings of the graph as Mermaid or Graphviz DOT.

An engine's node (a `Value`, a `Tensor`) takes part by having:

- ``_parents``: a tuple of the nodes it was computed from (empty for a leaf);
- ``_backward(upstream)``: given the gradient of the output with respect to
  this node, return one gradient per parent, in the order of ``_parents``
  (the chain rule: upstream gradient times local derivative);
- ``_accumulate(gradient)``: add a gradient into the node's ``.grad``.

Nodes are their own dictionary keys and set members: both engines hash a
node by its identity (``__hash__ = object.__hash__``), which Python computes
in C, so the traversal never calls ``id()``.

Nothing here knows about floats or arrays, so both engines share one
traversal and one backward loop. (The scalar engine runs a copy of the loop
specialised to floats, `chainrule.scalar._sweep`; the performance page
measures the difference.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Node(Protocol):
    """What a node of a computational graph offers to the traversal."""

    _parents: tuple[Any, ...]

    def __hash__(self) -> int: ...  # by identity

    def _backward(self, upstream: Any) -> tuple[Any, ...]: ...

    def _accumulate(self, gradient: Any) -> None: ...


# --8<-- [start:topological_order]
def topological_order(root: Node) -> list[Node]:
    """Every node that `root` depends on, each listed after all of its parents.

    Iterative depth-first search with an explicit stack, so a chain of a
    million nodes needs no recursion (and hits no recursion limit). A node is
    emitted once all its parents have been emitted; shared nodes appear once.
    """
    order: list[Node] = []
    visited: set[Node] = {root}
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                if not parent._parents:  # a leaf waits for nothing: emit it now
                    order.append(parent)
                    continue
                stack.append((parent, iter(parent._parents)))
                break
        else:  # every parent is done: the node itself can follow them
            stack.pop()
            order.append(node)
    return order
# --8<-- [end:topological_order]


# --8<-- [start:backward_pass]
def backward_pass(root: Node, seed: Any) -> None:
    """Propagate `seed` (dOutput/dRoot) from `root` to every node it depends on.

    Gradients of this pass are summed in a dictionary, one entry per node, and
    each node's total is handed to ``_accumulate`` exactly once. A node used
    twice (``a + a``) collects both contributions, and a second call adds the
    same amounts again: leaves and interior nodes alike are exactly doubled,
    never compounded.

    The totals are handed over only after the whole sweep has succeeded. If a
    rule raises part-way, no ``.grad`` has changed, so a retry counts nothing
    twice: all or nothing. (If the hand-over itself fails, say on a ``.grad``
    set by hand to a wrong shape, the old ``.grad``s are put back.)
    """
    order = topological_order(root)[::-1]  # the root first, every node before its parents
    totals: dict[Node, Any] = {root: seed}  # this pass's gradient of each node
    for node in order:
        if not node._parents:  # a leaf: nothing further back
            continue
        for parent, gradient in zip(node._parents, node._backward(totals[node]), strict=True):
            if parent in totals:
                totals[parent] = totals[parent] + gradient
            else:
                totals[parent] = gradient
    previous = [node.grad for node in order]  # to undo a hand-over that fails part-way
    try:
        for node in order:  # the sweep succeeded: hand over
            node._accumulate(totals[node])
    except BaseException:
        for node, grad in zip(order, previous, strict=True):
            node.grad = grad
        raise
# --8<-- [end:backward_pass]


# --8<-- [start:reachable]
def reachable(root: Node) -> set[Node]:
    """Every node that `root` depends on (and `root`), in no particular order.

    Cheaper than `topological_order` when the order does not matter, as when
    clearing gradients: a set and a stack, and each node touched once.
    """
    seen: set[Node] = {root}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen
# --8<-- [end:reachable]


def _default_describe(node: Any) -> str:
    return type(node).__name__


def to_mermaid(
    root: Node,
    describe: Callable[[Any], str] = _default_describe,
    operation: Callable[[Any], str] = lambda node: getattr(node, "_op", ""),
    direction: str = "LR",
) -> str:
    """The graph that produced `root` as a Mermaid flowchart.

    Each node becomes a box labelled by ``describe(node)``; a node made by an
    operation gets its own round operation node (``operation(node)``, e.g.
    ``*``) between its parents and itself, as hand-drawn graphs do.
    """
    order = topological_order(root)
    names = {id(node): f"n{index}" for index, node in enumerate(order)}
    lines = [f"flowchart {direction}"]
    for node in order:
        name = names[id(node)]
        lines.append(f'    {name}["{_escape(describe(node))}"]')
        op = operation(node)
        if op:
            lines.append(f'    {name}_op(("{_escape(op)}"))')
            for parent in node._parents:
                lines.append(f"    {names[id(parent)]} --> {name}_op")
            lines.append(f"    {name}_op --> {name}")
    return "\n".join(lines)


def to_dot(
    root: Node,
    describe: Callable[[Any], str] = _default_describe,
    operation: Callable[[Any], str] = lambda node: getattr(node, "_op", ""),
) -> str:
    """The graph that produced `root` in Graphviz DOT, laid out left to right."""
    order = topological_order(root)
    names = {id(node): f"n{index}" for index, node in enumerate(order)}
    lines = ["digraph {", "    rankdir=LR;"]
    for node in order:
        name = names[id(node)]
        label = describe(node).replace('"', '\\"')
        lines.append(f'    {name} [shape=record, label="{label}"];')
        op = operation(node)
        if op:
            lines.append(f'    {name}_op [shape=circle, label="{op}"];')
            for parent in node._parents:
                lines.append(f"    {names[id(parent)]} -> {name}_op;")
            lines.append(f"    {name}_op -> {name};")
    lines.append("}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Mermaid labels are quoted; a double quote inside must become an entity."""
    return text.replace('"', "#quot;")

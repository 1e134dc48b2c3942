"""A recursive topological sort fails on a deep graph; an iterative one does not.

A deliberately failing listing. The lecture's `build_topo` calls itself once
per level of the graph, so a chain deeper than Python's recursion limit
(1000 frames by default) raises `RecursionError`. A chain that deep is not
exotic: a loop that updates one value 5000 times builds one (an RNN unrolled
over a long sequence does too). chainrule's `topological_order` keeps its own
stack in a list and sorts the same chain, and much deeper ones.

Run it: ``python listings/part2/recursion_limit.py``.
"""

from __future__ import annotations

import sys

from chainrule import Value
from chainrule.graph import topological_order

DEPTH = 5000


def recursive_topological_order(root: Value) -> list[Value]:
    """The lecture's build_topo: one Python call frame per level of the graph."""
    order: list[Value] = []
    seen: set[int] = set()

    def visit(node: Value) -> None:
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node._parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order


def deep_chain(depth: int) -> tuple[Value, Value]:
    """x, then y = y * 1.0001 applied `depth` times: a graph `depth` operations deep."""
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0001
    return x, y


if __name__ == "__main__":
    print("recursion limit:", sys.getrecursionlimit())
    x, y = deep_chain(DEPTH)
    try:
        recursive_topological_order(y)
    except RecursionError as error:
        print(f"recursive sort on a {DEPTH}-deep chain: RecursionError ({error})")
    else:
        raise AssertionError("the recursive sort should have hit the recursion limit")

    order = topological_order(y)
    assert len(order) == 2 * DEPTH + 1, "x, DEPTH products (the last is y), DEPTH constants"
    y.backward()
    assert abs(x.grad - 1.0001**DEPTH) < 1e-9 * 1.0001**DEPTH
    print(f"chainrule: {len(order)} nodes sorted, dy/dx = {x.grad:.6f} = 1.0001**{DEPTH}")

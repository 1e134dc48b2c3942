"""Tests of `chainrule.graph`, the one traversal both engines share."""

from __future__ import annotations

import pytest

from chainrule import Value
from chainrule.graph import backward_pass, to_dot, to_mermaid, topological_order


class Node:
    """A minimal node: the protocol graph.py asks for, with a fixed local gradient."""

    def __init__(self, name: str, *parents: Node, local: float = 1.0) -> None:
        self.name, self._parents, self.local, self.grad = name, parents, local, 0.0
        self._op = "f" if parents else ""

    def _backward(self, upstream: float) -> tuple[float, ...]:
        return tuple(upstream * self.local for _ in self._parents)

    def _accumulate(self, gradient: float) -> None:
        self.grad += gradient


def diamond() -> tuple[Node, ...]:
    a = Node("a")
    b = Node("b", a, local=2.0)
    c = Node("c", a, local=3.0)
    d = Node("d", b, c)
    return a, b, c, d


def test_every_node_comes_after_its_parents_and_once() -> None:
    a, b, c, d = diamond()
    order = topological_order(d)
    assert [n.name for n in order] == ["a", "b", "c", "d"]
    x = Value(1.0)
    out = x
    for _ in range(50):
        out = out * x + out
    order = topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)
    assert all(position[id(p)] < position[id(n)] for n in order for p in n._parents)
    assert order[-1] is out


def test_order_is_deterministic() -> None:
    def names() -> list[str]:
        a, b, c, d = diamond()
        return [n.name for n in topological_order(d)]

    assert names() == names()


def test_backward_pass_sums_over_paths() -> None:
    a, b, c, d = diamond()
    backward_pass(d, 1.0)
    assert (d.grad, b.grad, c.grad, a.grad) == (1.0, 1.0, 1.0, 5.0)  # 2 + 3 paths


def test_backward_pass_twice_doubles_without_compounding() -> None:
    a, b, c, d = diamond()
    backward_pass(d, 1.0)
    backward_pass(d, 1.0)
    assert (d.grad, b.grad, c.grad, a.grad) == (2.0, 2.0, 2.0, 10.0)


def test_seed_scales_everything() -> None:
    a, b, c, d = diamond()
    backward_pass(d, 0.5)
    assert a.grad == 2.5


def test_deep_chain_needs_no_recursion() -> None:
    node = Node("x")
    first = node
    for i in range(200_000):
        node = Node(f"n{i}", node)
    assert len(topological_order(node)) == 200_001
    backward_pass(node, 1.0)
    assert first.grad == 1.0


def test_drawings_use_describe_and_operation() -> None:
    a, b, c, d = diamond()
    text = to_mermaid(d, describe=lambda n: n.name)
    assert 'n0["a"]' in text and "n3_op((\"f\"))" in text
    assert text.count("-->") == 4 + 3  # parent edges + op-to-result edges
    dot = to_dot(d, describe=lambda n: f'say "{n.name}"')
    assert '\\"a\\"' in dot and dot.count("->") == 7


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_mermaid_direction(direction: str) -> None:
    assert to_mermaid(Node("a"), direction=direction).startswith(f"flowchart {direction}")

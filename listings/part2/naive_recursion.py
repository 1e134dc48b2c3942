"""Why backward cannot be a plain recursion over a node's parents.

A deliberately wrong listing: it runs two recursive backward passes on graphs
where one node is reached along more than one path, and asserts that both
give the wrong gradient, while a backward pass in topological order (ours
here, and chainrule's `Value.backward`) gives the right one.

1. Recurse into every parent, every time. On ``a = 1; b = a + a; c = b + b``
   node ``b`` is visited twice and hands its gradient to ``a`` twice:
   dc/da comes out as 8 instead of 4 (double counting).
2. Recurse into each node only once (a visited set). Now a node may pass its
   gradient on *before* all of its consumers have reported to it: on
   ``b = a * 2; c = b * 3; d = b + c`` it gives dd/da = 2 instead of 8
   (undercounting).

Run it: ``python listings/part2/naive_recursion.py``.
"""

from __future__ import annotations

from chainrule import Value


class Node:
    """A scalar with its parents and the local derivative towards each one."""

    def __init__(self, data: float, parents: tuple = (), local: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self.parents = parents  # a tuple, so b + b lists b twice
        self.local = local  # d(self)/d(parent), one per parent

    def __add__(self, other: Node) -> Node:
        return Node(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Node | float) -> Node:
        if not isinstance(other, Node):
            other = Node(float(other))
        return Node(self.data * other.data, (self, other), (other.data, self.data))


def push(node: Node) -> None:
    """One chain-rule step: hand node.grad * local derivative to each parent."""
    for parent, local in zip(node.parents, node.local, strict=True):
        parent.grad += local * node.grad


def backward_recurse_every_time(node: Node) -> None:
    """WRONG: push, then recurse into every parent, once per edge."""
    push(node)
    for parent in node.parents:
        backward_recurse_every_time(parent)


def backward_recurse_once(node: Node, visited: set[int] | None = None) -> None:
    """WRONG: push, then recurse into parents not seen before."""
    visited = set() if visited is None else visited
    visited.add(id(node))
    push(node)
    for parent in node.parents:
        if id(parent) not in visited:
            backward_recurse_once(parent, visited)


def backward_topological(root: Node) -> None:
    """RIGHT: push each node once, after every node that uses it has pushed."""
    order: list[Node] = []
    seen: set[int] = set()

    def visit(node: Node) -> None:  # recursive for brevity; see pitfalls.md
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)  # after all of its parents

    visit(root)
    for node in reversed(order):  # consumers before the nodes they consume
        push(node)


def double_counting(backward) -> float:
    """dc/da for a = 1; b = a + a; c = b + b (the answer is 4)."""
    a = Node(1.0)
    b = a + a
    c = b + b
    c.grad = 1.0
    backward(c)
    return a.grad


def undercounting(backward) -> float:
    """dd/da for b = a * 2; c = b * 3; d = b + c (the answer is 2 + 6 = 8)."""
    a = Node(1.0)
    b = a * 2
    c = b * 3
    d = b + c
    d.grad = 1.0
    backward(d)
    return a.grad


if __name__ == "__main__":
    every_time = double_counting(backward_recurse_every_time)
    once = undercounting(backward_recurse_once)
    print(f"a=1; b=a+a; c=b+b      dc/da by recursion over every edge: {every_time}")
    print(f"b=a*2; c=b*3; d=b+c    dd/da by recursion visiting once:   {once}")
    assert every_time == 8.0  # wrong: b handed its gradient to a twice
    assert once == 2.0  # wrong: b passed its gradient on before c reported

    assert double_counting(backward_topological) == 4.0
    assert undercounting(backward_topological) == 8.0

    # chainrule agrees with the topological order
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    a = Value(1.0)
    b = a * 2
    d = b + b * 3
    d.backward()
    assert a.grad == 8.0
    print("topological order (and chainrule): 4.0 and 8.0")

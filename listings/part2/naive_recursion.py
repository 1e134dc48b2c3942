"""Why backward cannot be a plain recursion over a node's parents.

A deliberately wrong listing. It runs two recursive backward passes on our
own `Value` (chainrule.our_value, built in "Building Value") and asserts that
both give wrong gradients, while `backward()`, which walks a topological
order, gives the right ones:

1. Recurse into every parent, once per arrow. On ``a = 1; b = a + a; c = b + b``
   node ``b`` is visited twice and hands its gradient to ``a`` twice: dc/da
   comes out as 8 instead of 4 (double counting).
2. Recurse into each node only once (a visited set). Now a node may pass its
   gradient on *before* all of its users have reported to it: on
   ``b = a * 2; c = b * 3; d = b + c`` it gives dd/da = 2 instead of 8
   (undercounting).

Run it: ``python listings/part2/naive_recursion.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from chainrule.our_value import Value, backprop_step


def backward_recurse_every_time(node: Value) -> None:
    """WRONG: pass the gradient on, then recurse into every parent, once per arrow."""
    backprop_step(node)
    for parent in node._parents:
        backward_recurse_every_time(parent)


def backward_recurse_once(node: Value, visited: set[int] | None = None) -> None:
    """WRONG: pass the gradient on, then recurse into parents not seen before."""
    visited = set() if visited is None else visited
    visited.add(id(node))
    backprop_step(node)
    for parent in node._parents:
        if id(parent) not in visited:
            backward_recurse_once(parent, visited)


def doubled_twice(backward: Callable[[Value], None]) -> float:
    """dc/da for a = 1; b = a + a; c = b + b (the answer is 4)."""
    a = Value(1.0)
    b = a + a
    c = b + b
    c.grad = 1.0
    backward(c)
    return a.grad


def shared_node(backward: Callable[[Value], None]) -> float:
    """dd/da for a = 1; b = a * 2; c = b * 3; d = b + c (the answer is 2 + 6 = 8)."""
    a = Value(1.0)
    b = a * 2
    c = b * 3
    d = b + c
    d.grad = 1.0
    backward(d)
    return a.grad


def topological(root: Value) -> None:
    """RIGHT: our class's own backward(), which walks a reverse topological order."""
    root.backward()


if __name__ == "__main__":
    every_time = doubled_twice(backward_recurse_every_time)
    once = shared_node(backward_recurse_once)
    print(f"a=1; b=a+a; c=b+b      dc/da, recursion over every arrow: {every_time}")
    print(f"b=a*2; c=b*3; d=b+c    dd/da, recursion visiting once:    {once}")
    assert every_time == 8.0, "wrong: b handed its gradient to a twice"
    assert once == 2.0, "wrong: b passed its gradient on before c reported"

    assert doubled_twice(topological) == 4.0
    assert shared_node(topological) == 8.0
    print("topological order: 4.0 and 8.0, both right")

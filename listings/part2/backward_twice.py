"""Calling backward() twice on one graph: our class compounds, chainrule doubles.

A deliberately wrong listing. Our own `Value` (chainrule.our_value, built in
"Building Value") sets the output's gradient to 1 and then lets every node
hand on its *current* `.grad`. After a first pass the interior nodes'
`.grad`s are not zero any more, so a second pass sends the old gradient down
again on top of the new one, and the leaves' gradients compound (micrograd
PR 102 reports the same thing in the lecture's engine). chainrule sums each
pass's gradients in a separate dictionary, so a second call adds exactly the
same amounts again: every gradient doubles. Clearing every node of the graph
before the second pass makes our class give the one-pass gradients again.

Run it: ``python listings/part2/backward_twice.py``.
"""

from __future__ import annotations

from chainrule import Value
from chainrule.our_value import Value as OurValue
from chainrule.our_value import topological_order


def leaf_grads(make, clear_graph: bool = False) -> tuple[list[float], list[float]]:
    """Gradients of L = (a*b + c) * f after one backward pass and after two."""
    a, b, c, f = make(2.0), make(-3.0), make(10.0), make(-2.0)
    L = (a * b + c) * f
    L.backward()
    once = [a.grad, b.grad, c.grad, f.grad]
    if clear_graph:
        for node in topological_order(L):  # every node, the interior included
            node.grad = 0.0
    L.backward()
    twice = [a.grad, b.grad, c.grad, f.grad]
    return once, twice


if __name__ == "__main__":
    once, twice = leaf_grads(OurValue)
    print("our Value        one pass:", once, " two passes:", twice)
    assert once == [6.0, -4.0, -2.0, 4.0]
    assert twice == [24.0, -16.0, -6.0, 8.0], "WRONG: compounded, not doubled"

    once, twice = leaf_grads(OurValue, clear_graph=True)
    print("our Value, graph cleared in between:", twice)
    assert twice == once, "a fresh start: the one-pass gradients again"

    once, twice = leaf_grads(Value)
    print("chainrule        one pass:", once, " two passes:", twice)
    assert once == [6.0, -4.0, -2.0, 4.0]
    assert twice == [2 * g for g in once], "exactly doubled"

"""`=` instead of `+=` in the chain-rule step: right until a value is used twice.

A deliberately wrong listing. It runs the backward pass of our own `Value`
(chainrule.our_value: the same topological order) with two versions of the
step that hands gradients to a node's parents: ours, which *adds* into
`parent.grad`, and one that *assigns* to it. Every gradient comes out right
while each value feeds one arrow only (the graph of L = (a*b + c) * f), and
wrong as soon as one value feeds two: `x * x`, `a + a`, or a value used in
two separate operations. With `=`, whichever arrow is processed last wins.

Run it: ``python listings/part2/assign_instead_of_add.py``.
"""

from __future__ import annotations

from chainrule.our_value import Value, backprop_step, topological_order


def assigning_step(node: Value) -> None:
    """WRONG: the chain-rule step with = where += belongs."""
    for parent, local in zip(node._parents, node._local_grads, strict=True):
        parent.grad = local * node.grad


def backward_with(root: Value, step) -> None:
    """Our class's backward pass, with the per-node step passed in."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        step(node)


def chain_rule_graph(step) -> list[float]:
    """dL/da, dL/db, dL/dc, dL/df for L = (a*b + c) * f: no value is reused."""
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    backward_with((a * b + c) * f, step)
    return [a.grad, b.grad, c.grad, f.grad]


def square(step) -> float:
    """d(x*x)/dx at x = 3 (the answer is 2x = 6)."""
    x = Value(3.0)
    backward_with(x * x, step)
    return x.grad


def doubled(step) -> float:
    """d(a+a)/da (the answer is 2)."""
    a = Value(3.0)
    backward_with(a + a, step)
    return a.grad


def used_twice(step) -> float:
    """d/da of (a*b) + (a + c) at a=2, b=-3, c=10 (the answer is b + 1 = -2)."""
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    backward_with(a * b + (a + c), step)
    return a.grad


if __name__ == "__main__":
    # each value used once: = and += agree
    assert chain_rule_graph(assigning_step) == chain_rule_graph(backprop_step)
    assert chain_rule_graph(backprop_step) == [6.0, -4.0, -2.0, 4.0]

    cases = (square, doubled, used_twice)
    wrong = tuple(case(assigning_step) for case in cases)
    right = tuple(case(backprop_step) for case in cases)
    print("            x*x  a+a  a*b+(a+c)")
    print("with  =  :", wrong)
    print("with +=  :", right)
    assert wrong[0] == 3.0, "WRONG: the second arrow's write replaced the first"
    assert wrong[1] == 1.0, "WRONG: the a + a bug"
    assert wrong[2] == 1.0, "WRONG: a + c's write (1) replaced a * b's (b = -3)"
    assert right == (6.0, 2.0, -2.0)

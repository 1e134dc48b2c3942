"""Calling backward() twice: leaves should double, interior nodes must not compound.

A deliberately wrong listing. `ClosureValue` is written the way the lecture
engine is: each op stores a closure that adds into its parents' `.grad`, and
`backward()` *sets* the output's gradient to 1 and then runs the closures in
reverse topological order, reading each interior node's `.grad` as "the
gradient from this pass". After a first pass those interior `.grad`s are not
zero any more, so a second pass sends old gradient down again and the leaves'
gradients compound (micrograd PR 102 reports this). chainrule sums each
pass's gradients in a separate dictionary, so a second call adds exactly the
same amounts again: every gradient doubles.

Run it: ``python listings/part2/backward_twice.py``.
"""

from __future__ import annotations

from chainrule import Value


class ClosureValue:
    """A lecture-style scalar: the backward step is a closure over its parents."""

    def __init__(self, data: float, parents: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None

    def __add__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        order: list[ClosureValue] = []
        seen: set[int] = set()

        def visit(node: ClosureValue) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0  # set, not added: the output's own gradient
        for node in reversed(order):
            node._backward()  # reads node.grad, which still holds the last pass


def leaf_grads(make) -> tuple[list[float], list[float]]:
    """Gradients of L = (a*b + c) * f after one backward pass and after two."""
    a, b, c, f = make(2.0), make(-3.0), make(10.0), make(-2.0)
    L = (a * b + c) * f
    L.backward()
    once = [a.grad, b.grad, c.grad, f.grad]
    L.backward()
    twice = [a.grad, b.grad, c.grad, f.grad]
    return once, twice


if __name__ == "__main__":
    once, twice = leaf_grads(ClosureValue)
    print("closure engine   one pass:", once, " two passes:", twice)
    assert once == [6.0, -4.0, -2.0, 4.0]
    assert twice != [2 * g for g in once]  # WRONG: the second pass compounded
    assert twice == [24.0, -16.0, -6.0, 8.0]

    once, twice = leaf_grads(Value)
    print("chainrule        one pass:", once, " two passes:", twice)
    assert once == [6.0, -4.0, -2.0, 4.0]
    assert twice == [2 * g for g in once]  # right: exactly doubled

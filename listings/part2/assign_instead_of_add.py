"""`=` instead of `+=` in an op's backward: right until a value is used twice.

A deliberately wrong listing. `AssigningValue` writes each parent's gradient
with `=`. Every gradient comes out right while each value feeds one
operation only (the graph of L = (a*b + c) * f), and wrong as soon as one
value feeds two places: `x * x`, `a + a`, or a value used in two separate
operations. The fix is to *add* each contribution into `.grad`, which is what
chainrule does.

Run it: ``python listings/part2/assign_instead_of_add.py``.
"""

from __future__ import annotations

from chainrule import Value


class AssigningValue:
    """A lecture-style scalar whose backward closures overwrite gradients."""

    def __init__(self, data: float, parents: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None

    def __add__(self, other: AssigningValue) -> AssigningValue:
        out = AssigningValue(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad = out.grad  # WRONG: should be +=
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: AssigningValue) -> AssigningValue:
        out = AssigningValue(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad = other.data * out.grad  # WRONG: should be +=
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        order: list[AssigningValue] = []
        seen: set[int] = set()

        def visit(node: AssigningValue) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node._parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def chain_rule_graph(make) -> list[float]:
    """dL/da, dL/db, dL/dc, dL/df for L = (a*b + c) * f: no value is reused."""
    a, b, c, f = make(2.0), make(-3.0), make(10.0), make(-2.0)
    L = (a * b + c) * f
    L.backward()
    return [a.grad, b.grad, c.grad, f.grad]


def square(make) -> float:
    """d(x*x)/dx at x = 3 (the answer is 2x = 6)."""
    x = make(3.0)
    y = x * x
    y.backward()
    return x.grad


def doubled(make) -> float:
    """d(a+a)/da (the answer is 2)."""
    a = make(3.0)
    b = a + a
    b.backward()
    return a.grad


def used_twice(make) -> float:
    """d/da of (a*b) + (a + c) at a=2, b=-3, c=10 (the answer is b + 1 = -2)."""
    a, b, c = make(2.0), make(-3.0), make(10.0)
    out = a * b + (a + c)
    out.backward()
    return a.grad


if __name__ == "__main__":
    # each value used once: `=` and `+=` agree
    assert chain_rule_graph(AssigningValue) == [6.0, -4.0, -2.0, 4.0]
    assert chain_rule_graph(Value) == [6.0, -4.0, -2.0, 4.0]

    wrong = square(AssigningValue), doubled(AssigningValue), used_twice(AssigningValue)
    right = square(Value), doubled(Value), used_twice(Value)
    print("            x*x  a+a  a*b+(a+c)")
    print("with  =  :", wrong)
    print("with +=  :", right)
    assert wrong[0] == 3.0  # WRONG: the second write replaced the first
    assert wrong[1] == 1.0  # WRONG: the a + a bug
    assert wrong[2] == -3.0  # WRONG: the later write (from a * b) replaced a + c's
    assert right == (6.0, 2.0, -2.0)

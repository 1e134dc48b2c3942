"""Random expression graphs (hypothesis), with shared subexpressions, checked against
central differences and for exact doubling on a second backward."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chainrule import Value
from chainrule.gradcheck import numerical_gradient
from tests.helpers import Program, is_tame, program_inputs, programs, relative_difference

GRAPH_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


def run_value(program: Program, xs: list[float]) -> tuple[Value, list[Value], list[Value]]:
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    out, registers = program.run(leaves)
    return out, leaves, registers


@st.composite
def program_and_inputs(draw) -> tuple[Program, list[float]]:
    program = draw(programs())
    return program, draw(program_inputs(program.n_inputs))


@GRAPH_SETTINGS
@given(program_and_inputs())
def test_random_graph_gradients_match_central_differences(case) -> None:
    program, xs = case
    out, leaves, registers = run_value(program, xs)
    assume(is_tame(registers, program))
    out.backward()
    numeric = numerical_gradient(lambda *ys: program.run([Value(y) for y in ys])[0].data, xs)
    for leaf, n in zip(leaves, numeric, strict=True):
        assert relative_difference(leaf.grad, n) < 1e-5, f"{program}\n{leaf} vs {n}"


@GRAPH_SETTINGS
@given(program_and_inputs())
def test_random_graph_backward_twice_doubles(case) -> None:
    program, xs = case
    out, leaves, registers = run_value(program, xs)
    assume(is_tame(registers, program))
    out.backward()
    once = [r.grad for r in registers]
    out.backward()
    assert [r.grad for r in registers] == [2 * g for g in once]


# Against PyTorch float64: 2,000 graphs in tests/unit/test_random_graphs.py.


def test_shared_subexpression_example() -> None:
    """a = 1; b = a + a; c = b + b: the case a naive recursion gets wrong."""
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)

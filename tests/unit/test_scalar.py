"""Tests of `chainrule.Value`: every op's value and derivative, bad input, backward."""

from __future__ import annotations

import gc
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given, settings

from chainrule import Value
from chainrule.gradcheck import numerical_gradient
from chainrule.scalar import gc_paused
from tests.helpers import OPS, Op, op_arguments, relative_difference

# ------------------------------------------------------------------ construction


@pytest.mark.parametrize("data", [3, 3.0, -0.5, 0, Fraction(1, 4)])
def test_value_keeps_numbers_as_float(data: float) -> None:
    v = Value(data)
    assert type(v.data) is float and v.data == float(data)
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == ""


def test_value_label() -> None:
    assert Value(2.0, label="a").label == "a"
    assert Value(2.0, "a").label == "a"
    assert "label='a'" in repr(Value(2.0, "a"))


@pytest.mark.parametrize(
    ("data", "type_name"),
    [(True, "bool"), ("3", "str"), (None, "NoneType"), ([1.0], "list"), (1j, "complex")],
)
def test_value_rejects_non_numbers_naming_the_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


def test_value_uses_slots() -> None:
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something = 1  # type: ignore[attr-defined]


def test_parents_are_an_ordered_tuple() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a - b
    assert c._parents == (a, b) and isinstance(c._parents, tuple)
    assert (b - a)._parents == (b, a)
    assert all(type(d) is float for d in c._local_grads)


# -------------------------------------------------------------- the op table


# Forward values and central differences of every op: tests/unit/test_op_registry.py.


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_derivative_property(op: Op) -> None:
    @settings(max_examples=25, deadline=None)
    @given(op_arguments(op))
    def check(point: tuple[float, ...]) -> None:
        leaves = [Value(x) for x in point]
        op.apply(*leaves).backward()
        numeric = numerical_gradient(lambda *xs: op.reference(*xs), point, h=1e-6)
        for leaf, n in zip(leaves, numeric, strict=True):
            assert relative_difference(leaf.grad, n) < 1e-5, (point, leaf.grad, n)

    check()


def test_every_operator_and_method_is_in_the_table() -> None:
    names = {op.name for op in OPS}
    for required in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "neg"):
        assert required in names
    for required in ("square", "pow_value", "rpow", "exp", "log", "tanh", "relu", "sigmoid"):
        assert required in names


# ------------------------------------------------------------------ worked values


def test_seed_graph_by_hand() -> None:
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad, d.grad, e.grad) == (6.0, -4.0, -2.0, 4.0, -2.0, -2.0)
    assert L.grad == 1.0


def test_tanh_neuron_from_the_lecture() -> None:
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476)
    assert (x1.grad, w1.grad) == pytest.approx((-1.5, 1.0))
    assert (x2.grad, w2.grad) == pytest.approx((0.5, 0.0))


def test_number_to_a_value_power() -> None:
    x = Value(3.0)
    y = 2**x
    y.backward()
    assert y.data == 8.0
    assert x.grad == pytest.approx(8.0 * math.log(2.0))


def test_value_to_a_value_power() -> None:
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert y.data == 8.0
    assert a.grad == pytest.approx(12.0)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


def test_negative_base_with_integer_number_exponent_is_fine() -> None:
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_zero_base_with_value_exponent() -> None:
    a, b = Value(0.0), Value(2.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (0.0, 0.0, 0.0)


def test_relu_slope_at_the_kink_is_zero() -> None:
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x", [1000.0, -1000.0, 710.0, -710.0, 1e308, -1e308])
def test_tanh_and_sigmoid_are_stable(x: float) -> None:
    for method in ("tanh", "sigmoid"):
        v = Value(x)
        out = getattr(v, method)()
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(v.grad), (method, x)
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_sigmoid_small_inputs_keep_precision() -> None:
    assert Value(-30.0).sigmoid().data == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)))
    assert Value(-30.0).sigmoid().data > 0.0


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("operand", "type_name"),
    [("2", "str"), (None, "NoneType"), (True, "bool"), ([1.0], "list"), (1j, "complex")],
)
@pytest.mark.parametrize(
    "operation",
    [
        lambda v, o: v + o,
        lambda v, o: o + v,
        lambda v, o: v - o,
        lambda v, o: o - v,
        lambda v, o: v * o,
        lambda v, o: o * v,
        lambda v, o: v / o,
        lambda v, o: o / v,
        lambda v, o: v**o,
        lambda v, o: o**v,
    ],
    ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow", "rpow"],
)
def test_bad_operand_names_its_type(operation, operand: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        operation(Value(2.0), operand)


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_non_positive_names_op_and_value(x: float) -> None:
    with pytest.raises(ValueError, match=rf"log\({x!r}\)"):
        Value(x).log()


@pytest.mark.parametrize(
    "divide",
    [lambda: Value(1.5) / 0, lambda: Value(1.5) / Value(0.0), lambda: 1.5 / Value(0.0)],
)
def test_division_by_zero_names_op_and_values(divide) -> None:
    with pytest.raises(ZeroDivisionError, match=r"division.*1\.5 / 0\.0"):
        divide()


@pytest.mark.parametrize(
    "power", [lambda: Value(-2.0) ** Value(2.0), lambda: (-2.0) ** Value(2.0)]
)
def test_negative_base_with_value_exponent_names_the_base(power) -> None:
    with pytest.raises(ValueError, match=r"negative base -2\.0"):
        power()


def test_non_integer_power_of_a_negative_names_both() -> None:
    with pytest.raises(ValueError, match=r"-8\.0.*0\.5"):
        Value(-8.0) ** 0.5


def test_zero_to_a_negative_power() -> None:
    with pytest.raises(ZeroDivisionError, match=r"0\.0 \*\* -1\.0"):
        Value(0.0) ** -1


def test_exp_overflow_names_the_value() -> None:
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\)"):
        Value(1000.0).exp()


# --------------------------------------------------------------------- backward


def test_a_value_used_twice_collects_both_contributions() -> None:
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(1.0)
    c = (a + a) + (a + a)
    c.backward()
    assert a.grad == 4.0


def test_x_times_x() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_backward_twice_exactly_doubles_leaves_and_interior_nodes() -> None:
    a, b = Value(1.5), Value(-0.5)
    e = a * b
    d = (e + a).tanh()
    out = d * d + e
    out.backward()
    first = [n.grad for n in (a, b, e, d)]
    out.backward()
    assert [n.grad for n in (a, b, e, d)] == [2 * g for g in first]
    assert out.grad == 2.0


def test_zero_grad_clears_the_whole_graph() -> None:
    a, b = Value(2.0), Value(3.0)
    e = a * b
    out = e + a
    out.backward()
    out.zero_grad()
    assert [n.grad for n in (a, b, e, out)] == [0.0] * 4
    out.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)


def test_backward_on_a_leaf() -> None:
    a = Value(2.0)
    a.backward()
    assert a.grad == 1.0


def test_million_node_chain_has_no_recursion_error() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y  # one node per step
    y.backward()
    assert (y.data, x.grad) == (0.5, 1.0)
    del y  # freeing a million-deep chain must not crash either


def test_long_chain_with_constants() -> None:
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 1.0
    y.backward()
    assert (y.data, x.grad) == (50_001.0, 1.0)


# --------------------------------------------------------- garbage collection


def test_backward_restores_an_enabled_collector() -> None:
    assert gc.isenabled()
    (Value(1.0) * 2).backward()
    assert gc.isenabled()


def test_backward_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        (Value(1.0) * 2).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_restores_state_when_the_block_raises() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_backward_restores_collector_when_a_node_fails() -> None:
    class Broken(Value):
        __slots__ = ()

        def _backward(self, upstream: float) -> tuple[float, ...]:
            raise RuntimeError("broken rule")

    a = Value(2.0)
    broken = Broken(1.0, "", (a,), (1.0,), "broken")
    with pytest.raises(RuntimeError, match="broken rule"):
        (broken * 2).backward()
    assert gc.isenabled()


def test_a_graph_makes_no_reference_cycles() -> None:
    gc.collect()
    a, b = Value(1.0), Value(2.0)
    out = a
    for _ in range(200):
        out = (out * b + a).tanh().exp().log() / b - a**2
    out.backward()
    del out, a, b
    assert gc.collect() == 0


# ---------------------------------------------------------------------- drawings


def _seed_graph() -> Value:
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    L = (a * b + c) * f
    L.label = "L"
    L.backward()
    return L


def test_mermaid_shows_each_variable_and_each_operation() -> None:
    text = _seed_graph().to_mermaid()
    assert text.startswith("flowchart LR")
    assert "a | data 2.0000 | grad 6.0000" in text
    assert "L | data -8.0000 | grad 1.0000" in text
    assert text.count('(("*"))') == 2 and text.count('(("+"))') == 1
    assert text == _seed_graph().to_mermaid()  # a fixed order: the same text every time
    assert _seed_graph().to_mermaid(direction="TB").startswith("flowchart TB")


def test_dot_shows_records_and_operations() -> None:
    text = _seed_graph().to_dot()
    assert text.startswith("digraph {") and text.endswith("}")
    assert 'label="{ a | data 2.0000 | grad 6.0000 }"' in text
    assert 'label="{ data -6.0000 | grad -2.0000 }"' in text
    assert text.count("shape=circle") == 3


def test_dot_escapes_record_characters_in_labels() -> None:
    v = Value(1.0, "x|{y}")
    assert r"x\|\{y\}" in (v * 2).to_dot()


def test_mermaid_escapes_quotes_in_labels() -> None:
    assert '"' not in Value(1.0, 'say "hi"').to_mermaid().split("[", 1)[1].split("]")[0][1:-1]


# ---------------------------------------------------------------------- imports


def test_scalar_side_never_imports_numpy() -> None:
    code = (
        "import sys, chainrule\n"
        "assert 'numpy' not in sys.modules\n"
        "from chainrule import Value, Dual\n"
        "from chainrule.dual import derivative\n"
        "from chainrule.data import make_moons\n"
        "from chainrule.gradcheck import gradcheck, numerical_derivative\n"
        "from chainrule.scalar_nn import MLP, train\n"
        "X, y = make_moons(10)\n"
        "train(MLP(2, [4, 1]), X, y, steps=2)\n"
        "(Value(2.0) ** 3).backward()\n"
        "assert derivative(lambda d: d.tanh(), 0.5) > 0\n"
        "assert gradcheck(lambda a: a.exp(), [0.5])\n"
        "Value(1.0).to_mermaid(); Value(1.0).to_dot()\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------- leaks and vague messages (issue 19)


def test_division_by_a_tiny_divisor_is_finite() -> None:
    a, b = Value(1.0), Value(1e-200)
    q = a / b  # b * b underflows to 0: the derivative used to divide by it
    assert q.data == 1e200
    q.backward()
    assert a.grad == 1e200 and b.grad == -math.inf  # -a/b**2 overflows, as in PyTorch


@pytest.mark.parametrize("make", [lambda: Value(10**400), lambda: Value(1.0) + 10**400,
                                  lambda: 10**400 * Value(1.0)])
def test_a_huge_int_is_refused_by_name(make) -> None:
    with pytest.raises(OverflowError, match=r"too large for a float: .* 401 digits"):
        make()


def _long_chain(depth: int = 100_000) -> tuple[Value, Value]:
    x = Value(1.5, "x")
    y = x
    for _ in range(depth):
        y = y * 1.0 + 1.0
    return x, y


def test_deepcopy_of_a_long_chain() -> None:
    import copy

    x, y = _long_chain()
    y.backward()
    twin = copy.deepcopy(y)
    assert twin is not y and (twin.data, twin.grad) == (y.data, y.grad)
    twin.zero_grad()
    twin.backward()
    assert y.grad == 1.0 and x.grad == 1.0  # the original is untouched


def test_pickle_of_a_long_chain_keeps_shared_leaves() -> None:
    import pickle

    x, y = _long_chain()
    x2, y2 = pickle.loads(pickle.dumps([x, y]))
    assert (y2.data, x2.label) == (y.data, "x")
    y2.backward()
    assert x2.grad == 1.0 and x.grad == 0.0  # the loaded chain still reaches the loaded x


def test_deepcopy_keeps_sharing() -> None:
    import copy

    w = Value(2.0)
    z = w * 3.0 + w
    w2, z2 = copy.deepcopy([w, z])
    assert z2._parents[1] is w2 and z2._parents[0]._parents[0] is w2


# ---------------------------------------------------------- the fast backward sweep


def test_fast_sweep_matches_the_general_loop() -> None:
    from chainrule.graph import backward_pass

    def graph() -> tuple[list[Value], Value]:
        a, b, c = Value(0.3), Value(-1.2), Value(2.0)
        out = (a * b + c).tanh() * a - (b / c).exp() + a**3 + (a + b).relu() - (-c).sigmoid()
        return [a, b, c], out

    leaves, out = graph()
    out.backward()
    out.backward()  # twice: exactly doubled
    general_leaves, general_out = graph()
    backward_pass(general_out, 1.0)
    backward_pass(general_out, 1.0)
    assert [v.grad for v in leaves] == [v.grad for v in general_leaves]


def test_zero_grad_clears_every_node_it_depends_on() -> None:
    from chainrule.graph import reachable, topological_order

    x, y = _long_chain(1_000)
    y.backward()
    assert reachable(y) == set(topological_order(y))
    y.zero_grad()
    assert all(node.grad == 0.0 for node in reachable(y))


def test_our_value_refuses_a_label_where_parents_go() -> None:
    from chainrule.our_value import Value as OurValue

    with pytest.raises(TypeError, match="second argument is parents.*label='a'"):
        OurValue(2.0, "a")
    assert OurValue(2.0, label="a").label == "a"


def test_a_shallow_copy_shares_the_parents() -> None:
    import copy

    a = Value(2.0)
    b = a * 3.0
    twin = copy.copy(b)
    assert twin is not b and twin._parents[0] is a and (twin.data, twin.grad) == (6.0, 0.0)


def test_sweep_stays_loop_free_once_a_subclass_has_its_own_rule() -> None:
    """Defining a Value subclass with its own `_backward` (as a chapter does)
    must not put a Python-level loop over every node into every later
    backward pass of plain Values: the check runs in C (set.isdisjoint)."""
    from chainrule.scalar import _sweep

    class OwnRule(Value):
        def _backward(self, upstream: float):  # type: ignore[no-untyped-def]
            return super()._backward(upstream)

    y = Value(1.0)
    for _ in range(1000):
        y = y + 1.0
    calls = 0

    def count(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        _sweep(y)
    finally:
        sys.setprofile(None)
    assert calls < 10, f"{calls} Python calls for a 1,001-node chain"
    assert OwnRule(2.0).data == 2.0

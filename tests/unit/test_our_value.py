"""Tests of `chainrule.our_value`, the reader's own engine from "Building Value".

Every operation is gradchecked against central differences (chainrule.gradcheck's
numerical differentiation) and compared, value and gradient, with `chainrule.Value`.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

import chainrule
from chainrule.gradcheck import numerical_gradient
from chainrule.our_value import Value, as_value, check_gradients, draw, topological_order
from tests.helpers import OPS, Op, sample_points

# Our class has every op of the shared table except log, sigmoid and the Value
# exponents (a ** b, 2 ** a), which Part II never uses.
NOT_OURS = {"log", "sigmoid", "pow_value", "rpow"}
OUR_OPS = [op for op in OPS if op.name not in NOT_OURS]


def test_the_table_covers_every_op_we_promise() -> None:
    names = {op.name for op in OUR_OPS}
    wanted = {"add", "radd", "mul", "rmul", "neg", "sub", "rsub", "truediv", "rtruediv",
              "square", "cube", "sqrt", "pow_negative", "exp", "tanh", "relu"}
    assert wanted <= names


@pytest.mark.parametrize("op", OUR_OPS, ids=repr)
def test_each_op_gradchecks_against_central_differences(op: Op) -> None:
    for point in sample_points(op):
        result = check_gradients(op.apply, point)
        assert result.ok, f"{op.name} at {point}:\n{result}"
        assert math.isclose(op.apply(*map(Value, point)).data, op.reference(*point), rel_tol=1e-12)


@pytest.mark.parametrize("op", OUR_OPS, ids=repr)
def test_each_op_agrees_with_chainrule_value(op: Op) -> None:
    for point in sample_points(op):
        ours = [Value(x) for x in point]
        theirs = [chainrule.Value(x) for x in point]
        out_ours, out_theirs = op.apply(*ours), op.apply(*theirs)
        out_ours.backward()
        out_theirs.backward()
        assert math.isclose(out_ours.data, out_theirs.data, rel_tol=1e-12, abs_tol=1e-15)
        for o, t in zip(ours, theirs, strict=True):
            assert math.isclose(o.grad, t.grad, rel_tol=1e-9, abs_tol=1e-12), op.name


def test_check_gradients_catches_a_wrong_rule() -> None:
    def wrong_square(a: Value) -> Value:
        return Value(a.data**2, (a,), (a.data,))  # should be 2a

    result = check_gradients(wrong_square, [3.0])
    assert not result.ok
    assert result.analytic == [3.0] and abs(result.numeric[0] - 6.0) < 1e-6


def test_lecture_numbers() -> None:
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)


def test_a_value_used_twice_accumulates() -> None:
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_shared_node_on_two_paths() -> None:
    a = Value(1.0)
    b = a * 2
    c = b * 3
    d = b + c
    d.backward()
    assert a.grad == 8.0 and b.grad == 4.0


def test_topological_order_puts_parents_first_and_each_node_once() -> None:
    a, b = Value(2.0), Value(-3.0)
    e = a * b
    d = e + 10.0
    L = d * e
    order = topological_order(L)
    assert len(order) == len({id(n) for n in order}) == 6
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is L


def test_deep_chain_needs_no_recursion() -> None:
    x = Value(0.5)
    y = x
    for _ in range(5 * sys.getrecursionlimit()):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_numbers_on_either_side() -> None:
    a = Value(3.0)
    assert (2 * a).data == (a * 2).data == 6.0
    assert (1 + a).data == (a + 1).data == 4.0
    assert (1 - a).data == -2.0 and (6 / a).data == 2.0


@pytest.mark.parametrize("bad", ["2", None, [1.0], True])
def test_bad_operand_is_named(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        as_value(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(1.0) + bad  # type: ignore[operator]


def test_value_exponent_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="exponent must be an int or a float"):
        Value(2.0) ** Value(3.0)  # type: ignore[operator]


def test_relu_at_zero_and_below_is_flat() -> None:
    for x in (0.0, -1.5):
        a = Value(x)
        y = a.relu()
        y.backward()
        assert y.data == 0.0 and math.copysign(1.0, y.data) == 1.0 and a.grad == 0.0


def test_tanh_neuron_of_the_lecture() -> None:
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert abs(o.data - 1 / math.sqrt(2)) < 1e-15
    numeric = numerical_gradient(
        lambda x1, x2, w1, w2: math.tanh(x1 * w1 + x2 * w2 + 6.8813735870195432),
        [2.0, 0.0, -3.0, 1.0],
    )
    for leaf, n in zip((x1, x2, w1, w2), numeric, strict=True):
        assert abs(leaf.grad - n) < 1e-8


def test_importing_it_needs_only_the_standard_library() -> None:
    code = (
        "import sys; import chainrule.our_value; "
        "bad = sorted(m for m in ('numpy', 'torch') if m in sys.modules); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_chainrule_does_not_import_it() -> None:
    code = "import sys, chainrule; assert 'chainrule.our_value' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_draw_labels_every_arrow_with_its_local_derivative() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    text = draw(b, note=lambda node: "leaf" if not node._parents else "", highlight=[a])
    assert text.count('v0 -- "1" --> v1op') == 2  # the two arrows of a + a
    assert '["a<br>data 3<br>grad 2<br>leaf"]' in text
    assert "style v0 stroke:#e8590c" in text


def test_draw_takes_chainrule_values_too() -> None:
    a = chainrule.Value(2.0, label="a")
    y = a * a
    assert draw(y).count('v0 -- "2" --> v1op') == 2


def _our_value_sections() -> tuple[list[str], dict[str, str], str]:
    """(the module's lines, its snippet sections by name, the text of building-value.md)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "src/chainrule/our_value.py").read_text(encoding="utf-8").splitlines()
    page = (root / "docs/part2/building-value.md").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    open_section = None
    for line in source:
        marker = re.search(r"--8<-- \[(start|end):(\w+)\]", line)
        if marker:
            open_section = marker.group(2) if marker.group(1) == "start" else None
            if open_section:
                sections[open_section] = []
        elif open_section:
            sections[open_section].append(line)
    return source, {name: "\n".join(lines) for name, lines in sections.items()}, page


def test_building_value_shows_every_line_of_the_engine() -> None:
    """The home page promises the reader writes every line of this engine: each
    line of the module, from the first to the last, sits in a snippet section
    that docs/part2/building-value.md includes."""
    import re

    source, _, page = _our_value_sections()
    included = set(re.findall(r'--8<-- "src/chainrule/our_value.py:(\w+)"', page))
    open_section = None
    for number, line in enumerate(source, start=1):
        marker = re.search(r"--8<-- \[(start|end):(\w+)\]", line)
        if marker:
            open_section = marker.group(2) if marker.group(1) == "start" else None
            continue
        if line.strip():
            assert open_section in included, f"our_value.py:{number} is not shown: {line!r}"


def test_typing_along_gives_a_working_engine() -> None:
    """building-value.md tells a reader who types along: imports first, the indented
    pieces (methods) inside the class in the order shown, every other piece after
    the class. That file must work, and agree with the module."""
    import re

    _, sections, page = _our_value_sections()
    order = list(dict.fromkeys(re.findall(r'--8<-- "src/chainrule/our_value.py:(\w+)"', page)))
    assert order[:2] == ["imports", "class"]
    methods = [sections[name] for name in order[2:] if sections[name].startswith("    ")]
    functions = [sections[name] for name in order[2:] if not sections[name].startswith("    ")]
    typed = "\n\n".join([sections["imports"], sections["class"], *methods, "", *functions])
    namespace: dict = {"__name__": "typed_along"}
    exec(compile(typed, "typed_along.py", "exec"), namespace)  # noqa: S102
    TypedValue = namespace["Value"]
    for name in ("backward", "tanh", "relu", "exp", "__pow__", "__rtruediv__", "__rsub__"):
        assert hasattr(TypedValue, name), name

    def gradients(engine):
        x = engine(0.5)
        y = (2 * x - 1).tanh() + (x**2 / 3).exp() - x.relu()
        y.backward()
        return y.data, x.grad

    assert gradients(TypedValue) == gradients(Value)
    assert namespace["check_gradients"](lambda a, b: a / b - b**2, [2.0, -3.0]).ok

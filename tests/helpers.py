"""Shared test helpers: one table of operations, sample points, random expression graphs.

The table (minitorch's idea) drives the forward and derivative tests of every
engine: each entry applies an operation through operators and methods only
(``a + b``, ``a.tanh()``), so the same lambda runs on a `Value`, a `Dual`, a
`Tensor` or a torch tensor, and each entry carries a float reference written
with `math`. Nothing here imports numpy or torch.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from chainrule.gradcheck import _scalar  # a number, or the data of a Value or Dual

Interval = tuple[float, float]


@dataclass(frozen=True)
class Op:
    """One operation: how to apply it to engine objects, and what it should give.

    `apply` takes one engine object per argument; `reference` takes floats.
    `domain` is one interval per argument where the op is smooth and defined;
    `kinks` are points the first argument keeps away from (ReLU's 0).
    """

    name: str
    apply: Callable[..., Any]
    reference: Callable[..., float]
    domain: tuple[Interval, ...]
    kinks: tuple[float, ...] = field(default=())

    @property
    def arity(self) -> int:
        return len(self.domain)

    def __repr__(self) -> str:  # pytest ids
        return self.name


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


WIDE: Interval = (-3.0, 3.0)
POSITIVE: Interval = (0.2, 3.0)

# --8<-- [start:op_table]
OPS: tuple[Op, ...] = (
    Op("add", lambda a, b: a + b, lambda a, b: a + b, (WIDE, WIDE)),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, (WIDE, WIDE)),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, (WIDE, WIDE)),
    Op("truediv", lambda a, b: a / b, lambda a, b: a / b, (WIDE, POSITIVE)),
    Op("neg", lambda a: -a, lambda a: -a, (WIDE,)),
    Op("add_number", lambda a: a + 1.5, lambda a: a + 1.5, (WIDE,)),
    Op("radd", lambda a: 1.5 + a, lambda a: 1.5 + a, (WIDE,)),
    Op("sub_number", lambda a: a - 1.5, lambda a: a - 1.5, (WIDE,)),
    Op("rsub", lambda a: 1.5 - a, lambda a: 1.5 - a, (WIDE,)),
    Op("mul_number", lambda a: a * 2.5, lambda a: a * 2.5, (WIDE,)),
    Op("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a, (WIDE,)),
    Op("div_number", lambda a: a / 2.5, lambda a: a / 2.5, (WIDE,)),
    Op("rtruediv", lambda a: 2.5 / a, lambda a: 2.5 / a, (POSITIVE,)),
    Op("square", lambda a: a**2, lambda a: a**2, (WIDE,)),
    Op("cube", lambda a: a**3, lambda a: a**3, (WIDE,)),
    Op("sqrt", lambda a: a**0.5, lambda a: a**0.5, (POSITIVE,)),
    Op("pow_negative", lambda a: a**-1.5, lambda a: a**-1.5, (POSITIVE,)),
    Op("pow_value", lambda a, b: a**b, lambda a, b: a**b, (POSITIVE, (-2.0, 2.0))),
    Op("rpow", lambda a: 2.0**a, lambda a: 2.0**a, (WIDE,)),
    Op("exp", lambda a: a.exp(), math.exp, (WIDE,)),
    Op("log", lambda a: a.log(), math.log, (POSITIVE,)),
    Op("tanh", lambda a: a.tanh(), math.tanh, (WIDE,)),
    Op("relu", lambda a: a.relu(), _relu, (WIDE,), kinks=(0.0,)),
    Op("sigmoid", lambda a: a.sigmoid(), _sigmoid, ((-6.0, 6.0),)),
)
# --8<-- [end:op_table]

OPS_BY_NAME = {op.name: op for op in OPS}


def sample_points(op: Op, n: int = 4, seed: int = 0) -> list[tuple[float, ...]]:
    """`n` points inside the op's domain, away from its kinks, the same every run."""
    rng = random.Random(f"{op.name}-{seed}")
    points = []
    while len(points) < n:
        point = tuple(rng.uniform(low, high) for low, high in op.domain)
        if all(abs(point[0] - k) > 0.05 for k in op.kinks):
            points.append(point)
    return points


def op_arguments(op: Op) -> st.SearchStrategy[tuple[float, ...]]:
    """Hypothesis: argument tuples inside the op's domain, away from its kinks."""
    strategy = st.tuples(
        *(st.floats(low, high, allow_nan=False, allow_infinity=False) for low, high in op.domain)
    )
    return strategy.filter(lambda point: all(abs(point[0] - k) > 1e-3 for k in op.kinks))


def relative_difference(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|, 1): relative for big numbers, absolute for small ones."""
    return abs(a - b) / max(abs(a), abs(b), 1.0)


# ----------------------------------------------------------- random expression graphs

# Each entry is total on the whole real line (arguments are squashed or shifted
# into the op's domain with the engine's own ops), so a random program never
# leaves the domain: the graph tests are about structure (sharing, fan-out,
# accumulation, order), the op table about each rule.
# --8<-- [start:graph_ops]
GRAPH_OPS: dict[str, tuple[int, Callable[..., Any]]] = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (b * b + 1.0)),
    "neg": (1, lambda a: -a),
    "add_number": (1, lambda a: 0.5 + a),
    "scale": (1, lambda a: a * -0.75),
    "square": (1, lambda a: a**2),
    "pow_value": (2, lambda a, b: (a * a + 0.5) ** b.tanh()),
    "rpow": (1, lambda a: 1.5 ** a.tanh()),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 1.0).log()),
    "tanh": (1, lambda a: a.tanh()),
    "relu": (1, lambda a: (a + 0.3).relu()),
    "sigmoid": (1, lambda a: a.sigmoid()),
}
# --8<-- [end:graph_ops]


@dataclass(frozen=True)
class Program:
    """A random expression graph as straight-line code over numbered registers.

    Registers 0..n_inputs-1 hold the inputs; step k computes ``op(*registers
    at args)`` into register n_inputs + k. A register read by several steps is
    a shared subexpression. The output is the sum of the registers in `outputs`.
    """

    n_inputs: int
    steps: tuple[tuple[str, tuple[int, ...]], ...]
    outputs: tuple[int, ...]

    def run(self, inputs: Sequence[Any]) -> tuple[Any, list[Any]]:
        """Evaluate on engine objects; returns the output and every register."""
        registers = list(inputs)
        for name, args in self.steps:
            registers.append(GRAPH_OPS[name][1](*(registers[i] for i in args)))
        out = registers[self.outputs[0]]
        for index in self.outputs[1:]:
            out = out + registers[index]
        return out, registers

    def __str__(self) -> str:
        lines = [f"inputs r0..r{self.n_inputs - 1}"]
        for k, (name, args) in enumerate(self.steps):
            lines.append(f"r{self.n_inputs + k} = {name}({', '.join(f'r{i}' for i in args)})")
        lines.append("out = " + " + ".join(f"r{i}" for i in self.outputs))
        return "\n".join(lines)


@st.composite
def programs(draw: Any, max_inputs: int = 3, max_steps: int = 10) -> Program:
    """Hypothesis: a random `Program`; operands are drawn from all earlier registers,
    so shared subexpressions and fan-out are common."""
    n_inputs = draw(st.integers(1, max_inputs))
    n_steps = draw(st.integers(1, max_steps))
    names = sorted(GRAPH_OPS)
    steps = []
    for k in range(n_steps):
        name = draw(st.sampled_from(names))
        available = n_inputs + k
        args = tuple(draw(st.integers(0, available - 1)) for _ in range(GRAPH_OPS[name][0]))
        steps.append((name, args))
    total = n_inputs + n_steps
    extra = draw(st.lists(st.integers(0, total - 2), max_size=2)) if total > 1 else []
    return Program(n_inputs, tuple(steps), (total - 1, *extra))


def program_inputs(n: int) -> st.SearchStrategy[list[float]]:
    """Hypothesis: `n` input values in [-2, 2]."""
    return st.lists(
        st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False), min_size=n, max_size=n
    )


def is_tame(registers: Sequence[Any], program: Program, limit: float = 1e4) -> bool:
    """True if every register's value is moderate and no ReLU sits on its kink.

    Used with `hypothesis.assume`: huge values make finite differences
    meaningless, and at a kink the numeric slope is not a derivative.
    """
    values = [_scalar(r) for r in registers]
    if not all(math.isfinite(v) and abs(v) < limit for v in values):
        return False
    for name, args in program.steps:
        if name == "relu" and abs(values[args[0]] + 0.3) < 1e-4:
            return False
    return True



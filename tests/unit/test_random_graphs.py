"""Random programs against PyTorch float64: 2,000 scalar graphs, 500 broadcasting
tensor programs, every run.

The registry checks each op on its own; these check what it cannot: sharing,
fan-out, accumulation over paths, broadcasting and reductions mixed in one
graph. Programs come from a seeded `random.Random`, so a failure names a
seed that reproduces it. The measure is the one that means something when
some gradients are exactly 0:

    max |our gradient - PyTorch's| / max(1, max |PyTorch's gradient|) <= 1e-12.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from chainrule import Tensor, Value
from tests.helpers import GRAPH_OPS, Program, is_tame

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOLERANCE = 1e-12
SCALAR_GRAPHS = 2000
TENSOR_PROGRAMS = 500


def scaled_error(ours: Any, theirs: Any) -> float:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    return float(np.max(np.abs(ours - theirs), initial=0.0)
                 / max(1.0, float(np.max(np.abs(theirs), initial=0.0))))


# ------------------------------------------------------------------ scalar graphs
def random_program(rng: random.Random, max_inputs: int = 3, max_steps: int = 10) -> Program:
    """Straight-line code over registers; operands from any earlier register, so
    shared subexpressions and fan-out are common (as `tests.helpers.programs`)."""
    n_inputs = rng.randint(1, max_inputs)
    names = sorted(GRAPH_OPS)
    steps = []
    for k in range(rng.randint(1, max_steps)):
        name = rng.choice(names)
        steps.append((name, tuple(rng.randrange(n_inputs + k) for _ in range(GRAPH_OPS[name][0]))))
    total = n_inputs + len(steps)
    extra = [rng.randrange(total - 1) for _ in range(rng.randint(0, 2))] if total > 1 else []
    return Program(n_inputs, tuple(steps), (total - 1, *extra))


def scalar_graph_errors(count: int, seed: int = 0) -> list[float]:
    """Run `count` tame random graphs in both engines; the error of each."""
    rng = random.Random(seed)
    errors: list[float] = []
    while len(errors) < count:
        program = random_program(rng)
        xs = [rng.uniform(-2.0, 2.0) for _ in range(program.n_inputs)]
        leaves = [Value(x) for x in xs]
        out, registers = program.run(leaves)
        if not is_tame(registers, program):
            continue
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        reference, _ = program.run(tensors)
        reference.backward()
        theirs = [0.0 if t.grad is None else t.grad.item() for t in tensors]
        error = max(scaled_error([v.grad for v in leaves], theirs),
                    scaled_error(out.data, reference.item()))
        assert error <= TOLERANCE, f"graph {len(errors)} (seed {seed}):\n{program}\nxs={xs}"
        errors.append(error)
    return errors


def test_2000_random_scalar_graphs_match_pytorch_float64() -> None:
    errors = scalar_graph_errors(SCALAR_GRAPHS)
    assert len(errors) == SCALAR_GRAPHS and max(errors) <= TOLERANCE


# ------------------------------------------------------------------ tensor programs
# Each op is total on the reals and keeps shapes broadcast-compatible with the
# program's full shape: binary ops broadcast, reductions keep their axis.
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.tanh().exp(),
    "log": lambda a: (a * a + 1.0).log(),
    "relu": lambda a: (a + 0.3).relu(),
    "square": lambda a: a**2,
    "scale": lambda a: a * -0.75 + 0.5,
    # the PyTorch names of issue 19, each returning its input's shape
    "softmax via transpose": lambda a: a.transpose(0, -1).softmax(dim=0).transpose(0, -1)
    if a.ndim else a,
    "permute": lambda a: a.permute(*reversed(range(a.ndim))).tanh().permute(
        *reversed(range(a.ndim))) if a.ndim else a,
    "masked_fill": lambda a: a.masked_fill(a > 1.0, 0.25),
    "tril": lambda a: a.tril() if a.ndim >= 2 else a,
    "triu": lambda a: a.triu(-1) if a.ndim >= 2 else a,
    "clone": lambda a: a.clone() * 0.5,
    "expand": lambda a: a.expand(2, *a.shape).sum(0),
    "mask as numbers": lambda a: a * (a > 0).double(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": lambda a, b: a.maximum(b),
}
REDUCE = ("sum", "mean", "amax", "logsumexp", "max", "std")


def reduce(a: Any, name: str, axis: int) -> Any:
    """A reduction over one axis that keeps it (length 1), in either engine
    (PyTorch's keywords, which both take)."""
    if name == "max":  # max(dim) gives (values, indices)
        return a.max(dim=axis, keepdim=True).values
    if name == "std":  # correction 0: an axis of length 1 has std 0, not nan
        return a.std(dim=axis, keepdim=True, correction=0)
    return getattr(a, name)(dim=axis, keepdim=True)


def random_tensor_program(rng: random.Random) -> tuple[list[tuple[int, ...]], list[tuple]]:
    """Input shapes that broadcast together, and steps over registers."""
    full = tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 3)))
    shapes = []
    for _ in range(rng.randint(1, 3)):
        kept = full[rng.randint(0, len(full)) :]  # drop some leading axes
        shapes.append(tuple(1 if rng.random() < 0.3 else n for n in kept))
    steps: list[tuple] = []
    ndims = [len(s) for s in shapes]
    for _ in range(rng.randint(1, 8)):
        k = len(ndims)
        kind = rng.random()
        if kind < 0.45:
            i, j = rng.randrange(k), rng.randrange(k)
            steps.append(("binary", rng.choice(sorted(BINARY)), i, j))
            ndims.append(max(ndims[i], ndims[j]))
        elif kind < 0.8:
            i = rng.randrange(k)
            steps.append(("unary", rng.choice(sorted(UNARY)), i))
            ndims.append(ndims[i])
        else:
            candidates = [r for r in range(k) if ndims[r] > 0]
            if not candidates:
                continue
            i = rng.choice(candidates)
            steps.append(("reduce", rng.choice(REDUCE), i, -rng.randint(1, ndims[i])))
            ndims.append(ndims[i])
    return shapes, steps


def run_tensor_program(steps: list[tuple], inputs: list[Any]) -> Any:
    registers = list(inputs)
    for step in steps:
        if step[0] == "binary":
            registers.append(BINARY[step[1]](registers[step[2]], registers[step[3]]))
        elif step[0] == "unary":
            registers.append(UNARY[step[1]](registers[step[2]]))
        else:
            registers.append(reduce(registers[step[2]], step[1], step[3]))
    out = registers[-1]
    for extra in registers[len(inputs) : -1 : 3]:  # some interior registers feed the loss too
        out = out + extra
    return out


def tensor_program_errors(count: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    errors: list[float] = []
    while len(errors) < count:
        shapes, steps = random_tensor_program(rng)
        arrays = [np_rng.uniform(-2.0, 2.0, size=s) for s in shapes]
        ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = run_tensor_program(steps, ours)
        if not np.all(np.abs(out.data) < 1e6):
            continue
        upstream = np_rng.normal(size=out.shape)
        out.backward(upstream)
        theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        reference = run_tensor_program(steps, theirs)
        reference.backward(torch.tensor(upstream))
        error = scaled_error(out.data, reference.detach().numpy())
        for t, r in zip(ours, theirs, strict=True):
            expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
            got = np.zeros(t.shape) if t.grad is None else t.grad  # an input left unused
            assert got.shape == t.shape
            error = max(error, scaled_error(got, expected))
        assert error <= TOLERANCE, f"program {len(errors)} (seed {seed}): {shapes} {steps}"
        errors.append(error)
    return errors


def test_500_random_broadcasting_tensor_programs_match_pytorch_float64() -> None:
    errors = tensor_program_errors(TENSOR_PROGRAMS)
    assert len(errors) == TENSOR_PROGRAMS and max(errors) <= TOLERANCE

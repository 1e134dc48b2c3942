"""chainrule's scalar engine against micrograd 0.1.0, in one process.

Three measurements:

1. one training step (forward, backward, update) of an MLP(2, [16, 16, 1])
   on 100 two-moons points, built as the *same graph* in both engines (same
   weights, same operations in the same order; the losses are checked equal);
2. backward through a long chain ``y = y + 1.0``: how deep each engine gets
   (micrograd's recursive topological sort hits the recursion limit);
3. bytes per graph node of the training step's forward graph (tracemalloc).

Run: ``python benchmarks/bench_scalar.py`` (needs ``pip install -e '.[bench]'``).
Prints a table and writes ``benchmarks/results/scalar.json``.
"""

from __future__ import annotations

import gc
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from micrograd import engine as micro_engine
from micrograd import nn as micro_nn

import chainrule
from chainrule import Value
from chainrule.data import make_moons
from chainrule.graph import topological_order
from chainrule.scalar_nn import MLP, train_step

RESULTS = Path(__file__).resolve().parent / "results" / "scalar.json"
SIZES = [16, 16, 1]
N_POINTS = 100
REPEATS = 5
LEARNING_RATE = 0.01
ALPHA = 1e-4


# ------------------------------------------------------------------ the models


def make_models(seed: int = 1) -> tuple[micro_nn.MLP, MLP]:
    """micrograd's MLP (ReLU hidden layers, linear output) and a chainrule MLP
    with the same architecture and a copy of its weights."""
    random.seed(seed)
    micro = micro_nn.MLP(2, SIZES)
    ours = MLP(2, SIZES, activation="relu", output_activation=None)
    for p, q in zip(ours.parameters(), micro.parameters(), strict=True):
        p.data = float(q.data)
    return micro, ours


def loss_of(model: Any, X: list[list[float]], y: list[int]) -> Any:
    """micrograd's demo loss, written once with operators only, so it builds the
    same graph in both engines: mean hinge loss plus an L2 penalty."""
    scores = [model(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def plain_step(model: Any, X: list[list[float]], y: list[int]) -> float:
    """Forward, backward, update: the same code for both engines."""
    total = loss_of(model, X, y)
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return float(total.data)


def median_time(step: Callable[[], object], repeats: int = REPEATS) -> tuple[float, list[float]]:
    """Median wall time of `repeats` consecutive calls (after one warm-up call),
    as in a training loop: each step also pays for the garbage of the last."""
    gc.collect()
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def count_micro_nodes(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# ------------------------------------------------------------------ 1. the step


def bench_step() -> dict[str, Any]:
    X, y = make_moons(N_POINTS, noise=0.1, seed=0)
    micro, ours = make_models()
    micro_loss = loss_of(micro, X, y)
    our_loss = loss_of(ours, X, y)
    nodes = (count_micro_nodes(micro_loss), len(topological_order(our_loss)))
    assert nodes[0] == nodes[1], f"graphs differ: micrograd {nodes[0]}, chainrule {nodes[1]}"
    assert abs(micro_loss.data - our_loss.data) < 1e-12, (micro_loss.data, our_loss.data)
    del micro_loss, our_loss

    gc_state = (gc.isenabled(), gc.get_threshold())
    micrograd_s, micro_times = median_time(lambda: plain_step(micro, X, y))
    gc.disable()
    try:
        micrograd_nogc_s, _ = median_time(lambda: plain_step(micro, X, y))
    finally:
        gc.enable()
    micro_state = (gc.isenabled(), gc.get_threshold())
    chainrule_s, our_times = median_time(lambda: plain_step(ours, X, y))
    train_step_s, _ = median_time(
        lambda: train_step(ours, X, y, LEARNING_RATE, loss="hinge", alpha=ALPHA)
    )
    assert (gc.isenabled(), gc.get_threshold()) == gc_state == micro_state, "gc state changed"

    return {
        "graph_nodes": nodes[1],
        "micrograd_s": micrograd_s,
        "micrograd_without_gc_s": micrograd_nogc_s,
        "micrograd_gc_share": 1.0 - micrograd_nogc_s / micrograd_s,
        "chainrule_s": chainrule_s,
        "chainrule_train_step_s": train_step_s,
        "speedup": micrograd_s / chainrule_s,
        "speedup_train_step": micrograd_s / train_step_s,
        "micrograd_times_s": micro_times,
        "chainrule_times_s": our_times,
        "gc_left_as_found": True,
    }


# ------------------------------------------------------------ 2. the long chain


def chain(value_type: type, depth: int) -> tuple[Any, Any]:
    x = value_type(1.0)
    y = x
    for _ in range(depth):
        y = y + 1.0
    return x, y


def backward_works(value_type: type, depth: int) -> bool:
    x, y = chain(value_type, depth)
    try:
        y.backward()
    except RecursionError:
        return False
    return x.grad == 1.0


def deepest(value_type: type, low: int, high: int) -> int:
    """The largest depth in [low, high] whose backward succeeds (bisection)."""
    while low < high:
        middle = (low + high + 1) // 2
        if backward_works(value_type, middle):
            low = middle
        else:
            high = middle - 1
    return low


def time_backward(value_type: type, depth: int) -> float:
    """Backward time of a fresh chain: the best of 5 runs up to depth 10,000, else one."""
    best = float("inf")
    for _ in range(5 if depth <= 10_000 else 1):
        x, y = chain(value_type, depth)
        start = time.perf_counter()
        y.backward()
        best = min(best, time.perf_counter() - start)
        assert x.grad == 1.0
    return best


def bench_chain() -> dict[str, Any]:
    micro_max = deepest(micro_engine.Value, 1, 100_000)
    depths = [100, 1_000, 10_000, 100_000, 1_000_000]
    ours = {str(d): time_backward(Value, d) for d in depths}
    common = min(500, micro_max)
    return {
        "recursion_limit": sys.getrecursionlimit(),
        "micrograd_max_depth": micro_max,
        "chainrule_max_depth_tried": depths[-1],
        "chainrule_backward_s": ours,
        "common_depth": common,
        "micrograd_backward_common_s": time_backward(micro_engine.Value, common),
        "chainrule_backward_common_s": time_backward(Value, common),
    }


# ---------------------------------------------------------------- 3. the memory


def traced_bytes_per_node(model: Any, X: list[list[float]], y: list[int], count) -> float:
    """Bytes allocated while building the loss's forward graph, per new node."""
    n_params = len(model.parameters())
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        total = loss_of(model, X, y)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / (count(total) - n_params)


def bench_memory() -> dict[str, Any]:
    X, y = make_moons(N_POINTS, noise=0.1, seed=0)
    micro, ours = make_models()
    return {
        "micrograd_bytes_per_node": traced_bytes_per_node(micro, X, y, count_micro_nodes),
        "chainrule_bytes_per_node": traced_bytes_per_node(
            ours, X, y, lambda root: len(topological_order(root))
        ),
    }


# ------------------------------------------------------------------- reporting


def main() -> dict[str, Any]:
    results: dict[str, Any] = {
        "command": "python benchmarks/bench_scalar.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": platform.system(),
        "chainrule": chainrule.__version__,
        "micrograd": metadata.version("micrograd"),
        "model": f"MLP(2, {SIZES}) on {N_POINTS} two-moons points, hinge loss + L2",
        "step": bench_step(),
        "chain": bench_chain(),
        "memory": bench_memory(),
    }
    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return results


def print_table(r: dict[str, Any]) -> None:
    step, chain_, memory = r["step"], r["chain"], r["memory"]
    print(f"chainrule {r['chainrule']} vs micrograd {r['micrograd']}, Python {r['python']}")
    print(f"\n1. one training step: {r['model']} ({step['graph_nodes']} nodes, same graph)")
    rows = [
        ("micrograd", step["micrograd_s"], 1.0),
        ("micrograd, gc disabled (not a fix)", step["micrograd_without_gc_s"],
         step["micrograd_s"] / step["micrograd_without_gc_s"]),
        ("chainrule, same code", step["chainrule_s"], step["speedup"]),
        ("chainrule train_step", step["chainrule_train_step_s"], step["speedup_train_step"]),
    ]
    print(f"   {'engine':<36} {'median s':>9} {'speedup':>8}")
    for name, seconds, ratio in rows:
        print(f"   {name:<36} {seconds:>9.4f} {ratio:>7.1f}x")
    print(f"   micrograd's time in the cyclic gc: {step['micrograd_gc_share']:.0%}")

    print(f"\n2. backward of a chain y = y + 1.0 (recursion limit {chain_['recursion_limit']})")
    print(f"   micrograd: deepest chain that works: {chain_['micrograd_max_depth']}")
    for depth, seconds in chain_["chainrule_backward_s"].items():
        print(f"   chainrule: depth {int(depth):>9,}: backward {seconds:.4f} s")
    common = chain_["common_depth"]
    print(
        f"   at depth {common}: micrograd {chain_['micrograd_backward_common_s'] * 1e3:.2f} ms, "
        f"chainrule {chain_['chainrule_backward_common_s'] * 1e3:.2f} ms"
    )

    print("\n3. memory of the step's forward graph (tracemalloc)")
    print(f"   micrograd: {memory['micrograd_bytes_per_node']:.0f} bytes per node")
    print(f"   chainrule: {memory['chainrule_bytes_per_node']:.0f} bytes per node")


if __name__ == "__main__":
    main()

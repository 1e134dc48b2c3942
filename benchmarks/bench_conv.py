"""The convolution chapter's CNN: an epoch in chainrule and in PyTorch CPU, each in its own process.

The model is the one of docs/part3/convolution.md: Conv2d(1, 16, 3, padding 1),
ReLU, max-pool 2, Conv2d(16, 32, 3, padding 1), ReLU, max-pool 2, Flatten,
Linear(128, 10); cross-entropy; SGD with lr 0.05 and momentum 0.9; batch 64;
the chapter's training set (`chainrule.train.digits_split(seed=0)`, 1,150
images, 18 steps an epoch). Contenders, from the same weights and seeing the
same batches:

- ``chainrule``: `chainrule.conv` (strided windows, one matrix product per
  layer, numpy's OpenBLAS held to one thread);
- ``PyTorch, 1 thread``: ``torch.nn.functional.conv2d`` and ``max_pool2d``,
  ``torch.optim.SGD``, with ``torch.set_num_threads(1)``.

First, one epoch of each from the same weights must end with the same
weights (to float32 rounding), so the two do the same computation. Then the
parent process starts one child process per contender and round, the two
taking turns (``--rounds``, 10 by default); a child runs a warm-up epoch and
three timed epochs and reports its best. The figures are CPU seconds of the
child (``time.process_time``; wall-clock times are recorded too), and the
book quotes the ratio of the contenders' best rounds, chainrule / PyTorch,
in float32 and in float64, with the spread of the rounds as the noise.

Run: ``python benchmarks/bench_conv.py [--rounds 10]``. Writes
``benchmarks/results/conv.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_tensor import machine, openblas_threads
from fresh_process import run_json

from chainrule import Tensor, optim
from chainrule.conv import digits_cnn
from chainrule.data import batches
from chainrule.functional import cross_entropy
from chainrule.nn import Module
from chainrule.train import digits_split

RESULTS = Path(__file__).resolve().parent / "results"
LR, MOMENTUM, BATCH = 0.05, 0.9, 64


def images(dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    data = digits_split(seed=0, dtype=dtype)
    return data.X_train.reshape(-1, 1, 8, 8), data.y_train


def chainrule_cnn(dtype: Any, seed: int = 0) -> Module:
    """The chapter's CNN, as the chapter builds it."""
    return digits_cnn(seed, dtype)


class Chainrule:
    name = "chainrule"

    def __init__(self, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.model = chainrule_cnn(weights[0].dtype)
        for p, w in zip(self.model.parameters(), weights, strict=True):
            p.data[...] = w
        self.opt = optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.X, self.y = X, y

    def epoch(self, seed: int) -> None:
        for xb, yb in batches(self.X, self.y, BATCH, seed=seed):
            loss = cross_entropy(self.model(Tensor(xb)), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class Torch:
    """The same network written with torch.nn.functional, weights as chainrule lays them out."""

    name = "PyTorch, 1 thread"

    def __init__(self, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        import torch

        self.torch = torch
        self.params = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
        self.opt = torch.optim.SGD(self.params, lr=LR, momentum=MOMENTUM)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def forward(self, x: Any) -> Any:
        F = self.torch.nn.functional
        w1, b1, w2, b2, w3, b3 = self.params
        x = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)
        x = F.max_pool2d(F.relu(F.conv2d(x, w2, b2, padding=1)), 2)
        return F.linear(x.reshape(len(x), -1), w3, b3)  # both store Linear as (out, in)

    def epoch(self, seed: int) -> None:
        torch = self.torch
        torch.set_num_threads(1)
        order = torch.from_numpy(np.random.default_rng(seed).permutation(len(self.y)))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            loss = torch.nn.functional.cross_entropy(self.forward(self.X[rows]), self.y[rows])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.params]


CONTENDERS = {"chainrule": Chainrule, "PyTorch, 1 thread": Torch}
TIMED_EPOCHS = 3


def contender(name: str, dtype: Any) -> Any:
    """One contender, from the chapter's initial weights (the same in every process)."""
    X, y = images(dtype)
    weights = [p.data.copy() for p in chainrule_cnn(dtype).parameters()]
    return CONTENDERS[name](weights, X, y)


def child(name: str, dtype_name: str, weights_file: str) -> None:
    """In a process of its own: one epoch's weights saved, then epochs timed."""
    if name != "chainrule":  # torch is imported only in PyTorch's processes
        import torch

        torch.set_num_threads(1)
    openblas_threads(1)
    dtype = np.dtype(dtype_name).type
    runner = contender(name, dtype)
    if weights_file:  # the same-computation check: one epoch, then the weights
        runner.epoch(12345)
        np.savez(weights_file, *runner.weights())
        print(json.dumps({"weights_file": weights_file}))
        return
    runner.epoch(0)  # warm-up
    times: dict[str, list[float]] = {"cpu": [], "wall": []}
    for epoch in range(TIMED_EPOCHS):
        cpu, wall = time.process_time(), time.perf_counter()
        runner.epoch(1000 + epoch)
        times["cpu"].append(time.process_time() - cpu)
        times["wall"].append(time.perf_counter() - wall)
    print(json.dumps({clock: min(ts) for clock, ts in times.items()}))


def run_child(name: str, dtype: Any, weights_file: str = "") -> Any:
    return run_json(__file__, "--child", name, np.dtype(dtype).name, weights_file)


def same_computation(dtype: Any, tolerance: float) -> float:
    """One epoch of each from the same weights: the largest weight difference afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        ends = []
        for name in CONTENDERS:
            path = f"{folder}/{name.split(',')[0]}.npz"
            run_child(name, dtype, path)
            with np.load(path) as saved:
                ends.append([saved[key] for key in sorted(saved, key=lambda k: int(k[4:]))])
    gap = max(float(np.max(np.abs(a - b))) for a, b in zip(*ends, strict=True))
    assert gap < tolerance, f"chainrule and PyTorch drift apart by {gap} after one epoch"
    return gap


def time_epochs(dtype: Any, rounds: int) -> dict[str, list[dict[str, float]]]:
    """Each contender's best epoch per round, one process each, taking turns."""
    names = list(CONTENDERS)
    times: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            times[name].append(run_child(name, dtype))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="processes per contender")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    facts = machine()
    facts["openblas_threads_while_timing"] = 1
    results: dict[str, Any] = {
        "command": "python benchmarks/bench_conv.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": facts,
        "task": "one epoch of the convolution chapter's CNN (6,090 parameters), batch 64, "
                "SGD lr 0.05 momentum 0.9",
        "train_size": len(images(np.float32)[1]),
        "rounds": args.rounds,
        "clock": "CPU time of each contender's process, best of its rounds",
        "dtypes": {},
    }
    for dtype, tolerance in ((np.float32, 1e-4), (np.float64, 1e-10)):
        gap = same_computation(dtype, tolerance)
        times = time_epochs(dtype, args.rounds)
        figures = {
            name: {"best_ms": min(r["cpu"] for r in rs) * 1e3,
                   "median_ms": statistics.median(r["cpu"] for r in rs) * 1e3,
                   "best_wall_ms": min(r["wall"] for r in rs) * 1e3}
            for name, rs in times.items()
        }
        ratio = figures["chainrule"]["best_ms"] / figures["PyTorch, 1 thread"]["best_ms"]
        results["dtypes"][np.dtype(dtype).name] = {
            "same_computation_max_weight_gap": gap,
            "contenders": figures,
            "chainrule_over_pytorch": ratio,
            "chainrule_over_pytorch_wall": figures["chainrule"]["best_wall_ms"]
            / figures["PyTorch, 1 thread"]["best_wall_ms"],
        }
        print(f"{np.dtype(dtype).name}: " + ", ".join(
            f"{name} best {f['best_ms']:.1f} ms (median {f['median_ms']:.1f})"
            for name, f in figures.items()) + f"; chainrule / PyTorch = {ratio:.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "conv.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {RESULTS / 'conv.json'}")


if __name__ == "__main__":
    main()

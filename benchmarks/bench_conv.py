"""The convolution chapter's CNN: one epoch in chainrule against PyTorch CPU, in one run.

The model is the one of docs/part3/convolution.md: Conv2d(1, 16, 3, padding 1),
ReLU, max-pool 2, Conv2d(16, 32, 3, padding 1), ReLU, max-pool 2, Flatten,
Linear(128, 10); cross-entropy; SGD with lr 0.05 and momentum 0.9; batch 64;
the chapter's training set (`chainrule.train.digits_split(seed=0)`, 1,150
images). Contenders, from the same weights and seeing the same batches:

- ``chainrule``: `chainrule.conv` (im2col windows, numpy matrix products);
- ``PyTorch, 1 thread``: ``torch.nn.functional.conv2d`` and ``max_pool2d``,
  ``torch.optim.SGD``, with ``torch.set_num_threads(1)`` (numpy's OpenBLAS is
  held to one thread too, so the two compare like with like).

Before timing, one epoch of each from the same weights must end with the same
weights (to float32 rounding), so the two do the same computation. Epochs are
then interleaved round after round and the best and median rounds reported,
in float32 and in float64. The figure the book quotes is the ratio of the
best epoch times, chainrule / PyTorch, measured in this one run.

Run: ``python benchmarks/bench_conv.py [--rounds 10]``. Writes
``benchmarks/results/conv.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from bench_tensor import machine, openblas_threads

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


def contenders(dtype: Any) -> list[Any]:
    X, y = images(dtype)
    weights = [p.data.copy() for p in chainrule_cnn(dtype).parameters()]
    return [Chainrule(weights, X, y), Torch(weights, X, y)]


def same_computation(dtype: Any, tolerance: float) -> float:
    """One epoch from the same weights: the largest weight difference afterwards."""
    ours, theirs = contenders(dtype)
    ours.epoch(12345)
    theirs.epoch(12345)
    gap = max(float(np.max(np.abs(a - b)))
              for a, b in zip(ours.weights(), theirs.weights(), strict=True))
    assert gap < tolerance, f"chainrule and PyTorch drift apart by {gap} after one epoch"
    return gap


def time_epochs(runners: list[Any], rounds: int) -> dict[str, list[float]]:
    """Seconds per epoch for each runner, interleaved round by round, after a warm-up."""
    times: dict[str, list[float]] = {r.name: [] for r in runners}
    for r in runners:
        r.epoch(0)
    for round_ in range(rounds):
        order = runners if round_ % 2 == 0 else runners[::-1]
        for r in order:
            start = time.perf_counter()
            r.epoch(1000 + round_)
            times[r.name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed epochs per contender")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    facts = machine()
    facts["openblas_threads_while_timing"] = openblas_threads(1)
    results: dict[str, Any] = {
        "command": "python benchmarks/bench_conv.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": facts,
        "task": "one epoch of the convolution chapter's CNN (6,090 parameters), batch 64, "
                "SGD lr 0.05 momentum 0.9",
        "train_size": len(images(np.float32)[1]),
        "rounds": args.rounds,
        "dtypes": {},
    }
    for dtype, tolerance in ((np.float32, 1e-4), (np.float64, 1e-10)):
        gap = same_computation(dtype, tolerance)
        times = time_epochs(contenders(dtype), args.rounds)
        figures = {name: {"best_ms": min(ts) * 1e3, "median_ms": statistics.median(ts) * 1e3}
                   for name, ts in times.items()}
        ratio = figures["chainrule"]["best_ms"] / figures["PyTorch, 1 thread"]["best_ms"]
        results["dtypes"][np.dtype(dtype).name] = {
            "same_computation_max_weight_gap": gap,
            "contenders": figures,
            "chainrule_over_pytorch": ratio,
        }
        print(f"{np.dtype(dtype).name}: " + ", ".join(
            f"{name} best {f['best_ms']:.1f} ms (median {f['median_ms']:.1f})"
            for name, f in figures.items()) + f"; chainrule / PyTorch = {ratio:.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "conv.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {RESULTS / 'conv.json'}")


if __name__ == "__main__":
    main()

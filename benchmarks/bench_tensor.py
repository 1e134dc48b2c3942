"""chainrule's Tensor engine against the numpy floor and PyTorch CPU, in one run.

The task: one epoch of an MLP 64-128-10 (ReLU, cross-entropy, plain SGD) on
the training four fifths of the digits (1,438 images), float32, at batch 64
and at full batch. Contenders, all starting from the same weights and seeing
the same batches in the same order:

- ``chainrule``: `Tensor`, `nn.MLP`, `functional.cross_entropy`, `optim.SGD`;
- ``numpy floor``: a hand-written forward and backward doing only the
  necessary array work (the same matmuls, the fused ``p - y``, in-place
  updates): the yardstick for the engine's overhead (a lower bound for this
  way of writing the computation, not for every possible one);
- ``PyTorch``: ``torch.nn`` and ``torch.optim.SGD`` on the CPU, with one
  thread (``torch.set_num_threads(1)``) and with its default threads; the
  latter in a process of its own, since its worker threads keep spinning
  after each parallel region and slowed whatever ran next by up to 15%.

Each epoch is timed wall-clock, the contenders interleaved round after round
so that they share the machine's moods; we report the best and the median
round. numpy's OpenBLAS is held to one thread while timing, so that the
one-thread comparison with PyTorch is like for like. Peak memory:
`tracemalloc` (numpy's allocations) for the numpy-based contenders, and the
peak resident set size of a fresh process per contender.
A sweep over more batch sizes feeds the plot. Finally a longer training run
checks the accuracy on the held-out fifth (>= 95%).

Run: ``python benchmarks/bench_tensor.py`` (needs ``pip install -e '.[bench]'``).
Prints a table, writes ``benchmarks/results/tensor.json`` and, with
`chainrule.plot`, ``benchmarks/results/tensor.svg``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from fresh_process import run_json

from chainrule import Tensor, nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.tensor import no_grad

RESULTS = Path(__file__).resolve().parent / "results"
HIDDEN, CLASSES, LR = 128, 10, 0.1
MAIN_BATCHES = (64, "full")
SWEEP = (16, 32, 64, 128, 256, 512, "full")
TARGET_VS_FLOOR, AIM_VS_FLOOR, TARGET_VS_TORCH1 = 1.5, 1.2, 0.8
Epoch = Callable[[int], None]  # runs one epoch; its argument seeds the batch order


# ------------------------------------------------------------------ data and weights
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pixels scaled to [0, 1], float32; the held-out fifth is the test set."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split((X / 16.0).astype(np.float32), y, seed=0)
    return X_train, X_test, y_train, y_test


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    """W1 (128, 64), b1, W2 (10, 128), b2, as chainrule's He initialisation draws them
    (PyTorch's layout, (out, in))."""
    model = nn.MLP(64, [HIDDEN, CLASSES], rng=seed, dtype=np.float32)
    return [p.data.copy() for p in model.parameters()]


def batch_size_of(batch: int | str, n: int) -> int:
    return n if batch == "full" else int(batch)


# ------------------------------------------------------------------ the contenders
class Chainrule:
    name = "chainrule"

    def __init__(self, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.model = nn.MLP(64, [HIDDEN, CLASSES], dtype=weights[0].dtype)
        for p, w in zip(self.model.parameters(), weights, strict=True):
            p.data[...] = w
        self.opt = optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = X.astype(weights[0].dtype), y

    def epoch(self, batch_size: int, seed: int) -> float:
        for xb, yb in batches(self.X, self.y, batch_size, seed=seed):
            loss = cross_entropy(self.model(Tensor(xb)), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return loss.item()

    def predict(self, X: np.ndarray) -> np.ndarray:
        with no_grad():
            return self.model(Tensor(X.astype(self.X.dtype))).data.argmax(axis=1)

    def weights(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


# --8<-- [start:floor]
class NumpyFloor:
    """Forward, backward and update by hand: only the array work that must happen."""

    name = "numpy floor"

    def __init__(self, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        # kept as (in, out), so the epoch multiplies without a transpose
        self.W1, self.W2 = weights[0].T.copy(), weights[2].T.copy()
        self.b1, self.b2 = weights[1].copy(), weights[3].copy()
        self.X, self.y = X, y

    def epoch(self, batch_size: int, seed: int) -> float:
        W1, b1, W2, b2 = self.W1, self.b1, self.W2, self.b2
        for xb, yb in batches(self.X, self.y, batch_size, seed=seed):
            n = len(yb)
            rows = np.arange(n)
            z1 = xb @ W1
            z1 += b1
            h = np.maximum(z1, 0)
            z2 = h @ W2
            z2 += b2
            z2 -= z2.max(axis=1, keepdims=True)
            e = np.exp(z2)
            total = e.sum(axis=1, keepdims=True)
            loss = (np.log(total).sum() - z2[rows, yb].sum()) / n
            p = e / total  # backward: softmax - onehot, over n
            p[rows, yb] -= 1
            p /= n
            dW2, db2 = h.T @ p, p.sum(axis=0)
            dh = p @ W2.T
            dh *= z1 > 0
            dW1, db1 = xb.T @ dh, dh.sum(axis=0)
            W1 -= LR * dW1
            b1 -= LR * db1
            W2 -= LR * dW2
            b2 -= LR * db2
        return float(loss)
# --8<-- [end:floor]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (np.maximum(X @ self.W1 + self.b1, 0) @ self.W2 + self.b2).argmax(axis=1)

    def weights(self) -> list[np.ndarray]:
        return [self.W1.T, self.b1, self.W2.T, self.b2]


class Torch:
    """The same model in PyTorch; `threads` is set before every epoch."""

    def __init__(self, weights: list[np.ndarray], X: np.ndarray, y: np.ndarray,
                 threads: int, label: str) -> None:
        import torch

        self.torch, self.threads, self.name = torch, threads, label
        self.model = torch.nn.Sequential(
            torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES)
        )
        with torch.no_grad():  # the same layout as chainrule's: no transpose
            self.model[0].weight.copy_(torch.from_numpy(weights[0]))
            self.model[0].bias.copy_(torch.from_numpy(weights[1]))
            self.model[2].weight.copy_(torch.from_numpy(weights[2]))
            self.model[2].bias.copy_(torch.from_numpy(weights[3]))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def epoch(self, batch_size: int, seed: int) -> float:
        torch = self.torch
        torch.set_num_threads(self.threads)
        order = torch.from_numpy(np.random.default_rng(seed).permutation(len(self.y)))
        loss_fn = torch.nn.functional.cross_entropy
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            loss = loss_fn(self.model(self.X[rows]), self.y[rows])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return loss.item()

    def predict(self, X: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(X)).argmax(dim=1).numpy()

    def weights(self) -> list[np.ndarray]:
        a, b = self.model[0], self.model[2]
        return [t.detach().numpy() for t in (a.weight, a.bias, b.weight, b.bias)]


def contenders(X: np.ndarray, y: np.ndarray, with_torch: bool = True) -> list[Any]:
    """chainrule, the floor and PyTorch with one thread, from the same weights."""
    weights = initial_weights()
    found: list[Any] = [Chainrule(weights, X, y), NumpyFloor(weights, X, y)]
    if with_torch:
        found.append(Torch(weights, X, y, 1, "PyTorch, 1 thread"))
    return found


def torch_default_child(rounds: int) -> None:
    """Run in a fresh process: time PyTorch with its default threads.

    Apart from the others because its worker threads keep spinning for a while
    after each parallel region: on a 2-core machine that slowed whichever
    contender ran next in the same process by up to 15%.
    """
    import torch

    openblas_threads(1)
    X_train, _, y_train, _ = digits()
    n, threads = len(X_train), torch.get_num_threads()
    runner = Torch(initial_weights(), X_train, y_train, threads,
                   f"PyTorch, {threads} threads (default, own process)")
    found: dict[str, Any] = {"name": runner.name, "main": {}, "sweep": {}}
    for batch in MAIN_BATCHES:
        times = time_epochs([runner], batch, n, main_rounds(batch, rounds))
        found["main"][str(batch)] = times[runner.name]
    for batch in SWEEP:
        found["sweep"][str(batch)] = time_epochs([runner], batch, n, sweep_rounds(rounds))[
            runner.name]
    print(json.dumps(found))


def main_rounds(batch: int | str, rounds: int) -> int:
    return rounds if batch != "full" else rounds * 4


def sweep_rounds(rounds: int) -> int:
    return max(5, rounds // 2)


# ------------------------------------------------------------------ checks and timing
def check_same_computation(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """One epoch at batch 64 from the same weights: every contender must end
    with (nearly) the same weights, or the timings compare different work."""
    runners = contenders(X, y)
    for runner in runners:
        runner.epoch(64, 12345)
    reference = runners[1].weights()  # the floor
    gaps = {}
    for runner in runners:
        gap = max(float(np.max(np.abs(a - b))) for a, b in zip(runner.weights(), reference,
                                                               strict=True))
        assert gap < 1e-4, f"{runner.name} drifts from the floor by {gap}"
        gaps[runner.name] = gap
    return gaps


def time_epochs(runners: list[Any], batch: int | str, n: int, rounds: int) -> dict[str, list]:
    """Seconds per epoch for each runner, interleaved round by round."""
    size = batch_size_of(batch, n)
    times: dict[str, list[float]] = {r.name: [] for r in runners}
    for warmup in range(2):
        for r in runners:
            r.epoch(size, warmup)
    for round_ in range(rounds):
        turn = round_ % len(runners)  # rotate, so no one always follows the same contender
        for r in runners[turn:] + runners[:turn]:
            start = time.perf_counter()
            r.epoch(size, 1000 + round_)
            times[r.name].append(time.perf_counter() - start)
    return times


def tracemalloc_peak(runner: Any, batch_size: int) -> int:
    """Bytes allocated at the peak of one epoch, above what was live before it."""
    runner.epoch(batch_size, 0)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    runner.epoch(batch_size, 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def rss_child(which: str) -> None:
    """Run in a fresh process: train a contender for 3 epochs at batch 64 and
    print its peak resident set size, and the part of it after the imports."""
    X_train, _, y_train, _ = digits()
    if which.startswith("torch"):
        import torch

        torch.set_num_threads(1 if which == "torch1" else torch.get_num_threads())
    after_imports = peak_rss_mb()
    weights = initial_weights()
    if which == "chainrule":
        runner: Any = Chainrule(weights, X_train, y_train)
    elif which == "floor":
        runner = NumpyFloor(weights, X_train, y_train)
    else:
        import torch

        runner = Torch(weights, X_train, y_train, torch.get_num_threads(), which)
    for epoch in range(3):
        runner.epoch(64, epoch)
    print(json.dumps({"peak_rss_mb": peak_rss_mb(), "after_imports_mb": after_imports}))


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB.

    Not ``getrusage``'s ru_maxrss: on Linux a child started by fork and exec
    inherits its parent's figure, so every child would report the parent's.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_of(which: str) -> dict[str, float]:
    return run_json(__file__, "--rss-child", which)


def accuracy_run(X_train, X_test, y_train, y_test, epochs: int = 30) -> dict[str, float]:
    """Train each numpy-side contender (and PyTorch, 1 thread) for `epochs` at batch 64."""
    found = {}
    for runner in contenders(X_train, y_train)[:3]:
        for epoch in range(epochs):
            runner.epoch(64, epoch)
        found[runner.name] = float((runner.predict(X_test) == y_test).mean())
    return found


# ------------------------------------------------------------------ machine facts
def _openblas() -> tuple[Any, str] | None:
    """numpy's OpenBLAS library and its symbol prefix, found through ctypes."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
        lib = ctypes.CDLL(paths[0])
    except (OSError, IndexError):
        return None
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", ""):
            if hasattr(lib, f"{prefix}get_num_threads{suffix}"):
                return lib, f"{prefix}{{}}{suffix}"
    return None


def openblas_threads(count: int | None = None) -> int | None:
    """numpy's OpenBLAS thread count, after setting it to `count` if given."""
    found = _openblas()
    if found is None:
        return None
    lib, name = found
    if count is not None:
        getattr(lib, name.format("set_num_threads"))(count)
    return int(getattr(lib, name.format("get_num_threads"))())


def openblas_facts() -> dict[str, Any]:
    """numpy's OpenBLAS: the kernel it picked and its thread count (best effort)."""
    facts: dict[str, Any] = {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "unset")}
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        facts[key] = os.environ.get(key, "unset")
    found = _openblas()
    if found is not None:
        lib, name = found
        corename = getattr(lib, name.format("get_corename"), None)
        if corename is not None:
            corename.restype = ctypes.c_char_p
            facts["openblas_core"] = corename().decode()
        facts["openblas_default_threads"] = openblas_threads()
    return facts


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "chainrule": metadata.version("chainrule"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        **openblas_facts(),
    }
    try:
        import torch

        facts["torch"] = torch.__version__
        facts["torch_default_threads"] = torch.get_num_threads()
    except ImportError:
        facts["torch"] = None
    return facts


# ------------------------------------------------------------------ report
def summarise(times: dict[str, list[float]], steps: int) -> dict[str, dict[str, float]]:
    return {
        name: {
            "best_ms": min(ts) * 1e3,
            "median_ms": statistics.median(ts) * 1e3,
            "best_us_per_step": min(ts) * 1e6 / steps,
        }
        for name, ts in times.items()
    }


def print_table(results: dict[str, Any]) -> None:
    for batch, row in results["epoch"].items():
        steps = f"{row['steps']} step" + ("" if row["steps"] == 1 else "s")
        print(f"\nOne epoch, batch {batch} ({steps}), float32:")
        print(f"  {'contender':44} {'best ms':>9} {'median ms':>10} {'us/step':>8} "
              f"{'x floor':>8} {'x torch1':>9} {'tracemalloc':>12}")
        for name, figures in row["contenders"].items():
            peak = figures.get("tracemalloc_peak_kb")
            peak_text = f"{peak:9.0f} KB" if peak is not None else f"{'-':>12}"
            print(f"  {name:44} {figures['best_ms']:9.3f} {figures['median_ms']:10.3f} "
                  f"{figures['best_us_per_step']:8.1f} {figures['vs_floor']:8.2f} "
                  f"{figures.get('vs_torch_1_thread', float('nan')):9.2f} {peak_text}")
    print("\nPeak resident memory of a fresh process (3 epochs at batch 64):")
    for name, figures in results["rss"].items():
        print(f"  {name:32} {figures['peak_rss_mb']:7.1f} MB "
              f"(after imports {figures['after_imports_mb']:.1f} MB)")
    print("\nAccuracy on the held-out fifth after 30 epochs at batch 64:")
    for name, accuracy in results["accuracy"].items():
        print(f"  {name:32} {accuracy:.4f}")
    print("\nTargets at batch 64:")
    for name, verdict in results["targets"].items():
        print(f"  {name:45} {verdict['value']:.3f}  {'PASS' if verdict['ok'] else 'FAIL'}")
    m = results["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']} "
          f"(OpenBLAS core {m.get('openblas_core', '?')}, held to "
          f"{m.get('openblas_threads_while_timing', '?')} thread of "
          f"{m.get('openblas_default_threads', '?')}, OPENBLAS_CORETYPE="
          f"{m['OPENBLAS_CORETYPE']}); torch {m.get('torch')}")


def plot(results: dict[str, Any], path: Path) -> bool:
    """Epoch time against batch size for every contender, as an SVG."""
    try:
        from chainrule.plot import PALETTE, Figure
    except ImportError:
        return False
    n = results["train_size"]
    fig = Figure(title="One epoch of MLP 64-128-10 on the digits (float32, best round)",
                 xlabel="batch size (the right end is the full batch)",
                 ylabel="time per epoch (ms)", xscale="log", yscale="log", xlim=(10, 2000))
    sweep = results["sweep"]
    names = list(next(iter(sweep.values())))
    for name, color in zip(names, PALETTE, strict=False):
        xs = [batch_size_of(batch, n) for batch in sweep]
        ys = [sweep[batch][name] for batch in sweep]
        fig.line(xs, ys, label=name, color=color, dashed=name.startswith("PyTorch"))
        fig.scatter(xs, ys, color=color, size=3)
    fig.vline(64)
    fig.save(path)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed epochs per contender")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    parser.add_argument("--torch-default-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child)
        return
    if args.torch_default_child:
        torch_default_child(args.rounds)
        return

    X_train, X_test, y_train, y_test = digits()
    n = len(X_train)
    facts = machine()
    # numpy's BLAS gets one thread too, so that "1 thread" compares like with like
    facts["openblas_threads_while_timing"] = openblas_threads(1)
    results: dict[str, Any] = {
        "command": "python benchmarks/bench_tensor.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": facts,
        "task": "one epoch of MLP 64-128-10, ReLU, cross-entropy, SGD lr 0.1, float32",
        "train_size": n,
        "same_computation_max_weight_gap": check_same_computation(X_train, y_train),
        "epoch": {},
        "sweep": {},
    }
    runners = contenders(X_train, y_train)
    for batch in MAIN_BATCHES:
        size = batch_size_of(batch, n)
        steps = -(-n // size)
        times = time_epochs(runners, batch, n, main_rounds(batch, args.rounds))
        figures = summarise(times, steps)
        floor = figures["numpy floor"]["best_ms"]
        torch1 = figures.get("PyTorch, 1 thread", {}).get("best_ms")
        for runner in runners:
            row = figures[runner.name]
            row["vs_floor"] = row["best_ms"] / floor
            if torch1:
                row["vs_torch_1_thread"] = row["best_ms"] / torch1
            if not isinstance(runner, Torch):
                row["tracemalloc_peak_kb"] = tracemalloc_peak(runner, size) / 1024
        results["epoch"][str(batch)] = {"batch_size": size, "steps": steps,
                                        "contenders": figures}
    for batch in SWEEP:
        times = time_epochs(runners, batch, n, sweep_rounds(args.rounds))
        results["sweep"][str(batch)] = {name: min(ts) * 1e3 for name, ts in times.items()}
    default = run_json(__file__, "--torch-default-child", "--rounds", str(args.rounds))
    for batch, times in default["main"].items():
        row = results["epoch"][batch]
        figures = summarise({default["name"]: times}, row["steps"])[default["name"]]
        reference = row["contenders"]
        figures["vs_floor"] = figures["best_ms"] / reference["numpy floor"]["best_ms"]
        figures["vs_torch_1_thread"] = (
            figures["best_ms"] / reference["PyTorch, 1 thread"]["best_ms"])
        reference[default["name"]] = figures
    for batch, times in default["sweep"].items():
        results["sweep"][batch][default["name"]] = min(times) * 1e3
    results["rss"] = {
        name: rss_of(which)
        for name, which in [("chainrule", "chainrule"), ("numpy floor", "floor"),
                            ("PyTorch, 1 thread", "torch1"), ("PyTorch, default", "torch")]
    }
    results["accuracy"] = accuracy_run(X_train, X_test, y_train, y_test)
    ours = results["epoch"]["64"]["contenders"]["chainrule"]
    results["targets"] = {
        f"chainrule / numpy floor <= {TARGET_VS_FLOOR} (aim {AIM_VS_FLOOR})": {
            "value": ours["vs_floor"], "ok": ours["vs_floor"] <= TARGET_VS_FLOOR},
        f"chainrule / PyTorch 1 thread <= {TARGET_VS_TORCH1}": {
            "value": ours["vs_torch_1_thread"],
            "ok": ours["vs_torch_1_thread"] <= TARGET_VS_TORCH1},
        "chainrule accuracy on held-out fifth >= 0.95": {
            "value": results["accuracy"]["chainrule"],
            "ok": results["accuracy"]["chainrule"] >= 0.95},
    }
    RESULTS.mkdir(exist_ok=True)
    svg = RESULTS / "tensor.svg"
    results["plot"] = svg.name if plot(results, svg) else None
    (RESULTS / "tensor.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nWrote {RESULTS / 'tensor.json'}" + (f" and {svg}" if results["plot"] else
                                                     " (no plot: chainrule.plot missing)"))


if __name__ == "__main__":
    main()

"""Part IV's small GPT: a training step against PyTorch, and the full training run.

Two measurements, written to ``benchmarks/results/gpt.json``:

1. **Time per training step**, chainrule against PyTorch CPU on one thread,
   on the chapter's model (``listings/part4/train_gpt.py``'s settings),
   float32, from the same weights and on the same batches. A step is the
   forward pass, the backward pass, clipping and an AdamW step. PyTorch's
   model is the twin of ``tests/unit/test_gpt.py`` (where it matches
   chainrule's losses to 1e-10 in float64); here both first take 5 float32
   steps from the same weights and must agree to 1e-4. Then blocks of steps
   alternate between the engines, round after round, so both see the same
   load; the ratio quoted is that of the best blocks, from this one run.
   Each block's CPU time is recorded too: it leaves out the time spent
   waiting for a core, and the ratio of the median CPU times is the
   steadier figure on a busy machine.
2. **The training program**, ``python listings/part4/train_gpt.py``, run in
   a fresh process: its last line (the validation loss), its wall-clock
   seconds and its CPU seconds. On a busy machine the wall clock includes
   time spent waiting for a core; the CPU time of a one-thread program is
   close to what an idle machine's wall clock would show.

numpy's OpenBLAS and PyTorch are held to one thread. The machine's load
average is recorded before and after: figures from a loaded machine are
noisy, the ratio less so than the absolute times.

Run: ``python benchmarks/bench_gpt.py [--rounds 8] [--steps-per-round 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from bench_tensor import machine, openblas_threads  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LISTING = ROOT / "listings" / "part4" / "train_gpt.py"
sys.path[:0] = [str(ROOT), str(LISTING.parent)]

import train_gpt  # noqa: E402  (the chapter's settings, in one place)

from chainrule.gpt import GPT, get_batch  # noqa: E402
from chainrule.nn import clip_grad_norm_  # noqa: E402
from chainrule.optim import AdamW  # noqa: E402


class Chainrule:
    name = "chainrule"

    def __init__(self, model: GPT, ids: np.ndarray) -> None:
        self.model, self.ids = model, ids
        self.optimizer = AdamW(model.parameters(), lr=train_gpt.MAX_LR,
                               weight_decay=train_gpt.WEIGHT_DECAY)
        self.rng = np.random.default_rng(0)

    def step(self) -> float:
        c = self.model.config
        x, y = get_batch(self.ids, train_gpt.BATCH_SIZE, c.block_size, self.rng)
        _, loss = self.model(x, y)
        self.optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(self.model.parameters(), train_gpt.CLIP)
        self.optimizer.step()
        return loss.item()


class Torch:
    name = "PyTorch, 1 thread"

    def __init__(self, model: GPT, ids: np.ndarray) -> None:
        import torch

        from tests.unit.test_gpt import torch_twin

        self.torch = torch
        self.block_size = model.config.block_size
        self.model, self.ids = torch_twin(model).float(), ids
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=train_gpt.MAX_LR,
                                           weight_decay=train_gpt.WEIGHT_DECAY)
        self.rng = np.random.default_rng(0)

    def step(self) -> float:
        x, y = get_batch(self.ids, train_gpt.BATCH_SIZE, self.block_size, self.rng)
        loss = self.model(self.torch.from_numpy(x), self.torch.from_numpy(y))
        self.optimizer.zero_grad()
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.model.parameters(), train_gpt.CLIP)
        self.optimizer.step()
        return loss.item()


def training_ids() -> np.ndarray:
    from chainrule.data import shakespeare, shakespeare_split

    chars = sorted(set(shakespeare()))
    code = {ch: i for i, ch in enumerate(chars)}
    return np.array([code[ch] for ch in shakespeare_split()[0]])


def contenders(ids: np.ndarray) -> list[Any]:
    model = GPT(train_gpt.CONFIG, seed=0, dtype=np.float32)
    return [Torch(model, ids), Chainrule(model, ids)]  # Torch copies the weights first


def same_computation(ids: np.ndarray, steps: int = 5) -> float:
    """Largest loss difference over `steps` float32 steps from the same weights."""
    ours, theirs = contenders(ids)[::-1]
    gap = max(abs(ours.step() - theirs.step()) for _ in range(steps))
    assert gap < 1e-4, f"chainrule and PyTorch drift apart by {gap} in {steps} steps"
    return gap


def time_steps(
    runners: list[Any], rounds: int, per_round: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per step for each runner, on the clock and of CPU: blocks of
    steps, interleaved, after a warm-up. The CPU time leaves out the time
    spent waiting for a core, so it is the steadier on a busy machine."""
    times: dict[str, list[float]] = {r.name: [] for r in runners}
    cpu: dict[str, list[float]] = {r.name: [] for r in runners}
    for r in runners:
        for _ in range(3):
            r.step()
    for round_ in range(rounds):
        for r in runners if round_ % 2 == 0 else runners[::-1]:
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(per_round):
                r.step()
            times[r.name].append((time.perf_counter() - start) / per_round)
            cpu[r.name].append((time.process_time() - start_cpu) / per_round)
    return times, cpu


def training_run() -> dict[str, Any]:
    """Run the training program in a fresh process: its result and its times."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(LISTING)], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("validation loss: "), last
    return {
        "command": "python listings/part4/train_gpt.py",
        "validation_loss": float(last.split(":")[1]),
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "output": done.stdout.strip().splitlines(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="timed blocks per engine")
    parser.add_argument("--steps-per-round", type=int, default=10)
    parser.add_argument("--skip-training", action="store_true",
                        help="time the steps only (keeps the last run's training figures)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    facts = machine()
    facts["openblas_threads_while_timing"] = openblas_threads(1)
    config = train_gpt.CONFIG
    ids = training_ids()
    load_before = os.getloadavg()
    gap = same_computation(ids)
    times, cpu = time_steps(contenders(ids), args.rounds, args.steps_per_round)
    figures = {name: {"best_ms": min(ts) * 1e3, "median_ms": float(np.median(ts)) * 1e3,
                      "best_cpu_ms": min(cpu[name]) * 1e3,
                      "median_cpu_ms": float(np.median(cpu[name])) * 1e3}
               for name, ts in times.items()}
    ours, theirs = figures["chainrule"], figures["PyTorch, 1 thread"]
    ratio = ours["best_ms"] / theirs["best_ms"]
    cpu_ratio = ours["median_cpu_ms"] / theirs["median_cpu_ms"]
    print(", ".join(f"{n}: best {f['best_ms']:.1f} ms, median {f['median_ms']:.1f} ms"
                    for n, f in figures.items()) + f"; chainrule / PyTorch = {ratio:.2f}"
          f" (CPU time, medians: {cpu_ratio:.2f})")
    previous = RESULTS / "gpt.json"
    if args.skip_training and previous.exists():
        run = json.loads(previous.read_text())["training_run"]
    else:
        run = training_run()
        print(f"training program: validation loss {run['validation_loss']:.3f}, "
              f"{run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU")
    results = {
        "command": "python benchmarks/bench_gpt.py",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": facts,
        "load_average_before_after": [load_before[0], os.getloadavg()[0]],
        "model": {"n_layer": config.n_layer, "n_head": config.n_head, "n_embd": config.n_embd,
                  "block_size": config.block_size, "vocab_size": config.vocab_size,
                  "batch_size": train_gpt.BATCH_SIZE, "steps": train_gpt.STEPS,
                  "params": GPT(config).num_params()},
        "step": {"rounds": args.rounds, "steps_per_round": args.steps_per_round,
                 "same_computation_max_loss_gap": gap, "contenders": figures,
                 "chainrule_over_pytorch": ratio, "chainrule_over_pytorch_cpu": cpu_ratio},
        "training_run": run,
    }
    RESULTS.mkdir(exist_ok=True)
    previous.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {previous}")


if __name__ == "__main__":
    main()

"""Run every benchmark in one go and write what the book's performance page shows.

    python benchmarks/run.py            # measure (minutes), then render
    python benchmarks/run.py --render   # only re-render the Markdown from the JSON

Each benchmark writes its figures to ``benchmarks/results/NAME.json``; this
script turns them into ``benchmarks/results/NAME.md``, the tables that
``docs/performance.md`` includes. The figures are measurements of one
machine on one day, so the page shows them as recorded, with the command that
reproduces them, rather than re-measuring at every build.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def measured_on(r: dict[str, Any]) -> str:
    """The words " on DATE" when the results record their date (older runs did not)."""
    return f" on {r['date']}" if "date" in r else ""


def scalar_markdown(r: dict[str, Any]) -> str:
    """The scalar engine against micrograd, as Markdown tables (bench_scalar.py renders them)."""
    sys.path.insert(0, str(HERE))
    import bench_scalar

    return bench_scalar.markdown(r)


def tensor_markdown(r: dict[str, Any]) -> str:
    """The tensor engine against the numpy floor and PyTorch, as Markdown tables."""
    machine = r["machine"]
    lines = [
        f"*{r['task']}, {r['train_size']:,} training images; numpy {machine['numpy']}, "
        f"PyTorch {machine['torch']}, {machine['cores']} cores ({machine['cpu']}); "
        f"best of the runs; measured by `{r['command']}`{measured_on(r)}.*",
        "",
    ]
    for key, epoch in r["epoch"].items():
        batch = "full batch" if key == "full" else f"batch {epoch['batch_size']}"
        steps = f"{epoch['steps']} step" + ("" if epoch["steps"] == 1 else "s")
        lines += [
            f"| one epoch, {batch} ({steps}) | ms | × numpy floor "
            f"| × PyTorch 1 thread |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, c in epoch["contenders"].items():
            ratios = f"{c['vs_floor']:.2f} | {c['vs_torch_1_thread']:.2f}"
            lines.append(f"| {name} | {c['best_ms']:.2f} | {ratios} |")
        lines.append("")
    lines += ["| peak memory of the process | MB |", "| --- | ---: |"]
    for name, rss in r["rss"].items():
        lines.append(f"| {name} | {rss['peak_rss_mb']:.0f} |")
    lines += ["", "| target | measured | met |", "| --- | ---: | :---: |"]
    for target, outcome in r["targets"].items():
        lines.append(f"| {target} | {outcome['value']:.3f} | {'yes' if outcome['ok'] else 'no'} |")
    return "\n".join(lines) + "\n"


def conv_markdown(r: dict[str, Any]) -> str:
    """The convolution chapter's CNN, chainrule against PyTorch, as a Markdown table."""
    machine = r["machine"]
    lines = [
        f"*{r['task']}, {r['train_size']:,} training images; numpy {machine['numpy']}, "
        f"PyTorch {machine['torch']}, {machine['cores']} cores ({machine['cpu']}); "
        f"best of {r['rounds']} interleaved rounds on {r['date']}; measured by `{r['command']}`.*",
        "",
        "| one epoch | chainrule ms | PyTorch 1 thread ms | chainrule / PyTorch |",
        "| --- | ---: | ---: | ---: |",
    ]
    for dtype, row in r["dtypes"].items():
        c = row["contenders"]
        lines.append(f"| {dtype} | {c['chainrule']['best_ms']:.1f} | "
                     f"{c['PyTorch, 1 thread']['best_ms']:.1f} | "
                     f"{row['chainrule_over_pytorch']:.2f} |")
    return "\n".join(lines) + "\n"


def gpt_markdown(r: dict[str, Any]) -> str:
    """Part IV's small GPT: a training step against PyTorch, and the training program."""
    machine, model, step, run = r["machine"], r["model"], r["step"], r["training_run"]
    c = step["contenders"]
    load = r["load_average_before_after"]
    lines = [
        f"*{model['params']:,} parameters ({model['n_layer']} blocks, width {model['n_embd']}, "
        f"{model['n_head']} heads, context {model['block_size']}), batch {model['batch_size']}, "
        f"float32; numpy {machine['numpy']}, PyTorch {machine['torch']}, one thread each, "
        f"{machine['cores']} cores ({machine['cpu']}); best of {step['rounds']} interleaved "
        f"blocks of {step['steps_per_round']} steps on {r['date']}, load average "
        f"{load[0]:.1f} before and {load[1]:.1f} after; measured by `{r['command']}`.*",
        "",
        "| one training step (forward, backward, clipping, AdamW) | chainrule ms "
        "| PyTorch 1 thread ms | chainrule / PyTorch |",
        "| --- | ---: | ---: | ---: |",
        f"| best block | {c['chainrule']['best_ms']:.1f} | "
        f"{c['PyTorch, 1 thread']['best_ms']:.1f} | {step['chainrule_over_pytorch']:.2f} |",
        f"| median block | {c['chainrule']['median_ms']:.1f} | "
        f"{c['PyTorch, 1 thread']['median_ms']:.1f} | "
        f"{c['chainrule']['median_ms'] / c['PyTorch, 1 thread']['median_ms']:.2f} |",
        "",
        f"| `{run['command']}` ({model['steps']:,} steps) | measured |",
        "| --- | ---: |",
        f"| validation loss (nats per character, first 32,768 validation characters) "
        f"| {run['validation_loss']:.3f} |",
        f"| wall-clock seconds | {run['wall_s']:.1f} |",
        f"| CPU seconds | {run['cpu_s']:.1f} |",
    ]
    return "\n".join(lines) + "\n"


RENDERERS = {
    "scalar": scalar_markdown, "tensor": tensor_markdown, "conv": conv_markdown,
    "gpt": gpt_markdown,
}


def render() -> None:
    for name, renderer in RENDERERS.items():
        results = json.loads((RESULTS / f"{name}.json").read_text())
        (RESULTS / f"{name}.md").write_text(renderer(results))
        print(f"wrote {RESULTS / name}.md")


def measure() -> None:
    sys.path.insert(0, str(HERE))
    import bench_conv
    import bench_gpt
    import bench_scalar
    import bench_tensor

    bench_scalar.main()
    bench_tensor.main()
    bench_conv.main()
    bench_gpt.main()


if __name__ == "__main__":
    if "--render" not in sys.argv[1:]:
        measure()
    render()

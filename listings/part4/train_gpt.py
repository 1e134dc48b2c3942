"""Train the small GPT of Part IV on Tiny Shakespeare, then score it.

Run from anywhere: ``python listings/part4/train_gpt.py [steps]``. It trains
the chapter's model (2 blocks, width 64, 4 heads, context 64) with AdamW,
a warm-up + cosine learning-rate schedule and gradient clipping, prints a
sample of its Shakespeare, and ends with the line ``validation loss: X.XXX``:
the mean loss per character, in nats, over the first 32,768 characters of
the validation split (the last 10% of the text).

BLAS is held to one thread before numpy is imported: the matrices here are
small, and on a 2-core machine a multithreaded OpenBLAS spends longer
coordinating its threads than multiplying.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # must precede the numpy import

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from chainrule.data import shakespeare, shakespeare_split  # noqa: E402
from chainrule.gpt import GPT, GPTConfig, evaluate, train  # noqa: E402

# --8<-- [start:settings]
CONFIG = GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=64)
STEPS = 3000
BATCH_SIZE = 16  # 16 windows of 64 characters: 1,024 characters a step
MAX_LR, MIN_LR, WARMUP = 1e-2, 1e-3, 100
WEIGHT_DECAY, CLIP = 0.1, 1.0
# --8<-- [end:settings]


def main(steps: int = STEPS) -> float:
    chars = sorted(set(shakespeare()))  # the 65 characters, in a fixed order
    code = {ch: i for i, ch in enumerate(chars)}
    train_text, val_text = shakespeare_split()
    train_ids = np.array([code[ch] for ch in train_text])
    val_ids = np.array([code[ch] for ch in val_text])

    model = GPT(CONFIG, seed=0, dtype=np.float32)
    print(f"{model.num_params():,} parameters; training {steps:,} steps of {BATCH_SIZE} x "
          f"{CONFIG.block_size} characters")
    start = time.perf_counter()

    def report(step: int, loss: float) -> None:
        print(f"step {step:5d}  train loss {loss:.3f}  {time.perf_counter() - start:5.1f} s")

    train(model, train_ids, steps, BATCH_SIZE, MAX_LR, MIN_LR, WARMUP, WEIGHT_DECAY, CLIP,
          seed=0, every=500, report=report)
    sample = model.generate(np.array([[code["\n"]]]), 200, rng=0)[0]
    print("".join(chars[i] for i in sample))
    loss = evaluate(model, val_ids, n_chars=32_768)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print(f"validation loss: {loss:.3f}")
    return loss


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else STEPS)

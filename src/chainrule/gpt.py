"""A small GPT, the model of Part IV's last chapter, built from `chainrule.nn` pieces.

The shape is nanoGPT's (Karpathy's minimal GPT in PyTorch), so that the
names carry over: a `GPTConfig` dataclass; a position-wise `MLP`; a `Block`
that adds attention and the MLP to a residual stream, each behind its own
`LayerNorm`; and `GPT`, which embeds characters and positions, runs the
blocks, and reads out logits for the next character. `GPT.generate` samples
text one character at a time.

Every operation inside is one the earlier chapters built and tested:
embeddings, linear layers on (..., in) inputs, GELU, layer normalisation and
causal self-attention. This module only wires them together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.functional import cross_entropy, softmax
from chainrule.nn import (
    GELU,
    CausalSelfAttention,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    clip_grad_norm_,
)
from chainrule.optim import AdamW, warmup_cosine_lr
from chainrule.tensor import Tensor, no_grad

__all__ = [
    "GPT", "MLP", "Block", "GPTConfig", "evaluate", "get_batch", "train",
]


# --8<-- [start:config]
@dataclass
class GPTConfig:
    """The numbers that fix a GPT's shape (nanoGPT's names).

    `block_size` is the context: how many characters the model sees at once.
    Each of the `n_layer` blocks has `n_head` attention heads that share the
    `n_embd` numbers of the residual stream, so `n_embd` must divide by
    `n_head`.
    """

    vocab_size: int = 65
    block_size: int = 32
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig: n_embd {self.n_embd} must divide by n_head {self.n_head} "
                "(each head gets n_embd // n_head numbers)"
            )
# --8<-- [end:config]


# --8<-- [start:mlp]
class MLP(Module):
    """Position-wise feed-forward: widen to 4 * n_embd, GELU, back to n_embd.

    It acts on every position on its own (a Linear on (B, T, C) acts on the
    last axis), so it mixes features, never positions: attention does that.
    """

    def __init__(self, config: GPTConfig) -> None:
        self.c_fc = Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = GELU(approximate="tanh")
        self.c_proj = Linear(4 * config.n_embd, config.n_embd)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))
# --8<-- [end:mlp]


# --8<-- [start:block]
class Block(Module):
    """One transformer block: x + attention(LN(x)), then x + MLP(LN(x)).

    The residual stream x flows straight through both additions, so its
    gradient reaches every earlier block undiminished (the chapter on
    normalisation and residuals measures this); each branch only adds a
    correction to it.
    """

    def __init__(self, config: GPTConfig) -> None:
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config.n_embd, config.n_head, dropout=config.dropout)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x
# --8<-- [end:block]


# --8<-- [start:gpt]
class GPT(Module):
    """A character-level GPT: token and position embeddings, blocks, a read-out.

    ``GPT(config, seed=0, dtype=np.float32)`` draws every weight from one
    seeded generator (see `init_weights`); float64 is for checking against
    PyTorch, float32 for training fast.
    """

    def __init__(self, config: GPTConfig, seed: int = 0, dtype: Any = np.float64) -> None:
        self.config = config
        self.transformer = ModuleDict({
            "wte": Embedding(config.vocab_size, config.n_embd),  # one row per character
            "wpe": Embedding(config.block_size, config.n_embd),  # one row per position
            "drop": Dropout(config.dropout),
            "h": ModuleList(Block(config) for _ in range(config.n_layer)),
            "ln_f": LayerNorm(config.n_embd),
        })
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        self.init_weights(np.random.default_rng(seed), dtype)

    def forward(self, idx: Any, targets: Any = None) -> tuple[Tensor, Tensor | None]:
        """Logits (B, T, vocab) for the character after each position, and,
        given `targets` (B, T), the mean cross-entropy loss over all B * T."""
        idx = _token_ids(idx, self.config.block_size)
        batch, steps = idx.shape
        t = self.transformer
        x = t["drop"](t["wte"](idx) + t["wpe"](np.arange(steps)))  # (B, T, C) + (T, C)
        for block in t["h"]:
            x = block(x)
        logits = self.lm_head(t["ln_f"](x))
        if targets is None:
            return logits, None
        targets = _token_ids(targets, self.config.block_size)
        flat = logits.reshape(batch * steps, self.config.vocab_size)
        return logits, cross_entropy(flat, targets.reshape(-1))

    def __call__(self, idx: Any, targets: Any = None) -> tuple[Tensor, Tensor | None]:
        return self.forward(idx, targets)
# --8<-- [end:gpt]

    # --8<-- [start:init]
    def init_weights(self, rng: np.random.Generator, dtype: Any) -> None:
        """GPT-2's initialisation: every weight matrix and embedding from
        N(0, 0.02^2), biases 0, LayerNorm gains 1.

        The two projections that write into the residual stream in each
        block (``c_proj``) get std 0.02 / sqrt(2 * n_layer): 2 * n_layer
        branches are added to the stream, and this keeps its variance at
        the end about what one branch would give.
        """
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                p.data = rng.normal(0.0, residual_std, p.shape).astype(dtype)
            elif name.endswith("weight") and p.ndim == 2:
                p.data = rng.normal(0.0, 0.02, p.shape).astype(dtype)
            else:  # biases (0) and LayerNorm gains (1) keep their values
                p.data = p.data.astype(dtype)
    # --8<-- [end:init]

    def num_params(self) -> int:
        """How many numbers the model learns."""
        return sum(p.numel() for p in self.parameters())

    # --8<-- [start:generate]
    def generate(
        self,
        idx: Any,
        max_new_tokens: int,
        temperature: float = 1.0,
        rng: np.random.Generator | int | None = None,
    ) -> np.ndarray:
        """Extend each row of `idx` (B, T) by `max_new_tokens` sampled characters.

        Each step feeds the last `block_size` characters, turns the logits at
        the last position into probabilities (divided by `temperature`
        first: below 1 is more cautious, above 1 more adventurous) and draws
        the next character from them with `rng` (a seed gives the same text
        every time). No graph is recorded.
        """
        if not temperature > 0:
            raise ValueError(
                f"generate: temperature must be > 0, got {temperature!r} "
                "(for the most likely character every time, take the argmax of the logits)"
            )
        rng = np.random.default_rng(rng)
        idx = np.array(_token_ids(idx, None))
        with no_grad():
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -self.config.block_size :])
                probs = softmax(logits[:, -1, :] / temperature).numpy().astype(np.float64)
                probs /= probs.sum(axis=-1, keepdims=True)
                nxt = [rng.choice(len(row), p=row) for row in probs]
                idx = np.concatenate([idx, np.array(nxt)[:, None]], axis=1)
        return idx
    # --8<-- [end:generate]

    def __repr__(self) -> str:
        c = self.config
        return (
            f"GPT(n_layer={c.n_layer}, n_head={c.n_head}, n_embd={c.n_embd}, "
            f"block_size={c.block_size}, vocab_size={c.vocab_size}, "
            f"params={self.num_params():,})"
        )


def _token_ids(idx: Any, block_size: int | None) -> np.ndarray:
    """`idx` as a (B, T) integer array, checked: a clear error, not numpy's."""
    array = idx.numpy() if isinstance(idx, Tensor) else np.asarray(idx)
    if array.dtype.kind == "f" and np.all(array == np.round(array)):
        array = array.astype(np.intp)  # a Tensor of whole numbers stored as floats
    if array.dtype.kind not in "iu" or array.ndim != 2:
        raise ValueError(
            f"GPT needs character ids as integers of shape (batch, time), "
            f"got dtype {array.dtype} and shape {array.shape}"
        )
    if block_size is not None and array.shape[1] > block_size:
        raise ValueError(
            f"GPT: a sequence of {array.shape[1]} characters is longer than the "
            f"context block_size={block_size}; crop it to the last {block_size}"
        )
    return array


# ------------------------------------------------------------------ training
# --8<-- [start:get_batch]
def get_batch(
    ids: np.ndarray, batch_size: int, block_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`batch_size` windows of `block_size` characters from random places in `ids`,
    and the same windows shifted by one: at every position, the next character."""
    starts = rng.integers(0, len(ids) - block_size, size=batch_size)
    window = starts[:, None] + np.arange(block_size)  # (B, T) positions in the text
    return ids[window], ids[window + 1]
# --8<-- [end:get_batch]


# --8<-- [start:evaluate]
def evaluate(model: GPT, ids: np.ndarray, n_chars: int = 32_768, batch_size: int = 64) -> float:
    """Mean loss per character, in nats, over the first `n_chars` characters of `ids`.

    The text is cut into consecutive windows of `block_size`, so every one of
    the `n_chars` characters is predicted exactly once (the first of each
    window with little context, the last with a full one).
    """
    steps = model.config.block_size
    n_windows = n_chars // steps
    if n_windows * steps + 1 > len(ids):
        raise ValueError(f"evaluate: {n_chars:,} characters asked, the text has {len(ids):,}")
    x = ids[: n_windows * steps].reshape(n_windows, steps)
    y = ids[1 : n_windows * steps + 1].reshape(n_windows, steps)
    total = 0.0
    with no_grad():
        for start in range(0, n_windows, batch_size):
            _, loss = model(x[start : start + batch_size], y[start : start + batch_size])
            total += loss.item() * len(x[start : start + batch_size])
    return total / n_windows
# --8<-- [end:evaluate]


# --8<-- [start:train]
def train(
    model: GPT,
    train_ids: np.ndarray,
    steps: int,
    batch_size: int = 32,
    max_lr: float = 3e-3,
    min_lr: float = 3e-4,
    warmup: int = 100,
    weight_decay: float = 0.1,
    clip: float = 1.0,
    seed: int = 0,
    every: int = 0,
    report: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train `model` for `steps` steps of AdamW; return the loss of every step.

    Each step: a random batch, the loss, its gradient, the gradient clipped
    to norm `clip`, the learning rate of the schedule, an AdamW step. Every
    `every` steps (and after the last), ``report(step, loss)`` is called,
    e.g. to measure the validation loss.
    """
    rng = np.random.default_rng(seed)
    optimizer = AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    losses = []
    for step in range(steps):
        x, y = get_batch(train_ids, batch_size, model.config.block_size, rng)
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), clip)  # one bad batch cannot throw us far
        optimizer.lr = warmup_cosine_lr(step, max_lr, min_lr, warmup, steps)
        optimizer.step()
        losses.append(loss.item())
        if report is not None and (every and (step + 1) % every == 0 or step + 1 == steps):
            report(step + 1, losses[-1])
    return losses
# --8<-- [end:train]

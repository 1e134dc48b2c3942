"""The small GPT of Part IV against the same model written in PyTorch.

The PyTorch twin below is nanoGPT's model, written here with torch.nn
pieces. It gets chainrule's initial weights as they are (both store a
Linear weight as (out, in)), and both are trained for 20
steps in float64 with AdamW, a warm-up + cosine learning-rate schedule and
gradient clipping by norm. Their losses must agree to 1e-10 at every step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.data import shakespeare_split
from chainrule.gpt import GPT, GPTConfig, get_batch, train
from chainrule.optim import warmup_cosine_lr

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

CONFIG = GPTConfig(vocab_size=65, block_size=16, n_layer=2, n_head=4, n_embd=32)
BATCH = 8
STEPS = 20
LR, WARMUP, MIN_LR, CLIP, DECAY = 3e-3, 5, 3e-4, 1.0, 0.1


# ------------------------------------------------------------------ the PyTorch twin
class TorchAttention(nn.Module):
    def __init__(self, c: GPTConfig) -> None:
        super().__init__()
        self.n_head = c.n_head
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd)

    def forward(self, x):
        B, T, C = x.shape  # noqa: N806
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class TorchMLP(nn.Module):
    def __init__(self, c: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * c.n_embd, c.n_embd)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class TorchBlock(nn.Module):
    def __init__(self, c: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.n_embd)
        self.attn = TorchAttention(c)
        self.ln_2 = nn.LayerNorm(c.n_embd)
        self.mlp = TorchMLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TorchGPT(nn.Module):
    def __init__(self, c: GPTConfig) -> None:
        super().__init__()
        self.transformer = nn.ModuleDict({
            "wte": nn.Embedding(c.vocab_size, c.n_embd),
            "wpe": nn.Embedding(c.block_size, c.n_embd),
            "h": nn.ModuleList(TorchBlock(c) for _ in range(c.n_layer)),
            "ln_f": nn.LayerNorm(c.n_embd),
        })
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)

    def forward(self, idx, targets):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        logits = self.lm_head(t.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def torch_twin(model: GPT) -> TorchGPT:
    """A TorchGPT holding `model`'s weights, float64."""
    twin = TorchGPT(model.config).double()
    state = {name: torch.tensor(p.data) for name, p in model.named_parameters()}
    twin.load_state_dict(state, strict=True)
    return twin


# ------------------------------------------------------------------ data
def train_ids() -> np.ndarray:
    """The first 20,000 characters of the training split, as ids 0..64."""
    text, _ = shakespeare_split()
    chars = sorted(set(text))
    return np.array([chars.index(ch) for ch in text[:20_000]])


# ------------------------------------------------------------------ tests
def test_parameter_count_and_names_match_pytorch():
    model = GPT(CONFIG)
    twin = torch_twin(model)
    ours = dict(model.named_parameters())
    theirs = dict(twin.named_parameters())
    assert sorted(ours) == sorted(theirs)
    assert model.num_params() == sum(p.numel() for p in twin.parameters())


def test_twenty_training_steps_match_pytorch_to_1e_10():
    """chainrule.gpt.train against the same loop in PyTorch: same weights, same batches."""
    ids = train_ids()
    model = GPT(CONFIG, seed=1, dtype=np.float64)
    twin = torch_twin(model)
    ours = train(model, ids, STEPS, BATCH, LR, MIN_LR, WARMUP, DECAY, CLIP, seed=7)

    rng = np.random.default_rng(7)  # the batches train() draws
    optimizer = torch.optim.AdamW(twin.parameters(), lr=LR, weight_decay=DECAY)
    theirs, norms = [], []
    for step in range(STEPS):
        x, y = get_batch(ids, BATCH, CONFIG.block_size, rng)
        loss = twin(torch.tensor(x), torch.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(twin.parameters(), CLIP)))
        for group in optimizer.param_groups:
            group["lr"] = warmup_cosine_lr(step, LR, MIN_LR, WARMUP, STEPS)
        optimizer.step()
        theirs.append(loss.item())

    assert ours[0] == pytest.approx(math.log(65), abs=0.05)  # small weights: near uniform
    assert ours[-1] < ours[0] - 0.5  # it learns, so this compares more than a flat line
    assert max(norms) > CLIP  # clipping acted on some steps ...
    assert min(norms) < CLIP  # ... and left others alone
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)


def test_schedule_warms_up_then_decays_to_its_floor():
    rates = [warmup_cosine_lr(s, 1.0, 0.1, 10, 110) for s in range(120)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:], strict=False))
    assert rates[60] == pytest.approx(0.55)  # half way down the cosine: the mid-point
    assert rates[110] == rates[119] == pytest.approx(0.1)


def test_generate_is_seeded_and_extends_each_row():
    model = GPT(CONFIG, seed=0)
    start = np.zeros((2, 1), dtype=np.int64)
    first = model.generate(start, 20, rng=3)
    assert first.shape == (2, 21)
    assert np.array_equal(first, model.generate(start, 20, rng=3))
    assert first.min() >= 0 and first.max() < CONFIG.vocab_size


def test_bad_input_is_refused_with_a_clear_error():
    model = GPT(CONFIG)
    with pytest.raises(ValueError, match="longer than the context"):
        model(np.zeros((1, CONFIG.block_size + 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"shape \(batch, time\)"):
        model(np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.generate(np.zeros((1, 1), dtype=np.int64), 3, temperature=0)
    with pytest.raises(ValueError, match="must divide by n_head"):
        GPTConfig(n_embd=30, n_head=4)

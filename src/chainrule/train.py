"""The book's one training loop: split the digits, train in mini-batches, evaluate.

The chapter "Training on handwritten digits" builds this loop step by step
and shows these functions; every later page calls them instead of writing
the loop out again. They hold nothing the reader has not seen: a shuffled
pass over mini-batches (`train_epoch`), a measurement without a graph
(`evaluate`), and a loop over epochs that records the curves and keeps the
weights of the best epoch on a validation set (`fit`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.nn import Module
from chainrule.optim import Optimizer
from chainrule.tensor import no_grad

__all__ = ["DigitsSplit", "History", "digits_split", "evaluate", "fit", "train_epoch"]


@dataclass(frozen=True)
class DigitsSplit:
    """The digits in three disjoint sets: train on one, choose with one, report one."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits_split(
    validation_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    dtype: Any = np.float64,
) -> DigitsSplit:
    """The 1,797 digits, pixels scaled to [0, 1], split three ways.

    The test set is exactly ``train_test_split(X / 16, y, test_fraction,
    seed)``'s; the validation set is then `validation_fraction` of the
    *remaining* rows, drawn with the same seed. Pass ``validation_fraction=0``
    for no validation set (its arrays are then empty).
    """
    if not 0 <= validation_fraction < 1:
        raise ValueError(
            f"digits_split: validation_fraction must be in [0, 1), got {validation_fraction}"
        )
    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(
        (X / 16.0).astype(dtype), y, test_fraction=test_fraction, seed=seed
    )
    if validation_fraction == 0:
        empty = X_rest[:0]
        return DigitsSplit(X_rest, y_rest, empty, y_rest[:0], X_test, y_test)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_fraction=validation_fraction, seed=seed
    )
    return DigitsSplit(X_train, y_train, X_val, y_val, X_test, y_test)


# --8<-- [start:evaluate]
def evaluate(model: Module, X: Any, y: Any) -> tuple[float, float]:
    """The mean cross-entropy and the accuracy of `model` on images X, labels y.

    Measuring needs no gradient, so it runs under `no_grad` and records no graph.
    """
    with no_grad():
        logits = model(X)
        right = logits.data.argmax(axis=1) == np.asarray(y)
        return cross_entropy(logits, y).item(), float(right.mean())
# --8<-- [end:evaluate]


# --8<-- [start:train_epoch]
def train_epoch(
    model: Module,
    optimizer: Optimizer,
    X: Any,
    y: Any,
    batch_size: int = 64,
    seed: Any = None,
) -> float:
    """One pass over (X, y) in shuffled mini-batches; returns the mean batch loss.

    Each batch is the five moves of every training step: forward pass, loss,
    forget the old gradients, backpropagate, step.
    """
    losses = []
    for xb, yb in batches(X, y, batch_size=batch_size, seed=seed):
        loss = cross_entropy(model(xb), yb)  # forward pass and loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return float(np.mean(losses))
# --8<-- [end:train_epoch]


@dataclass
class History:
    """What `fit` measured, one entry per epoch run (epoch 1 is index 0)."""

    train_loss: list[float] = field(default_factory=list)  # mean over the epoch's batches
    train_accuracy: list[float] = field(default_factory=list)  # at the end of the epoch
    val_loss: list[float] = field(default_factory=list)  # empty without a validation set
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based: the epoch of the lowest validation loss
    seconds: float = 0.0  # wall-clock time of the whole run

    @property
    def epochs(self) -> int:
        """How many epochs ran (fewer than asked if early stopping ended the run)."""
        return len(self.train_loss)


# --8<-- [start:fit]
def fit(
    model: Module,
    optimizer: Optimizer,
    X_train: Any,
    y_train: Any,
    epochs: int,
    X_val: Any = None,
    y_val: Any = None,
    batch_size: int = 64,
    seed: int = 0,
    patience: int | None = None,
) -> History:
    """Train for `epochs` epochs and record the curves in a `History`.

    `seed` fixes the shuffles: a new order every epoch, the same every run.
    With a validation set, the weights of the epoch with the lowest
    validation loss are put back at the end (early stopping), and with
    `patience` the run stops once that many epochs in a row did not beat it.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: give both X_val and y_val, or neither")
    if patience is not None and (X_val is None or patience < 1):
        raise ValueError(
            f"fit: patience needs a validation set and >= 1, got {patience!r}"
        )
    history, best_state = History(), None
    order = np.random.default_rng(seed)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        history.train_loss.append(
            train_epoch(model, optimizer, X_train, y_train, batch_size, seed=order)
        )
        history.train_accuracy.append(evaluate(model, X_train, y_train)[1])
        if X_val is None:
            continue
        val_loss, val_accuracy = evaluate(model, X_val, y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        if history.best_epoch is None or val_loss < min(history.val_loss[:-1]):
            history.best_epoch, best_state = epoch, model.state_dict()
        elif patience is not None and epoch - history.best_epoch >= patience:
            break  # `patience` epochs without a new best: stop early
    if best_state is not None:
        model.load_state_dict(best_state)  # keep the best epoch's weights
    history.seconds = time.perf_counter() - start
    return history
# --8<-- [end:fit]

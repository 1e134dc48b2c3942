"""chainrule.train: the digits split, one epoch, evaluation, and fit with early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import nn, optim
from chainrule.data import load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.train import digits_split, evaluate, fit, train_epoch


def test_digits_split_is_disjoint_and_keeps_the_two_way_test_set() -> None:
    split = digits_split()
    X, y = load_digits()
    _, X_test, _, y_test = train_test_split(X / 16, y, test_fraction=0.2, seed=0)
    np.testing.assert_array_equal(split.X_test, X_test)  # the test set of the two-way split
    np.testing.assert_array_equal(split.y_test, y_test)
    sizes = [len(split.X_train), len(split.X_val), len(split.X_test)]
    assert sum(sizes) == len(X) and sizes == [1150, 288, 359]
    rows = np.concatenate([split.X_train, split.X_val, split.X_test])
    assert len(np.unique(rows, axis=0)) == len(np.unique(X, axis=0))  # every image, once
    assert split.X_train.min() == 0.0 and split.X_train.max() == 1.0
    assert digits_split(dtype=np.float32).X_train.dtype == np.float32


def test_digits_split_without_validation_and_bad_fraction() -> None:
    split = digits_split(validation_fraction=0)
    assert len(split.X_val) == 0 and len(split.X_train) == 1797 - 359
    with pytest.raises(ValueError, match="validation_fraction must be in"):
        digits_split(validation_fraction=1.0)


def test_evaluate_matches_a_hand_computation() -> None:
    model = nn.MLP(4, [3], rng=0)
    X = np.random.default_rng(1).normal(size=(20, 4))
    y = np.arange(20) % 3
    loss, accuracy = evaluate(model, X, y)
    logits = X @ model[0].weight.data.T + model[0].bias.data
    assert accuracy == np.mean(logits.argmax(axis=1) == y)
    assert loss == pytest.approx(cross_entropy(logits, y).item(), rel=1e-12)
    assert model[0].weight.grad is None  # no graph, no gradient


def test_train_epoch_is_the_written_out_loop() -> None:
    """train_epoch gives the same weights as the five moves written by hand."""
    X, y = np.random.default_rng(0).normal(size=(50, 5)), np.arange(50) % 4
    a, b = nn.MLP(5, [8, 4], rng=0), nn.MLP(5, [8, 4], rng=0)
    opt_a, opt_b = optim.SGD(a.parameters(), lr=0.1), optim.SGD(b.parameters(), lr=0.1)
    mean_loss = train_epoch(a, opt_a, X, y, batch_size=16, seed=3)
    from chainrule.data import batches

    losses = []
    for xb, yb in batches(X, y, batch_size=16, seed=3):
        loss = cross_entropy(b(xb), yb)
        opt_b.zero_grad()
        loss.backward()
        opt_b.step()
        losses.append(loss.item())
    assert mean_loss == pytest.approx(np.mean(losses), rel=1e-12)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_fit_learns_and_is_reproducible() -> None:
    split = digits_split()
    histories, models = [], []
    for _ in range(2):
        model = nn.MLP(64, [32, 10], rng=0)
        histories.append(
            fit(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                split.X_train, split.y_train, epochs=3)
        )
        models.append(model)
    first, second = histories
    assert first.train_loss == second.train_loss and first.epochs == 3
    assert first.train_loss[-1] < first.train_loss[0] < np.log(10)
    assert first.val_loss == [] and first.best_epoch is None and first.seconds > 0
    assert evaluate(models[0], split.X_test, split.y_test)[1] > 0.85


def test_fit_keeps_the_best_epoch_and_stops_with_patience() -> None:
    """With a validation set, fit hands back the weights of the lowest validation loss."""
    split = digits_split()
    model = nn.MLP(64, [32, 10], rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, optimizer, split.X_train, split.y_train, epochs=12,
                  X_val=split.X_val, y_val=split.y_val, patience=2)
    best = history.best_epoch
    assert best is not None
    assert history.val_loss[best - 1] == min(history.val_loss)
    assert history.epochs <= 12 and len(history.val_accuracy) == history.epochs
    if history.epochs < 12:  # stopped early: exactly `patience` epochs after the best
        assert history.epochs == best + 2
    # the model holds the best epoch's weights, not the last epoch's
    assert evaluate(model, split.X_val, split.y_val)[0] == pytest.approx(
        history.val_loss[best - 1], rel=1e-12
    )


def test_fit_stops_early_when_validation_loss_rises() -> None:
    rng = np.random.default_rng(0)
    X_train, y_train = rng.normal(size=(40, 20)), rng.integers(0, 2, 40)  # pure noise
    X_val, y_val = rng.normal(size=(40, 20)), rng.integers(0, 2, 40)
    model = nn.MLP(20, [64, 2], rng=0)
    history = fit(model, optim.SGD(model.parameters(), lr=0.2, momentum=0.9),
                  X_train, y_train, epochs=200, X_val=X_val, y_val=y_val, patience=3)
    assert history.epochs == history.best_epoch + 3 < 200  # memorising noise: stopped
    assert evaluate(model, X_val, y_val)[0] == pytest.approx(min(history.val_loss), rel=1e-12)


def test_fit_names_bad_arguments() -> None:
    model = nn.MLP(2, [2], rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        fit(model, optimizer, X, y, epochs=0)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        fit(model, optimizer, X, y, epochs=1, X_val=X)
    with pytest.raises(ValueError, match="patience needs a validation set and >= 1"):
        fit(model, optimizer, X, y, epochs=1, patience=2)

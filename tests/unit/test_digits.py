"""The shipped digits, the split, the batches, and training on them end to end."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

from chainrule import Tensor, nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.tensor import no_grad


def test_load_digits_shapes_dtypes_and_values() -> None:
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    assert np.all(X == np.round(X))
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert np.all(np.bincount(y) >= 174)  # about 180 of each digit
    assert y[:10].tolist() == list(range(10))


def test_the_data_ships_with_its_attribution() -> None:
    folder = resources.files("chainrule") / "datasets"
    readme = (folder / "README.md").read_text()
    for needed in ("Alpaydin", "Kaynak", "CC BY 4.0", "10.24432/C50P49"):
        assert needed in readme


def test_data_module_without_numpy_for_moons() -> None:
    code = (
        "import sys; from chainrule.data import make_moons; make_moons(10);"
        "assert 'numpy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_split_is_seeded_disjoint_and_complete() -> None:
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=3)
    assert len(X_test) == 10 and len(X_train) == 40
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(50))
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)  # rows stay paired
    again = train_test_split(X, y, test_fraction=0.2, seed=3)
    np.testing.assert_array_equal(again[3], y_test)
    with pytest.raises(ValueError, match="X has 50 rows but y has 3"):
        train_test_split(X, y[:3])


def test_batches_cover_each_row_once() -> None:
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    sizes, seen = [], []
    for xb, yb in batches(X, y, batch_size=4, seed=0):
        np.testing.assert_array_equal(xb[:, 0] // 2, yb)
        sizes.append(len(yb))
        seen.extend(yb.tolist())
    assert sizes == [4, 4, 2] and sorted(seen) == list(range(10))
    assert seen != list(range(10))  # shuffled
    in_order = [yb.tolist() for _, yb in batches(X, y, batch_size=5, shuffle=False)]
    assert in_order == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    same = [yb.tolist() for _, yb in batches(X, y, 4, seed=0)]
    assert sum(same, []) == seen
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        next(batches(X, y, batch_size=0))


def train(seed: int, epochs: int = 8) -> tuple[nn.MLP, float, list[float]]:
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, seed=0)
    model = nn.MLP(64, [64, 10], rng=seed, dtype=np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    order = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        for xb, yb in batches(X_train.astype(np.float32), y_train, 64, seed=order):
            loss = cross_entropy(model(Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss.item())
    with no_grad():
        accuracy = float((model(X_test.astype(np.float32)).data.argmax(axis=1) == y_test).mean())
    return model, accuracy, losses


def test_training_reaches_95_percent_and_is_reproducible() -> None:
    model, accuracy, losses = train(seed=0)
    assert accuracy >= 0.95, accuracy
    again, accuracy_again, losses_again = train(seed=0)
    assert losses == losses_again and accuracy == accuracy_again
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    _, _, other_losses = train(seed=1, epochs=1)
    assert other_losses[0] != losses[0]

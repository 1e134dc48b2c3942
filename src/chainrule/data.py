"""Small data sets the book trains on, made by code or shipped in the package.

Nothing is downloaded: `make_moons` draws its points with the standard
library's `random`, seeded, so Part II needs no numpy; `load_digits` and
`shakespeare` read files shipped inside the package.
"""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from chainrule._checks import real


# --8<-- [start:make_moons]
def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles: a small 2-D classification problem.

    Returns ``(points, labels)``: `points` is a list of ``[x, y]`` pairs and
    `labels` a list of ``-1`` (upper moon) or ``+1`` (lower moon), the targets
    a tanh output can reach. Half the points (rounded down) go to the upper
    moon. `noise` is the standard deviation of Gaussian jitter added to each
    coordinate; the same `seed` always gives the same points.
    """
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"make_moons needs an int n_samples >= 2, got {n_samples!r}")
    noise = real(noise, "noise", "make_moons", low=0.0)
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points: list[list[float]] = []
    labels: list[int] = []
    for i in range(n_upper):
        angle = math.pi * i / max(n_upper - 1, 1)
        points.append([math.cos(angle), math.sin(angle)])
        labels.append(-1)
    for i in range(n_lower):
        angle = math.pi * i / max(n_lower - 1, 1)
        points.append([1.0 - math.cos(angle), 0.5 - math.sin(angle)])
        labels.append(1)
    for point in points:
        point[0] += rng.gauss(0.0, noise)
        point[1] += rng.gauss(0.0, noise)
    order = list(range(n_samples))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]
# --8<-- [end:make_moons]


# ----------------------------------------------------------------- Part III (numpy)
# numpy is imported inside these functions, so `import chainrule.data` and
# `make_moons` keep working without it.

def load_digits() -> tuple[Any, Any]:
    """The 1,797 handwritten digits, 8x8 pixels each, shipped with the package.

    Returns ``(X, y)``: `X` float64 of shape (1797, 64), one row per image
    (row by row, pixel values 0 to 16), and `y` int64 of shape (1797,), the
    digits 0 to 9. This is the test set of the UCI "Optical Recognition of
    Handwritten Digits" data (E. Alpaydin and C. Kaynak, 1998, CC BY 4.0,
    DOI 10.24432/C50P49); see ``chainrule/datasets/README.md``.
    """
    import numpy as np

    source = resources.files("chainrule") / "datasets" / "digits.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.float64), table[:, -1].copy()


def train_test_split(
    X: Any, y: Any, test_fraction: float = 0.2, seed: int = 0
) -> tuple[Any, Any, Any, Any]:
    """Shuffle the rows (seeded) and hold out `test_fraction` of them.

    Returns ``(X_train, X_test, y_train, y_test)``, scikit-learn's order. The
    same seed always picks the same rows.
    """
    import numpy as np

    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} rows but y has {len(y)}")
    test_fraction = real(
        test_fraction, "test_fraction", "train_test_split", low=0.0, high=1.0,
        low_open=True, high_open=True,
    )
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, round(len(X) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


# --8<-- [start:batches]
def batches(
    X: Any, y: Any, batch_size: int = 64, shuffle: bool = True, seed: Any = None
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(X_batch, y_batch)`` pairs covering the rows once (one epoch).

    With `shuffle`, the rows come in a random order drawn from `seed` (an int
    gives the same order every time; pass one ``numpy.random.Generator`` to
    get a new order each epoch). The last batch may be smaller.
    """
    import numpy as np

    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    if len(X) != len(y):
        raise ValueError(f"batches: X has {len(X)} rows but y has {len(y)}")
    n = len(X)
    if shuffle:
        order = np.random.default_rng(seed).permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            yield X[rows], y[rows]
    else:
        for start in range(0, n, batch_size):
            yield X[start : start + batch_size], y[start : start + batch_size]
# --8<-- [end:batches]


# ----------------------------------------------------------------- Part IV (text)
# --8<-- [start:shakespeare]
@cache
def shakespeare() -> str:
    """Tiny Shakespeare: 1,115,394 characters of the plays, as one string.

    The text of char-rnn's ``tinyshakespeare/input.txt`` (A. Karpathy, MIT
    licence; the plays are in the public domain), shipped gzip-compressed
    inside the package and read offline with the standard library. 65
    distinct characters: the 52 letters, space, newline, 10 punctuation marks
    and the digit 3. See ``chainrule/datasets/README.md``.
    """
    source = resources.files("chainrule") / "datasets" / "shakespeare.txt.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii", newline="") as text:
        return text.read()


VALIDATION_FRACTION = 0.1


def shakespeare_split() -> tuple[str, str]:
    """``(train, validation)``: the first 90% of `shakespeare()` and the last 10%.

    The split is by position, not shuffled, as nanoGPT splits this text, so
    validation losses can be compared with theirs: the model is scored on
    passages it has never seen, not on lines scattered among those it has.
    """
    text = shakespeare()
    n_train = int(len(text) * (1 - VALIDATION_FRACTION))
    return text[:n_train], text[n_train:]
# --8<-- [end:shakespeare]

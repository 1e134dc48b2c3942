"""Tests of `chainrule.data.make_moons` (standard library only)."""

from __future__ import annotations

import math

import pytest

from chainrule.data import make_moons


def test_shapes_and_labels() -> None:
    X, y = make_moons(101, noise=0.1, seed=0)
    assert len(X) == len(y) == 101
    assert all(len(p) == 2 and all(isinstance(c, float) for c in p) for p in X)
    assert set(y) == {-1, 1}
    assert y.count(-1) == 50 and y.count(1) == 51


def test_seeded_and_reproducible() -> None:
    assert make_moons(50, seed=3) == make_moons(50, seed=3)
    assert make_moons(50, seed=3) != make_moons(50, seed=4)


def test_without_noise_points_lie_on_the_half_circles() -> None:
    X, y = make_moons(40, noise=0.0)
    for (px, py), label in zip(X, y, strict=True):
        if label == -1:
            assert math.hypot(px, py) == pytest.approx(1.0) and py >= -1e-12
        else:
            assert math.hypot(px - 1.0, py - 0.5) == pytest.approx(1.0) and py <= 0.5 + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"n_samples": 1}, "1"), ({"n_samples": 2.5}, "2.5"), ({"noise": -0.1}, "-0.1")],
)
def test_bad_arguments_are_named(kwargs, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        make_moons(**kwargs)

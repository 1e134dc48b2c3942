"""Argument checks shared by every constructor: one rule per kind of setting.

Each returns the checked value or raises an error that names the owner, the
argument and the value, so that ``Linear(0, 4)`` or ``SGD(lr=float("inf"))``
fail where they are written, not deep inside numpy three calls later.
Standard library only.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def positive_int(value: Any, name: str, owner: str) -> int:
    """An int >= 1 (a size: features, units, classes). Bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {name} must be a positive int, got {type(value).__name__} {value!r:.40}"
        )
    if value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return int(value)


def real(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in [low, high] (an end is excluded when ``*_open``).

    Learning rates, momenta, decays, epsilons and probabilities all pass
    through here: a string, a bool, nan or inf is refused with its name.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r:.40}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        interval = f"{left}{low:g}, {high:g}{right}"
        raise ValueError(f"{owner}: {name} must lie in {interval}, got {value!r}")
    return number


def flag(value: Any, name: str, owner: str) -> bool:
    """True or False, and nothing else (``bias="no"`` would otherwise be true)."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r:.40}")
    return value

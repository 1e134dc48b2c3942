"""tanh and sigmoid written with exp overflow for large inputs; stable forms do not.

A deliberately failing listing. The lecture writes
tanh(x) = (exp(2x) - 1) / (exp(2x) + 1) and sigmoid(x) = 1 / (1 + exp(-x)).
`math.exp` raises `OverflowError` once its result would pass about 1.8e308,
that is for arguments above about 709.78: tanh(1000) needs exp(2000) and
sigmoid(-1000) needs exp(1000). Both true values are perfectly ordinary
(1.0 and 0.0). chainrule computes `tanh` with `math.tanh` and `sigmoid` with
exp of a non-positive number only, so both stay finite, and so do their
gradients.

Run it: ``python listings/part2/exp_overflow.py``.
"""

from __future__ import annotations

import math

from chainrule import Value


def tanh_from_exp(x: float) -> float:
    """tanh as the lecture writes it: overflows for x > ~354."""
    e = math.exp(2 * x)
    return (e - 1) / (e + 1)


def sigmoid_from_exp(x: float) -> float:
    """sigmoid as usually first written: overflows for x < ~-709."""
    return 1 / (1 + math.exp(-x))


def raises_overflow(function, x: float) -> bool:
    try:
        function(x)
    except OverflowError:
        return True
    return False


if __name__ == "__main__":
    assert raises_overflow(tanh_from_exp, 1000.0), "WRONG: exp(2000) overflows"
    assert raises_overflow(sigmoid_from_exp, -1000.0), "WRONG: exp(1000) overflows"
    assert abs(tanh_from_exp(1.0) - math.tanh(1.0)) < 1e-15, "fine for small x"
    print("exp-based tanh(1000) and sigmoid(-1000): OverflowError")

    x = Value(1000.0)
    y = x.tanh()
    y.backward()
    assert y.data == 1.0 and x.grad == 0.0
    z = Value(-1000.0)
    s = z.sigmoid()
    s.backward()
    assert s.data == 0.0 and z.grad == 0.0
    print(f"chainrule: tanh(1000) = {y.data}, grad {x.grad}; "
          f"sigmoid(-1000) = {s.data}, grad {z.grad}")

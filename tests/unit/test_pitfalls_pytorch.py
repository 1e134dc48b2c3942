"""Part II's claims about PyTorch: a second backward (Pitfalls), ReLU at 0 (Gradient checking).

The page's own blocks run with only chainrule installed, so the claims about
PyTorch are checked here, where PyTorch is installed, and the page shows this
code. Skipped when torch is missing.
"""

from __future__ import annotations

import warnings

import pytest

from chainrule import Value

torch = pytest.importorskip("torch")


def chainrule_twice() -> list[float]:
    """The leaves' gradients of L = (a*b + c) * f after two backward() calls in chainrule."""
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    L.backward()
    return [a.grad, b.grad, c.grad, f.grad]


# --8<-- [start:pytorch_backward_twice]
def leaves() -> list:
    """a, b, c, f = 2, -3, 10, -2 as float64 tensors that want gradients."""
    values = (2.0, -3.0, 10.0, -2.0)
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in values]


def test_pytorch_refuses_a_second_backward() -> None:
    a, b, c, f = leaves()
    L = (a * b + c) * f
    L.backward()  # frees the values the graph saved for its backward pass
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        L.backward()


def test_pytorch_accumulates_with_retain_graph() -> None:
    a, b, c, f = leaves()
    L = (a * b + c) * f
    L.backward(retain_graph=True)  # keep the saved values for another pass
    L.backward()
    assert [x.grad.item() for x in (a, b, c, f)] == [12.0, -8.0, -4.0, 8.0]  # doubled
    assert [x.grad.item() for x in (a, b, c, f)] == chainrule_twice()  # as chainrule


def test_pytorch_keeps_no_grad_on_interior_nodes() -> None:
    a, b, c, f = leaves()
    d = a * b + c  # an interior node
    L = d * f
    L.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "accessing .grad of a non-leaf"
        assert d.grad is None
    assert a.grad.item() == 6.0


def test_pytorch_keeps_an_interior_grad_when_asked_with_retain_grad() -> None:
    a, b, c, f = leaves()
    d = a * b + c
    d.retain_grad()  # ask, before backward, for d's .grad to be kept
    L = d * f
    L.backward()
    assert d.grad.item() == -2.0  # dL/dd = f
    assert a.grad.item() == 6.0
# --8<-- [end:pytorch_backward_twice]


def test_chainrule_doubles_on_a_second_backward() -> None:
    assert chainrule_twice() == [12.0, -8.0, -4.0, 8.0]


def test_pytorch_relu_takes_slope_zero_at_the_kink_as_chainrule() -> None:
    a = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.relu(a).backward()
    ours = Value(0.0)
    ours.relu().backward()
    assert a.grad.item() == ours.grad == 0.0

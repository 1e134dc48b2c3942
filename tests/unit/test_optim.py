"""SGD (momentum, weight decay) and Adam, checked against their formulas by hand
and, with weight decay, against torch.optim when PyTorch is installed."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Tensor, optim


def quadratic_grad(p: Tensor) -> None:
    """Set p.grad to the gradient of sum(p^2) / 2, which is p itself."""
    p.grad = None
    (p * p * 0.5).sum().backward()


def test_sgd_plain_step() -> None:
    p = Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    quadratic_grad(p)
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -1.8])


def test_sgd_momentum_and_weight_decay_follow_the_formula() -> None:
    p = Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    expected, velocity = np.array([1.0, -2.0]), np.zeros(2)
    for _ in range(5):
        quadratic_grad(p)
        g = expected + 0.01 * expected
        velocity = 0.9 * velocity + g
        expected = expected - 0.1 * velocity
        opt.step()
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)


def test_adam_follows_the_formula() -> None:
    p = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-8)
    x, m, v = p.data.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, 6):
        quadratic_grad(p)
        g = x.copy()
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        x = x - 0.01 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.99**t)) + 1e-8)
        opt.step()
    np.testing.assert_allclose(p.data, x, rtol=1e-12)


def test_adam_weight_decay_is_added_to_the_gradient() -> None:
    p = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = optim.Adam([p], lr=0.01, weight_decay=0.1)
    x, m, s = p.data.copy(), np.zeros(3), np.zeros(3)
    for t in range(1, 6):
        quadratic_grad(p)
        g = x + 0.1 * x  # the gradient x, plus weight_decay * x
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        x = x - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
        opt.step()
    np.testing.assert_allclose(p.data, x, rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("SGD", "SGD"), ("Adam", "Adam"), ("AdamW", "AdamW")],
)
def test_weight_decay_matches_pytorch(ours: str, theirs: str) -> None:
    """The page's footnote: with weight decay, the same steps as torch.optim."""
    torch = pytest.importorskip("torch")
    start = np.array([1.0, -2.0, 0.5, 3.0])
    options = {"lr": 0.05, "weight_decay": 0.1}
    if ours == "SGD":
        options["momentum"] = 0.9
    p = Tensor(start.copy(), requires_grad=True)
    q = torch.tensor(start.copy(), requires_grad=True)
    opt = getattr(optim, ours)([p], **options)
    ref = getattr(torch.optim, theirs)([q], **options)
    for _ in range(10):
        quadratic_grad(p)
        ref.zero_grad()
        (q * q * 0.5).sum().backward()
        opt.step()
        ref.step()
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_adams_first_step_is_about_lr_in_every_coordinate() -> None:
    p = Tensor([1e-3, 1.0, 1e3], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    quadratic_grad(p)
    opt.step()
    np.testing.assert_allclose(p.data, [1e-3 - 0.1, 0.9, 1e3 - 0.1], rtol=1e-4)


def test_parameters_without_gradient_are_left_alone() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b], lr=0.1)):
        quadratic_grad(a)
        b.grad = None
        opt.step()
        assert b.data[0] == 1.0 and a.data[0] < 1.0


def test_zero_grad_sets_none_and_updates_are_in_place() -> None:
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    array = p.data
    opt = optim.SGD([p], lr=0.5, momentum=0.5)
    quadratic_grad(p)
    opt.step()
    opt.zero_grad()
    assert p.grad is None and p.data is array and p.data.dtype == np.float32


@pytest.mark.parametrize(
    ("make", "message", "error"),
    [
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list", ValueError),
        (lambda p: optim.SGD([p], lr=0.0),
         r"lr \(the learning rate\) must lie in \(0, inf\], got 0.0", ValueError),
        (lambda p: optim.SGD([p], lr=0.1, momentum=-1),
         r"SGD: momentum must lie in \[0, 1\), got -1", ValueError),
        (lambda p: optim.Adam([p], betas=(0.9, 1.0)),
         r"betas\[1\] must lie in \[0, 1\), got 1.0", ValueError),
        (lambda p: optim.Adam([np.ones(2)]), "needs Tensors, got ndarray", TypeError),
    ],
)
def test_bad_settings_are_named(make, message: str, error: type) -> None:
    with pytest.raises(error, match=message):
        make(Tensor([1.0], requires_grad=True))

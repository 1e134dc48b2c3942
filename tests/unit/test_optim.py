"""SGD (momentum, weight decay) and Adam, checked against their formulas by hand
and, with weight decay, against torch.optim when PyTorch is installed."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Tensor, nn, optim


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


# ------------------------------------------------------------------ PyTorch parity (issue 19)
MAKERS = {
    "SGD": (lambda ps: optim.SGD(ps, lr=0.1), lambda ps, t: t.optim.SGD(ps, lr=0.1)),
    "SGD momentum": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                     lambda ps, t: t.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
    "Adam": (lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.01),
             lambda ps, t: t.optim.Adam(ps, lr=0.05, weight_decay=0.01)),
    "AdamW": (lambda ps: optim.AdamW(ps, lr=0.05, betas=(0.8, 0.99)),
              lambda ps, t: t.optim.AdamW(ps, lr=0.05, betas=(0.8, 0.99))),
}


def _gradient_at(step: int, i: int, shape: tuple[int, ...]) -> np.ndarray | None:
    """A fixed gradient for parameter i at a step; parameter 1 skips every third step."""
    if i == 1 and step % 3 == 0:
        return None
    return np.random.default_rng(100 * step + i).normal(size=shape)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_twenty_steps_with_skipped_gradients_match_pytorch(name: str) -> None:
    """Issue 19 item 5: Adam kept one step count for all parameters, so one that
    skipped steps ended 0.036 away from PyTorch; each now counts its own."""
    torch = pytest.importorskip("torch")
    ours_make, theirs_make = MAKERS[name]
    starts = [np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.5, -2.0, 1.0])]
    ours = [Tensor(s.copy(), requires_grad=True) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    opt, ref = ours_make(ours), theirs_make(theirs, torch)
    for step in range(20):
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            g = _gradient_at(step, i, p.shape)
            p.grad, q.grad = (None, None) if g is None else (g.copy(), torch.tensor(g))
        opt.step()
        ref.step()
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-13, atol=1e-14)


BAD_GRADS = {
    "list": [1.0, 2.0],
    "object array with None": np.array([None, 1.0]),
    "integer array": np.array([1, 2]),
    "boolean array": np.array([True, False]),
    "complex array": np.array([1j, 1.0]),
    "Tensor": Tensor([1.0, 2.0]),
    "wrong shape": np.ones((1, 2)),
}


@pytest.mark.parametrize("bad", sorted(BAD_GRADS))
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_failing_step_moves_nothing(name: str, bad: str) -> None:
    """Issue 19 item 12: a bad .grad on the second parameter used to leave the first
    moved (and Adam's counts and moments changed); momentum turned None into NaN."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    opt = MAKERS[name][0]([a, b])
    a.grad, b.grad = np.ones(2), np.ones(2)
    opt.step()  # some state to keep
    before = opt.state_dict()
    a_before, b_before = a.data.copy(), b.data.copy()
    a.grad, b.grad = np.ones(2), BAD_GRADS[bad]
    with pytest.raises((TypeError, ValueError), match=r"parameter 1"):
        opt.step()
    np.testing.assert_array_equal(a.data, a_before)
    np.testing.assert_array_equal(b.data, b_before)
    after = opt.state_dict()
    assert after["state"].keys() == before["state"].keys()
    for i, entries in before["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(after["state"][i][key], value)


def test_a_step_between_forward_and_backward_is_refused_as_in_pytorch() -> None:
    """The step changes the weights in place (a new version), so the graph built
    before it cannot give their gradient any more; PyTorch raises too."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    w.grad = np.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="in place"):
        loss.backward()


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_default_learning_rates_are_pytorchs(name: str) -> None:
    """SGD's default lr was 0.01 where PyTorch's is 0.001: a silent difference.
    Read PyTorch's own default rather than a number typed here."""
    torch = pytest.importorskip("torch")
    p = Tensor([1.0], requires_grad=True)
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
    assert getattr(optim, name)([p]).lr == theirs.defaults["lr"]


@pytest.mark.torch
def test_parameter_groups_with_their_own_settings_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    start = [np.array([1.0, -1.0]), np.array([2.0, 0.5, -3.0])]
    ours = [Tensor(s.copy(), requires_grad=True) for s in start]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in start]
    opt = optim.Adam([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.3}], lr=0.01)
    ref = torch.optim.Adam([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.3}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.3]
    for step in range(20):
        for p, q in zip(ours, theirs, strict=True):
            g = np.sin(p.data * (step + 1))
            p.grad, q.grad = g, torch.tensor(g)
        opt.step()
        ref.step()
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-13)
    with pytest.raises(AttributeError, match="different learning rates"):
        _ = opt.lr


def test_bad_groups_are_named() -> None:
    p, q = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="a parameter appears twice"):
        optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match="a parameter appears twice"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match=r"unknown settings \['nesterov'\]"):
        optim.SGD([{"params": [p], "nesterov": True}], lr=0.1)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        optim.SGD([{"params": [p], "momentum": 2.0}], lr=0.1)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_state_dict_round_trip_continues_the_same_run(name: str) -> None:
    """Ten steps, save, a fresh optimizer loads, ten more: the same weights as twenty."""
    make = MAKERS[name][0]

    def run(split: bool) -> np.ndarray:
        p = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
        q = Tensor(np.array([[0.3, 0.1]]), requires_grad=True)
        opt = make([p, q])
        for step in range(20):
            if split and step == 10:
                saved = opt.state_dict()
                opt = make([p, q])
                opt.load_state_dict(saved)
            for i, t in enumerate((p, q)):
                t.grad = _gradient_at(step, i, t.shape)
            opt.step()
        return np.concatenate([p.data, q.data.ravel()])

    np.testing.assert_array_equal(run(split=True), run(split=False))


def test_load_state_dict_is_all_or_nothing() -> None:
    p = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.ones(2)
    opt.step()
    good = opt.state_dict()
    bad = {"state": {0: {**good["state"][0], "s": np.ones(3)}},
           "param_groups": [{**good["param_groups"][0], "lr": 0.5}]}
    with pytest.raises(ValueError, match=r"s of parameter 0 has shape \(3,\)"):
        opt.load_state_dict(bad)
    assert opt.lr == 0.1 and opt.s[p].shape == (2,)
    with pytest.raises(ValueError, match="saved groups hold"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})


# ------------------------------------------------------------------ schedule and clipping
def test_warmup_cosine_climbs_then_falls_to_the_floor() -> None:
    factor = optim.lr_scheduler.warmup_cosine(4, 14, min_factor=0.1)
    values = [factor(step) for step in range(20)]
    assert values[:4] == [0.25, 0.5, 0.75, 1.0]
    assert values[4] == 1.0 and values[9] == pytest.approx(0.55)
    assert values[14:] == [pytest.approx(0.1)] * 6
    assert all(a >= b for a, b in zip(values[3:], values[4:], strict=False))


def test_a_run_shorter_than_its_warm_up_climbs_to_the_peak_on_its_last_step() -> None:
    """The listing test's 30-step run of train_gpt.py (warm-up 100): the climb is
    shortened to the run, in the factor for LambdaLR and in the rate alike
    (before, one refused such a run and the other ended at 3/10 of the peak)."""
    factor = optim.lr_scheduler.warmup_cosine(4, 3, min_factor=0.1)
    assert [factor(step) for step in range(3)] == pytest.approx([1 / 3, 2 / 3, 1.0])
    rates = [optim.warmup_cosine_lr(step, 1e-2, 1e-3, 100, 30) for step in range(30)]
    assert rates[0] == pytest.approx(1e-2 / 30) and rates[-1] == pytest.approx(1e-2)
    assert all(a < b for a, b in zip(rates, rates[1:], strict=False))
    assert [factor(step) * 0.5 for step in range(3)] == \
        [optim.warmup_cosine_lr(step, 0.5, 0.05, 4, 3) for step in range(3)]


@pytest.mark.torch
def test_adamw_with_warmup_cosine_and_clipping_matches_pytorch_for_twenty_steps() -> None:
    """The GPT chapter's loop: clip, step, schedule; weights and learning rates as PyTorch's."""
    torch = pytest.importorskip("torch")
    from chainrule.optim.lr_scheduler import LambdaLR, warmup_cosine

    rng = np.random.default_rng(0)
    x, w0 = rng.normal(size=(8, 3)), rng.normal(size=(3, 2))
    ours = Tensor(w0.copy(), requires_grad=True)
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    opt = optim.AdamW([ours], lr=0.1, weight_decay=0.1)
    ref = torch.optim.AdamW([theirs], lr=0.1, weight_decay=0.1)
    schedule = LambdaLR(opt, warmup_cosine(5, 15, 0.1))
    ref_schedule = torch.optim.lr_scheduler.LambdaLR(ref, warmup_cosine(5, 15, 0.1))
    worst = 0.0
    for _ in range(20):
        opt.zero_grad()
        ((Tensor(x) @ ours).tanh() ** 2).sum().backward()
        ref.zero_grad()
        ((torch.tensor(x) @ theirs).tanh() ** 2).sum().backward()
        norm = nn.utils.clip_grad_norm_([ours], 0.5)
        ref_norm = torch.nn.utils.clip_grad_norm_([theirs], 0.5)
        assert abs(float(norm) - float(ref_norm)) <= 1e-13 * float(ref_norm)
        opt.step()
        ref.step()
        schedule.step()
        ref_schedule.step()
        assert schedule.get_last_lr() == pytest.approx(ref_schedule.get_last_lr(), rel=1e-15)
        worst = max(worst, float(np.max(np.abs(ours.data - theirs.detach().numpy()))))
    assert worst <= 1e-13, worst
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_lambda_lr_sets_step_zero_at_once_and_checks_its_factor() -> None:
    p = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.2)
    schedule = optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5**step)
    assert opt.lr == 0.2 and schedule.last_epoch == 0
    schedule.step()
    assert opt.lr == 0.1 and schedule.get_last_lr() == [0.1]
    with pytest.raises(TypeError, match="needs an optimizer"):
        optim.lr_scheduler.LambdaLR([p], lambda step: 1.0)
    with pytest.raises(ValueError, match=r"lr_lambda\(0\) must be finite"):
        optim.lr_scheduler.LambdaLR(optim.SGD([p], lr=0.2), lambda step: float("nan"))


def test_sgd_fourth_positional_argument_is_refused_not_misread() -> None:
    """torch.optim.SGD(params, lr, momentum, dampening): ours has no dampening."""
    with pytest.raises(TypeError, match="positional"):
        optim.SGD([Tensor([1.0], requires_grad=True)], 0.1, 0.9, 0.5)

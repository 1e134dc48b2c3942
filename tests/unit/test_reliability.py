# ruff: noqa: E501 (the table of bad calls reads best one call per line)
"""Reliability (issue 10): no silent wrong number, no half-done state after an
error, and a clear error (or a working call) for every bad call we could think of.

Each test here failed before its fix. `BAD_CALLS` is the list of bad inputs
tried; each either works or raises a TypeError or ValueError whose message
names the argument and the value.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chainrule.functional as F
from chainrule import Function, Tensor, Value, nn, optim, scalar_nn
from chainrule.data import batches, make_moons, train_test_split
from chainrule.gradcheck import compare_array_gradients, gradcheck, numerical_gradient_array
from chainrule.scalar import gc_paused
from chainrule.tensor import is_grad_enabled, no_grad, randn

# ------------------------------------------------------------------ 1. silent wrong numbers


@pytest.mark.parametrize("mask", [Tensor([True, False, True]), np.array([True, False, True])],
                         ids=["Tensor", "ndarray"])
def test_a_boolean_mask_selects_with_the_right_gradient(mask: Any) -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[mask]
    (y * Tensor([10.0, 20.0])).sum().backward()
    assert y.tolist() == [1.0, 3.0]
    assert x.grad.tolist() == [10.0, 0.0, 20.0]


def test_a_comparison_is_a_mask() -> None:
    x = Tensor([-1.0, 2.0, 3.0], requires_grad=True)
    x[x > 0].sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("index", [Tensor([0.9, 1.7]), np.array([0.5]), 1.0, [0.2]],
                         ids=["Tensor", "ndarray", "float", "list"])
def test_a_fractional_index_is_a_type_error_naming_the_dtype(index: Any) -> None:
    with pytest.raises(TypeError, match="float"):
        Tensor([1.0, 2.0])[index]


def test_x_to_the_zero_has_gradient_zero_even_at_zero() -> None:
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    p = Tensor([0.0, 2.0], requires_grad=True)  # a tensor exponent of 0 as well
    (Tensor([0.0, 3.0]) ** p).sum().backward()
    assert p.grad.tolist() == [0.0, 9.0 * math.log(3.0)]


def test_zero_to_a_positive_tensor_power_has_exponent_gradient_zero() -> None:
    p = Tensor([2.0, 0.5], requires_grad=True)
    (Tensor(0.0) ** p).sum().backward()
    assert p.grad.tolist() == [0.0, 0.0]


def test_log_of_sigmoid_of_minus_50_is_minus_50_with_gradient_1() -> None:
    x = Tensor(-50.0, requires_grad=True)
    y = x.sigmoid().log()
    y.backward()
    assert y.item() == pytest.approx(-50.0, rel=1e-15)
    assert x.grad == pytest.approx(1.0, rel=1e-15)
    s = Tensor(-30.0).sigmoid().item()
    assert s == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)), rel=1e-15)


def test_tensor_comparisons_are_elementwise_masks_outside_the_graph() -> None:
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([1.0, 5.0, 0.0])
    assert (a == b).tolist() == [True, False, False]
    assert (a != b).tolist() == [False, True, True]
    assert (a < b).tolist() == [False, True, False] and (a >= 2).tolist() == [False, True, True]
    assert (a > np.array([0.0, 3.0, 3.0])).dtype == bool
    assert (a == None) is False  # noqa: E711 (PyTorch's answer)
    assert {a: 1}[a] == 1  # still hashable, by identity


def test_truth_float_and_item_of_tensors() -> None:
    assert bool(Tensor([0.0])) is False and bool(Tensor(2.0)) is True
    with pytest.raises(ValueError, match="2 elements is ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert float(Tensor([3.0])) == 3.0 and Tensor([[3.0]]).item() == 3.0
    assert int(Tensor(3.0)) == 3 and Tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(2,\)"):
        float(Tensor([1.0, 2.0]))


def test_value_comparisons_are_bools() -> None:
    a, b = Value(2.0), Value(3.0)
    assert (a < b, a <= 2, a > b, a >= 2.0, a == Value(2.0), a != b) == (
        True, True, False, True, True, True)
    assert 1 < a and a == 2 and (a == "2") is False
    assert float(a) == 2.0 and a.item() == 2.0 and bool(Value(0.0)) is False
    with pytest.raises(TypeError, match="str"):
        a < "3"  # noqa: B015
    assert {a: 1}[a] == 1 and Value(2.0) in [a]


# ------------------------------------------------------------------ 2. no half-done state
def fingerprint(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name], err_msg=name)


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("layers.2.bias", np.zeros(3), r"layers.2.bias has shape \(2,\)"),
        ("layers.0.weight", np.full((4, 3), "x"), "holds <U1 values"),
        ("layers.2.weight", np.zeros((2, 4), complex), "holds complex128 values"),
    ],
    ids=["shape of the last", "strings in the first", "complex"],
)
def test_load_is_all_or_nothing(tmp_path: Path, name: str, bad: np.ndarray, message: str) -> None:
    model = nn.MLP(3, [4, 2], rng=0)
    state = nn.MLP(3, [4, 2], rng=1).state_dict()
    state[name] = bad
    np.savez(tmp_path / "bad.npz", **state)
    before = fingerprint(model)
    with pytest.raises(ValueError, match=message):
        model.load(tmp_path / "bad.npz")
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "make",
    [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps),
     lambda ps: optim.AdamW(ps)],
    ids=["SGD momentum", "Adam", "AdamW"],
)
def test_an_optimizer_step_that_raises_changes_nothing(make: Callable) -> None:
    good, bad = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    opt = make([good, bad])
    good.grad, bad.grad = np.array([0.5, 0.5]), np.array([1.0, 1.0, 1.0])
    state_before = {k: np.copy(v) if isinstance(v, np.ndarray) else
                    [None if a is None else a.copy() for a in v] if isinstance(v, list) else v
                    for k, v in vars(opt).items() if k != "params"}
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(2,\) but its .grad has shape"):
        opt.step()
    assert good.data.tolist() == [1.0, 2.0] and bad.data.tolist() == [3.0, 4.0]
    for key, value in state_before.items():
        after = getattr(opt, key)
        if isinstance(value, list):
            for x, y in zip(value, after, strict=True):
                assert (x is None and y is None) or np.array_equal(x, y), key
        else:
            assert np.array_equal(value, after), key


class Boom(Function):
    """The identity, whose backward fails: to break a backward pass part-way."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, upstream):
        raise RuntimeError("boom")


class FragileValue(Value):
    """A Value whose backward rule fails (the scalar engine's rules are numbers)."""

    __slots__ = ()

    def _backward(self, upstream: float) -> tuple[float, ...]:
        raise RuntimeError("boom")


def test_a_tensor_backward_that_raises_leaves_no_partial_grad() -> None:
    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    out = (Boom.apply(x) * w).sum()  # w's gradient is ready before Boom's backward runs
    with pytest.raises(RuntimeError, match="boom"):
        out.backward()
    assert (x.grad, w.grad, out.grad) == (None, None, None)


def test_a_value_backward_that_raises_leaves_no_partial_grad() -> None:
    a, w = Value(2.0), Value(3.0)
    out = FragileValue(a.data, "", (a,), (1.0,), "fragile") * w
    with pytest.raises(RuntimeError, match="boom"):
        out.backward()
    assert (a.grad, w.grad, out.grad) == (0.0, 0.0, 0.0)
    assert gc.isenabled()


def test_a_hand_over_that_fails_part_way_is_undone() -> None:
    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    x.grad = np.zeros((2, 1))  # set by hand, the wrong shape: it used to broadcast to (2, 2)
    out = (x * w).sum()
    with pytest.raises(ValueError, match=r"shape \(2,\) to .grad of shape \(2, 1\)"):
        out.backward()
    assert x.grad.shape == (2, 1) and (w.grad, out.grad) == (None, None)


def test_no_grad_belongs_to_the_thread_that_enters_it() -> None:
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def evaluator() -> None:
        with no_grad():
            seen["evaluator inside"] = is_grad_enabled()
            inside.set()
            done.wait(5)
        seen["evaluator after"] = is_grad_enabled()

    thread = threading.Thread(target=evaluator)
    thread.start()
    inside.wait(5)
    x = Tensor([1.0], requires_grad=True)
    seen["trainer records"] = (x * 2).requires_grad
    done.set()
    thread.join()
    assert seen == {"evaluator inside": False, "trainer records": True, "evaluator after": True}
    assert is_grad_enabled()


def test_training_while_two_threads_evaluate_never_fails() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    failures: list[BaseException] = []

    def evaluate() -> None:
        for _ in range(300):
            with no_grad():
                (x * 3).sum()

    def train() -> None:
        for _ in range(500):
            try:
                (x * 2).sum().backward()
            except RuntimeError as error:
                failures.append(error)

    threads = [threading.Thread(target=f) for f in (train, evaluate, evaluate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and is_grad_enabled()
    assert x.grad.tolist() == [1000.0, 1000.0, 1000.0]


def test_no_grad_restores_the_previous_state_when_nested_or_raising() -> None:
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    with pytest.raises(KeyError), no_grad():
        raise KeyError
    assert is_grad_enabled()


def test_gc_paused_keeps_another_threads_choice_to_switch_the_collector_off() -> None:
    """The collector's switch is process-wide. A thread that turned it off
    before our block began finds it still off when the block ends."""
    switched_off, finished = threading.Event(), threading.Event()

    def other_thread() -> None:
        gc.disable()  # this thread's choice, for the whole process
        switched_off.set()
        finished.wait(5)

    assert gc.isenabled()
    thread = threading.Thread(target=other_thread)
    thread.start()
    switched_off.wait(5)
    try:
        with gc_paused():
            (Value(1.0) * 2).backward()
        assert not gc.isenabled()  # the other thread's choice stands
    finally:
        finished.set()
        thread.join()
        gc.enable()


# ------------------------------------------------------------------ 3. clear errors, never internals
def _mlp_file(tmp_path: Path) -> Path:
    nn.MLP(3, [4, 2], rng=0).save(tmp_path / "weights")  # numpy appends .npz
    return tmp_path


def _params() -> list[Tensor]:
    return [Tensor([1.0], requires_grad=True)]


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# (description, call taking tmp_path, expected: "works" or (exception, message))
BAD_CALLS: list[tuple[str, Callable[[Path], Any], Any]] = [
    # from the issue
    ("load a .npy file", lambda p: nn.MLP(3, [2]).load(
        (np.save(p / "x.npy", np.ones(3)), p / "x.npy")[1]), (ValueError, r"x.npy.*\.npy file")),
    ("F.linear with a numpy weight", lambda p: F.linear(Tensor(np.ones((2, 3))), np.ones((4, 3))),
     "works"),
    ("reshape(np.int64(6))", lambda p: Tensor(np.ones((2, 3))).reshape(np.int64(6)), "works"),
    ("Linear(0, 4)", lambda p: nn.Linear(0, 4), (ValueError, "in_features must be a positive int, got 0")),
    ("Adam betas=(0.9,)", lambda p: optim.Adam(_params(), betas=(0.9,)),
     (ValueError, r"betas must be a pair \(beta1, beta2\), got \(0.9,\)")),
    ("Value label=5 to_dot", lambda p: Value(1.0, label=5).to_dot(), "works"),
    ("save('weights') then load('weights')", lambda p: nn.MLP(3, [4, 2]).load(
        _mlp_file(p) / "weights"), "works"),
    ("SGD lr=inf", lambda p: optim.SGD(_params(), lr=math.inf), (ValueError, "lr .* finite, got inf")),
    ("Adam eps=-1", lambda p: optim.Adam(_params(), eps=-1), (ValueError, r"eps must lie in \(0, inf\], got -1")),
    ("Adam weight_decay=-1", lambda p: optim.Adam(_params(), weight_decay=-1),
     (ValueError, r"weight_decay must lie in \[0, inf\], got -1")),
    ("complex .npz", lambda p: nn.MLP(1, [1]).load(
        (np.savez(p / "c.npz", **{k: v.astype(complex) for k, v in
                                  nn.MLP(1, [1]).state_dict().items()}), p / "c.npz")[1]),
     (ValueError, "complex128")),
    ("Linear(-3, 4)", lambda p: nn.Linear(-3, 4), (ValueError, "in_features .* got -3")),
    ("Linear(2.5, 3)", lambda p: nn.Linear(2.5, 3), (TypeError, "in_features .* float 2.5")),
    ("Linear('3', 4)", lambda p: nn.Linear("3", 4), (TypeError, "in_features .* str '3'")),
    ("SGD lr='0.1'", lambda p: optim.SGD(_params(), lr="0.1"), (TypeError, "lr .* str '0.1'")),
    ("load a text file", lambda p: nn.MLP(1, [1]).load(_write(p, "w.txt", b"1 2 3\n")),
     (ValueError, r"w.txt' is not an .npz archive")),
    ("load an empty file", lambda p: nn.MLP(1, [1]).load(_write(p, "e.npz", b"")),
     (ValueError, "e.npz' is empty")),
    ("cross_entropy on an empty batch", lambda p: F.cross_entropy(Tensor(np.zeros((0, 3))), []),
     (ValueError, "batch is empty")),
    ("cross_entropy with a Tensor of classes",
     lambda p: F.cross_entropy(Tensor(np.zeros((2, 3))), Tensor([2, 0])), "works"),
    # more of the same kinds
    ("Linear(3, 0)", lambda p: nn.Linear(3, 0), (ValueError, "out_features .* got 0")),
    ("Linear(True, 3)", lambda p: nn.Linear(True, 3), (TypeError, "in_features .* bool True")),
    ("Linear(np.int64(3), 2)", lambda p: nn.Linear(np.int64(3), 2), "works"),
    ("Linear dtype=int", lambda p: nn.Linear(2, 2, dtype=int), (TypeError, "float type")),
    ("MLP(0, [3])", lambda p: nn.MLP(0, [3]), (ValueError, "n_in .* got 0")),
    ("MLP(2, [3, -1])", lambda p: nn.MLP(2, [3, -1]), (ValueError, r"n_outs\[1\] .* got -1")),
    ("MLP(2, '3')", lambda p: nn.MLP(2, "3"), (TypeError, "n_outs must be a list")),
    ("MLP(2, [])", lambda p: nn.MLP(2, []), (ValueError, "at least one layer")),
    ("SGD lr=nan", lambda p: optim.SGD(_params(), lr=math.nan), (ValueError, "finite, got nan")),
    ("SGD lr=-0.1", lambda p: optim.SGD(_params(), lr=-0.1), (ValueError, "got -0.1")),
    ("SGD lr=0", lambda p: optim.SGD(_params(), lr=0), (ValueError, r"\(0, inf\], got 0")),
    ("SGD momentum=1.5", lambda p: optim.SGD(_params(), momentum=1.5), (ValueError, "momentum .* 1.5")),
    ("SGD momentum='0.9'", lambda p: optim.SGD(_params(), momentum="0.9"), (TypeError, "momentum")),
    ("SGD weight_decay=inf", lambda p: optim.SGD(_params(), weight_decay=math.inf),
     (ValueError, "weight_decay must be finite")),
    ("SGD of a Tensor", lambda p: optim.SGD(Tensor([1.0], requires_grad=True)),
     (TypeError, "iterable of Tensors")),
    ("SGD of arrays", lambda p: optim.SGD([np.ones(2)]), (TypeError, "needs Tensors, got ndarray")),
    ("Adam lr=0", lambda p: optim.Adam(_params(), lr=0.0), (ValueError, "lr .* got 0.0")),
    ("Adam betas of three", lambda p: optim.Adam(_params(), betas=(0.9, 0.99, 0.5)),
     (ValueError, "pair")),
    ("Adam betas=0.9", lambda p: optim.Adam(_params(), betas=0.9), (ValueError, "pair")),
    ("Adam betas=(1.0, 0.9)", lambda p: optim.Adam(_params(), betas=(1.0, 0.9)),
     (ValueError, r"betas\[0\] must lie in \[0, 1\), got 1.0")),
    ("Adam betas=('a', 0.9)", lambda p: optim.Adam(_params(), betas=("a", 0.9)),
     (TypeError, r"betas\[0\]")),
    ("Adam eps=nan", lambda p: optim.Adam(_params(), eps=math.nan), (ValueError, "eps must be finite")),
    ("AdamW weight_decay=-1", lambda p: optim.AdamW(_params(), weight_decay=-1),
     (ValueError, "weight_decay .* got -1")),
    ("Dropout(p=1.5)", lambda p: nn.Dropout(1.5), (ValueError, r"p must lie in \[0, 1\], got 1.5")),
    ("Dropout(p=nan)", lambda p: nn.Dropout(math.nan), (ValueError, "p must be finite")),
    ("dropout p=-0.1", lambda p: F.dropout(Tensor([1.0]), -0.1), (ValueError, "got -0.1")),
    ("dropout training='yes'", lambda p: F.dropout(Tensor([1.0]), 0.5, training="yes"),
     (TypeError, "training must be True or False")),
    ("train('yes')", lambda p: nn.MLP(1, [1]).train("yes"), (TypeError, "mode must be True or False")),
    ("load of a number", lambda p: nn.MLP(1, [1]).load(3), (TypeError, "load needs a file name, got int")),
    ("save to None", lambda p: nn.MLP(1, [1]).save(None), (TypeError, "save needs a file name")),
    ("load a string array", lambda p: nn.MLP(1, [1]).load(
        (np.savez(p / "s.npz", **{k: np.full(v.shape, "1") for k, v in
                                  nn.MLP(1, [1]).state_dict().items()}), p / "s.npz")[1]),
     (ValueError, "<U1 values")),
    ("load a pickled object", lambda p: nn.MLP(1, [1]).load(
        (np.savez(p / "o.npz", **{"layers.0.weight": np.array([{}], dtype=object)}),
         p / "o.npz")[1]), (ValueError, "pickled Python objects")),
    ("load a zip that is not npz", lambda p: nn.MLP(1, [1]).load(
        _write(p, "z.npz", b"PK\x03\x04 broken")), (ValueError, "z.npz")),
    ("load_state_dict of a list", lambda p: nn.MLP(1, [1]).load_state_dict([1]),
     (TypeError, "needs a dict, got list")),
    ("reshape('6')", lambda p: Tensor(np.ones(6)).reshape("6"), (TypeError, "integers")),
    ("reshape(2.0, 3)", lambda p: Tensor(np.ones(6)).reshape(2.0, 3), (TypeError, "integers, got 2.0")),
    ("transpose(np.int64)", lambda p: Tensor(np.ones((2, 3))).transpose(np.int64(1), 0), "works"),
    ("index np.float64(1)", lambda p: Tensor([1.0, 2.0])[np.float64(1.0)], (TypeError, "float")),
    ("F.linear numpy bias", lambda p: F.linear(Tensor(np.ones((2, 3))), np.ones((4, 3)), np.ones(4)),
     "works"),
    ("mse_loss with a list target", lambda p: F.mse_loss(Tensor([1.0, 2.0]), [1.0, 2.0]), "works"),
    ("cross_entropy targets 2.5", lambda p: F.cross_entropy(Tensor(np.zeros((1, 3))), [2.5]),
     (TypeError, "integer class indices")),
    ("cross_entropy bool targets", lambda p: F.cross_entropy(Tensor(np.zeros((2, 3))),
                                                             np.array([True, False])),
     (TypeError, "dtype bool")),
    ("cross_entropy list logits", lambda p: F.cross_entropy([[1.0, 2.0]], [1]), "works"),
    ("nll_loss empty batch", lambda p: F.nll_loss(Tensor(np.zeros((0, 3))), []),
     (ValueError, "batch is empty")),
    ("bce_with_logits empty", lambda p: F.binary_cross_entropy_with_logits(Tensor([]), []),
     (ValueError, "empty")),
    ("requires_grad='yes'", lambda p: Tensor(1.0, requires_grad="yes"),
     (TypeError, "requires_grad must be True or False")),
    ("mask requires grad", lambda p: Tensor([True], requires_grad=True),
     (ValueError, "boolean Tensor")),
    ("arithmetic on a mask", lambda p: Tensor([True]) * 2.0, (TypeError, "boolean Tensor is a mask")),
    ("clamp(min='0')", lambda p: Tensor([1.0]).clamp(min="0"), (TypeError, "min must be a number")),
    ("where with a float condition", lambda p: F.relu(Tensor([1.0])).where(np.ones(1), 0.0),
     (TypeError, "dtype float64")),
    ("Value('3')", lambda p: Value("3"), (TypeError, "str")),
    ("Value + 'x'", lambda p: Value(1.0) + "x", (TypeError, "str")),
    ("Function with no engine input", lambda p: Boom.apply(1.0), (TypeError, "at least one Value or Tensor")),
    ("Function mixing engines", lambda p: Boom.apply(Value(1.0), Tensor([1.0])),
     (TypeError, "both Values and Tensors")),
    ("randn shape 2.5", lambda p: randn(2.5, rng=0), (TypeError, "integers")),
    ("load a directory", lambda p: nn.MLP(1, [1]).load(p), (ValueError, "is a directory")),
    ("make_moons noise='a'", lambda p: make_moons(noise="a"), (TypeError, "noise must be a real number, got str")),
    ("make_moons noise=nan", lambda p: make_moons(noise=math.nan), (ValueError, "noise must be finite")),
    ("train_test_split fraction 1.5", lambda p: train_test_split(np.ones((4, 1)), np.ones(4), 1.5),
     (ValueError, r"test_fraction must lie in \(0, 1\), got 1.5")),
    ("batches batch_size=True", lambda p: next(batches(np.ones((4, 1)), np.ones(4), True)),
     (ValueError, "batch_size must be a positive int, got True")),
    ("scalar Neuron(0)", lambda p: scalar_nn.Neuron(0), (ValueError, "nin must be a positive int, got 0")),
    ("scalar Layer(2, 0)", lambda p: scalar_nn.Layer(2, 0), (ValueError, "nout .* got 0")),
    ("scalar MLP(2.5, [3])", lambda p: scalar_nn.MLP(2.5, [3]), (TypeError, "nin .* float 2.5")),
    ("scalar MLP(2, [])", lambda p: scalar_nn.MLP(2, []), (ValueError, "at least one layer")),
]


@pytest.mark.parametrize(("what", "call", "expected"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_call_works_or_raises_a_clear_error(tmp_path: Path, what: str, call, expected) -> None:
    if expected == "works":
        call(tmp_path)
        return
    error, message = expected
    with pytest.raises(error, match=message):
        call(tmp_path)


def test_enough_bad_calls_are_tried() -> None:
    outcomes = [c[2] if c[2] == "works" else c[2][0].__name__ for c in BAD_CALLS]
    assert len(outcomes) >= 70
    assert set(outcomes) == {"works", "TypeError", "ValueError"}


# ------------------------------------------------------------------ 5. new pieces
def test_save_then_load_under_the_name_given(tmp_path: Path) -> None:
    model, copy = nn.MLP(3, [4, 2], rng=0), nn.MLP(3, [4, 2], rng=1)
    model.save(tmp_path / "weights")
    copy.load(tmp_path / "weights")
    for a, b in zip(model.parameters(), copy.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_seeded_random_constructors_repeat() -> None:
    assert randn(2, 3, rng=7).tolist() == randn((2, 3), rng=7).tolist()
    assert randn(2, 3, rng=7).tolist() != randn(2, 3, rng=8).tolist()
    from chainrule.tensor import rand

    r = rand(1000, rng=0)
    assert r.shape == (1000,) and 0 <= r.data.min() and r.data.max() < 1
    assert randn(3, rng=0, requires_grad=True, dtype=np.float32).dtype == np.float32


def test_argmax() -> None:
    t = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]])
    assert t.argmax() == 3 and t.argmax(axis=1).tolist() == [1, 0]


def test_dropout_train_and_eval() -> None:
    layer = nn.Dropout(0.5, rng=0)
    x = Tensor(np.ones(1000), requires_grad=True)
    y = layer(x)
    kept = y.data != 0
    assert set(np.unique(y.data)) == {0.0, 2.0} and 400 < kept.sum() < 600
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, 2.0 * kept)
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.9))
    assert model.eval() is model and not model.layers[1].training
    assert model(np.ones((1, 2))).tolist() == model(np.ones((1, 2))).tolist()
    assert model.train().layers[1].training


def test_module_list_finds_its_parameters() -> None:
    class Tower(nn.Module):
        def __init__(self) -> None:
            self.blocks = nn.ModuleList(nn.Linear(2, 2, rng=i) for i in range(3))

        def forward(self, x: Tensor) -> Tensor:
            for block in self.blocks:
                x = block(x).tanh()
            return x

    tower = Tower()
    names = [name for name, _ in tower.named_parameters()]
    assert names == [f"blocks.{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    assert len(tower.blocks) == 3 and tower(np.ones((1, 2))).shape == (1, 2)
    tower.eval()
    assert not any(block.training for block in tower.blocks)
    with pytest.raises(TypeError, match="holds Modules, got int"):
        nn.ModuleList([1])


class Cube(Function):
    """x ** 3, with its derivative 3 x ** 2: the reference page's example."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, upstream):
        (x,) = ctx.saved_tensors
        return upstream * 3 * x**2


class ScaledSum(Function):
    """sum(x * w) with a constant scale: two tensor inputs and a plain number."""

    @staticmethod
    def forward(ctx, x, w, scale):
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        return (x * w).sum() * scale

    @staticmethod
    def backward(ctx, upstream):
        x, w = ctx.saved_tensors
        # x's gradient must have x's shape; w's may keep x's shape: the engine
        # sums it over the axes w was broadcast along, as for any other op
        return upstream * np.broadcast_to(w, x.shape) * ctx.scale, upstream * x * ctx.scale, None


def test_a_function_extends_the_scalar_engine() -> None:
    assert gradcheck(lambda x: Cube.apply(x) * x, [1.3])
    y = Cube.apply(Value(2.0))
    assert isinstance(y, Value) and y.data == 8.0


def test_a_function_extends_the_tensor_engine() -> None:
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 4)), rng.normal(size=(4,))  # w is broadcast
    tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    ScaledSum.apply(Cube.apply(tx), tw, 0.5).backward()
    numeric = numerical_gradient_array(
        lambda a, b: ScaledSum.apply(Cube.apply(Tensor(a)), Tensor(b), 0.5), [x, w])
    compare_array_gradients([tx.grad, tw.grad], numeric)


def test_a_function_whose_backward_returns_too_few_gradients_says_so() -> None:
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, upstream):
            return upstream

    with pytest.raises(ValueError, match=r"Wrong.backward returned 1 gradient\(s\) for 2 input"):
        Wrong.apply(Value(1.0), Value(2.0))
    out = Wrong.apply(Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True))
    with pytest.raises(ValueError, match="returned 1 gradient"):
        out.backward(np.ones(1))

"""Tensor: construction, dtypes, the gradient's life cycle and the error messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from chainrule import Tensor
from chainrule.tensor import cat, no_grad, stack, unbroadcast


# ------------------------------------------------------------------ construction and dtype
def test_import_chainrule_does_not_import_numpy() -> None:
    code = "import sys, chainrule; assert 'numpy' not in sys.modules; chainrule.Tensor"
    code += "; assert 'numpy' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "data",
    [3, 2.5, [1, 2, 3], [[1.0, 2.0]], np.arange(4), np.arange(4, dtype=np.int32),
     np.array([1.0, 2.0], dtype=np.float64)],
)
def test_numbers_lists_and_integer_arrays_become_float64(data: object) -> None:
    t = Tensor(data)
    assert isinstance(t.data, np.ndarray)
    assert t.data.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_float32_stays_float32_without_a_copy() -> None:
    a = np.ones((2, 3), dtype=np.float32)
    t = Tensor(a)
    assert t.data.dtype == np.float32
    assert t.data is a


@pytest.mark.parametrize(
    ("data", "culprit"),
    [("abc", "str"), (None, "NoneType"), ([1, "a"], "list"), ({"a": 1}, "dict"),
     (np.array(["x"]), "ndarray"), (1 + 2j, "complex")],
)
def test_non_numeric_data_is_a_type_error_naming_it(data: object, culprit: str) -> None:
    with pytest.raises(TypeError, match=rf"Tensor needs numbers.*got {culprit}"):
        Tensor(data)


def test_ragged_lists_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1, 2], [3]])


def test_requires_grad_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 1"):
        Tensor(1.0, requires_grad=1)  # type: ignore[arg-type]


def test_describing_properties_and_repr() -> None:
    t = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    assert (t.shape, t.ndim, t.numel(), t.dtype, len(t)) == ((2, 3), 2, 6, np.float32, 2)
    assert (t.size(), t.size(-1), t.dim()) == ((2, 3), 3, 2)  # PyTorch's methods
    assert "requires_grad=True" in repr(t) and "float32" in repr(t)
    assert Tensor([[1.5]]).item() == 1.5
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(2, 3\)"):
        t.item()


# ------------------------------------------------------------------ float32 stays float32
@pytest.mark.parametrize(
    "program",
    [
        lambda x: x * 2.0, lambda x: 2 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 3.0,
        lambda x: 1.0 / (x + 2), lambda x: x**2, lambda x: x**0.5, lambda x: (x @ x.T).sum(),
        lambda x: x.exp().log().tanh().sigmoid().relu(), lambda x: x.mean(axis=0),
        lambda x: x.max(), lambda x: x[0, 1:] * 1.5, lambda x: x.reshape(-1).T,
    ],
)
def test_float32_programs_stay_float32_forward_and_backward(program) -> None:
    x = Tensor(np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    out = program(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


# ------------------------------------------------------------------ the gradient's life cycle
def test_grad_is_none_until_backward_then_shaped_like_data() -> None:
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert x.grad is None
    (x * x).sum().backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == (1, 3)
    np.testing.assert_array_equal(x.grad, [[2.0, 4.0, 6.0]])


def test_zero_dimensional_tensor_gets_an_ndarray_gradient() -> None:
    x = Tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
    assert x.grad == 6.0


def test_gradients_accumulate_across_calls_and_none_clears_them() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_second_backward_doubles_interior_gradients_without_compounding() -> None:
    a = Tensor(2.0, requires_grad=True)
    b = a * a  # interior node
    c = b * 3.0
    c.backward()
    c.backward()
    assert b.grad == 6.0 and a.grad == 24.0  # exactly twice 3 and twice 12


def test_a_tensor_used_twice_collects_both_contributions() -> None:
    a = Tensor([1.0, -2.0], requires_grad=True)
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])
    a.grad = None
    b = a + a
    (b + b).sum().backward()  # the case a naive recursion gets wrong
    np.testing.assert_array_equal(a.grad, [4.0, 4.0])


@pytest.mark.parametrize("data", [np.array([1.5, 2.0]), np.array([True, False]), np.int64(3)])
def test_a_constant_is_what_an_operation_with_no_inputs_makes(data: object) -> None:
    """`_constant` builds its tensor directly (it is on the path of `x * 2.0`);
    it must set every field as `_result` does for an operation with no inputs."""
    from chainrule.tensor import _constant, _result

    made, expected = _constant(data), _result(data, "")
    for field in Tensor.__slots__:
        if field == "__weakref__":
            continue
        a, b = getattr(made, field), getattr(expected, field)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), field
        else:
            assert a == b, field


def test_constants_get_no_gradient_and_are_not_in_the_graph() -> None:
    w = Tensor([[1.0, 2.0]], requires_grad=True)
    x = Tensor([[3.0], [4.0]])
    y = x @ w
    assert y._parents == (w,)
    y.sum().backward()
    assert x.grad is None


def test_backward_with_an_explicit_gradient() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward([1.0, 0.0, 10.0])
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 60.0])


def test_backward_on_non_scalar_without_gradient_says_so() -> None:
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(2, 3\).*gradient"):
        y.backward()


def test_backward_gradient_of_the_wrong_shape_names_both() -> None:
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    message = r"gradient of shape \(3,\) for a tensor of shape \(2, 3\)"
    with pytest.raises(ValueError, match=message):
        y.backward(np.ones(3))


def test_backward_on_a_constant_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_the_seed_gradient_is_copied() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0])
    (x + 0.0).backward(seed)
    seed[:] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_no_grad_records_nothing() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 2).sum()
    assert not y.requires_grad and y._parents == ()
    assert (w * 2).requires_grad  # and recording is back on afterwards


def test_graph_holds_no_reference_cycles() -> None:
    import gc
    import weakref

    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        y = ((x * 2).exp() + 1).sum()
        probe = weakref.ref(y)
        y.backward()
        del y
        assert probe() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_graph_drawing_works_through_graph_module() -> None:
    from chainrule.graph import to_dot, to_mermaid

    x = Tensor([1.0], requires_grad=True)
    y = (x * 2 + 1).tanh()
    assert "tanh" in to_mermaid(y) and "tanh" in to_dot(y)


# ------------------------------------------------------------------ errors name the culprit
def test_matmul_shape_error_names_both_shapes() -> None:
    a = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(2, 3\)"):
        a @ a


def test_matmul_needs_at_least_one_axis() -> None:
    with pytest.raises(ValueError, match=r"at least one axis, got \(\) @ \(2, 2\)"):
        Tensor(2.0) @ Tensor(np.ones((2, 2)))


def test_matmul_batch_axes_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValueError, match=r"batch axes of \(2, 2, 3\) @ \(3, 3, 2\)"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 2)))


@pytest.mark.parametrize(
    ("op", "apply"),
    [("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("*", lambda a, b: a * b),
     ("/", lambda a, b: a / b)],
)
def test_broadcast_error_names_both_shapes_and_the_op(op: str, apply) -> None:
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=rf"shapes \(2, 3\) \{op} \(4,\) do not broadcast"):
        apply(a, b)


def test_bad_operand_type_is_named() -> None:
    with pytest.raises(TypeError, match="Tensor and str 'x'"):
        Tensor([1.0]) + "x"


def test_reshape_error_names_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3\) \(6 elements\) into \(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_numpy_array_on_the_left_defers_to_tensor() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# ------------------------------------------------------------------ unbroadcast
@pytest.mark.parametrize(
    ("grad_shape", "shape"),
    [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((2, 3), ()),
     ((4, 2, 3), (2, 1)), ((4, 2, 3), (1, 1, 1))],
)
def test_unbroadcast_sums_back_to_shape(grad_shape: tuple, shape: tuple) -> None:
    grad = np.arange(np.prod(grad_shape), dtype=float).reshape(grad_shape)
    out = unbroadcast(grad, shape)
    assert np.shape(out) == shape
    assert np.sum(out) == grad.sum()  # every copy's gradient is counted once


# ------------------------------------------------------------ PyTorch parity (issue 19)
def test_transpose_swaps_two_dims_as_in_pytorch() -> None:
    m = Tensor(np.arange(6.0).reshape(2, 3))
    assert np.array_equal(m.transpose(0, 1).data, m.data.T)  # was m unchanged
    assert np.array_equal(m.transpose(-2, -1).data, m.data.T)
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2)  # raised before
    assert x.permute(1, 2, 0).shape == x.permute((1, 2, 0)).shape == (3, 4, 2)
    assert x.mT.shape == (2, 4, 3)
    with pytest.raises(TypeError, match="permute"):
        x.transpose(2, 0, 1)


def test_reductions_take_pytorch_keywords_and_refuse_both_spellings() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(dim=1, keepdim=True).shape == (2, 1, 4)
    for name in ("sum", "mean", "amax", "amin", "var", "std", "logsumexp"):
        assert getattr(x, name)(dim=-1).shape == (2, 3), name
        with pytest.raises(TypeError, match="both axis=0 and dim=0"):
            getattr(x, name)(axis=0, dim=0)
    assert x.argmax(dim=2).shape == (2, 3)
    with pytest.raises(TypeError, match=r"1.0 \(float\)"):
        x.sum(axis=1.0)


def test_in_place_update_under_no_grad_changes_the_parameter() -> None:
    p = Tensor([1.0, 2.0], requires_grad=True)
    params = [p]
    (p * p).sum().backward()
    with no_grad():
        for q in params:
            q -= 0.5 * q.grad  # trained nothing before: the line only rebound q
    assert np.array_equal(p.data, [0.0, 0.0]) and p._version == 1
    with no_grad():
        p.add_(np.ones(2), alpha=2.0).mul_(3.0)
        p.sub_(Tensor([1.0, 1.0]))
    assert np.array_equal(p.data, [5.0, 5.0]) and p._version == 4
    with no_grad():
        p.zero_()
    assert np.array_equal(p.data, [0.0, 0.0])


def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording() -> None:
    p = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        p -= 1.0
    with pytest.raises(RuntimeError, match="computed by '\\*'"):
        y = p * 2
        y += 1
    c = Tensor([0.0, 0.0])
    with pytest.raises(RuntimeError, match="operand that requires grad"):
        c += p
    c += 1  # a constant may change in place
    assert np.array_equal(c.data, [1.0, 1.0])
    with pytest.raises(ValueError, match=r"result has shape \(2, 2\).*keeps its shape \(2,\)"):
        c += np.ones((2, 2))


def test_backward_refuses_a_saved_input_changed_in_place() -> None:
    w = Tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    with no_grad():
        w -= 1.0  # an optimizer step between forward and backward
    with pytest.raises(RuntimeError, match=r"'\*'.*version 1, was 0"):
        loss.backward()
    e = w.exp()
    with no_grad():
        e += 1.0
    with pytest.raises(RuntimeError, match="'exp': its result"):
        e.backward(np.ones(1))
    s = w + 1.0  # + reads no input: PyTorch lets this pass, and so do we
    with no_grad():
        w += 1.0
    s.backward(np.ones(1))
    assert np.array_equal(w.grad, [1.0])


def test_each_leaf_owns_its_gradient() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 0.5  # clipping one in place leaves the other alone (was 0.25 for both)
    assert np.array_equal(b.grad, [1.0, 1.0])


def test_float32_leaf_mixed_with_float64_gets_a_float32_gradient() -> None:
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    (x * Tensor(np.full(3, 2.0))).sum().backward()
    assert x.grad.dtype == np.float32  # was float64


def test_std_of_a_constant_slice_has_a_zero_gradient() -> None:
    x = Tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], requires_grad=True)
    x.std(dim=1).sum().backward()
    assert np.all(np.isfinite(x.grad)) and np.array_equal(x.grad[0], [0.0, 0.0, 0.0])  # was nan


def test_a_tuple_fancy_index_adds_repeated_gradients() -> None:
    x = Tensor(np.zeros((2, 2)), requires_grad=True)
    x[(0, 0), (1, 1)].sum().backward()
    assert x.grad[0, 1] == 2.0  # was 1


def test_a_zero_dimensional_tensor_has_no_length_and_no_iteration() -> None:
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(1.0))  # was []
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(1.0))
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2 and np.array_equal(rows[1].data, [3.0, 4.0])


def test_max_and_min_with_a_dim_give_values_and_indices() -> None:
    x = Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)  # unpacked the two rows before
    assert np.array_equal(values.data, [5.0, 7.0]) and indices.tolist() == [1, 0]
    assert x.max(dim=1).values is not None and x.min(1).indices.tolist() == [0, 1]
    values.sum().backward()
    assert np.array_equal(x.grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # the index's alone
    assert x.max().item() == 7.0 and x.max().ndim == 0  # no dim: the largest element


def test_comparisons_are_boolean_tensors_that_count_and_average() -> None:
    pred, y = Tensor([0.0, 1.0, 2.0, 1.0]), Tensor([0.0, 1.0, 1.0, 1.0])
    same = pred == y
    assert isinstance(same, Tensor) and same.dtype == np.bool_ and not same.requires_grad
    assert same.float().mean().item() == 0.75 and same.float().dtype == np.float32
    assert same.sum().item() == 3 and (pred > 0).double().dtype == np.float64
    assert pred.long().dtype == np.int64 and pred.to("float32").dtype == np.float32
    assert (pred > 0).any().item() and not (pred > 0).all().item()
    with pytest.raises(TypeError, match=r"\.float\(\)"):
        same.mean()  # PyTorch refuses the mean of a mask too


def test_integer_data_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point"):
        Tensor(np.arange(3), requires_grad=True)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Tensor([1.0]) + 10**400, OverflowError, r"operand 1000.* is too large"),
        (lambda: Tensor(10**400), OverflowError, "too large for float64"),
        (lambda: Tensor(np.ones((2, 2))).sum(axis=1.0), TypeError, r"sum: dim \(axis\)"),
        (lambda: cat([Tensor([1.0]), Tensor([2.0])], axis=1.0), TypeError, r"cat: dim \(axis\)"),
        (lambda: cat([Tensor([1.0])], dim=1), ValueError, "dim 1 is out of range"),
        (lambda: stack([Tensor([1.0])], axis=0, dim=0), TypeError, "both axis=0 and dim=0"),
        (lambda: Tensor([1.0]).to("cpu"), TypeError, "CPU only"),
    ],
)
def test_vague_messages_name_the_argument_and_rule(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_manual_seed_repeats_the_default_draws() -> None:
    from chainrule import manual_seed, rand, randn

    manual_seed(7)
    first = randn(2, 3).data, rand(4).data
    manual_seed(7)
    second = randn(2, 3).data, rand(4).data
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(randn(2, 3).data, first[0])  # the stream moves on


def test_clone_copies_expand_shares_and_detach_shares_the_version() -> None:
    x = Tensor([[1.0], [2.0]], requires_grad=True)
    copy = x.clone()
    assert not np.shares_memory(copy.data, x.data) and copy.requires_grad
    wide = x.detach().expand(2, 3)
    assert np.shares_memory(wide.data, x.data)
    with pytest.raises(ValueError, match="read-only; clone"):
        wide += 1.0
    loss = (x * x).sum()
    with no_grad():
        x.detach().mul_(2.0)  # the same array and, as in PyTorch, the same version
    with pytest.raises(RuntimeError, match="version 1, was 0"):
        loss.backward()


def test_view_refuses_where_pytorch_would_need_a_copy() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x.view(3, 2).data, x.data)
    with pytest.raises(RuntimeError, match="use reshape"):
        x.transpose(0, 1).view(6)
    assert x.transpose(0, 1).reshape(6).shape == (6,)


def test_masks_combine_with_invert_and_or_as_in_pytorch() -> None:
    x = Tensor([-1.0, 0.5, 2.0])
    inside = (x > 0) & (x < 1)
    assert inside.tolist() == [False, True, False] and (~inside).tolist() == [True, False, True]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, True]
    assert ((x > 0) ^ np.array([True, True, False])).tolist() == [True, False, True]
    with pytest.raises(TypeError, match="mask must be boolean"):
        x.__invert__()


def test_a_failed_in_place_change_leaves_the_tensor_and_its_version_alone() -> None:
    c = Tensor([1.0, 2.0])
    for bad in (np.ones((2, 2)), "a", np.ones(3)):
        with pytest.raises((ValueError, TypeError)):
            c += bad
    assert np.array_equal(c.data, [1.0, 2.0]) and c._version == 0


def test_argmax_is_an_int64_tensor_that_can_index_and_compare() -> None:
    logits = Tensor([[0.1, 2.0, 0.3], [3.0, 0.0, 1.0]])
    pred = logits.argmax(dim=1)  # was a numpy array
    assert isinstance(pred, Tensor) and pred.dtype == np.int64 and pred.tolist() == [1, 0]
    assert (pred == Tensor([1, 2]).long()).float().mean().item() == 0.5
    assert "abcdef"[logits.argmax()] == "d" and logits.argmin(dim=0).tolist() == [0, 1, 0]
    with pytest.raises(TypeError, match="one-element integer tensor"):
        ["a"][Tensor(0.0)]


def test_zero_fill_and_copy_in_place_even_over_inf() -> None:
    x = Tensor([np.inf, 1.0])
    assert x.zero_().tolist() == [0.0, 0.0]  # not inf * 0 = nan
    assert x.fill_(2.5).tolist() == [2.5, 2.5] and x.copy_([7.0, 8.0]).tolist() == [7.0, 8.0]
    with pytest.raises(ValueError, match=r"source of shape \(3,\) does not broadcast"):
        x.copy_(np.ones(3))
    assert x._version == 3


def test_in_place_float_result_into_integers_is_refused_as_in_pytorch() -> None:
    from chainrule import arange

    counts = arange(3)
    counts += 1
    assert counts.tolist() == [1, 2, 3]
    with pytest.raises(TypeError, match="float64 result cannot be stored in this int64"):
        counts += 0.5
    assert counts.tolist() == [1, 2, 3]  # was truncated silently


def test_a_view_changed_in_place_counts_as_a_change_of_its_base() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = (x * x).sum()
    with no_grad():
        row = x.detach()[0]  # a view of x's array
        row += 10.0  # changes x too (was unnoticed: backward used the new x)
    assert x.data[0, 0] == 11.0 and x._version == 1
    with pytest.raises(RuntimeError, match="version 1, was 0"):
        loss.backward()
    base = Tensor([1.0, 2.0])
    picked = base[[0, 1]]  # a fancy index copies: a counter of its own
    picked += 1.0
    assert base._version == 0 and picked._version == 1 and base.tolist() == [1.0, 2.0]

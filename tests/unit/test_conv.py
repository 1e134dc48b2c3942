"""Convolution and max-pooling: central differences and PyTorch, both in float64.

One table of cases (shapes, stride, padding) drives both checks. Gradients of
the non-scalar outputs are checked through a random upstream gradient (a
vector-Jacobian product), as in test_tensor_gradcheck.py; the numerical side
is `chainrule.gradcheck`'s, the one numerical differentiator of the project.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import Tensor
from chainrule.conv import (
    Conv2d,
    Flatten,
    MaxPool2d,
    add_windows,
    conv2d,
    conv_output_size,
    max_pool2d,
    windows,
)
from chainrule.gradcheck import compare_array_gradients, numerical_gradient_array

# (name, x shape, weight shape, stride, padding)
CONV_CASES = [
    ("3x3 one channel", (1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
    ("channels and filters", (2, 3, 6, 5), (4, 3, 3, 3), 1, 0),
    ("rectangular kernel", (2, 2, 6, 7), (3, 2, 2, 3), 1, 0),
    ("stride 2", (2, 2, 7, 7), (3, 2, 3, 3), 2, 0),
    ("padding 1", (2, 2, 5, 5), (3, 2, 3, 3), 1, 1),
    ("stride 2 padding 2", (1, 2, 6, 5), (2, 2, 3, 3), 2, 2),
    ("stride larger than kernel", (1, 1, 8, 8), (2, 1, 2, 2), 3, 0),
    ("1x1 kernel", (2, 3, 4, 4), (5, 3, 1, 1), 1, 0),
]
# (name, x shape, window size, stride)
POOL_CASES = [
    ("2x2", (2, 3, 6, 6), 2, None),
    ("odd size drops the edge", (1, 2, 7, 5), 2, None),
    ("overlapping 3x3 stride 1", (2, 2, 5, 6), 3, 1),
    ("3x3 stride 2", (1, 1, 7, 7), 3, 2),
]


def conv_arrays(x_shape, w_shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])


def distinct(shape, seed=0):
    """Well separated values: no ties inside a pooling window, no kink within h."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(int(np.prod(shape)), dtype=float)).reshape(shape) * 0.1


def check_against_differences(program, arrays, seed=1):
    """Backward of `program` equals central differences, through a random upstream."""
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = program(*tensors)
    upstream = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(upstream)
    numeric = numerical_gradient_array(
        lambda *xs: program(*[Tensor(x) for x in xs]), arrays, upstream=upstream
    )
    compare_array_gradients([t.grad for t in tensors], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name, x_shape, w_shape, stride, padding", CONV_CASES,
                         ids=[c[0] for c in CONV_CASES])
def test_conv2d_gradients_match_central_differences(name, x_shape, w_shape, stride, padding):
    arrays = list(conv_arrays(x_shape, w_shape))
    check_against_differences(lambda x, w, b: conv2d(x, w, b, stride, padding), arrays)


@pytest.mark.parametrize("name, x_shape, size, stride", POOL_CASES,
                         ids=[c[0] for c in POOL_CASES])
def test_max_pool2d_gradients_match_central_differences(name, x_shape, size, stride):
    check_against_differences(lambda x: max_pool2d(x, size, stride), [distinct(x_shape)])


def test_conv2d_by_hand():
    """The chapter's tiny example: a 3x3 image, a 2x2 kernel, every number by hand."""
    x = Tensor([[[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]]]], requires_grad=True)
    k = Tensor([[[[1.0, -1.0], [2.0, 0.0]]]], requires_grad=True)
    y = conv2d(x, k)
    assert y.data[0, 0].tolist() == [[-1.0, 4.0], [3.0, 0.0]]
    y.backward(np.ones((1, 1, 2, 2)))
    # dL/dk[a, b] with all-ones upstream: the sum of the pixels k[a, b] touched
    assert k.grad[0, 0].tolist() == [[4.0, 6.0], [4.0, 6.0]]
    # dL/dx[p, q]: the sum of the kernel entries that touched pixel (p, q)
    assert x.grad[0, 0].tolist() == [[1.0, 0.0, -1.0], [3.0, 2.0, -1.0], [2.0, 2.0, 0.0]]


def test_windows_and_add_windows_are_adjoint():
    """<windows(x), c> == <x, add_windows(c)>: add_windows is windows' transpose."""
    rng = np.random.default_rng(3)
    for stride in (1, 2, 3):
        x = rng.normal(size=(2, 3, 7, 8))
        cols = windows(x, 3, 2, stride)
        c = rng.normal(size=cols.shape)
        assert np.isclose(np.sum(cols * c), np.sum(x * add_windows(c, x.shape, stride)))


def test_output_size_formula():
    assert conv_output_size(8, 3) == 6
    assert conv_output_size(8, 3, padding=1) == 8
    assert conv_output_size(8, 3, stride=2, padding=1) == 4
    assert conv_output_size(7, 2, stride=2) == 3
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 3)


def test_float32_stays_float32():
    x = Tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True)
    layer = Conv2d(1, 2, 3, rng=0, dtype=np.float32)
    out = max_pool2d(layer(x), 2)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_layers_and_parameters():
    model_layers = [Conv2d(1, 4, 3, padding=1, rng=0), MaxPool2d(2), Flatten()]
    x = Tensor(np.zeros((5, 1, 8, 8)))
    for layer in model_layers:
        x = layer(x)
    assert x.shape == (5, 4 * 4 * 4)
    conv = model_layers[0]
    assert [p.shape for p in conv.parameters()] == [(4, 1, 3, 3), (4,)]
    assert repr(conv) == "Conv2d(1, 4, kernel_size=3, stride=1, padding=1)"
    # He initialisation: variance 2 / fan_in, fan_in = 1 * 3 * 3
    big = Conv2d(8, 64, 3, rng=1)
    assert abs(big.weight.data.var() * 8 * 9 / 2 - 1) < 0.05


def test_bad_input_names_the_problem():
    x, w = Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="3 channels but weight expects 2"):
        conv2d(x, w)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        conv2d(Tensor(np.zeros((5, 5))), w)
    with pytest.raises(ValueError, match="bias of shape"):
        conv2d(Tensor(np.zeros((1, 2, 5, 5))), w, Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        conv2d(Tensor(np.zeros((1, 2, 5, 5))), w, stride=0)
    with pytest.raises(TypeError, match="weight must be a Tensor"):
        conv2d(x, np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match="max_pool2d needs x of shape"):
        max_pool2d(Tensor(np.zeros((4, 4))))


# ------------------------------------------------------------------ PyTorch, float64
torch_cases = pytest.mark.torch


@torch_cases
@pytest.mark.parametrize("name, x_shape, w_shape, stride, padding", CONV_CASES,
                         ids=[c[0] for c in CONV_CASES])
def test_conv2d_matches_pytorch(name, x_shape, w_shape, stride, padding):
    torch = pytest.importorskip("torch")
    arrays = conv_arrays(x_shape, w_shape, seed=5)
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = conv2d(*ours, stride=stride, padding=padding)
    ref = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.random.default_rng(6).normal(size=out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for t, r in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(t.grad, r.grad.numpy(), rtol=1e-11, atol=1e-12)


@torch_cases
@pytest.mark.parametrize("name, x_shape, size, stride", POOL_CASES,
                         ids=[c[0] for c in POOL_CASES])
def test_max_pool2d_matches_pytorch(name, x_shape, size, stride):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(8).normal(size=x_shape)
    ours = Tensor(x.copy(), requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = max_pool2d(ours, size, stride)
    ref = torch.nn.functional.max_pool2d(theirs, size, stride)
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    upstream = np.random.default_rng(9).normal(size=out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=0)


@torch_cases
def test_max_pool2d_tie_goes_to_the_first_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    max_pool2d(ours, 2).sum().backward()
    torch.nn.functional.max_pool2d(theirs, 2).sum().backward()
    assert ours.grad.tolist() == theirs.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_digits_cnn_shapes_and_size():
    from chainrule.conv import digits_cnn

    model = digits_cnn(rng=0)
    assert model(np.zeros((3, 1, 8, 8))).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 6090
    again = digits_cnn(rng=0)
    assert all(np.array_equal(a.data, b.data)
               for a, b in zip(model.parameters(), again.parameters(), strict=True))


# ------------------------------------------------- leaks and silent dtypes (issue 19)


def test_a_bias_or_input_that_is_not_a_tensor_is_refused_by_name():
    x, w = Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((1, 1, 3, 3)))
    with pytest.raises(TypeError, match="bias must be a Tensor.*ndarray"):
        conv2d(x, w, bias=np.ones(1))
    with pytest.raises(TypeError, match="max_pool2d: x must be a Tensor.*ndarray"):
        max_pool2d(np.ones((1, 1, 4, 4)))


@pytest.mark.parametrize("dtype", [int, np.int32, bool])
def test_conv2d_refuses_an_integer_dtype_like_linear(dtype):
    with pytest.raises(TypeError, match="dtype must be a float type"):
        Conv2d(1, 2, 3, rng=0, dtype=dtype)


@torch_cases
def test_max_pool2d_with_nan_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[[[1.0, np.nan, 0.0, 2.0], [3.0, 0.5, 2.0, 2.0],
                    [np.nan, 1.0, -1.0, -2.0], [4.0, np.nan, -3.0, -1.0]]]])
    ours = Tensor(x, requires_grad=True)
    out = max_pool2d(ours, 2)
    out.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(theirs, 2)
    ref.sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_a_batch_in_any_memory_order_gives_the_same_result():
    """conv2d and max_pool2d keep the batch axis fastest in memory: feeding them
    arrays in the other order (or sliced views) must not change a number."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 7, 6))
    w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    results = []
    for data in (x, np.asfortranarray(x), x.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)):
        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (data, w, b))
        out = max_pool2d(conv2d(xt, wt, bt, padding=1).relu(), 2, 1)
        (out * Tensor(np.arange(out.data.size).reshape(out.shape))).sum().backward()
        results.append([out.data, xt.grad, wt.grad, bt.grad])
    for other in results[1:]:
        for a, b_ in zip(results[0], other, strict=True):
            np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)

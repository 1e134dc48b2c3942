"""2-D convolution and max-pooling on `Tensor`, with their backward rules.

Layout as in PyTorch: images are ``(N, C, H, W)`` (batch, channels, height,
width) and a convolution's weight is ``(F, C, kh, kw)`` (filters, channels,
kernel height, kernel width). Like PyTorch's ``conv2d`` (and every deep
learning library), "convolution" here slides the kernel without flipping it,
which mathematicians call a cross-correlation:

    y[n, f, i, j] = b[f] + sum over c, a, b of x[n, c, s*i + a, s*j + b] * w[f, c, a, b]

with stride s, after zero padding. Both operations are built from one pair of
helpers: `windows` shows every kh x kw window of the input without copying a
pixel (a strided view, the first half of the "im2col" step), and
`add_windows` is its backward: it adds each window's gradient back onto the
pixels it was cut from. With the windows in hand, a convolution is one matrix
product for the whole batch, and its backward is the two matrix products of
the matrix-calculus chapter plus `add_windows`. Arrays keep the dtype they
come in (float32 stays float32).

Nodes are made with `chainrule.tensor._result`, the same constructor every
Tensor operation uses: data, an op name, and one (input, rule) edge per input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from chainrule.nn import Module, _float_dtype
from chainrule.tensor import Tensor, _result, default_rng

__all__ = [
    "Conv2d",
    "digits_cnn",
    "Flatten",
    "MaxPool2d",
    "add_windows",
    "conv2d",
    "conv_output_size",
    "max_pool2d",
    "windows",
]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """How many positions a window of `kernel` takes along an axis of `size`.

    floor((size + 2 * padding - kernel) / stride) + 1, as in PyTorch.
    """
    span = size + 2 * padding - kernel
    if span < 0:
        raise ValueError(
            f"a kernel of {kernel} does not fit in {size} pixels with padding {padding}"
        )
    return span // stride + 1


# --8<-- [start:windows]
def windows(x: np.ndarray, kh: int, kw: int, stride: int = 1) -> np.ndarray:
    """Every kh x kw window of the images `x` (N, C, H, W), as (N, C, kh, kw, OH, OW).

    ``out[n, c, a, b, i, j] = x[n, c, stride*i + a, stride*j + b]``: entry
    (a, b) of the window whose top-left corner is at output position (i, j).
    Nothing is copied: the result is a *view* of `x` with six strides, the
    number of bytes to step along each axis. A step along ``a`` moves one
    row down the image, and so does a step of ``stride`` along ``i``; that
    is why neighbouring windows can share pixels without copies. (Read it,
    never write to it: one pixel appears in several windows.)
    """
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, kh, stride), conv_output_size(w, kw, stride)
    sn, sc, sh, sw = x.strides
    return as_strided(
        x, (n, c, kh, kw, oh, ow), (sn, sc, sh, sw, stride * sh, stride * sw), writeable=False
    )


def add_windows(cols: np.ndarray, shape: tuple[int, ...], stride: int = 1) -> np.ndarray:
    """The backward of `windows`: add each window entry back onto its pixel.

    A pixel that sits in several windows was copied several times, so (as
    with broadcasting) its gradient is the sum of its copies' gradients.
    """
    _, _, kh, kw, oh, ow = cols.shape
    grad = np.zeros_like(cols[:, :, 0, 0], shape=shape)  # laid out in memory as cols is
    for a in range(kh):
        for b in range(kw):
            grad[:, :, a : a + stride * oh : stride, b : b + stride * ow : stride] += cols[
                :, :, a, b
            ]
    return grad
# --8<-- [end:windows]


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return x
    p = padding
    n, c, h, w = x.shape
    padded = np.zeros_like(x, shape=(n, c, h + 2 * p, w + 2 * p))  # x's memory order
    padded[:, :, p:-p, p:-p] = x
    return padded


def _unpad(g: np.ndarray, padding: int) -> np.ndarray:
    if padding == 0:
        return g
    p = padding
    return g[:, :, p:-p, p:-p]


def _check_int(value: Any, name: str, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


# --8<-- [start:conv2d]
def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0
) -> Tensor:
    """Convolve images x (N, C, H, W) with filters weight (F, C, kh, kw): (N, F, OH, OW).

    Forward: view the windows, copy them out once as the columns of a matrix
    cols (C*kh*kw, OH*OW*N), one column per output position of every image,
    and multiply by the filters flattened to rows, w2 (F, C*kh*kw):
    Y = w2 @ cols, one matrix product for the whole batch (the images' columns
    side by side). Backward, with G = dL/dY laid out the same way,
    (F, OH*OW*N): dw2 = G @ cols^T (summing over images and positions),
    dcols = w2^T @ G, and dx is dcols added back onto the pixels
    (`add_windows`), padding cut off. (The chapter writes w2 as K_2, C as D,
    and OH*OW as o_h o_w.)
    """
    stride, padding = _check_int(stride, "stride", 1), _check_int(padding, "padding", 0)
    xd, wd = _conv_operands(x, weight)
    n, c, h, w = xd.shape
    f, _, kh, kw = wd.shape
    padded = _pad(xd, padding)
    view = windows(padded, kh, kw, stride)  # (N, C, kh, kw, OH, OW), no copy yet
    oh, ow = view.shape[-2:]
    # One column per output position of every image, one row per window entry:
    # (C*kh*kw, OH*OW*N), the images varying fastest. This reshape is where
    # the pixels are copied, once.
    cols = view.transpose(1, 2, 3, 4, 5, 0).reshape(c * kh * kw, oh * ow * n)
    w2 = wd.reshape(f, c * kh * kw)
    out = w2 @ cols  # one matrix product for the whole batch: (F, OH*OW*N)
    if bias is not None:
        out += _conv_bias(bias, f)[:, None]  # the same bias at every position
    # Seen as (N, F, OH, OW) without a copy: in memory the batch stays the
    # fastest axis, which keeps numpy's loops long in the layers that follow.
    out = out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)

    def columns(g: np.ndarray) -> np.ndarray:  # G (N, F, OH, OW) as (F, OH*OW*N), like out
        return g.transpose(1, 2, 3, 0).reshape(f, oh * ow * n)

    def grad_x(g: np.ndarray) -> np.ndarray:
        dcols = w2.T @ columns(g)  # (C*kh*kw, OH*OW*N)
        dview = dcols.reshape(c, kh, kw, oh, ow, n).transpose(5, 0, 1, 2, 3, 4)
        return _unpad(add_windows(dview, padded.shape, stride), padding)

    def grad_w(g: np.ndarray) -> np.ndarray:
        return (columns(g) @ cols.T).reshape(wd.shape)  # sums over images and positions

    edges = [(x, grad_x), (weight, grad_w)]
    if bias is not None:
        edges.append((bias, lambda g: g.sum(axis=(0, 2, 3))))
    return _result(out, "conv2d", *edges)
# --8<-- [end:conv2d]


def _conv_bias(bias: Any, filters: int) -> np.ndarray:
    if not isinstance(bias, Tensor):
        raise TypeError(f"conv2d: bias must be a Tensor (as in PyTorch), got {type(bias).__name__}")
    if bias.data.shape != (filters,):
        raise ValueError(f"conv2d: bias of shape {bias.data.shape} for {filters} filters")
    return bias.data


def _conv_operands(x: Tensor, weight: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays, after checking their shapes fit; errors name both shapes."""
    for name, t in (("x", x), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"conv2d: {name} must be a Tensor, got {type(t).__name__}")
    xd, wd = x.data, weight.data
    if xd.ndim != 4 or wd.ndim != 4:
        raise ValueError(
            f"conv2d needs x (N, C, H, W) and weight (F, C, kh, kw), got shapes "
            f"{xd.shape} and {wd.shape}"
        )
    if xd.shape[1] != wd.shape[1]:
        raise ValueError(
            f"conv2d: x has {xd.shape[1]} channels but weight expects {wd.shape[1]} "
            f"(shapes {xd.shape} and {wd.shape})"
        )
    return xd, wd


# --8<-- [start:max_pool2d]
def max_pool2d(x: Tensor, size: int = 2, stride: int | None = None) -> Tensor:
    """The largest value of each size x size window (stride defaults to size).

    Forward and backward loop over the size * size offsets of a window, each
    step a whole plane of the batch (no loop over pixels). Backward: each
    window's gradient goes to the one pixel that won it (the first, on a
    tie, as in PyTorch); the other pixels of the window get 0. A pixel that
    wins several overlapping windows collects each of them.
    """
    size = _check_int(size, "size", 1)
    stride = size if stride is None else _check_int(stride, "stride", 1)
    if not isinstance(x, Tensor):
        raise TypeError(f"max_pool2d: x must be a Tensor (as in PyTorch), got {type(x).__name__}")
    a = x.data
    if a.ndim != 4:
        raise ValueError(f"max_pool2d needs x of shape (N, C, H, W), got {a.shape}")
    view = windows(a, size, size, stride)  # (N, C, size, size, OH, OW), no copy
    offsets = [(i, j) for i in range(size) for j in range(size)]  # reading order
    out = view[:, :, 0, 0].copy(order="K")  # in x's memory order, as every array here
    small = np.int8 if size * size < 128 else np.intp  # a byte moves faster than 8
    winner = np.zeros_like(out, dtype=small)  # which offset won each window
    for k, (i, j) in enumerate(offsets[1:], start=1):  # size * size steps, whole planes
        plane = view[:, :, i, j]
        better = (plane > out) | np.isnan(plane)  # PyTorch's rule: a tie keeps the first
        winner += better * (k - winner)  # arithmetic: much quicker than np.where here
        np.maximum(out, plane, out=out)  # NaN wins, as in PyTorch

    def rule(g: np.ndarray) -> np.ndarray:
        grad = np.zeros_like(a, dtype=g.dtype)
        # windows(grad) has the strides of the windows of grad: write through them
        target = as_strided(grad, view.shape, windows(grad, size, size, stride).strides)
        for k, (i, j) in enumerate(offsets):  # each plane's windows are disjoint
            if stride >= size:  # windows apart: each pixel is written once
                np.multiply(g, winner == k, out=target[:, :, i, j])
            else:  # windows overlap: a pixel may win several of them
                target[:, :, i, j] += g * (winner == k)
        return grad

    return _result(out, "maxpool", (x, rule))
# --8<-- [end:max_pool2d]


# --8<-- [start:Conv2d]
class Conv2d(Module):
    """A convolution layer: `out_channels` filters of in_channels x k x k weights.

    He initialisation, N(0, 2 / fan_in) with fan_in = in_channels * k * k,
    the number of inputs each output adds up (as for `Linear`).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("kernel_size", kernel_size)):
            _check_int(value, f"Conv2d: {name}", 1)
        self.stride = _check_int(stride, "Conv2d: stride", 1)
        self.padding = _check_int(padding, "Conv2d: padding", 0)
        rng = default_rng(rng)
        fan_in = in_channels * kernel_size * kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        dtype = _float_dtype(dtype)  # integer weights would round He's N(0, 2/fan_in) to 0
        self.weight = Tensor(w.astype(dtype), requires_grad=True)
        self.bias = Tensor(np.zeros(out_channels, dtype), requires_grad=True)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)
# --8<-- [end:Conv2d]

    def __repr__(self) -> str:
        f, c, k, _ = self.weight.shape
        return f"Conv2d({c}, {f}, kernel_size={k}, stride={self.stride}, padding={self.padding})"


class MaxPool2d(Module):
    """`max_pool2d` as a layer."""

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        self.size, self.stride = size, stride

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.size, self.stride)

    def __repr__(self) -> str:
        return f"MaxPool2d({self.size}, stride={self.stride or self.size})"


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W): from feature maps to the input of a `Linear`."""

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1)


# --8<-- [start:digits_cnn]
def digits_cnn(rng: np.random.Generator | int | None = None, dtype: Any = np.float64) -> Module:
    """The convolution chapter's network for 8x8 digits, input (N, 1, 8, 8).

    Two 3x3 convolutions (padding 1 keeps the size), each followed by ReLU
    and a 2x2 max-pool: 1 x 8 x 8 -> 16 x 4 x 4 -> 32 x 2 x 2; then a linear
    layer from those 128 numbers to the 10 logits.
    """
    from chainrule.nn import Linear, ReLU, Sequential

    rng = default_rng(rng)
    return Sequential(
        Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
        Flatten(), Linear(32 * 2 * 2, 10, rng=rng, dtype=dtype),
    )
# --8<-- [end:digits_cnn]

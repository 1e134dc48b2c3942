"""Optimizers: turn each parameter's gradient into a step, in place.

They update ``p.data`` in place (the module keeps the same arrays) and keep
their own state (momentum, running averages) per parameter. A parameter whose
``.grad`` is None (not reached by the last backward pass) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from chainrule.tensor import Tensor

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """What every optimizer shares: the parameter list and `zero_grad`."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} needs Tensors, got {type(p).__name__}")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be > 0, got {lr!r}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None before the next backward pass."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    With momentum mu, a velocity v = mu * v + g is kept per parameter and the
    step follows v instead of g (PyTorch's form); weight decay adds
    ``weight_decay * p`` to the gradient (an L2 penalty).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: momentum and weight_decay must be >= 0, got {momentum} and {weight_decay}"
            )
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    # --8<-- [start:sgd_step]
    def step(self) -> None:
        """p <- p - lr * g, with g the gradient (plus decay, through momentum)."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(g, dtype=p.data.dtype)
                else:
                    v *= self.momentum
                    v += g
                g = v
            p.data -= self.lr * g
    # --8<-- [end:sgd_step]


class Adam(Optimizer):
    """Adam: a step of size about lr in every coordinate, whatever its scale.

    It keeps running averages of the gradient (m, the first moment) and of
    its square (s, the second moment; not `v`, which is SGD's velocity),
    corrects their bias towards 0 in the first steps, and steps by
    lr * m_hat / (sqrt(s_hat) + eps). Weight decay is added to the gradient
    (as in PyTorch's ``Adam``, not ``AdamW``).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]

    # --8<-- [start:adam_step]
    def step(self) -> None:
        """One Adam step for every parameter that has a gradient."""
        beta1, beta2 = self.betas
        self.t += 1
        correction1 = 1 - beta1**self.t
        correction2 = 1 - beta2**self.t
        for p, m, s in zip(self.params, self.m, self.s, strict=True):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m *= beta1
            m += (1 - beta1) * g  # running mean of g
            s *= beta2
            s += (1 - beta2) * g * g  # running mean of g^2
            m_hat = m / correction1
            s_hat = s / correction2
            p.data -= self.lr * m_hat / (np.sqrt(s_hat) + self.eps)
    # --8<-- [end:adam_step]

"""Optimizers: turn each parameter's gradient into a step, in place.

They update ``p.data`` in place (the module keeps the same arrays) and keep
their own state (momentum, running averages) per parameter. A parameter whose
``.grad`` is None (not reached by the last backward pass) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from chainrule._checks import real
from chainrule.tensor import Tensor

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]


class Optimizer:
    """What every optimizer shares: the parameter list, `zero_grad`, and the
    checks that make a step all or nothing."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name} needs an iterable of Tensors such as model.parameters()")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} needs Tensors, got {type(p).__name__}")
        self.lr = real(lr, "lr (the learning rate)", name, low=0.0, low_open=True)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None before the next backward pass."""
        for p in self.params:
            p.grad = None

    def _check_gradients(self) -> None:
        """Every gradient has its parameter's shape, checked before anything moves:
        a step that raises changes no parameter and no optimizer state."""
        for i, p in enumerate(self.params):
            if p.grad is not None and np.shape(p.grad) != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i} has shape {p.data.shape} "
                    f"but its .grad has shape {np.shape(p.grad)}"
                )

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
        self.momentum = real(momentum, "momentum", "SGD", low=0.0, high=1.0, high_open=True)
        self.weight_decay = real(weight_decay, "weight_decay", "SGD", low=0.0)
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    # --8<-- [start:sgd_step]
    def step(self) -> None:
        """p <- p - lr * g, with g the gradient (plus decay, through momentum)."""
        self._check_gradients()  # all or nothing: no parameter moves if one is wrong
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
        name = type(self).__name__
        self.betas = _betas(betas, name)
        self.eps = real(eps, "eps", name, low=0.0, low_open=True)
        self.weight_decay = real(weight_decay, "weight_decay", name, low=0.0)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.s = [np.zeros_like(p.data) for p in self.params]

    # --8<-- [start:adam_step]
    def step(self) -> None:
        """One Adam step for every parameter that has a gradient."""
        self._check_gradients()  # all or nothing: t and m, s change only if all fit
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


class AdamW(Adam):
    """Adam with *decoupled* weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``.

    Adam's weight decay is added to the gradient, so it is divided by
    sqrt(s_hat) like the gradient is, and large weights with large gradients
    are barely decayed. AdamW instead shrinks every weight by ``lr *
    weight_decay * p`` directly, then takes the Adam step without decay.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def step(self) -> None:
        """Shrink each weight that has a gradient, then an Adam step without decay."""
        self._check_gradients()
        decay, self.weight_decay = self.weight_decay, 0.0
        try:
            for p in self.params:
                if p.grad is not None:
                    p.data *= 1 - self.lr * decay
            super().step()
        finally:
            self.weight_decay = decay


def _betas(betas: object, owner: str) -> tuple[float, float]:
    """Adam's (beta1, beta2): two numbers, each in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r:.40}")
    beta1, beta2 = betas  # type: ignore[misc]
    pair = (
        real(beta1, "betas[0]", owner, low=0.0, high=1.0, high_open=True),
        real(beta2, "betas[1]", owner, low=0.0, high=1.0, high_open=True),
    )
    return pair

"""Optimizers: turn each parameter's gradient into a step, in place.

As in PyTorch, an optimizer holds its parameters in ``param_groups``: a list
of dicts, each with its ``"params"`` and its own settings (``"lr"``, ...),
so that a learning-rate schedule can change ``group["lr"]`` between steps.
Each optimizer keeps its state (momentum, running averages, step counts) per
parameter, in dicts keyed by the parameter. A parameter whose ``.grad`` is
None (not reached by the last backward pass) is left alone, and its state
too. A step is all or nothing: every gradient is checked before any
parameter moves.

The updates are PyTorch's own idiom, ``p -= lr * g`` under ``no_grad()``:
the parameter's array changes where it is (the model holds the same one)
and its version counts up, so a backward pass through a graph built before
the step refuses to run, as PyTorch's does, instead of using the new values.

`lr_scheduler` holds the learning-rate schedules (``LambdaLR`` and the
`warmup_cosine` factor), as ``torch.optim.lr_scheduler`` does;
`warmup_cosine_lr` is the same schedule as a rate, for a loop that sets
``optimizer.lr`` itself.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from chainrule._checks import real
from chainrule.tensor import Tensor, no_grad

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler", "warmup_cosine_lr"]


class Optimizer:
    """What every optimizer shares: the parameter groups, `zero_grad`, the
    checks that make a step all or nothing, and `state_dict`.

    `params` is an iterable of Tensors (one group) or of dicts, each
    ``{"params": [...], "lr": ...}`` with settings that override `defaults`
    for that group, as in PyTorch.
    """

    def __init__(
        self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]
    ) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name} needs an iterable of Tensors such as model.parameters(), "
                f"got {type(params).__name__}"
            )
        items = list(params)
        if not items:
            raise ValueError(f"{name} got an empty parameter list")
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        if all(isinstance(item, dict) for item in items):
            for group in items:
                self.add_param_group(group)
        else:
            self.add_param_group({"params": items})

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own settings (the rest from `defaults`)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{name}: a parameter group is a dict with 'params', got {group!r:.60}"
            )
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(
                f"{name}: unknown settings {unknown} in a parameter group; "
                f"{name} takes {sorted(self.defaults)}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} needs Tensors, got {type(p).__name__}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) < len(params) or seen & {id(p) for p in params}:
            raise ValueError(
                f"{name}: a parameter appears twice; it would move twice a step "
                "(pass each tensor once, e.g. model.parameters())"
            )
        settings = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self.param_groups.append({"params": params, **self._checked(settings)})

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        """The group's settings, each checked (subclasses check their own)."""
        return {**settings, "lr": self._checked_lr(settings["lr"])}

    def _checked_lr(self, value: Any) -> float:
        return real(value, "lr (the learning rate)", type(self).__name__, low=0.0, low_open=True)

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group after group."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate, when every group has the same one."""
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) > 1:
            raise AttributeError(
                f"{type(self).__name__}: the groups have different learning rates "
                f"{sorted(rates)}; read param_groups[i]['lr']"
            )
        return rates.pop()

    @lr.setter
    def lr(self, value: float) -> None:
        value = self._checked_lr(value)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None before the next backward pass."""
        for p in self.params:
            p.grad = None

    def _check_gradients(self) -> None:
        """Every gradient is a float array of its parameter's shape, checked before
        anything moves: a step that raises changes no parameter and no state."""
        name = type(self).__name__
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
                kind = f"dtype {g.dtype}" if isinstance(g, np.ndarray) else type(g).__name__
                raise TypeError(
                    f"{name}.step: parameter {i}'s .grad must be a float numpy array "
                    f"(as backward() leaves it), got {kind}"
                )
            if g.shape != p.data.shape:
                raise ValueError(
                    f"{name}.step: parameter {i} has shape {p.data.shape} "
                    f"but its .grad has shape {g.shape}"
                )
            if not p.data.flags.writeable:
                raise ValueError(f"{name}.step: parameter {i}'s array is read-only")

    def step(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------ saving
    _STATE: tuple[str, ...] = ()  # names of the per-parameter state dicts

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's layout: ``{"state": {i: {...}},
        "param_groups": [{..., "params": [i, ...]}]}``, parameters by their
        index i across the groups. Arrays are copies."""
        index = {id(p): i for i, p in enumerate(self.params)}
        state: dict[int, dict[str, Any]] = {}
        for key in self._STATE:
            for p, value in getattr(self, key).items():
                state.setdefault(index[id(p)], {})[key] = value if key == "steps" else value.copy()
        groups = [
            {**{k: v for k, v in group.items() if k != "params"},
             "params": [index[id(p)] for p in group["params"]]}
            for group in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore `state_dict` (from the same model's optimizer): all or nothing.

        The groups must hold as many parameters as this optimizer's, and every
        array its parameter's shape; everything is checked before anything is set.
        """
        name = type(self).__name__
        groups, saved = _state_parts(state_dict, name)
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError(
                f"{name}.load_state_dict: the saved groups hold "
                f"{[len(g['params']) for g in groups]} parameters, this optimizer's "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        params = self.params
        new_state: dict[str, dict[Tensor, Any]] = {key: {} for key in self._STATE}
        for i, entries in saved.items():
            if not 0 <= int(i) < len(params) or set(entries) - set(self._STATE):
                raise ValueError(
                    f"{name}.load_state_dict: bad state entry {i!r}: {sorted(entries)}"
                )
            p = params[int(i)]
            for key, value in entries.items():
                if key == "steps":
                    new_state[key][p] = int(value)
                    continue
                array = np.array(value, dtype=p.data.dtype)
                if array.shape != p.data.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key} of parameter {i} has shape "
                        f"{array.shape}, the parameter {p.data.shape}"
                    )
                new_state[key][p] = array
        settings = [self._checked({**self.defaults, **_settings(g, self.defaults, name)})
                    for g in groups]
        for group, setting in zip(self.param_groups, settings, strict=True):  # now set it all
            group.update(setting)
        for key in self._STATE:
            setattr(self, key, new_state[key])


def _state_parts(state_dict: Any, owner: str) -> tuple[list[dict], dict]:
    if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
        raise ValueError(
            f"{owner}.load_state_dict needs a dict with 'state' and 'param_groups' "
            "(what state_dict() returns)"
        )
    return list(state_dict["param_groups"]), dict(state_dict["state"])


def _settings(group: Mapping[str, Any], defaults: dict[str, Any], owner: str) -> dict[str, Any]:
    """A saved group's settings: the optimizer's own, and a schedule's initial_lr."""
    settings = {k: v for k, v in group.items() if k != "params"}
    unknown = sorted(set(settings) - set(defaults) - {"initial_lr"})
    if unknown:
        raise ValueError(f"{owner}.load_state_dict: unknown settings {unknown} in a saved group")
    return settings


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    With momentum mu, a velocity v = mu * v + g is kept per parameter and the
    step follows v instead of g (PyTorch's form); weight decay adds
    ``weight_decay * p`` to the gradient (an L2 penalty). The default
    learning rate is PyTorch's, 0.001.
    """

    _STATE = ("velocity",)

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 0.001,
        momentum: float = 0.0,
        *,  # PyTorch's fourth argument is dampening, which chainrule does not take
        weight_decay: float = 0.0,
    ) -> None:
        self.velocity: dict[Tensor, np.ndarray] = {}
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        return {
            **super()._checked(settings),
            "momentum": real(settings["momentum"], "momentum", "SGD",
                             low=0.0, high=1.0, high_open=True),
            "weight_decay": real(settings["weight_decay"], "weight_decay", "SGD", low=0.0),
        }

    # --8<-- [start:sgd_step]
    @no_grad()  # an update, not part of any graph
    def step(self) -> None:
        """p <- p - lr * g, with g the gradient (plus decay, through momentum)."""
        self._check_gradients()  # all or nothing: no parameter moves if one is wrong
        for group in self.param_groups:
            lr, mu, decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if decay:
                    g = g + decay * p.data
                if mu:
                    v = self.velocity.get(p)
                    if v is None:  # the first step: the velocity starts as g
                        v = self.velocity[p] = np.array(g, dtype=p.data.dtype)
                    else:
                        v *= mu
                        v += g
                    g = v
                p -= lr * g  # in place: the model holds this same array
    # --8<-- [end:sgd_step]


class Adam(Optimizer):
    """Adam: a step of size about lr in every coordinate, whatever its scale.

    It keeps running averages of the gradient (m, the first moment) and of
    its square (s, the second moment; not `v`, which is SGD's velocity),
    corrects their bias towards 0 in the first steps, and steps by
    lr * m_hat / (sqrt(s_hat) + eps). Each parameter counts its own steps
    (`steps`), as in PyTorch: one that had no gradient for a while has
    taken fewer steps, and its bias correction says so. Weight decay is
    added to the gradient (as in PyTorch's ``Adam``, not ``AdamW``).
    """

    _STATE = ("m", "s", "steps")
    _DECOUPLED = False  # weight decay added to the gradient (AdamW: applied to the weight)

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.m: dict[Tensor, np.ndarray] = {}
        self.s: dict[Tensor, np.ndarray] = {}
        self.steps: dict[Tensor, int] = {}
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _checked(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = type(self).__name__
        return {
            **super()._checked(settings),
            "betas": _betas(settings["betas"], name),
            "eps": real(settings["eps"], "eps", name, low=0.0, low_open=True),
            "weight_decay": real(settings["weight_decay"], "weight_decay", name, low=0.0),
        }

    # --8<-- [start:adam_step]
    @no_grad()
    def step(self) -> None:
        """One Adam step for every parameter that has a gradient."""
        self._check_gradients()  # all or nothing: no parameter or state changes if one is wrong
        for group in self.param_groups:
            (beta1, beta2), eps = group["betas"], group["eps"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                decay = group["weight_decay"]
                if decay and self._DECOUPLED:  # AdamW: shrink the weight itself
                    p.data *= 1 - group["lr"] * decay
                elif decay:
                    g = g + decay * p.data
                if p not in self.steps:  # its first gradient: start the averages at 0
                    self.steps[p] = 0
                    self.m[p], self.s[p] = np.zeros_like(p.data), np.zeros_like(p.data)
                self.steps[p] += 1
                t, m, s = self.steps[p], self.m[p], self.s[p]
                m *= beta1
                m += (1 - beta1) * g  # running mean of g
                s *= beta2
                s += (1 - beta2) * g * g  # running mean of g^2
                m_hat = m / (1 - beta1**t)
                s_hat = s / (1 - beta2**t)
                p -= group["lr"] * m_hat / (np.sqrt(s_hat) + eps)
    # --8<-- [end:adam_step]


class AdamW(Adam):
    """Adam with *decoupled* weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``.

    Adam's weight decay is added to the gradient, so it is divided by
    sqrt(s_hat) like the gradient is, and large weights with large gradients
    are barely decayed. AdamW instead shrinks every weight by ``lr *
    weight_decay * p`` directly, then takes the Adam step without decay.
    """

    _DECOUPLED = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


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


# ----------------------------------------------------------------------------- schedules
class LambdaLR:
    """Set each group's learning rate to its initial one times ``lr_lambda(step)``.

    As ``torch.optim.lr_scheduler.LambdaLR``: creating it applies the factor
    for step 0, and each ``scheduler.step()``, called after
    ``optimizer.step()``, moves on one step. The initial rate is kept in each
    group as ``"initial_lr"``; `get_last_lr` gives the rates just set.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"LambdaLR needs an optimizer, got {type(optimizer).__name__}")
        if not callable(lr_lambda):
            raise TypeError(
                f"LambdaLR: lr_lambda must be a function of the step, got {lr_lambda!r:.40}"
            )
        self.optimizer = optimizer
        self.lr_lambda = lr_lambda
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1  # PyTorch's name for the number of steps taken
        self.step()

    def step(self) -> None:
        """Move on one step and set every group's learning rate for it."""
        self.last_epoch += 1
        factor = self.lr_lambda(self.last_epoch)
        factor = real(factor, f"lr_lambda({self.last_epoch})", "LambdaLR", low=0.0)
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * factor
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group, as the last `step` set it."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The step count and base rates (not the function, which is code)."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = list(state["base_lrs"])


# --8<-- [start:warmup_cosine_lr]
def warmup_cosine_lr(step: int, max_lr: float, min_lr: float, warmup: int, total: int) -> float:
    """Warm-up, then cosine decay: the learning rate for step `step` (from 0).

    For the first `warmup` steps it climbs in a straight line to `max_lr`
    (Adam's running averages start empty, so its first steps are noisy: we
    let them be small). Then it falls along half a cosine to `min_lr` at
    step `total`, and stays there: big steps while the loss is high, small
    ones to settle. A run shorter than its warm-up spends all of it
    warming up: the climb is shortened to `total` steps, so the last step
    still reaches `max_lr`.
    """
    warmup = min(warmup, total)
    if step < warmup:
        return max_lr * (step + 1) / warmup
    progress = min((step - warmup) / max(total - warmup, 1), 1.0)  # 0 -> 1
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * progress))
# --8<-- [end:warmup_cosine_lr]


def warmup_cosine(
    warmup_steps: int, total_steps: int, min_factor: float = 0.0
) -> Callable[[int], float]:
    """The factor of the learning rate at each step, for `LambdaLR`: `warmup_cosine_lr`
    from 1 down to `min_factor`, e.g. ``LambdaLR(optimizer, warmup_cosine(100, 3000, 0.1))``.
    """
    warmup = _count(warmup_steps, "warmup_steps")
    total = _count(total_steps, "total_steps")
    low = real(min_factor, "min_factor", "warmup_cosine", low=0.0, high=1.0)

    def factor(step: int) -> float:
        return warmup_cosine_lr(step, 1.0, low, warmup, total)

    return factor


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"warmup_cosine: {name} must be an int >= 0, got {value!r:.40}")
    return value


# ``chainrule.optim.lr_scheduler``, where PyTorch has its schedules.
lr_scheduler = types.ModuleType(
    "chainrule.optim.lr_scheduler", "Learning-rate schedules: LambdaLR and warmup_cosine."
)
lr_scheduler.LambdaLR = LambdaLR  # type: ignore[attr-defined]
lr_scheduler.warmup_cosine = warmup_cosine  # type: ignore[attr-defined]
lr_scheduler.__all__ = ["LambdaLR", "warmup_cosine"]  # type: ignore[attr-defined]
sys.modules[lr_scheduler.__name__] = lr_scheduler

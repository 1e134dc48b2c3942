"""Closures make reference cycles; stored local derivatives do not.

The lecture engine stores each node's backward step as a closure. The
closure refers to the node it belongs to (`out`), and the node refers to
the closure (`out._backward`): a reference cycle. Reference counting can
never free a cycle, so every graph such an engine builds stays in memory
after its last use until Python's *cyclic garbage collector* finds it, and
the collector finds it by walking every object it tracks.

chainrule's `Value` stores plain numbers (the local derivatives) instead of
closures. A node refers to its parents and to floats, nothing refers back,
so the last `del` frees the whole graph at once and the collector has
nothing to find.

This listing measures both: how many unreachable objects `gc.collect()`
finds after a graph is dropped, and how long the collector runs during a
few "training steps" of each engine. The timings vary from machine to
machine; the counts do not.

Run it: ``python listings/part2/closure_cycles.py``.
"""

from __future__ import annotations

import gc
import math
import random
import time
import weakref

from chainrule import Value


class ClosureValue:
    """A lecture-style scalar: each op leaves a closure that refers back to `out`."""

    def __init__(self, data: float, parents: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._parents = parents
        self._backward = lambda: None

    def __add__(self, other: ClosureValue | float) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward  # out -> closure -> out: a cycle
        return out

    def __mul__(self, other: ClosureValue | float) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> ClosureValue:
        out = ClosureValue(math.tanh(self.data), (self,))

        def _backward() -> None:
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative, so only the closures differ from chainrule
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def small_network_loss(make, weights, points):
    """Squared error of a 2-8-1 tanh network on `points`, built from + * tanh only."""
    hidden_w, output_w = weights
    loss = make(0.0)
    for (x, y), target in points:
        hidden = [(w[0] * x + w[1] * y + w[2]).tanh() for w in hidden_w]
        out = output_w[-1]
        for w, h in zip(output_w[:-1], hidden, strict=True):
            out = out + w * h
        error = out + (-target)
        loss = loss + error * error
    return loss


def make_weights(make, rng):
    hidden = [[make(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(8)]
    output = [make(rng.uniform(-1, 1)) for _ in range(9)]
    return hidden, output


def unreachable_after_drop(make) -> int:
    """Build one graph, drop it, and count what only the cyclic collector could free."""
    rng = random.Random(0)
    points = [((rng.uniform(-1, 1), rng.uniform(-1, 1)), 1.0) for _ in range(20)]
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # so that nothing is collected behind our back while we build
    try:
        loss = small_network_loss(make, make_weights(make, rng), points)
        loss.backward()
        del loss
        return gc.collect()  # the number of unreachable objects it found
    finally:
        if was_enabled:
            gc.enable()


def time_in_collector(make, steps: int = 5, n_points: int = 100) -> tuple[float, float]:
    """Seconds spent in the collector, and in total, over a few training steps."""
    rng = random.Random(0)
    points = [((rng.uniform(-1, 1), rng.uniform(-1, 1)), 1.0) for _ in range(n_points)]
    weights = make_weights(make, rng)
    params = [w for row in weights[0] for w in row] + weights[1]
    in_gc, started = 0.0, [0.0]

    def on_gc(phase: str, info: dict) -> None:
        nonlocal in_gc
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            in_gc += time.perf_counter() - started[0]

    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        begin = time.perf_counter()
        for _ in range(steps):
            for p in params:
                p.grad = 0.0
            loss = small_network_loss(make, weights, points)
            loss.backward()
            for p in params:
                p.data -= 0.01 * p.grad
        total = time.perf_counter() - begin
    finally:
        gc.callbacks.remove(on_gc)
    return in_gc, total


if __name__ == "__main__":
    cyclic = unreachable_after_drop(ClosureValue)
    acyclic = unreachable_after_drop(Value)
    print(f"unreachable objects found after dropping one graph: "
          f"closures {cyclic}, chainrule {acyclic}")
    assert cyclic > 1000, "every node, its closure and the closure's cells"
    assert acyclic == 0, "reference counting already freed everything"

    # A closure node is still alive after `del` until the collector runs:
    gc.disable()
    try:
        x = ClosureValue(1.0)
        y = (x * 2.0).tanh()
        watcher = weakref.ref(y)
        del y
        assert watcher() is not None, "kept alive by its own cycle"
        gc.collect()
        assert watcher() is None, "only the collector could free it"
    finally:
        gc.enable()

    for make, name in ((ClosureValue, "closures"), (Value, "chainrule")):
        in_gc, total = time_in_collector(make)
        print(f"{name:9}: 5 steps took {total:.3f} s, of which {in_gc:.3f} s in the collector")

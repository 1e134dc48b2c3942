"""A deliberately wrong loss: the textbook softmax, built from Tensor operations.

With logits around 1000, exp overflows to infinity, softmax becomes
inf / inf = nan, and the nan reaches the loss and every gradient. The stable,
fused `cross_entropy` gets a finite loss and the p - y gradient from the same
logits. This program asserts both.
"""

import numpy as np

from chainrule import Tensor
from chainrule.functional import cross_entropy

logits = np.array([[1000.0, 999.0, 990.0], [-1000.0, -990.0, -995.0]])
labels = np.array([0, 1])
rows = np.arange(len(labels))


def naive_cross_entropy(z: Tensor, labels: np.ndarray) -> Tensor:
    """-log(softmax(z)[right class]), averaged: the formula as printed in books."""
    e = z.exp()
    p = e / e.sum(axis=1, keepdims=True)
    return -p[rows, labels].log().mean()


z = Tensor(logits, requires_grad=True)
with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # numpy warns; we look
    loss = naive_cross_entropy(z, labels)
    loss.backward()
assert np.isnan(loss.item()), loss
assert np.all(np.isnan(z.grad)), z.grad  # every gradient is ruined, not just one
print("naive: loss", loss.item(), "- gradients all nan:", np.all(np.isnan(z.grad)))

z = Tensor(logits, requires_grad=True)
loss = cross_entropy(z, labels)
loss.backward()
assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))

shifted = logits - logits.max(axis=1, keepdims=True)  # the stable softmax, by hand
p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
assert np.allclose(z.grad, (p - np.eye(3)[labels]) / len(labels))  # p - y, per example / n
print(f"stable: loss {loss.item():.6f}, gradient finite and equal to (p - y) / n")

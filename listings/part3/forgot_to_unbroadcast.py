"""A deliberately wrong engine: the real `Tensor` with `unbroadcast` switched off.

Without the sum back to shape, the gradient of a broadcast bias has the
batch's shape. Nothing fails at backward time; the bias is silently ruined by
the next update. This program asserts that it goes wrong, then puts the real
`unbroadcast` back and shows the right result.
"""

import numpy as np

import chainrule.tensor
from chainrule import Tensor

X = np.arange(12.0).reshape(4, 3)  # a batch: 4 examples, 3 features
C = np.ones((4, 3))  # so that dL/dY = C


def bias_gradient() -> np.ndarray:
    b = Tensor([100.0, 200.0, 300.0], requires_grad=True)
    L = ((Tensor(X) + b) * C).sum()
    L.backward()
    return b.grad


real_unbroadcast = chainrule.tensor.unbroadcast

# The mistake: hand every input the upstream gradient as it is.
chainrule.tensor.unbroadcast = lambda grad, shape: grad
try:
    wrong = bias_gradient()
finally:
    chainrule.tensor.unbroadcast = real_unbroadcast

assert wrong.shape == (4, 3), wrong.shape  # one "gradient" per example, not per bias

# Backward did not complain. The update does the damage, silently:
b = np.array([100.0, 200.0, 300.0])
b = b - 0.1 * wrong
assert b.shape == (4, 3)  # three biases became twelve

# An in-place update would at least have failed loudly:
b = np.array([100.0, 200.0, 300.0])
try:
    b -= 0.1 * wrong
except ValueError as error:
    print("in-place update:", error)
else:
    raise AssertionError("expected numpy to refuse the in-place update")

# With the real unbroadcast the gradient is summed over the batch.
right = bias_gradient()
assert right.shape == (3,)
assert np.array_equal(right, [4.0, 4.0, 4.0])
print("wrong gradient shape:", wrong.shape, "- right gradient:", right)

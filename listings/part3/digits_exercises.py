"""Solutions to the exercises of the notebook chapter "Training on handwritten digits".

The notebook shows each section below, between its ``--8<--`` markers, in a
collapsible "Solution" block; `training_notebook.py` copies them in and checks
that the notebook holds them unchanged. Running this file runs every solution.
Each one is self-contained, as a reader would paste it into a fresh cell,
which is why the imports repeat (and why ruff's E402 and F811 are off here).
"""
# ruff: noqa: E402, F811

# --8<-- [start:hidden_layer]
import numpy as np

from chainrule import nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.tensor import no_grad

X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_fraction=0.2, seed=0
)


def train(model, lr=0.1, epochs=20):
    """SGD with momentum, as in the chapter; the last epoch's mean loss."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = np.random.default_rng(0)
    for _ in range(epochs):
        losses = []
        for xb, yb in batches(X_train, y_train, batch_size=64, seed=order):
            loss = cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def accuracy(model, X, y):
    with no_grad():
        return float((model(X).data.argmax(axis=1) == y).mean())


linear, mlp = nn.MLP(64, [10], rng=0), nn.MLP(64, [128, 10], rng=0)
linear_loss, mlp_loss = train(linear), train(mlp)
for name, model, loss in [("linear", linear, linear_loss),
                          ("MLP", mlp, mlp_loss)]:
    test_accuracy = accuracy(model, X_test, y_test)
    print(f"{name}: training loss {loss:.3f}, test accuracy {test_accuracy:.3f}")
assert accuracy(linear, X_test, y_test) > 0.93
assert accuracy(mlp, X_test, y_test) > 0.95
assert mlp_loss < linear_loss / 3  # the hidden layer fits the training set better
# --8<-- [end:hidden_layer]

# --8<-- [start:learning_rate]
import numpy as np

from chainrule import nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.tensor import no_grad

X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_fraction=0.2, seed=0
)

for lr in (0.1, 2.0):
    model = nn.MLP(64, [128, 10], rng=0)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = np.random.default_rng(0)
    epoch_losses = []
    for _ in range(5):
        losses = []
        for xb, yb in batches(X_train, y_train, batch_size=64, seed=order):
            loss = cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        epoch_losses.append(np.mean(losses))
    with no_grad():
        test_accuracy = (model(X_test).data.argmax(axis=1) == y_test).mean()
        hidden = model[0](X_test).relu().data  # 128 hidden units per image
    dead = (hidden.max(axis=0) == 0).mean()  # units at 0 for every image
    print(f"lr {lr}: loss per epoch {np.round(epoch_losses, 3)}, "
          f"test accuracy {test_accuracy:.3f}, dead units {dead:.0%}")

# With lr = 2.0 the loss gets stuck near log(10) = 2.30, the loss of a
# uniform guess: the huge first steps left (nearly) every hidden ReLU at 0
# for every image, so the network gives every image the same logits.
assert epoch_losses[-1] > 2.0 and test_accuracy < 0.3 and dead > 0.9
# --8<-- [end:learning_rate]

# --8<-- [start:confidence]
import numpy as np

from chainrule import nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy, softmax
from chainrule.tensor import no_grad

X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_fraction=0.2, seed=0
)
model = nn.MLP(64, [128, 10], rng=0)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
order = np.random.default_rng(0)
for _ in range(20):
    for xb, yb in batches(X_train, y_train, batch_size=64, seed=order):
        loss = cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with no_grad():
    p = softmax(model(X_test)).data
confidence = p.max(axis=1)  # the probability of the digit the model chose
right = p.argmax(axis=1) == y_test
print(f"mean confidence when right: {confidence[right].mean():.3f}")
print(f"mean confidence when wrong: {confidence[~right].mean():.3f}")
assert confidence[~right].mean() < confidence[right].mean()
# --8<-- [end:confidence]

# --8<-- [start:float32]
import numpy as np

from chainrule import nn, optim
from chainrule.data import batches, load_digits, train_test_split
from chainrule.functional import cross_entropy
from chainrule.tensor import no_grad

X, y = load_digits()
X = (X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_fraction=0.2, seed=0
)
model = nn.MLP(64, [128, 10], rng=0, dtype=np.float32)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
order = np.random.default_rng(0)
for _ in range(20):
    for xb, yb in batches(X_train, y_train, batch_size=64, seed=order):
        loss = cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

assert loss.dtype == np.float32
for p in model.parameters():
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
with no_grad():
    test_accuracy = (model(X_test).data.argmax(axis=1) == y_test).mean()
print(f"float32: test accuracy {test_accuracy:.3f}")
assert test_accuracy >= 0.95
# --8<-- [end:float32]

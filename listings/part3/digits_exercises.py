"""Solutions to the exercises of the notebook chapter "Training on handwritten digits".

The notebook shows each section below, between its ``--8<--`` markers, in a
collapsible "Solution" block; `training_notebook.py` copies them in and checks
that the notebook holds them unchanged. Running this file runs every solution.
Each one is self-contained, as a reader would paste it into a fresh cell,
which is why the imports repeat (and why ruff's E402 and F811 are off here).
Every solution trains with `chainrule.train.fit`, the loop the chapter shows,
and compares models on the validation set: the test set is for the end.
"""
# ruff: noqa: E402, F811

# --8<-- [start:hidden_layer]
from chainrule import nn, optim
from chainrule.train import digits_split, evaluate, fit

data = digits_split()
results = {}
for name, sizes in [("linear", [10]), ("64-128-10", [128, 10])]:
    model = nn.MLP(64, sizes, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, optimizer, data.X_train, data.y_train, epochs=20)
    val_accuracy = evaluate(model, data.X_val, data.y_val)[1]
    results[name] = (history.train_loss[-1], val_accuracy)
    print(f"{name:>9}: training loss {history.train_loss[-1]:.3f}, "
          f"validation accuracy {val_accuracy:.3f}")

(linear_loss, linear_accuracy), (mlp_loss, mlp_accuracy) = results.values()
assert linear_accuracy > 0.9 and mlp_accuracy > linear_accuracy
assert mlp_loss < linear_loss / 3  # the hidden layer fits the training set far better
# --8<-- [end:hidden_layer]

# --8<-- [start:confidence]
from chainrule import nn, optim
from chainrule.functional import softmax
from chainrule.tensor import no_grad
from chainrule.train import digits_split, fit

data = digits_split()
model = nn.MLP(64, [128, 10], rng=0)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
fit(model, optimizer, data.X_train, data.y_train, epochs=20)

with no_grad():
    p = softmax(model(data.X_val)).data
confidence = p.max(axis=1)  # the probability of the digit the model chose
right = p.argmax(axis=1) == data.y_val
print(f"mean confidence when right: {confidence[right].mean():.3f} "
      f"({right.sum()} images)")
print(f"mean confidence when wrong: {confidence[~right].mean():.3f} "
      f"({(~right).sum()} images)")
assert confidence[~right].mean() < confidence[right].mean()
# --8<-- [end:confidence]

# --8<-- [start:learning_rate]
import numpy as np

from chainrule import nn, optim
from chainrule.tensor import no_grad
from chainrule.train import digits_split, evaluate, fit

data = digits_split()
for lr in (0.1, 2.0):
    model = nn.MLP(64, [128, 10], rng=0)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = fit(model, optimizer, data.X_train, data.y_train, epochs=5)
    val_accuracy = evaluate(model, data.X_val, data.y_val)[1]
    with no_grad():
        hidden = model[0](data.X_val).relu().data  # 128 hidden units per image
    dead = (hidden.max(axis=0) == 0).mean()  # units at 0 for every image
    print(f"lr {lr}: loss per epoch {np.round(history.train_loss, 3)}, "
          f"validation accuracy {val_accuracy:.3f}, dead units {dead:.0%}")

# With lr = 2.0 the loss gets stuck near log(10) = 2.30, the loss of a
# uniform guess: the huge first steps left (nearly) every hidden ReLU at 0
# for every image, so the network gives almost the same logits to every image.
assert history.train_loss[-1] > 2.0 and val_accuracy < 0.3 and dead > 0.9
# --8<-- [end:learning_rate]

# --8<-- [start:float32]
import numpy as np

from chainrule import nn, optim
from chainrule.train import digits_split, evaluate, fit

results = {}
for dtype in (np.float64, np.float32):
    data = digits_split(dtype=dtype)
    model = nn.MLP(64, [128, 10], rng=0, dtype=dtype)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, optimizer, data.X_train, data.y_train, epochs=20)
    for p in model.parameters():
        assert p.data.dtype == dtype and p.grad.dtype == dtype
    results[dtype.__name__] = evaluate(model, data.X_val, data.y_val)[1]
    print(f"{dtype.__name__}: {history.seconds:.2f} s, "
          f"validation accuracy {results[dtype.__name__]:.3f}")

# The same weights, rounded differently: the accuracies agree to an image or two.
assert abs(results["float32"] - results["float64"]) <= 2 / len(data.y_val)
# --8<-- [end:float32]

# --8<-- [start:seeds]
import numpy as np

from chainrule import nn, optim
from chainrule.tensor import no_grad
from chainrule.train import digits_split, fit

data = digits_split()
n = len(data.y_val)
wrong = []  # per run: which validation images it misreads
for seed in range(5):  # a different start and different batches each time
    model = nn.MLP(64, [128, 10], rng=seed)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fit(model, optimizer, data.X_train, data.y_train, epochs=15, seed=seed)
    with no_grad():
        wrong.append(model(data.X_val).data.argmax(axis=1) != data.y_val)
wrong = np.array(wrong)

accuracies = 1 - wrong.mean(axis=1)
q = accuracies.mean()
standard_error = np.sqrt(q * (1 - q) / n)  # binomial: which n images we drew
spread = accuracies.std(ddof=1)  # across the five runs, on the same images
print("validation accuracies:", np.round(accuracies, 3))
print(f"spread across seeds {spread:.2%}; binomial standard error {standard_error:.2%}; "
      f"one image {1 / n:.2%}")
print(f"images misread by every run: {wrong.all(axis=0).sum()}, "
      f"by some runs only: {(wrong.any(axis=0) & ~wrong.all(axis=0)).sum()}")
assert spread < standard_error  # the runs share most of their mistakes
assert wrong.all(axis=0).sum() > 0
# --8<-- [end:seeds]

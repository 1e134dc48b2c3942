"""The source of the notebook chapter docs/part3/training-on-digits.ipynb.

The notebook is written by this program, not by hand, so that its cells stay
plain text under review and its exercise solutions are the tested code of
`digits_exercises.py` (shown in collapsible blocks). The notebook is stored
without outputs: the site executes it at build time.

    python listings/part3/training_notebook.py           # check the notebook is current
    python listings/part3/training_notebook.py --write   # (re)write it

Run without arguments (as the listings test does), it fails if the notebook
on disk differs from what this program would write, naming the first cell
that differs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parents[1] / "docs" / "part3" / "training-on-digits.ipynb"
EXERCISES = HERE / "digits_exercises.py"

CELLS: list[tuple[str, str]] = []


def md(text: str) -> None:
    CELLS.append(("markdown", text.strip("\n")))


def code(text: str) -> None:
    CELLS.append(("code", text.strip("\n")))


def section(name: str) -> str:
    """The code between ``# --8<-- [start:name]`` and ``[end:name]`` of the exercises."""
    source = EXERCISES.read_text(encoding="utf-8")
    found = re.search(
        rf"^# --8<-- \[start:{name}\]\n(.*?)^# --8<-- \[end:{name}\]\n", source, re.S | re.M
    )
    if found is None:
        raise SystemExit(f"{EXERCISES.name}: no section {name!r}")
    return found.group(1).strip("\n")


def exercise(number: int, title: str, question: str, answer: str, name: str) -> None:
    """An exercise, and its solution in a collapsible <details> block."""
    md(
        f"**{number}. {title}** {question.strip()}\n\n"
        "<details class=\"success\">\n<summary>Solution</summary>\n\n"
        f"{answer.strip()}\n\n```python\n{section(name)}\n```\n\n</details>"
    )


# ------------------------------------------------------------------ the chapter
md("""
# Training on handwritten digits

Everything is in place: tensors whose gradients respect broadcasting, layers
whose backward pass is a few matrix products, and a loss that stays finite
whatever the logits. In this chapter we put them together and train a network
to read handwritten digits.

This chapter is a Jupyter notebook. The page you are reading is the notebook
as it ran when the site was built, so every number and picture below comes
from the code above it. [Download the notebook](training-on-digits.ipynb)
and run it yourself: it needs nothing but `chainrule`, and the whole notebook
runs in a few seconds.
""")

md("""
## The data

`chainrule.data.load_digits()` returns 1,797 small images of handwritten
digits, the test set of the UCI *Optical Recognition of Handwritten Digits*
data set (E. Alpaydin and C. Kaynak, 1998, licensed CC BY 4.0). It ships
inside the package, so nothing is downloaded. Each image is 8 by 8 pixels,
stored as one row of 64 numbers from 0 (blank) to 16 (full ink), read row by
row; the labels are the digits 0 to 9.
""")

code("""
import numpy as np
from chainrule.data import load_digits

X, y = load_digits()
print("images:", X.shape, X.dtype, "  labels:", y.shape, y.dtype)
print("pixel values from", X.min(), "to", X.max())
print("images of each digit 0-9:", np.bincount(y))
assert X.shape == (1797, 64) and y.shape == (1797,)
""")

md("""
Sixty-four numbers are hard to read, so let's draw the first thirty images
with `chainrule.plot.image_grid`, with their labels underneath:
""")

code("""
from chainrule.plot import image_grid

labels = [str(digit) for digit in y[:30]]
image_grid(X[:30], ncols=10, labels=labels, cmap="gray_r", vmin=0, vmax=16)
""")

md("""
## A training set and a test set

A network can learn its training images by heart, so its accuracy on them
says little about how well it reads digits it has never seen. We hold out a
fifth of the images as a **test set**: the network never trains on them, and
we only use them to measure. `train_test_split` shuffles the rows with a
seed, so the split is the same every time.

We also divide the pixels by 16 so that they run from 0 to 1. The network
could cope with 0 to 16, but inputs of about the size of 1 suit the
initialisation of the weights, as the next chapter explains.
""")

code("""
from chainrule.data import train_test_split

X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_fraction=0.2, seed=0
)
print(len(X_train), "training images,", len(X_test), "test images")
assert len(X_test) == round(len(X) / 5)
assert len(X_train) + len(X_test) == len(X)
""")

md("""
## The model

A multi-layer perceptron: 64 inputs (one per pixel), a hidden layer of 128
units with ReLU, and 10 outputs, one logit per digit. In `chainrule` that is
`nn.MLP(64, [128, 10])`: a `Linear` layer, a `ReLU`, and another `Linear`
layer, whose outputs go straight into `cross_entropy`. The seed `rng=0` makes
the random starting weights the same on every run.
""")

code("""
from chainrule import nn

model = nn.MLP(64, [128, 10], rng=0)
n_parameters = sum(p.size for p in model.parameters())
print(model)
print(n_parameters, "parameters")
assert n_parameters == (64 * 128 + 128) + (128 * 10 + 10)
""")

md("""
## One step of training

A training step is the same five moves as in Part II, with tensors:
run the model on a batch (the forward pass), compute the loss, clear the old
gradients, backpropagate, and let the optimizer move every parameter against
its gradient. We use stochastic gradient descent with momentum (the next
chapter takes optimizers apart). One step on a batch of 64 images, and the
loss on that batch goes down:
""")

code("""
from chainrule import optim
from chainrule.functional import cross_entropy

optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
xb, yb = X_train[:64], y_train[:64]

loss = cross_entropy(model(xb), yb)  # forward pass and loss
optimizer.zero_grad()  # forget the previous step's gradients
loss.backward()  # backpropagation: fills p.grad for every parameter
optimizer.step()  # p <- p - lr * (velocity built from p.grad)

loss_after = cross_entropy(model(xb), yb).item()
print(f"loss on the batch: {loss.item():.4f} before the step,",
      f"{loss_after:.4f} after")
assert loss_after < loss.item()
assert abs(loss.item() - np.log(10)) < 0.5  # untrained: about log 10
""")

md("""
Before training, the loss is not far from $\\log 10 \\approx 2.30$: an
untrained network spreads its belief over the ten digits roughly evenly, and
the cross-entropy of a perfectly uniform guess is exactly $\\log 10$.

## Training

Now the real thing. An **epoch** is one pass over all the training images,
in batches of 64, shuffled anew each epoch. After each epoch we record the
mean training loss, the loss on the test set, and the accuracy on both sets:
the fraction of images whose largest logit is at the right digit. Measuring
needs no gradients, so we do it inside `no_grad()`, which records no graph.

We start again from fresh weights so that the run is exactly reproducible.
""")

code("""
import time

from chainrule.data import batches
from chainrule.tensor import no_grad


def evaluate(model, X, y):
    \"\"\"The loss and the accuracy of `model` on images X, labels y.\"\"\"
    with no_grad():
        logits = model(X)
        right = logits.data.argmax(axis=1) == y
        return cross_entropy(logits, y).item(), float(right.mean())


model = nn.MLP(64, [128, 10], rng=0)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
order = np.random.default_rng(0)  # a new shuffle each epoch, same every run
epochs = 20
history = {"train loss": [], "test loss": [],
           "train accuracy": [], "test accuracy": []}

start = time.perf_counter()
for epoch in range(epochs):
    losses = []
    for xb, yb in batches(X_train, y_train, batch_size=64, seed=order):
        loss = cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    history["train loss"].append(float(np.mean(losses)))
    test_loss, test_accuracy = evaluate(model, X_test, y_test)
    history["test loss"].append(test_loss)
    history["test accuracy"].append(test_accuracy)
    history["train accuracy"].append(evaluate(model, X_train, y_train)[1])
seconds = time.perf_counter() - start

print(f"{epochs} epochs in {seconds:.2f} s")
print("epoch  train loss  test loss  train acc  test acc")
for epoch in (0, 1, 4, 9, 14, 19):
    row = [history[key][epoch] for key in history]
    print(f"{epoch + 1:>5}  {row[0]:>10.4f}  {row[1]:>9.4f}",
          f" {row[2]:>9.3f}  {row[3]:>8.3f}")
""")

md("""
The time it took is printed above: numpy does the arithmetic, and the
engine's bookkeeping is a handful of graph nodes per step, not one per
number. (The [performance page](../../performance/)
compares the speed with plain numpy and with PyTorch.)

## Loss and accuracy curves

The numbers are easier to read as pictures. First the loss, on a log scale:
""")

code("""
from chainrule.plot import Figure

epoch_numbers = range(1, epochs + 1)
fig = Figure(title="Loss", xlabel="epoch", ylabel="cross-entropy",
             yscale="log", height=360)
fig.line(epoch_numbers, history["train loss"],
         label="training set (mean over the epoch)")
fig.line(epoch_numbers, history["test loss"],
         label="test set (end of the epoch)")
fig
""")

md("""
The training loss keeps falling, epoch after epoch: the network fits its
training images better and better. The test loss falls quickly at first, then
levels off. The gap between the two curves is the part of what the network
learned that is specific to its training images and does not carry over to
new ones.

Accuracy tells the same story in the units we care about:
""")

code("""
fig = Figure(title="Accuracy", xlabel="epoch",
             ylabel="fraction classified correctly",
             ylim=(0.85, 1.0), height=360)
fig.line(epoch_numbers, history["train accuracy"], label="training set")
fig.line(epoch_numbers, history["test accuracy"], label="test set")
fig.hline(0.95, label="95%")
fig
""")

md("""
The test accuracy is the number to report, since those images played no part
in training:
""")

code("""
final = history["test accuracy"][-1]
print(f"accuracy on the {len(X_test)} held-out test images: {final:.1%}")
assert final >= 0.95
""")

md("""
## What the network gets wrong

Accuracy is a single number; the mistakes themselves are more instructive.
Here is every test image the network misclassifies, captioned with the right
digit and the network's answer:
""")

code("""
with no_grad():
    predictions = model(X_test).data.argmax(axis=1)
wrong = np.flatnonzero(predictions != y_test)
print(len(wrong), "of", len(X_test), "test images are misclassified")

image_grid(
    X_test[wrong],
    ncols=10,
    labels=[f"{y_test[i]} as {predictions[i]}" for i in wrong],
    cmap="gray_r",
    vmin=0,
    vmax=1,
)
""")

md("""
Several of these would make a person hesitate too. Eight by eight pixels
is not much to go on: a stroke that is slanted, broken or cut off changes a
large share of an image's pixels.

Which digits get confused with which? A **confusion matrix** counts, for each
true digit (a row), how often the network answered each digit (a column).
Correct answers sit on the diagonal:
""")

code("""
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, predictions), 1)

print("true \\\\ predicted", "".join(f"{d:>4}" for d in range(10)))
for digit in range(10):
    counts = "".join(f"{n:>4}" for n in confusion[digit])
    print(f"{digit:>16} {counts}")
assert confusion.trace() == (predictions == y_test).sum()
""")

md("""
## Keeping the weights

A trained model is only useful if we can keep it. `save` writes every
parameter into a numpy `.npz` file of plain arrays, and `load` reads them
back (refusing any file that holds pickled Python objects, which could run
code when loaded). A fresh model with the loaded weights makes exactly the
same predictions:
""")

code("""
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "digits-mlp.npz"
    model.save(path)
    copy = nn.MLP(64, [128, 10], rng=1)  # different random weights...
    copy.load(path)  # ...replaced by the trained ones
    with no_grad():
        assert np.array_equal(copy(X_test).data, model(X_test).data)
print("saved, loaded, and identical")
""")

md("""
## Key points

- Training is the loop we wrote in Part II, with tensors: forward pass, loss,
  `zero_grad`, `backward`, `step`, over shuffled mini-batches, epoch after
  epoch.
- Hold out a test set and report accuracy on it; the training loss alone
  measures how well the network memorises.
- A 64-128-10 network trained for a few seconds reads over 95% of unseen
  digits correctly, and looking at its mistakes shows where the task is
  genuinely hard.

Next, we look at *how* the optimizer moves the weights, and where they should
start: [optimizers and initialization](../optimizers-and-initialization/).

## Exercises

Each solution is a complete program: paste it into a new cell (or a file) and
run it.
""")

exercise(
    1,
    "Does the hidden layer matter?",
    "Train `nn.MLP(64, [10])`, which is a single `Linear` layer (a linear "
    "classifier), exactly as above, and compare its training loss and test "
    "accuracy with the 64-128-10 network's.",
    "A linear classifier does surprisingly well on these small images, and its "
    "test accuracy is close to the MLP's. The difference shows in the training "
    "loss: the hidden layer lets the network fit its training set several times "
    "better.",
    "hidden_layer",
)
exercise(
    2,
    "A learning rate too large.",
    "Train for five epochs with `lr=2.0` instead of `0.1`. What happens to the "
    "loss, and why? (Hint: look at the hidden units' outputs.)",
    "The loss gets stuck near $\\log 10 \\approx 2.30$, the loss of a uniform "
    "guess, and the accuracy is close to chance. The first huge steps pushed the "
    "hidden layer's weights so far that nearly every ReLU outputs 0 for every "
    "image. A ReLU that is 0 has gradient 0, so nothing can bring it back: the "
    "network gives the same logits to every image.",
    "learning_rate",
)
exercise(
    3,
    "How sure is it when it is wrong?",
    "The probability the trained network gives to its chosen digit is "
    "`softmax(logits).max()`. Compare its average over the test images the "
    "network gets right with its average over those it gets wrong.",
    "It is noticeably less confident about its mistakes, which is useful: a low "
    "top probability is a hint that an answer deserves a second look.",
    "confidence",
)
exercise(
    4,
    "Train in float32.",
    "Train the same network in single precision: data as `float32` and "
    "`nn.MLP(..., dtype=np.float32)`. Check that the loss and every gradient stay "
    "`float32`, and compare the test accuracy.",
    "`chainrule` keeps `float32` arrays in `float32` through every operation, "
    "so the whole computation runs in single precision, and the accuracy is "
    "just as good. Single precision halves the memory and is usually faster, "
    "which is why networks are trained in it; we used `float64` in this part of "
    "the book because gradient checks need the precision.",
    "float32",
)


# ------------------------------------------------------------------ writing and checking
def build() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, (kind, text) in enumerate(CELLS):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(text)
        cell.id = f"cell-{number:02d}"  # stable ids: the file changes only when the text does
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def main(argv: list[str]) -> int:
    text = nbformat.writes(build()) + "\n"
    if "--write" in argv:
        NOTEBOOK.write_text(text, encoding="utf-8")
        print(f"wrote {NOTEBOOK} ({len(CELLS)} cells)")
        return 0
    if not NOTEBOOK.is_file():
        print(f"{NOTEBOOK} is missing: run {Path(__file__).name} --write", file=sys.stderr)
        return 1
    on_disk = nbformat.read(NOTEBOOK, as_version=4)
    for number, (kind, source) in enumerate(CELLS):
        if number >= len(on_disk.cells):
            print(f"the notebook lacks cell {number}", file=sys.stderr)
            return 1
        cell = on_disk.cells[number]
        if cell.cell_type != kind or cell.source != source:
            print(f"cell {number} differs from {Path(__file__).name}: run it with --write",
                  file=sys.stderr)
            return 1
        if kind == "code" and (cell.outputs or cell.execution_count is not None):
            print(f"cell {number} holds outputs: the site executes the notebook itself",
                  file=sys.stderr)
            return 1
    if len(on_disk.cells) != len(CELLS):
        print(f"the notebook has {len(on_disk.cells)} cells, expected {len(CELLS)}",
              file=sys.stderr)
        return 1
    print(f"{NOTEBOOK.name} is current ({len(CELLS)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

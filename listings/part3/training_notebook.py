"""The source of the notebook chapter docs/part3/training-on-digits.ipynb.

The notebook is written by this program, not by hand, so that its cells stay
plain text under review, the training loop it shows is the tested code of
`src/chainrule/train.py`, and its exercise solutions are the tested code of
`digits_exercises.py` (shown in collapsible blocks). The notebook is stored
without outputs: the site executes it at build time.

Links to other chapters are relative to the built page
(part3/training-on-digits/), so that they work on the site wherever it is
served. The copy readers download is rewritten at build time by
hooks/notebooks.py, which makes those links absolute (CHAINRULE_SITE_URL,
`site_url`, or the address of `make serve`) and says where they lead.

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
TRAIN = HERE.parents[1] / "src" / "chainrule" / "train.py"

CELLS: list[tuple[str, str]] = []


def md(text: str) -> None:
    """A Markdown cell; ``](@part3/page/)`` becomes a link to that page of the book."""
    text = re.sub(r"\]\(@([^)]*)\)", lambda found: f"]({link(found.group(1))})", text)
    CELLS.append(("markdown", text.strip("\n")))


def code(text: str) -> None:
    CELLS.append(("code", text.strip("\n")))


def section(name: str, path: Path = EXERCISES) -> str:
    """The code between ``# --8<-- [start:name]`` and ``[end:name]`` of a file."""
    source = path.read_text(encoding="utf-8")
    found = re.search(
        rf"^# --8<-- \[start:{name}\]\n(.*?)^# --8<-- \[end:{name}\]\n", source, re.S | re.M
    )
    if found is None:
        raise SystemExit(f"{path.name}: no section {name!r}")
    return found.group(1).strip("\n")


def included(*names: str) -> str:
    """Sections of src/chainrule/train.py as a code block, titled with the file."""
    code_text = "\n\n\n".join(section(name, TRAIN) for name in names)
    return f"From `src/chainrule/train.py`:\n\n```python\n{code_text}\n```"


def link(page: str) -> str:
    """The address of a page of the book (``"part3/initialization/"``) from this one.

    Always relative: the notebook's page is part3/training-on-digits/. The
    downloadable copy gets absolute links from hooks/notebooks.py.
    """
    return "../../" + page


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

In Part II we [trained a small network](@part2/training-an-mlp/) on two
moons, one `Value` at a time. Since then we have built tensors whose
gradients respect broadcasting, layers whose backward pass is a few matrix
products, and a loss that stays finite whatever the logits
([softmax and cross-entropy](@part3/softmax-and-cross-entropy/)). In this
chapter we put them together and train a network to read handwritten digits.
Along the way we learn to measure it honestly: we make our choices on a
**validation set**, report on a **test set** touched once, and say how
precise that report is.

This chapter is a Jupyter notebook. On the book's site it is shown as it ran
when the site was built, so every number and picture is printed by the code
above it. The file you can download,
[training-on-digits.ipynb](training-on-digits.ipynb), holds the code
without its outputs: run its cells from top to bottom to see them. It needs
only `chainrule` (which brings numpy), and a cell near the end prints how
long the whole notebook took.
""")

md("""
## The data

`chainrule.data.load_digits()` returns small images of handwritten digits,
the test set of the UCI *Optical Recognition of Handwritten Digits* data set
(E. Alpaydin and C. Kaynak, 1998, licensed CC BY 4.0). It ships inside the
package, so nothing is downloaded. Each image is a row of numbers, one per
pixel of an 8 by 8 grid read row by row, from 0 (blank) to 16 (full ink); the
labels are the digits 0 to 9. The first cell prints how many there are:
""")

code("""
import time

notebook_start = time.perf_counter()  # the last cells print the notebook's run time

import numpy as np
from chainrule.data import load_digits

X, y = load_digits()
print("images:", X.shape, X.dtype, "  labels:", y.shape, y.dtype)
print("pixel values from", X.min(), "to", X.max())
print("images of each digit 0-9:", np.bincount(y))
assert X.shape[1] == 8 * 8 and len(X) == len(y)
""")

md("""
A row of numbers is hard to read, so let's draw the first thirty images with
`chainrule.plot.image_grid`, with their labels underneath:
""")

code("""
from chainrule.plot import image_grid

labels = [str(digit) for digit in y[:30]]
image_grid(X[:30], ncols=10, labels=labels, cmap="gray_r", vmin=0, vmax=16,
           title="The first thirty images, each with its label")
""")

md("""
## Three sets of images

A network can learn its training images by heart, so its accuracy on them
says little about how well it reads digits it has never seen: we must hold
some images out. But the moment we use held-out images to *choose* something
(how long to train, which model to keep, which learning rate), the choice is
fitted to those images a little, and their accuracy flatters the winner. So
we hold out two sets:

- a **validation set**, to make choices on, as often as we like;
- a **test set**, measured once, at the very end, to report.

`chainrule.train.digits_split` shuffles the rows with a seed (the same split
every time) and deals them into the three sets: first `test_fraction` of all
the images into the test set, then `validation_fraction` of the *rest* into
the validation set. So with 0.2 for both, the validation set is a fifth of
the four fifths left after the test set, 16% of all the images, and the
training set is the remaining 64%. It also divides the pixels by
16, so that they run from 0 to 1: the starting weights pass the inputs'
size on to the logits, and raw pixels would make an untrained network
confidently wrong, with a loss several times larger, as the chapter on
[initialization](@part3/initialization/#the-size-of-the-inputs) measures.
""")

code("""
from chainrule.train import digits_split

data = digits_split(validation_fraction=0.2, test_fraction=0.2, seed=0)
sets = {"training": data.y_train, "validation": data.y_val, "test": data.y_test}
for name, labels in sets.items():
    print(f"{name:>10}: {len(labels):4d} images ({len(labels) / len(X):.0%})")
print(f"one test image is {1 / len(data.y_test):.2%} of the test set,",
      f"one validation image {1 / len(data.y_val):.2%} of the validation set")
assert sum(len(labels) for labels in sets.values()) == len(X)
rest = len(X) - len(data.y_test)  # validation_fraction is a share of these
assert abs(len(data.y_test) - 0.2 * len(X)) <= 1 and abs(len(data.y_val) - 0.2 * rest) <= 1
""")

md("""
The last line is worth keeping in mind: an accuracy measured on the test set
can only move in steps of one image, the percentage printed above.

## The model

A multi-layer perceptron: one input per pixel, a hidden layer of 128 units
with ReLU, and 10 outputs, one logit per digit. In `chainrule` that is
`nn.MLP(64, [128, 10])`: a `Linear` layer, a `ReLU`, and another `Linear`
layer, whose outputs go straight into `cross_entropy`.

The starting weights are random, with a spread chosen for ReLU layers
(**He initialization**, `nn.MLP`'s default). Why that spread and not another
is a chapter of its own, [initialization](@part3/initialization/); here we
only need the seed `rng=0`, which makes the starting weights the same on
every run.
""")

code("""
from chainrule import nn

model = nn.MLP(64, [128, 10], rng=0)
n_parameters = sum(p.numel() for p in model.parameters())
print(model)
print(n_parameters, "parameters")
assert n_parameters == (64 * 128 + 128) + (128 * 10 + 10)
""")

md("""
## One step of training

A training step is the one of Part II, with tensors. Part II counted three
parts (forward, backward, update); written out, they are five moves, the
ones `chainrule.train` names below: run the model on a batch (the forward
pass) and compute the loss, which make the forward part; clear the old
gradients and backpropagate, the backward part; and let the optimizer move
every parameter against its gradient, the update.

Our optimizer is stochastic gradient descent with **momentum**: instead of
stepping along each new gradient, it steps along a running sum of the recent
ones, which goes faster on this problem. The next chapter,
[optimizers](@part3/optimizers/), takes that apart and
races it against plain SGD on these digits; here it is one argument,
`momentum=0.9`. One step on a batch of 64 training images, and the loss on
that batch goes down:
""")

code("""
from chainrule import optim
from chainrule.functional import cross_entropy

optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
xb, yb = data.X_train[:64], data.y_train[:64]

loss = cross_entropy(model(xb), yb)  # forward pass and loss
optimizer.zero_grad()  # forget the previous step's gradients
loss.backward()  # backpropagation: fills p.grad for every parameter
optimizer.step()  # p <- p - lr * (velocity built from p.grad)

loss_after = cross_entropy(model(xb), yb).item()
print(f"loss on the batch: {loss.item():.4f} before the step,",
      f"{loss_after:.4f} after;  log 10 = {np.log(10):.4f}")
assert loss_after < loss.item()
assert abs(loss.item() - np.log(10)) < 0.5  # untrained: about log 10
""")

md("""
Before training, the loss is not far from $\\log 10$: an untrained network
spreads its belief over the ten digits roughly evenly, and the cross-entropy
of a perfectly uniform guess is exactly $\\log 10$.

## The training loop

An **epoch** is one pass over all the training images, in batches of 64,
shuffled anew each epoch. One epoch is the step above in a loop over
`batches`; measuring is a forward pass inside `no_grad()`, which records no
graph because measuring needs no gradients. These two functions are
`chainrule.train`'s, and the later chapters call them rather than write the
loop out again:
""")

md(included("train_epoch", "evaluate"))

md("""
`fit` runs the epochs. After each one it records the training loss, the mean of
the batch losses *during* the epoch (`train_epoch` returns it), and the
training accuracy (the fraction of images whose largest logit is at the
right digit), measured with the weights at the *end* of the epoch; and,
given a validation set, the validation loss and accuracy, also at the end.
It also keeps a copy of the weights whenever the validation loss reaches a
new low, for a reason we come to below:
""")

md(included("fit"))

md("""
Now the real thing: forty epochs, from fresh weights so that the run is
exactly reproducible, with the validation set watching.
""")

code("""
from chainrule.train import evaluate, fit

model = nn.MLP(64, [128, 10], rng=0)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
history = fit(model, optimizer, data.X_train, data.y_train, epochs=40,
              X_val=data.X_val, y_val=data.y_val, batch_size=64, seed=0)

print(f"{history.epochs} epochs in {history.seconds:.2f} s",
      f"({1000 * history.seconds / history.epochs:.0f} ms per epoch)")
print("epoch  train loss  val loss  train acc  val acc")
for epoch in (1, 2, 5, 10, 20, 30, 40):
    i = epoch - 1
    print(f"{epoch:>5}  {history.train_loss[i]:>10.4f}  {history.val_loss[i]:>8.4f}",
          f" {history.train_accuracy[i]:>9.3f}  {history.val_accuracy[i]:>7.3f}")
assert history.train_loss[0] > history.val_loss[0]  # epoch 1: explained below
assert history.train_loss[-1] < history.val_loss[-1] / 2  # by the end: well below
""")

md("""
The time is measured, not estimated: numpy does the arithmetic, and the
engine's bookkeeping is a handful of graph nodes per step, not one per
number. (The [performance page](@performance/) compares the speed with
plain numpy and with PyTorch.)

One thing in the first row looks wrong: in epoch 1 the training loss is
*above* the validation loss, although the network learns from the training
images and never sees the validation ones. The two are measured differently.
The training loss is the mean of the batch losses over the epoch, each taken
just before its batch's step, with weights that were improving all through
the epoch; the validation loss is measured once, at the end of the epoch,
with the final weights. In the first epoch the weights improve a lot, so
the mean over the epoch lags far behind. The next cell checks this on one
epoch from fresh weights: the mean of its batch losses, and the training
loss measured with the weights it ends with:
""")

code("""
from chainrule.train import train_epoch

fresh = nn.MLP(64, [128, 10], rng=0)
mean_during = train_epoch(fresh, optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9),
                          data.X_train, data.y_train, seed=0)
train_at_end = evaluate(fresh, data.X_train, data.y_train)[0]
val_at_end = evaluate(fresh, data.X_val, data.y_val)[0]
print(f"epoch 1: mean batch loss during the epoch {mean_during:.4f};",
      f"at its end: training {train_at_end:.4f}, validation {val_at_end:.4f}")
assert train_at_end < mean_during
assert train_at_end < val_at_end  # same weights, same moment: training is lower
""")

md("""
Measured at the same moment, with the same weights, the training loss is the
lower one. Later epochs change the weights less, the lag shrinks, and by the
last epoch the training loss is well below the validation loss.

## Loss curves

The numbers are easier to read as pictures. First the loss, on a log scale,
with a dashed line at the epoch of the lowest validation loss:
""")

code("""
from chainrule.plot import Figure

epoch_numbers = range(1, history.epochs + 1)
fig = Figure(title="Loss", xlabel="epoch", ylabel="cross-entropy",
             yscale="log", height=360)
fig.line(epoch_numbers, history.train_loss,
         label="training set (mean over the epoch)")
fig.line(epoch_numbers, history.val_loss,
         label="validation set (end of the epoch)")
fig.vline(history.best_epoch, label=f"lowest validation loss (epoch {history.best_epoch})")
fig
""")

md("""
The training loss falls over the run as a whole, though not at every
epoch (the next cell counts the epochs where it rose): the network fits its
training images better and better, and over the second half of the run its
training loss more than halves (the cell checks that too). The validation loss falls fast at first
and then nearly stops improving: from one epoch to the next it goes up about
as often as it goes down, inside a band. The next cell counts the ups and
measures the band over the second half of the run:
""")

code("""
second_half = np.array(history.val_loss[history.epochs // 2:])
ups = int(np.sum(np.diff(second_half) > 0))
print(f"epochs {history.epochs // 2 + 1}-{history.epochs}: the validation loss rose",
      f"{ups} times in {len(second_half) - 1} steps,",
      f"between {second_half.min():.3f} and {second_half.max():.3f};")
print(f"the training loss fell from {history.train_loss[history.epochs // 2]:.4f}",
      f"to {history.train_loss[-1]:.4f} over the same epochs")
train_ups = int(np.sum(np.diff(history.train_loss) > 0))
print(f"over the whole run the training loss rose in {train_ups} of",
      f"{history.epochs - 1} steps from one epoch to the next")
assert 5 <= ups <= 14  # of 19 steps: up about as often as down
assert history.train_loss[-1] < history.train_loss[history.epochs // 2] / 2
assert 0 < train_ups < (history.epochs - 1) / 2  # falls overall, not every epoch
""")

md("""
The gap between the two curves is the part of what the network learned that
is specific to its training images and does not carry over to new ones.

## Accuracy, and which epoch to keep

Accuracy tells the same story in the units we care about. The dashed line
again marks the epoch with the lowest validation loss:
""")

code("""
fig = Figure(title="Accuracy", xlabel="epoch",
             ylabel="fraction classified correctly",
             ylim=(0.85, 1.0), height=360)
fig.line(epoch_numbers, history.train_accuracy, label="training set")
fig.line(epoch_numbers, history.val_accuracy, label="validation set")
fig.vline(history.best_epoch, label=f"lowest validation loss (epoch {history.best_epoch})")
fig
""")

md("""
Which epoch's weights should we keep? The last one is not special: any of the
late epochs is about as good, and the validation accuracy jumps up and down
between them. **Early stopping** keeps the weights of the epoch with the
lowest validation loss. `fit` stores a copy whenever the validation loss
reaches a new low and puts it back at the end, so `model` now holds the
weights of the best epoch, not of the last. With `patience=k`, `fit` also
stops once `k` epochs in a row have not beaten the best, which saves the
rest of the run. It trades time for a risk: a noisy validation loss can
stall for `k` epochs and then fall again, so compare the epoch the patient
run keeps with the best epoch of the full run:
""")

code("""
best = history.best_epoch
print(f"lowest validation loss at epoch {best}: {history.val_loss[best - 1]:.4f},",
      f"validation accuracy {history.val_accuracy[best - 1]:.1%}")
print(f"last epoch ({history.epochs}): {history.val_loss[-1]:.4f},",
      f"validation accuracy {history.val_accuracy[-1]:.1%}")
print(f"highest validation accuracy: {max(history.val_accuracy):.1%}",
      f"(epoch {int(np.argmax(history.val_accuracy)) + 1})")
# the model holds the best epoch's weights
assert evaluate(model, data.X_val, data.y_val)[0] == history.val_loss[best - 1]

patient = nn.MLP(64, [128, 10], rng=0)
stopped = fit(patient, optim.SGD(patient.parameters(), lr=0.1, momentum=0.9),
              data.X_train, data.y_train, epochs=40,
              X_val=data.X_val, y_val=data.y_val, patience=5)
kept = stopped.best_epoch
print(f"with patience=5 the same run stops after epoch {stopped.epochs}",
      f"and keeps epoch {kept}: validation loss {stopped.val_loss[kept - 1]:.4f},",
      f"accuracy {stopped.val_accuracy[kept - 1]:.1%}",
      f"(the full run's best, epoch {best}: {history.val_loss[best - 1]:.4f},",
      f"{history.val_accuracy[best - 1]:.1%})")
assert stopped.val_loss == history.val_loss[:stopped.epochs]  # the same run, cut short
assert stopped.val_loss[kept - 1] >= history.val_loss[best - 1]  # it can only miss
assert stopped.val_loss[kept - 1] < 1.05 * history.val_loss[best - 1]  # ...here, narrowly
assert stopped.epochs <= history.epochs - 5  # and it saved epochs
""")

md("""
Here the risk costs little: the patient run stops well before epoch 40, and
the epoch it keeps has a validation loss within 5% of the full run's best.
On another problem, or with a smaller `patience`, the gap can be larger.

## How precise is an accuracy?

The lowest validation loss, the highest validation accuracy and the last
epoch land on different epochs, and their accuracies differ by a few images
(the next cell counts them). Is any of those differences real?

An accuracy on $n$ images is a count of right answers divided by $n$. If the
network reads a new image right with probability $q$, independently of the
other images, the count is binomial, and the measured accuracy scatters
around $q$ with **standard error**

$$
\\mathrm{SE} = \\sqrt{\\frac{q\\,(1 - q)}{n}} .
$$

(We write $q$, because $p$ is already softmax's probabilities.) Only the
images vary in this formula; the network is fixed. We estimate $q$ by the
measured accuracy itself:
""")

code("""
def standard_error(accuracy, n):
    \"\"\"The binomial standard error of an accuracy measured on n images.\"\"\"
    return np.sqrt(accuracy * (1 - accuracy) / n)


n_val = len(data.y_val)
three = {"lowest loss": best, "highest accuracy": int(np.argmax(history.val_accuracy)) + 1,
         "last": history.epochs}
right = {name: round(history.val_accuracy[epoch - 1] * n_val) for name, epoch in three.items()}
print("validation images read right:",
      ", ".join(f"{right[name]} at epoch {three[name]} ({name})" for name in three))
assert len(set(three.values())) == 3  # three different epochs
assert 1 <= max(right.values()) - min(right.values()) <= 6  # a few images apart

best_accuracy = history.val_accuracy[best - 1]
se_val = standard_error(best_accuracy, n_val)
late = np.array(history.val_accuracy[history.epochs // 2:])
print(f"validation: {n_val} images, accuracy {best_accuracy:.1%} at epoch {best},",
      f"standard error {se_val:.1%} = {se_val * n_val:.1f} images")
print(f"epochs {history.epochs // 2 + 1}-{history.epochs}: validation accuracy",
      f"from {late.min():.1%} to {late.max():.1%},",
      f"a range of {round((late.max() - late.min()) * n_val)} images")
""")

md("""
A standard error of a few images means that differences of a few images
between epochs, or between two models, can be noise: on their own they do
not show which would read *new* digits better. A rough rule of thumb:
trust a difference only beyond about two standard errors *of the
difference*. For two models measured on the same images, that standard
error is often smaller than the one above, because the models share many
of their mistakes. Exercise 5 shows this, and sets this noise beside another
kind, the spread between training runs from different seeds.

## The test set, once

We made every choice (how long to train, which epoch to keep) on the
validation set. Now, and only now, we measure the test set, and report the
result with its standard error:
""")

code("""
test_loss, test_accuracy = evaluate(model, data.X_test, data.y_test)
n_test = len(data.y_test)
se_test = standard_error(test_accuracy, n_test)
print(f"test accuracy: {test_accuracy:.1%} ± {se_test:.1%} (one standard error)",
      f"on {n_test} images; one image = {1 / n_test:.2%}")
assert test_accuracy >= 0.95
""")

md("""
## What the network gets wrong

Accuracy is a single number; the mistakes themselves are more instructive,
and looking at them changes no choice. Here is every test image the network
misclassifies, captioned with the right digit and the network's answer:
""")

code("""
from chainrule.tensor import no_grad

with no_grad():
    predictions = model(data.X_test).data.argmax(axis=1)
wrong = np.flatnonzero(predictions != data.y_test)
print(len(wrong), "of", n_test, "test images are misclassified")
assert len(wrong) == round((1 - test_accuracy) * n_test)

image_grid(
    data.X_test[wrong],
    ncols=10,
    labels=[f"{data.y_test[i]} as {predictions[i]}" for i in wrong],
    cmap="gray_r",
    vmin=0,
    vmax=1,
    title="Misclassified test images: label, then the network's answer",
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
np.add.at(confusion, (data.y_test, predictions), 1)

print("true \\\\ predicted", "".join(f"{d:>4}" for d in range(10)))
for digit in range(10):
    counts = "".join(f"{n:>4}" for n in confusion[digit])
    print(f"{digit:>16} {counts}")
assert confusion.trace() == (predictions == data.y_test).sum()
""")

md("""
## Keeping the weights

A trained model is only useful if we can keep it. `save` writes every
parameter into a numpy `.npz` file of plain arrays, and `load` reads them
back. It opens the file with `np.load(path, allow_pickle=False)`, so it
refuses any file that holds pickled Python objects, which could run code
when loaded; the cell below tries one. A fresh model with the loaded weights
makes exactly the same predictions:
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
        assert np.array_equal(copy(data.X_test).data, model(data.X_test).data)
    print("saved, loaded, and identical")

    pickled = Path(folder) / "pickled.npz"
    np.savez(pickled, weight=np.array([{"not": "numbers"}], dtype=object))
    try:
        copy.load(pickled)
    except ValueError as error:
        assert "pickled" in str(error)
        print("a file holding a pickled Python object: refused")
    else:
        raise AssertionError("load accepted a pickled object")
""")

md("""
## How long all this took

The whole notebook, from loading the images to here, with its three training
runs (forty epochs, the one-epoch check and the patient run) included:
""")

code("""
print(f"this notebook ran in {time.perf_counter() - notebook_start:.1f} s")
""")

md("""
## Key points

- Training is the loop we wrote in Part II, with tensors: forward pass, loss,
  `zero_grad`, `backward`, `step`, over shuffled mini-batches, epoch after
  epoch. `chainrule.train` holds it once: `train_epoch`, `evaluate`, `fit`.
- Make choices (epochs, models, learning rates) on a validation set; measure
  the test set once, at the end. Early stopping keeps the weights of the
  epoch with the lowest validation loss.
- An accuracy on $n$ images moves in steps of $1/n$ and has a binomial
  standard error $\\sqrt{q(1-q)/n}$: report it, and don't read meaning into
  differences of an image or two.
- A 64-128-10 network, trained in the time printed above, reads the held-out
  digits with the test accuracy printed above; its mistakes show where the
  task is genuinely hard.

Next, we look at *how* the optimizer moves the weights:
[optimizers](@part3/optimizers/), and then where they
should start: [initialization](@part3/initialization/).

## Exercises

Each solution is a complete program: paste it into a new cell (or a file) and
run it. They compare models on the validation set: the test set is for the
end.
""")

exercise(
    1,
    "Does the hidden layer matter?",
    "Train `nn.MLP(64, [10])`, which is a single `Linear` layer (a linear "
    "classifier), with `fit` for 20 epochs, and compare its last training loss "
    "and its validation accuracy with the 64-128-10 network's.",
    "A linear classifier does surprisingly well on these small images, though "
    "it reads fewer validation images right. The bigger difference shows in the "
    "training loss: the hidden layer lets the network fit its training set "
    "several times better.",
    "hidden_layer",
)
exercise(
    2,
    "How sure is it when it is wrong?",
    "The probability the trained network gives to its chosen digit is the "
    "largest entry of the image's row of `softmax(logits)` (`p.max(axis=1)` on "
    "the array `p` of a batch's probabilities). Compare its average over the "
    "validation images the network gets right with its average over those it "
    "gets wrong.",
    "It is noticeably less confident about its mistakes, which is useful: a low "
    "top probability is a hint that an answer deserves a second look.",
    "confidence",
)
exercise(
    3,
    "A learning rate too large.",
    "Train for five epochs with `lr=2.0` instead of `0.1`. What happens to the "
    "loss, and why? (Hint: look at the hidden units' outputs.)",
    "The loss gets stuck near $\\log 10$, the loss of a uniform "
    "guess, and the accuracy is close to chance. The first huge steps pushed the "
    "hidden layer's weights so far that nearly every ReLU outputs 0 for every "
    "image. A ReLU that is 0 has gradient 0, so nothing can bring it back: the "
    "network gives almost the same logits to every image.",
    "learning_rate",
)
exercise(
    4,
    "Train in float32.",
    "Train the same network in single precision: `digits_split(dtype=np.float32)` "
    "and `nn.MLP(..., dtype=np.float32)`. Check that every parameter and every "
    "gradient stays `float32`, and compare the validation accuracy and the time "
    "with `float64`.",
    "`chainrule` keeps `float32` arrays in `float32` through every operation, "
    "so the whole computation runs in single precision; the solution checks "
    "every parameter's and gradient's type, and that the two validation "
    "accuracies agree to within two images. A `float32` number takes 4 bytes "
    "instead of 8, which is one reason networks are commonly trained in single "
    "precision (PyTorch's default) or lower; this part of the book uses `float64` "
    "because gradient checks need the precision (the "
    "[PyTorch chapter](@part3/from-chainrule-to-pytorch/) shows a check that "
    "fails in `float32`). The solution also prints how long each run's 20 "
    "epochs took. It asserts nothing about those times: which precision is "
    "faster, and by how much, depends on the machine and its load, so compare "
    "them on yours.",
    "float32",
)
exercise(
    5,
    "Two kinds of noise.",
    "Train the network five times, with seeds 0 to 4 for both the starting "
    "weights (`rng=seed`) and the batches (`fit(..., seed=seed)`), for 15 "
    "epochs each. Compare the spread (standard deviation) of the five "
    "validation accuracies with the binomial standard error. Which images do "
    "the runs get wrong?",
    "The spread between runs is smaller than the binomial standard error, "
    "because the two measure different noise. The standard error says how far "
    "an accuracy could move if we had drawn *other* images; the runs are all "
    "measured on the *same* images, and they share many of their mistakes (a "
    "few images are misread by every run). So a difference between two models "
    "measured on the same images is less noisy than the standard error "
    "suggests, while the accuracy itself, as an estimate for new digits, is "
    "only as precise as the standard error says.",
    "seeds",
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

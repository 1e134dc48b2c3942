"""In-page Python: the Run buttons of Parts I and II, in a real browser.

The build (hooks/inpage_python.py) marks the blocks that can run under
Pyodide and embeds each page's program; assets/javascripts/inpage.js runs
them in a Web Worker. These tests hold the page to CPython:

- which blocks get a button is decided from the code (never a titled
  excerpt, never numpy or torch), checked on the built HTML;
- on every page of Parts I and II, every runnable block is run in page
  order, one Python per page, and prints what CPython prints for the same
  chain (floats compared with a tolerance: Pyodide's libm is not glibc's);
- no Pyodide file is asked for before the first click, and no request
  leaves 127.0.0.1 (all others are refused);
- Python starts when the pointer reaches a Run button (before the click),
  from the build's memory snapshot; a link is followed by the theme's
  instant navigation, and the next page runs its blocks in the same worker
  but a fresh namespace; a block still running when the reader leaves is
  stopped; a page reached so is drawn whole (math, Mermaid, figures, the
  notebook page's own scripts), and Back works;
- the reader's scenario: the chain-rule chapter, `a = 2.0` changed to
  `a = 3.0` in the graph example, Run, new gradients; an error shows its
  traceback; Stop ends `while True: pass` and the next Run works; keyboard
  use, accessible names, dark mode at 390 px; file:// (where the math is
  still rendered) and a browser without WebAssembly say why they cannot run.

Cost: one Pyodide start per Part I-II page (about 3 s each on an idle
machine) plus the blocks themselves; timings land in
test-artifacts/inpage-timings.json (the root conftest.py gathers them).
"""

from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.site.browser import SCHEME, switch_scheme, wait_until_drawn
from tests.site.pages import (
    ARTIFACTS,
    DOCS,
    PYTHON_LANGUAGES,
    ROOT,
    fences,
    html_code_blocks,
    source_of,
)

sys.path.insert(0, str(ROOT / "hooks"))
from blocks import runs_in_the_browser  # noqa: E402

PART_PAGES = sorted(  # as URL paths: "part1/chain-rule", "part2" (the part's index)
    path.relative_to(DOCS).with_suffix("").as_posix().removesuffix("/index")
    for part in ("part1", "part2")
    for path in (DOCS / part).glob("*.md")
)
PROGRAM = re.compile(r'<template id="inpage-python"[^>]*>(.*?)</template>', re.DOTALL)
MARK = re.compile(r'<div class="language-[\w-]+ highlight" data-inpage-step="(\d+)"')
NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")
RUN_TIMEOUT_MS = 120_000
# Blocks that cannot give the reader's CPython's answer under Pyodide, found
# by this test, each with why (a marker from the block's code -> the reason).
# For these the page must still run them or fail clearly (an error shown,
# Python restarted); if a chapter rewrite makes one match, all the better.
KNOWN_TO_DIFFER = {
    # Pyodide is Python 3.14; the reader's CPython here may be older.
    "gc.get_threshold()": "prints the interpreter's version and collector thresholds",
    'theirs.note = "no room"': "prints an AttributeError whose wording changed in Python 3.13",
    # DESIGN.md: Pyodide's libm is not glibc's; this block asserts glibc's last bit.
    "math.tanh(n) = o": "asserts the last bit of glibc's tanh",
    "o.data == 0.7071067811865477": "asserts the last bit of glibc's tanh",
    # Freeing a 16,000-node chain recurses once per node in C: CPython copes,
    # the browser's stack (about 1 MB for a worker) does not, and Pyodide dies.
    "gc.callbacks.append": "frees a 16,000-node chain at once: the browser's stack overflows",
}


def built_html(site_dir: Path, page: str) -> str:
    return (site_dir / page / "index.html").read_text(encoding="utf-8")


def program_of(html: str) -> tuple[list[dict], list[int]]:
    """(the page's steps as the build embedded them, the marked steps in page order)."""
    found = PROGRAM.search(html)
    if not found:
        return [], []
    steps = json.loads(found.group(1))["steps"]
    return steps, [int(m) for m in MARK.findall(html)]


def chain_codes(steps: list[dict], index: int, codes: dict[int, str] | None = None) -> list[str]:
    """The codes a Run of step `index` runs: its chain's earlier steps, then itself."""
    first = index
    while first > 0 and steps[first]["continues"]:
        first -= 1
    codes = codes or {}
    return [codes.get(i, steps[i]["code"]) for i in range(first, index + 1)]


# What CPython prints for the same runs, with the worker's rule: a run whose
# chain extends the previous one continues in its namespace, any other starts
# a fresh one. Run in the reader's interpreter (only chainrule installed).
REFERENCE = r"""
import contextlib, io, json, sys, traceback
runs = json.load(sys.stdin)
done, namespace, results = [], {}, []
for chain in runs:
    first = len(done) if len(done) < len(chain) and chain[:len(done)] == done else 0
    if first == 0:
        namespace = {"__name__": "__main__"}
    stdout, ok = "", True
    for index in range(first, len(chain)):
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
                exec(compile(chain[index], "<block>", "exec"), namespace)
        except BaseException:
            ok = False
            stdout = buffer.getvalue()
            break
        stdout = buffer.getvalue()
    done = list(chain) if ok else []
    results.append({"stdout": stdout, "ok": ok})
print(json.dumps(results))
"""


def cpython_outputs(python: Path, runs: list[list[str]], workdir: Path) -> list[dict]:
    result = subprocess.run(
        [str(python), "-c", REFERENCE],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
        env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def same_output(browser: str, cpython: str) -> bool:
    """Equal text, and equal numbers up to the last printed digit or 1e-9
    (Pyodide's libm may differ from glibc's in the last bit)."""
    if NUMBER.sub("#", browser) != NUMBER.sub("#", cpython):
        return False
    for ours, theirs in zip(NUMBER.findall(browser), NUMBER.findall(cpython), strict=True):
        mantissa = theirs.lower().split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(theirs.lower().split("e")[1]) if "e" in theirs.lower() else 0
        last_digit = float(f"1e{exponent - decimals}")  # inf past 1e308, not OverflowError
        # the last printed digit may flip, and a difference of noise-sized
        # numbers (a relative error of 1e-11, say) is noise in both
        tolerance = max(1e-9, 1e-9 * abs(float(theirs)), 1.01 * last_digit)
        if not math.isclose(float(ours), float(theirs), abs_tol=tolerance):
            return False
    return True


def known_differences(chain: list[str]) -> list[str]:
    """Why a Run of `chain` may not give CPython's answer (KNOWN_TO_DIFFER), if it may not."""
    return [why for marker, why in KNOWN_TO_DIFFER.items() if any(marker in c for c in chain)]


def open_all_details(page) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


# Show the block of a step as a reader would: open the collapsible blocks
# around it and select the content tab it is in.
REVEAL = """step => {
  const block = document.querySelector(`[data-inpage-step="${step}"]`);
  for (let node = block; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
    const tab = node.parentElement;
    if (tab && tab.classList.contains("tabbed-content")) {
      const index = [...tab.children].indexOf(node);
      const labels = tab.parentElement.querySelectorAll(":scope > .tabbed-labels > label");
      if (labels[index]) labels[index].click();
    }
  }
}"""

# Run the blocks of the given steps one after another, each by its Run
# button, and wait for each outcome: [{state, stdout, seconds, text}]. One
# call for a whole page: the outcomes are the page's own; only the
# round trips to the browser, a few tenths of a second a block, are saved.
RUN_IN_TURN = """async ([steps, timeout]) => {
  const reveal = REVEAL;
  const outcomes = [];
  for (const step of steps) {
    reveal(step);
    const output = document.querySelector(`.inpage-output[data-inpage-for="${step}"]`);
    const toolbar = document.querySelector(`.inpage-toolbar[data-inpage-for="${step}"]`);
    const run = [...toolbar.querySelectorAll("button")]
      .find((b) => b.getAttribute("aria-label").startsWith("Run code block"));
    run.click();
    const started = performance.now();
    while (!output.dataset.state && performance.now() - started < timeout) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    outcomes.push({
      state: output.dataset.state || "timed out",
      stdout: output.dataset.stdout || "",
      seconds: Number(output.dataset.seconds || "NaN"),
      text: output.innerText,
    });
  }
  return outcomes;
}""".replace("REVEAL;", REVEAL + ";", 1)


def reveal(page, step: int) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(REVEAL, step)


def replace_code(page, step: int, code: str) -> None:  # type: ignore[no-untyped-def]
    """Open the block of `step` in the editor (its Edit button) and type `code`
    over what it holds, as a reader would."""
    reveal(page, step)
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"]')
    toolbar.get_by_role("button", name=re.compile("^Edit")).click()
    editor = page.locator(f'[data-inpage-step="{step}"] .cm-content')
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)


def run_block(page, step: int, timeout: float = RUN_TIMEOUT_MS) -> dict:  # type: ignore[no-untyped-def]
    """Press Run under the block of `step`; wait for the outcome."""
    output = page.locator(f'.inpage-output[data-inpage-for="{step}"]')
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"]')
    reveal(page, step)
    toolbar.get_by_role("button", name=re.compile(r"^Run code block")).click()
    output.and_(page.locator("[data-state]")).wait_for(timeout=timeout)
    return {
        "state": output.get_attribute("data-state"),
        "stdout": output.get_attribute("data-stdout") or "",
        "seconds": float(output.get_attribute("data-seconds") or "nan"),
        "text": output.inner_text(),
    }


# ---------------------------------------------------------------- no browser
@pytest.mark.parametrize(
    ("code", "runs"),
    [
        ("import math\nprint(math.tanh(0.5))", True),
        ("from chainrule import Value\nx = Value(2.0)", True),
        ("from chainrule.plot import line_plot", True),
        ("import numpy as np", False),
        ("from chainrule import Tensor", False),
        ("import chainrule\nt = chainrule.Tensor([1.0])", False),
        ("from chainrule.nn import MLP", False),
        ("import torch", False),
        ("import subprocess", False),
        ("import time\nstart = time.perf_counter()", False),
        ("def f(:\n    pass", False),
    ],
)
def test_runnable_is_decided_from_the_imports(code: str, runs: bool) -> None:
    assert runs_in_the_browser(code) is runs


def test_buttons_go_on_the_right_blocks(site_dir: Path) -> None:
    """Parts I-II: no titled excerpt is marked, every marked block runs in a
    browser, and every untitled block that does is marked. Part III, the
    other pages: nothing is marked."""
    marked_total = 0
    for page in sorted(site_dir.rglob("index.html")):
        relative = page.parent.relative_to(site_dir).as_posix()
        html = page.read_text(encoding="utf-8")
        steps, marked = program_of(html)
        in_parts_1_2 = (relative + "/").startswith(("part1/", "part2/"))
        if not in_parts_1_2:
            assert not marked, f"{relative}: Run buttons outside Parts I-II"
            continue
        marked_codes = {steps[index]["code"] for index in marked}
        marked_total += len(marked)
        shown = [b for b in html_code_blocks(page) if b.language in PYTHON_LANGUAGES]
        titled = {b.code for b in shown if b.title}
        assert not marked_codes & titled, f"{relative}: a titled excerpt got a Run button"
        plain = [  # the page's plain (not continuation) fences, as the HTML shows them
            fence.content
            for fence in fences(source_of(page, site_dir))
            if fence.is_tested and "continuation" not in fence.words
            and fence.content in {b.code for b in shown if not b.title}
        ]
        for code in plain:
            if runs_in_the_browser(code):
                assert code in marked_codes, f"{relative}: no Run button on\n{code[:300]}"
            else:
                assert code not in marked_codes, f"{relative}: a Run button on\n{code[:300]}"
        for index in marked:
            assert all(runs_in_the_browser(code) for code in chain_codes(steps, index))
    assert marked_total > 50, f"only {marked_total} runnable blocks in Parts I-II"


# ---------------------------------------------------------------- the browser
@pytest.mark.browser
@pytest.mark.parametrize("page_name", PART_PAGES)
def test_every_block_runs_in_the_page_as_in_cpython(  # type: ignore[no-untyped-def]
    page_name: str, site_dir: Path, site_url: str, offline_page, reader_python: Path,
    tmp_path: Path, record_property,
) -> None:
    html = built_html(site_dir, page_name)
    steps, marked = program_of(html)
    if not marked:
        pytest.skip(f"{page_name} has no block that runs in a browser")
    runs = [chain_codes(steps, index) for index in marked]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # CPython runs the same chains while the browser does.
        reference = pool.submit(cpython_outputs, reader_python, runs, tmp_path)
        page, record = offline_page(site_url + page_name + "/")
        assert page.locator(".inpage-toolbar").count() == len(marked)
        assert not [u for u in record["requests"] if "/assets/inpage/" in u], (
            "Pyodide fetched on load"
        )
        open_all_details(page)
        outcomes = page.evaluate(RUN_IN_TURN, [marked, RUN_TIMEOUT_MS])
        expected = reference.result()

    problems = []
    seconds = []
    killed_by_known_block = False
    for index, chain, want, got in zip(marked, runs, expected, outcomes, strict=True):
        seconds.append(got["seconds"])
        known = known_differences(chain)
        if known and got["state"] == "ok":
            continue  # it ran; what it prints is the known difference
        if known:  # it failed: the reader must be told, not left with nothing
            assert got["state"] == "error" and len(got["text"]) > 40, got["text"]
            killed_by_known_block |= any("overflow" in why for why in known)
            continue
        if got["state"] != "ok" or not want["ok"]:
            problems.append(f"step {index}: {got['state']} in the page: {got['text'][-800:]}")
        elif not same_output(got["stdout"], want["stdout"]):
            problems.append(
                f"step {index}: the page printed\n{got['stdout'][:600]}\nCPython printed\n"
                f"{want['stdout'][:600]}"
            )
    assert not record["foreign"], f"requests off 127.0.0.1: {record['foreign'][:3]}"
    # Pyodide logs its death to the console: only a known block may cause that.
    assert not record["errors"] or killed_by_known_block, record["errors"][:3]
    assert any("/assets/inpage/pyodide/pyodide.asm.wasm" in u for u in record["requests"])
    assert not problems, "\n\n".join(problems)
    # Python came from the build's memory snapshot, not a fresh start
    assert page.evaluate("document.documentElement.dataset.inpagePython") == "snapshot"
    # A second Run of the first block: Python is loaded, only the block runs.
    again = run_block(page, marked[0])
    record_property(
        "inpage_timing",
        {"page": page_name, "first_run": seconds[0], "second_run": again["seconds"]},
    )


def _edit_constant(code: str, name: str, old: float, new: str) -> str:
    """`code` with the literal `old` assigned to `name` (`a = 2.0`,
    `a, b = 2.0, -3.0` or `a = Value(2.0)`) replaced by `new`."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = []
            if isinstance(target, ast.Name):
                pairs = [(target, node.value)]
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for variable, value in pairs:
                if isinstance(value, ast.Call) and value.args:
                    value = value.args[0]
                if (
                    isinstance(variable, ast.Name)
                    and variable.id == name
                    and isinstance(value, ast.Constant)
                    and value.value == old
                ):
                    lines = code.splitlines(keepends=True)
                    line = lines[value.lineno - 1]
                    start, end = value.col_offset, value.end_col_offset
                    lines[value.lineno - 1] = line[:start] + new + line[end:]
                    return "".join(lines)
    raise AssertionError(f"no `{name} = {old}` in the block")


@pytest.mark.browser
def test_reader_changes_a_and_reads_new_gradients(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, offline_page, reader_python: Path, tmp_path: Path
) -> None:
    """Network cut: the chain-rule chapter, the graph example's `a = 2.0`
    made `a = 3.0` in the editor, Run: the new gradients appear."""
    steps, marked = program_of(built_html(site_dir, "part1/chain-rule"))
    graph_example = re.compile(r"\ba\b[^\n]*=[^\n]*2\.0")
    candidates = [
        index for index in marked
        if graph_example.search(steps[index]["code"]) and "grad" in steps[index]["code"]
    ]
    assert candidates, "the chain-rule chapter has no runnable graph example with a = 2.0"
    # Of those, the one a reader learns most from: it still runs once edited
    # (no assert pins the old gradients), and it prints them.
    edits = {index: _edit_constant(steps[index]["code"], "a", 2.0, "3.0") for index in candidates}
    runs = [chain_codes(steps, index, edits) for index in candidates]
    outcomes = dict(zip(candidates, cpython_outputs(reader_python, runs, tmp_path), strict=True))
    step = max(candidates, key=lambda i: (outcomes[i]["ok"], bool(outcomes[i]["stdout"])))
    changed = outcomes[step]
    (original,) = cpython_outputs(reader_python, [chain_codes(steps, step)], tmp_path)
    assert changed["stdout"] and not same_output(changed["stdout"], original["stdout"])

    page, record = offline_page(site_url + "part1/chain-rule/", wait_until="load")
    open_all_details(page)
    replace_code(page, step, edits[step])
    got = run_block(page, step)

    # What CPython prints for the edited code, new gradients and all (and,
    # if the block asserts the book's numbers, the same AssertionError).
    assert got["state"] == ("ok" if changed["ok"] else "error"), got["text"]
    assert same_output(got["stdout"], changed["stdout"]), (got["stdout"], changed["stdout"])
    assert not record["foreign"], record["foreign"][:3]


@pytest.mark.browser
def test_edit_error_stop_reset_by_keyboard_in_dark_at_phone_width(  # type: ignore[no-untyped-def]
    site_url: str, site_dir: Path, offline_page
) -> None:
    """One page, one Python: a traceback names the line; Stop ends a runaway
    loop and the next Run works; Reset brings the book's code back; all by
    keyboard, with accessible names, in dark mode at 390 px, then in light."""
    steps, marked = program_of(built_html(site_dir, "part1/derivatives"))
    step = marked[0]
    page, record = offline_page(
        site_url + "part1/derivatives/",
        wait_until="load",
        color_scheme="dark",
        viewport={"width": 390, "height": 844},
    )
    assert page.evaluate(SCHEME) == "slate"
    reveal(page, step)  # the page's first block drew figure 1: its code is folded under it
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"]')
    for name in ("Run code block 1", "Edit code block 1"):
        assert toolbar.get_by_role("button", name=name).count() == 1

    # Keyboard only: focus Edit, press Enter, type, Ctrl+Enter runs.
    toolbar.get_by_role("button", name="Edit code block 1").focus()
    page.keyboard.press("Enter")
    editor = page.locator(f'[data-inpage-step="{step}"] .cm-content')
    editor.wait_for()
    assert editor.get_attribute("aria-label").startswith("Python code of block 1")
    page.wait_for_function("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Control+a")
    page.keyboard.insert_text('x = 1\nraise ValueError(f"bad x: {x}")\n')
    output = page.locator(f'.inpage-output[data-inpage-for="{step}"]')
    page.keyboard.press("Control+Enter")
    output.and_(page.locator("[data-state]")).wait_for(timeout=RUN_TIMEOUT_MS)
    assert output.get_attribute("data-state") == "error"
    text = output.inner_text()
    assert "Traceback (most recent call last)" in text and 'line 2' in text
    assert "ValueError: bad x: 1" in text
    error_red, status_red = (output.locator(selector).evaluate("e => getComputedStyle(e).color")
                             for selector in (".inpage-stderr", ".inpage-status"))
    assert error_red == status_red == "rgb(255, 138, 128)"  # the dark scheme's error colour

    # A runaway loop: the page stays responsive, Stop ends it.
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("while True:\n    pass\n")
    toolbar.get_by_role("button", name="Run code block 1").click()
    stop = toolbar.get_by_role("button", name="Stop code block 1")
    stop.wait_for(state="visible")
    # the last run's error is gone while this one runs, and an error is drawn as one
    assert output.locator(".inpage-status").inner_text() == "Running…"
    assert "ValueError" not in output.inner_text()
    page.wait_for_timeout(500)
    assert page.evaluate("1 + 1") == 2  # the main thread still answers
    assert output.get_attribute("data-state") is None
    stop.press("Enter")
    output.and_(page.locator("[data-state]")).wait_for(timeout=10_000)
    assert output.get_attribute("data-state") == "stopped"

    # Reset, then Run: the book's code, in a fresh Python.
    toolbar.get_by_role("button", name=re.compile("^Reset code block 1")).click()
    got = run_block(page, step)
    assert got["state"] == "ok", got["text"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = toolbar.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    toolbar.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "inpage-dark-390.png"))

    switch_scheme(page, "default")
    run_style = toolbar.get_by_role("button", name="Run code block 1").evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert run_style[0] != run_style[1]
    page.screenshot(path=str(ARTIFACTS / "inpage-light-390.png"))
    assert not record["foreign"] and not record["errors"], (record["foreign"], record["errors"])


WASM = "/assets/inpage/pyodide/pyodide.asm.wasm"
WORKERS = "document.documentElement.dataset.inpageWorkers"  # workers started in the visit
# Set on the first page's window: still there after a link was followed, the
# theme's instant navigation swapped the content in (a page load starts anew).
MARK_WINDOW = "() => { window.sameVisit = 'yes'; }"
SAME_WINDOW = "() => window.sameVisit === 'yes'"


def follow_link(page, site_url: str, site_dir: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    """Click a link to `path` ("part1/chain-rule/") as a reader does; wait
    until the new page's content is in and inpage.js has set it up."""
    page.evaluate(
        "path => { const content = document.querySelector('.md-content');"
        " content.dataset.left = 'yes'; const a = document.createElement('a');"
        " a.href = path; content.append(a); a.click(); }",
        "/" + path,
    )
    page.wait_for_url(site_url + path)
    _, marked = program_of(built_html(site_dir, path.rstrip("/")))
    page.wait_for_function(
        "count => { const content = document.querySelector('.md-content');"
        " return content && !content.dataset.left"
        " && document.querySelectorAll('.inpage-toolbar').length === count; }",
        arg=len(marked),
    )


def reset_block(page, step: int) -> None:  # type: ignore[no-untyped-def]
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"]')
    toolbar.get_by_role("button", name=re.compile("^Reset")).click()


def a_chain_of_two(site_dir: Path, pages: list[str]) -> tuple[str, int, int]:
    """(page, first, then): the first page of `pages` with a runnable block
    `then` that continues the runnable block `first`, which starts a chain."""
    for name in pages:
        steps, marked = program_of(built_html(site_dir, name))
        for then in marked:
            first = then - 1
            if steps[then]["continues"] and first in marked and not steps[first]["continues"]:
                return name, first, then
    raise AssertionError(f"no runnable block continues another on {pages}")


# Counts the runs of this code in the worker (sys outlives a namespace): a
# run that continued an old namespace instead of running it again shows so.
COUNTED = (
    "import sys\n"
    "sys.counted_runs = getattr(sys, 'counted_runs', 0) + 1\n"
    "run_number = sys.counted_runs\n"
    "from_the_last_page = True\n"
)


@pytest.mark.browser
def test_python_starts_on_intent_and_one_worker_serves_the_visit(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, offline_page, reader_python: Path, tmp_path: Path
) -> None:
    """Network cut. Nothing is fetched on load; the pointer resting on Run
    fetches Python before any click. A link to another chapter is followed
    in the page (the theme's instant navigation): its blocks run in the
    same worker, in a fresh namespace (even where its first block's code
    is what the last page ran last), and print what CPython prints. The
    browser's Back returns to a page whose Run buttons work."""
    first_steps, first_marked = program_of(built_html(site_dir, "part1/derivatives"))
    next_page, first, then = a_chain_of_two(
        site_dir, [name for name in PART_PAGES if name != "part1/derivatives"]
    )
    steps, marked = program_of(built_html(site_dir, next_page))
    page, record = offline_page(site_url + "part1/derivatives/")
    assert not [u for u in record["requests"] if "/assets/inpage/" in u], "fetched on load"
    reveal(page, first_marked[0])
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{first_marked[0]}"]')
    toolbar.get_by_role("button", name=re.compile(r"^Run code block")).hover()
    for _ in range(600):  # up to a minute on a loaded machine, no click
        if any(WASM in u for u in record["requests"]):
            break
        page.wait_for_timeout(100)
    assert any(WASM in u for u in record["requests"]), "the hover did not start Python"
    output = page.locator(f'.inpage-output[data-inpage-for="{first_marked[0]}"]')
    assert output.is_hidden(), "nothing was clicked, so no output is shown"
    assert run_block(page, first_marked[0])["state"] == "ok"
    # the last thing this page runs: COUNTED, as a chain of its own
    starts = [i for i in first_marked if not first_steps[i]["continues"]]
    replace_code(page, starts[0], COUNTED)
    assert run_block(page, starts[0])["state"] == "ok"

    page.evaluate(MARK_WINDOW)
    follow_link(page, site_url, site_dir, next_page + "/")
    assert page.evaluate(SAME_WINDOW), "the link loaded a new page: no instant navigation"
    # The same code starts a chain here: a fresh namespace runs it again
    # (a second run); continuing the last page's namespace would skip it.
    replace_code(page, first, COUNTED)
    replace_code(page, then, 'print(run_number)\n')
    got = run_block(page, then)
    assert got["stdout"].strip() == "2", got["text"]
    assert page.evaluate(WORKERS) == "1", "the new page started a worker of its own"

    # the book's code prints what CPython prints, from the same worker
    for step in (first, then):
        reset_block(page, step)
    got = run_block(page, then)
    (want,) = cpython_outputs(reader_python, [chain_codes(steps, then)], tmp_path)
    assert got["state"] == "ok" and same_output(got["stdout"], want["stdout"]), got["text"]
    assert page.evaluate("document.documentElement.dataset.inpagePython") == "snapshot"
    # a name the last page defined is not defined here
    replace_code(page, marked[0], 'print("from_the_last_page" in globals())\n')
    assert run_block(page, marked[0])["stdout"].strip() == "False"
    assert page.evaluate(WORKERS) == "1"

    # Back: the first page again, in the same visit, its buttons working
    page.go_back()
    page.wait_for_url(site_url + "part1/derivatives/")
    page.wait_for_function(
        "count => document.querySelectorAll('.inpage-toolbar').length === count",
        arg=len(first_marked),
    )
    assert page.evaluate(SAME_WINDOW), "Back loaded the page anew"
    assert run_block(page, first_marked[0])["state"] == "ok"
    assert page.evaluate(WORKERS) == "1"
    assert not record["foreign"] and not record["errors"], (record["foreign"], record["errors"])


@pytest.mark.browser
def test_a_block_still_running_stops_when_the_reader_follows_a_link(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, offline_page
) -> None:
    """A runaway block on one page, a link to the next: the block is stopped
    (its worker ended), and the new page's first Run starts Python again."""
    _, first_marked = program_of(built_html(site_dir, "part1/derivatives"))
    _, marked = program_of(built_html(site_dir, "part1/chain-rule"))
    page, record = offline_page(site_url + "part1/derivatives/", wait_until="load")
    replace_code(page, first_marked[0], "while True:\n    pass\n")
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{first_marked[0]}"]')
    toolbar.get_by_role("button", name=re.compile(r"^Run code block")).click()
    page.wait_for_function(  # Python has started (the loop runs from now on)
        "() => document.documentElement.dataset.inpagePython", timeout=RUN_TIMEOUT_MS
    )
    page.evaluate(MARK_WINDOW)
    follow_link(page, site_url, site_dir, "part1/chain-rule/")
    assert page.evaluate(SAME_WINDOW), "the link loaded a new page: no instant navigation"
    got = run_block(page, marked[0])
    assert got["state"] == "ok", got["text"]
    assert page.evaluate(WORKERS) == "2", "the runaway block's worker was not replaced"
    assert not record["foreign"] and not record["errors"], (record["foreign"], record["errors"])


@pytest.mark.browser
def test_a_run_still_waiting_for_python_lets_its_start_go_on(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, offline_page
) -> None:
    """Run pressed, and a link followed while Python is still downloading:
    the start goes on, and the next page's Run uses it (one worker)."""
    _, first_marked = program_of(built_html(site_dir, "part1/derivatives"))
    _, marked = program_of(built_html(site_dir, "part1/chain-rule"))
    page, record = offline_page(site_url + "part1/derivatives/", wait_until="load")
    held = []  # the runtime's download, held until the reader has left
    page.context.route("**" + WASM, lambda route: held.append(route))
    reveal(page, first_marked[0])
    toolbar = page.locator(f'.inpage-toolbar[data-inpage-for="{first_marked[0]}"]')
    toolbar.get_by_role("button", name=re.compile(r"^Run code block")).click()
    for _ in range(600):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the Run did not start Python"
    page.evaluate(MARK_WINDOW)
    follow_link(page, site_url, site_dir, "part1/chain-rule/")
    assert page.evaluate(SAME_WINDOW), "the link loaded a new page: no instant navigation"
    page.context.unroute("**" + WASM)
    for route in held:
        route.continue_()
    got = run_block(page, marked[0])
    assert got["state"] == "ok", got["text"]
    assert page.evaluate(WORKERS) == "1", "the start was thrown away"
    assert not record["foreign"] and not record["errors"], (record["foreign"], record["errors"])


# The pages a reader might pass through: math, figures, Mermaid, Run
# buttons, and the notebook chapter, whose page carries scripts of its own.
VISIT = [
    "part2/computational-graphs/",
    "part3/training-on-digits/",
    "part1/chain-rule/",
    "performance/",
]
RAW_MATH = re.compile(r"\\\(|\\\[|\$\$")  # what KaTeX did not render: \( \[ $$
# The page's text outside code, scripts and what KaTeX drew (which keeps the TeX).
PROSE = """() => {
  const content = document.querySelector('.md-content').cloneNode(true);
  const skipped = 'pre, code, .katex, script, style, template';
  content.querySelectorAll(skipped).forEach((element) => element.remove());
  return content.textContent;
}"""


@pytest.mark.browser
def test_a_page_reached_by_instant_navigation_is_whole(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, offline_page
) -> None:
    """Network cut. From the first page, links lead through pages with math,
    numbered figures, Mermaid diagrams, Run buttons and a notebook, each
    swapped in by the theme's instant navigation: each is drawn as on a
    page load, with no console error, no request off 127.0.0.1, and no
    in-page Python fetched (no Run was pointed at)."""
    page, record = offline_page(site_url + "part1/derivatives/", wait_until="load")
    wait_until_drawn(page)
    page.evaluate(MARK_WINDOW)
    drawn = {"math": 0, "diagrams": 0, "figures": 0, "notebook math": 0}
    for path in VISIT:
        follow_link(page, site_url, site_dir, path)
        assert page.evaluate(SAME_WINDOW), f"{path}: loaded anew, not swapped in"
        wait_until_drawn(page)  # KaTeX rendered the math, Mermaid drew the diagrams
        text = page.evaluate(PROSE)
        assert not RAW_MATH.search(text), f"{path}: raw math: {RAW_MATH.search(text)}"
        html = built_html(site_dir, path.rstrip("/"))
        numbers = page.locator(".cr-figure__number").all_inner_texts()
        assert numbers == [f"Figure {n}." for n in range(1, html.count("cr-figure__number") + 1)]
        drawn["math"] += page.locator(".arithmatex .katex").count()
        drawn["diagrams"] += page.locator(".mermaid").count()
        drawn["figures"] += len(numbers)
        drawn["notebook math"] += page.locator(".jupyter-wrapper .katex").count()
    assert all(drawn.values()), f"the visit met no {[k for k, v in drawn.items() if not v]}"
    assert not record["foreign"], record["foreign"][:3]
    assert not record["errors"], record["errors"][:3]
    assert not [u for u in record["requests"] if "/assets/inpage/" in u], "fetched with no intent"


@pytest.mark.browser
def test_a_browser_that_cannot_run_says_why(  # type: ignore[no-untyped-def]
    site_dir: Path, site_url: str, chromium, offline_page
) -> None:
    """From file://, and in a browser without WebAssembly, the button says why.
    On file:// the page is drawn as ever: the theme's instant navigation,
    which cannot work there, is off (hooks/instant.py), so the scripts that
    wait for the theme's document$ run (the math is rendered)."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto((site_dir / "part1" / "derivatives" / "index.html").as_uri())
    page.wait_for_function(
        "() => document.querySelector('.arithmatex') && [...document.querySelectorAll("
        "'.arithmatex')].every(e => e.querySelector('.katex'))", timeout=30_000
    )
    open_all_details(page)  # the first block is a figure's code, folded under it
    run = page.locator(".inpage-toolbar button").first
    assert run.inner_text() == "Can't run: opened from a file"
    run.click()
    assert "make serve" in page.locator(".inpage-output").first.inner_text()
    context.close()

    page, record = offline_page(site_url + "part1/derivatives/")
    page.context.add_init_script("delete globalThis.WebAssembly")  # before the page's scripts
    page.reload(wait_until="networkidle")
    open_all_details(page)
    run = page.locator(".inpage-toolbar button").first
    assert run.inner_text() == "Can't run: no WebAssembly"
    run.click()
    assert "no WebAssembly" in page.locator(".inpage-output").first.inner_text()
    assert not [u for u in record["requests"] if "/assets/inpage/" in u]

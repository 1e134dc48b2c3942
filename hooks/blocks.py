"""What the two build hooks share: the Python blocks of a page, their chains,
and which of them can run in the reader's browser.

A page's Python fences are read with the parser the tests use
(`tests.site.pages.fences`), so the build and the tests agree on what a
block is, which fences are tested, and how a `continuation` chain runs: the
code of a continuation block runs after every block of its chain, in one
namespace, exactly as pytest-markdown-docs runs it.

Which blocks can run under Pyodide is decided from the code, never by hand:
a block qualifies when every module it imports is in the standard library
or on chainrule's standard-library side, and so does every block before it
in its chain. chainrule's side is worked out from `src/` itself
(`scalar_modules`), so a module that starts importing numpy leaves it.
"""

from __future__ import annotations

import ast
import functools
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chainrule"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.markdown_parser import MARKER, make_parser  # noqa: E402
from tests.site.pages import Fence, fences, include_targets  # noqa: E402

# Standard-library modules that exist under Pyodide but cannot do their job in
# a browser tab (no processes, no terminal, no sockets, no GUI); and the ones
# that measure the machine: a block that times itself (time, timeit) or counts
# bytes (tracemalloc) measures WebAssembly in the page, whose speeds and
# 32-bit object sizes are not CPython's, so what it prints and asserts about
# them is not what the book says.
NOT_IN_THE_BROWSER = frozenset(
    {
        "multiprocessing", "subprocess", "socket", "ssl", "tkinter", "turtle",
        "curses", "readline", "venv", "ensurepip", "idlelib", "webbrowser",
        "time", "timeit", "tracemalloc",
    }
)

# One highlighted block of the built HTML: the opening tag, an optional title,
# and the code.
HTML_BLOCK = re.compile(
    r'<div class="language-(?P<language>[\w-]+) highlight"(?P<attributes>[^>]*)>'
    r'(?:<span class="filename">(?P<title>.*?)</span>)?'
    r"<pre[^>]*>(?:<span></span>)?<code[^>]*>(?P<code>.*?)</code></pre>",
    re.DOTALL,
)
TAG = re.compile(r"<[^>]+>")


def _top_level_imports(tree: ast.Module) -> set[str]:
    """The modules a module imports when it is imported (not those a function
    imports when called, nor TYPE_CHECKING-only ones)."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
                if node.module == "chainrule":
                    found.update(f"chainrule.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(tree.body)
    return found


@functools.cache
def scalar_modules() -> frozenset[str]:
    """chainrule's modules that import, when imported, only the standard
    library and each other: the side of the package Pyodide can run."""
    imports = {}
    for path in sorted(PACKAGE.glob("*.py")):
        name = "chainrule" if path.stem == "__init__" else f"chainrule.{path.stem}"
        imports[name] = _top_level_imports(ast.parse(path.read_text(encoding="utf-8")))
    scalar = {name for name in imports}
    changed = True
    while changed:  # drop modules that need a dropped one, until nothing changes
        changed = False
        for name in sorted(scalar):
            for module in imports[name]:
                if module in imports:
                    ok = module in scalar
                elif module.startswith("chainrule."):
                    ok = True  # a name `from chainrule import` takes: "chainrule" is checked
                else:
                    ok = _is_browser_stdlib(module)
                if not ok:
                    scalar.discard(name)
                    changed = True
                    break
    return frozenset(scalar)


@functools.cache
def scalar_names() -> frozenset[str]:
    """Names `from chainrule import ...` can take without numpy: those the
    package's `__init__` imports eagerly from a standard-library module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in scalar_modules():
            names.update(alias.asname or alias.name for alias in node.names)
    return frozenset(names)


def _is_browser_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names and top not in NOT_IN_THE_BROWSER


def runs_in_the_browser(code: str) -> bool:
    """True if every import of `code` is standard library (one a browser tab
    can use) or chainrule's standard-library side."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                return False
            modules = [node.module]
            if node.module == "chainrule":
                for alias in node.names:
                    submodule = f"chainrule.{alias.name}"
                    if alias.name not in scalar_names() and submodule not in scalar_modules():
                        return False
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "chainrule"
            and node.attr not in scalar_names()
            and f"chainrule.{node.attr}" not in scalar_modules()
            and not node.attr.startswith("__")
        ):
            return False
        else:
            continue
        for module in modules:
            if module == "chainrule" or module.startswith("chainrule."):
                if module not in scalar_modules():
                    return False
            elif not _is_browser_stdlib(module):
                return False
    return True


@dataclass(frozen=True)
class Step:
    """One tested Python fence of a page, as the page's program runs it."""

    code: str
    continues: bool  # runs after the previous step, in its namespace
    shown: bool  # the reader sees its code (an exec block may show only output)
    runnable: bool  # it and every step before it in its chain run in a browser


def page_steps(source: Path) -> list[Step]:
    """The tested Python fences of a Markdown page in order, with their chains."""
    steps: list[Step] = []
    for fence in fences(source):
        if not fence.is_tested:
            continue
        continues = "continuation" in fence.words and bool(steps)
        runnable = runs_in_the_browser(fence.content) and (not continues or steps[-1].runnable)
        steps.append(Step(fence.content, continues, fence.shows_source, runnable))
    return steps


@dataclass(frozen=True)
class HtmlBlock:
    """One highlighted block of a built page, with where its opening tag is."""

    start: int  # offset of the opening tag's end ('>') in the page's HTML
    language: str
    title: str
    code: str


def html_blocks(page_html: str) -> list[HtmlBlock]:
    """The highlighted code blocks of a page's HTML, in order."""
    return [
        HtmlBlock(
            start=match.start("attributes"),
            language=match.group("language"),
            title=html.unescape(TAG.sub("", match.group("title") or "")),
            code=html.unescape(TAG.sub("", match.group("code"))),
        )
        for match in HTML_BLOCK.finditer(page_html)
    ]


__all__ = [
    "MARKER", "Fence", "HtmlBlock", "Step", "html_blocks", "include_targets", "make_parser",
    "page_steps", "runs_in_the_browser",
]

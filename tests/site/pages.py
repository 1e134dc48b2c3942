"""The book's pages, read two ways: as Markdown sources (the fences that
pytest-markdown-docs collects) and as built HTML (the code a reader sees).
The site tests hold one against the other."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from tests.markdown_parser import make_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots, timings, the build log
PYTHON_LANGUAGES = ("py", "python", "python3")
INCLUDE_LINE = re.compile(r'^\s*(;?)--8<--\s+"([^"]+)"\s*$')
# Pages whose blocks may import more than chainrule: the PyTorch chapter
# shows torch by design; it runs in the project's test environment instead.
NEEDS_MORE_THAN_CHAINRULE = {"part3/from-chainrule-to-pytorch.md"}


@dataclass(frozen=True)
class Fence:
    """One fenced code block of a Markdown source."""

    source: Path
    line: int  # 1-based line of the opening fence
    info: str
    content: str

    @property
    def words(self) -> list[str]:
        """The info string's words, brace form (`{.python notest}`) included."""
        info = self.info.strip()
        if info.startswith("{"):
            words = info.strip("{}").split()
            return [word[1:] if word.startswith(".") else word for word in words]
        return info.split()

    @property
    def language(self) -> str:
        return self.words[0] if self.words else ""

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_LANGUAGES

    @property
    def shows_source(self) -> bool:
        """False for a build-time (markdown-exec) block that shows only its output."""
        executed_at_build = any(word in self.words for word in ('exec="on"', 'exec="1"'))
        return not executed_at_build or any(word.startswith("source=") for word in self.words)

    @property
    def is_tested(self) -> bool:
        """What pytest-markdown-docs runs: Python fences not marked notest."""
        return self.is_python and "notest" not in self.words


def markdown_sources() -> list[Path]:
    """Every Markdown page of the book, and the README."""
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


def page_path_of(source: Path) -> str:
    """The path of the URL the build gives a page of docs/ (a Markdown file
    or a notebook): "" for the home page, "part1/chain-rule/" and so on."""
    stem = source.relative_to(DOCS).with_suffix("").as_posix()
    path = stem.removesuffix("index").removesuffix("/")
    return path + "/" if path else ""


def page_paths() -> list[str]:
    """Every page of the book, as `page_path_of` names it: one page per
    Markdown file or notebook in docs/. Known before the build, so that
    tests can be made one per page."""
    return sorted(page_path_of(source) for source in [*DOCS.rglob("*.md"), *DOCS.rglob("*.ipynb")])


def built_page(source: Path, site_dir: Path) -> Path:
    """The HTML page the build made from a page of docs/."""
    built = site_dir / page_path_of(source) / "index.html"
    assert built.is_file(), f"{source.relative_to(ROOT)}: no page {built} in the build"
    return built


def built_page_paths(site_dir: Path) -> list[str]:
    """Every page of the built site, as `page_paths` names them."""
    paths = []
    for page in built_pages(site_dir):
        folder = page.parent.relative_to(site_dir).as_posix()
        if page.name != "index.html":
            paths.append(page.relative_to(site_dir).as_posix())
        else:
            paths.append("" if folder == "." else folder + "/")
    return sorted(paths)


def fences(source: Path) -> list[Fence]:
    """Every fence of a Markdown file, at any depth of admonitions and tabs."""
    tokens = make_parser().parse(source.read_text(encoding="utf-8"))
    return [
        Fence(source, token.map[0] + 1, token.info, token.content)
        for token in tokens
        if token.type == "fence" and token.map
    ]


def include_targets(fence: Fence) -> list[str]:
    """The files a snippet-include fence pulls in (`path` or `path:section`)."""
    return [
        match.group(2)
        for line in fence.content.splitlines()
        if (match := INCLUDE_LINE.match(line)) and not match.group(1)
    ]


@dataclass(frozen=True)
class HtmlBlock:
    """One highlighted code block of a built page."""

    language: str
    title: str  # the superfences title (a file name), "" if none
    code: str


# hooks/figures.py marks the page it leaves at a moved page's old address
REDIRECT_MARK = 'name="chainrule-redirect"'


def built_pages(site_dir: Path) -> list[Path]:
    """Every HTML page of the built book (search and 404 pages, and the
    redirects left at moved pages' old addresses, aside)."""
    return sorted(
        page
        for page in site_dir.rglob("*.html")
        if (page.name == "index.html" or page.parent == site_dir and page.name != "404.html")
        and REDIRECT_MARK not in page.read_text(encoding="utf-8")[:600]
    )


def source_of(page: Path, site_dir: Path) -> Path | None:
    """The Markdown or notebook file a built page was made from."""
    relative = page.parent.relative_to(site_dir)
    stem = DOCS / relative if str(relative) != "." else DOCS / "index"
    candidates = [
        stem.with_suffix(".md") if str(relative) != "." else DOCS / "index.md",
        stem / "index.md",
        stem.with_suffix(".ipynb"),
    ]
    return next((path for path in candidates if path.is_file()), None)


@functools.cache
def html_code_blocks(page: Path) -> tuple[HtmlBlock, ...]:
    """The highlighted code blocks of a page, in order, as the reader sees
    them. Kept once read: several tests ask, and the site does not change
    during a run."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    blocks = []
    for div in soup.select("div.highlight"):
        if "doc-signature" in div.get("class", []) or div.find_parent(class_="doc-signature"):
            continue  # a signature mkdocstrings shows, not code to run
        classes = div.get("class", [])
        languages = [c[len("language-"):] for c in classes if c.startswith("language-")]
        title = div.select_one("span.filename")
        code = div.select_one("code")
        if code is None:
            continue
        blocks.append(
            HtmlBlock(
                language=languages[0] if languages else "",
                title=title.get_text() if title else "",
                code=code.get_text(),
            )
        )
    return tuple(blocks)


def runnable_blocks(page: Path) -> list[str]:
    """A built page's Python blocks, top to bottom, as a reader copies them
    into one session; code shown from src/ or listings/ (a `title`) is the
    library's own and is tested there."""
    return [
        block.code
        for block in html_code_blocks(page)
        if block.language in PYTHON_LANGUAGES and not block.title
    ]


def docstring_fences(package: Path = ROOT / "src" / "chainrule") -> list[Fence]:
    """The fences in the package's docstrings: mkdocstrings renders them on
    the API reference page, and pytest-markdown-docs runs them (src/ is
    one of the test paths)."""
    import ast
    import inspect

    found = []
    for module in sorted(package.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                docstring = ast.get_docstring(node, clean=False)
                if not docstring:
                    continue
                text = inspect.cleandoc(docstring)
                for token in make_parser().parse(text):
                    if token.type == "fence" and token.map:
                        found.append(Fence(module, token.map[0] + 1, token.info, token.content))
    return found


def run_as_reader(
    program: str, page: str, reader_python: Path, scratch: Path
) -> subprocess.CompletedProcess[str]:
    """Run a page's code (`page` relative to docs/) as one program in a fresh
    interpreter, in an empty working directory made under `scratch`: the
    reader's, with only chainrule installed, or the project's for the pages
    in NEEDS_MORE_THAN_CHAINRULE."""
    python = sys.executable if page in NEEDS_MORE_THAN_CHAINRULE else str(reader_python)
    name = page.replace("/", "__")
    script = scratch / f"{name}.py"
    script.write_text(program, encoding="utf-8")
    workdir = scratch / f"cwd-{name}"
    workdir.mkdir()
    return subprocess.run(
        [python, str(script)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )

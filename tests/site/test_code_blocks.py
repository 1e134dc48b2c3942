"""Every code block on the site is tested: the Markdown fences, held against
the blocks of the built HTML, and each built page run as one program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.site.pages import (
    DOCS,
    PYTHON_LANGUAGES,
    ROOT,
    built_page,
    docstring_fences,
    fences,
    html_code_blocks,
    include_targets,
    markdown_sources,
    run_as_reader,
    runnable_blocks,
)

SOURCES = markdown_sources()


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_no_plain_form_options(source: Path) -> None:
    """`python notest` / `python continuation` render as raw fences in
    superfences: the brace form `{.python notest}` is the one both read."""
    for fence in fences(source):
        words = fence.info.split()
        if not fence.info.strip().startswith("{") and len(words) > 1:
            assert not {"notest", "continuation"} & set(words), (
                f"{_id(source)}:{fence.line}: write {{.{words[0]} {' '.join(words[1:])}}}"
            )


@pytest.mark.parametrize("source", SOURCES, ids=_id)
def test_untested_fences_only_include_code(source: Path) -> None:
    """A notest fence holds nothing but snippet includes of files that exist,
    and its title names the file, so the reader knows where the code lives."""
    for fence in fences(source):
        if not fence.is_python or fence.is_tested:
            continue
        where = f"{_id(source)}:{fence.line}"
        targets = include_targets(fence)
        lines = [line for line in fence.content.splitlines() if line.strip()]
        assert targets and len(targets) == len(lines), f"{where}: a notest fence may only include"
        files = {target.split(":")[0] for target in targets}
        assert all((ROOT / name).is_file() for name in files), f"{where}: missing {files}"
        assert any(f'title="{name}"' in fence.info for name in files), (
            f'{where}: give the fence title="{sorted(files)[0]}"'
        )


def _expected_blocks(source: Path) -> tuple[list[str], set[str]]:
    """(the tested fences' code in order, the files included by notest fences)."""
    tested, included = [], set()
    for fence in fences(source):
        if fence.is_tested and fence.shows_source:
            tested.append(fence.content)
        elif fence.is_python:
            included |= {target.split(":")[0] for target in include_targets(fence)}
    if any(line.startswith(":::") for line in source.read_text(encoding="utf-8").splitlines()):
        tested += [fence.content for fence in docstring_fences() if fence.is_tested]
    return tested, included


MARKDOWN_PAGES = [source for source in SOURCES if source.is_relative_to(DOCS)]


@pytest.mark.parametrize("source", MARKDOWN_PAGES, ids=_id)
def test_every_python_block_in_the_html_was_executed(source: Path, site_dir: Path) -> None:
    """Each Python block of the built page is either the code of a fence
    that pytest-markdown-docs ran, or code included from a tested file. A
    block hidden from the collector (an admonition it cannot parse, say)
    shows up here as a block nobody ran."""
    tested, included = _expected_blocks(source)
    remaining = list(tested)
    problems = []
    for block in html_code_blocks(built_page(source, site_dir)):
        if block.language not in PYTHON_LANGUAGES:
            continue
        if block.title and block.title in included:
            text = (ROOT / block.title).read_text(encoding="utf-8")
            if all(line.strip() in text for line in block.code.splitlines()):
                continue
        if block.code in remaining:
            remaining.remove(block.code)
            continue
        problems.append(f"a block nobody ran:\n{block.code[:300]}")
    if remaining and source.name != "reference.md":
        problems.append(f"{len(remaining)} tested fence(s) not on the page")
    assert not problems, "\n\n".join(problems)


def test_notebook_pages_ran_without_errors(site_dir: Path) -> None:
    """Notebook pages are executed at build time (allow_errors: false); each
    code cell of the notebook is on its page, and no output is a traceback."""
    notebooks = sorted(DOCS.rglob("*.ipynb"))
    for notebook in notebooks:
        page = site_dir / notebook.relative_to(DOCS).with_suffix("") / "index.html"
        html = page.read_text(encoding="utf-8")
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code_cells = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code_cells, f"{notebook.name} has no code"
        assert "Traceback (most recent call last)" not in html
        assert html.count("jp-CodeCell") >= len(code_cells), f"{page}: cells missing"


@pytest.mark.parametrize("source", MARKDOWN_PAGES, ids=_id)
def test_each_page_runs_top_to_bottom_in_a_fresh_interpreter(
    source: Path, site_dir: Path, reader_python: Path, tmp_path: Path
) -> None:
    """What a reader who copies every block of a page into one fresh Python
    session gets: it all runs, with only chainrule installed."""
    program = "\n\n".join(runnable_blocks(built_page(source, site_dir)))
    if not program.strip():
        pytest.skip("no Python block on this page")
    relative = source.relative_to(DOCS).as_posix()
    result = run_as_reader(program, relative, reader_python, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]

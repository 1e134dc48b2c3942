"""Every chapter as a notebook (hooks/notebooks.py): each chapter page of the
built site links its .ipynb; each notebook is valid nbformat 4, keeps the
page's code in order, links to the hosted site rather than to relative
paths, and its code cells run top to bottom in a fresh interpreter with only
chainrule installed (the PyTorch chapter in the project's environment, as
in test_code_blocks). Where the cells are exactly the page's blocks, in
order, that run is test_code_blocks' top-to-bottom run of the page, and is
not made twice."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.site.pages import DOCS, built_page, fences, run_as_reader, runnable_blocks

CHAPTERS = sorted(
    path.relative_to(DOCS).as_posix()
    for part in ("part1", "part2", "part3", "part4")
    for path in (DOCS / part).glob("*.md")
)
DOWNLOAD = re.compile(r'<a href="([^"]+\.ipynb)" download="[^"]+">Download as notebook</a>')
LINK_TARGET = re.compile(r"\]\(([^)\s]+)")


def _notebook_of(site_dir: Path, chapter: str) -> Path:
    """The notebook the chapter's built page links to."""
    page = built_page(DOCS / chapter, site_dir)
    found = DOWNLOAD.search(page.read_text(encoding="utf-8"))
    assert found, f"{chapter}: no 'Download as notebook' link on the page"
    notebook = page.parent / found.group(1)
    assert notebook.is_file(), f"{chapter}: the link points to a missing {found.group(1)}"
    return notebook


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_is_valid_and_runs(
    chapter: str, site_dir: Path, reader_python: Path, tmp_path: Path
) -> None:
    path = _notebook_of(site_dir, chapter)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)

    code_cells = [cell.source for cell in notebook.cells
                  if cell.cell_type == "code" and "install" not in cell.metadata.get("tags", [])]
    tested = [f.content.rstrip("\n") for f in fences(DOCS / chapter) if f.is_tested]
    assert code_cells == tested, f"{chapter}: the notebook's code is not the page's, in order"

    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK_TARGET.findall(_prose(cell.source)):
            assert re.match(r"^(https?://|mailto:)", target), (
                f"{chapter}: a relative link {target!r} in the notebook"
            )

    if not code_cells:
        return
    page_blocks = runnable_blocks(path.parent / "index.html")
    if [cell.rstrip() for cell in code_cells] == [block.rstrip() for block in page_blocks]:
        return  # the same program test_each_page_runs_top_to_bottom runs
    result = run_as_reader("\n\n".join(code_cells) + "\n", chapter, reader_python, tmp_path)
    assert result.returncode == 0, f"{chapter}:\n{result.stderr[-2000:]}"


def _prose(markdown: str) -> str:
    """A Markdown cell without its code fences and `code` spans."""
    without_fences = re.sub(r"^\s*```.*?^\s*```", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", without_fences)


def test_the_digits_notebook_keeps_its_own_download(site_dir: Path) -> None:
    page = site_dir / "part3" / "training-on-digits" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "Download as notebook" not in html
    assert (page.parent / "training-on-digits.ipynb").is_file()


def test_the_digits_download_links_to_the_hosted_site(site_dir: Path) -> None:
    """The downloaded copy of the notebook page (written by mkdocs-jupyter,
    rewritten by hooks/notebooks.py) has no relative link, which would lead
    nowhere outside the site, and its first cell says where its links go."""
    download = site_dir / "part3" / "training-on-digits" / "training-on-digits.ipynb"
    notebook = nbformat.read(download, as_version=4)
    nbformat.validate(notebook)
    targets = [
        target
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for target in LINK_TARGET.findall(_prose(cell.source))
    ]
    assert targets, "the digits notebook's download has no links at all"
    relative = [target for target in targets if not re.match(r"^(https?://|mailto:)", target)]
    assert not relative, f"relative links in the digits notebook's download: {relative}"
    assert "Its links lead to" in notebook.cells[0].source
    assert all(cell.outputs == [] for cell in notebook.cells if cell.cell_type == "code"), (
        "the download is expected without outputs, as its first cell says"
    )

"""mkdocs hook: every chapter of the book as a Jupyter notebook.

For each Markdown page of Parts I, II and III this hook makes, at build time,
`<page>/<name>.ipynb` beside the page's HTML, and puts a "Download as
notebook" link under the page's title. The notebook is the page:

- prose becomes Markdown cells (admonitions, collapsible solutions and
  content tabs become a bold heading line and their body; links and images
  point to the hosted site, since a notebook has no neighbours);
- every tested Python fence becomes a code cell, in page order. A notebook
  runs its cells top to bottom in one namespace, which is how the tests run
  a page, so continuation chains hold; continuation cells carry the tag
  `continuation`, as the fence did;
- a titled excerpt of `src/` or `listings/` becomes Markdown: the file's
  name and the included code, as the page shows it;
- the first cell says what the code needs installed: chainrule alone, or
  chainrule and a package from EXTRA_PACKAGES (PyTorch, for the PyTorch
  chapter), in which case a code cell tagged `install` comes first and
  pip-installs whatever is missing.

The notebook page of Part III (a notebook already) keeps its own download,
the copy of its source that mkdocs-jupyter writes beside the page. Its links
are relative to the built page, which works on the site but not in a
downloaded file, so after the build this hook rewrites that copy: links
become addresses on the hosted site, and its first cell says where they lead.

tests/site/test_notebooks.py checks that each notebook is valid nbformat 4,
that its code cells (the install cell aside) are the page's and run top to
bottom, and that no download holds a relative link.
"""

from __future__ import annotations

import json
import posixpath
import re
import textwrap
from pathlib import Path
from typing import Any

import nbformat
from blocks import MARKER, ROOT, Fence, include_targets, make_parser
from instant import LOCAL_SITE_URL
from mkdocs.exceptions import PluginError

CHAPTER_SECTIONS = ("part1/", "part2/", "part3/", "part4/")
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
REFERENCE = re.compile(r"^(\s*\[[^\]^]+\]:\s+)(\S+)(.*)$")
ATTRIBUTE_LIST = re.compile(r"^\s*\{\s*[:.#][^}]*\}\s*$")
MARKER_TITLE = re.compile(r'^\s*(?:!!!|\?\?\?\+?|===[!+]?)\s*([\w-]*)[^"]*(?:"([^"]*)")?\s*$')

# Modules a chapter's code may import beyond chainrule and the numpy it brings,
# with the pip package that provides it and its name. A notebook that imports
# one says so in its first cell and gets an install cell (tagged `install`).
EXTRA_PACKAGES = {"torch": ("torch", "PyTorch")}
IMPORTED = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)

_notebooks: dict[str, tuple[str, dict[str, Any]]] = {}  # page url -> (file name, notebook)
_own_downloads: dict[str, Path] = {}  # a notebook page's url -> its source's file name


def site_url(config: Any) -> str:
    """The book's address (hooks/instant.py: the Pages workflow's
    CHAINRULE_SITE_URL, else `make serve`'s), so that a published notebook
    links to the published book."""
    url = config["site_url"]
    return url if url.endswith("/") else url + "/"


def absolute_link(target: str, page_src: str, base: str, page_url: str) -> str:
    """A Markdown link target of the page, as an address on the hosted site."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return target  # already absolute (https:, mailto:)
    if target.startswith("#"):
        return base + page_url + target
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), path))
    if resolved.endswith(".md") or resolved.endswith(".ipynb"):
        stem = resolved.rsplit(".", 1)[0]
        if stem == "index" or stem.endswith("/index"):
            stem = stem[: -len("index")]
        resolved = stem + "/" if stem and not stem.endswith("/") else stem
    return base + resolved + ("#" + anchor if anchor else "")


def absolute_url(target: str, page_url: str, base: str) -> str:
    """A link target relative to the *built* page `page_url` (as a notebook
    page's links are), as an address on the hosted site."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return target
    if target.startswith("#"):
        return base + page_url + target
    path, hash_sign, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(page_url, path))
    if resolved == ".":
        resolved = ""
    elif path.endswith("/"):
        resolved += "/"
    return base + resolved + hash_sign + anchor


def outside_code(text: str, change: Any) -> str:
    """`change` applied to Markdown text, except inside code fences and `code`."""
    lines, in_fence = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            lines.append(line)
        elif in_fence:
            lines.append(line)
        else:
            parts = re.split(r"(`[^`]*`)", line)
            lines.append("".join(part if i % 2 else change(part) for i, part in enumerate(parts)))
    return "\n".join(lines)


def where_links_lead(base: str) -> str:
    """A sentence for a downloaded notebook: where its links go."""
    if base == LOCAL_SITE_URL:
        return (
            f"Its links lead to {base}, where `make serve` shows the book on your own "
            "machine: this copy was built without the book's public address "
            "(`CHAINRULE_SITE_URL` or `site_url` in `mkdocs.yml`)."
        )
    return f"Its links lead to the book's pages at {base}."


def excerpt(target: str) -> str:
    """What a snippet include line shows: a file, a `:section` of it (between
    `--8<-- [start:name]` and `--8<-- [end:name]`), or `:first:last` lines."""
    name, *where = target.split(":")
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    if len(where) == 2 and all(part.isdigit() for part in where):
        lines = lines[int(where[0]) - 1 : int(where[1])]
    elif where:
        starts = [i for i, line in enumerate(lines) if f"[start:{where[0]}]" in line]
        ends = [i for i, line in enumerate(lines) if f"[end:{where[0]}]" in line]
        if not starts or not ends:
            raise PluginError(f"notebook: {name} has no snippet section {where[0]!r}")
        start, end = starts[0], ends[0]
        lines = lines[start + 1 : end]
    lines = [line for line in lines if "--8<-- [" not in line]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def _markdown_cell(lines: list[str], page_src: str, base: str, page_url: str) -> str:
    text = "\n".join(lines).strip("\n")

    def link(match: re.Match[str]) -> str:
        target = absolute_link(match.group(2), page_src, base, page_url)
        return match.group(1) + target + match.group(3)

    out = []
    for line in text.splitlines():
        if ATTRIBUTE_LIST.match(line):
            continue
        reference = REFERENCE.match(line)
        if reference:
            target = absolute_link(reference.group(2), page_src, base, page_url)
            line = reference.group(1) + target + reference.group(3)
        out.append(line)
    # the whole cell at once: a link's text may wrap over two lines
    return LINK.sub(link, "\n".join(out)).strip("\n")


def notebook_cells(source: Path, page_src: str, base: str, page_url: str) -> list[dict[str, Any]]:
    """The page as notebook cells, in order."""
    text = source.read_text(encoding="utf-8")
    lines = text.splitlines()
    fence_at = {
        token.map[0]: token
        for token in make_parser().parse(text)
        if token.type == "fence" and token.map
    }
    cells: list[dict[str, Any]] = []
    prose: list[str] = []
    indents: list[int] = []  # body indents of the admonitions and tabs we are in

    def flush() -> None:
        markdown = _markdown_cell(prose, page_src, base, page_url)
        if markdown:
            cells.append(nbformat.v4.new_markdown_cell(markdown))
        prose.clear()

    number = 0
    while number < len(lines):
        line = lines[number]
        indent = len(line) - len(line.lstrip(" "))
        while indents and line.strip() and indent < indents[-1]:
            indents.pop()
        body_indent = indents[-1] if indents else 0
        if number in fence_at:
            token = fence_at[number]
            flush()
            cells.append(_fence_cell(Fence(source, number + 1, token.info, token.content)))
            number = token.map[1]
            continue
        if MARKER.match(line.strip()) and indent < body_indent + 4:
            marker = MARKER_TITLE.match(line)
            kind, title = marker.groups() if marker else ("", "")
            prose.append("")
            prose.append(f"**{title or kind.capitalize()}**" if (title or kind) else "")
            prose.append("")
            indents.append(indent + 4)
        else:
            prose.append(line[body_indent:] if line[:body_indent].strip() == "" else line)
        number += 1
    flush()
    return cells


def _fence_cell(fence: Fence) -> dict[str, Any]:
    if fence.is_tested:
        cell = nbformat.v4.new_code_cell(fence.content.rstrip("\n"))
        if "continuation" in fence.words:
            cell.metadata["tags"] = ["continuation"]
        return cell
    if fence.is_python:  # a titled excerpt: snippet includes only
        targets = include_targets(fence)
        files = sorted({target.split(":")[0] for target in targets})
        code = "\n\n".join(excerpt(target) for target in targets)
        shown = ", ".join(f"`{name}`" for name in files)
        return nbformat.v4.new_markdown_cell(f"From {shown}:\n\n```python\n{code}\n```")
    language = fence.language or ""
    return nbformat.v4.new_markdown_cell(f"```{language}\n{fence.content.rstrip()}\n```")


def what_it_needs(cells: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """A sentence saying what the code cells need installed, and the pip
    packages beyond chainrule that they import (an install cell adds them)."""
    imported = {name for cell in cells if cell.cell_type == "code"
                for name in IMPORTED.findall(cell.source)}
    wanted = sorted(EXTRA_PACKAGES[name] for name in imported & EXTRA_PACKAGES.keys())
    if wanted:
        names = " and ".join(f"{title} (`{pip}`)" for pip, title in wanted)
        return (f"Its code cells run top to bottom with the `chainrule` package and {names} "
                "installed; the first code cell installs what is missing."), [p for p, _ in wanted]
    if "numpy" in imported:
        return ("Its code cells run top to bottom with only the `chainrule` package "
                "installed (it brings numpy, which they use)."), []
    return ("Its code cells run top to bottom with only the `chainrule` package installed; "
            "they use nothing else but Python's standard library."), []


def install_cell(packages: list[str]) -> dict[str, Any]:
    """A code cell that pip-installs those of `packages` that are missing."""
    code = textwrap.dedent(f"""\
        # This chapter needs more than chainrule: install what is missing.
        import importlib.util
        import subprocess
        import sys

        wanted = {json.dumps(packages)}
        missing = [name for name in wanted if importlib.util.find_spec(name) is None]
        if missing:
            subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True)""")
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["tags"] = ["install"]
    return cell


def make_notebook(source: Path, page: Any, base: str) -> dict[str, Any]:
    """The notebook of one page, valid nbformat 4 with fixed cell ids."""
    page_url = page.url
    title = page.title or source.stem
    cells = notebook_cells(source, page.file.src_uri, base, page_url)
    needs, extra = what_it_needs(cells)
    intro = (
        f"*This notebook is the chapter [{title}]({base}{page_url}) of "
        f"[Backpropagation from Scratch]({base}), made from the page when the book was built. "
        f"{needs} A cell tagged `continuation` uses the names of the cells before it. "
        f"{where_links_lead(base)}*"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(intro)]
    if extra:
        notebook.cells.append(install_cell(extra))
    notebook.cells += cells
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise PluginError(f"{source}: the notebook made from it is not valid: {error}") from error
    return notebook


def notebook_name(page: Any) -> str:
    stem = Path(page.file.src_uri).stem
    return f"{Path(page.file.src_uri).parent.name}.ipynb" if stem == "index" else f"{stem}.ipynb"


def on_pre_build(config: Any) -> None:
    _notebooks.clear()
    _own_downloads.clear()


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Make the page's notebook and link it under the title."""
    source = page.file.src_uri
    if source.startswith(CHAPTER_SECTIONS) and source.endswith(".ipynb"):
        _own_downloads[page.url] = Path(page.file.abs_dest_path).parent / Path(source).name
        return html
    if not source.startswith(CHAPTER_SECTIONS) or not source.endswith(".md"):
        return html
    name = notebook_name(page)
    notebook = make_notebook(Path(page.file.abs_src_path), page, site_url(config))
    _notebooks[page.url] = (name, notebook)
    link = (
        f'<p class="notebook-download"><a href="{name}" download="{name}">'
        "Download as notebook</a> (this page's prose and code, to run in Jupyter)</p>"
    )
    heading_end = html.find("</h1>")
    if heading_end == -1:
        return link + html
    heading_end += len("</h1>")
    return html[:heading_end] + link + html[heading_end:]


def absolute_download(notebook: Any, page_url: str, base: str) -> Any:
    """A notebook page's downloadable copy, its links made absolute and its
    first cell told where they lead."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        cell.source = outside_code(
            cell.source,
            lambda text: LINK.sub(
                lambda found: (
                    found.group(1) + absolute_url(found.group(2), page_url, base) + found.group(3)
                ),
                text,
            ),
        )
    first = notebook.cells[0]
    if first.cell_type != "markdown":
        raise PluginError(f"notebook: the first cell of {page_url} is not Markdown")
    first.source = first.source.rstrip("\n") + f"\n\n*{where_links_lead(base)}*"
    nbformat.validate(notebook)
    return notebook


def on_post_build(config: Any) -> None:
    site = Path(config["site_dir"])
    for page_url, (name, notebook) in _notebooks.items():
        target = site / page_url / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8")
    base = site_url(config)
    for page_url, download in _own_downloads.items():
        if not download.is_file():
            raise PluginError(f"notebook: mkdocs-jupyter wrote no download at {download}")
        notebook = nbformat.read(download, as_version=4)
        nbformat.write(absolute_download(notebook, page_url, base), download)

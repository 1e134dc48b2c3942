"""The Markdown parser the tests read the book with.

pytest-markdown-docs parses each page with markdown-it and collects the
fences it finds. Out of the box markdown-it does not know Material's
admonitions (``!!! note``, ``??? tip "Title"``, ``???+ ...``) or content tabs
(``=== "Title"``), so a fence inside one is an indented code block to it, and
is never run. `make_parser` teaches it both with one rule, `indented_blocks`:
a marker line, then a body indented four spaces that is read as Markdown,
exactly as Python-Markdown reads it. (mdit-py-plugins' admonition plugin
ends an admonition at two blank lines in a row, which cuts a fence with
PEP 8 spacing short, so it is not used.)
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

MARKER = re.compile(
    r"""(?:(?:!!!|\?\?\?\+?)\s+[\w-]+(?:\s+[\w-]+)*(?:\s+"[^"]*")?"""  # admonition or collapsible
    r"""|===[!+]?\s+"[^"]*")\s*$"""  # content tab
)


def indented_blocks_plugin(md: MarkdownIt) -> None:
    """Parse admonitions, collapsible blocks and content tabs: a marker line
    and a body indented four spaces, which may hold blank lines."""
    interrupts = {"alt": ["paragraph", "reference", "blockquote"]}
    md.block.ruler.before("fence", "indented_block", _indented_block, interrupts)


def _indented_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False  # an indented code block, not a marker
    if not MARKER.match(state.src[start:state.eMarks[start_line]]):
        return False
    if silent:
        return True

    body_indent = state.blkIndent + 4
    next_line = start_line + 1
    while next_line < end_line:
        if not state.isEmpty(next_line) and state.sCount[next_line] < body_indent:
            break
        next_line += 1

    saved = (state.parentType, state.lineMax, state.blkIndent)
    state.parentType = "indented_block"  # type: ignore[assignment]
    state.lineMax = next_line
    state.blkIndent = body_indent
    opening = state.push("indented_block_open", "div", 1)
    opening.map = [start_line, next_line]
    state.md.block.tokenize(state, start_line + 1, next_line)
    state.push("indented_block_close", "div", -1)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.line = next_line
    return True


def make_parser() -> MarkdownIt:
    """markdown-it reading fences at any depth of admonitions and content tabs."""
    return MarkdownIt("commonmark").use(indented_blocks_plugin)

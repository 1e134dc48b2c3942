"""The Markdown parser the tests read the book with.

pytest-markdown-docs parses each page with markdown-it and collects the
fences it finds. Out of the box markdown-it does not know Material's
admonitions (``!!!``, ``???``, ``???+``) or content tabs (``=== "Title"``),
so a fence inside one is an indented code block to it, and is never run.
`make_parser` teaches it both: the admonition plugin from mdit-py-plugins,
and `content_tabs_plugin` below, which reads a tab's indented body as
Markdown in the same way.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from mdit_py_plugins.admon import admon_plugin

TAB_MARKER = re.compile(r'===[!+]?\s+"[^"]*"\s*$')


def content_tabs_plugin(md: MarkdownIt) -> None:
    """Parse pymdownx.tabbed blocks: ``=== "Title"`` and a body indented 4 spaces."""
    md.block.ruler.before(
        "fence", "content_tab", _content_tab, {"alt": ["paragraph", "reference", "blockquote"]}
    )


def _content_tab(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False  # an indented code block, not a tab
    if not TAB_MARKER.match(state.src[start:state.eMarks[start_line]]):
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
    state.parentType = "content_tab"  # type: ignore[assignment]
    state.lineMax = next_line
    state.blkIndent = body_indent
    opening = state.push("content_tab_open", "div", 1)
    opening.map = [start_line, next_line]
    state.md.block.tokenize(state, start_line + 1, next_line)
    state.push("content_tab_close", "div", -1)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.line = next_line
    return True


def make_parser() -> MarkdownIt:
    """markdown-it reading fences at any depth of admonitions and content tabs."""
    return MarkdownIt("commonmark").use(admon_plugin).use(content_tabs_plugin)

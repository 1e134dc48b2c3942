"""mkdocs hook: a build-time (markdown-exec) block may continue the one before.

The word `continuation` in a fence's braces tells pytest-markdown-docs, and
hooks/blocks.py, which read the Markdown file, that the block runs after the
blocks before it. markdown-exec, which runs a block whose braces hold
``exec="on"`` when the site is built, copies every word it doesn't know onto
the source fence it shows, as ``continuation="None"``: that fence no longer
parses, and the page shows the code as loose paragraphs. At build time the
word has done its work (markdown-exec's ``session`` carries the names), so
this hook drops it from those fences before the page is rendered. The file
on disk keeps it, for the tests and the other hooks.
"""

from __future__ import annotations

import re
from typing import Any

# An opening fence with exec="on" in its braces, and the bare word continuation.
EXEC_CONTINUATION = re.compile(
    r'^(?P<head>[ \t]*`{3,}[ \t]*\{[^}\n]*?exec="on"[^}\n]*?)[ \t]+continuation(?=[ \t}])'
    r"|^(?P<head2>[ \t]*`{3,}[ \t]*\{[^}\n]*?)[ \t]+continuation(?=[^}\n]*?exec=\"on\")",
    re.MULTILINE,
)


def _drop_word(match: re.Match[str]) -> str:
    return match.group("head") if match.group("head") is not None else match.group("head2")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The page's Markdown with `continuation` removed from exec fences."""
    return EXEC_CONTINUATION.sub(_drop_word, markdown)

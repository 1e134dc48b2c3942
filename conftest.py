"""pytest configuration shared by the package tests and the book's pages.

pytest-markdown-docs runs the fences of docs/ and README.md; the hook below
hands it a parser that also sees fences inside admonitions and content tabs
(tests/markdown_parser.py says how).

In CI (``CI`` set), hypothesis draws its examples from a fixed seed, so a
run is reproducible: a failure there is the same failure on a laptop.
"""

import os

from hypothesis import settings
from markdown_it import MarkdownIt

from tests.markdown_parser import make_parser

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return make_parser()

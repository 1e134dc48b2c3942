"""pytest configuration shared by the package tests and the book's pages.

pytest-markdown-docs runs the fences of docs/ and README.md; this hook hands
it a parser that also sees fences inside admonitions and content tabs
(tests/markdown_parser.py says how).
"""

from markdown_it import MarkdownIt

from tests.markdown_parser import make_parser


def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return make_parser()

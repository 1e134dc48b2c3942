"""pytest configuration shared by the package tests and the book's pages.

pytest-markdown-docs runs the fences of docs/ and README.md; the hook below
hands it a parser that also sees fences inside admonitions and content tabs
(tests/markdown_parser.py says how).

Tests may leave figures for test-artifacts/ with ``record_property``
(the in-page Python start-up times): they travel with the test reports, so
they are gathered here, in the process that reports, whether pytest-xdist
spreads the tests over several processes or not.

In CI (``CI`` set), hypothesis draws its examples from a fixed seed, so a
run is reproducible: a failure there is the same failure on a laptop.
"""

import json
import os
import statistics

import pytest
from hypothesis import settings
from markdown_it import MarkdownIt

from tests.markdown_parser import make_parser
from tests.site.pages import ARTIFACTS

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return make_parser()


INPAGE_TIMINGS: dict[str, dict[str, float]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for name, value in report.user_properties:
            if name == "inpage_timing":
                INPAGE_TIMINGS[value["page"]] = {k: v for k, v in value.items() if k != "page"}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write test-artifacts/inpage-timings.json: how long the first Run of
    each Part I-II page took (Python starting included) and a second Run."""
    if hasattr(session.config, "workerinput") or not INPAGE_TIMINGS:
        return  # a pytest-xdist worker: its reports go to the main process
    ARTIFACTS.mkdir(exist_ok=True)
    pages = dict(sorted(INPAGE_TIMINGS.items()))
    summary = {
        "pages": pages,
        "median_first_run_s": statistics.median(t["first_run"] for t in pages.values()),
        "median_second_run_s": statistics.median(t["second_run"] for t in pages.values()),
    }
    (ARTIFACTS / "inpage-timings.json").write_text(json.dumps(summary, indent=2) + "\n")

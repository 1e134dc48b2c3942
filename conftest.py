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
from _pytest.nodeid import coerce_node_id
from hypothesis import settings
from markdown_it import MarkdownIt

from tests.markdown_parser import make_parser
from tests.markdown_runner import ChainRunner  # noqa: F401 (runs each block of a chain once)
from tests.site.pages import ARTIFACTS

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return make_parser()


def pytest_itemcollected(item: pytest.Item) -> None:
    """A page's blocks run in one pytest-xdist worker, in page order.

    A page may hand a result from one block to a later one through a file, as
    a reader's session would through its variables (the convolution chapter
    saves its trained models for the blocks below): those blocks must not be
    spread over two processes. `make test` runs `--dist loadgroup`.
    """
    if item.path.suffix == ".md":
        page = item.path.relative_to(item.config.rootpath).as_posix()
        item.add_marker(pytest.mark.xdist_group(page.replace("/", "-")))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give grouped tests the ``@group`` suffix that pytest-xdist 3.8 means to give.

    xdist's loadgroup scheduler groups tests by a suffix that its worker
    writes into ``item._nodeid``; pytest 9.2 keeps the id in ``item._id``, so
    the suffix is lost and the groups with it. Until xdist catches up, write
    it where pytest 9.2 reads it (only where it is missing).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is not None and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{mark.args[0]}")


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

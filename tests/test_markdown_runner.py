"""The runner that continues a page's chain of blocks from the namespace the
block above left (tests/markdown_runner.py)."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from pytest_markdown_docs.definitions import FenceTestDefinition

from tests.markdown_runner import ChainRunner

PAGE = Path("docs/page.md")


def chain(*blocks: str) -> list[FenceTestDefinition]:
    """The tests pytest-markdown-docs makes of a chain of continuation blocks:
    each holds the code of the blocks above, blank lines, then its own."""
    tests, source = [], ""
    for block in blocks:
        source = source + "\n\n" + block
        tests.append(FenceTestDefinition(source, (), 0, PAGE, None))
    return tests


def fresh() -> dict:
    return {"__name__": "fence"}


def test_each_block_of_a_chain_runs_once() -> None:
    runner = ChainRunner()
    first, second, third = chain("runs = []\nruns.append(1)\n", "runs.append(2)\n",
                                 "runs.append(3)\nassert runs == [1, 2, 3], runs\n")
    namespaces = [fresh() for _ in range(3)]
    for test, namespace in zip((first, second, third), namespaces, strict=True):
        runner.runtest(test, namespace)
    assert namespaces[0]["runs"] == [1, 2, 3]  # one namespace, carried down the chain


def test_after_a_failure_the_next_block_runs_its_whole_chain_with_the_pages_lines() -> None:
    runner = ChainRunner()
    first, second, third = chain("runs = [1]\n", "runs.append(2)\nx = 1 / 0\n",
                                 "runs.append(3)\n")
    runner.runtest(first, fresh())
    with pytest.raises(ZeroDivisionError) as error:
        runner.runtest(second, fresh())
    frame = traceback.extract_tb(error.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == (str(PAGE), second.source.count("\n"))
    with pytest.raises(ZeroDivisionError):  # no namespace kept: the whole chain again
        runner.runtest(third, fresh())


def test_a_block_of_another_page_starts_afresh() -> None:
    runner = ChainRunner()
    (first,) = chain("runs = [1]\n")
    runner.runtest(first, fresh())
    other = FenceTestDefinition(first.source + "\n\nruns.append(2)\n", (), 0,
                                Path("docs/other.md"), None)
    namespace = fresh()
    runner.runtest(other, namespace)
    assert namespace["runs"] == [1, 2]

"""Run each block of a page's chain once, as the build and a reader's session do.

pytest-markdown-docs tests a ``continuation`` fence by running the code of
every fence of its chain again, then its own: the fourth block of a chain
repeats the first three, a training run included. A page's blocks run in
one process, in page order (conftest.py keeps them together), so the
namespace a block leaves behind can be kept and the next block of the
chain run in it: each block's code then runs once, in the state the blocks
above left, as in the built page and in a reader's session, and a page can
hand a trained model down a chain of plain blocks.

A block that finds no such namespace (run alone with ``-k``, or after the
block above it failed) runs its whole chain, as the plugin does.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pytest_markdown_docs._runners import DefaultRunner, register_runner
from pytest_markdown_docs.definitions import FenceTestDefinition


@register_runner(default=True)
class ChainRunner(DefaultRunner):
    """The plugin's runner, continuing from the namespace of the block above."""

    def __init__(self) -> None:
        # (page, the code run so far, the namespace it left), after a block passed
        self.kept: tuple[Path, str, dict[str, Any]] | None = None

    def runtest(self, test: FenceTestDefinition, args: dict[str, Any], **kwargs: Any) -> None:
        kept, self.kept = self.kept, None  # a failure below leaves nothing to continue from
        if kept and kept[0] == test.source_path and test.source.startswith(kept[1]) \
                and len(test.source) > len(kept[1]):
            done, namespace = kept[1], kept[2]
            namespace.update(args)  # this block's fixtures, if it asks for any
            # blank lines for the code already run, so that line numbers stay the page's
            own = "\n" * done.count("\n") + test.source[len(done):]
            test_to_run = dataclasses.replace(test, source=own)
        else:
            namespace, test_to_run = args, test
        super().runtest(test_to_run, namespace, **kwargs)
        self.kept = (test.source_path, test.source, namespace)

"""Every program in listings/ runs to the end in a fresh interpreter.

The listings are the longer programs the book shows, including deliberately
wrong versions that assert their own wrongness; a listing that stops
demonstrating what the book says it does fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LISTINGS = sorted((ROOT / "listings").rglob("*.py"))


def test_there_are_listings() -> None:
    assert LISTINGS, "listings/ holds no program"


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_listing_runs(listing: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(listing)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]

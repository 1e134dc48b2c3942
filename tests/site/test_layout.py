"""How the book looks, measured in Chromium over every page: code fits the
column, text in pictures is big enough to read, pictures are captioned.

The thresholds are the third edition's (issue 20): at most 5% of code blocks
scroll sideways at 1280 px; at most 5% of the text in plots and diagrams is
under 11 px at 1280 px or under 9 px at 390 px (a figure scrolls rather than
shrinks on a phone); at least 90% of pictures have a caption. The counts
come from tests/site/layout.py, which also prints them page by page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.site.layout import PHONE, WIDE, Counts, measure, share
from tests.site.pages import built_page_paths

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def counts(chromium, site_dir: Path, site_url: str) -> dict[int, Counts]:  # type: ignore[no-untyped-def]
    """The whole book's counts at the two widths (test_browser.py checks
    that the built pages are the book's)."""
    totals = {WIDE: Counts(), PHONE: Counts()}
    for path in built_page_paths(site_dir):
        for width in totals:
            totals[width] += measure(chromium, site_url + path, width)
    return totals


def test_code_fits_the_column_at_1280_px(counts: dict[int, Counts]) -> None:
    wide = counts[WIDE]
    assert wide.code_blocks > 400, "the pages' code blocks were not found"
    assert wide.code_scrolling <= 0.05 * wide.code_blocks, (
        f"code blocks scrolling sideways at 1280 px: {share(wide.code_scrolling, wide.code_blocks)}"
    )


@pytest.mark.parametrize("width", [WIDE, PHONE])
def test_text_in_pictures_is_big_enough(counts: dict[int, Counts], width: int) -> None:
    at = counts[width]
    assert at.picture_texts > 300, "the text of the plots and diagrams was not found"
    assert at.small_texts <= 0.05 * at.picture_texts, (
        f"picture text too small at {width} px: {share(at.small_texts, at.picture_texts)}"
    )


def test_pictures_are_captioned(counts: dict[int, Counts]) -> None:
    wide = counts[WIDE]
    assert wide.pictures > 40, "the pictures were not found"
    assert wide.captioned >= 0.9 * wide.pictures, (
        f"captioned pictures: {share(wide.captioned, wide.pictures)}"
    )


def test_a_moved_page_sends_the_reader_on(chromium, site_dir: Path, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The optimizers chapter's old address (and a section in it) still
    leads to it."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(site_url + "part3/optimizers-and-initialization/#momentum")
    page.wait_for_url("**/part3/optimizers/#momentum")
    assert page.locator("h1").first.inner_text().startswith("Optimizers")
    context.close()

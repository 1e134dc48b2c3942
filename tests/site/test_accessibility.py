"""Accessibility: axe-core checks every page of the built book in light and
in dark mode, inside `test_page_is_drawn_offline_and_accessible`
(tests/site/test_browser.py), where each page is opened once for all its
checks. This file holds the guard that shows that check can fail.

axe-core comes bundled in `axe-playwright-python`, so nothing is fetched.
Fixes live in docs/assets/stylesheets/accessibility.css (colours, underlined
links) and docs/assets/javascripts/accessibility.js (names and keyboard access
the theme has no setting for).
"""

from __future__ import annotations

import pytest

from tests.site.browser import open_page, serious_violations, switch_scheme, wait_until_drawn

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_the_check_can_fail(chromium, site_url: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    """A guard: a faint grey paragraph and a nameless link are caught, in
    either colour scheme."""
    context, page, _ = open_page(chromium, site_url + "licence/", wait_until="load")
    wait_until_drawn(page)
    switch_scheme(page, scheme)
    faint = "#d0d0d0" if scheme == "default" else "#3a3a3a"
    page.evaluate(
        "faint => { const p = document.createElement('p'); p.textContent = 'faint';"
        " p.style.color = faint;"
        " const a = document.createElement('a'); a.href = '#';"
        " document.querySelector('.md-content').append(p, a); }",
        faint,
    )
    ids = " ".join(serious_violations(page))
    assert "color-contrast" in ids and "link-name" in ids
    context.close()

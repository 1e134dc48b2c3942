"""Every page of the built book, checked by axe-core in light and in dark
mode: no serious or critical violation of WCAG 2 A/AA.

axe-core comes bundled in `axe-playwright-python`, so nothing is fetched.
Fixes live in docs/assets/stylesheets/accessibility.css (colours, underlined
links) and docs/assets/javascripts/accessibility.js (names and keyboard access
the theme has no setting for).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python import sync_playwright as axe_api

from tests.site.test_browser import (  # noqa: F401  (browser: a fixture)
    _open,
    _page_urls,
    _wait_until_drawn,
    _wait_until_transitions_end,
    browser,
)

pytestmark = pytest.mark.browser
SERIOUS = ("serious", "critical")
SCHEME = "() => document.body.getAttribute('data-md-color-scheme')"


def _serious_violations(page, axe) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings on the page as it is now.
    axe is put into a page once (it keeps nothing between runs), not once a
    run as `Axe.run` does: a second scheme on the same page reuses it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe.axe_script)
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{violation['id']} ({len(violation['nodes'])}x): {violation['nodes'][0]['html'][:120]}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]


def test_every_page_passes_axe_in_light_and_dark(browser, site_dir: Path, site_url: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    axe = axe_api.Axe()
    urls = _page_urls(site_dir, site_url)
    assert len(urls) > 5
    problems = []
    checked = 0
    for url in urls:
        context, page, _ = _open(browser, url, wait_until="load", color_scheme="light")
        _wait_until_drawn(page)
        for scheme in ("default", "slate"):
            if page.evaluate(SCHEME) != scheme:  # the theme's own toggle
                page.locator("form[data-md-component=palette] label:visible").first.click()
                # the theme marks the body while it switches (and holds its
                # colour transitions still); then any transition still running ends
                page.wait_for_function(
                    f"() => ({SCHEME})() === '{scheme}'"
                    " && !document.body.hasAttribute('data-md-color-switching')"
                )
                _wait_until_transitions_end(page)
            where = f"{url.removeprefix(site_url) or 'home'} [{scheme}]"
            problems += [f"{where}: {v}" for v in _serious_violations(page, axe)]
            checked += 1
        context.close()
    assert checked == 2 * len(urls)
    assert not problems, "\n".join(problems)


def test_the_check_can_fail(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A guard: a faint grey paragraph and a nameless link are caught."""
    axe = axe_api.Axe()
    context, page, _ = _open(browser, site_url, wait_until="load")
    _wait_until_drawn(page)
    page.evaluate(
        "() => { const p = document.createElement('p'); p.textContent = 'faint';"
        " p.style.color = '#d0d0d0'; p.style.background = '#ffffff';"
        " const a = document.createElement('a'); a.href = '#';"
        " document.querySelector('.md-content').append(p, a); }"
    )
    ids = " ".join(_serious_violations(page, axe))
    assert "color-contrast" in ids and "link-name" in ids
    context.close()

"""Accessibility: axe-core checks every page of the built book in light and
in dark mode, inside `test_page_is_drawn_offline_and_accessible`
(tests/site/test_browser.py), where each page is opened once for all its
checks. This file holds the guards: that check can fail, and checking one
element of each group of contrast twins finds what checking every element
finds.

axe-core comes bundled in `axe-playwright-python`, so nothing is fetched.
Fixes live in docs/assets/stylesheets/accessibility.css (colours, underlined
links) and docs/assets/javascripts/accessibility.js (names and keyboard access
the theme has no setting for).
"""

from __future__ import annotations

import pytest

from tests.site.browser import (
    axe_findings,
    open_page,
    serious_violations,
    switch_scheme,
    wait_until_drawn,
)

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


# Three faults a twin could hide: a code token made faint (no longer a twin of
# its fellows); a faint span half over a grey box behind it, which axe leaves
# undecided, ahead of a faint twin in the open, which fails; and one faint
# letter, which axe's own rule leaves undecided.
FAULTS = """(faint) => {
  const token = [...document.querySelectorAll('.md-content pre code span.n')]
    .filter((span) => span.checkVisibility() && span.textContent.length > 2)[3];
  token.style.color = faint;
  const text = (words) => `<span style="position: relative; color: ${faint}">${words}</span>`;
  const overlapped = document.createElement('p');
  overlapped.style.position = 'relative';
  overlapped.innerHTML = '<span style="position: absolute; left: 0; top: 0; width: 6em;'
    + ' height: 1.5em; background: #808080; display: block"></span>'
    + text('words half over a grey box');
  const open = document.createElement('p');
  open.innerHTML = text('words in the open') + ' and ' + text('x');
  document.querySelector('.md-content').append(overlapped, open);
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_twins_find_what_every_element_finds(chromium, site_url: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    """On a page of code and math with three faults put in, the check of one
    element of each group of twins reports the same rules, with the same
    counts, as axe run on every element; and it did skip twins, and did
    check again the twins of an undecided first element."""
    context, page, _ = open_page(chromium, site_url + "part1/", wait_until="load")
    wait_until_drawn(page)
    switch_scheme(page, scheme)
    page.evaluate(FAULTS, "#c8c8c8" if scheme == "default" else "#444444")

    with_twins = axe_findings(page)
    every_element = axe_findings(page, every_element=True)
    context.close()

    def counts(findings: dict) -> dict[str, int]:
        return {v["id"]: v["count"] for v in findings["violations"]}

    assert counts(with_twins) == counts(every_element)
    assert counts(with_twins)["color-contrast"] == 2  # the token, the open words
    assert with_twins["twins"] > with_twins["texts"] / 2
    assert with_twins["rechecked"] >= 1

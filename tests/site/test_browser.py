"""The book in a real browser: headless Chromium driven by Playwright.

Playwright's own browser download does not work on these machines, so the
tests launch the system's Chromium (Debian's `chromium` package, which
`make test` installs where it can). Every page must load with no console
error and no request leaving 127.0.0.1; math and diagrams must be rendered;
the copy button and the palette toggle must work.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.site.browser import (
    SCHEME,
    open_page,
    serious_violations,
    switch_scheme,
    wait_until_drawn,
)
from tests.site.pages import ARTIFACTS, built_page_paths, page_paths

PAGES = page_paths()


@pytest.fixture()
def browser(chromium):  # type: ignore[no-untyped-def]
    """The system Chromium, launched by the site tests' `chromium` fixture."""
    return chromium


def test_every_built_page_is_checked(site_dir: Path) -> None:
    """The pages below are known from docs/ before the build; the build
    made exactly those, so none escapes the check."""
    assert built_page_paths(site_dir) == PAGES


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "home")
def test_page_is_drawn_offline_and_accessible(browser, site_url: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """One page, as a reader opens it: math and diagrams drawn, no raw TeX,
    no console error, no request beyond 127.0.0.1; then axe-core, in light
    mode and, after the theme's toggle, in dark mode: no serious or
    critical violation of WCAG 2 A/AA (tests/site/test_accessibility.py
    shows the check can fail)."""
    context, page, record = open_page(browser, site_url + path, wait_until="load",
                                      color_scheme="light")
    problems = []
    try:
        wait_until_drawn(page)
    except PlaywrightTimeout:
        problems.append("math or diagrams not drawn within 30 s")
    unrendered_math = page.locator(".arithmatex:not(:has(.katex))").count()
    if unrendered_math:
        problems.append(f"{unrendered_math} math element(s) left as raw TeX")
    raw_delimiters = page.evaluate(
        "() => [...document.querySelectorAll('.md-content p, .md-content li')]"
        ".filter(e => !e.closest('.katex, code, pre'))"
        ".some(e => /\\\\\\(|\\\\\\[|\\$\\$/.test(e.textContent))"
    )
    if raw_delimiters:
        problems.append("raw TeX delimiters show in the text")
    for scheme in ("default", "slate"):
        switch_scheme(page, scheme)
        problems += [f"axe [{scheme}]: {v}" for v in serious_violations(page)]
    # Checked last, so that a request made late (by a script, a font, the
    # search index) during the seconds above is caught too.
    if record["errors"]:
        problems.append(f"console errors {record['errors'][:3]}")
    if record["foreign"]:
        problems.append(f"requests leaving 127.0.0.1 {record['foreign'][:3]}")
    context.close()
    assert not problems, "\n".join(problems)


def test_copy_button_copies_the_code(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = open_page(
        browser,
        site_url + "part1/derivatives/",
        permissions=["clipboard-read", "clipboard-write"],
    )
    block = page.locator("div.language-python.highlight >> visible=true").first
    block.hover()
    block.locator("button[data-md-type=copy]").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == block.locator("code").inner_text().strip()
    context.close()


def test_palette_toggle_switches_light_and_dark(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, _ = open_page(
        browser,
        site_url + "part1/chain-rule/",
        color_scheme="light",
        viewport={"width": 1280, "height": 900},
    )
    assert page.evaluate(SCHEME) == "default"
    page.screenshot(path=str(ARTIFACTS / "chain-rule-light.png"), full_page=True)
    switch_scheme(page, "slate")  # by the theme's toggle; waits until it is dark
    page.screenshot(path=str(ARTIFACTS / "chain-rule-dark.png"), full_page=True)
    context.close()


def test_code_annotations_become_markers(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The home page's `# (1)!` comments turn into clickable annotation markers."""
    context, page, _ = open_page(browser, site_url)
    markers = page.locator("div.language-python .md-annotation")
    assert markers.count() == 2
    assert "# (1)!" not in page.locator("div.language-python code").first.inner_text()
    context.close()


def test_notebook_page_links_its_download(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The notebook chapter offers its .ipynb, and the link resolves."""
    context, page, _ = open_page(browser, site_url + "part3/training-on-digits/")
    link = page.locator("a[href$='.ipynb']").first
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.status == 200
    assert '"cells"' in response.text()
    context.close()


def test_licence_page_links_the_third_party_notice(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The Licences page links the notice the build writes for the npm code
    the site serves: Pyodide (MPL-2.0) and the CodeMirror editor (MIT)."""
    context, page, _ = open_page(browser, site_url + "licence/")
    content = page.locator(".md-content").inner_text()
    assert "Pyodide" in content and "MPL-2.0" in content and "CodeMirror" in content
    link = page.locator("a[href$='THIRD-PARTY-LICENCES.txt']")
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.status == 200
    notice = response.text()
    assert re.search(r"^pyodide [\d.]+: MPL-2\.0$", notice, re.MULTILINE), notice[:300]
    assert re.search(r"^@codemirror/view [\d.]+: MIT$", notice, re.MULTILINE), notice[:300]
    context.close()

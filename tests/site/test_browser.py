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
from urllib.parse import urlparse

import pytest

from tests.site.pages import ROOT, built_pages

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser(chromium):  # type: ignore[no-untyped-def]
    """The system Chromium, launched by the site tests' `chromium` fixture."""
    return chromium


def _page_urls(site_dir: Path, site_url: str) -> list[str]:
    return [
        site_url + str(page.parent.relative_to(site_dir)).removeprefix(".") + "/"
        if page.name == "index.html"
        else site_url + page.name
        for page in built_pages(site_dir)
    ]


def _open(browser, url: str, wait_until: str = "networkidle", **context_options):  # type: ignore[no-untyped-def]
    """Open `url` and record console errors, page errors and foreign requests.
    By default wait until the network is quiet (so a late request is seen);
    `wait_until="load"` returns at the load event, for `_wait_until_drawn`."""
    context = browser.new_context(**context_options)
    # Material draws each Mermaid diagram into a closed shadow root; opening
    # it lets the test look inside for the SVG the diagram became.
    context.add_init_script(
        "const attach = Element.prototype.attachShadow;"
        "Element.prototype.attachShadow = function (init) {"
        "  return attach.call(this, { ...init, mode: 'open' }); };"
    )
    page = context.new_page()
    record = {"errors": [], "foreign": []}
    page.on("console", lambda m: m.type == "error" and record["errors"].append(m.text))
    page.on("pageerror", lambda e: record["errors"].append(str(e)))

    def check_request(request) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            record["foreign"].append(request.url)

    page.on("request", check_request)
    page.goto(url, wait_until=wait_until)
    return context, page, record


# What the reader sees once a page is drawn: KaTeX has rendered the math,
# each Mermaid diagram is an SVG, the fonts are in.
DRAWN = (
    "() => document.readyState === 'complete'"
    " && [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))"
    " && [...document.querySelectorAll('.mermaid')].every("
    "e => e.shadowRoot && e.shadowRoot.querySelector('svg g'))"
)


def _wait_until_drawn(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(DRAWN, timeout=30_000)
    page.evaluate("() => document.fonts.ready.then(() => null)")


def _wait_until_transitions_end(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the CSS transitions and finite animations running now to
    finish (a fixed sleep only guesses); getAnimations() flushes style, so
    the transitions a change just set off are among them."""
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map(a => a.finished.catch(() => null))).then(() => null)"
    )


def test_every_page_loads_clean_and_offline(browser, site_dir: Path, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """No console error, no request beyond 127.0.0.1, math and diagrams rendered."""
    problems = []
    urls = _page_urls(site_dir, site_url)
    assert len(urls) > 5
    for url in urls:
        context, page, record = _open(browser, url)
        page.wait_for_timeout(100)
        where = url.removeprefix(site_url) or "home"
        if record["errors"]:
            problems.append(f"{where}: console errors {record['errors'][:3]}")
        if record["foreign"]:
            problems.append(f"{where}: requests leaving localhost {record['foreign'][:3]}")
        unrendered_math = page.locator(".arithmatex:not(:has(.katex))").count()
        if unrendered_math:
            problems.append(f"{where}: {unrendered_math} math element(s) left as raw TeX")
        raw_delimiters = page.evaluate(
            "() => [...document.querySelectorAll('.md-content p, .md-content li')]"
            ".filter(e => !e.closest('.katex, code, pre'))"
            ".some(e => /\\\\\\(|\\\\\\[|\\$\\$/.test(e.textContent))"
        )
        if raw_delimiters:
            problems.append(f"{where}: raw TeX delimiters show in the text")
        diagrams = page.locator(".mermaid").count()
        if diagrams:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.mermaid')].every("
                "e => e.shadowRoot && e.shadowRoot.querySelector('svg g'))",
                timeout=15000,
            )
        context.close()
    assert not problems, "\n".join(problems)


def test_copy_button_copies_the_code(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = _open(
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
    context, page, _ = _open(
        browser,
        site_url + "part1/chain-rule/",
        color_scheme="light",
        viewport={"width": 1280, "height": 900},
    )
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.screenshot(path=str(ARTIFACTS / "chain-rule-light.png"), full_page=True)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(f"() => ({scheme})() === 'slate'")
    page.screenshot(path=str(ARTIFACTS / "chain-rule-dark.png"), full_page=True)
    context.close()


def test_code_annotations_become_markers(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The home page's `# (1)!` comments turn into clickable annotation markers."""
    context, page, _ = _open(browser, site_url)
    markers = page.locator("div.language-python .md-annotation")
    assert markers.count() == 2
    assert "# (1)!" not in page.locator("div.language-python code").first.inner_text()
    context.close()


def test_notebook_page_links_its_download(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The notebook chapter offers its .ipynb, and the link resolves."""
    context, page, _ = _open(browser, site_url + "part3/training-on-digits/")
    link = page.locator("a[href$='.ipynb']").first
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.status == 200
    assert '"cells"' in response.text()
    context.close()


def test_licence_page_links_the_third_party_notice(browser, site_url: str) -> None:  # type: ignore[no-untyped-def]
    """The Licences page links the notice the build writes for the npm code
    the site serves: Pyodide (MPL-2.0) and the CodeMirror editor (MIT)."""
    context, page, _ = _open(browser, site_url + "licence/")
    content = page.locator(".md-content").inner_text()
    assert "Pyodide" in content and "MPL-2.0" in content and "CodeMirror" in content
    link = page.locator("a[href$='THIRD-PARTY-LICENCES.txt']")
    response = page.request.get(link.evaluate("a => a.href"))
    assert response.status == 200
    notice = response.text()
    assert re.search(r"^pyodide [\d.]+: MPL-2\.0$", notice, re.MULTILINE), notice[:300]
    assert re.search(r"^@codemirror/view [\d.]+: MIT$", notice, re.MULTILINE), notice[:300]
    context.close()

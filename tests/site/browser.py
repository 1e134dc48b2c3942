"""Driving the built book in headless Chromium: open a page with its console
errors and outside requests recorded, wait until it is drawn, switch its
colour scheme, ask axe-core what it finds. Used by every browser test."""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python import sync_playwright as axe_api

# Requests that stay on this machine: the local server, and the browser's own data.
_LOCAL_STARTS = r"https?://127\.0\.0\.1[:/]|data:|blob:|file:|about:"
LOCAL = re.compile(f"^({_LOCAL_STARTS})")
# Every other request, as a pattern the browser side matches, so that local
# requests are never held up waiting for Python to let them through.
NOT_LOCAL = re.compile(f"^(?!{_LOCAL_STARTS})")

# Material draws each Mermaid diagram into a closed shadow root; opening it
# lets a test look inside for the SVG the diagram became.
OPEN_SHADOW_ROOTS = (
    "const attach = Element.prototype.attachShadow;"
    "Element.prototype.attachShadow = function (init) {"
    "  return attach.call(this, { ...init, mode: 'open' }); };"
)

# What the reader sees once a page is drawn: KaTeX has rendered the math,
# each Mermaid diagram is an SVG.
DRAWN = (
    "() => document.readyState === 'complete'"
    " && [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))"
    " && [...document.querySelectorAll('.mermaid')].every("
    "e => e.shadowRoot && e.shadowRoot.querySelector('svg g'))"
)
SCHEME = "() => document.body.getAttribute('data-md-color-scheme')"
SERIOUS = ("serious", "critical")
AXE_RUN = (Path(__file__).parent / "axe_run.js").read_text(encoding="utf-8")


def open_page(browser, url: str, wait_until: str = "networkidle", refuse_foreign: bool = False,  # type: ignore[no-untyped-def]
              **context_options):
    """Open `url` in a fresh browser context; returns (context, page, record).
    `record["requests"]` lists every URL asked for (the page's workers'
    requests included), `record["foreign"]` those that would leave
    127.0.0.1, `record["errors"]` console and page errors. With
    `refuse_foreign` the network stops at 127.0.0.1: foreign requests fail
    as they would offline. `wait_until="load"` returns at the load event,
    for `wait_until_drawn`; the default also waits for a quiet network."""
    context = browser.new_context(**context_options)
    context.add_init_script(OPEN_SHADOW_ROOTS)
    record: dict[str, list[str]] = {"requests": [], "foreign": [], "errors": []}

    def note(request) -> None:  # type: ignore[no-untyped-def]
        record["requests"].append(request.url)
        if not LOCAL.match(request.url) and not refuse_foreign:
            record["foreign"].append(request.url)

    def refuse(route) -> None:  # type: ignore[no-untyped-def]
        record["foreign"].append(route.request.url)
        route.abort("internetdisconnected")

    context.on("request", note)
    if refuse_foreign:
        context.route(NOT_LOCAL, refuse)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and record["errors"].append(m.text))
    page.on("pageerror", lambda e: record["errors"].append(str(e)))
    page.goto(url, wait_until=wait_until)
    return context, page, record


def wait_until_drawn(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the math and the diagrams, then for the fonts."""
    page.wait_for_function(DRAWN, timeout=30_000)
    page.evaluate("() => document.fonts.ready.then(() => null)")


def wait_until_transitions_end(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the CSS transitions and finite animations running now to
    finish (a fixed sleep only guesses); getAnimations() flushes style, so
    the transitions a change just set off are among them."""
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map(a => a.finished.catch(() => null))).then(() => null)"
    )


def switch_scheme(page, scheme: str) -> None:  # type: ignore[no-untyped-def]
    """Switch to `scheme` ("default" or "slate") with the theme's own
    toggle, as a reader does, and wait until the colours have settled."""
    if page.evaluate(SCHEME) == scheme:
        return
    page.locator("form[data-md-component=palette] label:visible").first.click()
    # the theme marks the body while it switches (holding its colour
    # transitions still); then any transition still running ends
    page.wait_for_function(
        f"() => ({SCHEME})() === '{scheme}'"
        " && !document.body.hasAttribute('data-md-color-switching')"
    )
    wait_until_transitions_end(page)


def axe_findings(page, every_element: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Run axe-core's default rules (WCAG 2 A/AA and best practice) on the
    page as it is now: {violations: [{id, impact, count, html}], texts,
    twins, rechecked}.

    axe's color-contrast rule costs about 2 ms a text element, and a chapter
    has up to 7,000 of them, mostly code tokens and typeset math that repeat
    a few styles: it was 80% of axe's time. So by default it checks one
    element of each group of twins, elements whose contrast inputs are all
    the same, and checks the rest of a group whose first element axe left
    undecided (tests/site/axe_run.js says how); a failing element's count
    includes its twins. `every_element=True` runs axe plainly, for the guard
    that shows both ways find the same (tests/site/test_accessibility.py).

    axe comes bundled in axe-playwright-python, so nothing is fetched; it is
    put into a page once (it keeps nothing between runs)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_api.Axe().axe_script)
    return page.evaluate(AXE_RUN, every_element)


def serious_violations(page, every_element: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical findings, one line a rule."""
    return [
        f"{violation['id']} ({violation['count']}x): {violation['html'][:120]}"
        for violation in axe_findings(page, every_element)["violations"]
        if violation["impact"] in SERIOUS
    ]

"""What in-page Python costs a reader: bytes and seconds on the first Run.

Serves a built site on 127.0.0.1 (every other request refused), opens each
page of Parts I and II in headless Chromium (Debian's), and runs the page's
first runnable block in three visits. Records

- the bytes the first Run fetched (everything asked for after the click:
  the worker, Pyodide, the standard library, chainrule's zip), raw and as
  gzip would send them (GitHub Pages compresses; `python -m http.server`
  does not);
- cold, no warning: a new browser profile, the pointer lands on Run and
  clicks at once; the time from the click to the block's output (Python
  started, the package unpacked, the block run), over loopback;
- cold, with intent: a new profile, the pointer rests on Run for
  INTENT_LEAD_S before the click (inpage.js starts Python on the hover);
- second page: the same visit goes on to the next page by a link, as a
  reader does, and clicks its first Run at once: the HTTP cache is warm,
  but a page load means a new worker (the theme's instant navigation,
  which would keep it, is off: see docs/performance.md);
- the time of a second Run of the same block (Python already loaded).

Usage: python benchmarks/bench_inpage.py [SITE_DIR [RESULTS_DIR]]
(default: site/, from `make build`, and benchmarks/results/). Writes
inpage.json and inpage.md there (docs/performance.md includes the latter);
another RESULTS_DIR keeps a comparison run (an older site, say) apart.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import http.server
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
# How long a reader's pointer rests on Run before the click: a deliberate
# point-and-click takes about half a second from arrival to press.
INTENT_LEAD_S = 0.5


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def part_pages(site: Path) -> list[str]:
    """Part I-II chapter pages that have a runnable block."""
    pages = []
    for part in ("part1", "part2"):
        for html in sorted((site / part).glob("*/index.html")):
            if "data-inpage-step" in html.read_text(encoding="utf-8"):
                pages.append(html.parent.relative_to(site).as_posix())
    return pages


@functools.cache
def sizes(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=6))


def new_context(browser):  # type: ignore[no-untyped-def]
    """A fresh browser profile (empty cache) that may only reach 127.0.0.1;
    returns it with the list of URLs it asks for."""
    context = browser.new_context()
    requested: list[str] = []

    def route(route) -> None:  # type: ignore[no-untyped-def]
        requested.append(route.request.url)
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    return context, requested


def run_first_block(page, lead_s: float = 0.0) -> float:  # type: ignore[no-untyped-def]
    """Point at the page's first Run button, wait `lead_s`, click; returns
    the seconds from the click to the block's output, as inpage.js times them."""
    # a figure's code is folded under it: unfold it, as the reader who runs it does
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    step = page.locator("[data-inpage-step]").first.get_attribute("data-inpage-step")
    page.evaluate(f"document.querySelector('[data-inpage-step=\"{step}\"]').scrollIntoView()")
    output = page.locator(f'.inpage-output[data-inpage-for="{step}"]')
    run = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"] button').first
    run.hover()
    if lead_s:
        page.wait_for_timeout(lead_s * 1000)
    page.evaluate(f"document.querySelector('.inpage-output[data-inpage-for=\"{step}\"]')"
                  ".removeAttribute('data-state')")
    run.click()
    output.and_(page.locator("[data-state]")).wait_for(timeout=120_000)
    assert output.get_attribute("data-state") == "ok", output.inner_text()
    return float(output.get_attribute("data-seconds"))


def follow_link(page, address: str) -> None:  # type: ignore[no-untyped-def]
    """Go to `address` as a reader does, by clicking a link to it (the
    navigation's), so the theme's instant navigation, if on, handles it."""
    path = urlparse(address).path
    page.evaluate(
        "path => { const content = document.querySelector('.md-content');"
        " content.dataset.left = 'yes'; const a = document.createElement('a'); a.href = path;"
        " content.append(a); a.click(); }", path)
    page.wait_for_url(address)
    # the new page's buttons, once inpage.js has set it up (instant or not)
    page.locator(".md-content:not([data-left]) .inpage-toolbar").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")


def fetched_bytes(site: Path, urls: list[str]) -> tuple[int, int, list[str]]:
    """Raw and gzip bytes of the site files among `urls`, and their paths."""
    fetched = sorted({urlparse(url).path for url in urls})
    raw = compressed = 0
    for path in fetched:
        file = site / path.lstrip("/")
        if file.is_file():
            size, packed = sizes(file)
            raw, compressed = raw + size, compressed + packed
    return raw, compressed, fetched


def measure_page(browser, base: str, site: Path, page_name: str,  # type: ignore[no-untyped-def]
                 next_page: str) -> dict:
    # cold, no warning; then a second Run of the same block
    context, requested = new_context(browser)
    page = context.new_page()
    page.goto(base + page_name + "/", wait_until="networkidle")
    before = len(requested)
    cold = run_first_block(page)
    second = run_first_block(page)
    raw, compressed, fetched = fetched_bytes(site, requested[before:])
    context.close()
    # cold, with the pointer resting on Run first; then the next page
    context, requested = new_context(browser)
    page = context.new_page()
    page.goto(base + page_name + "/", wait_until="networkidle")
    before = len(requested)
    intent = run_first_block(page, INTENT_LEAD_S)
    follow_link(page, base + next_page + "/")
    following = run_first_block(page)
    context.close()
    return {"first_run_s": cold, "first_run_after_intent_s": intent,
            "second_page_first_run_s": following, "second_run_s": second,
            "raw_bytes": raw, "gzip_bytes": compressed, "files": fetched}


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "site").resolve()
    results_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    load_before = os.getloadavg()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pages = part_pages(site)
        for page_name, next_page in zip(pages, pages[1:] + pages[:1], strict=True):
            started = time.perf_counter()
            result = results[page_name] = measure_page(browser, base, site, page_name, next_page)
            print(f"{page_name}: first run {result['first_run_s']:.2f} s cold, "
                  f"{result['first_run_after_intent_s']:.2f} s after intent, "
                  f"{result['second_page_first_run_s']:.2f} s on the next page; "
                  f"second run {result['second_run_s'] * 1000:.0f} ms "
                  f"({time.perf_counter() - started:.1f} s)")
        browser.close()
    server.shutdown()
    def column(key: str) -> list[float]:
        return [r[key] for r in results.values()]

    first, second = column("first_run_s"), column("second_run_s")
    summary = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()} host, Chromium headless",
        # other work on the machine slows Pyodide's start: say how busy it was
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "pages": results,
        "median_first_run_s": statistics.median(first),
        "max_first_run_s": max(first),
        "intent_lead_s": INTENT_LEAD_S,
        "median_first_run_after_intent_s": statistics.median(column("first_run_after_intent_s")),
        "median_second_page_first_run_s": statistics.median(column("second_page_first_run_s")),
        "median_second_run_s": statistics.median(second),
        "first_run_raw_bytes": max(r["raw_bytes"] for r in results.values()),
        "first_run_gzip_bytes": max(r["gzip_bytes"] for r in results.values()),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "inpage.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    mb = 1_000_000
    table = [
        f"*{len(results)} pages of Parts I and II, the first runnable block of each; "
        f"served from 127.0.0.1 by `python -m http.server`, headless Chromium; "
        f"{summary['machine']}; load average {summary['load_average_1min'][0]} before and "
        f"{summary['load_average_1min'][1]} after (other work shared the machine); "
        f"measured {summary['date']} by `python benchmarks/bench_inpage.py`.*",
        "",
        "| in-page Python | measured |",
        "| --- | ---: |",
        f"| bytes fetched by the first Run, raw | {summary['first_run_raw_bytes'] / mb:.1f} MB |",
        f"| the same, gzip-compressed (as GitHub Pages sends them) "
        f"| {summary['first_run_gzip_bytes'] / mb:.1f} MB |",
        f"| click to output, first Run (median over the pages) "
        f"| {summary['median_first_run_s']:.2f} s |",
        f"| click to output, first Run (slowest page) | {summary['max_first_run_s']:.2f} s |",
        f"| the same, the pointer resting on Run {INTENT_LEAD_S} s before the click "
        f"(Python starts on the hover; median) "
        f"| {summary['median_first_run_after_intent_s']:.2f} s |",
        f"| click to output, first Run on the visit's second page (warm cache, "
        f"new worker; median) | {summary['median_second_page_first_run_s']:.2f} s |",
        f"| a second Run of the same block (median) "
        f"| {summary['median_second_run_s'] * 1000:.0f} ms |",
        "",
    ]
    (results_dir / "inpage.md").write_text("\n".join(table), encoding="utf-8")
    print("\n".join(table))


if __name__ == "__main__":
    main()

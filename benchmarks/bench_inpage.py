"""What in-page Python costs a reader: bytes and seconds on the first Run.

Serves a built site on 127.0.0.1 (every other request refused), opens each
page of Parts I and II in headless Chromium (Debian's), and presses Run on
the page's first runnable block, then once more. Records

- the bytes the first Run fetched (everything asked for after the click:
  the worker, Pyodide, the standard library, chainrule's zip), raw and as
  gzip would send them (GitHub Pages compresses; `python -m http.server`
  does not);
- the time from the click to the block's output (Python started, the
  package unpacked, the block run), over loopback;
- the time of a second Run of the same block (Python already loaded).

Usage: python benchmarks/bench_inpage.py [SITE_DIR]   (default: site/, from `make build`)
Writes benchmarks/results/inpage.json and inpage.md (included by docs/performance.md).
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


def measure_page(browser, base: str, site: Path, page_name: str) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    requested: list[str] = []

    def route(route) -> None:  # type: ignore[no-untyped-def]
        requested.append(route.request.url)
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(base + page_name + "/", wait_until="networkidle")
    before = len(requested)
    first = page.locator("[data-inpage-step]").first
    step = first.get_attribute("data-inpage-step")
    page.evaluate(f"document.querySelector('[data-inpage-step=\"{step}\"]').scrollIntoView()")
    output = page.locator(f'.inpage-output[data-inpage-for="{step}"]')
    run = page.locator(f'.inpage-toolbar[data-inpage-for="{step}"] button').first
    runs = []
    for _ in range(2):
        run.click()
        output.and_(page.locator("[data-state]")).wait_for(timeout=120_000)
        assert output.get_attribute("data-state") == "ok", output.inner_text()
        runs.append(float(output.get_attribute("data-seconds")))
    fetched = sorted({urlparse(url).path for url in requested[before:]})
    raw = compressed = 0
    for path in fetched:
        file = site / path.lstrip("/")
        if file.is_file():
            size, packed = sizes(file)
            raw, compressed = raw + size, compressed + packed
    context.close()
    return {"first_run_s": runs[0], "second_run_s": runs[1], "raw_bytes": raw,
            "gzip_bytes": compressed, "files": fetched}


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "site").resolve()
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    load_before = os.getloadavg()[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for page_name in part_pages(site):
            started = time.perf_counter()
            results[page_name] = measure_page(browser, base, site, page_name)
            print(f"{page_name}: {results[page_name]['first_run_s']:.2f} s first run, "
                  f"{results[page_name]['second_run_s'] * 1000:.0f} ms second "
                  f"({time.perf_counter() - started:.1f} s)")
        browser.close()
    server.shutdown()
    first = [r["first_run_s"] for r in results.values()]
    second = [r["second_run_s"] for r in results.values()]
    summary = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()} host, Chromium headless",
        # other work on the machine slows Pyodide's start: say how busy it was
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "pages": results,
        "median_first_run_s": statistics.median(first),
        "max_first_run_s": max(first),
        "median_second_run_s": statistics.median(second),
        "first_run_raw_bytes": max(r["raw_bytes"] for r in results.values()),
        "first_run_gzip_bytes": max(r["gzip_bytes"] for r in results.values()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "inpage.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
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
        f"| a second Run of the same block (median) "
        f"| {summary['median_second_run_s'] * 1000:.0f} ms |",
        "",
    ]
    (RESULTS / "inpage.md").write_text("\n".join(table), encoding="utf-8")
    print("\n".join(table))


if __name__ == "__main__":
    main()

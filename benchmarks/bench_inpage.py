"""What in-page Python costs a reader: bytes and seconds on the first Run.

Serves a built site on 127.0.0.1 (every other request refused), opens each
page of Parts I and II in headless Chromium (Debian's), and runs the page's
first runnable block in three visits. Records

- the bytes the first Run fetched (everything asked for after the click:
  the worker, Pyodide, the standard library, chainrule's zip), raw and as
  as gzip would send them (what a host that compresses every file sends;
  `python -m http.server` does not compress);
- cold, no warning: a new browser profile, the pointer lands on Run and
  clicks at once; the time from the click to the block's output (Python
  started, the package unpacked, the block run), over loopback;
- cold, with intent: a new profile, the pointer rests on Run for
  INTENT_LEAD_S before the click (inpage.js starts Python on the hover);
- second page: the same visit goes on to the next page by a link, as a
  reader does, and clicks its first Run at once: the theme's instant
  navigation swaps the page in, and the worker started on the first page
  runs it (hooks/instant.py; the server's sitemap names its own port);
- the time of a second Run of the same block (Python already loaded);
- warm cache: the page loaded again in a profile that ran it once (a
  reload, or the book opened again later): a new worker, the files from
  the HTTP cache; the first Run's time and the bytes its start still
  fetched over the network;
- where a cold start's time goes: the worker's phases (import pyodide.mjs,
  loadPyodide with its fetches, WebAssembly compile and snapshot restore,
  chainrule's zip, the runner, the preload) and each file's fetch, as the
  worker's own clock and resource timing give them;
- every block: one more visit per page runs every runnable block in page
  order, as a reader going down the page does (and as
  tests/site/test_inpage_python.py does), each timed from its click to its
  output; the slowest block, and how many take more than BLOCK_GOAL_S.

Usage: python benchmarks/bench_inpage.py [SITE_DIR [RESULTS_DIR]]
(default: site/, from `make build`, and benchmarks/results/). Writes
inpage.json, inpage.md and inpage-startup.md there (docs/performance.md
includes the two tables);
another RESULTS_DIR keeps a comparison run (an older site, say) apart.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the browser test's way of running a page's blocks in turn, reused
from tests.site.test_inpage_python import (  # noqa: E402
    RUN_IN_TURN,
    chain_codes,
    follow_link,
    known_differences,
    open_all_details,
    program_of,
)

sys.path.insert(0, str(ROOT / "hooks"))
from instant import served  # noqa: E402  (the built site on 127.0.0.1, its sitemap on that port)

RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
# How long a reader's pointer rests on Run before the click: a deliberate
# point-and-click takes about half a second from arrival to press.
INTENT_LEAD_S = 0.5
BLOCK_GOAL_S = 5.0  # issue 21: every block answers within 5 s in the page


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
    open_all_details(page)  # a figure's code is folded under it, as the reader who runs it finds it
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


def startup_profile(page) -> dict:  # type: ignore[no-untyped-def]
    """The worker's account of its start: {phases: {name: ms}, fetches:
    {file: {start, end, bytes}}} (inpage-worker.js, init())."""
    worker = next(w for w in page.workers if "inpage-worker" in w.url)
    return worker.evaluate("self.inpageStartup")


def run_every_block(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run every runnable block of the open page in page order, each by its
    Run button; [{step, state, seconds}], seconds from click to output. A
    block that stops with an error must be one the in-page tests know to
    differ from CPython (KNOWN_TO_DIFFER); its reason is recorded."""
    steps, marked = program_of(page.content())
    open_all_details(page)
    outcomes = page.evaluate(RUN_IN_TURN, [marked, 300_000])
    blocks = []
    for step, outcome in zip(marked, outcomes, strict=True):
        block = {"step": step, "state": outcome["state"], "seconds": outcome["seconds"]}
        if outcome["state"] != "ok":
            reasons = known_differences(chain_codes(steps, step))
            assert reasons, f"block of step {step} failed in the page: {outcome}"
            block["known_to_differ"] = reasons[0]
        blocks.append(block)
    return blocks


def first_run_with_warm_cache(browser, address: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """A reader who comes back: the page loaded anew (a reload, or the book
    opened again later) in a profile that has run Python once, so a new
    worker, but the files in the HTTP cache. Returns the first Run's seconds
    and the bytes its start fetched over the network (0 for a file the cache
    held). The profile is a real one, on disk, as a reader's browser has: a
    new context is an off-the-record profile, whose cache in memory keeps no
    file as large as the runtime. Playwright switches the HTTP cache off in
    a profile that routes requests, so this one does not route; the built
    site asks no other host (the browser tests check that)."""
    with tempfile.TemporaryDirectory() as profile:
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            return _run_twice(context, address)
        finally:
            context.close()


def _run_twice(context, address: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(address, wait_until="networkidle")
    run_first_block(page)
    page.goto(address, wait_until="networkidle")
    seconds = run_first_block(page)
    fetches = startup_profile(page)["fetches"].values()
    return seconds, sum(fetch["transferred"] for fetch in fetches)


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
    profile = startup_profile(page)
    second = run_first_block(page)
    raw, compressed, fetched = fetched_bytes(site, requested[before:])
    context.close()
    # cold, with the pointer resting on Run first; then the next page
    context, requested = new_context(browser)
    page = context.new_page()
    page.goto(base + page_name + "/", wait_until="networkidle")
    before = len(requested)
    intent = run_first_block(page, INTENT_LEAD_S)
    follow_link(page, base, site, next_page + "/")  # as a reader does: instant navigation
    page.wait_for_load_state("networkidle")
    following = run_first_block(page)
    context.close()
    reloaded, reloaded_bytes = first_run_with_warm_cache(browser, base + page_name + "/")
    # every block, in page order, in one more cold visit
    context, _ = new_context(browser)
    page = context.new_page()
    page.goto(base + page_name + "/", wait_until="networkidle")
    blocks = run_every_block(page)
    context.close()
    return {"first_run_s": cold, "first_run_after_intent_s": intent,
            "second_page_first_run_s": following, "second_run_s": second,
            "warm_cache_first_run_s": reloaded, "warm_cache_transferred_bytes": reloaded_bytes,
            "raw_bytes": raw, "gzip_bytes": compressed, "files": fetched,
            "startup": profile, "blocks": blocks}


def unhashed(name: str) -> str:
    """A site file's name without its content hash: snapshot-*.bin."""
    return re.sub(r"-[0-9a-f]{12}\.", "-*.", name)


def startup_summary(results: dict) -> dict:
    """Medians over the pages of each start-up phase (ms), of the whole
    start-up, and of each file's fetch (start and end, ms after the worker's
    set-up began)."""
    phases: dict[str, list[float]] = {}
    fetches: dict[str, list[tuple[int, int, int]]] = {}
    totals = []
    for result in results.values():
        profile = result["startup"]
        for name, ms in profile["phases"].items():
            phases.setdefault(name, []).append(ms)
        for name, fetch in profile["fetches"].items():
            fetches.setdefault(unhashed(name), []).append(
                (fetch["start"], fetch["end"], fetch["bytes"]))
        totals.append(sum(profile["phases"].values()))
    return {
        "phases_ms": {name: statistics.median(ms) for name, ms in phases.items()},
        "fetches_ms": {
            name: {"start": statistics.median(f[0] for f in found),
                   "end": statistics.median(f[1] for f in found),
                   "bytes": max(f[2] for f in found)}
            for name, found in sorted(fetches.items(), key=lambda item: item[1][0][0])
        },
        "total_ms": statistics.median(totals),
    }


def blocks_summary(results: dict) -> dict:
    """The slowest block of all the pages, and how many exceed BLOCK_GOAL_S."""
    blocks = [(name, number, block) for name, result in results.items()
              for number, block in enumerate(result["blocks"], start=1)]
    name, number, slowest = max(blocks, key=lambda item: item[2]["seconds"])
    return {
        "blocks": len(blocks),
        "slowest_block": {"page": name, "block": number, "step": slowest["step"],
                          "seconds": slowest["seconds"]},
        "blocks_over_goal": sum(block["seconds"] > BLOCK_GOAL_S for _, _, block in blocks),
        "blocks_failed": [f"{name}, block {number}: {block['known_to_differ']}"
                          for name, number, block in blocks if block["state"] != "ok"],
    }


def startup_table(summary: dict) -> str:
    """Markdown: where the cold first Run's time goes."""
    startup = summary["startup"]
    lines = [
        f"*Where the cold first Run's time goes: medians over the same {len(summary['pages'])} "
        f"pages and runs as the table above (cold, no warning), from the worker's own clock "
        f"(phases, in order) and its resource timing (each file's fetch, in ms from the "
        f"start of the worker's set-up).*",
        "",
        "| phase of the cold first Run | median |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {ms:.0f} ms |" for name, ms in startup["phases_ms"].items()]
    lines += [
        f"| the whole start-up | {startup['total_ms']:.0f} ms |",
        "",
        "| file fetched by the worker | bytes over the wire | fetched from, to |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| `{name}` | {f['bytes'] / 1_000_000:.2f} MB | {f['start']:.0f}–{f['end']:.0f} ms |"
              for name, f in startup["fetches_ms"].items()]
    lines.append(f"| the snapshot once the worker has inflated it "
                 f"| {startup['snapshot_inflated_bytes'] / 1_000_000:.2f} MB | |")
    return "\n".join(lines) + "\n"


def inflated_snapshot_bytes(site: Path) -> int:
    """The size of the site's memory snapshot as the worker restores it
    (the build gzips it; inpage-worker.js inflates it)."""
    (snapshot,) = (site / "assets" / "inpage").glob("snapshot-*")
    data = snapshot.read_bytes()
    return len(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "site").resolve()
    results_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS
    results = {}
    load_before = os.getloadavg()[0]
    with served(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pages = part_pages(site)
        for page_name, next_page in zip(pages, pages[1:] + pages[:1], strict=True):
            started = time.perf_counter()
            result = results[page_name] = measure_page(browser, base, site, page_name, next_page)
            print(f"{page_name}: first run {result['first_run_s']:.2f} s cold, "
                  f"{result['first_run_after_intent_s']:.2f} s after intent, "
                  f"{result['second_page_first_run_s']:.2f} s on the next page; "
                  f"second run {result['second_run_s'] * 1000:.0f} ms; "
                  f"slowest of {len(result['blocks'])} blocks "
                  f"{max(b['seconds'] for b in result['blocks']):.2f} s "
                  f"({time.perf_counter() - started:.1f} s)")
        browser.close()
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
        "median_warm_cache_first_run_s": statistics.median(column("warm_cache_first_run_s")),
        "warm_cache_transferred_bytes": max(column("warm_cache_transferred_bytes")),
        "median_second_run_s": statistics.median(second),
        "first_run_raw_bytes": max(r["raw_bytes"] for r in results.values()),
        "first_run_gzip_bytes": max(r["gzip_bytes"] for r in results.values()),
        "startup": {**startup_summary(results),
                    "snapshot_inflated_bytes": inflated_snapshot_bytes(site)},
        **blocks_summary(results),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "inpage.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    mb = 1_000_000
    table = [
        f"*{len(results)} pages of Parts I and II, the first runnable block of each "
        f"(the last three rows: every runnable block); "
        f"served from 127.0.0.1 by `python -m http.server`, headless Chromium; "
        f"{summary['machine']}; load average {summary['load_average_1min'][0]} before and "
        f"{summary['load_average_1min'][1]} after (the browser's own work included); "
        f"measured {summary['date']} by `python benchmarks/bench_inpage.py`.*",
        "",
        "| in-page Python | measured |",
        "| --- | ---: |",
        f"| bytes fetched by the first Run, raw | {summary['first_run_raw_bytes'] / mb:.1f} MB |",
        f"| the same, gzip-compressed (what a host that compresses every file sends) "
        f"| {summary['first_run_gzip_bytes'] / mb:.1f} MB |",
        f"| click to output, first Run (median over the pages) "
        f"| {summary['median_first_run_s']:.2f} s |",
        f"| click to output, first Run (slowest page) | {summary['max_first_run_s']:.2f} s |",
        f"| the same, the pointer resting on Run {INTENT_LEAD_S} s before the click "
        f"(Python starts on the hover; median) "
        f"| {summary['median_first_run_after_intent_s']:.2f} s |",
        f"| click to output, first Run on the visit's second page (reached by a link, "
        f"the same worker; median) | {summary['median_second_page_first_run_s']:.2f} s |",
        f"| click to output, first Run when the page is loaded again in a browser that "
        f"ran it before (a reload: a new worker, the files from the HTTP cache; median) "
        f"| {summary['median_warm_cache_first_run_s']:.2f} s |",
        f"| bytes the worker fetched over the network on that reload (most) "
        f"| {summary['warm_cache_transferred_bytes'] / mb:.2f} MB |",
        f"| a second Run of the same block (median) "
        f"| {summary['median_second_run_s'] * 1000:.0f} ms |",
        f"| every runnable block run in page order ({summary['blocks']} blocks): the slowest, "
        f"click to output | {summary['slowest_block']['seconds']:.2f} s "
        f"({summary['slowest_block']['page']}, block {summary['slowest_block']['block']}) |",
        f"| blocks taking more than {BLOCK_GOAL_S:.0f} s | {summary['blocks_over_goal']} |",
        f"| blocks that stop with an error in the page (each one a block the in-page tests "
        f"list as known to differ from CPython, with the reason) "
        f"| {len(summary['blocks_failed'])}"
        f"{' (' + '; '.join(summary['blocks_failed']) + ')' if summary['blocks_failed'] else ''} |",
        "",
    ]
    (results_dir / "inpage.md").write_text("\n".join(table), encoding="utf-8")
    (results_dir / "inpage-startup.md").write_text(startup_table(summary), encoding="utf-8")
    print("\n".join(table))
    print(startup_table(summary))


if __name__ == "__main__":
    main()

"""Fixtures for the tests of the built site: the site itself, a reader's
interpreter, and a local web server."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.site.browser import open_page
from tests.site.pages import ARTIFACTS, ROOT

sys.path.insert(0, str(ROOT / "hooks"))
from instant import served  # noqa: E402


@pytest.fixture(scope="session")
def site_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site.

    `make test` sets `CHAINRULE_SITE_DIR` and `CHAINRULE_BUILD_SITE=1`: the
    first test process that needs the site builds it there, with --strict,
    while the other goes on with tests that do not need it (the build runs
    on one core; this keeps the other busy). With `CHAINRULE_SITE_DIR`
    alone, the site already there is used; with neither, a fresh strict
    build is made here."""
    given = os.environ.get("CHAINRULE_SITE_DIR")
    if given and os.environ.get("CHAINRULE_BUILD_SITE"):
        return _build_once_per_run(Path(given).resolve(), request.config)
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"CHAINRULE_SITE_DIR={given} holds no built site"
        return path
    path = tmp_path_factory.mktemp("site")
    subprocess.run(_build_command(path), cwd=ROOT, check=True)
    return path


def _build_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(path)]


def _build_once_per_run(path: Path, config: pytest.Config) -> Path:
    """Build the site into `path` unless another process of this test run
    (pytest-xdist) already has; the others wait on a lock meanwhile. The
    build's output goes to test-artifacts/site-build.log."""
    run = getattr(config, "workerinput", {}).get("testrunuid") or f"pid-{os.getpid()}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "site-build.log"
    stamp = ARTIFACTS / "site-build.run"  # "<run> <exit code>" of the last build
    with open(ARTIFACTS / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = stamp.read_text().split() if stamp.is_file() else []
        if built[:1] != [run]:
            started = time.monotonic()
            with open(log, "w") as output:
                code = subprocess.run(
                    _build_command(path), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
                ).returncode
                output.write(f"\nmkdocs build --strict took {time.monotonic() - started:.0f} s\n")
            built = [run, str(code)]
            stamp.write_text(" ".join(built))
    if built[1] != "0":
        pytest.fail(f"mkdocs build --strict failed:\n{log.read_text()[-3000:]}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def reader_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter with only chainrule (and its dependency numpy) installed,
    as a reader who runs `pip install chainrule` has. make test keeps one in
    `.venv-reader`; without it, one is made here."""
    given = os.environ.get("CHAINRULE_READER_PYTHON")
    if given:
        return Path(given).absolute()
    env_dir = tmp_path_factory.mktemp("reader-venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(ROOT)], check=True
    )
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "numpy"], check=True)
    return python


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 at a free port, its sitemap naming
    that port's pages, so that the theme's instant navigation works there."""
    with served(site_dir) as address:
        yield address


# ---------------------------------------------------------------- the browser
# Playwright drives the system's Chromium (Debian's package): Playwright's own
# browser download does not work on these machines.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium, or a clear message saying how to get one."""
    import shutil

    candidates = [os.environ.get("CHAINRULE_CHROMIUM"), "/usr/bin/chromium"]
    candidates.append(shutil.which("chromium"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "No Chromium found. Install Debian's package (`sudo apt-get install chromium`) "
        "or set CHAINRULE_CHROMIUM to a Chromium binary.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Chromium, one per test process (pytest-xdist runs two)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture()
def offline_page(chromium):  # type: ignore[no-untyped-def]
    """Open a URL in a fresh browser context whose network stops at
    127.0.0.1: every other request is refused (and recorded). Returns
    `open(url, wait_until="networkidle", **context_options) -> (page, record)`,
    with `record` as `tests.site.browser.open_page` keeps it."""
    contexts = []

    def open_offline(url: str, wait_until: str = "networkidle", **context_options):  # type: ignore[no-untyped-def]
        context, page, record = open_page(
            chromium, url, wait_until=wait_until, refuse_foreign=True, **context_options
        )
        contexts.append(context)
        return page, record

    yield open_offline
    for context in contexts:
        context.close()

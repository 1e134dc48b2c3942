"""Fixtures for the tests of the built site: the site itself, a reader's
interpreter, and a local web server."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: `CHAINRULE_SITE_DIR` (make test builds it just before
    pytest, with --strict) or else a fresh strict build made here."""
    given = os.environ.get("CHAINRULE_SITE_DIR")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"CHAINRULE_SITE_DIR={given} holds no built site"
        return path
    path = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(path)],
        cwd=ROOT,
        check=True,
    )
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 at a free port."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()

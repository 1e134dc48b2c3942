"""`make serve` sends caching headers (hooks/serve_caching.py).

The requests go to mkdocs' own development server application (the one
`mkdocs serve` runs), wrapped by the hooks that mkdocs.yml names, through
mkdocs' plugin machinery: what a reader's browser meets.
"""

from __future__ import annotations

import wsgiref.util
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.livereload import LiveReloadServer

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = "assets/inpage/snapshot-0123456789ab.bin.gzipped"
RUNTIME = "assets/inpage/pyodide/pyodide.asm.wasm"


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    """(get, site): `get(path, **headers)` asks the served `site` directory
    for `path` and returns (status, headers, body)."""
    files = [(SNAPSHOT, b"memory"), (RUNTIME, b"\0asm"), ("index.html", b"<body></body>")]
    for name, data in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    config = load_config(str(ROOT / "mkdocs.yml"))
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    server = config.plugins.on_serve(server, config=config, builder=lambda: None)
    app = server.get_app()

    def get(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
        environ = {"PATH_INFO": "/" + path, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
        wsgiref.util.setup_testing_defaults(environ)
        answer: dict[str, object] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]
            answer["status"], answer["headers"] = status, dict(response_headers)

        body = b"".join(app(environ, start_response))
        return answer["status"], answer["headers"], body  # type: ignore[return-value]

    yield get, tmp_path
    server.server_close()


def test_a_file_named_by_its_hash_is_cached_for_good(served) -> None:  # type: ignore[no-untyped-def]
    get, _ = served
    status, headers, body = get(SNAPSHOT)
    assert status.startswith("200") and body == b"memory"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_other_files_revalidate_with_an_etag(served) -> None:  # type: ignore[no-untyped-def]
    get, site = served
    status, headers, body = get(RUNTIME)
    assert status.startswith("200") and body == b"\0asm"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Type"] == "application/wasm"
    etag = headers["ETag"]
    # the browser holds this version: no bytes, one round trip
    status, headers, body = get(RUNTIME, if_none_match=etag)
    assert status.startswith("304") and body == b"" and headers["ETag"] == etag
    # a rebuild changes the file: a new tag, the new bytes
    (site / RUNTIME).write_bytes(b"\0asm, upgraded")
    status, headers, body = get(RUNTIME, if_none_match=etag)
    assert status.startswith("200") and body == b"\0asm, upgraded"
    assert headers["ETag"] != etag


def test_pages_and_missing_files_are_left_alone(served) -> None:  # type: ignore[no-untyped-def]
    get, _ = served
    status, headers, _ = get("index.html")
    assert status.startswith("200") and "ETag" not in headers and "Cache-Control" not in headers
    status, headers, _ = get("assets/inpage/nothing-here.js")
    assert status.startswith("404") and "Cache-Control" not in headers

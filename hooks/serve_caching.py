"""mkdocs hook: caching headers for `make serve` (`mkdocs serve`).

MkDocs' development server sends no caching headers at all, so a browser
asks again for every file on every page load: among them the 45 MB that
in-page Python needs. This hook wraps the server's WSGI application and adds
what `docs/performance.md` asks a static host to send:

- a file whose name carries a hash of its content (chainrule's zip and the
  memory snapshot under `assets/inpage/`, the theme's `bundle.<hash>.min.js`
  and `main.<hash>.min.css`) never changes under its name:
  `Cache-Control: public, max-age=31536000, immutable`;
- any other file except a page: `Cache-Control: no-cache` with an `ETag`
  (a hash of the content), and `304 Not Modified` when the browser already
  holds that version: one round trip instead of the bytes;
- pages (`.html`) are left alone: the server injects its live-reload script
  into them, so their bytes are not the file's.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Any

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# chainrule-0123456789ab.zip, snapshot-0123456789ab.bin.gzipped (hooks/inpage_python.py);
# bundle.a5f9d56c.min.js, main.342714a4.min.css (the theme's own hashes)
HASHED_NAME = re.compile(r"(?:-[0-9a-f]{12}|\.[0-9a-f]{8})\.[a-z][a-z.]*$")

_etags: dict[tuple[str, int, int], str] = {}  # (path, mtime_ns, size) -> ETag


def etag_of(path: str) -> str:
    """A strong ETag for the file's current content, hashed once per version."""
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _etags:
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
        _etags[key] = f'"{digest.hexdigest()[:32]}"'
    return _etags[key]


def served_file(root: str, mount_path: str, url_path: str) -> str | None:
    """The file under `root` that the server sends for `url_path`, as
    mkdocs' server maps it, or None for a page, a directory or no file."""
    if not (url_path + "/").startswith(mount_path) or url_path.endswith(("/", ".html")):
        return None
    relative = posixpath.normpath("/" + url_path[len(mount_path):]).lstrip("/")
    path = os.path.join(root, relative)
    return path if os.path.isfile(path) else None


def with_caching(app: Callable[..., Iterable[bytes]], root: str, mount_path: str
                 ) -> Callable[..., Iterable[bytes]]:
    """`app` (mkdocs' WSGI application) with the caching headers above."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        url_path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "ignore")
        not_modified = False

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal not_modified
            path = served_file(root, mount_path, url_path) if status.startswith("200") else None
            if path is not None and HASHED_NAME.search(path):
                headers = [*headers, ("Cache-Control", IMMUTABLE)]
            elif path is not None:
                etag = etag_of(path)
                if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
                    not_modified = True
                    status = "304 Not Modified"
                    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers = [*headers, ("Cache-Control", REVALIDATE), ("ETag", etag)]
            return start_response(status, headers, exc_info)

        body = app(environ, start)
        if not_modified:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return []
        return body

    return application


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    server.set_app(with_caching(server.get_app(), server.root, server.mount_path))
    return server

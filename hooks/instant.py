"""mkdocs hook: the theme's instant navigation (`navigation.instant` in
mkdocs.yml), which lets one in-page Python serve a whole visit.

With it, Material handles a click on a link itself: it fetches the page,
swaps the content in and keeps the scripts running, so the worker that
runs the book's Python (assets/javascripts/inpage.js) lives on. It does
this only for a link whose address its sitemap lists, and the sitemap
lists pages only when `site_url` is set. Two things need the build's help:

- `site_url` is the book's address: `CHAINRULE_SITE_URL` when the Pages
  workflow sets it, else `LOCAL_SITE_URL`, where `make serve` shows the
  book (`mkdocs serve` sets its own address anyway). The notebooks link to
  the same address (hooks/notebooks.py).
- On a page opened from a file (file://) the theme's instant navigation
  does nothing, and yet, switched on, it ends the theme's `document$`
  before the page is ready, so nothing that waits for it runs: not the
  math, not the diagrams, not the Run buttons. A small script before the
  theme's bundle takes the feature out of such a page's configuration.

`served` is for the tests and the benchmarks: a built site on 127.0.0.1 at
a free port, its sitemap naming that server's addresses. (Material matches
a link against the sitemap with the link's protocol and host name, but the
sitemap's port, so the build's own address would not do.)
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

LOCAL_SITE_URL = "http://127.0.0.1:8000/"
BUNDLE = re.compile(r'<script src="[^"]*assets/javascripts/bundle\.\w+\.min\.js"></script>')
# Runs before the theme's bundle reads its configuration (#__config).
OFF_ON_FILES = (
    '<script>if (location.protocol === "file:") {'
    ' const element = document.getElementById("__config");'
    " const config = JSON.parse(element.textContent);"
    ' config.features = config.features.filter((name) => !name.startsWith("navigation.instant"));'
    " element.textContent = JSON.stringify(config); }</script>\n"
)
CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)"')


def on_config(config: Any) -> Any:
    # mkdocs.yml reads site_url from CHAINRULE_SITE_URL; unset, or empty (as
    # the Pages workflow leaves it on a pull request), it is the local address
    if not config.site_url:
        config.site_url = LOCAL_SITE_URL
    return config


def on_post_page(output: str, page: Any, config: Any) -> str:
    """Put the file:// switch just before the theme's bundle."""
    found = BUNDLE.search(output)
    if found is None:
        raise PluginError(f"{page.file.src_uri}: no theme bundle to put the file:// switch before")
    return output[: found.start()] + OFF_ON_FILES + output[found.start() :]


def sitemap_for(site: Path, address: str) -> bytes:
    """The site's sitemap.xml with the address it was built for (its home
    page's canonical link) replaced by `address`."""
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    built_for = CANONICAL.search((site / "index.html").read_text(encoding="utf-8"))
    if built_for:
        sitemap = sitemap.replace(f"<loc>{built_for.group(1)}", f"<loc>{address}")
    return sitemap.encode("utf-8")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site, quietly; its sitemap names this server's pages."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        if self.path.split("?")[0] != "/sitemap.xml":
            return super().do_GET()
        body = self.server.sitemap  # type: ignore[attr-defined]  (set by `served`)
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve the built `site` on 127.0.0.1 at a free port; yields its address."""
    handler = functools.partial(_SiteHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    address = f"http://127.0.0.1:{server.server_address[1]}/"
    server.sitemap = sitemap_for(site, address)  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()

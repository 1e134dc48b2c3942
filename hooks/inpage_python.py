"""mkdocs hook: Run buttons on the Python blocks of Parts I and II.

At build time, for each page of Parts I and II, this hook

- finds the page's tested Python fences and their continuation chains
  (`blocks.page_steps`), decides from the code which can run in a browser
  (standard library and chainrule's standard-library side only), and marks
  those blocks of the HTML with `data-inpage-step`; titled excerpts of
  `src/` or `listings/` files are never marked;
- writes the page's program into `<template id="inpage-python">`, which
  `assets/javascripts/inpage.js` reads to add Run, Edit, Reset and Stop.

After the build it copies into the site, under `assets/inpage/`:

- the Pyodide runtime from the npm package `pyodide` (pinned in
  `hooks/web/package.json`; `npm ci` checks the tarball against the sha512
  in `hooks/web/package-lock.json`), so no page ever asks a CDN for it;
- the CodeMirror 6 editor, bundled by `hooks/web/build.mjs`;
- `chainrule-<hash>.zip`, the package's modules straight from `src/`, so the
  page runs exactly the code the tests test;
- `snapshot-<hash>.bin.gzipped`, Pyodide's memory with the interpreter
  started and chainrule imported (made by `hooks/web/snapshot.mjs` under
  Node.js, kept in `hooks/web/dist/` until the package or Pyodide changes):
  the worker restores it instead of starting Python, which is most of a
  first Run. Two thirds of its bytes are zeros, so it ships gzipped (31 MB
  becomes 7), under a suffix no web server maps to a Content-Encoding
  (`.gz` may be sent as `Content-Encoding: gzip`, and the browser would then
  inflate it before the worker sees it; the worker copes with that too).

None of these is fetched on page load: inpage.js asks for Pyodide when the
reader shows the intent to run (the pointer or the focus on a Run button)
and for the editor on the first Edit.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from blocks import PACKAGE, ROOT, html_blocks, page_steps
from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

RUNNABLE_SECTIONS = ("part1/", "part2/")
WEB = ROOT / "hooks" / "web"
PYODIDE = WEB / "node_modules" / "pyodide"
EDITOR_BUNDLE = WEB / "dist" / "editor.js"
SNAPSHOT_SCRIPT = WEB / "snapshot.mjs"
SNAPSHOTS = WEB / "dist" / "snapshots"  # made once per package and Pyodide version
SNAPSHOT_FORMAT = ".bin.gzipped"  # see the module's docstring
PYODIDE_FILES = (
    "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"
)
ASSETS = "assets/inpage/"
INSTALL_HINT = "run `make build` (or: npm ci --prefix hooks/web && node hooks/web/build.mjs)"

_package: dict[str, bytes] = {}  # file name -> zip of src/chainrule, made once per build
_snapshot: dict[str, str] = {}  # "name" -> the snapshot's file name for this build


def pinned_pyodide_version() -> str:
    """The Pyodide version package.json pins (an exact version, no range)."""
    package = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    return package["devDependencies"]["pyodide"]


def check_runtime_installed() -> None:
    """Fail the build with a clear message if `npm ci` has not run, or ran for
    another version than the one pinned."""
    installed = PYODIDE / "package.json"
    if not installed.is_file():
        raise PluginError(f"In-page Python: Pyodide is not installed in {PYODIDE}: {INSTALL_HINT}.")
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != pinned_pyodide_version():
        raise PluginError(
            f"In-page Python: hooks/web/node_modules has pyodide {version}, "
            f"package.json pins {pinned_pyodide_version()}: {INSTALL_HINT}."
        )
    missing = [name for name in PYODIDE_FILES if not (PYODIDE / name).is_file()]
    if missing:
        raise PluginError(f"In-page Python: pyodide {version} lacks {missing}: {INSTALL_HINT}.")
    if not EDITOR_BUNDLE.is_file():
        raise PluginError(f"In-page Python: no editor bundle {EDITOR_BUNDLE}: {INSTALL_HINT}.")


def package_zip() -> tuple[str, bytes]:
    """chainrule's modules from src/ as a zip (fixed timestamps, so the same
    source makes the same bytes), named by its hash so a browser never runs
    a stale copy."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PACKAGE.glob("*.py")) + [PACKAGE / "py.typed"]:
            info = zipfile.ZipInfo(f"chainrule/{path.name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return f"chainrule-{hashlib.sha256(data).hexdigest()[:12]}.zip", data


def snapshot_name(package: bytes) -> str:
    """The memory snapshot's file name: a hash of everything it depends on
    (the package, the Pyodide version, the script that makes it)."""
    digest = hashlib.sha256(package)
    digest.update(pinned_pyodide_version().encode())
    digest.update(SNAPSHOT_SCRIPT.read_bytes())
    digest.update(SNAPSHOT_FORMAT.encode())
    return f"snapshot-{digest.hexdigest()[:12]}{SNAPSHOT_FORMAT}"


def make_snapshot(package: bytes, name: str) -> Path:
    """The memory snapshot for `package`, made by snapshot.mjs under
    Node.js and gzipped, unless an earlier build made it already."""
    path = SNAPSHOTS / name
    if path.is_file():
        return path
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        zip_path = Path(scratch) / "chainrule.zip"
        zip_path.write_bytes(package)
        made = Path(scratch) / name
        result = subprocess.run(
            ["node", str(SNAPSHOT_SCRIPT), str(zip_path), str(made)],
            capture_output=True, text=True, timeout=600,
        )
        if result.returncode != 0 or not made.is_file():
            raise PluginError(f"In-page Python: snapshot.mjs failed: {result.stderr[-2000:]}")
        for old in SNAPSHOTS.glob("snapshot-*"):
            old.unlink()
        # level 6: level 9 takes fifteen times as long for 1% fewer bytes
        made.write_bytes(gzip.compress(made.read_bytes(), compresslevel=6, mtime=0))
        shutil.move(made, path)
    return path


def on_pre_build(config: Any) -> None:
    check_runtime_installed()
    name, data = package_zip()
    _package.clear()
    _package[name] = data
    _snapshot["name"] = snapshot_name(data)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Mark the page's runnable blocks and embed its program."""
    source = page.file.src_uri
    if not source.startswith(RUNNABLE_SECTIONS) or not source.endswith(".md"):
        return html
    steps = page_steps(Path(page.file.abs_src_path))
    shown = [(index, step) for index, step in enumerate(steps) if step.shown]
    marks: list[tuple[int, int]] = []  # (offset of the opening tag's attributes, step)
    cursor = 0
    for block in html_blocks(html):
        if block.language not in ("py", "python", "python3") or block.title:
            continue  # titled blocks are excerpts of src/ or listings/, tested there
        match = next((k for k in range(cursor, len(shown)) if shown[k][1].code == block.code), None)
        if match is None:
            continue
        cursor = match + 1
        index, step = shown[match]
        if step.runnable:
            marks.append((block.start, index))
    if not marks:
        return html
    for offset, index in reversed(marks):
        html = f'{html[:offset]} data-inpage-step="{index}"{html[offset:]}'
    program = {
        "assets": get_relative_url(ASSETS, page.url),
        "worker": get_relative_url("assets/javascripts/inpage-worker.js", page.url),
        "package": next(iter(_package)),
        "snapshot": _snapshot["name"],
        "steps": [
            {"code": step.code if step.runnable else None, "continues": step.continues}
            for step in steps
        ],
    }
    # Every "<" as \u003c and "&" as \u0026: no "</template>" or "&amp;" in a
    # code block can end the element early or be read as a character. A
    # <template>, not a <script>: the theme's instant navigation runs every
    # <script> of the new page as JavaScript.
    payload = json.dumps(program, ensure_ascii=False)
    payload = payload.replace("<", "\\u003c").replace("&", "\\u0026")
    return f'{html}\n<template id="inpage-python" data-search-exclude>{payload}</template>\n'


def third_party_notice() -> str:
    """Name, version and licence of every npm package whose code the site
    serves (Pyodide, and what the editor bundle holds), with each licence
    text the package ships."""
    parts = []
    for manifest in sorted((WEB / "node_modules").glob("**/package.json")):
        package_dir = manifest.parent
        scope = package_dir.parent
        if scope.name != "node_modules" and scope.parent.name != "node_modules":
            continue  # a package's own sub-manifest, not a package
        info = json.loads(manifest.read_text(encoding="utf-8"))
        if "esbuild" in info.get("name", "") or info.get("name", "").startswith("@types/"):
            continue  # build tools and type stubs: nothing of theirs is served
        if info.get("name") == "ws":
            continue  # pyodide's Node.js-only dependency, not served
        licence_name = info.get("license", "see the package")
        parts.append(f"{info.get('name')} {info.get('version')}: {licence_name}")
        for licence in sorted(package_dir.glob("LICEN[CS]E*")):
            parts.append(licence.read_text(encoding="utf-8").strip())
        parts.append("-" * 72)
    return "\n\n".join(parts) + "\n"


def on_post_build(config: Any) -> None:
    """Put the runtime, the editor and the package into the site."""
    target = Path(config["site_dir"]) / ASSETS
    (target / "pyodide").mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copyfile(PYODIDE / name, target / "pyodide" / name)
    shutil.copyfile(EDITOR_BUNDLE, target / "editor.js")
    (target / "THIRD-PARTY-LICENCES.txt").write_text(third_party_notice(), encoding="utf-8")
    for old in [*target.glob("chainrule-*.zip"), *target.glob("snapshot-*")]:
        old.unlink()
    for name, data in _package.items():
        (target / name).write_bytes(data)
        shutil.copyfile(make_snapshot(data, _snapshot["name"]), target / _snapshot["name"])

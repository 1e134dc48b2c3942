"""The hosted site must build from the install the Pages workflow does.

`mkdocs build` runs code: the build-time (markdown-exec) blocks of every page,
the notebooks, and any hooks named in mkdocs.yml. Each third-party module
that code imports must come with the `docs` extra (or the package's own
dependencies); otherwise the build works here, where the test extra installs
more, and fails on GitHub Pages, which is how a reader first meets the book.
And the Pages workflow must build the way `make build` does.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

from tests.site.pages import fences, markdown_sources

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules(code: str) -> set[str]:
    """Top-level names of the modules a piece of Python imports."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _build_time_code() -> dict[str, str]:
    """Every piece of code `mkdocs build` runs, keyed by where it lives."""
    code = {}
    for source in markdown_sources():
        if source.is_relative_to(ROOT / "docs"):
            for fence in fences(source):
                if fence.is_python and any(w in fence.words for w in ('exec="on"', 'exec="1"')):
                    code[f"{source.relative_to(ROOT)}:{fence.line}"] = fence.content
    for notebook in sorted((ROOT / "docs").rglob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                code[f"{notebook.relative_to(ROOT)} cell {number}"] = "".join(cell["source"])
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    for hook in config.get("hooks", []) or []:
        code[hook] = (ROOT / hook).read_text(encoding="utf-8")
    return code


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml's `!!python/name:` tags as plain strings."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _declared_distributions(extra: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"][extra])
    names = {_normalise(REQUIREMENT_NAME.match(r).group(1)) for r in requirements}
    return {name.split("[")[0] for name in names}


def test_build_time_imports_come_with_the_docs_extra() -> None:
    declared = _declared_distributions("docs")
    providers = packages_distributions()
    # The hooks import their sibling modules (mkdocs puts a hook's folder on the path).
    local_modules = {"chainrule", "tests", "hooks"} | {
        module.stem for module in (ROOT / "hooks").glob("*.py")
    }
    missing = {}
    for where, code in _build_time_code().items():
        for module in _imported_modules(code):
            if module in sys.stdlib_module_names or module in local_modules:
                continue
            distributions = {_normalise(d) for d in providers.get(module, [module])}
            if not distributions & declared:
                missing.setdefault(module, []).append(where)
    assert not missing, (
        "build-time code imports modules that the docs extra does not install "
        f"(the Pages build would fail): {missing}"
    )


def test_the_build_time_code_was_found() -> None:
    """A guard for the test above: it must see the PyTorch chapter's blocks."""
    modules = set().union(*map(_imported_modules, _build_time_code().values()))
    assert {"chainrule", "torch"} <= modules


def test_pages_workflow_builds_the_way_make_build_does() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    build_steps = workflow["jobs"]["build"]["steps"]
    commands = "\n".join(step.get("run", "") for step in build_steps)
    assert "make build" in commands, "the Pages build job must run `make build`"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = re.search(r"pip install -e '\.\[([a-z,]+)\]'", makefile)
    assert install and "docs" in install.group(1).split(","), "make's install must include docs"
    triggers = workflow.get("on") or workflow.get(True)
    assert "pull_request" in triggers, "the Pages build must run on every pull request"
    deploy = workflow["jobs"]["deploy"]
    assert "pull_request" in deploy.get("if", ""), "a pull request must not deploy"

// Make the memory snapshot the in-page worker starts from: Pyodide started,
// chainrule unpacked and its standard-library modules imported, then the
// WebAssembly memory saved. Restoring it skips the interpreter's start-up
// (most of the first Run's time). Run by hooks/inpage_python.py at build time.
//
// Usage: node snapshot.mjs PACKAGE_ZIP OUTPUT
import fs from "node:fs";
import { loadPyodide } from "pyodide";

const [zipPath, output] = process.argv.slice(2);
const indexURL = new URL("./node_modules/pyodide/", import.meta.url).pathname;
const pyodide = await loadPyodide({ indexURL, fullStdLib: false, _makeSnapshot: true });
const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
pyodide.unpackArchive(new Uint8Array(fs.readFileSync(zipPath)), "zip", { extractDir: sitePackages });
// the same imports as the worker's PRELOAD (inpage-worker.js)
pyodide.runPython(`
import importlib, pkgutil, chainrule
for _module in pkgutil.iter_modules(chainrule.__path__, "chainrule."):
    try:
        importlib.import_module(_module.name)
    except ImportError:
        pass
del _module
`);
fs.writeFileSync(output, pyodide.makeMemorySnapshot());

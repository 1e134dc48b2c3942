// The book's in-page Python runs here, in a Web Worker, so a long loop never
// freezes the page and Stop can end a runaway block by ending this worker.
// Pyodide comes from the site itself (assets/inpage/pyodide/), and chainrule
// from a zip of src/chainrule that the build makes: the page runs the code the
// tests test. Nothing here is loaded until a reader shows the intent to run
// (inpage.js: the pointer or the focus on a Run button).
//
// Messages in:  {type: "init", pyodide: url of pyodide.mjs, package: url of the zip,
//                snapshot: url of the memory snapshot (hooks/web/snapshot.mjs) or null}
//               {type: "run", id, chain: [code, ...], page}  the last code is shown;
//               page names the page of the visit (inpage.js) the run is for
// Messages out: {type: "ready", seconds, restored} | {type: "failed", message}
//               {type: "out", id, stream: "stdout" | "stderr", text}
//               {type: "done", id, ok, error, failedStep, seconds}

let pyodide = null;
let runner = null;
let restored = false; // whether Python came from the snapshot
// What the namespace holds now: the chain codes it ran, in order, all without
// an error. A run whose chain extends this one continues from it; any other
// run starts a fresh namespace, so re-running a block gives what a fresh
// interpreter gives.
let done = [];
// The page the namespace belongs to. One worker serves a whole visit (the
// theme's instant navigation), and a new page never continues the last
// one's namespace, even where its first blocks are the same code.
let page = null;

const RUNNER = `
import linecache, sys, traceback

class _Stream:
    def __init__(self, emit):
        self._emit = emit
    def write(self, text):
        self._emit(text)
        return len(text)
    def flush(self):
        pass
    def isatty(self):
        return False

_namespace = {}


def _dismantle(namespace):
    """Break the graphs a namespace holds before it is dropped.

    Freeing a 100,000-node chain of Values frees each node from inside its
    child's free, one C call deeper per node: CPython survives that, but
    under WebAssembly it overflows the browser's stack and Pyodide dies. So,
    without recursion, empty the tuples, lists, sets and dicts held by
    instances of the classes the reader's code or chainrule defines; then
    each node is freed on its own."""
    stack, seen = list(namespace.values()), set()
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (type, type(sys))) or callable(item):
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
            continue
        owner = getattr(type(item), "__module__", "") or ""
        if owner != "__main__" and not owner.startswith("chainrule"):
            continue
        names = list(getattr(item, "__dict__", {}))
        for klass in type(item).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        for name in names:
            try:
                value = getattr(item, name)
            except AttributeError:
                continue
            if isinstance(value, (list, tuple, set, frozenset, dict)):
                stack.extend(value.values() if isinstance(value, dict) else value)
                try:
                    setattr(item, name, type(value)())
                except (AttributeError, TypeError):
                    pass
            elif hasattr(value, "__dict__") or hasattr(type(value), "__slots__"):
                stack.append(value)


def _run(codes, first, emit_out, emit_err):
    """Run codes[first:] in the current namespace (a fresh one if first == 0);
    only the last prints. Returns (index of the failing code or -1, error)."""
    global _namespace
    if first == 0:
        _dismantle(_namespace)
        _namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    quiet = _Stream(lambda text: None)
    for index in range(first, len(codes)):
        shown = index == len(codes) - 1
        name = "<block>"
        lines = codes[index].splitlines(keepends=True)
        linecache.cache[name] = (len(codes[index]), None, lines, name)
        sys.stdout = _Stream(emit_out) if shown else quiet
        sys.stderr = _Stream(emit_err) if shown else quiet
        try:
            exec(compile(codes[index], name, "exec"), _namespace)
        except BaseException as error:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next))
            return index, text
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    return -1, ""
_run
`;

const PRELOAD = `
import importlib, pkgutil, chainrule
for _module in pkgutil.iter_modules(chainrule.__path__, "chainrule."):
    try:
        importlib.import_module(_module.name)
    except ImportError:
        pass  # numpy's side of chainrule: no block that needs it runs in the page
del _module
`;

// Output is posted in pieces of at most 50 ms or 8 kB, so a loop that prints
// a lot neither floods the page with messages nor shows nothing until it ends.
function makeEmitter(id, stream) {
  let buffer = "";
  let last = performance.now();
  const flush = () => {
    if (buffer) postMessage({ type: "out", id, stream, text: buffer });
    buffer = "";
    last = performance.now();
  };
  const emit = (text) => {
    buffer += text;
    if (buffer.length > 8192 || performance.now() - last > 50) flush();
  };
  return { emit, flush };
}

// The body of a response, inflated as it arrives if it is gzip: the build
// gzips the snapshot (two thirds of it are zeros), but a host that labels
// the file Content-Encoding: gzip has the browser inflate it first.
async function inflated(response) {
  const reader = response.body.getReader();
  const first = await reader.read();
  const body = new ReadableStream({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
  const gzipped = !first.done && first.value[0] === 0x1f && first.value[1] === 0x8b;
  return new Response(gzipped ? body.pipeThrough(new DecompressionStream("gzip")) : body).arrayBuffer();
}

// Python restored from the build's memory snapshot (an interpreter that has
// already started and imported chainrule: a fraction of a second), or, if
// there is none or it cannot be restored here, started from scratch.
async function startPython(loadPyodide, indexURL, snapshot) {
  if (snapshot) {
    try {
      const memory = fetch(snapshot).then((response) => {
        if (!response.ok) throw new Error(`could not fetch ${snapshot}: HTTP ${response.status}`);
        return inflated(response);
      });
      const python = await loadPyodide({ indexURL, fullStdLib: false, _loadSnapshot: memory });
      restored = true;
      return python;
    } catch (error) {
      console.warn(`In-page Python: starting without the snapshot (${error})`);
    }
  }
  return loadPyodide({ indexURL, fullStdLib: false });
}

// Where a cold start's time goes, for benchmarks/bench_inpage.py: each phase's
// milliseconds, and each file's fetch (from the worker's resource timing:
// start and end, in ms since init began; the file's size as sent, and the bytes
// that crossed the network for it, which is 0 when the HTTP cache held it).
function startupProfile(started, phases) {
  const fetches = {};
  for (const entry of performance.getEntriesByType("resource")) {
    if (entry.startTime < started) continue;
    const name = new URL(entry.name).pathname.split("/").pop();
    fetches[name] = {
      start: Math.round(entry.startTime - started),
      end: Math.round(entry.responseEnd - started),
      bytes: entry.encodedBodySize,
      transferred: entry.transferSize,
    };
  }
  return { phases, fetches };
}

async function init(message) {
  const started = performance.now();
  // the worker's clock starts when inpage.js creates it
  const phases = { "load the worker's own script": Math.round(started) };
  let mark = started;
  const lap = (name) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
  try {
    // chainrule's zip downloads while Pyodide starts, not after
    const zip = fetch(message.package).then((response) => {
      if (!response.ok) throw new Error(`could not fetch ${message.package}: HTTP ${response.status}`);
      return response.arrayBuffer();
    });
    zip.catch(() => {}); // reported where it is awaited
    const { loadPyodide } = await import(message.pyodide);
    lap("import pyodide.mjs");
    const indexURL = new URL(".", new URL(message.pyodide, self.location.href)).href;
    pyodide = await startPython(loadPyodide, indexURL, message.snapshot);
    lap(restored ? "loadPyodide (fetch, compile, restore)" : "loadPyodide (fetch, compile, start)");
    const archive = await zip;
    lap("wait for chainrule's zip");
    const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
    pyodide.unpackArchive(archive, "zip", { extractDir: sitePackages });
    lap("unpack chainrule");
    runner = pyodide.runPython(RUNNER);
    lap("define the runner");
    // Import chainrule's standard-library modules now, while the reader is
    // still reaching for Run: the first block then finds them in sys.modules,
    // as every later block does anyway. Each run still gets a fresh namespace.
    // A restored snapshot has them imported already; importing again would
    // only retry, and fail again, each module that needs numpy (0.4 s).
    if (!restored) {
      pyodide.runPython(PRELOAD);
      lap("preload chainrule's modules");
    }
    self.inpageStartup = startupProfile(started, phases); // read by benchmarks/bench_inpage.py
    postMessage({ type: "ready", seconds: (performance.now() - started) / 1000, restored });
  } catch (error) {
    postMessage({ type: "failed", message: String(error && error.message ? error.message : error) });
  }
}

function run(message) {
  const started = performance.now();
  const { id, chain } = message;
  if (message.page !== page) {
    page = message.page;
    done = [];
  }
  const extends_ = done.length < chain.length && done.every((code, i) => code === chain[i]);
  const first = extends_ ? done.length : 0;
  const out = makeEmitter(id, "stdout");
  const err = makeEmitter(id, "stderr");
  let failedStep = -1;
  let error = "";
  let fatal = false;
  try {
    const codes = pyodide.toPy(chain);
    const result = runner(codes, first, out.emit, err.emit);
    [failedStep, error] = result.toJs();
    result.destroy();
    codes.destroy();
  } catch (jsError) {
    // Not a Python exception: Pyodide itself failed (the browser's stack
    // overflowed, say), and this worker cannot run Python any more.
    failedStep = chain.length - 1;
    error = String(jsError);
    fatal = true;
  }
  out.flush();
  err.flush();
  done = failedStep === -1 ? chain.slice() : [];
  postMessage({
    type: "done", id, ok: failedStep === -1, error, failedStep, fatal,
    ranFrom: first, seconds: (performance.now() - started) / 1000,
  });
}

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "init") await init(message);
  else if (message.type === "run") run(message);
};

// Run, edit and reset the book's Python blocks in the page (Parts I and II).
//
// The build (hooks/inpage_python.py) marks each block that can run in a
// browser with data-inpage-step and writes the page's program, block by
// block with its continuation chains, into <template id="inpage-python">.
// This file only adds buttons: Python (Pyodide, in a Web Worker) is fetched
// when a reader shows the intent to run (the pointer or the keyboard focus
// reaches a Run button, or a block is opened for editing), so it is usually
// loading before the click lands; the editor (CodeMirror 6) is fetched the
// first time a reader presses Edit. Nothing is fetched on page load.
//
// The theme's instant navigation (hooks/instant.py) swaps a new page's
// content in without reloading this script, and announces each page on
// document$: the worker below lives for the whole visit, and each page's
// buttons are set up when it arrives. Each page still runs in a fresh
// namespace: every run names its page, and the worker starts afresh when
// the page changes.
(() => {
  "use strict";
  const url = (relative) => new URL(relative, document.baseURI).href;
  // the visit's: one worker, one editor module, at most one run at a time
  let editorModule = null;
  let worker = null;
  let workerReady = null; // a promise, resolved when Python is loaded
  let workersStarted = 0;
  let running = null; // {id, resolve, block, posted} of the run in progress
  let nextRunId = 1;
  let pagesSeen = 0;
  // the page's: {id, config, steps: [{code, continues}] in page order,
  // editors: step index -> CodeMirror view}
  let page = null;

  // Why this browser cannot run the blocks, or "" if it can.
  function cannotRun() {
    if (location.protocol === "file:") {
      return ["opened from a file",
        "This page was opened from a file (file://), and browsers do not let such a page " +
        "load Python's WebAssembly. Serve the book instead: `make serve`, then open " +
        "http://127.0.0.1:8000."];
    }
    if (typeof WebAssembly !== "object" || typeof Worker !== "function") {
      return ["no WebAssembly",
        "This browser has no WebAssembly or no Web Workers, which in-page Python needs. " +
        "Copy the block into a Python session instead, or download the chapter as a notebook."];
    }
    return null;
  }

  function currentCode(index) {
    const view = page.editors.get(index);
    return view ? editorModule.editorText(view) : page.steps[index].code;
  }

  // The codes to run for step `index`: its chain's earlier blocks, then itself.
  function chainOf(index) {
    let first = index;
    while (first > 0 && page.steps[first].continues) first -= 1;
    const chain = [];
    for (let i = first; i <= index; i += 1) chain.push(currentCode(i));
    return { first, chain };
  }

  function startWorker() {
    if (workerReady) return workerReady;
    const config = page.config;
    worker = new Worker(url(config.worker), { type: "module" });
    workersStarted += 1;
    document.documentElement.dataset.inpageWorkers = String(workersStarted); // for the tests
    workerReady = new Promise((resolve, reject) => {
      worker.onmessage = (event) => {
        const message = event.data;
        if (message.type === "ready") {
          // how Python started, for the tests: "snapshot" or "from scratch"
          document.documentElement.dataset.inpagePython = message.restored ? "snapshot" : "from scratch";
          resolve(message.seconds);
        }
        else if (message.type === "failed") reject(new Error(message.message));
        else if (running && message.id === running.id) {
          if (message.type === "out") running.block.append(message.stream, message.text);
          else if (message.type === "done") running.resolve(message);
        }
      };
      worker.onerror = (event) => reject(new Error(event.message || "the Python worker failed to start"));
    });
    worker.postMessage({
      type: "init",
      pyodide: url(config.assets + "pyodide/pyodide.mjs"),
      package: url(config.assets + config.package),
      snapshot: config.snapshot ? url(config.assets + config.snapshot) : null,
    });
    return workerReady;
  }

  // The reader is about to run a block: start Python now, so its start-up
  // overlaps the moment between reaching the button and pressing it. A
  // failure here is reported by the Run that follows (it awaits the same promise).
  function startOnIntent() {
    if (cannotRun() || workerReady) return;
    startWorker().catch(() => {});
  }

  function stopWorker() {
    if (worker) worker.terminate();
    worker = null;
    workerReady = null;
  }

  // ---------------------------------------------------------------- output
  // Printed text is shown as text, except an SVG (chainrule.plot) and a
  // Mermaid flowchart (to_mermaid(), bare or in a ```mermaid fence), which
  // are drawn.
  const FENCED_MERMAID = /```mermaid\n([\s\S]*?)\n```\n?/g;
  const BARE_MERMAID = /^(?:flowchart|graph) (?:LR|RL|TB|TD|BT)\n(?: {4}.*(?:\n|$))+/gm;
  const SVG = /<svg[\s\S]*?<\/svg>\n?/g;

  function splitOutput(text) {
    const pieces = [];
    const found = [];
    for (const [pattern, kind] of [[FENCED_MERMAID, "mermaid"], [SVG, "svg"], [BARE_MERMAID, "mermaid"]]) {
      for (const match of text.matchAll(pattern)) {
        const start = match.index;
        const end = start + match[0].length;
        if (found.some(([s, e]) => start < e && end > s)) continue;
        found.push([start, end, kind, kind === "mermaid" ? (match[1] || match[0]).trim() : match[0]]);
      }
    }
    found.sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [start, end, kind, body] of found) {
      if (start > at) pieces.push(["text", text.slice(at, start)]);
      pieces.push([kind, body]);
      at = end;
    }
    if (at < text.length) pieces.push(["text", text.slice(at)]);
    return pieces;
  }

  let diagrams = 0;
  async function drawPieces(container, text) {
    container.replaceChildren();
    for (const [kind, body] of splitOutput(text)) {
      if (kind === "text") {
        if (!body.trim()) continue;
        const pre = document.createElement("pre");
        pre.className = "inpage-stdout";
        pre.textContent = body;
        container.append(pre);
      } else if (kind === "svg") {
        const figure = document.createElement("div");
        figure.className = "inpage-figure";
        const svg = new DOMParser().parseFromString(body, "image/svg+xml").documentElement;
        if (svg.nodeName === "svg") figure.append(document.importNode(svg, true));
        else figure.textContent = body;
        container.append(figure);
      } else {
        const figure = document.createElement("div");
        figure.className = "inpage-figure inpage-diagram";
        container.append(figure);
        try {
          diagrams += 1;
          const { svg } = await window.mermaid.render(`inpage-diagram-${diagrams}`, body);
          figure.innerHTML = svg;
        } catch (error) {
          const pre = document.createElement("pre");
          pre.className = "inpage-stdout";
          pre.textContent = body;
          figure.replaceWith(pre);
        }
      }
    }
  }

  // ---------------------------------------------------------------- blocks
  function button(text, label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "md-button inpage-button";
    element.textContent = text;
    element.setAttribute("aria-label", label);
    element.addEventListener("click", onClick);
    return element;
  }

  function setUp(block) {
    const here = page; // this block's page, should the reader move on
    const index = Number(block.dataset.inpageStep);
    const number = [...document.querySelectorAll("[data-inpage-step]")].indexOf(block) + 1;
    const toolbar = document.createElement("div");
    toolbar.className = "inpage-toolbar";
    toolbar.dataset.inpageFor = String(index);
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", `Code block ${number}`);
    const output = document.createElement("div");
    output.className = "inpage-output";
    output.dataset.inpageFor = String(index);
    output.setAttribute("role", "status");
    output.setAttribute("aria-live", "polite");
    output.setAttribute("aria-label", `Output of code block ${number}`);
    output.hidden = true;
    const status = document.createElement("p");
    status.className = "inpage-status";
    const stdout = document.createElement("div");
    const stderr = document.createElement("pre");
    stderr.className = "inpage-stderr";
    output.append(status, stdout, stderr);

    const state = { stdout: "", stderr: "" };
    const view = {
      append(stream, text) {
        state[stream] += text;
        if (stream === "stdout") {
          let pre = stdout.querySelector("pre.inpage-live");
          if (!pre) {
            pre = document.createElement("pre");
            pre.className = "inpage-stdout inpage-live";
            stdout.replaceChildren(pre);
          }
          pre.textContent = state.stdout;
        } else {
          stderr.textContent = state.stderr;
        }
      },
    };

    const why = cannotRun();
    const run = button("Run", `Run code block ${number}`, () => runBlock());
    const edit = button("Edit", `Edit code block ${number}`, () => openEditor(true));
    const reset = button("Reset", `Reset code block ${number} to the book's code`, () => resetBlock());
    const stop = button("Stop", `Stop code block ${number}`, () => stopRun());
    reset.hidden = true;
    stop.hidden = true;
    toolbar.append(run, stop, edit, reset);
    run.addEventListener("pointerenter", startOnIntent);
    run.addEventListener("focus", startOnIntent);
    if (why) {
      run.textContent = `Can't run: ${why[0]}`;
      run.setAttribute("aria-label", `Can't run code block ${number}: ${why[0]}`);
      run.title = why[1];
    }
    block.after(toolbar, output);

    async function openEditor(focus) {
      const editors = here.editors;
      if (!editors.has(index)) {
        editorModule = editorModule || (await import(url(here.config.assets + "editor.js")));
        if (editors.has(index)) return;
        const holder = document.createElement("div");
        holder.className = "inpage-editor";
        const pre = block.querySelector("pre");
        pre.hidden = true;
        pre.after(holder);
        editors.set(index, editorModule.createEditor(holder, here.steps[index].code, {
          label: `Python code of block ${number} (Ctrl+Enter runs it)`,
          onRun: () => runBlock(),
        }));
        block.classList.add("inpage-editing");
        startOnIntent(); // an edited block is about to run
        edit.hidden = true;
        reset.hidden = false;
      }
      if (focus) editors.get(index).focus();
    }

    function resetBlock() {
      const viewOf = here.editors.get(index);
      if (viewOf) editorModule.setEditorText(viewOf, here.steps[index].code);
      if (viewOf) viewOf.focus();
    }

    function stopRun() {
      if (!running || running.block !== view) return;
      stopWorker();
      running.resolve({ stopped: true });
    }

    async function runBlock() {
      output.hidden = false;
      if (why) {
        status.textContent = why[1];
        return;
      }
      if (running) {
        status.textContent = "Another block is still running: stop it first.";
        return;
      }
      const { first, chain } = chainOf(index);
      delete output.dataset.state;
      // the last run's "Ran in … s" (or error) goes at once, not when this run ends
      status.textContent = workerReady ? "Running…" : "Loading Python (this takes a few seconds)…";
      state.stdout = "";
      state.stderr = "";
      stdout.replaceChildren();
      stderr.textContent = "";
      output.classList.remove("inpage-failed");
      const started = performance.now();
      const id = nextRunId++;
      const finished = new Promise((resolve) => { running = { id, resolve, block: view }; });
      stop.hidden = false;
      const hadFocus = document.activeElement === run;
      if (hadFocus) stop.focus();
      block.setAttribute("aria-busy", "true");
      let result;
      try {
        const outcome = await Promise.race([startWorker().then(() => "ready"), finished]);
        if (outcome === "ready" && running && running.id === id) {
          status.textContent = "Running…";
          running.posted = true;
          worker.postMessage({ type: "run", id, chain, page: here.id });
          result = await finished;
        } else {
          result = outcome === "ready" ? { stopped: true } : outcome; // let go on leaving
        }
      } catch (error) {
        result = { failedToLoad: String(error.message || error) };
        stopWorker();
      } finally {
        if (running && running.id === id) running = null;
        stop.hidden = true;
        block.removeAttribute("aria-busy");
        if (document.activeElement === stop || hadFocus) run.focus();
      }
      const seconds = (performance.now() - started) / 1000;
      output.dataset.seconds = seconds.toFixed(3);
      output.dataset.stdout = state.stdout;
      if (result.stopped) {
        status.textContent = "Stopped. (Python restarts on the next Run.)";
        output.classList.add("inpage-failed");
      } else if (result.failedToLoad) {
        status.textContent = `Python could not start here: ${result.failedToLoad}`;
        output.classList.add("inpage-failed");
      } else if (result.ok) {
        status.textContent = `Ran in ${seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`}.`;
      } else if (result.fatal) {
        stopWorker();
        status.textContent = "Python in the page crashed (it restarts on the next Run). " +
          "A very deep graph, freed at once, can overflow the browser's stack where " +
          "CPython copes: run this block in Python on your machine or in the chapter's notebook.";
        stderr.textContent = state.stderr + result.error;
        output.classList.add("inpage-failed");
      } else {
        const at = first + result.failedStep;
        const where = at === index ? "" : ` in block ${numberOf(at)} above, which this one continues`;
        status.textContent = `Raised an error${where}:`;
        stderr.textContent = state.stderr + result.error;
        output.classList.add("inpage-failed");
      }
      output.dataset.state = result.stopped ? "stopped" : result.ok ? "ok" : "error";
      await drawPieces(stdout, state.stdout);
    }
  }

  function numberOf(stepIndex) {
    const blocks = [...document.querySelectorAll("[data-inpage-step]")];
    const position = blocks.findIndex((b) => Number(b.dataset.inpageStep) === stepIndex);
    return position === -1 ? "(hidden)" : String(position + 1);
  }

  // A page arrives: on load, and after each instant navigation.
  function setUpPage() {
    pagesSeen += 1;
    if (running) {
      // The reader left a page whose block was still running: stop it (its
      // output has nowhere to go, and this page's blocks need the worker).
      // A run still waiting for Python to start only lets go of it: the
      // start goes on, for this page's blocks.
      if (running.posted) stopWorker();
      running.resolve({ stopped: true });
      running = null;
    }
    const data = document.getElementById("inpage-python");
    if (!data) {
      page = null; // a page without runnable blocks
      return;
    }
    const config = JSON.parse(data.content.textContent);
    // the last page's editors went with its content
    page = { id: pagesSeen, config, steps: config.steps, editors: new Map() };
    document.querySelectorAll("[data-inpage-step]").forEach(setUp);
  }

  document$.subscribe(setUpPage);
})();

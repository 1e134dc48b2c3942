// mkdocs-jupyter's notebook template loads MathJax from `custom_mathjax_url`
// (a CDN by default). This site renders notebook math with its own KaTeX
// (katex.js, loaded on every page), so the template is pointed here instead.
//
// The template differs between mkdocs-jupyter releases, and pip picks the
// release by Python version (0.26.x on Python 3.11, 0.27.x on 3.12 and newer):
// - 0.26 only loads this file as a plain script and asks nothing of it;
// - 0.27 loads it, waits for `MathJax.startup.promise`, then calls
//   `typesetClear`, `texReset` and `typesetPromise(nodes)` on the notebook.
// This stand-in offers that small part of MathJax 3/4's API and typesets with
// KaTeX, so every template version renders math offline with no console error.
(() => {
  if (window.MathJax && window.MathJax.typesetPromise) return;

  const NOTEBOOK_DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];

  function typeset(nodes) {
    const targets = nodes && nodes.length ? nodes : [document.body];
    for (const node of targets) {
      if (typeof renderMathInElement === "function") {
        renderMathInElement(node, { delimiters: NOTEBOOK_DELIMITERS, throwOnError: false });
      }
    }
  }

  window.MathJax = {
    version: "katex-stand-in",
    startup: { promise: Promise.resolve() },
    typeset,
    typesetPromise: async (nodes) => typeset(nodes),
    typesetClear: () => {},
    texReset: () => {},
  };
})();

// mkdocs-jupyter's notebook template loads MathJax from `custom_mathjax_url`
// (a CDN by default). This site renders notebook math with its own KaTeX
// (katex.js, loaded on every page), so the template is pointed here instead
// and nothing more is needed.

// Render the math on every page with the self-hosted KaTeX.
// pymdownx.arithmatex (generic mode) wraps Markdown math in \( \) and \[ \];
// notebook pages (mkdocs-jupyter) keep the notebook's $ and $$ as they are,
// so dollar delimiters are honoured inside notebook output only.
document$.subscribe(({ body }) => {
  body.querySelectorAll(".arithmatex").forEach((element) => {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
  body.querySelectorAll(".jupyter-wrapper").forEach((element) => {
    renderMathInElement(element, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  });
});

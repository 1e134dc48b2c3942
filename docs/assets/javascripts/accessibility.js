// Names and keyboard access that the theme has no setting for, checked by
// axe-core in the browser tests (tests/site/test_browser.py, one test a page).
// Runs on every page view, instant navigation included.
document$.subscribe(({ body }) => {
  // The search dialog needs an accessible name.
  const search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");

  // A code annotation's marker is a link whose only content is a number
  // drawn by CSS: give it a name a screen reader can say.
  body.querySelectorAll("a.md-annotation__index").forEach((link) => {
    if (link.hasAttribute("aria-label")) return;
    const id = link.querySelector("[data-md-annotation-id]");
    const number = id ? id.getAttribute("data-md-annotation-id") : "";
    link.setAttribute("aria-label", `Code annotation ${number}`.trim());
  });

  makeScrollablesFocusable(body);
  // KaTeX's fonts change the width of equations once they have loaded.
  document.fonts.ready.then(() => makeScrollablesFocusable(body));
});

// A region that scrolls sideways (wide equations, notebook code and output,
// wide tables) must be reachable by keyboard to be scrolled without a mouse.
// Which regions scroll depends on the window's width, so look again on resize.
function makeScrollablesFocusable(root) {
  const scrollables = root.querySelectorAll(
    ".arithmatex, .highlight-ipynb, .jupyter-wrapper pre, .md-typeset__scrollwrap, .md-typeset__table"
  );
  scrollables.forEach((element) => {
    if (element.scrollWidth > element.clientWidth && !element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "0");
      if (!element.hasAttribute("role")) element.setAttribute("role", "region");
      if (!element.hasAttribute("aria-label")) element.setAttribute("aria-label", "Scrollable content");
    }
  });
}

let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => makeScrollablesFocusable(document.body), 200);
});

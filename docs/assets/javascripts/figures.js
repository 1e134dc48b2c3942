// Scroll cues. A wide table, or a figure that does not fit a phone's column
// (figures scroll rather than shrink their text below 9 px), scrolls
// sideways; a fade on each side with more to see says so. Looked at again
// whenever the region or its content changes size (a Mermaid drawing
// appears late, fonts load, the window turns).
document$.subscribe(({ body }) => {
  const regions = body.querySelectorAll(".md-typeset__scrollwrap, .cr-figure__drawing");
  const cue = (region) => {
    const hidden = region.scrollWidth - region.clientWidth;
    const scrolls = hidden > 1;
    region.classList.toggle("cr-more-right", scrolls && region.scrollLeft < hidden - 1);
    region.classList.toggle("cr-more-left", scrolls && region.scrollLeft > 1);
    if (scrolls && !region.hasAttribute("tabindex")) {
      // reachable by keyboard, so that it can be scrolled without a mouse
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      const caption = region.closest("figure") && region.closest("figure").querySelector(".cr-figure__number");
      region.setAttribute("aria-label", caption ? `${caption.textContent} Scrolls sideways` : "Scrollable table");
    }
  };
  const regionOf = new Map(); // observed element -> its scrolling region
  const observer = new ResizeObserver((entries) => {
    entries.forEach((entry) => cue(regionOf.get(entry.target)));
  });
  regions.forEach((region) => {
    cue(region);
    region.addEventListener("scroll", () => cue(region), { passive: true });
    // the region's own size, and its content's (which a Mermaid drawing
    // replaces when it is drawn: the region's height changes then)
    for (const element of [region, ...region.children]) {
      regionOf.set(element, region);
      observer.observe(element);
    }
  });
});

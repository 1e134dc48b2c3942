"""How the pages look, measured in Chromium: code blocks that scroll
sideways, text in pictures too small to read, pictures without a caption.

Used by tests/site/test_layout.py, and runnable on any built site to print
the counts page by page:

    .venv/bin/python -m tests.site.layout /tmp/site           # every page
    .venv/bin/python -m tests.site.layout /tmp/site part1/    # pages under part1/
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path

from tests.site.browser import open_page, wait_until_drawn

WIDE, PHONE = 1280, 390  # the two reading widths, in CSS pixels
# The smallest text a picture may show: at 1280 px, and on a phone, where a
# picture should scroll sideways rather than shrink below this.
SMALLEST_TEXT = {WIDE: 11.0, PHONE: 9.0}

# Run in the page, with every collapsible block opened (code folded under a
# figure scrolls when the reader opens it). Pictures: chainrule.plot SVGs,
# Mermaid drawings and images in the text; an emoji or an icon is not one.
MEASURE = r"""(smallest) => {
  document.querySelectorAll('.md-content details').forEach(d => { d.open = true; });
  const content = document.querySelector('.md-content');
  const codes = [...content.querySelectorAll("pre > code, .jp-InputArea pre")]
    .filter(c => c.getClientRects().length);
  const pictures = [
    ...content.querySelectorAll('svg[role=img], .mermaid, img:not(.twemoji):not(.emojione)'),
  ].filter(p => !p.closest('.inpage-output') && p.getClientRects().length);
  const texts = [];
  const scaleOf = (svg) => { const m = svg.getScreenCTM(); return m ? Math.hypot(m.a, m.b) : 1; };
  for (const picture of pictures) {
    const svg = picture.matches('svg') ? picture
      : picture.shadowRoot ? picture.shadowRoot.querySelector('svg') : picture.querySelector('svg');
    if (!svg) continue;
    const labels = 'text, foreignObject span, foreignObject p, foreignObject div';
    for (const text of svg.querySelectorAll(labels)) {
      if (!text.textContent.trim() || !text.getClientRects().length) continue;
      if (text.closest('foreignObject') && text.querySelector('span, p, div')) continue;
      const size = parseFloat(getComputedStyle(text).fontSize);
      const scale = text.closest('foreignObject') ? scaleOf(text.closest('svg')) : scaleOf(text);
      texts.push(size * scale);
    }
  }
  // a caption says something: "Figure 3." alone is a number, not a caption
  const captioned = (p) => {
    const caption = p.closest('figure') && p.closest('figure').querySelector('figcaption');
    return !!caption && caption.textContent.replace(/^\s*Figure \d+\.\s*/, '').trim() !== '';
  };
  return {
    code_blocks: codes.length,
    code_scrolling: codes.filter(c => c.scrollWidth > c.clientWidth + 1).length,
    picture_texts: texts.length,
    small_texts: texts.filter(s => s < smallest - 0.05).length,
    pictures: pictures.length,
    captioned: pictures.filter(captioned).length,
  };
}"""


@dataclass
class Counts:
    """What one page (or the whole site) shows at one width."""

    code_blocks: int = 0
    code_scrolling: int = 0
    picture_texts: int = 0
    small_texts: int = 0
    pictures: int = 0
    captioned: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def measure(browser, url: str, width: int) -> Counts:  # type: ignore[no-untyped-def]
    """The counts of the page at `url`, read at `width` CSS pixels."""
    context, page, _ = open_page(browser, url, wait_until="load",
                                 viewport={"width": width, "height": 900})
    try:
        wait_until_drawn(page)
        return Counts(**page.evaluate(MEASURE, SMALLEST_TEXT[width]))
    finally:
        context.close()


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else f"{part}/0"


def _main(site: Path, prefix: str) -> None:
    from playwright.sync_api import sync_playwright

    from tests.site.conftest import CHROMIUM_FLAGS, chromium_path, served
    from tests.site.pages import built_page_paths

    totals = {WIDE: Counts(), PHONE: Counts()}
    with served(site) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        for path in built_page_paths(site):
            if not path.startswith(prefix):
                continue
            wide, phone = measure(browser, root + path, WIDE), measure(browser, root + path, PHONE)
            totals[WIDE] += wide
            totals[PHONE] += phone
            print(f"{path or 'home':45} code {share(wide.code_scrolling, wide.code_blocks):16}"
                  f" small@1280 {share(wide.small_texts, wide.picture_texts):16}"
                  f" small@390 {share(phone.small_texts, phone.picture_texts):16}"
                  f" captioned {share(wide.captioned, wide.pictures)}", flush=True)
        browser.close()
    wide, phone = totals[WIDE], totals[PHONE]
    for what, part, whole in [
        ("code blocks scrolling sideways at 1280 px", wide.code_scrolling, wide.code_blocks),
        ("code blocks scrolling sideways at 390 px", phone.code_scrolling, phone.code_blocks),
        ("picture text under 11 px at 1280 px", wide.small_texts, wide.picture_texts),
        ("picture text under 9 px at 390 px", phone.small_texts, phone.picture_texts),
        ("captioned pictures", wide.captioned, wide.pictures),
    ]:
        print(f"{what + ':':44} {share(part, whole)}")

if __name__ == "__main__":
    _main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")

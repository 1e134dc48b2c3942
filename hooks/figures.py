"""Figures: number and caption every picture, fold its drawing code under it,
and keep the addresses of renamed pages working.

A picture is an SVG drawn by `chainrule.plot` (`role="img"`) or a Mermaid
diagram. Each becomes

    <figure class="cr-figure" id="figure-N">
      <div class="cr-figure__drawing">the picture</div>
      <figcaption><span class="cr-figure__number">Figure N.</span> caption</figcaption>
    </figure>

and the build-time block that drew it (markdown-exec's shown source, just
before or just after the picture) moves into a collapsible "Code for figure
N" below the figure: the reader sees the picture first, and the code is one
click away, still highlighted and tested like every block.

The caption is the paragraph right after the block if it starts with
"Figure:" (so a page writes one line of Markdown after the fence, with math
and links if it likes), else the plot's title, which the figure then does
not draw a second time. Mermaid diagrams are drawn at their own size and
scroll on a narrow screen rather than shrink their text.

`REDIRECTS` lists pages that moved: the old address gets a small page that
sends the reader (and search engines, through its canonical link) to the new
one, so links into the book from elsewhere keep working.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

# old page path -> new page path (both as the site's URLs, relative to its root)
REDIRECTS = {"part3/optimizers-and-initialization/": "part3/optimizers/"}
# A page the build writes at an old address is marked so, for the tests.
REDIRECT_MARK = 'name="chainrule-redirect"'

PICTURE = re.compile(
    r'(?:<p>\s*)?(?P<picture><svg\b[^>]*\brole="img"[^>]*>.*?</svg>'
    r'|<pre class="mermaid"><code>.*?</code></pre>)\s*(?:</p>)?',
    re.DOTALL,
)
CODE = r'<div class="language-python highlight"[^>]*><pre>(?:(?!</pre>).)*</pre></div>'
CODE_BEFORE = re.compile(rf"(?P<code>{CODE})(?P<between>(?:(?!<div class=\"language-).)*)$",
                         re.DOTALL)
# What may stand between a drawing block and its picture: the rest of the
# block's output (a table, a printed line), not a new section or admonition.
ENDS_A_BLOCK = re.compile(r"<h[1-6]\b|<details\b|<div class=\"admonition|<figure\b")
CODE_AFTER = re.compile(rf"\s*(?P<code>{CODE})", re.DOTALL)
CAPTION = re.compile(r"\s*<p>Figure:\s*(?P<caption>.*?)</p>", re.DOTALL)
NEXT_THING = re.compile(r'<h[1-6]\b|<div class="language-|<svg\b[^>]*\brole="img"'
                        r'|<pre class="mermaid"|<figure\b|<details\b|<div class="admonition')
BETWEEN_IN_A_RUN = re.compile(r"(?:\s|</?p>|<p><strong>[^<]{0,80}</strong></p>)*$")
TITLE = re.compile(r"<title\b[^>]*>(?P<title>.*?)</title>", re.DOTALL)
# What a block that draws a picture says: the others are never folded.
DRAWS = re.compile(r"to_svg|to_mermaid|image_grid|mermaid|\bdraw\(|<svg")
# Mermaid draws a flowchart at its own width (not squeezed into the column)
# and at 13 px, so that a graph of the book's size fits a desktop column.
MERMAID_AT_OWN_SIZE = (
    '%%{init: {"flowchart": {"useMaxWidth": false}, "themeVariables": {"fontSize": "13px"}}}%%\n'
)
# The room chainrule.plot gives a title (TITLE_FONT + 12): cut from the top of
# a figure whose title is its caption instead.
TITLE_ROOM = 27
VIEWBOX = re.compile(r'viewBox="0 0 (?P<width>[\d.]+) (?P<height>[\d.]+)"', re.IGNORECASE)
# Titles that name nothing: what chainrule.plot says when a figure has none.
NO_TITLE = ("Plot", "Image grid", "against")


def _at_least_readable(svg: str) -> str:
    """An SVG drawn by other code than chainrule.plot (a hand-made chart, an
    older benchmark drawing) gets chainrule.plot's min-width too, so that it
    scrolls on a phone rather than shrinks its text."""
    head = svg[: svg.index(">")]
    box = VIEWBOX.search(head)
    if "min-width" in head or not box:
        return svg
    width = float(box["width"])
    min_width = f"min-width:{width * 0.77:.0f}px"
    if "max-width" not in head:  # nor grow past its own size
        min_width += f";max-width:{width:g}px"
    if 'style="' in head:
        return svg.replace('style="', f'style="{min_width};', 1)
    return svg.replace("<svg", f'<svg style="{min_width}"', 1)


def _without_title_room(svg: str) -> str:
    """The SVG with the strip its (hidden) title was drawn in cut off."""
    head = svg[: svg.index(">")]
    box = VIEWBOX.search(head)
    if 'class="title"' not in svg or not box:
        return svg
    width, height = box["width"], float(box["height"]) - TITLE_ROOM
    return svg.replace(box.group(0), f'viewBox="0 {TITLE_ROOM} {width} {height:g}"', 1)


def _draws(code_html: str) -> bool:
    return bool(DRAWS.search(re.sub(r"<[^>]+>", "", code_html)))


def _number(number: int) -> str:
    return f'<span class="cr-figure__number">Figure {number}.</span>'


def _figure(number: int, picture: str, caption: str, code: str) -> str:
    titled = False
    if not caption and (title := TITLE.search(picture)) and title["title"].strip() not in NO_TITLE:
        caption, titled = title["title"].strip(), True
    if picture.startswith('<pre class="mermaid"><code>'):
        picture = picture.replace("<code>", "<code>" + MERMAID_AT_OWN_SIZE, 1)
    else:
        picture = _at_least_readable(_without_title_room(picture) if titled else picture)
    classes = "cr-figure cr-figure--title-as-caption" if titled else "cr-figure"
    figure = (
        f'<figure class="{classes}" id="figure-{number}">\n'
        f'<div class="cr-figure__drawing">{picture}</div>\n'
        f"<figcaption>{_number(number)} {caption}"
        "</figcaption>\n</figure>\n"
    )
    if code:
        figure += (
            '<details class="example cr-figure__code">\n'
            f"<summary>Code for figure {number}</summary>\n{code}\n</details>\n"
        )
    return figure


def _inside_a_figure(out: list[str]) -> bool:
    done = "".join(out)
    return done.rfind("<figure") > done.rfind("</figure>")


def _runs(html: str) -> list[list[re.Match[str]]]:
    """The page's pictures, grouped: one block may draw several in a row
    (before and after backward(), say), with at most a short bold label
    between two of them."""
    runs: list[list[re.Match[str]]] = []
    for match in PICTURE.finditer(html):
        if runs and BETWEEN_IN_A_RUN.match(html, runs[-1][-1].end(), match.start()):
            runs[-1].append(match)
        else:
            runs.append([match])
    return runs


def _captions(html: str, start: int, count: int) -> tuple[list[str], str, int]:
    """Up to `count` "Figure:" paragraphs from `start`, the HTML found before
    them (the rest of the block's printed output, which stays where it is)
    and where they end. A caption is looked for only up to the next picture,
    heading or code block: past those it would be another figure's."""
    stop = NEXT_THING.search(html, start)
    found = CAPTION.search(html, start, stop.start() if stop else len(html))
    if not found:
        return [], "", start
    between, captions, start = html[start:found.start()], [], found.start()
    while len(captions) < count and (found := CAPTION.match(html, start)):
        captions.append(found["caption"].strip())
        start = found.end()
    return captions, between, start


def captioned(html: str) -> str:
    """The page's HTML with every picture in a numbered, captioned figure and
    the code that drew it folded under the last figure it drew.

    A run of n pictures takes the n "Figure:" paragraphs after it, in order;
    if only one follows, it is the last picture's. A picture with no
    paragraph of its own is captioned by its title."""
    out: list[str] = []
    at = 0  # how much of `html` is in `out`
    number = 0
    for run in _runs(html):
        first, last = run[0], run[-1]
        if _inside_a_figure([*out, html[at:first.start()]]):  # the page captioned it
            for match in run:
                picture = match["picture"]
                out += [html[at:match.start()],
                        match.group(0).replace(picture, _at_least_readable(picture))]
                at = match.end()
            # ...and numbered like the others
            caption = html.find("<figcaption>", at, html.find("</figure>", at))
            if caption != -1:
                number += 1
                out += [html[at:caption], f"<figcaption>{_number(number)} "]
                at = caption + len("<figcaption>")
            continue
        before, end, code = html[at:first.start()], last.end(), ""
        found = CODE_BEFORE.search(before)
        if found and _draws(found["code"]) and not ENDS_A_BLOCK.search(found["between"]):
            code, before = found["code"], before[: found.start()] + found["between"]
        elif (found := CODE_AFTER.match(html, end)) and _draws(found["code"]):
            code, end = found["code"], found.end()
        captions, printed, end = _captions(html, end, len(run))
        if len(captions) == 1:
            captions = [""] * (len(run) - 1) + captions
        captions += [""] * (len(run) - len(captions))
        out.append(before)
        for k, (match, caption) in enumerate(zip(run, captions, strict=True)):
            if k:
                out.append(html[run[k - 1].end():match.start()])  # a label between two
            number += 1
            out.append(_figure(number, match["picture"], caption, code if match is last else ""))
        out.append(printed)
        at = end
    out.append(html[at:])
    return "".join(out)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return captioned(html)


def redirect_page(target: str) -> str:
    """A page that sends the reader on to `target` (a relative URL)."""
    href = html_lib.escape(target, quote=True)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta {REDIRECT_MARK} content="{href}">\n'
        f'<title>Moved</title>\n<link rel="canonical" href="{href}">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        # the refresh forgets a #section; the script keeps it
        f"<script>location.replace({json.dumps(target)} + location.hash)</script>\n</head>\n"
        f'<body><p>This page has moved to <a href="{href}">{href}</a>.</p></body>\n</html>\n'
    )


def on_post_build(config: Any) -> None:
    """Write a redirect page at each old address."""
    site = Path(config["site_dir"])
    for old, new in REDIRECTS.items():
        depth = old.rstrip("/").count("/") + 1
        target = "../" * depth + new
        page = site / old / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(redirect_page(target), encoding="utf-8")

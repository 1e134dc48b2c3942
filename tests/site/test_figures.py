"""The figure hook (hooks/figures.py) on small pieces of HTML shaped like
the build's: numbering, captions, folded code, pages that moved. No build
and no browser needed."""

from __future__ import annotations

import sys

from tests.site.pages import ROOT

sys.path.insert(0, str(ROOT / "hooks"))
from figures import captioned, redirect_page  # noqa: E402

from tests.site.pages import REDIRECT_MARK  # noqa: E402


def code(text: str) -> str:
    """A shown block as markdown-exec writes it (source above its output)."""
    return f'<div class="language-python highlight"><pre><code>{text}</code></pre></div>\n'


def plot(title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400" width="100%" '
            f'role="img"><title id="t">{title}</title><text class="title">{title}</text></svg>\n')


MERMAID = '<pre class="mermaid"><code>flowchart LR\n    a --&gt; b</code></pre>\n'


def test_figures_are_numbered_and_captioned_by_the_paragraph_after_them() -> None:
    page = (code("print(fig.to_svg())") + "<p>" + plot("Loss") + "</p>\n"
            + "<p>Figure: The loss <em>falls</em>.</p>\n<p>Then prose.</p>\n"
            + code("print(draw(L))") + MERMAID)
    html = captioned(page)
    assert html.count("<figure") == 2
    assert '<span class="cr-figure__number">Figure 1.</span> The loss <em>falls</em>.' in html
    assert '<span class="cr-figure__number">Figure 2.</span> </figcaption>' in html
    assert "<p>Figure:" not in html and "<p>Then prose.</p>" in html
    # the drawing code comes after its figure, folded, still one highlighted block
    assert html.index("Figure 1.") < html.index("Code for figure 1") < html.index("to_svg")
    assert html.index("Figure 2.") < html.index("Code for figure 2") < html.index("draw(L)")
    assert html.count('class="language-python highlight"') == 2
    # Mermaid draws at its own size, so that it scrolls rather than shrinks
    assert '"useMaxWidth": false' in html


def test_a_plot_with_no_caption_paragraph_is_captioned_by_its_title() -> None:
    html = captioned(code("print(fig.to_svg())") + plot("Loss against step"))
    assert "Figure 1.</span> Loss against step</figcaption>" in html
    assert "cr-figure--title-as-caption" in html
    assert 'viewBox="0 27 640 373"' in html  # the strip the title was drawn in is cut


def test_a_run_of_pictures_takes_the_captions_after_it_in_order() -> None:
    page = (code('print("```mermaid")') + MERMAID + "<p><strong>after:</strong></p>\n" + MERMAID
            + "<p>Figure: Before.</p>\n<p>Figure: After.</p>\n")
    html = captioned(page)
    assert html.index("Figure 1.</span> Before.") < html.index("after:")
    assert html.index("after:") < html.index("Figure 2.</span> After.")
    assert html.count("Code for figure") == 1 and "Code for figure 2" in html


def test_a_caption_may_follow_the_rest_of_the_blocks_output() -> None:
    page = (code('print("```mermaid")') + MERMAID + "<p>Printed after the graph.</p>\n"
            + "<p>Figure: The graph.</p>\n<h2>Next</h2>\n<p>Figure: not this one's.</p>\n")
    html = captioned(page)
    assert "Figure 1.</span> The graph.</figcaption>" in html
    assert html.index("</figure>") < html.index("Printed after") < html.index("<h2>")
    assert "<p>Figure: not this one's.</p>" in html


def test_code_that_draws_nothing_is_not_folded() -> None:
    html = captioned(code("x = 1") + "<p>" + plot("Loss") + "</p>")
    assert "Code for figure" not in html and html.index("x = 1") < html.index("<figure")


def test_a_figure_the_page_made_itself_is_left_alone() -> None:
    page = "<figure>\n" + plot("Bench") + "<figcaption>Mine.</figcaption>\n</figure>\n"
    html = captioned(page)
    number = '<span class="cr-figure__number">Figure 1.</span>'
    assert html.count("<figure") == 1 and f"<figcaption>{number} Mine." in html
    assert "min-width:493px;max-width:640px" in html  # ...nor shrink its text on a phone


def test_a_moved_page_leaves_a_redirect_the_tests_recognise() -> None:
    html = redirect_page("../../part3/optimizers/")
    assert REDIRECT_MARK in html[:600]
    assert 'url=../../part3/optimizers/"' in html and "location.hash" in html

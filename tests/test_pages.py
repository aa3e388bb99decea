"""Report pages: Markdown through the `markdown` library, figures inlined, no raw HTML."""

from __future__ import annotations

from sim.outcomes.pages import markdown_to_html


def test_lists_tables_and_figures_become_html():
    text = "# Title\n\n- one\n- two\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n![plot](plot.png)\n"
    page = markdown_to_html(text, {"plot": b"\x89PNG"}, "A <report>")
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in page
    assert "<table>" in page and "<td>1</td>" in page
    assert 'src="data:image/png;base64,iVBORw==' in page
    assert "<title>A &lt;report&gt;</title>" in page


def test_markup_from_a_file_is_shown_as_text_not_run():
    text = 'A description <img src=x onerror="alert(1)"> & more'
    page = markdown_to_html(text, {}, "t")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror" in page and "&amp; more" in page

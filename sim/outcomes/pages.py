"""Self-contained report pages: Markdown with figures, turned into one HTML file.

Reports (`sim.experiments.report`) and wargame debriefs (`sim.wargame.debrief`) are written
as Markdown with PNG figures beside them, and as a single HTML file with the figures inlined, which
can be mailed or opened offline.
"""

from __future__ import annotations

import base64
import html
import io

import markdown
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def markdown_to_html(text: str, figures: dict[str, bytes], title: str) -> str:
    """A self-contained HTML page of the Markdown report, its figures inlined.

    The text is converted by the `markdown` library (with pipe tables). Raw HTML in it is
    never passed through: `&` and `<` are escaped first, so a scenario's description
    shows its markup as text instead of running it.
    """
    safe = text.replace("&", "&amp;").replace("<", "&lt;")
    body = markdown.markdown(safe, extensions=["tables"], output_format="html")
    for name, data in figures.items():
        encoded = base64.b64encode(data).decode()
        body = body.replace(f'src="{name}.png"', f'src="data:image/png;base64,{encoded}"')
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        "img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{body}</body></html>"
    )


def png(figure) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()

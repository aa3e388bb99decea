"""Self-contained report pages: Markdown with figures, turned into one HTML file.

Reports (`sim.experiments.report`) and wargame debriefs (`sim.wargame.debrief`) are written
as Markdown with PNG figures beside them, and as a single HTML file with the figures inlined, which
can be mailed or opened offline. The Markdown used is the small subset they write:
headings, paragraphs, list items, pipe tables, bold, code and `![name](name.png)`.
"""

from __future__ import annotations

import base64
import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def markdown_to_html(markdown: str, figures: dict[str, bytes], title: str) -> str:
    """A self-contained HTML page of the Markdown report (images inlined)."""
    body = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if line.startswith("| ---"):
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if match := re.fullmatch(r"!\[(\w+)\]\(\w+\.png\)", line):
            data = base64.b64encode(figures[match.group(1)]).decode()
            body.append(f'<img alt="{match.group(1)}" src="data:image/png;base64,{data}">')
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line.lstrip('# '))}</h{level}>")
        elif line.startswith("- "):
            body.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        "img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_inline(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )


def _inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def png(figure) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()

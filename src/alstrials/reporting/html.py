"""A self-contained HTML report: headings, paragraphs, tables and figures embedded as base64
PNG, one file with no external resources (a DMC member can open it offline).

The same content gives the same bytes: no timestamps are written, figures are rendered with the
Agg backend without software metadata.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import cast

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["HtmlReport"]

_STYLE = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1000px; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #4C72B0; padding-bottom: .2em; }
h2 { margin-top: 1.6em; color: #2b4a7a; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #eef2f8; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figcaption { font-size: .9em; color: #555; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5em 1em; }
.decision { font-size: 1.2em; font-weight: bold; padding: .5em 1em; background: #eef2f8; }
"""


class HtmlReport:
    """Build a report piece by piece, then :meth:`render` or :meth:`write` it."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = []
        self.n_figures = 0

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, css_class: str | None = None) -> HtmlReport:
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def table(
        self,
        frame: pd.DataFrame,
        caption: str | None = None,
        *,
        index: bool = True,
        float_format: str = "{:.4g}",
    ) -> HtmlReport:
        if caption:
            self._parts.append(f"<p><b>{html.escape(caption)}</b></p>")
        self._parts.append(
            frame.to_html(index=index, border=0, float_format=float_format.format, na_rep="-")
        )
        return self

    def figure(self, figure: Figure | Axes, caption: str | None = None) -> HtmlReport:
        fig = cast(Figure, figure.figure if isinstance(figure, Axes) else figure)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.n_figures += 1
        alt = html.escape(caption or f"figure {self.n_figures}")
        cap = f"<figcaption>{alt}</figcaption>" if caption else ""
        self._parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'style="max-width:100%">{cap}</figure>'
        )
        return self

    def render(self) -> str:
        body = "\n".join(self._parts)
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>\n"
            f"<body><h1>{html.escape(self.title)}</h1>\n{body}\n</body></html>\n"
        )

    def write(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.render(), encoding="utf-8")
        return target

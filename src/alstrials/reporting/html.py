"""A self-contained HTML report that prints: sections, paragraphs, key-value tables, tables that
never outgrow the page, and figures embedded as base64 PNG, in one file with no external
resources (a DMC member can open it offline).

Layout for print: an ``@page`` rule for A4 or US Letter (``paper=``) with a running header and
page numbers in the page margins, each section on a new page, headings kept with what follows,
no table row, figure or box cut across pages, and table headers repeated on every page. A
table with more than ``max_columns`` columns is split into several tables, each repeating the
row labels, so that none is wider than the page (A4's text width, about 180 mm, is the
narrower of the two). Figures keep their aspect ratio and are scaled down to the page.

The same content gives the same bytes: nothing time-dependent is written unless the caller
puts it in, figures are rendered with the Agg backend without software metadata.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["HtmlReport", "PAPER_SIZES"]

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
"""Paper sizes a report can be laid out for (the ``@page`` size)."""

_STYLE = """
:root { --ink: #1f2328; --muted: #57606a; --rule: #c8ced6; --head: #eef2f8; --accent: #2b4a7a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: 'DejaVu Sans', -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif;
       margin: 1.5em auto; padding: 0 1em; max-width: 980px; color: var(--ink);
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6em; border-bottom: 2px solid var(--accent); padding-bottom: .2em;
     margin-bottom: .3em; }
h2 { margin-top: 1.4em; color: var(--accent); font-size: 1.3em; }
h3 { margin: 1.2em 0 .4em; font-size: 1.05em; }
p { margin: .45em 0; }
.subtitle { color: var(--muted); font-size: 1.05em; margin-top: 0; }
.banner { border: 2px solid #9a1b1b; color: #7a1111; background: #fdf1f1; padding: .5em .8em;
          font-weight: bold; margin: .8em 0; }
.banner.open { border-color: #1b5e20; color: #1b5e20; background: #eef7ee; }
.table-wrap { max-width: 100%; margin: .4em 0 1.1em; }
table { border-collapse: collapse; font-size: .88em; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: .2em 0 .35em; }
th, td { border: 1px solid var(--rule); padding: .22em .5em; text-align: right;
         vertical-align: top; }
td.text { overflow-wrap: anywhere; }
td.num { white-space: nowrap; }
thead th { background: var(--head); overflow-wrap: normal; hyphens: manual; }
tbody th { background: #f7f9fc; text-align: left; font-weight: normal; }
th.stub { white-space: nowrap; }
td.text, th.text { text-align: left; }
table.kv { width: 100%; }
table.kv th { width: 32%; text-align: left; background: var(--head); font-weight: bold; }
table.kv td { text-align: left; }
.mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: .85em;
        overflow-wrap: anywhere; }
.table-notes { font-size: .82em; color: var(--muted); margin: -.7em 0 1.1em; }
.table-notes p { margin: .15em 0; }
figure { margin: .8em 0 1.2em; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: var(--muted); margin-top: .3em; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .45em .9em; }
.decision { font-size: 1.1em; font-weight: bold; padding: .55em .9em; background: var(--head);
            border-left: 5px solid var(--accent); }
.small { font-size: .85em; color: var(--muted); }
ul { margin: .3em 0 .8em 1.2em; padding: 0; }
.flow { margin: .6em 0 1.2em; }
.flow-box { border: 1.5px solid var(--accent); border-radius: 3px; padding: .35em .6em;
            margin: 0 auto; max-width: 30em; text-align: center; background: #fff; }
.flow-main { background: var(--head); }
.flow-side { border-style: dashed; }
.flow-arrow { text-align: center; color: var(--accent); line-height: 1.1; font-size: 1.1em; }
.flow-arms { display: grid; gap: .6em; }
.flow-col { display: flex; flex-direction: column; gap: .4em; }
.flow-col .flow-box { max-width: none; width: 100%; }
section.sheet { break-before: page; }
section.sheet:first-of-type { break-before: auto; }
"""

_PRINT = """
@page { size: %(size)s; margin: 17mm 14mm 17mm 14mm;
  @top-left { content: "%(header)s"; font: 7.5pt 'DejaVu Sans', Helvetica, Arial, sans-serif;
              color: #57606a; }
  @bottom-left { content: "%(footer)s"; font: 7.5pt 'DejaVu Sans', Helvetica, Arial, sans-serif;
                 color: #57606a; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 7.5pt 'DejaVu Sans', Helvetica, Arial, sans-serif; color: #57606a; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h1, h2, h3, caption { break-after: avoid; }
  h2 { margin-top: 0; }
  .table-wrap, figure, .flow, .decision, .banner, table.kv, .keep { break-inside: avoid; }
  tr, .flow-box { break-inside: avoid; }
  thead { display: table-header-group; }
  figure img { max-height: 112mm; width: auto; }
  table { font-size: 8.3pt; }
  a { color: inherit; text-decoration: none; }
}
"""


_NUMBER = re.compile(r"^[<>]?[-+]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?%?( \([^)]*\))?$")
"""A cell that reads as a number ("7", "<0.001", "12 (5.3%)", "0.47 (0.29-0.78)"): right-aligned."""


PAGE_WIDTH_PX = 600
"""Width budget of one table, CSS px: under the A4 text width (182 mm, 688 px) on paper and
the screen layout of a narrow window, leaving room for borders and wrapping."""
_CHAR_PX = 7.6  # average glyph width of the table font (0.88 x 15 px DejaVu Sans)
_CELL_PAD_PX = 18.0  # padding and borders of a cell


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class HtmlReport:
    """Build a report piece by piece, then :meth:`render` or :meth:`write` it.

    Parameters
    ----------
    title : str
        The document title (``<h1>`` and ``<title>``).
    subtitle, banner : str, optional
        A line under the title, and a framed notice (e.g. the distribution of the report);
        ``banner_class`` "open" frames it in green instead of red.
    paper : {"a4", "letter"}
        The paper size of the print stylesheet and of a PDF printed from it.
    running_header, running_footer : str, optional
        Text printed in the top-left and bottom-left page margins (page numbers are printed
        bottom right).

    Examples
    --------
    >>> import pandas as pd
    >>> report = HtmlReport("Example").section("Numbers")
    >>> report = report.table(pd.DataFrame({"a": [1, 2]}), "Two numbers", index=False)
    >>> "<caption>Two numbers</caption>" in report.render()
    True
    """

    def __init__(
        self,
        title: str,
        *,
        subtitle: str | None = None,
        banner: str | None = None,
        banner_class: str = "",
        paper: str = "a4",
        running_header: str | None = None,
        running_footer: str | None = None,
    ) -> None:
        if paper not in PAPER_SIZES:
            raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, got {paper!r}")
        self.title = title
        self.paper = paper
        self.running_header = running_header if running_header is not None else title
        self.running_footer = running_footer or ""
        self._front: list[str] = []
        if subtitle:
            self._front.append(f'<p class="subtitle">{html.escape(subtitle)}</p>')
        if banner:
            cls = f"banner {banner_class}".strip()
            self._front.append(f'<div class="{cls}">{html.escape(banner)}</div>')
        self._sections: list[tuple[str | None, list[str]]] = [(None, [])]
        self.n_figures = 0
        self.n_tables = 0

    @property
    def _parts(self) -> list[str]:
        return self._sections[-1][1]

    def section(self, title: str) -> HtmlReport:
        """Start a section: a new printed page headed ``title``."""
        self._sections.append((title, []))
        return self

    def heading(self, text: str, level: int = 3) -> HtmlReport:
        """A heading inside the current section (``level`` 2 starts a section)."""
        if level <= 2:
            return self.section(text)
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, css_class: str | None = None) -> HtmlReport:
        cls = f' class="{css_class}"' if css_class else ""
        self._parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def bullets(self, items: Sequence[str]) -> HtmlReport:
        """A bulleted list."""
        lis = "".join(f"<li>{html.escape(item)}</li>" for item in items)
        self._parts.append(f"<ul>{lis}</ul>")
        return self

    def raw(self, fragment: str) -> HtmlReport:
        """An HTML fragment built by the caller (escape every text it holds)."""
        self._parts.append(fragment)
        return self

    def key_values(
        self,
        rows: Sequence[tuple[str, str]],
        caption: str | None = None,
        *,
        mono: Sequence[str] = (),
    ) -> HtmlReport:
        """A two-column table of labelled values (a cover page, a design in words);
        labels listed in ``mono`` show their value in a monospaced font (hashes)."""
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        body = "".join(
            f'<tr><th scope="row">{html.escape(k)}</th>'
            f"<td{' class=mono' if k in mono else ''}>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        self._parts.append(f'<table class="kv">{cap}<tbody>{body}</tbody></table>')
        self.n_tables += 1
        return self

    def table(
        self,
        frame: pd.DataFrame,
        caption: str | None = None,
        *,
        index: bool = True,
        float_format: str = "{:.4g}",
        na_rep: str = "not available",
        max_columns: int = 7,
        notes: Sequence[str] = (),
    ) -> HtmlReport:
        """A table, split into several when it has more than ``max_columns`` data columns
        (each part repeats the row labels: the index, or the first column when ``index`` is
        False). ``notes`` are printed under the (last) table."""
        data = frame if index else frame.set_index(frame.columns[0])
        chunks = self._chunks(data, float_format, na_rep, max(int(max_columns), 1))
        for number, chunk in enumerate(chunks, start=1):
            part = caption or ""
            if len(chunks) > 1:
                part = f"{part} (part {number} of {len(chunks)})".strip()
            self._parts.append(
                '<div class="table-wrap">'
                f"{self._table_html(data[chunk], part, float_format, na_rep)}</div>"
            )
            self.n_tables += 1
        if notes:
            text = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
            self._parts.append(f'<div class="table-notes">{text}</div>')
        return self

    def _chunks(
        self, data: pd.DataFrame, float_format: str, na_rep: str, max_columns: int
    ) -> list[list[object]]:
        """Columns in groups that fit the page: at most ``max_columns`` each, and an estimated
        width (longest unbreakable text of each column) within :data:`PAGE_WIDTH_PX`."""

        def width(texts: list[str], numeric: bool) -> float:
            if numeric:  # numbers do not wrap
                longest = max((len(t) for t in texts), default=1)
            else:
                longest = max((len(w) for t in texts for w in t.split()), default=1)
            return _CHAR_PX * longest + _CELL_PAD_PX

        def column_width(values: list[object], header: object) -> float:
            texts = [self._cell(v, float_format, na_rep) for v in values]
            numeric = all(_NUMBER.match(t) or t == na_rep for t in texts)
            return max(width(texts, numeric), width([str(header)], False))

        stub = column_width(list(data.index), data.index.name or "")
        chunks: list[list[object]] = [[]]
        used = stub
        for column in data.columns:
            need = column_width(data[column].tolist(), column)
            current = chunks[-1]
            if current and (len(current) >= max_columns or used + need > PAGE_WIDTH_PX):
                chunks.append([])
                used = stub
            chunks[-1].append(column)
            used += need
        return chunks

    @staticmethod
    def _cell(value: object, float_format: str, na_rep: str) -> str:
        """The text of a cell."""
        if value is None or (isinstance(value, float) and value != value):
            return na_rep
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return float_format.format(value)
        if hasattr(value, "item"):  # numpy scalar
            return HtmlReport._cell(value.item(), float_format, na_rep)  # type: ignore[union-attr]
        if pd.isna(value):  # type: ignore[call-overload]
            return na_rep
        return str(value)

    def _table_html(self, data: pd.DataFrame, caption: str, float_format: str, na_rep: str) -> str:
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        texts = [
            [self._cell(v, float_format, na_rep) for v in data[c].tolist()] for c in data.columns
        ]
        numeric = [bool(col) and all(_NUMBER.match(t) or t == na_rep for t in col) for col in texts]
        label = data.index.name or ""
        head = f'<th class="text stub" scope="col">{html.escape(str(label))}</th>' + "".join(
            f'<th{"" if num else " class=text"} scope="col">{html.escape(str(c))}</th>'
            for c, num in zip(data.columns, numeric, strict=True)
        )
        rows = []
        for i, key in enumerate(data.index):
            cells = "".join(
                f'<td class="{"num" if num else "text"}">{html.escape(col[i])}</td>'
                for col, num in zip(texts, numeric, strict=True)
            )
            shown = html.escape(self._cell(key, float_format, na_rep))
            rows.append(f'<tr><th class="stub" scope="row">{shown}</th>{cells}</tr>')
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def figure(
        self, figure: Figure | Axes, caption: str | None = None, *, dpi: int = 120
    ) -> HtmlReport:
        """A matplotlib figure as an embedded PNG (closed after rendering), shown at its
        design size on screen and scaled down to the page width in print."""
        fig = cast(Figure, figure.figure if isinstance(figure, Axes) else figure)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        png = buffer.getvalue()
        width_px = int.from_bytes(png[16:20], "big")  # IHDR width
        data = base64.b64encode(png).decode("ascii")
        self.n_figures += 1
        alt = html.escape(caption or f"figure {self.n_figures}")
        cap = f"<figcaption>Figure {self.n_figures}. {alt}</figcaption>" if caption else ""
        css_width = round(width_px * 96 / dpi)
        self._parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{alt}" '
            f'width="{css_width}">{cap}</figure>'
        )
        return self

    def render(self) -> str:
        css = _STYLE + _PRINT % {
            "size": PAPER_SIZES[self.paper],
            "header": _css_string(self.running_header),
            "footer": _css_string(self.running_footer),
        }
        pieces = [f"<h1>{html.escape(self.title)}</h1>", *self._front, *self._sections[0][1]]
        body = ['<section class="front">' + "\n".join(pieces) + "</section>"]
        for title, parts in self._sections[1:]:
            heading = f"<h2>{html.escape(title or '')}</h2>"
            body.append('<section class="sheet">' + "\n".join([heading, *parts]) + "</section>")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title><style>{css}</style></head>\n"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n"
        )

    def write(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.render(), encoding="utf-8")
        return target

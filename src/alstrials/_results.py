"""Behaviour shared by every fitted result: tables for notebooks, markdown and LaTeX.

A result class is a frozen dataclass that defines ``summary() -> pandas.DataFrame``,
``converged`` and ``__repr__``; inheriting :class:`ResultMixin` adds the notebook HTML view and
text exports built from ``summary()``, so every result renders the same way.
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["ResultMixin", "convergence_note"]


def convergence_note(
    converged: bool, message: str = "", problems: tuple[str, ...] | list[str] = ()
) -> str:
    """One line saying whether a fit converged (and what is wrong), for reprs and HTML."""
    if converged and not problems:
        return "converged"
    detail = "; ".join([*([message] if message else []), *problems])
    return "NOT CONVERGED" + (f": {detail}" if detail else "")


class ResultMixin:
    """Mixin: ``_repr_html_``, ``to_markdown`` and ``to_latex`` from ``summary()``."""

    def summary(self) -> pd.DataFrame:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        title = html.escape(repr(self))
        converged = getattr(self, "converged", True)
        problems = getattr(self, "problems", ())
        warn = "" if converged else '<p style="color:#b00"><b>Warning: not converged.</b></p>'
        if problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            warn += f'<ul style="color:#b00">{items}</ul>'
        return f"<p><b>{title}</b></p>{warn}" + self.summary().to_html(float_format="{:.6g}".format)

    def to_markdown(self, floatfmt: str = ".4g") -> str:
        """The summary as a GitHub-flavoured markdown table."""
        return _markdown(self.summary(), floatfmt)

    def to_latex(self, floatfmt: str = "%.4g") -> str:
        """The summary as a LaTeX tabular (booktabs style)."""
        return self.summary().to_latex(float_format=lambda v: floatfmt % v)


def _markdown(frame: pd.DataFrame, floatfmt: str) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return format(v, floatfmt)
        return str(v)

    index_name = frame.index.name or ""
    header = [index_name, *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, row in frame.iterrows():
        lines.append("| " + " | ".join([str(label), *(cell(v) for v in row)]) + " |")
    return "\n".join(lines)

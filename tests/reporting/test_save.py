"""save_figure: PNG and PDF twins, the same bytes for the same figure, a readable record."""

from __future__ import annotations

import hashlib

import matplotlib.pyplot as plt
import numpy as np
import pytest

from alstrials.errors import AlstrialsError
from alstrials.reporting.save import figure_record, read_figure_record, save_figure


def _digest(path) -> str:  # noqa: ANN001
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writes_png_and_pdf_from_any_suffix(tmp_path) -> None:  # noqa: ANN001
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="placebo", color="#0072B2")
    ax.set(title="Decline", xlabel="Time (months)", ylabel="Score (points)")
    ax.legend()
    first = save_figure(ax, tmp_path / "a" / "decline.png")
    assert [p.name for p in first] == ["decline.png", "decline.pdf"]
    assert first[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first[1].read_bytes()[:5] == b"%PDF-"
    again = save_figure(fig, tmp_path / "b" / "decline", close=True)
    assert [_digest(p) for p in first] == [_digest(p) for p in again]  # no timestamps
    assert plt.fignum_exists(fig.number) is False
    record = read_figure_record(first[0])
    assert record == {
        "title": "Decline",
        "axes": [
            {
                "title": "Decline",
                "xlabel": "Time (months)",
                "ylabel": "Score (points)",
                "y_categories": False,
                "legend": [["placebo", "#0072b2"]],
            }
        ],
    }


def test_record_follows_shared_axes_and_word_ticks() -> None:
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True)
    try:
        top.set_ylabel("Survival probability")
        bottom.set_xlabel("Time (months)")
        bottom.set_yticks([0, 1], ["active", "placebo"])
        fig.suptitle("Kaplan-Meier")
        record = figure_record(np.array([top, bottom]))
        assert record["title"] == "Kaplan-Meier"
        first, second = record["axes"]
        assert first["xlabel"] == "Time (months)"  # from the Axes it shares x with
        assert second["ylabel"] == "" and second["y_categories"] is True
        assert first["y_categories"] is False
    finally:
        plt.close(fig)


def test_errors_name_what_was_given(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(AlstrialsError, match="expected a matplotlib Figure"):
        save_figure("figure.png", tmp_path / "x")
    plain = tmp_path / "plain.png"
    fig, _ = plt.subplots()
    fig.savefig(plain)
    plt.close(fig)
    with pytest.raises(AlstrialsError, match="was it written by save_figure"):
        read_figure_record(plain)

"""Tests of alstrials.reporting.forest.forest_plot."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from alstrials.errors import DataValidationError
from alstrials.reporting.forest import forest_plot, term_label


def coef_table(shift: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "estimate": np.log([0.7, 1.4]) * shift,
            "se": [0.17, 0.12],
            "hr": [0.7 * shift, 1.4],
            "hr_low": [0.5 * shift, 1.1],
            "hr_high": [0.98 * shift, 1.8],
            "z": [-2.1, 2.8],
            "p": [0.036, 0.005],
        },
        index=pd.Index(["arm[active]", "delta_fs"], name="covariate"),
    )


def test_single_table_on_given_axes():
    fig, ax = plt.subplots()
    out = forest_plot(coef_table(), ax=ax, labels={"delta_fs": "delta-FS"})
    assert out is ax
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Active vs placebo", "delta-FS (per point/month)"]
    # Point estimates drawn at the HRs, first covariate on top.
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), [0.7, 1.4])
    assert line.get_ydata()[0] > line.get_ydata()[1]
    # Reference line at 1, one annotation per row under a heading.
    assert any(np.allclose(ln.get_xdata(), [1, 1]) for ln in ax.lines)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.70 (0.50-0.98)", "1.40 (1.10-1.80)", "HR (95% CI)"]
    # Plain-number ticks spanning the intervals and the reference line.
    ticks = list(ax.get_xticks())
    assert 1.0 in ticks and min(ticks) <= 0.5 and max(ticks) >= 1.5
    plt.close(fig)


def test_several_models_get_legend_and_offsets():
    tables = {"unadjusted": coef_table(), "adjusted": coef_table(0.9).iloc[:1]}
    ax = forest_plot(tables)
    assert ax.get_legend() is not None
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["unadjusted", "adjusted"]
    # both models' rows are annotated, in the model's colour
    assert [t.get_text() for t in ax.texts][:3] == [
        "0.70 (0.50-0.98)",
        "1.40 (1.10-1.80)",
        "0.63 (0.45-0.88)",
    ]
    # The two models' "arm[active]" rows sit at different heights around the same tick.
    y_unadj, y_adj = ax.lines[0].get_ydata()[0], ax.lines[3].get_ydata()[0]
    assert y_unadj > y_adj and abs(y_unadj - y_adj) < 0.5  # first model on top
    np.testing.assert_allclose(ax.lines[3].get_xdata(), [0.63])
    plt.close(ax.figure)


def test_bad_tables():
    with pytest.raises(DataValidationError, match="lacks column\\(s\\) \\['hr_low'\\]"):
        forest_plot(coef_table().drop(columns="hr_low"))
    bad = coef_table()
    bad.loc["delta_fs", "hr_low"] = 0.0
    with pytest.raises(DataValidationError, match="row 'delta_fs', column 'hr_low'"):
        forest_plot(bad)
    plt.close("all")


def test_one_row_per_effect_whatever_the_term_name():
    """The treatment effect named three ways in three models is one row, in words."""
    names = ["active", "C(arm, Treatment('placebo'))[T.active]", "arm[T.active]"]
    tables = {f"m{k}": coef_table().iloc[:1].set_axis([name]) for k, name in enumerate(names)}
    ax = forest_plot(tables)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Active vs placebo"]
    plt.close(ax.figure)


def test_per_unit_scaling_is_stated_and_applied():
    """Age per 10 years: the ratio is HR**10 with its interval, and the label says so."""
    coef = pd.DataFrame(
        {"hr": [1.01], "hr_low": [0.99], "hr_high": [1.03]}, index=pd.Index(["age"])
    )
    ax = forest_plot(coef)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Age (per 10 years)"]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1.01**10])
    assert ax.texts[0].get_text() == f"{1.01**10:.2f} ({0.99**10:.2f}-{1.03**10:.2f})"
    plain = forest_plot(coef, per=None)
    assert [t.get_text() for t in plain.get_yticklabels()] == ["Age (per year)"]
    np.testing.assert_allclose(plain.lines[0].get_xdata(), [1.01])
    plt.close("all")


@pytest.mark.parametrize(
    ("term", "label"),
    [
        ("C(arm, Treatment('placebo'))[T.active]", "Active vs placebo"),
        ("C(site, Treatment(reference='A'))[T.B]", "Site: B vs A"),
        ("arm[T.active]", "Active vs placebo"),
        ("sex[T.M]", "Sex: M"),
        ("composite_sign", "Composite MRI sign (positive vs negative)"),
        ("cord_csa_mm2", "Cord area (per mm²)"),
        ("bmi", "Bmi"),
    ],
)
def test_term_labels(term, label):
    assert term_label(term) == label

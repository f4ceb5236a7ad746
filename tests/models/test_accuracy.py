"""Tests of alstrials.models.accuracy against statsmodels (Wilson) and an R script (log LR)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from alstrials.errors import DataValidationError
from alstrials.models.accuracy import MEASURES, diagnostic_accuracy, wilson_interval

R_LR = Path(__file__).parents[1] / "reference" / "accuracy" / "lr_log_method.csv"


def test_literature_figures_reproduced():
    # docs/simulator.md (Calibration sources): TP 120, FN 51, FP 13, TN 57 gives
    # sens 70%, spec 81%, PPV 90%, acc 73%.
    res = diagnostic_accuracy(tp=120, fp=13, fn=51, tn=57)
    assert list(res.index) == list(MEASURES)
    assert list(res.columns) == ["estimate", "ci_low", "ci_high"]
    pct = (100 * res["estimate"]).round()
    assert pct["sensitivity"] == 70
    assert pct["specificity"] == 81
    assert pct["ppv"] == 90
    assert pct["accuracy"] == 73
    assert res.attrs["counts"] == {"tp": 120, "fp": 13, "fn": 51, "tn": 57}


@pytest.mark.parametrize(("x", "n"), [(120, 171), (57, 70), (0, 12), (12, 12), (3, 40), (1, 1)])
def test_wilson_matches_statsmodels(x, n):
    _, low, high = wilson_interval(x, n)
    ref = proportion_confint(x, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose([low, high], ref, rtol=1e-10, atol=1e-12)


def test_wilson_other_level_matches_statsmodels():
    _, low, high = wilson_interval(30, 50, level=0.9)
    np.testing.assert_allclose([low, high], proportion_confint(30, 50, 0.1, "wilson"), rtol=1e-10)


@pytest.mark.parametrize("row", range(4))
def test_against_r_reference(row):
    # R: tests/reference/accuracy/lr_log_method.R (log method, Haldane +0.5 for zero cells;
    # prop.test without correction for the Wilson intervals).
    ref = pd.read_csv(R_LR).iloc[row]
    res = diagnostic_accuracy(tp=ref.tp, fp=ref.fp, fn=ref.fn, tn=ref.tn)
    for name in ("lr_positive", "lr_negative"):
        got = res.loc[name, ["estimate", "ci_low", "ci_high"]].to_numpy()
        np.testing.assert_allclose(
            got, [ref[name], ref[f"{name}_low"], ref[f"{name}_high"]], rtol=1e-8
        )
    for name in ("sensitivity", "specificity"):
        got = res.loc[name, ["ci_low", "ci_high"]].to_numpy()
        np.testing.assert_allclose(got, [ref[f"{name}_low"], ref[f"{name}_high"]], rtol=1e-8)


def test_boolean_input_equals_counts():
    rng = np.random.default_rng(1)
    truth = rng.random(200) < 0.6
    test = np.where(truth, rng.random(200) < 0.8, rng.random(200) < 0.2)
    tp = int(np.sum(test & truth))
    fp = int(np.sum(test & ~truth))
    fn = int(np.sum(~test & truth))
    tn = int(np.sum(~test & ~truth))
    pd.testing.assert_frame_equal(
        diagnostic_accuracy(test=test, truth=truth), diagnostic_accuracy(tp=tp, fp=fp, fn=fn, tn=tn)
    )


def test_by_subgroups():
    data = pd.DataFrame(
        {
            "sign": [True, True, False, False, True, False, True, False],
            "als": [True, False, True, False, True, True, True, False],
            "centre": ["A", "A", "A", "A", "B", "B", "B", "B"],
        }
    )
    res = diagnostic_accuracy(data=data, test="sign", truth="als", by="centre")
    assert res.index.names == ["centre", "measure"]
    # centre A: TP 1, FP 1, FN 1, TN 1 -> sensitivity 1/2; centre B: TP 2, FN 1, TN 1 -> 2/3.
    assert res.loc[("A", "sensitivity"), "estimate"] == pytest.approx(0.5)
    assert res.loc[("B", "sensitivity"), "estimate"] == pytest.approx(2 / 3)
    assert res.attrs["counts"]["B"] == {"tp": 2, "fp": 0, "fn": 1, "tn": 1}


def test_prevalence_bayes_and_interval():
    res = diagnostic_accuracy(tp=120, fp=13, fn=51, tn=57, prevalence=0.1)
    sens, spec = 120 / 171, 57 / 70
    ppv = sens * 0.1 / (sens * 0.1 + (1 - spec) * 0.9)
    npv = spec * 0.9 / (spec * 0.9 + (1 - sens) * 0.1)
    assert res.loc["ppv", "estimate"] == pytest.approx(ppv, rel=1e-12)
    assert res.loc["npv", "estimate"] == pytest.approx(npv, rel=1e-12)
    # The PPV interval is the LR+ interval mapped by odds(PPV) = odds(prev) * LR+.
    odds_low = res.loc["lr_positive", "ci_low"] * 0.1 / 0.9
    assert res.loc["ppv", "ci_low"] == pytest.approx(odds_low / (1 + odds_low), rel=1e-12)
    # NPV: odds(NPV) = odds(1 - prev) / LR-; the upper LR- bound gives the lower NPV bound.
    odds_npv_low = (0.9 / 0.1) / res.loc["lr_negative", "ci_high"]
    assert res.loc["npv", "ci_low"] == pytest.approx(odds_npv_low / (1 + odds_npv_low))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_intervals_contain_estimates(tp, fp, fn, tn):
    if tp + fn == 0 or fp + tn == 0:
        return  # sensitivity or specificity undefined; covered by the NaN test below
    res = diagnostic_accuracy(tp=tp, fp=fp, fn=fn, tn=tn)
    finite = res.dropna()
    assert (finite["ci_low"] <= finite["estimate"] + 1e-12).all()
    assert (finite["estimate"] <= finite["ci_high"] + 1e-12).all()
    props = finite.loc[finite.index.isin(MEASURES[:5])]
    assert ((props >= 0) & (props <= 1)).all().all()
    assert (res.loc[["lr_positive", "lr_negative"]] > 0).all().all()


def test_undefined_proportion_is_nan():
    res = diagnostic_accuracy(tp=0, fp=3, fn=0, tn=5)
    assert np.isnan(res.loc["sensitivity", "estimate"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tp": 1, "fp": 2, "fn": 3}, ValueError, "all four counts"),
        ({"tp": -1, "fp": 2, "fn": 3, "tn": 4}, DataValidationError, "non-negative integer"),
        ({"tp": 1.5, "fp": 2, "fn": 3, "tn": 4}, DataValidationError, "non-negative integer"),
        ({"tp": 0, "fp": 0, "fn": 0, "tn": 0}, DataValidationError, "empty"),
        ({"test": [True, None], "truth": [True, False]}, DataValidationError, "missing"),
        ({"test": [True, 2], "truth": [True, False]}, DataValidationError, "row 1"),
        ({"test": [True], "truth": [True, False]}, DataValidationError, "different lengths"),
        ({"tp": 1, "fp": 2, "fn": 3, "tn": 4, "prevalence": 1.0}, ValueError, "prevalence"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        diagnostic_accuracy(**kwargs)


def test_missing_column():
    with pytest.raises(DataValidationError, match="'mri' is not in data"):
        diagnostic_accuracy(data=pd.DataFrame({"x": [True]}), test="mri", truth="x")

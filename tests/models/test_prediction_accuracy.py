"""Prediction accuracy (alstrials.models.prediction) against riskRegression and invariants.

The reference values in ``tests/reference/prediction/`` were produced by
``tests/reference/prediction/score.R`` (riskRegression 2022.11.28 ``Score`` with
``cens.model = "km"``; survival ``survfit`` for the Aalen-Johansen check) on the data that
``make_data.py`` writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import DataValidationError
from alstrials.models.joint import fit_joint
from alstrials.models.joint.simulate import simulate_joint_competing
from alstrials.models.prediction import (
    NULL_MODEL,
    aalen_johansen,
    calibration_table,
    dynamic_prediction_accuracy,
    prediction_accuracy,
    score_predictions,
)

REF = Path(__file__).parents[1] / "reference" / "prediction"
HORIZONS = (3.0, 6.0, 9.0)


def _case(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = pd.read_csv(REF / f"{name}.csv")
    pred = pd.concat(
        [
            pd.DataFrame({"id": d["id"], "model": m, "horizon": h, "risk": d[f"{m}_{h:g}"]})
            for m in ("m1", "m2")
            for h in HORIZONS
        ],
        ignore_index=True,
    )
    return d, pred


@pytest.mark.parametrize("name", ["competing", "survival"])
def test_matches_riskregression_score(name):
    d, pred = _case(name)
    sc = score_predictions(d, pred, cause="event", censor_code=0, cause_of_interest=1)
    ref = pd.read_csv(REF / f"score_{name}.csv")
    got = sc.set_index(["metric", "model", "horizon"])
    want = ref.set_index(["metric", "model", "horizon"])
    assert set(got.index) == set(want.index)
    got = got.loc[want.index]
    # point estimates and influence-function standard errors and intervals
    for col in ("estimate", "se", "lower", "upper"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-8, atol=1e-10, err_msg=col)


def test_event_indicator_equals_cause_coding():
    d, pred = _case("survival")
    a = score_predictions(d, pred, cause="event", censor_code=0)
    b = score_predictions(d, pred, cause=None, event="event")
    pd.testing.assert_frame_equal(a, b)


def test_aalen_johansen_matches_survfit():
    d = pd.read_csv(REF / "competing.csv")
    ref = pd.read_csv(REF / "aalen_johansen.csv")
    out = aalen_johansen(d["time"].to_numpy(), d["event"].to_numpy(), np.array(HORIZONS))
    for col in ("risk", "se", "lower", "upper"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-8, err_msg=col)


def test_bootstrap_reproducible_and_covers():
    d, pred = _case("competing")
    kw = dict(cause="event", censor_code=0, cause_of_interest=1, n_boot=150)
    a = score_predictions(d, pred, seed=7, **kw)
    b = score_predictions(d, pred, seed=7, **kw)
    c = score_predictions(d, pred, seed=8, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["boot_lower"], c["boot_lower"])
    assert (a["boot_lower"] <= a["estimate"]).all() and (a["estimate"] <= a["boot_upper"]).all()
    # the bootstrap and influence-function standard errors agree roughly
    np.testing.assert_allclose(a["boot_se"], a["se"], rtol=0.35)


def _synthetic(n: int, seed: int, signal: bool):
    rng = np.random.default_rng(seed)
    t_event = rng.exponential(5.0, n)
    cause = rng.choice(["als", "other"], size=n, p=[0.7, 0.3])
    cens = rng.uniform(1, 12, n)
    time = np.minimum(t_event, cens)
    out = pd.DataFrame(
        {"id": np.arange(n), "time": time, "cause": np.where(t_event <= cens, cause, None)}
    )
    h = 4.0
    if signal:  # a perfect ranking: cases above every control
        case = (out["time"] <= h) & (out["cause"] == "als")
        risk = np.where(case, 0.9 - 0.01 * out["time"] / h, 0.1 * rng.uniform(size=n))
    else:
        risk = rng.uniform(size=n)
    pred = pd.DataFrame({"id": out["id"], "model": "m", "horizon": h, "risk": risk})
    return out, pred


def test_perfect_predictor_auc_one():
    out, pred = _synthetic(300, 1, signal=True)
    sc = score_predictions(out, pred, cause_of_interest="als")
    auc = sc[sc["metric"] == "AUC"]["estimate"].iloc[0]
    assert auc == pytest.approx(1.0, abs=1e-12)


def test_random_predictor_auc_half():
    aucs = []
    for seed in range(5):
        out, pred = _synthetic(400, seed, signal=False)
        sc = score_predictions(out, pred, cause_of_interest="als", null_model=False)
        aucs.append(sc[sc["metric"] == "AUC"]["estimate"].iloc[0])
    assert abs(np.mean(aucs) - 0.5) < 0.04


def test_constant_risk_auc_half_and_null_brier():
    out, pred = _synthetic(200, 3, signal=False)
    null = aalen_johansen(
        out["time"].to_numpy(),
        np.where(out["cause"] == "als", 1, np.where(out["cause"].isna(), 0, 2)),
        np.array([4.0]),
        se=False,
    )
    sc = score_predictions(out, pred.assign(risk=float(null["risk"][0])), cause_of_interest="als")
    est = sc.set_index(["metric", "model"])["estimate"]
    assert est[("AUC", "m")] == pytest.approx(0.5)
    assert est[("Brier", "m")] == pytest.approx(est[("Brier", NULL_MODEL)], rel=1e-12)


def test_calibration_table_groups():
    out, pred = _synthetic(300, 2, signal=False)
    tab = calibration_table(out, pred, cause_of_interest="als", n_groups=5)
    assert tab["group"].tolist() == [1, 2, 3, 4, 5]
    assert tab["n"].sum() == 300
    assert (tab["predicted"].diff().dropna() > 0).all()
    assert ((tab["lower"] <= tab["observed"]) & (tab["observed"] <= tab["upper"])).all()


# --- bad input ---------------------------------------------------------------------------


def test_length_mismatch_names_argument():
    out, pred = _synthetic(50, 1, signal=False)
    with pytest.raises(DataValidationError, match="one risk per subject.*none for subject"):
        score_predictions(out, pred.iloc[:-1], cause_of_interest="als")


def test_horizon_beyond_follow_up():
    out, pred = _synthetic(50, 1, signal=False)
    with pytest.raises(DataValidationError, match=r"horizon \[100.0\] lie beyond the follow-up"):
        score_predictions(out, pred.assign(horizon=100.0), cause_of_interest="als")


def test_nan_risk_names_subject():
    out, pred = _synthetic(50, 1, signal=False)
    pred.loc[3, "risk"] = np.nan
    with pytest.raises(DataValidationError, match="column 'risk' must be finite.*subject 3"):
        score_predictions(out, pred, cause_of_interest="als")


def test_several_causes_need_cause_of_interest():
    out, pred = _synthetic(50, 1, signal=False)
    with pytest.raises(DataValidationError, match="cause_of_interest="):
        score_predictions(out, pred)


# --- dynamic predictions of a joint model ------------------------------------------------


@pytest.fixture(scope="module")
def joint_case():
    long, surv = simulate_joint_competing(
        n=300, seed=11, alphas=((-0.2, 0.0), (0.0, -0.2)), sds=((8.0, 0.6), (10.0, 0.4))
    )
    train = surv["id"] <= 150
    fit = fit_joint(
        long[long["id"] <= 150],
        surv[train],
        {"y1": "y1 ~ time", "y2": "y2 ~ time"},
        {"y1": "~ time", "y2": "~ time"},
        "id",
        "time",
        "~ x",
        "T",
        "event",
        cause="cause",
        knots=[6.0, 12.0],
        gh_points=3,
    )
    return fit, long[long["id"] > 150], surv[~train]


def test_dynamic_prediction_accuracy(joint_case):
    fit, long, surv = joint_case
    acc = dynamic_prediction_accuracy(
        fit,
        long,
        surv,
        landmark=3.0,
        horizons=[3.0, 6.0],
        time="T",
        event="event",
        cause="cause",
        n_boot=50,
        seed=3,
    )
    sc = acc.summary()
    assert set(sc.index.get_level_values("cause")) == {"cause1", "cause2"}
    auc = sc.xs(("AUC", "joint model"), level=("metric", "model"))["estimate"]
    assert (auc > 0.65).all(), auc
    held = surv[surv["T"] > 3.0]
    assert len(acc.outcomes) <= len(held) and (acc.outcomes["time"] > 0).all()
    brier = sc.xs("Brier", level="metric")["estimate"].unstack("model")
    assert (brier["joint model"] < brier[NULL_MODEL]).all()
    tab = acc.calibration("cause1", n_groups=4)
    assert set(tab["horizon"]) == {3.0, 6.0}
    pd.testing.assert_series_equal(acc.auc.xs("joint model", level="model")["estimate"], auc)
    assert set(acc.brier.index.get_level_values("model")) == {"joint model", NULL_MODEL}
    assert "<table" in acc._repr_html_() and "AUC" in acc._repr_html_()


def test_dynamic_prediction_bad_input(joint_case):
    fit, long, surv = joint_case
    with pytest.raises(DataValidationError, match="cause="):
        dynamic_prediction_accuracy(
            fit, long, surv, landmark=3.0, horizons=[3.0], time="T", event="event"
        )
    with pytest.raises(DataValidationError, match="horizons .* beyond the follow-up"):
        dynamic_prediction_accuracy(
            fit, long, surv, landmark=3.0, horizons=[30.0], time="T", event="event", cause="cause"
        )


def test_prediction_accuracy_of_a_joint_model_is_the_landmark_score(joint_case):
    fit, long, surv = joint_case
    surv = surv[surv["id"] <= 240]  # 90 held-out subjects keep the test quick
    long = long[long["id"] <= 240]
    acc = prediction_accuracy(
        fit, (long, surv), [6.0, 9.0], cause="cause2", landmark=3.0, duration="T",
        event="event", cause_column="cause",
    )  # fmt: skip
    dyn = dynamic_prediction_accuracy(
        fit, long, surv, landmark=3.0, horizons=[3.0, 6.0], time="T", event="event",
        cause="cause", causes=["cause2"],
    )  # fmt: skip
    auc = dyn.auc.xs("joint model", level="model").droplevel("cause")
    np.testing.assert_array_equal(acc.auc["estimate"].to_numpy(), auc["estimate"].to_numpy())
    assert list(acc.auc.index) == [6.0, 9.0] and acc.landmark == 3.0
    null = dyn.brier.xs(NULL_MODEL, level="model")["estimate"].to_numpy()
    np.testing.assert_array_equal(acc.brier["null_estimate"].to_numpy(), null)
    assert set(acc.predictions["time"]) == {6.0, 9.0}
    with pytest.raises(DataValidationError, match="'longitudinal' and 'survival'"):
        prediction_accuracy(fit, {"long": long}, [6.0], cause="cause2", landmark=3.0)
    with pytest.raises(DataValidationError, match="pass landmark="):
        prediction_accuracy(fit, (long, surv), [6.0], cause="cause2", duration="T", event="event")
    with pytest.raises(DataValidationError, match="not after the landmark"):
        prediction_accuracy(
            fit, (long, surv), [2.0], cause="cause2", landmark=3.0, duration="T", event="event",
            cause_column="cause",
        )  # fmt: skip

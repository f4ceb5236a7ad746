"""Fits that must not report success: non-identified variance components, separation, a
non-positive-definite information, and designs that cannot be estimated (our errors, not numpy's).

Every ``converged=False`` comes with a ConvergenceWarning and a non-empty ``problems`` (so the
power simulation's two signals agree), shown in the repr, the summary and the notebook view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import ConvergenceWarning, DataValidationError
from alstrials.models.bivariate import fit_bivariate_lmm
from alstrials.models.joint import fit_joint
from alstrials.models.joint.simulate import simulate_joint
from alstrials.models.lmm import example_data, fit_lmm
from alstrials.models.mmrm import fit_mmrm
from alstrials.models.survival import fit_cox


def _assert_flagged(fit, match):
    assert not fit.converged
    assert fit.problems and any(match in p for p in fit.problems)
    assert "NOT CONVERGED" in repr(fit)
    assert "not converged" in fit._repr_html_()
    summary = fit.summary()
    assert (summary["note"] == "not converged").all()
    assert summary.attrs["problems"] == fit.problems


def test_lmm_one_observation_per_subject_is_not_identified():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"id": np.arange(60), "months": rng.uniform(0, 12, 60)})
    d["y"] = 40 - d["months"] + rng.normal(0, 2, 60)
    with pytest.warns(ConvergenceWarning, match="not separately identified"):
        fit = fit_lmm(d, "y ~ months", "id", "~1")
    _assert_flagged(fit, "not separately identified")


def test_lmm_good_fit_has_no_problems():
    fit = fit_lmm(example_data(30, seed=2), "y ~ months * arm", "subject_id", "~months")
    assert fit.converged and fit.problems == ()
    assert "problems" not in fit.summary().attrs


def test_lmm_perfect_fit_and_collinear_designs_raise_ours():
    d = example_data(20, seed=1)
    with pytest.raises(DataValidationError, match="fitted exactly"):
        fit_lmm(d.assign(y=40 - 0.9 * d["months"]), "y ~ months", "subject_id", "~months")
    m2 = d["months"] + 1e-9 * np.random.default_rng(0).normal(size=len(d))
    with pytest.raises(DataValidationError, match=r"nearly so.*\['months', 'm2'\]"):
        fit_lmm(d.assign(m2=m2), "y ~ months + m2", "subject_id", "~months")
    with pytest.raises(DataValidationError, match=r"constant: \['Intercept', 'c'\]"):
        fit_lmm(d.assign(c=1.0), "y ~ months + c", "subject_id", "~months")


@pytest.fixture(scope="module")
def joint_data():
    return simulate_joint(n=60, seed=1)


def _joint(long, surv):
    return fit_joint(
        long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event", gh_points=3
    )


def test_joint_single_event_is_flagged(joint_data):
    long, surv = joint_data
    one = surv.assign(event=0)
    one.loc[int(np.flatnonzero(surv["event"].to_numpy())[0]), "event"] = 1
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = _joint(long, one)
    # the baseline hazard falls to 0 while the log hazard ratio rises: monotone along their
    # combination, not along either alone
    _assert_flagged(fit, "monotone likelihood along a combination")


def test_joint_all_events_in_one_arm_is_separation(joint_data):
    long, surv = joint_data
    with pytest.warns(ConvergenceWarning, match="monotone likelihood for 'x'"):
        fit = _joint(long, surv.assign(event=np.where(surv["x"] == 1, 0, surv["event"])))
    _assert_flagged(fit, "monotone likelihood for 'x'")


def test_joint_collinear_and_perfect_fit_raise(joint_data):
    long, surv = joint_data
    with pytest.raises(DataValidationError, match=r"survival design.*\['x', 'x2'\]"):
        fit_joint(
            long,
            surv.assign(x2=2 * surv["x"]),
            "y ~ time",
            "~ time",
            "id",
            "time",
            "~ x + x2",
            "T",
            "event",
        )
    with pytest.raises(DataValidationError, match="fitted exactly"):
        _joint(long.assign(y=3 - 0.5 * long["time"]), surv)


def test_cox_separation_and_collinearity():
    d = pd.DataFrame(
        {"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "x": [1.0, 1, 1, 0, 0, 0]}
    )
    with pytest.warns(ConvergenceWarning, match="monotone likelihood for 'x'"):
        fit = fit_cox(d, "t", "e", "x")
    _assert_flagged(fit, "monotone likelihood")
    d = d.assign(x=[0.3, 1.2, -0.5, 0.8, 0.1, -1.0], z=lambda f: 2 * f["x"], k=5.0)
    with pytest.raises(DataValidationError, match=r"\['x', 'z'\]"):
        fit_cox(d, "t", "e", "x + z")
    with pytest.raises(DataValidationError, match=r"constant: \['k'\]"):
        fit_cox(d, "t", "e", "x + k")


def _mmrm_frame(n=40, seed=3):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 3),
            "visit": np.tile([3, 6, 12], n),
            "arm": np.repeat(["placebo", "active"] * (n // 2), 3),
        }
    )
    f["y"] = -f["visit"] * 0.5 + np.repeat(rng.normal(0, 2, n), 3) + rng.normal(0, 1, 3 * n)
    return f


def test_mmrm_visits_never_observed_together_are_flagged():
    f = _mmrm_frame()
    # visits 3 and 12 are never seen in the same subject
    first = f["id"] % 4 < 2  # both arms in each half
    f = f[~(first & (f["visit"] == 12)) & ~(~first & (f["visit"] == 3))]
    with pytest.warns(ConvergenceWarning, match="never observed in the same subject"):
        fit = fit_mmrm(f, "y", "visit", "id", "arm")
    _assert_flagged(fit, "(3, 12)")
    assert fit_mmrm(f, "y", "visit", "id", "arm", covariance="cs").converged


def test_mmrm_and_bivariate_perfect_fit_and_collinearity_raise():
    f = _mmrm_frame()
    with pytest.raises(DataValidationError, match="fitted exactly"):
        fit_mmrm(f.assign(y=-0.5 * f["visit"]), "y", "visit", "id", "arm")
    with pytest.raises(DataValidationError, match="nearly so"):
        fit_mmrm(f.assign(b=f["visit"] * 1.0), "y", "visit", "id", "arm", covariates=("b",))
    rng = np.random.default_rng(4)
    b = f.assign(months=f["visit"].astype(float), z=f["y"] + rng.normal(0, 1, len(f)))
    with pytest.raises(DataValidationError, match="fitted exactly"):
        fit_bivariate_lmm(b.assign(y=30 - 0.1 * b["months"]), ("y", "z"), "months", "id")
    with pytest.raises(DataValidationError, match="nearly so"):
        fit_bivariate_lmm(b.assign(c=2.0 * b["months"]), ("y", "z"), "months", "id", ("c",))


def test_bivariate_two_observations_per_subject_not_identified():
    rng = np.random.default_rng(5)
    n = 40
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "months": np.tile([0.0, 6.0], n)})
    d["a"] = 70 - 0.3 * d["months"] + np.repeat(rng.normal(0, 2, n), 2) + rng.normal(0, 1, 2 * n)
    d["b"] = 40 - 0.8 * d["months"] + np.repeat(rng.normal(0, 3, n), 2) + rng.normal(0, 1, 2 * n)
    with pytest.warns(ConvergenceWarning):
        fit = fit_bivariate_lmm(d, ("a", "b"), "months", "id")
    assert not fit.converged and fit.problems

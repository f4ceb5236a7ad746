"""Weibull and B-spline baselines, and pbc2 with value + slope, against R JM 1.5-2.

References: ``tests/reference/jm/jm_dev_reference.json`` (script ``jm_dev_reference.R``
beside it; copied from the shared reference folder). JM integrates with 5-point
pseudo-adaptive Gauss-Hermite and stops early on flat directions, so its values are a sanity
check (a few percent; log-likelihood within 0.2), and exactness is shown by the stability of
our log-likelihood as the quadrature points grow and by the estimate being its maximum.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alstrials.models.joint import fit_joint
from alstrials.models.joint.baselines import default_knots
from alstrials.models.joint.fit import prepare_design
from alstrials.models.joint.likelihood import Layout, evaluate, make_state
from alstrials.models.joint.modes import posterior_modes
from alstrials.models.joint.quadrature import hermite_grid


@pytest.fixture(scope="module")
def ref(reference_dir):
    return json.loads((reference_dir / "jm" / "jm_dev_reference.json").read_text())


@pytest.fixture(scope="module")
def aids(reference_dir):
    long = pd.read_csv(reference_dir / "aids_long.csv")
    return long, long.drop_duplicates("patient")[["patient", "Time", "death", "drug"]]


@pytest.fixture(scope="module")
def pbc2(reference_dir):
    long = pd.read_csv(reference_dir / "jm" / "pbc2_long.csv")
    return long, long.drop_duplicates("id")[["id", "years", "status2", "drug"]]


def _aids_weibull(aids, **kw):
    long, surv = aids
    return fit_joint(
        long,
        surv,
        "CD4 ~ obstime + obstime:drug",
        "~ obstime",
        "patient",
        "obstime",
        "~ drug",
        "Time",
        "death",
        baseline="weibull",
        **kw,
    )


def _pbc2(pbc2, **kw):
    long, surv = pbc2
    return fit_joint(
        long, surv, "log_bili ~ year", "~ year", "id", "year", "~ drug", "years", "status2", **kw
    )


def test_weibull_matches_jm(aids, ref):
    jm = ref["aids_weibull_value"]
    fit = _aids_weibull(aids)
    assert fit.converged
    table = dict(zip(jm["event_table"]["names"], jm["event_table"]["value"], strict=True))
    np.testing.assert_allclose(
        fit.surv_coef.loc["drug[T.ddI]", "estimate"], table["drugddI"], rtol=0.02
    )
    np.testing.assert_allclose(fit.surv_coef.loc["value", "estimate"], table["Assoct"], rtol=0.02)
    np.testing.assert_allclose(
        fit.baseline_coef["estimate"].to_numpy(),
        [table["(Intercept)"], table["log(shape)"]],
        rtol=0.02,
    )
    np.testing.assert_allclose(fit.long_fixed["estimate"], list(jm["betas"].values()), rtol=0.02)
    np.testing.assert_allclose(fit.sigma, jm["sigma"], rtol=0.02)
    assert abs(fit.loglik - jm["loglik"]) < 0.2
    se = dict(zip(jm["event_table"]["names"], jm["event_table"]["se"], strict=True))
    np.testing.assert_allclose(fit.surv_coef.loc["value", "se"], se["Assoct"], rtol=0.05)


def test_spline_matches_jm(pbc2, ref):
    jm = ref["pbc2_spline_value"]
    kn = jm["knots"]["1"]
    fit = _pbc2(pbc2, baseline="spline", knots=kn[4:-4], boundary_knots=(kn[0], kn[-1]))
    assert fit.converged
    table = dict(zip(jm["event_table"]["names"], jm["event_table"]["value"], strict=True))
    np.testing.assert_allclose(fit.surv_coef.loc["value", "estimate"], table["Assoct"], rtol=0.02)
    # our reference level is D-penicil (alphabetical), JM's placebo: the sign flips
    assert fit.surv_coef.loc["drug[T.placebo]", "estimate"] == pytest.approx(
        -table["drugD-penicil"], abs=0.25 * jm["event_table"]["se"][0]
    )
    # JM stops early: our maximum is at least as high, and within 0.25
    assert jm["loglik"] - 1e-6 <= fit.loglik < jm["loglik"] + 0.25
    bs = fit.baseline_coef["estimate"].to_numpy()
    ses = np.array(jm["event_table"]["se"][2:])
    assert np.all(np.abs(bs - np.array(jm["gammas.bs"])) < 0.5 * ses)


def test_spline_default_knots_are_jm_quantiles(pbc2, ref):
    jm_internal = ref["pbc2_spline_value"]["knots"]["1"][4:-4]
    _, surv = pbc2
    np.testing.assert_allclose(default_knots(surv["years"].to_numpy(), 5), jm_internal, rtol=1e-12)


@pytest.fixture(scope="module")
def pbc2_fits(pbc2):
    knots = default_knots(pbc2[1]["years"].to_numpy(), 6) + 1e-6  # JM's knots
    return {k: _pbc2(pbc2, association="value+slope", knots=knots, gh_points=k) for k in (15, 21)}


def test_pbc2_value_slope_is_stable_and_differs_from_jm_as_documented(pbc2_fits):
    a, b = pbc2_fits[15], pbc2_fits[21]
    assert a.converged and b.converged
    assert abs(a.loglik - b.loglik) < 2e-4
    assert abs(b.quadrature_error) < 1e-4
    slope = b.surv_coef.loc["slope", "estimate"]
    assert abs(a.surv_coef.loc["slope", "estimate"] - slope) < 2e-3
    # JM (reference README): 3.337 at 5 points, 3.371 at 31, log-likelihood -1910.6016 at 5;
    # our exact maximum is above both (JM's quadrature and early stop, docs/joint.md)
    assert 3.45 < slope < 3.6
    assert b.loglik > -1910.6016


def test_pbc2_estimate_is_the_maximum_with_more_points(pbc2, pbc2_fits):
    """The 21-point estimate's score, recomputed with a 31-point fully adaptive rule, is
    zero: the estimate is the maximum of the exact likelihood, not of the rule."""
    fit = pbc2_fits[21]
    long, surv = pbc2
    des = prepare_design(
        long,
        surv,
        "log_bili ~ year",
        "~ year",
        "id",
        "year",
        "~ drug",
        "years",
        "status2",
        "value+slope",
        knots=fit.knots,
    )
    lay = Layout.of(des)
    modes, chols = posterior_modes(fit.theta, des, lay, np.zeros((des.n_subjects, 2)))
    nodes, logw = hermite_grid(31, 2)
    ev = evaluate(fit.theta, des, lay, make_state(des, modes, chols, nodes, logw))
    assert ev.total == pytest.approx(fit.loglik, abs=2e-4)
    step = np.linalg.solve(np.linalg.inv(fit.vcov), ev.score)  # Newton step to the maximum
    se = np.sqrt(np.diag(fit.vcov))
    assert np.max(np.abs(step) / se) < 0.01

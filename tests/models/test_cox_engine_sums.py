"""The sparse risk-set engine against a direct loop over event times, and the numpy design path
against formulaic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

from alstrials.models.survival import cox_engine
from alstrials.models.survival.cox_design import covariate_frame, plain_columns


def _direct(stop, event, strata, start, x, beta, ties):
    """Log partial likelihood, score and information by a loop over (stratum, event time)."""
    p = x.shape[1]
    w = np.exp(x @ beta)
    ll, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        for t in np.unique(stop[event & (strata == s)]):
            risk = (strata == s) & (stop >= t) & (start < t)
            dead = risk & event & (stop == t)
            d = int(dead.sum())
            r0, r1 = w[risk].sum(), (w[risk, None] * x[risk]).sum(0)
            r2 = np.einsum("i,ij,ik->jk", w[risk], x[risk], x[risk])
            e0, e1 = w[dead].sum(), (w[dead, None] * x[dead]).sum(0)
            e2 = np.einsum("i,ij,ik->jk", w[dead], x[dead], x[dead])
            ll += (x[dead] @ beta).sum()
            score += x[dead].sum(0)
            for k in range(d):
                f = k / d if ties == "efron" else 0.0
                q = r0 - f * e0
                m = (r1 - f * e1) / q
                ll -= np.log(q)
                score -= m
                info += (r2 - f * e2) / q - np.outer(m, m)
    return ll, score, info


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("counting", [False, True])
def test_engine_equals_direct_loop(ties, counting):
    rng = np.random.default_rng(5)
    n = 80
    x = rng.normal(size=(n, 3))
    x[:, 2] = rng.integers(0, 2, n)
    stop = np.ceil(rng.exponential(8, n))  # integer times: many ties
    event = rng.random(n) < 0.7
    strata = rng.integers(0, 3, n)
    start = np.floor(rng.uniform(0, 1, n) * stop) if counting else np.full(n, -np.inf)
    start = np.minimum(start, stop - 1) if counting else start
    idx = cox_engine.build_index(stop, event, strata, start if counting else None, ties)
    beta = np.array([0.4, -0.3, 0.2])
    ev = cox_engine.evaluate(idx, x, beta)
    ll, score, info = _direct(stop, event, strata, start, x, beta, ties)
    assert ev.loglik == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(ev.score, score, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ev.information, info, rtol=1e-10, atol=1e-12)
    layout = cox_engine.CoxLayout.build(idx, x)
    assert layout.loglik(beta) == pytest.approx(ll, rel=1e-12)


def test_rows_in_no_risk_set_are_left_out():
    # stop before the first event of its stratum, or (start, stop] holding no event time
    stop = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])
    start = np.array([0.0, 0.0, 0.0, 3.5, 0.0, 0.0])
    event = np.array([False, True, False, False, True, False])
    idx = cox_engine.build_index(stop, event, np.zeros(6, np.int64), start)
    assert sorted(idx.layout.tolist()) == [1, 2, 4, 5]


def test_plain_columns_path_equals_formulaic():
    d = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 4.0, 5.0],
            "b": [3, 1, 2, 5, 4],
            "ph.ecog": [0.0, 1.0, 1.0, np.nan, 2.0],
            "flag": [True, False, True, True, False],
        },
        index=[10, 11, 12, 13, 14],
    )
    rhs = "a + b + `ph.ecog`"
    assert plain_columns(rhs, d) == ["a", "b", "ph.ecog"]
    frame, spec = covariate_frame(rhs, d)
    mm = pd.DataFrame(model_matrix(rhs, d)).drop(columns="Intercept")
    pd.testing.assert_frame_equal(frame, mm.astype(float))
    new = pd.DataFrame({"a": [0.5], "b": [2], "ph.ecog": [1.0]})
    got = pd.DataFrame(spec.get_model_matrix(new)).drop(columns="Intercept")
    assert got.to_numpy(dtype=float).tolist() == [[0.5, 2.0, 1.0]]
    # anything else goes through formulaic
    for other in ("a + flag", "a + a", "C(b)", "a + missing", "a * b", "0 + a"):
        assert plain_columns(other, d) is None

"""lmm_slope against longpower (r_reference.json, printed longpower output) and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.design.power import lmm_slope, random_slope_cov, slope_variance
from alstrials.errors import DesignError

METHODS = ("diggle", "liu-liang", "edland")
DOCS_T = np.arange(0, 1.51, 0.25)
DOCS = dict(
    t=DOCS_T,
    sig2_slope=24.0,
    sig2_resid=10.0,
    sig2_int=55.0,
    cov_int_slope=0.8 * math.sqrt(55) * math.sqrt(24),
)


@pytest.mark.parametrize("method", METHODS)
def test_diggle_example_matches_longpower(r_reference, method):
    ref = r_reference["longpower_lmmpower"]["diggle_example"]
    res = lmm_slope(
        ref["delta"],
        ref["t"],
        ref["sig2_slope"],
        ref["sig2_resid"],
        ref["sig2_int"],
        ref["cov_int_slope"],
        alpha=ref["alpha"],
        power=ref["power"],
        method=method,
    )
    assert res.n_per_group == pytest.approx(ref["n_per_group"], rel=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_docs_example_matches_longpower_default_edland(r_reference, method):
    # lmmpower's default method is "edland" (longpower R/lmmpower.R, method = c("edland", ...))
    ref = r_reference["longpower_lmmpower"]["longpower_docs_example"]
    res = lmm_slope(1.5, **DOCS, power=0.8, method=method)
    assert res.n_per_group == pytest.approx(ref["n_per_group"], rel=1e-6)


def test_printed_longpower_outputs(longpower_published):
    first, fm1, fm3 = longpower_published["lmmpower_edland"]
    res = lmm_slope(None, **DOCS, n_per_group=first["n_per_group"], power=0.8, method="edland")
    assert res.delta == pytest.approx(first["delta"], rel=1e-6)
    for ref in (fm1, fm3):
        res = lmm_slope(
            ref["delta"],
            ref["t"],
            ref["sig2_slope"],
            ref["sig2_resid"],
            power=ref["power"],
            method="edland",
        )
        assert res.n_per_group == pytest.approx(ref["n_per_group"], rel=1e-6)


@pytest.mark.parametrize("method", ["diggle", "liu-liang"])
def test_diggle_page29_table(longpower_published, method):
    ref = longpower_published["diggle_page29"]
    for i, rho in enumerate(ref["rho"]):
        for j, sigma2 in enumerate(ref["sigma2"]):
            # exchangeable correlation = random intercept sigma2*rho + residual sigma2*(1-rho)
            res = lmm_slope(
                ref["delta"],
                ref["t"],
                0.0,
                sigma2 * (1 - rho),
                sigma2 * rho,
                alpha=ref["alpha"],
                power=ref["power"],
                sided=1,
                method=method,
            )
            assert res.n_per_group_ceil == ref["n_ceiling"][i][j]


def test_methods_agree_with_unequal_allocation():
    res = [lmm_slope(1.5, **DOCS, power=0.8, method=m, ratio=2) for m in METHODS]
    for r in res[1:]:
        assert r.n_per_group == pytest.approx(res[0].n_per_group, rel=1e-9)
    # Var = xi (1/n_c + 1/n_a): closed form with complete data
    xi = 24 + 10 / np.sum((DOCS_T - DOCS_T.mean()) ** 2)
    z = 1.959963984540054 + 0.8416212335729143
    assert res[0].n_per_group == pytest.approx(z**2 * xi * 1.5 / 1.5**2, rel=1e-9)
    assert res[0].n_active == pytest.approx(2 * res[0].n_per_group)
    same = lmm_slope(1.5, **DOCS, power=0.8, allocation=2 / 3)
    assert same.n_per_group == pytest.approx(res[0].n_per_group, rel=1e-12)


def test_edland_attrition_monte_carlo():
    """Var of the GLS slope (known V) under monotone dropout matches xi / n (seeded MC)."""
    t = np.array([0.0, 3, 6, 9, 12])
    comps = dict(sig2_slope=0.36, sig2_resid=2.25, sig2_int=25.0, cov_int_slope=-1.2)
    ret = np.array([1.0, 0.9, 0.8, 0.7, 0.6])
    xi = slope_variance(t, **comps, retention=ret)
    assert xi > slope_variance(t, **comps)  # dropout costs information
    v = random_slope_cov(t, **comps)
    x = np.column_stack([np.ones_like(t), t])
    p = ret - np.append(ret[1:], 0)
    n, reps = 100, 4000
    counts = np.round(p * n).astype(int)  # 10, 10, 10, 10, 60 subjects per pattern
    rng = np.random.default_rng(20260101)
    chol = np.linalg.cholesky(v)
    info = sum(c * x[:j].T @ np.linalg.solve(v[:j, :j], x[:j]) for j, c in enumerate(counts, 1))
    est = np.empty(reps)
    for rep in range(reps):
        y = rng.standard_normal((n, t.size)) @ chol.T
        score = np.zeros(2)
        start = 0
        for j, c in enumerate(counts, 1):
            yj = y[start : start + c, :j]
            score += x[:j].T @ np.linalg.solve(v[:j, :j], yj.sum(axis=0))
            start += c
        est[rep] = np.linalg.solve(info, score)[1]
    emp = est.var(ddof=1)
    # relative SE of a variance estimate from 4000 normal draws is sqrt(2/3999) = 2.2%
    assert emp == pytest.approx(xi / n, rel=0.07)


def test_edland_without_attrition_equals_closed_form():
    xi = slope_variance(DOCS_T, 24, 10, 55, DOCS["cov_int_slope"])
    assert xi == pytest.approx(24 + 10 / 1.75, rel=1e-12)


def test_round_trip_and_monotonicity():
    base = lmm_slope(
        0.25, range(13), 0.36, 2.25, power=0.9, method="edland", retention=np.linspace(1, 0.6, 13)
    )
    back = lmm_slope(
        0.25,
        range(13),
        0.36,
        2.25,
        n_per_group=base.n_per_group,
        method="edland",
        retention=np.linspace(1, 0.6, 13),
    )
    assert back.power == pytest.approx(0.9, abs=1e-12)
    n_c = lmm_slope(0.25, range(13), 0.36, 2.25, power=0.9).n_per_group
    d = lmm_slope(None, range(13), 0.36, 2.25, n_per_group=n_c, power=0.9)
    assert float(d) == pytest.approx(0.25, rel=1e-12)
    powers = [lmm_slope(0.25, range(13), 0.36, 2.25, n_per_group=n).power for n in (20, 50, 90)]
    assert powers == sorted(powers) and powers[0] < powers[-1]
    ns = [lmm_slope(dl, range(13), 0.36, 2.25, power=0.8).n_per_group for dl in (0.1, 0.2, -0.3)]
    assert ns[0] > ns[1] > ns[2]


@settings(max_examples=40, deadline=None)
@given(delta=st.floats(0.05, 3.0), power=st.floats(0.1, 0.99), ratio=st.floats(0.3, 3.0))
def test_solve_n_then_power_returns_power(delta, power, ratio):
    n = lmm_slope(delta, [0, 1, 2, 3], 0.5, 1.0, sig2_int=2.0, power=power, ratio=ratio).n_per_group
    again = lmm_slope(delta, [0, 1, 2, 3], 0.5, 1.0, sig2_int=2.0, n_per_group=n, ratio=ratio)
    assert again.power == pytest.approx(power, abs=1e-9)


def test_result_object():
    res = lmm_slope(1.5, **DOCS, power=0.8)
    assert float(res) == res.n_per_group
    assert res.solved_for == "n_per_group"
    frame = res.summary()
    assert frame.loc["n_per_group", "solved"] and not frame.loc["power", "solved"]
    assert "PowerResult(method='diggle', solved n_per_group" in repr(res)
    assert "<table" in res._repr_html_()
    assert res.n_total == pytest.approx(2 * res.n_per_group)
    with pytest.raises(AttributeError, match="cannot assign"):
        res.power = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(power=0.04, alpha=0.05), "must exceed alpha"),
        (dict(power=0.8, sig2_resid=0.0), "sig2_resid must be finite and positive"),
        (dict(power=0.8, sig2_slope=-1.0), "sig2_slope must be finite and non-negative"),
        (dict(power=0.8, delta=0.0), "delta must be finite and non-zero"),
        (dict(power=0.8, allocation=1.0), "allocation .* must lie in"),
        (dict(power=0.8, allocation=0.5, ratio=1.0), "not both"),
        (dict(power=None), "leave exactly one"),
        (dict(power=0.8, n_per_group=10), "leave exactly one"),
        (dict(power=0.8, method="foo"), "method must be one of"),
        (dict(power=0.8, retention=[1, 1, 1, 1]), "method='edland' only"),
        (dict(power=0.8, method="edland", retention=[1, 0.8, 0.9, 0.5]), "non-increasing"),
        (dict(power=0.8, method="edland", retention=[1, 0.8]), "one value per visit"),
        (dict(power=0.8, sig2_int=1.0, cov_int_slope=5.0), r"\|correlation\| > 1"),
        (dict(power=0.8, t=[1, 1, 1, 1]), "two distinct visit times"),
        (dict(power=0.8, method="edland", retention=[1, 0, 0, 0]), "not identified"),
        (dict(power=0.8, sided=3), "sided must be 1 or 2"),
        (dict(power=0.8, alpha=1.2), "alpha must lie"),
    ],
)
def test_impossible_inputs_raise(kwargs, match):
    args = dict(delta=0.5, t=[0, 1, 2, 3], sig2_slope=0.5, sig2_resid=1.0)
    args.update(kwargs)
    with pytest.raises(DesignError, match=match):
        lmm_slope(**args)

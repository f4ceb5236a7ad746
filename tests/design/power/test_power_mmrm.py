"""mmrm against Lu, Luo & Chen (2008) Tables 1-2 (as printed by longpower) and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alstrials.design.power import ar1_cov, mmrm, mmrm_phi
from alstrials.errors import DesignError

CS4 = np.full((4, 4), 0.25) + 0.75 * np.eye(4)


def test_table2_phi_ar1(longpower_published):
    ref = longpower_published["lu_luo_chen_table2"]
    row = 0
    for j_max in ref["J"]:
        for a_j in ref["aJ"]:
            retention = np.linspace(1, 1 - a_j, j_max)
            for col, p1j in enumerate(ref["p1J"]):
                rho = p1j ** (1 / (j_max - 1))
                cov = ar1_cov(rho, 1.0, np.arange(1, j_max + 1))
                phi = mmrm_phi(cov, retention)
                assert phi == pytest.approx(ref["phi"][row][col], rel=1e-6, abs=5e-7)
            row += 1


def test_table1_total_n_unequal_allocation_and_variance(longpower_published):
    ref = longpower_published["lu_luo_chen_table1"]
    for phi1, phi2, lam, n_total in zip(
        ref["phi1"], ref["phi2"], ref["lambda"], ref["n_total"], strict=True
    ):
        lam = math.sqrt(0.5) if abs(lam - math.sqrt(0.5)) < 1e-6 else lam
        # group a = active (phi1), group b = control (phi2), lambda = N_a / N_b
        res = mmrm(0.5, [[phi2]], cov_active=[[phi1]], power=0.9, ratio=lam)
        assert res.n_total == pytest.approx(n_total, rel=1e-6)


def test_complete_data_reduces_to_two_sample_z():
    res = mmrm(0.5, CS4, power=0.8)
    z = 1.959963984540054 + 0.8416212335729143
    assert res.n_per_group == pytest.approx(2 * z**2 / 0.25, rel=1e-12)
    # the longpower help example: power.mmrm(Ra, ra = c(1, .9, .8, .7), delta = .5, power = .8)
    # gives N about 174 (its power/delta examples use N = 174)
    assert mmrm(0.5, CS4, retention=[1, 0.9, 0.8, 0.7], power=0.8).n_total == pytest.approx(
        174, abs=0.5
    )


def test_monte_carlo_power_at_solved_n():
    """Simulate monotone-dropout trials at the solved n; the known-V GLS z-test rejects at
    the requested rate (seeded; 2000 trials, binomial SE 1%)."""
    cov = ar1_cov(0.7, [1.0, 1.2, 1.5, 1.8], [1, 2, 3, 4])
    ret = np.array([1.0, 0.85, 0.75, 0.65])
    res = mmrm(0.9, cov, retention=ret, power=0.8)
    n = int(round(res.n_per_group))
    counts = np.round((ret - np.append(ret[1:], 0)) * n).astype(int)
    n = int(counts.sum())
    info = sum(c * np.pad(np.linalg.inv(cov[:j, :j]), (0, 4 - j)) for j, c in enumerate(counts, 1))
    var_mean = np.linalg.inv(info)[-1, -1]
    chol = np.linalg.cholesky(cov)
    rng = np.random.default_rng(7)
    reps, rejections = 2000, 0
    for _ in range(reps):
        means = []
        for shift in (0.0, 0.9):
            y = rng.standard_normal((n, 4)) @ chol.T + shift * np.array([0.25, 0.5, 0.75, 1.0])
            score = np.zeros(4)
            start = 0
            for j, c in enumerate(counts, 1):
                score[:j] += np.linalg.solve(cov[:j, :j], y[start : start + c, :j].sum(axis=0))
                start += c
            means.append(np.linalg.solve(info, score)[-1])
        z = (means[1] - means[0]) / math.sqrt(2 * var_mean)
        rejections += abs(z) > 1.959963984540054
    expected = mmrm(0.9, cov, retention=ret, n_per_group=n).power
    assert rejections / reps == pytest.approx(expected, abs=0.035)


def test_invariants_and_round_trip():
    n = mmrm(0.5, CS4, retention=[1, 0.9, 0.8, 0.7], power=0.85).n_per_group
    assert mmrm(0.5, CS4, retention=[1, 0.9, 0.8, 0.7], n_per_group=n).power == pytest.approx(0.85)
    d = mmrm(None, CS4, retention=[1, 0.9, 0.8, 0.7], n_per_group=n, power=0.85)
    assert d.delta == pytest.approx(0.5, rel=1e-12)
    assert mmrm_phi(CS4, [1, 0.9, 0.8, 0.7]) > mmrm_phi(CS4)  # dropout costs information
    pw = [mmrm(0.5, CS4, n_per_group=k).power for k in (20, 40, 80)]
    assert pw[0] < pw[1] < pw[2]
    pw = [mmrm(dl, CS4, n_per_group=40).power for dl in (0.2, -0.4, 0.6)]
    assert pw[0] < pw[1] < pw[2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(cov=[[1, 2], [2, 1]]), "positive definite"),
        (dict(cov=[[1, 0.2]]), "square"),
        (dict(cov=[[-1.0]]), "positive definite"),
        (dict(retention=[1, 1, 1]), "one value per visit"),
        (dict(retention=[1, 0.9, 0.8, 0.0]), "last visit must be positive"),
        (dict(power=0.01), "must exceed alpha"),
        (dict(delta=0), "non-zero"),
        (dict(ratio=-1), "ratio must be finite and positive"),
        (dict(n_per_group=50), "leave exactly one"),
        (dict(cov_active=np.eye(3)), "same shape"),
    ],
)
def test_impossible_inputs_raise(kwargs, match):
    args = dict(delta=0.5, cov=CS4, power=0.8)
    args.update(kwargs)
    with pytest.raises(DesignError, match=match):
        mmrm(**args)


def test_ar1_validation():
    with pytest.raises(DesignError, match="rho must lie"):
        ar1_cov(1.0, 1.0, [1, 2])
    with pytest.raises(DesignError, match="sd must be positive"):
        ar1_cov(0.5, [1.0, -1.0], [1, 2])

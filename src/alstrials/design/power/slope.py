"""Power and sample size for a difference in mean slopes (random intercept and slope model).

Model (Laird-Ware), per subject :math:`i` in arm :math:`g` with visits :math:`t_1..t_m`:

.. math::

    y_{ij} = \\beta_{0} + \\beta_{1g} t_j + b_{0i} + b_{1i} t_j + \\varepsilon_{ij},\\quad
    (b_{0i}, b_{1i}) \\sim N\\!\\left(0, \\begin{pmatrix}\\sigma^2_{int} & \\sigma_{01}\\\\
    \\sigma_{01} & \\sigma^2_{slope}\\end{pmatrix}\\right),\\quad
    \\varepsilon_{ij} \\sim N(0, \\sigma^2_{resid}),

so that :math:`V = Z D Z^T + \\sigma^2_{resid} I` with :math:`Z = X = [1, t]`. The target is
:math:`\\delta = \\beta_{1a} - \\beta_{1c}`. Each method gives the per-subject variance
:math:`\\xi` of the slope estimate; with :math:`r = n_a / n_c`,
:math:`\\operatorname{Var}(\\hat\\delta) = \\xi (1 + 1/r) / n_c` and (see ``_solve``)
:math:`n_c = (z_{1-\\alpha/2} + z_{1-\\beta})^2 \\xi (1 + 1/r) / \\delta^2`
(with :math:`r = 1`: :math:`n = 2 (z_{1-\\alpha/2} + z_{1-\\beta})^2 \\xi / \\delta^2` per group).

* ``"diggle"`` (Diggle, Heagerty, Liang & Zeger 2002, sec. 2.4, with the corrected
  :math:`\\xi`): :math:`\\xi = [(X^T V^{-1} X)^{-1}]_{22}`, complete data.
* ``"liu-liang"`` (Liu & Liang 1997): the GEE formula for a parameter of interest
  :math:`\\psi` (the arm-by-time interaction) with nuisance parameters :math:`\\lambda`
  (intercept, arm, time), covariates :math:`u_1 = t, v_1 = [1, 1, t]` (active, probability
  :math:`\\pi_a`) and :math:`u_2 = 0, v_2 = [1, 0, t]` (control):
  :math:`N = (z_{1-\\alpha/2}+z_{1-\\beta})^2 / (\\delta^2 \\tilde\\Sigma_1)` in total, with
  :math:`\\tilde\\Sigma_1 = \\sum_l \\pi_l w_l^T V^{-1} w_l`,
  :math:`w_l = u_l - v_l I_{\\lambda\\lambda}^{-1} I_{\\psi\\lambda}^T`, complete data.
* ``"edland"`` (Ard & Edland 2011; generalised to attrition as in Zhao & Edland): a
  pattern-mixture expected information. With ``retention`` :math:`r_j` (proportion still
  observed at visit :math:`j`, non-increasing) the proportion whose last visit is :math:`j` is
  :math:`p_j = r_j - r_{j+1}` (:math:`r_{m+1} = 0`), and
  :math:`\\xi = [(\\sum_j p_j X_{1:j}^T V_{1:j}^{-1} X_{1:j})^{-1}]_{22}`. Without attrition
  this equals :math:`\\sigma^2_{slope} + \\sigma^2_{resid} / \\sum_j (t_j - \\bar t)^2`.

With complete data the three methods agree. Choices where the sources are silent or differ:
``n_per_group`` is the control-arm size when allocation is unequal; the ``edland`` pattern sum
includes subjects seen only at the first visit (they inform the intercept); longpower's
``edland.linear.power`` starts its sum at the second visit, so the two differ only when
``retention[1] < retention[0]``. Retention applies to both arms.

References
----------
Diggle PJ, Heagerty P, Liang KY, Zeger SL (2002). Analysis of Longitudinal Data, 2nd ed.
Oxford University Press, pp. 28-30.
Liu G, Liang KY (1997). Sample size calculations for studies with correlated observations.
Biometrics 53:937-947.
Ard MC, Edland SD (2011). Power calculations for clinical trials in Alzheimer's disease.
J Alzheimers Dis 26(Suppl 3):369-377.
Donohue MC, Edland SD, Gamst AC (2013+). longpower: power and sample size for linear models
of longitudinal data (R package).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alstrials.design.power._solve import (
    check_positive,
    check_solve_inputs,
    solve_normal,
)
from alstrials.design.power.results import PowerResult
from alstrials.errors import DesignError

__all__ = ["lmm_slope", "slope_variance", "random_slope_cov", "check_retention"]

_METHODS = ("diggle", "liu-liang", "edland")


def random_slope_cov(
    t: Sequence[float] | np.ndarray,
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
) -> np.ndarray:
    """Marginal covariance :math:`V = Z D Z^T + \\sigma^2_{resid} I` at visit times ``t``.

    Parameters
    ----------
    t : sequence of float
        Visit times (e.g. months since baseline).
    sig2_slope, sig2_resid, sig2_int, cov_int_slope : float
        Random-slope variance, residual variance, random-intercept variance and the
        intercept-slope covariance.

    Returns
    -------
    numpy.ndarray
        The ``len(t) x len(t)`` covariance matrix.

    References
    ----------
    Laird NM, Ware JH (1982). Random-effects models for longitudinal data. Biometrics 38:963.

    Examples
    --------
    >>> random_slope_cov([0, 1], sig2_slope=1, sig2_resid=1).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    tt = np.asarray(t, dtype=float)
    z = np.column_stack([np.ones_like(tt), tt])
    d = np.array([[sig2_int, cov_int_slope], [cov_int_slope, sig2_slope]], dtype=float)
    return z @ d @ z.T + sig2_resid * np.eye(tt.size)


def check_retention(retention: Sequence[float] | None, m: int) -> np.ndarray:
    """Validate a visit-wise retention vector (defaults to complete follow-up)."""
    if retention is None:
        return np.ones(m)
    r = np.asarray(retention, dtype=float)
    if r.shape != (m,):
        raise DesignError(f"retention must have one value per visit ({m}), got shape {r.shape}")
    if not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r > 1):
        raise DesignError(f"retention proportions must lie in [0, 1], got {r.tolist()}")
    if np.any(np.diff(r) > 0):
        raise DesignError(f"retention must be non-increasing over visits, got {r.tolist()}")
    if np.all(r == 0):
        raise DesignError("retention is zero at every visit: nobody is observed")
    return r


def _pattern_information(x: np.ndarray, v: np.ndarray, retention: np.ndarray) -> np.ndarray:
    """Expected per-subject information sum_j p_j X_{1:j}' V_{1:j}^{-1} X_{1:j}."""
    p = retention - np.append(retention[1:], 0.0)
    info = np.zeros((x.shape[1], x.shape[1]))
    for j in range(1, x.shape[0] + 1):
        if p[j - 1] <= 0:
            continue
        xj = x[:j]
        info += p[j - 1] * xj.T @ np.linalg.solve(v[:j, :j], xj)
    return info


def _liu_liang_sigma1(t: np.ndarray, v: np.ndarray, pi_a: float) -> float:
    """Liu & Liang's :math:`\\tilde\\Sigma_1` for the arm-by-time interaction."""
    m = t.size
    vinv = np.linalg.inv(v)
    us = [t.reshape(m, 1), np.zeros((m, 1))]
    vs = [
        np.column_stack([np.ones(m), np.ones(m), t]),
        np.column_stack([np.ones(m), np.zeros(m), t]),
    ]
    pis = [pi_a, 1.0 - pi_a]
    i_pl = sum(p * u.T @ vinv @ w for p, u, w in zip(pis, us, vs, strict=True))
    i_ll = sum(p * w.T @ vinv @ w for p, w in zip(pis, vs, strict=True))
    proj = np.linalg.solve(i_ll, i_pl.T)  # I_ll^{-1} I_pl'
    sigma1 = sum(
        p * (u - w @ proj).T @ vinv @ (u - w @ proj) for p, u, w in zip(pis, us, vs, strict=True)
    )
    return float(np.asarray(sigma1).item())


def slope_variance(
    t: Sequence[float],
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
    *,
    retention: Sequence[float] | None = None,
) -> float:
    """Per-subject variance :math:`\\xi` of a subject's slope estimate (GLS, known V).

    :math:`\\xi = [(\\sum_j p_j X_{1:j}^T V_{1:j}^{-1} X_{1:j})^{-1}]_{22}`; with complete data
    :math:`\\xi = [(X^T V^{-1} X)^{-1}]_{22}`.

    Parameters
    ----------
    t : sequence of float
        Visit times.
    sig2_slope, sig2_resid, sig2_int, cov_int_slope : float
        Variance components, as in :func:`lmm_slope`.
    retention : sequence of float, optional
        Proportion still observed at each visit (default: everyone at every visit).

    Returns
    -------
    float
        :math:`\\xi`, so that one arm's mean slope has variance :math:`\\xi / n`.

    References
    ----------
    Diggle PJ et al. (2002). Analysis of Longitudinal Data, 2nd ed., p. 29.

    Examples
    --------
    >>> round(slope_variance([0, 1, 2], sig2_slope=0.5, sig2_resid=2.0), 6)  # 0.5 + 2 / 2
    1.5
    """
    tt, v = _check_slope_inputs(t, sig2_slope, sig2_resid, sig2_int, cov_int_slope)
    x = np.column_stack([np.ones_like(tt), tt])
    info = _pattern_information(x, v, check_retention(retention, tt.size))
    _check_identified(info)
    return float(np.linalg.inv(info)[1, 1])


def _check_identified(info: np.ndarray) -> None:
    if np.linalg.cond(info) > 1e12:
        raise DesignError(
            "the slope is not identified: fewer than two distinct visit times carry data "
            "(check t and retention)"
        )


def _check_slope_inputs(
    t: Sequence[float], sig2_slope: float, sig2_resid: float, sig2_int: float, cov: float
) -> tuple[np.ndarray, np.ndarray]:
    tt = np.asarray(t, dtype=float)
    if tt.ndim != 1 or tt.size < 2 or np.unique(tt).size < 2:
        raise DesignError(f"t needs at least two distinct visit times, got {np.ravel(tt).tolist()}")
    if not np.all(np.isfinite(tt)):
        raise DesignError("t must be finite")
    check_positive("sig2_resid", sig2_resid)
    check_positive("sig2_slope", sig2_slope, allow_zero=True)
    check_positive("sig2_int", sig2_int, allow_zero=True)
    if cov**2 > sig2_int * sig2_slope * (1 + 1e-12):
        raise DesignError(
            f"cov_int_slope ({cov}) implies |correlation| > 1 with sig2_int={sig2_int}, "
            f"sig2_slope={sig2_slope}"
        )
    return tt, random_slope_cov(tt, sig2_slope, sig2_resid, sig2_int, cov)


def lmm_slope(
    delta: float | None,
    t: Sequence[float],
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
    alpha: float = 0.05,
    power: float | None = None,
    n_per_group: float | None = None,
    method: str = "diggle",
    *,
    allocation: float | None = None,
    ratio: float | None = None,
    retention: Sequence[float] | None = None,
    sided: int = 2,
) -> PowerResult:
    """Power, n or detectable difference in mean slopes between two arms (LMM).

    Leave exactly one of ``delta``, ``power`` and ``n_per_group`` as None; it is solved for.

    Parameters
    ----------
    delta : float or None
        Difference in mean slopes (active minus control), e.g. 0.25 points/month.
    t : sequence of float
        Visit times (all subjects share the schedule).
    sig2_slope, sig2_resid : float
        Random-slope variance (>= 0) and residual variance (> 0).
    sig2_int, cov_int_slope : float, default 0
        Random-intercept variance and intercept-slope covariance.
    alpha : float, default 0.05
        Type I error (split over two tails when ``sided=2``).
    power : float or None
        Target power.
    n_per_group : float or None
        Control-arm size (each arm's size with equal allocation).
    method : {"diggle", "liu-liang", "edland"}
        Formula; see the module docstring. Only ``"edland"`` accepts ``retention``.
    allocation : float, optional
        Fraction randomised to the active arm; or give ``ratio`` = n_active / n_control.
    retention : sequence of float, optional
        Proportion still observed at each visit (``method="edland"``).
    sided : {1, 2}
        One- or two-sided test.

    Returns
    -------
    PowerResult
        ``.n_per_group`` (control arm), ``.n_active``, ``.n_total``, ``.power``, ``.delta``;
        ``float(result)`` is the solved quantity.

    References
    ----------
    Diggle PJ et al. (2002); Liu G, Liang KY (1997) Biometrics 53:937; Ard MC, Edland SD
    (2011) J Alzheimers Dis 26:369. See the module docstring.

    Examples
    --------
    >>> res = lmm_slope(0.25, range(13), sig2_slope=0.36, sig2_resid=2.25, sig2_int=25,
    ...                 cov_int_slope=-0.5, power=0.8)
    >>> round(res.n_per_group, 4)
    93.5241
    >>> round(lmm_slope(0.25, range(13), 0.36, 2.25, n_per_group=94).power, 4)
    0.802
    """
    if method not in _METHODS:
        raise DesignError(f"method must be one of {_METHODS}, got {method!r}")
    solved, power, alpha, sided, r = check_solve_inputs(
        effect_name="delta",
        effect=delta,
        power=power,
        n_per_group=n_per_group,
        alpha=alpha,
        sided=sided,
        allocation=allocation,
        ratio=ratio,
    )
    if retention is not None and method != "edland":
        raise DesignError("retention (attrition) is supported by method='edland' only")
    tt, v = _check_slope_inputs(t, sig2_slope, sig2_resid, sig2_int, cov_int_slope)
    x = np.column_stack([np.ones_like(tt), tt])

    if method == "liu-liang":
        pi_a = r / (1.0 + r)
        sigma1 = _liu_liang_sigma1(tt, v, pi_a)
        if sigma1 <= 0:
            raise DesignError("the slope difference is not identified (Liu-Liang information 0)")
        # Var(delta_hat) = 1 / (N sigma1) with N = n_c (1 + r)
        unit_var = 1.0 / (sigma1 * (1.0 + r))
    else:
        ret = check_retention(retention, tt.size) if method == "edland" else np.ones(tt.size)
        info = _pattern_information(x, v, ret)
        _check_identified(info)
        xi = float(np.linalg.inv(info)[1, 1])
        unit_var = xi * (1.0 + 1.0 / r)

    d, n, pw = solve_normal(
        unit_var, delta=delta, n=n_per_group, power=power, alpha=alpha, sided=sided
    )
    inputs: list[tuple[str, object]] = [
        ("t", tuple(float(v) for v in tt)),
        ("sig2_slope", float(sig2_slope)),
        ("sig2_resid", float(sig2_resid)),
        ("sig2_int", float(sig2_int)),
        ("cov_int_slope", float(cov_int_slope)),
    ]
    if retention is not None:
        inputs.append(("retention", tuple(float(v) for v in retention)))
    return PowerResult(
        method=method,
        solved_for=solved,
        delta=d,
        power=pw,
        alpha=alpha,
        sided=sided,
        n_per_group=n,
        ratio=r,
        se=math.sqrt(unit_var / n),
        inputs=tuple(inputs),
    )

"""Power and sample size for the arm difference at the last visit of an MMRM.

Lu, Luo & Chen (2008): with an unstructured mean per visit and arm, covariance :math:`\\Sigma`
(``J x J``, post-baseline visits) and monotone dropout with retention :math:`r_j` (proportion
observed at visit :math:`j`, :math:`r_{J+1} = 0`), the expected per-subject information for
the visit means is

.. math:: I = \\sum_{j=1}^{J} (r_j - r_{j+1}) \\begin{pmatrix}\\Sigma_{1:j}^{-1} & 0\\\\ 0 & 0
          \\end{pmatrix},

and the per-subject variance of the last-visit mean is :math:`\\phi = [I^{-1}]_{JJ}`. (Lu et al.
write :math:`\\Sigma = \\sigma^2 R` and report the variance inflation factor
:math:`\\phi / \\sigma_J^2`; with complete data :math:`\\phi = \\sigma_J^2`.) With arm-specific
:math:`\\phi_c, \\phi_a` and :math:`r = n_a / n_c`,

.. math:: \\operatorname{Var}(\\hat\\delta) = \\phi_c / n_c + \\phi_a / n_a, \\qquad
          n_c = (z_{1-\\alpha/2} + z_{1-\\beta})^2 (\\phi_c + \\phi_a / r) / \\delta^2 .

This is the large-sample (z) version, as in longpower's ``power.mmrm``. Where the source is
silent: ``cov`` is a covariance (not a correlation) matrix, so no separate SD is needed;
retention applies to both arms unless ``retention_active`` is given.

References
----------
Lu K, Luo X, Chen PY (2008). Sample size estimation for repeated measures analysis in
randomized clinical trials with missing data. Int J Biostat 4(1): Article 9.
Donohue MC et al. longpower (R package), ``power.mmrm`` and ``power.mmrm.ar1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alstrials.design.power._solve import (
    check_solve_inputs,
    solve_normal,
)
from alstrials.design.power.results import PowerResult
from alstrials.design.power.slope import check_retention
from alstrials.errors import DesignError

__all__ = ["mmrm", "mmrm_phi", "ar1_cov"]


def ar1_cov(rho: float, sd: float | Sequence[float], times: Sequence[float]) -> np.ndarray:
    """AR(1) covariance :math:`\\mathrm{sd}_j \\mathrm{sd}_k \\rho^{|t_j - t_k|}`.

    Parameters
    ----------
    rho : float
        Correlation between visits one time unit apart, in [0, 1).
    sd : float or sequence of float
        Standard deviation (common or per visit).
    times : sequence of float
        Visit times.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Lu K, Luo X, Chen PY (2008). Int J Biostat 4(1), section 3.

    Examples
    --------
    >>> ar1_cov(0.5, 1.0, [1, 2]).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    if not 0.0 <= rho < 1.0:
        raise DesignError(f"rho must lie in [0, 1), got {rho}")
    tt = np.asarray(times, dtype=float)
    s = np.broadcast_to(np.asarray(sd, dtype=float), tt.shape)
    if np.any(s <= 0):
        raise DesignError("sd must be positive")
    return np.outer(s, s) * rho ** np.abs(tt[:, None] - tt[None, :])


def _check_cov(cov: Sequence[Sequence[float]] | np.ndarray, name: str) -> np.ndarray:
    c = np.atleast_2d(np.asarray(cov, dtype=float))
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise DesignError(f"{name} must be a square matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)) or not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
        raise DesignError(f"{name} must be finite and symmetric")
    if np.linalg.eigvalsh(c).min() <= 0:
        raise DesignError(f"{name} must be positive definite (non-positive variances?)")
    return c


def mmrm_phi(
    cov: Sequence[Sequence[float]] | np.ndarray, retention: Sequence[float] | None = None
) -> float:
    """Per-subject variance :math:`\\phi` of the last-visit mean under monotone dropout.

    Parameters
    ----------
    cov : array_like, shape (J, J)
        Covariance of the outcome at the J post-baseline visits.
    retention : sequence of float, optional
        Proportion observed at each visit (non-increasing); default complete data.

    Returns
    -------
    float
        :math:`\\phi = [I^{-1}]_{JJ}`; one arm's last-visit mean has variance :math:`\\phi/n`.

    References
    ----------
    Lu K, Luo X, Chen PY (2008). Int J Biostat 4(1), formula (3).

    Examples
    --------
    >>> round(mmrm_phi([[1.0]], retention=[0.8]), 6)  # 1 / 0.8
    1.25
    """
    c = _check_cov(cov, "cov")
    j_max = c.shape[0]
    r = check_retention(retention, j_max)
    if r[-1] <= 0:
        raise DesignError("retention at the last visit must be positive (nobody completes)")
    p = r - np.append(r[1:], 0.0)
    info = np.zeros_like(c)
    for j in range(1, j_max + 1):
        if p[j - 1] > 0:
            info[:j, :j] += p[j - 1] * np.linalg.inv(c[:j, :j])
    return float(np.linalg.inv(info)[-1, -1])


def mmrm(
    delta: float | None,
    cov: Sequence[Sequence[float]] | np.ndarray,
    retention: Sequence[float] | None = None,
    alpha: float = 0.05,
    power: float | None = None,
    n_per_group: float | None = None,
    *,
    cov_active: Sequence[Sequence[float]] | np.ndarray | None = None,
    retention_active: Sequence[float] | None = None,
    allocation: float | None = None,
    ratio: float | None = None,
    sided: int = 2,
) -> PowerResult:
    """Power, n or detectable difference at the last visit of an MMRM (Lu, Luo & Chen 2008).

    Leave exactly one of ``delta``, ``power`` and ``n_per_group`` as None.

    Parameters
    ----------
    delta : float or None
        Arm difference in the mean at the last visit (e.g. ALSFRS-R change at 6 months).
    cov : array_like, shape (J, J)
        Covariance of the outcome at the post-baseline visits (control arm; both arms unless
        ``cov_active`` is given).
    retention : sequence of float, optional
        Proportion still observed at each visit (control arm; both unless
        ``retention_active``). Default: complete data.
    alpha : float, default 0.05
    power : float or None
    n_per_group : float or None
        Control-arm size (each arm's size with equal allocation).
    cov_active, retention_active : optional
        Active-arm covariance and retention when they differ.
    allocation, ratio : float, optional
        Fraction in the active arm, or n_active / n_control (default 1:1).
    sided : {1, 2}

    Returns
    -------
    PowerResult
        With ``method="lu-luo-chen"``; ``.n_per_group`` is the control arm.

    References
    ----------
    Lu K, Luo X, Chen PY (2008). Sample size estimation for repeated measures analysis in
    randomized clinical trials with missing data. Int J Biostat 4(1).

    Examples
    --------
    >>> cov = [[1, .25, .25, .25], [.25, 1, .25, .25], [.25, .25, 1, .25], [.25, .25, .25, 1]]
    >>> res = mmrm(0.5, cov, retention=[1, .9, .8, .7], power=0.8)
    >>> round(res.n_total, 1)
    174.0
    """
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
    phi_c = mmrm_phi(cov, retention)
    cov_a = cov if cov_active is None else cov_active
    ret_a = retention if retention_active is None else retention_active
    if np.shape(np.atleast_2d(cov_a)) != np.shape(np.atleast_2d(cov)):
        raise DesignError("cov_active must have the same shape as cov")
    phi_a = mmrm_phi(cov_a, ret_a)
    unit_var = phi_c + phi_a / r
    d, n, pw = solve_normal(
        unit_var, delta=delta, n=n_per_group, power=power, alpha=alpha, sided=sided
    )
    c = np.atleast_2d(np.asarray(cov, dtype=float))
    inputs: list[tuple[str, object]] = [
        ("visits", int(c.shape[0])),
        ("sd_last_visit", math.sqrt(float(c[-1, -1]))),
        ("phi_control", phi_c),
        ("phi_active", phi_a),
    ]
    if retention is not None:
        inputs.append(("retention", tuple(float(v) for v in retention)))
    if retention_active is not None:
        inputs.append(("retention_active", tuple(float(v) for v in retention_active)))
    return PowerResult(
        method="lu-luo-chen",
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

r"""Rubin's rules for combining :math:`M` completed-data analyses of one scalar estimand.

With completed-data estimates :math:`\hat Q_m`, their variances :math:`U_m` and complete-data
degrees of freedom :math:`\nu_{com}`:

.. math::

    \bar Q = \tfrac1M\textstyle\sum_m \hat Q_m, \quad \bar U = \tfrac1M\sum_m U_m, \quad
    B = \tfrac1{M-1}\sum_m(\hat Q_m - \bar Q)^2, \quad T = \bar U + (1 + \tfrac1M) B,

    \lambda = (1 + \tfrac1M) B / T, \quad \nu_{old} = (M - 1)/\lambda^2, \quad
    \nu_{obs} = \frac{\nu_{com} + 1}{\nu_{com} + 3}\,\nu_{com}\,(1 - \lambda), \quad
    \nu = \frac{\nu_{old}\,\nu_{obs}}{\nu_{old} + \nu_{obs}}

(Rubin 1987; small-sample df of Barnard and Rubin 1999). With :math:`\nu_{com} = \infty`,
:math:`\nu = \nu_{old}`; with :math:`B = 0`, :math:`\nu = \nu_{obs}`. The interval is
:math:`\bar Q \pm t_{\nu, 1-\alpha/2}\sqrt{T}` and the p-value two-sided from :math:`t_\nu`.
``riv`` is the relative increase in variance :math:`r = (1 + 1/M)B/\bar U` and ``fmi`` the
fraction of missing information :math:`(r + 2/(\nu + 3))/(1 + r)`.

References
----------
Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987.
Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation. Biometrika
1999;86:948-55.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError

__all__ = ["rubin_rules"]

POOLED_COLUMNS = [
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "p",
    "within",
    "between",
    "riv",
    "fmi",
]


def rubin_rules(
    estimates: Sequence[float] | np.ndarray,
    variances: Sequence[float] | np.ndarray,
    df_complete: float = np.inf,
    *,
    level: float = 0.95,
) -> pd.Series:
    """Pool ``M`` completed-data estimates and variances by Rubin's rules (module docstring).

    Parameters
    ----------
    estimates, variances : sequence of float
        One estimate and its squared standard error per imputed data set (``M >= 2``).
    df_complete : float, default inf
        Degrees of freedom of the analysis had there been no missing data (e.g. ``n - p`` of an
        ANCOVA); ``inf`` gives Rubin's (1987) large-sample df.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.Series
        ``estimate se df ci_low ci_high p within between riv fmi`` (``within`` is
        :math:`\\bar U`, ``between`` is :math:`B`).

    References
    ----------
    Rubin (1987); Barnard and Rubin (1999), Biometrika 86, 948-955.

    Examples
    --------
    >>> out = rubin_rules([1.0, 1.2, 0.8], [0.04, 0.05, 0.06], df_complete=50)
    >>> round(float(out["estimate"]), 6), round(float(out["se"]), 6)
    (1.0, 0.321455)
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim != 1 or q.shape != u.shape:
        raise DataValidationError(
            f"estimates and variances must be two sequences of equal length, got shapes "
            f"{q.shape} and {u.shape}"
        )
    if q.size < 2:
        raise DataValidationError(f"Rubin's rules need at least 2 imputations, got {q.size}")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u)) and np.all(u >= 0)):
        raise DataValidationError(
            "estimates must be finite and variances finite and non-negative; a completed-data "
            "analysis failed (look at the per-imputation table)"
        )
    if not (df_complete > 0):
        raise DataValidationError(f"df_complete={df_complete!r} must be positive (or inf)")
    if not 0.0 < level < 1.0:
        raise DataValidationError(f"level={level!r} must be strictly between 0 and 1")
    m = q.size
    q_bar = float(q.mean())
    u_bar = float(u.mean())
    b = float(q.var(ddof=1))
    t = u_bar + (1.0 + 1.0 / m) * b
    lam = (1.0 + 1.0 / m) * b / t if t > 0 else 0.0
    nu_old = (m - 1) / lam**2 if lam > 0 else np.inf
    if np.isfinite(df_complete):
        nu_obs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lam)
        nu = nu_obs if not np.isfinite(nu_old) else nu_old * nu_obs / (nu_old + nu_obs)
    else:
        nu = nu_old
    se = float(np.sqrt(t))
    riv = (1.0 + 1.0 / m) * b / u_bar if u_bar > 0 else np.inf
    fmi = (riv + 2.0 / (nu + 3.0)) / (1.0 + riv) if np.isfinite(riv) else 1.0
    if np.isfinite(nu):
        crit = float(stats.t.ppf(0.5 + level / 2.0, nu))
        p = float(2.0 * stats.t.sf(abs(q_bar) / se, nu)) if se > 0 else np.nan
    else:
        crit = float(stats.norm.ppf(0.5 + level / 2.0))
        p = float(2.0 * stats.norm.sf(abs(q_bar) / se)) if se > 0 else np.nan
    values = [q_bar, se, nu, q_bar - crit * se, q_bar + crit * se, p, u_bar, b, riv, fmi]
    return pd.Series(values, index=POOLED_COLUMNS, dtype=float)

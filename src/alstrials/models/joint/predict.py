"""Dynamic survival prediction from a fitted joint model (Rizopoulos 2011).

For a subject still event-free at ``t0`` with longitudinal history ``Y(t0)``

    pi(u | t0) = P(T > u | T > t0, Y(t0)) = int [S(u | b) / S(t0 | b)] p(b | T > t0, Y(t0)) db,

    S(t | b) = exp(-int_0^t xi_{q(s)} exp(w' gamma + alpha m(s) + alpha_s m'(s)) ds),
    p(b | T > t0, Y) prop. to p(Y | b) S(t0 | b) N(b; 0, D).

* ``method="plugin"`` (first order): ``S(u | b_hat) / S(t0 | b_hat)`` with ``b_hat`` the mode of
  ``p(b | T > t0, Y)`` at the maximum likelihood estimates.
* ``method="montecarlo"``: for ``m = 1..M`` draw ``theta_m ~ N(theta_hat, vcov)``, update
  ``b_m`` by one independence Metropolis-Hastings step with a multivariate ``t_4`` proposal
  centred at ``b_hat`` (scale: inverse negative Hessian at the mode), and record
  ``S(u | b_m; theta_m) / S(t0 | b_m; theta_m)``. The median and the ``level`` percentile
  interval of the draws are reported (Rizopoulos 2011, section 3).

The cumulative hazards use Gauss-Legendre nodes within each baseline interval, as in fitting.

References
----------
Rizopoulos, D. (2011). Dynamic predictions and prospective accuracy in joint models for
longitudinal and time-to-event data. *Biometrics*, 67(3), 819-829.
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*, ch. 7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize

from alstrials.errors import DataValidationError
from alstrials.models.joint.design import design_at_times
from alstrials.models.joint.likelihood import Params
from alstrials.models.joint.quadrature import legendre_on_intervals

if TYPE_CHECKING:
    from alstrials.models.joint.result import JointResult

__all__ = ["predict_survival"]


class _Subject:
    """Designs of one new subject: observations and hazard nodes on ``[0, limit]`` per limit."""

    def __init__(self, result: JointResult, history: pd.DataFrame, limits: np.ndarray) -> None:
        sp = result.spec
        base = history.iloc[[0]]
        self.y = history[sp.response].to_numpy(dtype=float)
        t_obs = history[sp.time].to_numpy(dtype=float)
        self.X, self.Z, _, _ = design_at_times(
            sp.long_spec, sp.random_spec, history, t_obs, sp.time
        )
        w = sp.surv_spec.get_model_matrix(base)
        self.w = np.asarray(w[list(sp.surv_names)], dtype=float).ravel()
        br = sp.breaks
        lower = np.broadcast_to(br[:-1], (len(limits), len(br) - 1))
        upper = np.minimum(br[1:][None, :], limits[:, None])
        li, qi = np.nonzero(upper > lower)
        s, wt = legendre_on_intervals(lower[li, qi], upper[li, qi], sp.gl_points)
        self.limit_index = np.repeat(li, sp.gl_points)
        self.interval = np.repeat(qi, sp.gl_points)
        self.weight = wt.ravel()
        self.n_limits = len(limits)
        rep = base.iloc[np.zeros(s.size, dtype=int)]
        self.Xs, self.Zs, self.Xs_d, self.Zs_d = design_at_times(
            sp.long_spec, sp.random_spec, rep, s.ravel(), sp.time
        )

    def node_terms(self, par: Params, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hazard-integrand terms ``E_g`` at the nodes and ``v_g = d lin / d b``."""
        m = self.Xs @ par.beta + self.Zs @ b
        md = self.Xs_d @ par.beta + self.Zs_d @ b
        lin = np.log(par.xi)[self.interval] + self.w @ par.gamma + par.alpha * m
        lin = lin + par.alpha_s * md
        with np.errstate(over="ignore"):
            E = self.weight * np.exp(lin)
        return E, par.alpha * self.Zs + par.alpha_s * self.Zs_d

    def cumhaz(self, par: Params, b: np.ndarray) -> np.ndarray:
        E, _ = self.node_terms(par, b)
        return np.bincount(self.limit_index, weights=E, minlength=self.n_limits)

    def log_post(self, par: Params, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``log p(Y | b) + log N(b; 0, D) - H(t0 | b)`` (up to a constant), gradient, Hessian.

        ``t0`` is limit 0.
        """
        r = self.y - self.X @ par.beta - self.Z @ b
        Dinv = np.linalg.inv(par.D)
        E, V = self.node_terms(par, b)
        E = np.where(self.limit_index == 0, E, 0.0)
        s2 = par.sigma**2
        f = -0.5 * r @ r / s2 - 0.5 * b @ Dinv @ b - E.sum()
        g = self.Z.T @ r / s2 - Dinv @ b - V.T @ E
        h = -self.Z.T @ self.Z / s2 - Dinv - (V * E[:, None]).T @ V
        return float(f), g, h


def _mode(subject: _Subject, par: Params, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    res = minimize(
        lambda b: tuple(-v for v in subject.log_post(par, b)[:2]),
        start,
        jac=True,
        method="BFGS",
        options={"gtol": 1e-8},
    )
    h = subject.log_post(par, res.x)[2]
    return res.x, np.linalg.inv(-h)


def predict_survival(
    result: JointResult,
    history: pd.DataFrame,
    times: Any,
    *,
    last_time: float | None = None,
    method: str = "plugin",
    n_draws: int = 200,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Conditional survival ``P(T > u | T > t0, history)`` for one subject.

    Parameters
    ----------
    result : JointResult
        A fitted joint model.
    history : DataFrame
        The subject's longitudinal rows (time column, response, the covariates of the
        longitudinal and survival formulas; one subject only).
    times : array-like
        Future times ``u >= t0``.
    last_time : float, optional
        ``t0``, the last time the subject was known event-free. Default: the last
        measurement time in ``history``.
    method : {"plugin", "montecarlo"}
        First-order empirical Bayes estimate or Monte Carlo (median and interval).
    n_draws : int
        Monte Carlo draws.
    seed : int or Generator, optional
        Seed for the Monte Carlo draws.
    level : float
        Coverage of the Monte Carlo percentile interval.

    Returns
    -------
    DataFrame
        ``time``, ``survival`` (plug-in estimate, or Monte Carlo median); for Monte Carlo also
        ``mean``, ``lower``, ``upper``. The first row is ``t0`` with survival 1.

    References
    ----------
    Rizopoulos, D. (2011). Dynamic predictions and prospective accuracy in joint models for
    longitudinal and time-to-event data. *Biometrics*, 67(3), 819-829.

    Examples
    --------
    >>> from alstrials.models.joint import fit_joint
    >>> from alstrials.models.joint.simulate import simulate_joint
    >>> long, surv = simulate_joint(n=60, seed=1)
    >>> fit = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x",
    ...                 "T", "event", gh_points=3)
    >>> hist = long[(long.id == 1) & (long.time <= 2)]
    >>> p = fit.predict_survival(hist, [3.0, 5.0], last_time=2.0)
    >>> p["time"].tolist(), float(p["survival"].iloc[0])
    ([2.0, 3.0, 5.0], 1.0)
    """
    sp = result.spec
    if method not in ("plugin", "montecarlo"):
        raise DataValidationError(f"method must be 'plugin' or 'montecarlo', got {method!r}")
    if not isinstance(history, pd.DataFrame) or len(history) == 0:
        raise DataValidationError("history must be a non-empty DataFrame", table="history")
    for col in (sp.time, sp.response):
        if col not in history.columns:
            raise DataValidationError(f"history has no column {col!r}", table="history", column=col)
    if sp.group in history.columns and history[sp.group].nunique() > 1:
        raise DataValidationError(
            f"history must hold one subject; column {sp.group!r} has "
            f"{history[sp.group].nunique()} values",
            table="history",
            column=sp.group,
        )
    hist = history.sort_values(sp.time, kind="stable").reset_index(drop=True)
    if hist[sp.response].isna().any():
        row = int(np.flatnonzero(hist[sp.response].isna().to_numpy())[0])
        raise DataValidationError(
            f"history column {sp.response!r} is missing at row {row}; drop that row",
            table="history",
            column=sp.response,
            row=row,
        )
    t_last = float(hist[sp.time].max())
    t0 = t_last if last_time is None else float(last_time)
    if t0 < t_last:
        raise DataValidationError(
            f"last_time={t0} is before the last measurement ({t_last}) in history",
            table="history",
            column=sp.time,
        )
    u = np.atleast_1d(np.asarray(times, dtype=float))
    if np.any(~np.isfinite(u)) or np.any(u < t0):
        raise DataValidationError(f"times must be finite and >= t0 = {t0}", column="times")
    limits = np.concatenate([[t0], u])
    try:
        subject = _Subject(result, hist, limits)
    except Exception as exc:  # formulaic: missing covariate, unseen category, ...
        raise DataValidationError(
            f"cannot build the design for history: {exc}. history needs the covariates of "
            "both the longitudinal and the survival formulas",
            table="history",
        ) from exc
    par = Params.unpack(result.theta, sp.layout)
    b_hat, cov_hat = _mode(subject, par, np.zeros(sp.layout.q))
    H = subject.cumhaz(par, b_hat)
    out = pd.DataFrame({"time": limits, "survival": np.exp(-(H - H[0]))})
    if method == "plugin":
        return out

    rng = np.random.default_rng(seed)
    df_t = 4
    prop = stats.multivariate_t(loc=b_hat, shape=cov_hat, df=df_t)
    vcov = 0.5 * (result.vcov + result.vcov.T)
    thetas = rng.multivariate_normal(result.theta, vcov, size=n_draws, method="eigh")
    b_cur = b_hat.copy()
    draws = np.empty((n_draws, len(limits)))
    for m in range(n_draws):
        par_m = Params.unpack(thetas[m], sp.layout)
        b_new = np.atleast_1d(prop.rvs(random_state=rng))
        log_ratio = (
            subject.log_post(par_m, b_new)[0]
            - subject.log_post(par_m, b_cur)[0]
            + prop.logpdf(b_cur)
            - prop.logpdf(b_new)
        )
        if np.log(rng.uniform()) < log_ratio:
            b_cur = b_new
        Hm = subject.cumhaz(par_m, b_cur)
        draws[m] = np.exp(-(Hm - Hm[0]))
    a = (1 - level) / 2
    out["survival"] = np.median(draws, axis=0)
    out["mean"] = draws.mean(axis=0)
    out["lower"] = np.quantile(draws, a, axis=0)
    out["upper"] = np.quantile(draws, 1 - a, axis=0)
    return out

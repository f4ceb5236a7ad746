"""Dynamic prediction from a fitted joint model (Rizopoulos 2011), with competing causes.

For a subject event-free at ``t0`` with marker histories ``Y(t0)`` (every marker so far)

    P(T > u | T > t0, Y) = int S(u | b) / S(t0 | b) p(b | T > t0, Y) db,
    F_c(u | t0, Y)       = int [int_t0^u h_c(s | b) S(s | b) ds] / S(t0 | b) p(b | T > t0, Y) db,

with ``S(t | b) = exp(-sum_c H_c(t | b))`` and ``p(b | T > t0, Y) ∝ p(Y | b) S(t0 | b) N(b; 0, D)``.

* ``method="plugin"`` (first order): the integrands at the mode ``b_hat`` of
  ``p(b | T > t0, Y)`` under the maximum likelihood estimates.
* ``method="montecarlo"``: for ``m = 1..M`` draw ``theta_m ~ N(theta_hat, vcov)``, update
  ``b_m`` by one independence Metropolis-Hastings step with a multivariate ``t_4`` proposal
  centred at ``b_hat`` (scale: inverse negative Hessian at the mode), and record the
  integrands at ``(b_m, theta_m)``; the median and the ``level`` percentile interval of the
  draws are reported (Rizopoulos 2011, section 3).

``S(t0 | b)`` in the posterior uses the fitting's Gauss-Legendre nodes; the predictions use a
fine grid on ``[t0, max(u)]`` (``grid_points`` intervals plus the baseline knots and the
requested times; see :meth:`_Subject.curves`).

References
----------
Rizopoulos, D. (2011). Dynamic predictions and prospective accuracy in joint models for
longitudinal and time-to-event data. *Biometrics*, 67(3), 819-829.
Andrinopoulou, E.-R., Rizopoulos, D., Takkenberg, J. J. M., Lesaffre, E. (2014). Joint
modeling of two longitudinal outcomes and competing risk data. *Stat. Med.* 33, 3167-3178.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError
from alstrials.models.joint.design import form_rows
from alstrials.models.joint.likelihood import Params
from alstrials.models.joint.quadrature import legendre_on_intervals

if TYPE_CHECKING:
    from alstrials.models.joint.result import JointResult

__all__ = ["predict_survival", "predict_cumulative_incidence"]


class _Hazards:
    """Cause-specific log hazards of one subject at fixed times, linear in ``b``."""

    def __init__(
        self, result: JointResult, base_rows: list[pd.DataFrame], w_row: pd.DataFrame, s: np.ndarray
    ) -> None:
        sp = result.spec
        self.sp = sp
        P, Q = sp.layout.p, sp.layout.q
        p_off = np.r_[0, np.cumsum([len(m.long_names) for m in sp.markers])]
        q_off = np.r_[0, np.cumsum([len(m.random_names) for m in sp.markers])]
        self.rows = {}
        for m, form in sp.terms:
            rep = base_rows[m].iloc[np.zeros(len(s), dtype=int)]
            x, z = form_rows(sp.markers[m], rep, s, sp.time, form, sp.area_points)
            X = np.zeros((len(s), P))
            Z = np.zeros((len(s), Q))
            X[:, p_off[m] : p_off[m + 1]] = x
            Z[:, q_off[m] : q_off[m + 1]] = z
            self.rows[(m, form)] = (X, Z)
        self.w = []
        for c in range(len(sp.baselines)):
            wm = sp.surv_specs[c].get_model_matrix(w_row)
            self.w.append(np.asarray(wm[list(sp.surv_names[c])], dtype=float).ravel())
        self.s = s

    def log_h(self, par: Params, b: np.ndarray) -> np.ndarray:
        """(C, len(s)) log hazards at ``b``."""
        out = []
        for c, bspec in enumerate(self.sp.baselines):
            lh = bspec.log_h0(par.base[c], self.s) + self.w[c] @ par.gamma[c]
            for a, term in zip(par.alpha[c], self.sp.model.causes[c].terms, strict=True):
                X, Z = self.rows[term]
                lh = lh + a * (X @ par.beta + Z @ b)
            out.append(lh)
        return np.asarray(out)

    def slopes(self, par: Params) -> np.ndarray:
        """(C, len(s), q): d log h_c / d b."""
        out = []
        for c in range(len(self.sp.baselines)):
            V = np.zeros((len(self.s), self.sp.layout.q))
            for a, term in zip(par.alpha[c], self.sp.model.causes[c].terms, strict=True):
                V += a * self.rows[term][1]
            out.append(V)
        return np.asarray(out)


class _Subject:
    """One new subject: observations of every marker, hazard nodes on ``[0, t0]`` and the
    prediction grid on ``[t0, max(u)]``."""

    def __init__(
        self,
        result: JointResult,
        frames: list[pd.DataFrame],
        t0: float,
        limits: np.ndarray,
        grid_points: int,
    ) -> None:
        u_max = float(limits.max())
        sp = result.spec
        P, Q = sp.layout.p, sp.layout.q
        p_off = np.r_[0, np.cumsum([len(m.long_names) for m in sp.markers])]
        q_off = np.r_[0, np.cumsum([len(m.random_names) for m in sp.markers])]
        ys, Xs, Zs, ws = [], [], [], []
        pooled = pd.concat(frames, ignore_index=True, sort=False).sort_values(sp.time)
        base_rows = []
        for m, (mk, fr) in enumerate(zip(sp.markers, frames, strict=True)):
            base_rows.append(fr.iloc[[0]] if len(fr) else pooled.iloc[[0]])
            if len(fr) == 0:
                continue
            x, z = form_rows(mk, fr, fr[sp.time].to_numpy(dtype=float), sp.time, "value", 1)
            X = np.zeros((len(fr), P))
            Z = np.zeros((len(fr), Q))
            X[:, p_off[m] : p_off[m + 1]] = x
            Z[:, q_off[m] : q_off[m + 1]] = z
            ys.append(fr[mk.name].to_numpy(dtype=float))
            Xs.append(X)
            Zs.append(Z)
            ws.append(np.full(len(fr), m))
        self.y = np.concatenate(ys)
        self.X = np.vstack(Xs)
        self.Z = np.vstack(Zs)
        self.marker = np.concatenate(ws)
        w_row = pooled.iloc[[0]]
        br = sp.breaks
        lower = br[:-1]
        upper = np.minimum(br[1:], t0)
        keep = upper > lower
        s0, w0 = legendre_on_intervals(lower[keep], upper[keep], sp.gl_points)
        self.past = _Hazards(result, base_rows, w_row, s0.ravel())
        self.past_w = w0.ravel()
        grid = np.linspace(t0, u_max, grid_points + 1) if u_max > t0 else np.array([t0])
        inside = br[(br > t0) & (br < u_max)]
        grid = np.unique(np.concatenate([grid, inside, limits]))
        s1, w1 = legendre_on_intervals(grid[:-1], grid[1:], 3)
        self.future = _Hazards(result, base_rows, w_row, s1.ravel())
        self.future_w = w1  # (intervals, 3)
        self.grid = grid

    def log_post(self, par: Params, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``log p(Y | b) + log N(b; 0, D) - H(t0 | b)`` (up to a constant), gradient, Hessian."""
        w = 1.0 / (par.sigma**2)[self.marker]
        r = self.y - self.X @ par.beta - self.Z @ b
        Dinv = np.linalg.inv(par.D)
        f = -0.5 * np.sum(w * r * r) - 0.5 * b @ Dinv @ b
        g = self.Z.T @ (w * r) - Dinv @ b
        h = -(self.Z * w[:, None]).T @ self.Z - Dinv
        if self.past_w.size:
            with np.errstate(over="ignore"):
                E = np.exp(np.minimum(self.past.log_h(par, b), 700.0)) * self.past_w[None, :]
            V = self.past.slopes(par)
            f -= float(E.sum())
            g -= np.einsum("cg,cgq->q", E, V)
            h -= np.einsum("cg,cga,cgb->ab", E, V, V)
        return float(f), g, h

    def curves(self, par: Params, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional survival ``S(s | b) / S(t0 | b)`` and each cause's incidence at the grid
        points: Gauss-Legendre (3 nodes) for each interval's cumulative hazards, and within an
        interval ``dF_c = S(a) (dH_c / dH) (1 - exp(-dH))`` (exact for proportional hazards
        within the interval; error of order width squared)."""
        with np.errstate(over="ignore"):
            h = np.exp(np.minimum(self.future.log_h(par, b), 700.0))  # (C, nodes)
        k = self.future_w.shape[1]
        dHc = (h.reshape(h.shape[0], -1, k) * self.future_w[None]).sum(axis=2)  # (C, I)
        dH = dHc.sum(axis=0)
        H = np.concatenate([[0.0], np.cumsum(dH)])
        S = np.exp(-H)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(dH > 0, dHc / dH, 0.0)
        dF = share * (S[:-1] * -np.expm1(-dH))[None, :]
        F = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(dF, axis=1)], axis=1)
        return S, F


def _mode(subject: _Subject, par: Params, q: int) -> tuple[np.ndarray, np.ndarray]:
    b = np.zeros(q)
    f, g, h = subject.log_post(par, b)
    for _ in range(100):
        step = np.linalg.solve(-h, g)
        t = 1.0
        for _ in range(40):
            fn, gn, hn = subject.log_post(par, b + t * step)
            if fn >= f - 1e-12 * abs(f):
                break
            t /= 2
        b = b + t * step
        f, g, h = fn, gn, hn
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return b, np.linalg.inv(-h)


def _frames(result: JointResult, history: Any) -> list[pd.DataFrame]:
    sp = result.spec
    names = sp.responses
    if isinstance(history, Mapping):
        if set(map(str, history)) != set(names):
            raise DataValidationError(
                f"history given as a dict needs one frame per marker {list(names)}",
                table="history",
            )
        tables = [history[m] for m in names]
    else:
        tables = [history] * len(names)
    out = []
    ids: set = set()
    for m, frame in zip(names, tables, strict=True):
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(
                "history must be a DataFrame (or a dict of them)", table="history"
            )
        for col in (sp.time, m):
            if col not in frame.columns:
                raise DataValidationError(
                    f"history has no column {col!r}", table="history", column=col
                )
        if sp.group in frame.columns:
            ids.update(pd.unique(frame[sp.group]).tolist())
        fr = frame.sort_values(sp.time, kind="stable").reset_index(drop=True)
        if len(names) > 1:
            fr = fr[fr[m].notna()].reset_index(drop=True)
        elif fr[m].isna().any():
            row = int(np.flatnonzero(fr[m].isna().to_numpy())[0])
            raise DataValidationError(
                f"history column {m!r} is missing at row {row}; drop that row",
                table="history",
                column=m,
                row=row,
            )
        out.append(fr)
    if len(ids) > 1:
        raise DataValidationError(
            f"history must hold one subject; column {sp.group!r} has {len(ids)} values",
            table="history",
            column=sp.group,
        )
    if sum(len(f) for f in out) == 0:
        raise DataValidationError("history must hold at least one measurement", table="history")
    return out


def _predict(result, history, times, last_time, method, n_draws, seed, level, grid_points):
    sp = result.spec
    if method not in ("plugin", "montecarlo"):
        raise DataValidationError(f"method must be 'plugin' or 'montecarlo', got {method!r}")
    frames = _frames(result, history)
    t_last = max(float(f[sp.time].max()) for f in frames if len(f))
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
    limits = np.concatenate([[t0], np.sort(u)])
    try:
        subject = _Subject(result, frames, t0, limits, grid_points)
    except Exception as exc:  # formulaic: missing covariate, unseen category, ...
        raise DataValidationError(
            f"cannot build the design for history: {exc}. history needs the covariates of "
            "the longitudinal and the survival formulas",
            table="history",
        ) from exc

    def at_limits(S, F):
        return np.interp(limits, subject.grid, S), np.array(
            [np.interp(limits, subject.grid, Fc) for Fc in F]
        )

    par = Params.unpack(result.theta, sp.layout)
    b_hat, cov_hat = _mode(subject, par, sp.layout.q)
    S_hat, F_hat = at_limits(*subject.curves(par, b_hat))
    if method == "plugin":
        return limits, S_hat, F_hat, None
    rng = np.random.default_rng(seed)
    prop = stats.multivariate_t(loc=b_hat, shape=0.5 * (cov_hat + cov_hat.T), df=4)
    vcov = 0.5 * (result.vcov + result.vcov.T)
    thetas = rng.multivariate_normal(result.theta, vcov, size=n_draws, method="eigh")
    b_cur = b_hat.copy()
    draws_S = np.empty((n_draws, len(limits)))
    draws_F = np.empty((n_draws, F_hat.shape[0], len(limits)))
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
        draws_S[m], draws_F[m] = at_limits(*subject.curves(par_m, b_cur))
    return limits, S_hat, F_hat, (draws_S, draws_F, (1 - level) / 2)


_DOC_PARAMS = """
    Parameters
    ----------
    result : JointResult
        A fitted joint model.
    history : DataFrame or dict of DataFrame
        The subject's measurements so far: the time column, the markers (missing where not
        measured) and the covariates of every formula; one subject. Or one frame per marker.
    times : array-like
        Future times ``u >= t0``.
    last_time : float, optional
        ``t0``, the last time the subject was known event-free (default: the last measurement).
    method : {"plugin", "montecarlo"}
        First-order empirical Bayes estimate or Monte Carlo (median and percentile interval).
    n_draws : int
        Monte Carlo draws.
    seed : int or Generator, optional
        Seed of the Monte Carlo draws.
    level : float
        Coverage of the Monte Carlo interval.
    grid_points : int
        Intervals of the prediction grid on ``[t0, max(times)]``.
"""


def predict_survival(
    result: JointResult,
    history: Any,
    times: Any,
    *,
    last_time: float | None = None,
    method: str = "plugin",
    n_draws: int = 200,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    grid_points: int = 400,
) -> pd.DataFrame:
    """Event-free probability ``P(T > u | T > t0, history)`` (all causes) for one subject.

    Returns
    -------
    DataFrame
        ``time``, ``survival`` (plug-in, or Monte Carlo median); with Monte Carlo also ``mean``,
        ``lower``, ``upper``. The first row is ``t0`` with survival 1.

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
    limits, S, _, mc = _predict(
        result, history, times, last_time, method, n_draws, seed, level, grid_points
    )
    out = pd.DataFrame({"time": limits, "survival": S})
    if mc is not None:
        draws, _, a = mc
        out["survival"] = np.median(draws, axis=0)
        out["mean"] = draws.mean(axis=0)
        out["lower"] = np.quantile(draws, a, axis=0)
        out["upper"] = np.quantile(draws, 1 - a, axis=0)
    return out


def predict_cumulative_incidence(
    result: JointResult,
    history: Any,
    times: Any,
    *,
    last_time: float | None = None,
    method: str = "plugin",
    n_draws: int = 200,
    seed: int | np.random.Generator | None = None,
    level: float = 0.95,
    grid_points: int = 400,
) -> pd.DataFrame:
    """Each cause's cumulative incidence ``P(t0 < T <= u, cause c | T > t0, history)``.

    Returns
    -------
    DataFrame
        Tidy: ``time``, ``cause``, ``incidence`` (plug-in, or Monte Carlo median); with Monte
        Carlo also ``mean``, ``lower``, ``upper``. Without competing causes the one cause is
        named "event" and the incidence is one minus :func:`predict_survival`.

    Examples
    --------
    >>> from alstrials.models.joint import fit_joint
    >>> from alstrials.models.joint.simulate import simulate_joint
    >>> long, surv = simulate_joint(n=60, seed=1)
    >>> fit = fit_joint(long, surv, "y ~ time", "~ time", "id", "time", "~ x",
    ...                 "T", "event", gh_points=3)
    >>> hist = long[(long.id == 1) & (long.time <= 2)]
    >>> ci = fit.predict_cumulative_incidence(hist, [3.0, 5.0], last_time=2.0)
    >>> list(ci.columns), ci["cause"].unique().tolist()
    (['time', 'cause', 'incidence'], ['event'])
    """
    limits, _, F, mc = _predict(
        result, history, times, last_time, method, n_draws, seed, level, grid_points
    )
    causes = result.causes or ("event",)
    parts = []
    for c, name in enumerate(causes):
        part = pd.DataFrame({"time": limits, "cause": name, "incidence": F[c]})
        if mc is not None:
            _, draws, a = mc
            part["incidence"] = np.median(draws[:, c], axis=0)
            part["mean"] = draws[:, c].mean(axis=0)
            part["lower"] = np.quantile(draws[:, c], a, axis=0)
            part["upper"] = np.quantile(draws[:, c], 1 - a, axis=0)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


predict_survival.__doc__ = (predict_survival.__doc__ or "").replace(
    "\n    Returns", _DOC_PARAMS + "\n    Returns", 1
)
predict_cumulative_incidence.__doc__ = (predict_cumulative_incidence.__doc__ or "").replace(
    "\n    Returns", _DOC_PARAMS + "\n    Returns", 1
)

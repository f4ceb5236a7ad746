"""``fit_drr``: the disease-rate-ratio shared-parameter model of a platform trial."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr

from alstrials.data.schema import TrialData
from alstrials.errors import ConvergenceWarning, DesignError
from alstrials.models.platform.data import PlatformArrays, platform_arrays
from alstrials.models.platform.laplace import LaplaceFit, fit_laplace
from alstrials.models.platform.likelihood import offset_hyper
from alstrials.models.platform.nuts import run_nuts
from alstrials.models.platform.result import DRRDiagnostics, DRRResult
from alstrials.models.platform.spec import Borrowing, DRRPriors, Layout, Method, build_layout

__all__ = ["fit_drr"]

_GH_X, _GH_W = np.polynomial.hermite.hermgauss(20)


def _mixture_summary(means: np.ndarray, sds: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Median, mean, 95% interval and P(DRR < 1) of ``exp(X)``, X a normal mixture."""
    keep = w > 1e-12
    m, s, w = means[keep], sds[keep], w[keep] / w[keep].sum()

    def cdf(x: float) -> float:
        return float(np.sum(w * ndtr((x - m) / s)))

    lo, hi = float(np.min(m - 10 * s)), float(np.max(m + 10 * s))

    def q(p: float) -> float:
        return float(np.exp(brentq(lambda x: cdf(x) - p, lo, hi, xtol=1e-10)))

    return {
        "median": q(0.5),
        "mean": float(np.sum(w * np.exp(m + s**2 / 2))),
        "ci_low": q(0.025),
        "ci_high": q(0.975),
        "p_below_1": cdf(0.0),
    }


def _natural(draws: np.ndarray, layout: Layout, s: np.ndarray) -> dict[str, np.ndarray]:
    """Natural-scale quantities of draws (D, P); ``s`` the offset multiplier of each draw."""
    p = layout.split(draws)
    r = layout.n_regimens
    out = {
        "alpha": p["alpha"],
        "beta0": p["beta0"][:, 0],
        "delta": s[:, None] * p["z_offset"],
        "drr": np.exp(np.broadcast_to(p["log_drr"], (len(draws), r))),
        "sd_intercept": np.exp(p["log_sd_intercept"][:, 0]),
        "sd_rate": np.exp(p["log_sd_rate"][:, 0]),
        "rho": np.tanh(p["atanh_rho"][:, 0]),
        "sd_residual": np.exp(p["log_sd_residual"][:, 0]),
        "weibull_scale": np.exp(p["log_weibull_scale"][:, 0]),
        "weibull_shape": np.exp(p["log_weibull_shape"][:, 0]),
        "link": p["link"][:, 0],
        "gamma_intercept": p["gamma_intercept"],
        "gamma_rate": p["gamma_rate"],
        "gamma_hazard": p["gamma_hazard"],
        "curvature": p["curvature"][:, 0] if layout.curvature else np.zeros(len(draws)),
        "s": s,
    }
    return out


def _summarise(values: np.ndarray) -> dict[str, float]:
    q = np.quantile(values, [0.5, 0.025, 0.975])
    return {"median": q[0], "mean": float(np.mean(values)), "ci_low": q[1], "ci_high": q[2]}


def _parameter_table(
    nat: dict[str, np.ndarray], arrays: PlatformArrays, layout: Layout
) -> pd.DataFrame:
    rows: dict[str, dict[str, float]] = {}
    regs, covs = arrays.regimens, arrays.covariates
    for j, r in enumerate(regs):
        rows[f"alpha[{r}]"] = _summarise(nat["alpha"][:, j] + arrays.y_centre)
    rows["beta0"] = _summarise(nat["beta0"])
    for j, r in enumerate(regs):
        rows[f"delta[{r}]"] = _summarise(nat["delta"][:, j])
    rows["offset_sd"] = _summarise(nat["s"])
    if layout.curvature:
        rows["curvature"] = _summarise(nat["curvature"])
    for name in ("sd_intercept", "sd_rate", "rho", "sd_residual"):
        rows[name] = _summarise(nat[name])
    for name in ("weibull_scale", "weibull_shape", "link"):
        rows[name] = _summarise(nat[name])
    for block in ("gamma_intercept", "gamma_rate", "gamma_hazard"):
        for j, c in enumerate(covs):
            rows[f"{block}[{c}]"] = _summarise(nat[block][:, j])
    return pd.DataFrame.from_dict(rows, orient="index")


def _trajectory(nat: dict[str, np.ndarray], arrays: PlatformArrays) -> pd.DataFrame:
    months = np.arange(0.0, np.ceil(arrays.t.max()) + 1.0)
    frames = []
    groups = [("pooled", nat["alpha"].mean(axis=1), nat["beta0"])]
    groups += [
        (r, nat["alpha"][:, j], nat["beta0"] + nat["delta"][:, j])
        for j, r in enumerate(arrays.regimens)
    ]
    for name, alpha, rate in groups:
        curve = (
            arrays.y_centre
            + alpha[:, None]
            - rate[:, None] * months[None, :]
            + nat["curvature"][:, None] * months[None, :] ** 2
        )
        q = np.quantile(curve, [0.5, 0.025, 0.975], axis=0)
        frames.append(
            pd.DataFrame(
                {"regimen": name, "months": months, "median": q[0], "ci_low": q[1], "ci_high": q[2]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _curves(nat: dict[str, np.ndarray], arrays: PlatformArrays) -> pd.DataFrame:
    med = {k: np.median(v, axis=0) for k, v in nat.items()}
    months = np.linspace(0.0, float(max(arrays.t.max(), arrays.time[: arrays.n].max())), 61)
    rows = []
    for j, r in enumerate(arrays.regimens):
        for arm, d in (("placebo", 1.0), ("active", float(med["drr"][j]))):
            tau = d * months
            rate = med["beta0"] + med["delta"][j]
            alsfrs = arrays.y_centre + med["alpha"][j] - rate * tau + med["curvature"] * tau**2
            b = rate + np.sqrt(2.0) * med["sd_rate"] * _GH_X
            cum = (tau[:, None] / med["weibull_scale"]) ** med["weibull_shape"]
            surv = np.exp(-cum * np.exp(med["link"] * (b - med["beta0"]))[None, :])
            surv = surv @ (_GH_W / np.sqrt(np.pi))
            rows.append(
                pd.DataFrame(
                    {"regimen": r, "arm": arm, "months": months, "alsfrs": alsfrs, "survival": surv}
                )
            )
    return pd.concat(rows, ignore_index=True)


def _borrowing_weights(
    nat: dict[str, np.ndarray], arrays: PlatformArrays, borrowing: Borrowing
) -> pd.DataFrame:
    sb2 = float(np.median(nat["sd_rate"])) ** 2
    se2 = float(np.median(nat["sd_residual"])) ** 2
    s2 = float(np.median(nat["s"])) ** 2
    m, t = arrays.mask, arrays.t
    n_i = np.maximum(m.sum(axis=1), 1.0)
    tbar = (t * m).sum(axis=1) / n_i
    sxx = (((t - tbar[:, None]) ** 2) * m).sum(axis=1)
    rows = {}
    for j, r in enumerate(arrays.regimens):
        own = (arrays.regimen == j) & (arrays.active == 0) & (arrays.row > 0) & (sxx > 0)
        info = float(np.sum(1.0 / (sb2 + se2 / sxx[own]))) if own.any() else 0.0
        v = 1.0 / info if info > 0 else np.inf
        if borrowing is Borrowing.POOLED:
            share = 1.0
        elif borrowing is Borrowing.CONCURRENT:
            share = 0.0
        else:
            share = float(v / (v + s2)) if np.isfinite(v) else 1.0
        n_placebo = int(np.sum((arrays.regimen == j) & (arrays.active == 0) & (arrays.row > 0)))
        rows[r] = {"n_placebo": n_placebo, "own_variance": v, "borrowing": share}
    return pd.DataFrame.from_dict(rows, orient="index")


def _laplace_draws(
    fit: LaplaceFit, n_draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(fit.covariances).all(axis=(1, 2))
    w = np.where(ok, fit.weights, 0.0)
    if w.sum() == 0:
        return np.repeat(fit.modes[:1], n_draws, axis=0), np.repeat(fit.hypers[:1, 0], n_draws)
    comp = rng.choice(len(w), size=n_draws, p=w / w.sum())
    draws = np.empty((n_draws, fit.modes.shape[1]))
    for g in np.unique(comp):
        k = comp == g
        chol = np.linalg.cholesky(fit.covariances[g])
        draws[k] = fit.modes[g] + rng.standard_normal((int(k.sum()), chol.shape[0])) @ chol.T
    return draws, fit.hypers[comp, 0]


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise DesignError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def fit_drr(
    trial: TrialData,
    regimen: str = "regimen",
    borrowing: str | Borrowing = "hierarchical",
    method: str | Method = "nuts",
    seed: int | None = None,
    *,
    priors: DRRPriors | None = None,
    common_drr: bool = False,
    covariates: Sequence[str] = (),
    curvature: bool = False,
    event_types: Sequence[str] | None = None,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 2,
    target_accept: float | None = None,
    rhat_max: float = 1.01,
    ess_min: float = 100.0,
    n_draws: int = 4000,
    progress: bool = False,
) -> DRRResult:
    """Fit the disease-rate-ratio (DRR) shared-parameter model of a platform trial.

    The model (:mod:`alstrials.models.platform`): ALSFRS-R ``y_ij = a_i - b_i tau_ij (+ c
    tau_ij^2) + e_ij`` and a Weibull hazard on disease time linked to ``b_i``, where disease time
    ``tau = DRR_r t`` on the active drug of regimen ``r`` and ``t`` on placebo; regimen-specific
    placebo offsets of the mean rate, combined by ``borrowing``.

    Parameters
    ----------
    trial : TrialData
        A platform trial (e.g. :func:`alstrials.data.simulate.platform.simulate_platform`).
    regimen : str
        Column of ``subjects`` naming the regimen; ``arm`` is placebo (``trial.arms[0]``) or
        active within it.
    borrowing : {"hierarchical", "concurrent", "pooled"}
        Regimen placebo offsets ``delta_r ~ N(0, s^2)`` with ``s ~ HalfNormal`` (hierarchical);
        free offsets, each regimen compared with its own placebo only (concurrent); no offsets,
        all placebo participants pooled (pooled).
    method : {"nuts", "laplace"}
        Full Bayes by NUTS (NumPyro), or the fast posterior mode + Laplace approximation.
    seed : int, optional
        Seed of the sampler (NUTS) or of the draws from the Laplace approximation (default 0).
    priors : DRRPriors, optional
        Prior scales (default :class:`DRRPriors()`).
    common_drr : bool
        One DRR shared by every regimen.
    covariates : sequence of str
        Baseline columns of ``subjects`` (standardised) acting on the intercept, the rate and
        the log hazard, e.g. ``("delta_fs", "onset_site")``.
    curvature : bool
        Add a common quadratic term in disease time.
    event_types : sequence of str, optional
        Event types counted as the survival event (default every event of ``events.event``:
        death, tracheostomy or permanent ventilation).
    num_warmup, num_samples, num_chains, target_accept :
        NUTS settings (``target_accept`` default 0.95 for hierarchical borrowing, else 0.8).
    rhat_max, ess_min : float
        A NUTS fit with a larger R-hat, a smaller bulk ESS or any divergence is flagged not
        converged (and warned).
    n_draws : int
        Draws from the Laplace approximation for the derived summaries (trajectory, parameters).
    progress : bool
        NumPyro's progress bar.

    Returns
    -------
    DRRResult

    Raises
    ------
    DataValidationError
        Missing columns, a regimen without both arms, a participant without visits or events.
    DesignError
        Bad options.

    Warns
    -----
    ConvergenceWarning
        The fit is not converged (see :attr:`DRRResult.diagnostics`).

    References
    ----------
    Quintana M et al. (2023) Ann Neurol 94:547-560 (HEALEY ALS platform design). Rue H, Martino
    S, Chopin N (2009) JRSS B 71:319 (Laplace approximations with a hyperparameter grid).
    Hoffman MD, Gelman A (2014) JMLR 15:1593 (NUTS).

    Examples
    --------
    >>> from alstrials.data.simulate.platform import simulate_platform
    >>> trial = simulate_platform({"A": 0.7, "B": 1.0}, n_per_regimen=120, seed=3)
    >>> res = fit_drr(trial, borrowing="pooled", method="laplace")
    >>> list(res.drr.columns)
    ['median', 'mean', 'ci_low', 'ci_high', 'p_below_1']
    """
    bor = Borrowing.parse(borrowing)
    meth = Method.parse(method)
    pri = priors if priors is not None else DRRPriors()
    if not isinstance(pri, DRRPriors):
        raise DesignError(f"priors must be a DRRPriors, got {type(pri).__name__}")
    if isinstance(covariates, str):
        covariates = (covariates,)
    chains = _check_int("num_chains", num_chains, 1)
    warm = _check_int("num_warmup", num_warmup, 1)
    samples = _check_int("num_samples", num_samples, 10)
    n_draws = _check_int("n_draws", n_draws, 100)
    seed = 0 if seed is None else _check_int("seed", seed, 0)
    arrays = platform_arrays(trial, regimen=regimen, covariates=covariates, event_types=event_types)
    r, p = arrays.n_regimens, len(arrays.covariates)
    lay0 = build_layout(r, p, common_drr=common_drr, curvature=curvature, free_log_s=False)
    lap = fit_laplace(arrays, lay0, pri, bor)
    rng = np.random.default_rng(seed)
    problems = list(lap.messages)
    if not lap.hessian_pd:
        problems.append("Hessian not positive definite at the posterior mode")
    if lap.gradient_norm > 1e-3:
        problems.append(f"gradient {lap.gradient_norm:.2g} at the posterior mode")
    slc = lay0.slice("log_drr")
    if meth is Method.LAPLACE:
        layout = lay0
        draws, s_draws = _laplace_draws(lap, n_draws, rng)
        table = {}
        for j, name in enumerate(arrays.regimens):
            k = slc.start + (0 if common_drr else j)
            sds = np.sqrt(np.abs(lap.covariances[:, k, k]))
            ok = np.isfinite(sds) & (sds > 0)
            table[name] = _mixture_summary(lap.modes[ok, k], sds[ok], lap.weights[ok])
        diag = DRRDiagnostics(
            method="laplace",
            parameters=pd.DataFrame(
                {"rhat": np.nan, "ess": np.nan},
                index=lay0.labels(list(arrays.regimens), list(arrays.covariates)),
            ),
            divergences=None,
            max_rhat=np.nan,
            min_ess=np.nan,
            gradient_norm=lap.gradient_norm,
            hessian_pd=lap.hessian_pd,
            problems=tuple(problems),
        )
    else:
        free = bor is Borrowing.HIERARCHICAL
        layout = build_layout(r, p, common_drr=common_drr, curvature=curvature, free_log_s=free)
        g = int(np.argmax(lap.weights))
        start = lap.modes[g]
        cov = lap.covariances[g]
        if not np.isfinite(cov).all():
            cov = np.eye(lay0.size) * 0.01
        if free:
            k = layout.slice("log_s").start
            start = np.insert(start, k, np.log(lap.hypers[g][0]))
            idx = [i for i in range(layout.size) if i != k]
            full = np.zeros((layout.size, layout.size))
            full[np.ix_(idx, idx)] = cov
            full[k, k] = 0.5
            cov = full
        hyper = offset_hyper(bor, pri)
        chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(cov)))
        init = start + 0.5 * rng.standard_normal((chains, len(start))) @ chol.T
        fit = run_nuts(
            arrays,
            layout,
            pri,
            hyper,
            init,
            seed=seed,
            num_warmup=warm,
            num_samples=samples,
            num_chains=chains,
            target_accept=target_accept or (0.95 if free else 0.8),
            progress=progress,
            inverse_mass=cov,
        )
        draws = fit.draws.reshape(-1, layout.size)
        if free:
            s_draws = np.exp(draws[:, layout.slice("log_s").start])
        else:
            s_draws = np.full(len(draws), hyper[0])
        log_drr = np.broadcast_to(draws[:, layout.slice("log_drr")], (len(draws), r))
        table = {}
        for j, name in enumerate(arrays.regimens):
            summary = _summarise(np.exp(log_drr[:, j]))
            summary["p_below_1"] = float(np.mean(log_drr[:, j] < 0))
            table[name] = summary
        problems = []  # the sampler's diagnostics decide
        max_rhat = float(np.nanmax(fit.rhat)) if chains > 1 else np.nan
        min_ess = float(np.min(fit.ess))
        if chains > 1 and max_rhat > rhat_max:
            problems.append(f"R-hat {max_rhat:.3f} > {rhat_max}")
        if min_ess < ess_min:
            problems.append(f"effective sample size {min_ess:.0f} < {ess_min:g}")
        if fit.divergences:
            problems.append(f"{fit.divergences} divergent transitions")
        diag = DRRDiagnostics(
            method="nuts",
            parameters=pd.DataFrame(
                {"rhat": fit.rhat, "ess": fit.ess},
                index=layout.labels(list(arrays.regimens), list(arrays.covariates)),
            ),
            divergences=fit.divergences,
            max_rhat=max_rhat,
            min_ess=min_ess,
            gradient_norm=lap.gradient_norm,
            hessian_pd=lap.hessian_pd,
            problems=tuple(problems),
        )
    nat = _natural(draws, layout, np.asarray(s_draws, dtype=float))
    drr = pd.DataFrame.from_dict(table, orient="index")[
        ["median", "mean", "ci_low", "ci_high", "p_below_1"]
    ]
    drr.index.name = "regimen"
    converged = not diag.problems
    result = DRRResult(
        drr=drr,
        parameters=_parameter_table(nat, arrays, layout),
        placebo_trajectory=_trajectory(nat, arrays),
        borrowing_weights=_borrowing_weights(nat, arrays, bor),
        diagnostics=diag,
        converged=converged,
        borrowing=bor.value,
        method=meth.value,
        n_subjects=arrays.n,
        draws=np.array(nat["drr"]),
        curves=_curves(nat, arrays),
    )
    if not converged:
        warnings.warn(
            f"fit_drr ({meth.value}, {bor.value}) did not converge: {'; '.join(diag.problems)}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return result

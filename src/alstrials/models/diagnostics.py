"""Checks shared by the model fits: designs that cannot be estimated, and fits that should not be
trusted.

Errors (raised before fitting, :class:`~alstrials.errors.DataValidationError`):

* :func:`check_full_rank` - a design matrix whose columns are linearly dependent, or so nearly so
  that the normal equations lose all precision: with every column scaled to unit length, a
  singular value below ``sqrt(eps)`` times the largest (condition number above ~6.7e7, so
  ``X'X`` has one above ``1/eps``) counts as zero. The message names the columns involved.
* :func:`check_residual_variation` - an outcome fitted exactly by the fixed effects and each
  subject's own random-effects terms (residual variance 0): the residual sum of squares of that
  fixed-effects regression is at most ``eps * y'y``, i.e. rounding level.

Problems (returned as short strings; the fit then reports ``converged=False``, lists them in
``problems`` and its summary, and warns with :class:`~alstrials.errors.ConvergenceWarning`):

* :func:`information_problems` - the observed information (negative Hessian) is not positive
  definite: its smallest eigenvalue is at most ``sqrt(eps)`` times the largest.
* :func:`monotone_directions` - separation / monotone likelihood: moving a coefficient further
  from zero by ``n_se`` standard errors (default 5) lowers the log-likelihood by less than
  ``drop`` (default 0.5). At a regular maximum the loss is about ``n_se^2 / 2 = 12.5``; when the
  maximum is at infinity (a covariate that separates events, a single event, all events in one
  arm) the log-likelihood keeps rising or is flat, and the estimate only stopped where the
  optimiser did. When the SE is so large that the moved likelihood overflows, the step is
  halved until it is finite and the allowed loss shrinks with the square of the step (a
  quadratic likelihood loses ``(k/n_se)^2`` times as much at ``k`` SEs). The same rule serves
  :func:`~alstrials.models.survival.fit_cox` and :func:`~alstrials.models.joint.fit_joint`.
* :func:`unidentified_variance` - no within-subject residual degrees of freedom: the random
  effects and the residual variance are not separately identified (e.g. one observation per
  subject with a random intercept; only their sum is).

References
----------
Heinze G, Schemper M (2001). A solution to the problem of monotone likelihood in Cox regression.
Biometrics 57:114-119.
Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using lme4.
Journal of Statistical Software 67(1) (the check of observations against random effects).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from alstrials.errors import ConvergenceWarning, DataValidationError

__all__ = [
    "check_full_rank",
    "check_residual_variation",
    "within_residual",
    "information_problems",
    "monotone_directions",
    "unidentified_variance",
    "warn_problems",
    "annotate_summary",
]

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_EPS = float(np.finfo(float).eps)


def check_full_rank(x: np.ndarray, names: Sequence[str], *, what: str, hint: str) -> None:
    """Raise :class:`DataValidationError` when the columns of ``x`` are (nearly) collinear.

    Parameters
    ----------
    x : ndarray, shape (n, p)
        The design matrix.
    names : sequence of str
        Column names, for the message.
    what : str
        What the matrix is ("the fixed-effects design of 'y ~ x'").
    hint : str
        What the user should change.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.column_stack([np.ones(4), np.arange(4.0), 2 * np.arange(4.0)])
    >>> check_full_rank(x, ["a", "b", "c"], what="design", hint="drop one")
    Traceback (most recent call last):
    ...
    alstrials.errors.DataValidationError: design is rank deficient ...
    """
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    if p == 0:
        return
    if n < p:
        raise DataValidationError(
            f"{what} has {p} columns but only {n} rows; it cannot be estimated. {hint}"
        )
    norms = np.sqrt(np.einsum("ij,ij->j", x, x))
    zero = ~(norms > 0)
    xs = x / np.where(zero, 1.0, norms)
    _, s, vt = np.linalg.svd(xs, full_matrices=False)
    small = s <= _SQRT_EPS * float(s.max(initial=0.0))
    if not small.any() and not zero.any():
        return
    weight = np.max(np.abs(vt[small]), axis=0) if small.any() else np.zeros(p)
    involved = [str(nm) for nm, w, z in zip(names, weight, zero, strict=True) if w > 1e-6 or z]
    rank = int(np.sum(~small))
    cond = float(s.max() / s.min()) if s.min() > 0 else float("inf")
    raise DataValidationError(
        f"{what} is rank deficient or nearly so (rank {rank} < {p} columns, condition number "
        f"{cond:.3g} with unit-length columns): these columns are (nearly) linearly dependent "
        f"or constant: {involved}. {hint}"
    )


def within_residual(
    y: np.ndarray, x: np.ndarray, z: np.ndarray, groups: np.ndarray
) -> tuple[float, int]:
    """Residual sum of squares and residual df of ``y`` on ``x`` plus per-group ``z`` terms.

    The fixed-effects version of a mixed model (every subject's random-effects terms as its own
    free coefficients): ``y`` and ``x`` are projected off each group's ``z`` columns, then ``y`` is
    regressed on ``x``. Returns ``(rss, n - sum_i rank(z_i) - rank(x_within))``. Vectorised over
    groups (batched ``q x q`` eigen-decompositions of ``z_i'z_i``).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    z = np.asarray(z, dtype=float)
    q = z.shape[1]
    codes = np.unique(groups, return_inverse=True)[1].ravel()
    used = 0
    ry, rx = y, x
    if q:
        ng = int(codes.max()) + 1 if codes.size else 0
        ztz = np.zeros((ng, q, q))
        np.add.at(ztz, codes, z[:, :, None] * z[:, None, :])
        w, v = np.linalg.eigh(ztz)
        keep = w > _SQRT_EPS * np.max(np.abs(w), axis=1, initial=0.0)[:, None]
        used = int(keep.sum())
        inv_w = np.where(keep, 1.0 / np.where(keep, w, 1.0), 0.0)
        pinv = np.einsum("gij,gj,gkj->gik", v, inv_w, v)  # (z_i'z_i)^+
        zty = np.zeros((ng, q))
        np.add.at(zty, codes, z * y[:, None])
        ztx = np.zeros((ng, q, x.shape[1]))
        np.add.at(ztx, codes, z[:, :, None] * x[:, None, :])
        cy = np.einsum("gij,gj->gi", pinv, zty)
        cx = np.einsum("gij,gjk->gik", pinv, ztx)
        ry = y - np.einsum("nq,nq->n", z, cy[codes])
        rx = x - np.einsum("nq,nqk->nk", z, cx[codes])
    rank_x = 0
    if rx.shape[1]:
        u, s, _ = np.linalg.svd(rx, full_matrices=False)
        scale = max(float(s.max(initial=0.0)), float(np.sqrt(np.einsum("ij,ij->", x, x))))
        keep_x = s > _SQRT_EPS * scale
        ux = u[:, keep_x]
        rank_x = int(keep_x.sum())
        ry = ry - ux @ (ux.T @ ry)
    return float(ry @ ry), int(y.size - used - rank_x)


def check_residual_variation(
    y: np.ndarray, x: np.ndarray, z: np.ndarray, groups: np.ndarray, *, what: str
) -> int:
    """Raise :class:`DataValidationError` when ``y`` is fitted exactly (residual variance 0).

    Returns the within-subject residual degrees of freedom (see :func:`within_residual`) for
    :func:`unidentified_variance`.
    """
    rss, df = within_residual(y, x, z, groups)
    yty = float(np.dot(y, y))
    if df > 0 and rss <= _EPS * yty:
        raise DataValidationError(
            f"{what}: the outcome is fitted exactly by the fixed effects and each subject's "
            f"random-effects terms (residual sum of squares {rss:.3g}, rounding level), so the "
            "residual variance is 0 and the likelihood has no maximum. Check that the outcome "
            "is not computed from the covariates (e.g. a simulated mean without noise), or fit "
            "fewer terms."
        )
    return df


def unidentified_variance(df_within: int, what: str) -> list[str]:
    """The problem string when there are no within-subject residual degrees of freedom."""
    if df_within > 0:
        return []
    return [
        f"{what}: the random effects and the residual variance are not separately identified "
        "(no within-subject residual degrees of freedom, e.g. one observation per subject "
        "with a random intercept: only their sum is estimable); drop the random effects or "
        "use data with repeated measurements"
    ]


def information_problems(information: np.ndarray, what: str = "observed information") -> list[str]:
    """A problem string when ``information`` is not finite and positive definite."""
    info = np.asarray(information, dtype=float)
    if info.size == 0:
        return []
    if not np.all(np.isfinite(info)):
        return [f"the {what} matrix is not finite; standard errors are unavailable"]
    eig = np.linalg.eigvalsh(0.5 * (info + info.T))
    if eig.min() <= _SQRT_EPS * max(float(np.abs(eig).max()), 1e-300):
        return [
            f"the {what} matrix is not positive definite (eigenvalues {eig.min():.3g} to "
            f"{eig.max():.3g}): some parameters are not identified by the data"
        ]
    return []


def monotone_directions(
    loglik: Callable[[np.ndarray], float],
    theta: np.ndarray,
    se: np.ndarray,
    index: Sequence[int],
    names: Sequence[str],
    *,
    n_se: float = 5.0,
    drop: float = 0.5,
    at_theta: float | None = None,
) -> list[str]:
    """Coefficients along which the log-likelihood does not fall: separation / monotone
    likelihood (see the module docstring).

    Parameters
    ----------
    loglik : callable
        Log-likelihood of the full parameter vector.
    theta : ndarray
        The estimate.
    se : ndarray
        Standard errors of the coefficients in ``index`` (same order); a non-finite or zero SE
        uses a step of ``n_se * max(1, |theta_j|)``.
    index : sequence of int
        Positions in ``theta`` of the coefficients to check.
    names : sequence of str
        Their names, for the messages.
    at_theta : float, optional
        ``loglik(theta)`` when the caller has it already (saves one evaluation).

    Returns
    -------
    list of str
        One problem string per coefficient whose likelihood is monotone.
    """
    theta = np.asarray(theta, dtype=float)
    with np.errstate(all="ignore"):
        base = float(loglik(theta)) if at_theta is None else float(at_theta)
    if not np.isfinite(base):
        return []
    out = []
    for j, s, name in zip(index, se, names, strict=True):
        est = float(theta[j])
        step = float(s) if np.isfinite(s) and s > 0 else max(1.0, abs(est))
        # a step so large that the likelihood overflows is halved until it is finite; the
        # drop allowed shrinks with the step as a quadratic likelihood's would
        k = n_se
        for _ in range(60):
            moved = theta.copy()
            moved[j] = est + (1.0 if est >= 0 else -1.0) * k * step
            with np.errstate(all="ignore"):
                value = float(loglik(moved))
            if np.isfinite(value):
                break
            k /= 2
        if np.isfinite(value) and value >= base - drop * (k / n_se) ** 2:
            out.append(
                f"monotone likelihood for {name!r} (estimate {est:.3g}, SE {float(s):.3g}): the "
                "likelihood keeps rising as the coefficient moves away from 0, so its true "
                "estimate is infinite (a covariate that separates events, too few events, or all "
                "events in one group)"
            )
    return out


def warn_problems(fit_name: str, problems: Sequence[str], stacklevel: int = 3) -> None:
    """One :class:`ConvergenceWarning` listing ``problems`` (nothing when there are none)."""
    if problems:
        warnings.warn(
            f"{fit_name} did not converge to a usable estimate: " + "; ".join(problems),
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def annotate_summary(
    frame: pd.DataFrame, converged: bool, problems: Sequence[str], message: str = ""
) -> pd.DataFrame:
    """``frame`` with a ``note`` column saying "not converged" when the fit is not usable, and
    the problems (or the optimiser's message) in ``frame.attrs["problems"]``."""
    out = frame.copy()
    if not converged or problems:
        out["note"] = "not converged"
        out.attrs["problems"] = tuple(problems) or ((message,) if message else ())
    return out

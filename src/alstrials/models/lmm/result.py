"""The fitted linear mixed model: :class:`LMMResult`.

A result is built once by :func:`alstrials.models.lmm.fit_lmm` and never changed. It holds the
fixed-effects table, the random-effects covariance ``G = sigma^2 Lambda Lambda'``, the residual
variance ``sigma^2``, the likelihood criterion as fitted (lme4's convention: for a REML fit
``loglik`` is the maximised REML log-likelihood, for an ML fit the maximised log-likelihood), the
BLUPs ``b_i = G Z_i' Sigma_i^{-1}(y_i - X_i beta)`` with their conditional covariances
``sigma^2 Lambda M_i^{-1} Lambda'`` (lme4's ``condVar``, which ignores the uncertainty in
``beta``), and what is needed to predict on new data and to test contrasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin, convergence_note
from alstrials.errors import DataValidationError
from alstrials.models.kenward_roger import KRParts
from alstrials.models.lmm.inference import SatterthwaiteParts, contrast_matrix, wald_table

__all__ = ["LMMResult"]


@dataclass(frozen=True, eq=False, repr=False)
class LMMResult(ResultMixin):
    """A fitted Gaussian linear mixed model.

    Attributes
    ----------
    fixed : pandas.DataFrame
        Indexed by formulaic's term names; columns ``estimate se z p ci_low ci_high`` (Wald) or
        ``estimate se df t p ci_low ci_high`` (``df_method="satterthwaite"`` or
        ``"kenward-roger"``; under Kenward-Roger ``se`` is the adjusted standard error).
    vcov : pandas.DataFrame
        ``sigma^2 (sum_i X_i'V_i^{-1}X_i)^{-1}`` at the estimates.
    random_cov, random_corr : pandas.DataFrame
        Covariance and correlation matrices of the random effects, labelled by random terms.
    residual_var : float
        ``sigma^2``.
    loglik, aic, bic : float
        Criterion as fitted (REML or ML log-likelihood); AIC/BIC count ``p + len(theta) + 1``
        parameters, as lme4 does.
    theta : numpy.ndarray
        Relative Cholesky factor entries (lme4's ``theta``).
    grad_norm : float
        Largest absolute projected gradient component of the deviance at the optimum.
    converged, boundary : bool
        Whether the optimiser met its criterion and no problem was found; whether a
        random-effect variance is at 0 (a valid estimate on the boundary, not a problem).
    problems : tuple of str
        Why the estimate is not usable (e.g. variance components not identified); empty for a
        good fit.
    blups : pandas.DataFrame
        One row per subject, one column per random term.
    blup_cov : numpy.ndarray
        Conditional covariance of each subject's random effects, shape ``(n_subjects, q, q)``.
    fitted : pandas.Series
        Conditional fitted values ``X beta + Z b``, indexed like the rows of ``data`` used.
    data : pandas.DataFrame
        The model variables of the rows used in the fit.
    """

    formula: str
    random: str
    group: str
    outcome: str
    reml: bool
    df_method: str
    fixed: pd.DataFrame
    vcov: pd.DataFrame
    random_cov: pd.DataFrame
    random_corr: pd.DataFrame
    residual_var: float
    loglik: float
    aic: float
    bic: float
    theta: np.ndarray
    grad_norm: float
    n_iter: int
    converged: bool
    boundary: bool
    message: str
    problems: tuple[str, ...]
    n_subjects: int
    n_obs: int
    n_dropped: int
    blups: pd.DataFrame
    blup_cov: np.ndarray
    fitted: pd.Series
    data: pd.DataFrame
    fixed_spec: Any
    random_spec: Any
    satterthwaite: SatterthwaiteParts | None
    kenward_roger: KRParts | None = None
    level: float = 0.95

    @property
    def vcov_adjusted(self) -> pd.DataFrame | None:
        """Kenward-Roger adjusted covariance of the fixed effects (``"kenward-roger"`` fits)."""
        if self.kenward_roger is None:
            return None
        return pd.DataFrame(
            self.kenward_roger.vcov_adj, index=self.vcov.index, columns=self.vcov.columns
        )

    @property
    def beta(self) -> np.ndarray:
        """Fixed-effects estimates as an array, in the order of :attr:`fixed`."""
        return self.fixed["estimate"].to_numpy()

    @property
    def residuals(self) -> pd.Series:
        """Conditional residuals ``y - X beta - Z b``."""
        return (
            self.data[self.outcome] - self.fitted
            if self.outcome in self.data
            else (pd.Series(np.nan, index=self.fitted.index))
        )

    def __repr__(self) -> str:
        crit = "REML" if self.reml else "ML"
        flags = convergence_note(
            self.converged, f"gradient norm {self.grad_norm:.2g}", self.problems
        )
        if self.boundary:
            flags += ", boundary (a random-effect variance is 0)"
        return (
            f"LMMResult({crit} fit of {self.formula!r}, random {self.random!r} by "
            f"{self.group!r}: {self.n_subjects} subjects, {self.n_obs} observations"
            f"{f', {self.n_dropped} rows dropped' if self.n_dropped else ''}; {flags})"
        )

    def summary(self) -> pd.DataFrame:
        """Fixed effects, then variance components and residual variance (estimate only)."""
        names = list(self.random_cov.columns)
        rows = []
        for j, a in enumerate(names):
            for b in names[j:]:
                label = f"var({a})" if a == b else f"cov({a}, {b})"
                rows.append((f"{label} | {self.group}", float(self.random_cov.loc[a, b])))
        rows.append(("residual variance", self.residual_var))
        extra = pd.DataFrame({"estimate": [v for _, v in rows]}, index=[k for k, _ in rows])
        out = pd.concat([self.fixed, extra])
        out.index.name = "term"
        note = "" if self.converged else "not converged"
        out["note"] = note
        if self.problems:
            out.attrs["problems"] = self.problems
        if self.boundary:
            for a in names:
                if self.random_cov.loc[a, a] <= 1e-10 * max(self.residual_var, 1e-300):
                    out.loc[f"var({a}) | {self.group}", "note"] = "boundary (0)"
        return out

    def contrast(
        self,
        L: Mapping[str, float]
        | Mapping[str, Mapping[str, float]]
        | np.ndarray
        | pd.DataFrame
        | list[float],
        *,
        level: float | None = None,
    ) -> pd.DataFrame:
        """Estimate, SE, test and confidence interval of linear combinations ``L beta``.

        Parameters
        ----------
        L : dict, array-like or DataFrame
            ``{term: weight}`` for one contrast, ``{label: {term: weight}}`` for several, a row
            vector of length ``p`` or an ``(r, p)`` matrix in the order of :attr:`fixed`, or a
            DataFrame with terms as columns.
        level : float, optional
            Confidence level of the interval (default: the fit's ``level``).

        Returns
        -------
        pandas.DataFrame
            One row per contrast; columns as in :attr:`fixed` (Satterthwaite or Kenward-Roger
            df and t when the model was fitted with that ``df_method``).

        Examples
        --------
        >>> import alstrials.models.lmm as lmm
        >>> res = lmm.fit_lmm(lmm.example_data(), "y ~ months * arm", "subject_id", "~months")
        >>> res.contrast({"arm[T.placebo]": 1, "months:arm[T.placebo]": 12}).shape
        (1, 6)
        """
        mat, labels = contrast_matrix(L, list(self.fixed.index))
        return wald_table(
            mat,
            labels,
            self.beta,
            self.vcov.to_numpy(),
            level=self.level if level is None else level,
            satterthwaite=self.satterthwaite,
            kenward_roger=self.kenward_roger,
            kr_failed=self.df_method == "kenward-roger" and self.kenward_roger is None,
        )

    def predict(self, newdata: pd.DataFrame, include_random: bool = True) -> pd.Series:
        """Predicted mean for the rows of ``newdata``.

        Parameters
        ----------
        newdata : pandas.DataFrame
            Must hold the covariates of the fixed (and, with ``include_random``, the random)
            formula and the group column when ``include_random`` is True.
        include_random : bool
            Add each subject's BLUP contribution ``Z b_i``; subjects not in the fit get
            ``b = 0`` (the population prediction).

        Returns
        -------
        pandas.Series
            Indexed like ``newdata``; NaN where a covariate is missing.
        """
        if not isinstance(newdata, pd.DataFrame):
            raise DataValidationError("newdata must be a pandas DataFrame.")
        X = self._matrix(self.fixed_spec, newdata)
        pred = X @ self.beta
        if include_random:
            if self.group not in newdata.columns:
                raise DataValidationError(
                    f"newdata has no group column {self.group!r}; add it or use "
                    "include_random=False for population predictions."
                )
            Z = self._matrix(self.random_spec, newdata)
            b = self.blups.reindex(newdata[self.group].to_numpy()).fillna(0.0).to_numpy()
            pred = pred + np.einsum("nq,nq->n", Z, b)
        return pd.Series(pred, index=newdata.index, name="predicted")

    @staticmethod
    def _matrix(spec: Any, newdata: pd.DataFrame) -> np.ndarray:
        try:
            frame = newdata.copy()
            for col in frame.columns:
                s = frame[col]
                if (
                    isinstance(s.dtype, pd.api.extensions.ExtensionDtype)
                    and pd.api.types.is_numeric_dtype(s.dtype)
                    and not pd.api.types.is_bool_dtype(s.dtype)
                ):
                    frame[col] = s.to_numpy(dtype=float, na_value=np.nan)
            mm = spec.get_model_matrix(frame, na_action="ignore")
        except Exception as exc:
            raise DataValidationError(
                f"could not build the model matrix for newdata: {exc}. newdata needs the "
                "columns used by the model formulas."
            ) from exc
        return np.asarray(mm, dtype=float)

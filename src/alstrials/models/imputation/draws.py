r"""The imputation model and draws of its parameters.

The imputation model is the MMRM ``outcome ~ covariates + visit * arm`` with one within-subject
covariance :math:`\Sigma(\theta)` (:func:`alstrials.fit_mmrm`, REML), fitted to the outcomes
observed before each subject's ICE (all observed outcomes for MAR subjects).

``method="approx-bayes"`` (default): draws from the large-sample posterior of the MMRM under
flat priors. The REML likelihood of :math:`\theta` is the marginal likelihood of the
covariance parameters with :math:`\beta` integrated out under a flat prior (Harville 1974),
and given :math:`\theta` the posterior of :math:`\beta` is exactly
:math:`N(\hat\beta(\theta), A(\theta)^{-1})`, :math:`A = \sum_i X_i^\top\Sigma_{S_i}^{-1}X_i`.
So each draw takes

.. math::

    \theta^* \sim N(\hat\theta, H^{-1}), \qquad
    \beta^* \mid \theta^* \sim N(\hat\beta(\theta^*), A(\theta^*)^{-1}),

with :math:`H` the observed REML information of :math:`\theta` on the unconstrained scale of
:mod:`alstrials.models.covstruct` (log-Cholesky for the unstructured matrix, so every draw is
positive definite). The normal approximation is the only approximation; it costs one MMRM fit
and one Hessian whatever the number of imputations (Carpenter et al. 2013 draw the same
posterior by MCMC).

``method="bootstrap"``: each draw refits the MMRM to a bootstrap sample of subjects
(resampled within arm) and takes its REML estimates (the "approximate Bayesian" bootstrap of
Little and Rubin 2002, section 10.2.3, rbmi's ``method_approxbayes``). Proper for Rubin's rules
too, but it costs one fit per imputation.

References
----------
Harville DA. Bayesian inference for variance components using only error contrasts.
Biometrika 1974;61:383-5.
Little RJA, Rubin DB. Statistical Analysis with Missing Data, 2nd ed. Wiley 2002.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from alstrials.errors import ConvergenceError, ConvergenceWarning, DataValidationError
from alstrials.models.covstruct import CovarianceStructure, CovStruct, parse_covariance
from alstrials.models.mmrm import MMRMResult, fit_mmrm
from alstrials.models.mmrm.design import _build_design, _Design, _prepare_frame
from alstrials.models.mmrm.inference import _information
from alstrials.models.mmrm.likelihood import _Objective, _patterns

__all__ = ["DrawMethod", "ImputationModel", "fit_imputation_model"]


class DrawMethod(StrEnum):
    """How the MMRM parameters are drawn (module docstring)."""

    APPROX_BAYES = "approx-bayes"
    BOOTSTRAP = "bootstrap"


def parse_method(value: object) -> DrawMethod:
    try:
        return DrawMethod(str(value).lower())
    except ValueError:
        raise DataValidationError(
            f"method={value!r}: use 'approx-bayes' (normal approximation of the posterior, one "
            "fit) or 'bootstrap' (one MMRM fit per imputation)"
        ) from None


@dataclass(frozen=True)
class ImputationModel:
    """The fitted imputation MMRM with what the draws need."""

    fit: MMRMResult
    names: tuple[str, ...]  # fixed-effect names, design order
    theta: np.ndarray
    theta_chol: np.ndarray | None  # Cholesky factor of H^{-1} (approx-bayes)
    cov: CovStruct
    objective: _Objective
    centre: float  # outcome centring of the design (added back to the intercept)
    frame: pd.DataFrame  # the rows the model was fitted to
    columns: tuple[str, str, str, str, tuple[str, ...]]  # outcome, visit, group, arm, covariates
    reference: object

    def draw(self, rng: np.random.Generator, method: DrawMethod) -> tuple[np.ndarray, np.ndarray]:
        """One draw ``(beta, Sigma)``; ``beta`` in the design's order, uncentred intercept."""
        if method is DrawMethod.APPROX_BAYES:
            if self.theta_chol is None:
                raise ValueError("this imputation model was prepared for bootstrap draws")
            theta = self.theta + self.theta_chol @ rng.standard_normal(self.theta.size)
            parts = self.objective.pieces(theta)
            z = rng.standard_normal(parts.beta.size)
            # A = L L' => A^{-1} = L^{-T} L^{-1}; L^{-T} z has covariance A^{-1}
            beta = parts.beta + linalg.solve_triangular(parts.a_factor[0], z, lower=True, trans="T")
            beta[0] += self.centre
            return beta, parts.sigma
        return self._bootstrap(rng)

    def _design(self, frame: pd.DataFrame) -> _Design:
        outcome, visit, group, arm, covariates = self.columns
        return _build_design(frame, outcome, visit, group, arm, covariates, self.reference)

    def _bootstrap(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        outcome, visit, group, arm, covariates = self.columns
        subj = self.frame.groupby(group, sort=False)[arm].first()
        picks = []
        for level in pd.unique(subj):
            ids = subj.index[(subj == level).to_numpy()].to_numpy()
            picks.append(rng.choice(ids, size=ids.size, replace=True))
        chosen = np.concatenate(picks)
        by_subject = {k: g for k, g in self.frame.groupby(group, sort=False)}
        parts = []
        for j, s in enumerate(chosen):
            block = by_subject[s].copy()
            block[group] = j
            parts.append(block)
        sample = pd.concat(parts, ignore_index=True)
        try:
            design = self._design(sample)
        except DataValidationError as err:
            raise ConvergenceError(
                f"a bootstrap sample cannot be fitted ({err}); use method='approx-bayes' or "
                "merge sparse visits"
            ) from err
        objective = _Objective(_patterns(design), self.cov, True, design.y.size)
        res = optimize.minimize(
            objective.value_grad,
            self.theta,
            jac=True,
            method="BFGS",
            options={"maxiter": 500, "gtol": 1e-6},
        )
        parts_fit = objective.pieces(res.x)
        beta = parts_fit.beta.copy()
        beta[0] += design.centre
        _, grad = objective.value_grad(res.x)
        if not (np.isfinite(res.fun) and grad.size and np.max(np.abs(grad)) < 1e-3):
            warnings.warn(
                f"a bootstrap refit of the imputation MMRM stopped early ({res.message}); its "
                "estimates are used as they are",
                ConvergenceWarning,
                stacklevel=4,
            )
        return beta, parts_fit.sigma


def fit_imputation_model(
    frame: pd.DataFrame,
    outcome: str,
    visit: str,
    group: str,
    arm: str,
    covariates: tuple[str, ...],
    covariance: str,
    reference: object,
    method: DrawMethod,
) -> ImputationModel:
    """Fit the imputation MMRM (REML) and prepare its draws (module docstring)."""
    fit = fit_mmrm(
        frame,
        outcome,
        visit,
        group,
        arm,
        covariates,
        covariance,
        True,
        arm_reference=reference,
    )
    if not fit.converged:
        raise ConvergenceError(
            f"the imputation MMRM did not converge ({fit.message or '; '.join(fit.problems)}); "
            "multiple imputation needs a usable imputation model: try covariance='ar1' or 'cs', "
            "or merge sparse visits"
        )
    prepared, _ = _prepare_frame(frame, outcome, visit, group, arm, covariates)
    design = _build_design(prepared, outcome, visit, group, arm, covariates, reference)
    cov = CovStruct(parse_covariance(covariance), design.n_visits)
    objective = _Objective(_patterns(design), cov, True, design.y.size)
    theta = cov.start(fit.covariance.to_numpy())  # exact inverse for the unstructured matrix
    if cov.kind is not CovarianceStructure.UNSTRUCTURED:  # a moment start: polish it
        theta = optimize.minimize(
            objective.value_grad,
            theta,
            jac=True,
            method="BFGS",
            options={"maxiter": 500, "gtol": 1e-7},
        ).x
    chol = None
    if method is DrawMethod.APPROX_BAYES:
        info = _information(objective, theta)
        try:
            chol = np.linalg.cholesky(np.linalg.inv(info))
            if not np.all(np.isfinite(chol)):
                raise np.linalg.LinAlgError("non-finite")
        except np.linalg.LinAlgError:
            raise ConvergenceError(
                "the information matrix of the imputation MMRM's covariance parameters is not "
                "positive definite (a boundary fit), so its posterior cannot be approximated; "
                "use method='bootstrap' or a simpler covariance structure"
            ) from None
    return ImputationModel(
        fit=fit,
        names=tuple(str(n) for n in design.names),
        theta=theta,
        theta_chol=chol,
        cov=cov,
        objective=objective,
        centre=design.centre,
        frame=prepared,
        columns=(outcome, visit, group, arm, covariates),
        reference=reference,
    )

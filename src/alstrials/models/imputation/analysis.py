r"""Analyses of a completed (imputed) data set: the treatment effect at each analysed visit.

``"ancova"`` (default; Carpenter et al. 2013, rbmi's ``ancova``): at each analysed visit
:math:`v`, ordinary least squares of :math:`y_{iv} = \alpha_v + \sum_a \delta_{a,v}
1[\text{arm}_i = a] + \gamma_v^\top z_i + e_{iv}` over all subjects (:math:`z_i` the baseline
covariates, coded as in the MMRM), with the model-based variance
:math:`\hat\sigma_v^2 (Z^\top Z)^{-1}` and complete-data df :math:`n - p`. One matrix solve
serves every visit and imputation.

``"mmrm"``: :func:`alstrials.fit_mmrm` of the completed data (same mean model and covariance as
the imputation model), the arm effect at the visit with the residual df. One fit per
imputation: slower.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError
from alstrials.models.diagnostics import check_full_rank
from alstrials.models.mmrm import fit_mmrm

__all__ = ["Analysis", "AncovaDesign", "mmrm_effects"]


class Analysis(StrEnum):
    """Completed-data analysis (module docstring)."""

    ANCOVA = "ancova"
    MMRM = "mmrm"


def parse_analysis(value: object) -> Analysis:
    try:
        return Analysis(str(value).lower())
    except ValueError:
        raise DataValidationError(
            f"analysis={value!r}: use 'ancova' (at each analysed visit) or 'mmrm' (the MMRM "
            "arm effect on each completed data set)"
        ) from None


class AncovaDesign:
    """``y ~ 1 + covariates + arm`` at every visit, for one fixed set of subjects."""

    def __init__(
        self, arm: np.ndarray, covariates: np.ndarray, reference: object, arms: tuple
    ) -> None:
        self.others = [a for a in arms if a != reference]
        dummies = [(arm == a).astype(float) for a in self.others]
        z = np.column_stack([np.ones(arm.size), covariates, *dummies])
        names = ["Intercept", *[f"z{j}" for j in range(covariates.shape[1])], *self.others]
        check_full_rank(
            z,
            [str(n) for n in names],
            what="the completed-data ANCOVA design",
            hint="a covariate is constant or collinear with the arm; drop it",
        )
        self.z = z
        self.df = arm.size - z.shape[1]
        if self.df <= 0:
            raise DataValidationError(
                f"{arm.size} subjects cannot estimate an ANCOVA with {z.shape[1]} coefficients"
            )
        self.zz_inv = np.linalg.inv(z.T @ z)
        self.arm_cols = np.arange(z.shape[1] - len(self.others), z.shape[1])

    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Arm effects and their variances: ``(k arms, T visits)`` arrays for ``y`` (n, T)."""
        coef = self.zz_inv @ (self.z.T @ y)
        resid = y - self.z @ coef
        s2 = np.sum(resid**2, axis=0) / self.df
        var = np.diag(self.zz_inv)[self.arm_cols][:, None] * s2[None, :]
        return coef[self.arm_cols], var


def mmrm_effects(
    frame: pd.DataFrame,
    names: tuple[str, str, str, str],
    covariates: tuple[str, ...],
    covariance: str,
    reference: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MMRM arm effects of one completed frame: estimates, variances and df, each ``(k, T)``."""
    outcome, visit, group, arm = names
    fit = fit_mmrm(
        frame, outcome, visit, group, arm, covariates, covariance, True, arm_reference=reference
    )
    eff = fit.effects
    n_vis = len(fit.visits)
    k = len(eff) // n_vis
    est = eff["estimate"].to_numpy().reshape(k, n_vis)
    var = (eff["se"].to_numpy() ** 2).reshape(k, n_vis)
    df = eff["df"].to_numpy().reshape(k, n_vis)
    return est, var, df

"""``biomarker_tracking``: does an MRI biomarker track ALSFRS-R in a :class:`TrialData`?

Takes a biomarker column of the ``mri`` table and a function column of the ``alsfrs`` table,
stacks them at their own times (optionally with the subjects' arms) and fits
:func:`~alstrials.models.bivariate.fit.fit_bivariate_lmm`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from alstrials.errors import DataValidationError
from alstrials.models.bivariate.fit import fit_bivariate_lmm
from alstrials.models.bivariate.result import BivariateResult

if TYPE_CHECKING:
    from alstrials.data.schema import TrialData

__all__ = ["biomarker_tracking"]


def biomarker_tracking(
    trial: TrialData,
    biomarker: str = "cord_csa_mm2",
    *,
    function: str = "alsfrs_total",
    by_arm: bool = False,
    reml: bool = True,
    level: float = 0.95,
) -> BivariateResult:
    """Does an MRI biomarker track ALSFRS-R? Fit the bivariate LMM to a :class:`TrialData`.

    Stacks ``trial.mri[biomarker]`` and ``trial.alsfrs[function]`` (each at its own times, in
    months since baseline) and calls :func:`fit_bivariate_lmm`.

    Parameters
    ----------
    trial : TrialData
        The trial (its ``mri`` and ``alsfrs`` tables).
    biomarker : str, default "cord_csa_mm2"
        MRI column: ``"cst_fa"``, ``"precentral_thickness_mm"`` or ``"cord_csa_mm2"``.
    function : str, default "alsfrs_total"
        ALSFRS-R column (the total, or an item).
    by_arm : bool, default False
        Add arm effects on intercept and slope of both outcomes (reference: the trial's first
        declared arm).
    reml : bool, default True
        REML (True) or maximum likelihood.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    BivariateResult
        See :func:`fit_bivariate_lmm`; ``slope_correlation`` answers the question.

    References
    ----------
    Fieuws and Verbeke (2004), *Statistics in Medicine* 23, 3093-3104.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import alstrials as at
    >>> rng = np.random.default_rng(5)
    >>> ids = [f"s{i}" for i in range(30)]
    >>> subjects = pd.DataFrame({"subject_id": ids, "arm": ["placebo", "active"] * 15,
    ...     "age": 60.0, "sex": "F", "onset_site": "spinal", "onset_to_baseline_months": 12.0,
    ...     "delta_fs": 0.5, "enrollment_month": 0.0})
    >>> slope, level = rng.normal(-1.0, 0.4, (2, 30)), rng.normal(0.0, 3.0, (2, 30))
    >>> alsfrs = pd.DataFrame([{"subject_id": s, "months": m,
    ...     "alsfrs_total": round(38 + level[0, i] + slope[0, i] * m + rng.normal(0, 1))}
    ...     for i, s in enumerate(ids) for m in (0.0, 3.0, 6.0, 9.0)])
    >>> for item in at.data.schema.ALSFRS_ITEMS:
    ...     alsfrs[item] = pd.NA
    >>> alsfrs["gastrostomy"] = False
    >>> mri = pd.DataFrame([{"subject_id": s, "months": m + 0.4,
    ...     "cord_csa_mm2": 70 + level[1, i] + (slope[0, i] + slope[1, i]) * m / 4
    ...     + rng.normal(0, 0.8), "cst_fa": 0.5,
    ...     "precentral_thickness_mm": 2.5, "cst_flair_hyperintensity": False,
    ...     "motor_cortex_swi_hypointensity": False, "composite_sign": False}
    ...     for i, s in enumerate(ids) for m in (0.0, 4.0, 8.0)])
    >>> trial = at.TrialData.from_frames(subjects, alsfrs, mri)
    >>> fit = biomarker_tracking(trial)
    >>> fit.n_subjects, fit.n_obs
    (30, 210)
    """
    for table, column in (("mri", biomarker), ("alsfrs", function)):
        if column not in trial.table(table).columns:
            raise DataValidationError(
                f"table '{table}' has no column '{column}'; choose one of "
                f"{list(trial.table(table).columns)}",
                table=table,
                column=column,
            )
    mri = trial.mri[["subject_id", "months", biomarker]].copy()
    fun = trial.alsfrs[["subject_id", "months", function]].copy()
    mri[biomarker] = pd.to_numeric(mri[biomarker], errors="coerce").astype(float)
    fun[function] = pd.to_numeric(fun[function], errors="coerce").astype(float)
    mri, fun = mri.dropna(subset=[biomarker]), fun.dropna(subset=[function])
    long = pd.concat([mri, fun], ignore_index=True)
    arm = None
    if by_arm:
        arms = trial.subjects.set_index("subject_id")["arm"]
        long["arm"] = long["subject_id"].map(arms)
        arm = "arm"
    return fit_bivariate_lmm(
        long,
        outcomes=(biomarker, function),
        time="months",
        group="subject_id",
        reml=reml,
        arm=arm,
        arm_reference=trial.arms[0] if by_arm else None,
        level=level,
    )

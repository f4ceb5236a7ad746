"""``impute_reference_based``: reference-based multiple imputation of an MMRM (the steps are
stated in :mod:`alstrials.models.imputation`)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.imputation.analysis import (
    Analysis,
    AncovaDesign,
    mmrm_effects,
    parse_analysis,
)
from alstrials.models.imputation.conditional import MissingPatterns, impute_conditional
from alstrials.models.imputation.data import WideData, prepare_wide, trial_long_frame
from alstrials.models.imputation.draws import DrawMethod, fit_imputation_model, parse_method
from alstrials.models.imputation.result import ReferenceImputationResult
from alstrials.models.imputation.rubin import rubin_rules
from alstrials.models.imputation.strategies import parse_strategy, strategy_means
from alstrials.models.mmrm.design import _arm_reference, _build_design

__all__ = ["impute_reference_based"]

_TRIAL_COLUMNS = ("change", "visit", "subject_id", "arm", ("base",))


def impute_reference_based(
    data: TrialData | pd.DataFrame,
    outcome: str | None = None,
    visit: str | None = None,
    group: str | None = None,
    arm: str | None = None,
    covariates: Sequence[str] | None = None,
    *,
    strategy: str = "J2R",
    reference: object = None,
    intercurrent: pd.DataFrame | str | None = None,
    n_imputations: int = 100,
    method: str = "approx-bayes",
    analysis: str = "ancova",
    analysis_visit: object = None,
    covariance: str = "unstructured",
    level: float = 0.95,
    seed: int | None = None,
    progress: bool | None = None,
) -> ReferenceImputationResult:
    """Reference-based multiple imputation (Carpenter, Roger and Kenward 2013) of an MMRM.

    Fits the MMRM ``outcome ~ covariates + visit * arm`` (unstructured covariance by default) to
    the outcomes observed before each subject's intercurrent event (ICE), draws its parameters,
    imputes every missing outcome from the conditional normal given the subject's observed
    outcomes with the strategy's mean profile, analyses each completed data set and pools the
    analyses by Rubin's rules.

    Parameters
    ----------
    data : TrialData or DataFrame
        A trial (analysed as the change from baseline in ALSFRS-R total at the nominal
        post-baseline visits, adjusted for the baseline total; leave the column arguments
        None), or long data: one row per subject and visit, a missing outcome as NaN or as no
        row.
    outcome, visit, group, arm : str
        Columns of a DataFrame: response, scheduled visit, subject, arm.
    covariates : sequence of str, optional
        Baseline covariates (one value per subject) of the imputation and analysis models.
    strategy : {"J2R", "CR", "CIR", "MAR"}, default "J2R"
        Strategy for subjects with an ICE (:mod:`alstrials.models.imputation.strategies`).
    reference : optional
        The reference arm; default the trial's first arm, else ``"placebo"`` if present, else
        the first sorted level.
    intercurrent : DataFrame or str, optional
        Explicit ICEs: a table with the subject column, ``visit`` (the first visit after the
        ICE) and optionally ``strategy`` (per subject); or the name of a boolean column of
        ``data`` that is True at the visits after the subject's ICE (rows with a missing
        outcome included). Subjects without an explicit ICE are imputed under MAR. Default: a
        subject whose outcome stops before the last visit has an ICE at the visit after the
        last observed one (deaths included).
    n_imputations : int, default 100
    method : {"approx-bayes", "bootstrap"}, default "approx-bayes"
        How the MMRM parameters are drawn (:mod:`alstrials.models.imputation.draws`).
    analysis : {"ancova", "mmrm"}, default "ancova"
        Completed-data analysis (:mod:`alstrials.models.imputation.analysis`).
    analysis_visit : optional
        Visit(s) to report: default the last visit; a visit, a list of visits, or ``"all"``.
    covariance : str, default "unstructured"
        Within-subject covariance of the imputation MMRM.
    level : float, default 0.95
    seed : int, optional
        Seed of the ``numpy.random.SeedSequence``; each imputation gets a spawned child, so
        the result depends on ``seed`` and ``n_imputations`` only. Default: fresh entropy,
        recorded in ``result.seed``.
    progress : bool, optional
        Show a tqdm progress bar (default: when ``n_imputations >= 100`` and stderr is a
        terminal).

    Returns
    -------
    ReferenceImputationResult
        ``.estimate`` (``comparison estimate se df ci_low ci_high p fmi`` per analysed visit),
        ``.imputations``, ``.ice``, ``.imputation_model``.

    Raises
    ------
    DataValidationError
        Missing columns, covariates that change within a subject, an unknown strategy, method,
        analysis, reference arm or visit, or a malformed ``intercurrent`` table.
    ConvergenceError
        The imputation MMRM did not converge, or its covariance information is singular.

    Warns
    -----
    DataWarning
        Outcomes observed after a reference-based ICE were left out of the imputation model
        and imputed.

    References
    ----------
    Carpenter JR, Roger JH, Kenward MG. J Biopharm Stat 2013;23:1352-71.
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987.
    Barnard J, Rubin DB. Biometrika 1999;86:948-55.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> n = 80
    >>> arm = np.repeat(["placebo", "active"], n // 2)
    >>> decline = np.array([1.0, 2, 3]) * (arm == "placebo")[:, None]
    >>> y = rng.normal(0, 1, (n, 3)).cumsum(axis=1) - decline
    >>> y[rng.random(n) < 0.3, 2] = np.nan
    >>> frame = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "visit": np.tile([1, 2, 3], n),
    ...                       "arm": np.repeat(arm, 3), "y": y.ravel()})
    >>> res = impute_reference_based(frame, "y", "visit", "id", "arm", strategy="J2R",
    ...                              n_imputations=10, seed=1)
    >>> res.estimate.columns.tolist()[:4]
    ['comparison', 'estimate', 'se', 'df']
    """
    frame, names, covs, reference = _resolve(
        data, outcome, visit, group, arm, covariates, reference
    )
    default = parse_strategy(strategy)
    draw_method = parse_method(method)
    how = parse_analysis(analysis)
    if isinstance(n_imputations, bool) or not isinstance(n_imputations, int | np.integer):
        raise DataValidationError(f"n_imputations={n_imputations!r} must be an integer >= 2")
    if n_imputations < 2:
        raise DataValidationError(f"n_imputations={n_imputations!r} must be at least 2")
    if not 0.0 < level < 1.0:
        raise DataValidationError(f"level={level!r} must be strictly between 0 and 1, e.g. 0.95")
    outcome_c, visit_c, group_c, arm_c = names
    wide = prepare_wide(frame, outcome_c, visit_c, group_c, arm_c, covs, default, intercurrent)
    reference = _arm_reference(pd.Series(wide.arm), reference, arm_c)
    analysed = _analysed_visits(analysis_visit, wide.visits)
    if wide.n_post_ice_removed:
        warnings.warn(
            f"{wide.n_post_ice_removed} outcome(s) observed at or after a subject's ICE under a "
            "reference-based strategy were left out of the imputation model and imputed; give "
            "those subjects strategy 'MAR' in the intercurrent table to keep them",
            DataWarning,
            stacklevel=2,
        )
    observed = wide.long(wide.y, names)
    present = set(observed[visit_c].astype(object))
    empty = [v for v in wide.visits if v not in present]
    if empty:
        raise DataValidationError(
            f"column '{visit_c}': visit(s) {empty} have no outcome before an ICE; the imputation "
            "model cannot estimate their means; drop those visits",
            column=visit_c,
        )
    model = fit_imputation_model(
        observed, outcome_c, visit_c, group_c, arm_c, covs, covariance, reference, draw_method
    )
    x_own, x_ref, z_cov = _grid_designs(wide, names, covs, reference, model.names)
    arms = tuple(model.fit.arms)
    comparisons = [f"{a} - {reference}" for a in arms[1:]]
    ancova = AncovaDesign(wide.arm, z_cov, reference, arms) if how is Analysis.ANCOVA else None
    patterns = MissingPatterns(np.isfinite(wide.y))

    root = np.random.SeedSequence(seed)
    children = root.spawn(n_imputations)
    show = (n_imputations >= 100 and sys.stderr.isatty()) if progress is None else bool(progress)
    k, t = len(comparisons), wide.n_visits
    est = np.empty((n_imputations, k, t))
    var = np.empty((n_imputations, k, t))
    dfs = np.empty((n_imputations, k, t))
    for m in tqdm(range(n_imputations), desc="imputations", disable=not show, leave=False):
        rng = np.random.default_rng(children[m])
        beta, sigma = model.draw(rng, draw_method)
        mean = strategy_means(x_own @ beta, x_ref @ beta, wide.ice_index, wide.strategy)
        completed = impute_conditional(wide.y, mean, sigma, patterns, rng)
        if ancova is not None:
            est[m], var[m] = ancova.fit(completed)
            dfs[m] = ancova.df
        else:
            est[m], var[m], dfs[m] = mmrm_effects(
                wide.long(completed, names), names, covs, covariance, reference
            )
    return _assemble(
        est,
        var,
        dfs,
        comparisons,
        analysed,
        wide,
        names,
        model,
        default.value,
        reference,
        draw_method,
        how,
        int(root.entropy),  # type: ignore[arg-type]  # an int when seed is an int or None
        level,
    )


def _resolve(
    data: TrialData | pd.DataFrame,
    outcome: str | None,
    visit: str | None,
    group: str | None,
    arm: str | None,
    covariates: Sequence[str] | None,
    reference: object,
) -> tuple[pd.DataFrame, tuple[str, str, str, str], tuple[str, ...], object]:
    if isinstance(data, TrialData):
        given = {
            "outcome": outcome,
            "visit": visit,
            "group": group,
            "arm": arm,
            "covariates": covariates,
        }
        named = [k for k, v in given.items() if v is not None]
        if named:
            raise DataValidationError(
                f"argument(s) {named} apply to a long DataFrame; a TrialData is analysed as "
                "change ~ base + visit * arm (pass trial_long_frame(trial) with your own "
                "columns instead)"
            )
        o, v, g, a, c = _TRIAL_COLUMNS
        ref = data.arms[0] if reference is None else reference
        return trial_long_frame(data), (o, v, g, a), tuple(c), ref
    missing = [
        n
        for n, val in (("outcome", outcome), ("visit", visit), ("group", group), ("arm", arm))
        if val is None
    ]
    if missing:
        raise DataValidationError(
            f"argument(s) {missing} are needed with a DataFrame: name the outcome, visit, "
            "subject and arm columns"
        )
    covs = (
        ()
        if covariates is None
        else ((covariates,) if isinstance(covariates, str) else tuple(covariates))
    )
    return data, (str(outcome), str(visit), str(group), str(arm)), covs, reference


def _analysed_visits(requested: object, visits: tuple) -> list[int]:
    if requested is None:
        return [len(visits) - 1]
    if isinstance(requested, str) and requested == "all":
        return list(range(len(visits)))
    wanted = list(requested) if isinstance(requested, list | tuple) else [requested]
    pos = []
    for v in wanted:
        match = [j for j, w in enumerate(visits) if w == v]
        if not match:
            raise DataValidationError(
                f"analysis_visit={v!r} is not a scheduled visit {list(visits)} (or use 'all')"
            )
        pos.append(match[0])
    return pos


def _grid_designs(
    wide: WideData,
    names: tuple[str, str, str, str],
    covariates: tuple[str, ...],
    reference: object,
    fit_names: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Design rows of every subject at every visit, in the own and the reference arm
    ``(n, T, p)``, and the covariate columns for the ANCOVA ``(n, q)``."""
    outcome, visit, group, arm = names
    filled = wide.long(np.zeros_like(wide.y), names)
    design = _build_design(filled, outcome, visit, group, arm, covariates, reference)
    if tuple(str(n) for n in design.names) != fit_names:
        raise DataValidationError(
            "a covariate level occurs only in subjects without any observed outcome, so the "
            f"imputation model cannot estimate it (terms {list(design.names)} vs "
            f"{list(fit_names)}); "
            "merge or drop that level",
            column=covariates[0] if covariates else None,
        )
    n, t = wide.y.shape
    x_own = design.x.reshape(n, t, -1)
    arm_cols = [j for j, nm in enumerate(fit_names) if nm.startswith("arm[T.") or ":arm[T." in nm]
    x_ref = x_own.copy()
    x_ref[:, :, arm_cols] = 0.0
    cov_cols = [
        j
        for j, nm in enumerate(fit_names)
        if nm != "Intercept" and not nm.startswith("visit[T.") and j not in arm_cols
    ]
    return x_own, x_ref, x_own[:, 0, cov_cols]


def _assemble(
    est: np.ndarray,
    var: np.ndarray,
    dfs: np.ndarray,
    comparisons: list[str],
    analysed: list[int],
    wide: WideData,
    names: tuple[str, str, str, str],
    model,  # noqa: ANN001 - ImputationModel
    strategy: str,
    reference: object,
    method: DrawMethod,
    how: Analysis,
    entropy: int,
    level: float,
) -> ReferenceImputationResult:
    visit_c = names[1]
    m_count = est.shape[0]
    rows, labels, per = [], [], []
    for j in analysed:
        for c, comp in enumerate(comparisons):
            pooled = rubin_rules(
                est[:, c, j], var[:, c, j], float(dfs[:, c, j].mean()), level=level
            )
            rows.append(
                {
                    "comparison": comp,
                    **pooled[["estimate", "se", "df", "ci_low", "ci_high", "p", "fmi"]].to_dict(),
                }
            )
            labels.append(wide.visits[j])
            per.append(
                pd.DataFrame(
                    {
                        "imputation": np.arange(m_count),
                        visit_c: wide.visits[j],
                        "comparison": comp,
                        "estimate": est[:, c, j],
                        "se": np.sqrt(var[:, c, j]),
                        "df": dfs[:, c, j],
                    }
                )
            )
    estimate = pd.DataFrame(rows, index=pd.Index(labels, name=visit_c))
    has_ice = wide.ice_index < wide.n_visits
    ice = pd.DataFrame(
        {
            names[2]: wide.subjects.to_numpy()[has_ice],
            names[3]: wide.arm[has_ice],
            "visit": [wide.visits[k] for k in wide.ice_index[has_ice]],
            "strategy": [s.value for s in wide.strategy[has_ice]],
        }
    )
    return ReferenceImputationResult(
        estimate=estimate,
        imputations=pd.concat(per, ignore_index=True),
        ice=ice,
        imputation_model=model.fit,
        strategy=strategy,
        reference=reference,
        method=method.value,
        analysis=how.value,
        n_imputations=m_count,
        n_subjects=int(wide.subjects.size),
        n_post_ice_removed=wide.n_post_ice_removed,
        seed=entropy,
        level=level,
    )

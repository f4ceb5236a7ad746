"""Scoring predicted risks of a survival or competing-risks outcome at fixed horizons.

:func:`score_predictions` computes, for each model and horizon, the time-dependent AUC and the
Brier score with marginal Kaplan-Meier censoring weights (formulas in :mod:`.metrics` and
:mod:`.censoring`), as R riskRegression's ``Score(..., cens.model = "km")``: point estimates,
influence-function standard errors with Wald intervals (clipped to [0, 1]), the "Null model"
Brier score (everybody given the Aalen-Johansen risk of the cause, Kaplan-Meier with one cause),
and on request percentile bootstrap intervals (subjects resampled with replacement, the censoring
weights and the null model re-estimated in every replicate).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials.errors import DataValidationError
from alstrials.models.prediction._inputs import (
    Outcomes,
    check_horizons,
    check_level,
    check_risk,
    encode_outcomes,
)
from alstrials.models.prediction.aalen_johansen import aalen_johansen
from alstrials.models.prediction.censoring import censoring_km
from alstrials.models.prediction.metrics import horizon_weights, ipcw_auc, ipcw_brier

__all__ = ["score_predictions", "NULL_MODEL"]

NULL_MODEL = "Null model"
METRICS = ("auc", "brier")
COLUMNS = [
    "metric",
    "model",
    "horizon",
    "estimate",
    "se",
    "lower",
    "upper",
    "n",
    "cases",
    "controls",
]


def _risk_matrix(
    predictions: pd.DataFrame, out: Outcomes, *, id: str, model: str, horizon: str, risk: str
) -> tuple[list[Hashable], np.ndarray, dict[tuple[Hashable, float], np.ndarray]]:
    """``{(model, horizon): risks in the order of the outcomes}``."""
    if not isinstance(predictions, pd.DataFrame):
        raise DataValidationError("predictions must be a DataFrame", table="predictions")
    for col, arg in ((id, "id"), (model, "model"), (horizon, "horizon"), (risk, "risk")):
        if col not in predictions.columns:
            raise DataValidationError(
                f"predictions has no column {col!r} (argument {arg}); columns are "
                f"{list(predictions.columns)}",
                table="predictions",
                column=col,
            )
    models = list(pd.unique(predictions[model]))
    horizons = check_horizons(
        np.unique(pd.to_numeric(predictions[horizon], errors="coerce").to_numpy(float)),
        float(out.time.max()),
        argument="horizon",
    )
    table: dict[tuple[Hashable, float], np.ndarray] = {}
    for (m, h), part in predictions.groupby([model, horizon], sort=False):
        ids = pd.Index(part[id])
        if len(part) != out.n or ids.duplicated().any() or not ids.isin(out.ids).all():
            missing = out.ids.difference(ids)
            raise DataValidationError(
                f"predictions of model {m!r} at horizon {h:g} must hold one risk per subject "
                f"of the outcomes ({out.n}); got {len(part)} rows"
                + (f", none for subject {missing[0]!r}" if len(missing) else "")
                + (
                    f", subject {ids[ids.duplicated()][0]!r} twice"
                    if ids.duplicated().any()
                    else ""
                ),
                table="predictions",
                column=risk,
            )
        r = part.set_index(id)[risk].reindex(out.ids).to_numpy(dtype=float)
        table[(m, float(h))] = check_risk(r, f"predictions column {risk!r}", out.ids)
    return models, horizons, table


def _estimates(
    out: Outcomes,
    models: Sequence[Hashable],
    horizons: np.ndarray,
    risks: dict[tuple[Hashable, float], np.ndarray],
    metrics: Sequence[str],
    null_model: bool,
    weights: np.ndarray,
    influence: bool,
) -> list[dict[str, Any]]:
    t, s = out.time, out.status
    km = censoring_km(t, s, weights)
    rows = []
    null = aalen_johansen(t, s, horizons, weights=weights, se=False)["risk"] if null_model else None
    for k, h in enumerate(horizons):
        hw = horizon_weights(t, s, h, km, weights)
        base = {
            "horizon": float(h),
            "n": float(weights.sum()),
            "cases": float(weights[hw.cases].sum()),
            "controls": float(weights[hw.controls].sum()),
        }
        names: list[Hashable] = ([NULL_MODEL] if null is not None else []) + list(models)
        for m in names:
            r = (
                np.full(len(t), null[k])
                if (null is not None and m == NULL_MODEL)
                else risks[(m, float(h))]
            )
            for metric in metrics:
                if metric == "auc" and m == NULL_MODEL:
                    continue
                if metric == "auc":
                    est, IF = ipcw_auc(r, hw, km, influence=influence)
                else:
                    est, IF = ipcw_brier(r, t, s, hw, km, influence=influence)
                se = (
                    float(np.std(IF, ddof=1) / np.sqrt(len(IF))) if IF is not None else float("nan")
                )
                rows.append(
                    {
                        "metric": metric.upper() if metric == "auc" else "Brier",
                        "model": m,
                        "estimate": est,
                        "se": se,
                        **base,
                    }
                )
    return rows


def score_predictions(
    outcomes: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    time: str = "time",
    cause: str | None = "cause",
    event: str | None = None,
    cause_of_interest: Any = None,
    censor_code: Any = None,
    id: str = "id",
    model: str = "model",
    horizon: str = "horizon",
    risk: str = "risk",
    metrics: Sequence[str] = METRICS,
    null_model: bool = True,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Time-dependent AUC and Brier score of predicted risks, with IPCW (Kaplan-Meier).

    Parameters
    ----------
    outcomes : DataFrame
        One row per subject: ``id``, the observed ``time`` and the ``cause`` (missing when
        censored) or an ``event`` indicator (0 censored, 1 event), or both.
    predictions : DataFrame
        Tidy: ``id``, ``model``, ``horizon``, ``risk``, the predicted probability of the cause
        of interest by the horizon; one row per subject, model and horizon.
    time, cause, event, id : str
        Columns of ``outcomes`` (``cause=None`` with ``event`` for a single cause).
    cause_of_interest : optional
        The cause label that defines cases (required with several causes); events of other
        causes are competing events (controls in the AUC, outcome 0 in the Brier score).
    model, horizon, risk : str
        Columns of ``predictions``.
    metrics : sequence of {"auc", "brier"}
    null_model : bool
        Add the Brier score of the null model (the Aalen-Johansen risk for everybody), named
        "Null model", as riskRegression does.
    level : float
        Coverage of the intervals.
    n_boot : int
        Bootstrap replicates for percentile intervals (0: none).
    seed : int or Generator, optional
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per metric, model and horizon: ``metric`` ("AUC", "Brier"), ``model``,
        ``horizon``, ``estimate``, ``se`` (influence function), ``lower``, ``upper`` (Wald,
        clipped to [0, 1]), ``n`` subjects, ``cases`` (events of the cause by the horizon),
        ``controls`` (event-free at the horizon or with a competing event); with ``n_boot``
        also ``boot_se``, ``boot_lower``, ``boot_upper`` (percentile) and ``boot_valid`` (the
        replicates with both cases and controls).

    References
    ----------
    Blanche P, Dartigues J-F, Jacqmin-Gadda H (2013). *Stat. Med.* 32:5381-5397.
    Gerds TA, Kattan MW (2021). *Medical Risk Prediction Models*. Chapman and Hall/CRC.

    Examples
    --------
    >>> import pandas as pd
    >>> outcomes = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "time": [1.0, 2, 3, 4, 5, 6],
    ...                          "cause": ["als", None, "other", "als", None, None]})
    >>> predictions = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "model": "m", "horizon": 4.5,
    ...                             "risk": [0.9, 0.3, 0.2, 0.6, 0.1, 0.2]})
    >>> sc = score_predictions(outcomes, predictions, cause_of_interest="als")
    >>> sc[["metric", "model", "estimate"]].round(3).values.tolist()
    [['AUC', 'm', 1.0], ['Brier', 'Null model', 0.234], ['Brier', 'm', 0.054]]
    """
    level = check_level(level)
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise DataValidationError(
            f"metrics must be among {list(METRICS)}, got {list(metrics)}", column="metrics"
        )
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise DataValidationError(
            f"n_boot must be an integer >= 0, got {n_boot!r}", column="n_boot"
        )
    out = encode_outcomes(
        outcomes,
        time=time,
        cause=cause,
        event=event,
        id=id,
        cause_of_interest=cause_of_interest,
        censor_code=censor_code,
    )
    models, horizons, risks = _risk_matrix(
        predictions, out, id=id, model=model, horizon=horizon, risk=risk
    )
    metrics = [m for m in METRICS if m in metrics]
    ones = np.ones(out.n)
    frame = pd.DataFrame(_estimates(out, models, horizons, risks, metrics, null_model, ones, True))
    z = stats.norm.ppf(0.5 + level / 2)
    frame["lower"] = np.maximum(0.0, frame["estimate"] - z * frame["se"])
    frame["upper"] = np.minimum(1.0, frame["estimate"] + z * frame["se"])
    frame = frame[COLUMNS]
    if n_boot:
        rng = np.random.default_rng(seed)
        draws = np.empty((n_boot, len(frame)))
        for b in range(n_boot):
            w = np.bincount(rng.integers(0, out.n, out.n), minlength=out.n).astype(float)
            rows = _estimates(out, models, horizons, risks, metrics, null_model, w, False)
            draws[b] = [r["estimate"] for r in rows]
        a = (1 - level) / 2
        valid = np.isfinite(draws)
        with np.errstate(invalid="ignore"):
            frame["boot_se"] = np.nanstd(draws, axis=0, ddof=1)
            frame["boot_lower"] = np.nanquantile(draws, a, axis=0)
            frame["boot_upper"] = np.nanquantile(draws, 1 - a, axis=0)
        frame["boot_valid"] = valid.sum(axis=0)
    return frame.sort_values(["metric", "horizon"], kind="stable").reset_index(drop=True)

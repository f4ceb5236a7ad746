"""Calibration of predicted risks at a horizon: predicted against observed by risk group.

Subjects are grouped by quantiles of the predicted risk of the cause (``n_groups`` groups of
about equal size; tied risks stay together, so there may be fewer groups). In each group the
mean predicted risk is set against the observed risk by the horizon: the Aalen-Johansen
cumulative incidence of the cause (the Kaplan-Meier risk with one cause) with its
infinitesimal-jackknife standard error and log-scale interval (:mod:`.aalen_johansen`, as R
``survfit``).

References
----------
Gerds TA, Kattan MW (2021). *Medical Risk Prediction Models*, chapter 7 (calibration).
Austin PC, Putter H, Giardiello D, van Klaveren D (2022). Graphical calibration curves and the
integrated calibration index (ICI) for competing risk models. *Diagn. Progn. Res.* 6:2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alstrials.errors import DataValidationError
from alstrials.models.prediction._inputs import check_level, encode_outcomes
from alstrials.models.prediction.aalen_johansen import aalen_johansen
from alstrials.models.prediction.score import _risk_matrix

__all__ = ["calibration_table"]


def calibration_table(
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
    n_groups: int = 10,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean predicted against observed (Aalen-Johansen) risk in groups of predicted risk.

    Parameters
    ----------
    outcomes, predictions, time, cause, event, cause_of_interest, censor_code, id, model, \
horizon, risk
        As :func:`~alstrials.models.prediction.score_predictions`.
    n_groups : int
        Number of quantile groups (10: deciles).
    level : float
        Coverage of the observed-risk interval.

    Returns
    -------
    DataFrame
        One row per model, horizon and group: ``model``, ``horizon``, ``group`` (1 = lowest
        risks), ``n``, ``risk_min``, ``risk_max``, ``predicted`` (mean predicted risk),
        ``observed`` (Aalen-Johansen risk by the horizon), ``se``, ``lower``, ``upper``,
        ``events`` (events of the cause by the horizon).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> r = rng.uniform(0.05, 0.6, 200)
    >>> t = np.where(rng.uniform(size=200) < r, rng.uniform(0, 5, 200), 5 + rng.uniform(size=200))
    >>> out = pd.DataFrame({"id": range(200), "time": t, "cause": np.where(t <= 5, "als", None)})
    >>> pred = pd.DataFrame({"id": range(200), "model": "m", "horizon": 5.0, "risk": r})
    >>> tab = calibration_table(out, pred, n_groups=4)
    >>> tab["group"].tolist(), bool((tab["lower"] <= tab["observed"]).all())
    ([1, 2, 3, 4], True)
    """
    level = check_level(level)
    if not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
        raise DataValidationError(
            f"n_groups must be a positive integer, got {n_groups!r}", column="n_groups"
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
    if n_groups > out.n:
        raise DataValidationError(
            f"n_groups={n_groups} is more than the {out.n} subjects", column="n_groups"
        )
    models, horizons, risks = _risk_matrix(
        predictions, out, id=id, model=model, horizon=horizon, risk=risk
    )
    rows = []
    for m in models:
        for h in horizons:
            r = risks[(m, float(h))]
            groups = pd.qcut(r, q=n_groups, labels=False, duplicates="drop")
            for g in np.unique(np.asarray(groups)):
                sel = groups == g
                aj = aalen_johansen(out.time[sel], out.status[sel], np.array([h]), level=level)
                rows.append(
                    {
                        "model": m,
                        "horizon": float(h),
                        "group": int(g) + 1,
                        "n": int(sel.sum()),
                        "risk_min": float(r[sel].min()),
                        "risk_max": float(r[sel].max()),
                        "predicted": float(r[sel].mean()),
                        "observed": float(aj["risk"][0]),
                        "se": float(aj["se"][0]),
                        "lower": float(aj["lower"][0]),
                        "upper": float(aj["upper"][0]),
                        "events": int(np.sum(sel & (out.status == 1) & (out.time <= h))),
                    }
                )
    frame = pd.DataFrame(rows)
    frame["group"] = frame.groupby(["model", "horizon"]).cumcount() + 1
    return frame

"""Prospective accuracy of a joint model's dynamic predictions at a landmark time.

For a landmark :math:`t_0` and horizons :math:`\\Delta`, the landmark data set holds the
(held-out) subjects still event-free and under follow-up after :math:`t_0` (:math:`T_i > t_0`),
with times measured from the landmark (:math:`T_i - t_0`). Each subject's dynamic prediction
(Rizopoulos 2011) uses its marker histories up to :math:`t_0` only:

.. math::

    \\hat\\pi_{ic}(t_0 + \\Delta \\mid t_0) = \\hat P(T_i \\le t_0 + \\Delta,\\ \\text{cause } c
        \\mid T_i > t_0, \\mathcal Y_i(t_0)),

from :meth:`~alstrials.models.joint.JointResult.predict_cumulative_incidence` (plug-in, at the
posterior mode of the random effects). These risks are scored on the landmark data with
:func:`~alstrials.models.prediction.score_predictions` (time-dependent AUC and Brier score with
Kaplan-Meier censoring weights estimated on the landmark data, competing causes as competing
events), each cause in turn as the cause of interest.

References
----------
Rizopoulos D (2011). Dynamic predictions and prospective accuracy in joint models for
longitudinal and time-to-event data. *Biometrics* 67(3):819-829.
Blanche P, Proust-Lima C, Loubère L, Berr C, Dartigues J-F, Jacqmin-Gadda H (2015).
Quantifying and comparing dynamic predictive accuracy of joint models for longitudinal marker
and time-to-event in presence of censoring and competing risks. *Biometrics* 71(1):102-113.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.errors import DataValidationError, DataWarning
from alstrials.models.prediction._inputs import check_horizons
from alstrials.models.prediction.calibration import calibration_table
from alstrials.models.prediction.score import score_predictions

if TYPE_CHECKING:
    from alstrials.models.joint.result import JointResult

__all__ = ["DynamicAccuracy", "dynamic_prediction_accuracy", "landmark_predictions"]


def landmark_predictions(
    fit: JointResult,
    longitudinal: pd.DataFrame,
    survival: pd.DataFrame,
    *,
    landmark: float,
    horizons: Sequence[float],
    time: str,
    event: str,
    cause: str | None = None,
    grid_points: int = 20,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The landmark data set and each subject's predicted cumulative incidences.

    Parameters
    ----------
    fit : JointResult
        A fitted joint model.
    longitudinal : DataFrame
        Marker measurements of the subjects to score (the fit's group and time columns, the
        markers, the covariates of the formulas); rows after the landmark are ignored.
    survival : DataFrame
        One row per subject: the group column, ``time``, ``event`` (0/1) and with competing
        causes ``cause``; covariates missing from ``longitudinal`` are taken from here.
    landmark : float
        ``t0``.
    horizons : sequence of float
        ``Delta``: predictions at ``t0 + Delta``.
    time, event, cause : str
        Columns of ``survival``.
    grid_points : int
        Intervals of each prediction's integration grid (see the joint model's
        ``predict_cumulative_incidence``).

    Returns
    -------
    outcomes : DataFrame
        Landmark data: the group column, ``time`` (from the landmark), ``cause`` (missing when
        censored; "event" for a model without competing causes).
    predictions : DataFrame
        Tidy: the group column, ``cause``, ``horizon`` (``Delta``), ``risk``.
    """
    sp = fit.spec
    gid, ltime = sp.group, sp.time
    for frame, name, cols in (
        (longitudinal, "longitudinal", [gid, ltime]),
        (survival, "survival", [gid, time, event] + ([cause] if cause else [])),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(f"{name} must be a DataFrame", table=name)
        for c in cols:
            if c not in frame.columns:
                raise DataValidationError(f"{name} has no column {c!r}", table=name, column=c)
    if fit.causes and cause is None:
        raise DataValidationError(
            f"the joint model has competing causes {list(fit.causes)}; name the cause column "
            "of survival with cause=",
            table="survival",
        )
    t0 = float(landmark)
    if not np.isfinite(t0) or t0 < 0:
        raise DataValidationError(
            f"landmark must be a finite time >= 0, got {landmark!r}", column="landmark"
        )
    T = pd.to_numeric(survival[time], errors="coerce").to_numpy(float)
    at_risk = survival[T > t0]
    if at_risk.empty:
        raise DataValidationError(
            f"no subject of survival is event-free after landmark {t0:g}",
            table="survival",
            column=time,
        )
    follow = float(np.nanmax(T)) - t0
    h = check_horizons(horizons, follow, argument="horizons")
    extra = [c for c in survival.columns if c not in longitudinal.columns and c != gid]
    past = longitudinal[longitudinal[ltime] <= t0]
    past = past.merge(survival[[gid, *extra]], on=gid, how="left") if extra else past
    by_id = dict(tuple(past.groupby(gid, sort=False)))
    markers = list(fit.markers)
    keep, rows = [], []
    names = fit.causes or ("event",)
    for sid in at_risk[gid]:
        hist = by_id.get(sid)
        if hist is None or not hist[markers].notna().to_numpy().any():
            continue
        pred = fit.predict_cumulative_incidence(hist, t0 + h, last_time=t0, grid_points=grid_points)
        pred = pred[pred["time"] > t0] if len(h) else pred
        for c in names:
            part = pred[pred["cause"] == c]
            for dh, r in zip(h, part["incidence"].to_numpy()[-len(h) :], strict=True):
                rows.append((sid, c, float(dh), float(r)))
        keep.append(sid)
    dropped = len(at_risk) - len(keep)
    if dropped:
        warnings.warn(
            f"{dropped} of {len(at_risk)} subjects event-free after landmark {t0:g} have no "
            f"marker measurement at or before it and are not scored; look at them with "
            f"survival[~survival[{gid!r}].isin(longitudinal.query('{ltime} <= {t0:g}')"
            f"[{gid!r}])]",
            DataWarning,
            stacklevel=2,
        )
    if not keep:
        raise DataValidationError(
            f"no subject has a marker measurement by landmark {t0:g}", table="longitudinal"
        )
    lm = at_risk.set_index(gid).loc[keep]
    ev = pd.to_numeric(lm[event], errors="coerce").to_numpy()
    lab = lm[cause].to_numpy(dtype=object) if cause else np.full(len(lm), "event", dtype=object)
    outcomes = pd.DataFrame(
        {
            gid: keep,
            "time": lm[time].to_numpy(float) - t0,
            "cause": pd.Series(lab, dtype=object).where(ev == 1, None).to_numpy(),
        }
    )
    predictions = pd.DataFrame(rows, columns=[gid, "cause", "horizon", "risk"])
    predictions["risk"] = predictions["risk"].clip(0.0, 1.0)
    return outcomes, predictions


@dataclass(frozen=True)
class DynamicAccuracy(ResultMixin):
    """Result of :func:`dynamic_prediction_accuracy` (``summary()``, ``_repr_html_`` in a
    notebook; ``auc`` and ``brier`` for one metric each).

    Attributes
    ----------
    landmark : float
    scores : DataFrame
        :func:`score_predictions`'s table with a ``cause`` column (the cause of interest),
        model "joint model".
    outcomes, predictions : DataFrame
        The landmark data set and the predicted risks (see :func:`landmark_predictions`).
    group : str
        The subject column.
    """

    landmark: float
    scores: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    predictions: pd.DataFrame = field(repr=False)
    group: str = "id"

    def summary(self) -> pd.DataFrame:
        """The scores indexed by (``cause``, ``metric``, ``model``, ``horizon``)."""
        return self.scores.set_index(["cause", "metric", "model", "horizon"])

    def _metric(self, metric: str) -> pd.DataFrame:
        part = self.scores[self.scores["metric"] == metric]
        return part.drop(columns="metric").set_index(["cause", "model", "horizon"])

    @property
    def auc(self) -> pd.DataFrame:
        """Time-dependent AUC, indexed by (``cause``, ``model``, ``horizon``)."""
        return self._metric("AUC")

    @property
    def brier(self) -> pd.DataFrame:
        """Brier score (with the null model's rows), indexed by (``cause``, ``model``,
        ``horizon``)."""
        return self._metric("Brier")

    def calibration(
        self, cause: Hashable, *, n_groups: int = 10, level: float = 0.95
    ) -> pd.DataFrame:
        """:func:`calibration_table` of one cause's predicted risks (every horizon)."""
        pred = self.predictions[self.predictions["cause"] == cause]
        if pred.empty:
            raise DataValidationError(
                f"cause {cause!r} is not among {sorted(self.predictions['cause'].unique())}",
                column="cause",
            )
        return calibration_table(
            self.outcomes,
            pred.assign(model="joint model"),
            id=self.group,
            cause_of_interest=cause,
            n_groups=n_groups,
            level=level,
        )


def dynamic_prediction_accuracy(
    fit: JointResult,
    longitudinal: pd.DataFrame,
    survival: pd.DataFrame,
    *,
    landmark: float,
    horizons: Sequence[float],
    time: str,
    event: str,
    cause: str | None = None,
    causes: Sequence[Hashable] | None = None,
    metrics: Sequence[str] = ("auc", "brier"),
    null_model: bool = True,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | np.random.Generator | None = None,
    grid_points: int = 20,
) -> DynamicAccuracy:
    """Time-dependent AUC and Brier score of a joint model's dynamic predictions.

    The subjects of ``survival`` event-free after ``landmark`` (held out from the fit, for an
    honest assessment) are predicted from their marker histories up to the landmark, and the
    predicted cumulative incidence of each cause at ``landmark + horizon`` is scored on their
    follow-up after the landmark (module docstring).

    Parameters
    ----------
    fit, longitudinal, survival, landmark, horizons, time, event, cause, grid_points
        As :func:`landmark_predictions`.
    causes : sequence, optional
        Causes to score (default: every cause of the model; "event" without competing causes).
    metrics, null_model, level, n_boot, seed
        As :func:`score_predictions` (the bootstrap resamples landmark subjects; the joint
        model is not refitted).

    Returns
    -------
    DynamicAccuracy

    References
    ----------
    Rizopoulos D (2011). *Biometrics* 67(3):819-829.
    Blanche P et al. (2015). *Biometrics* 71(1):102-113.

    Examples
    --------
    >>> from alstrials.models.joint import fit_joint
    >>> from alstrials.models.joint.simulate import simulate_joint
    >>> long, surv = simulate_joint(n=120, seed=1)
    >>> train = surv["id"] <= 80
    >>> fit = fit_joint(long[long.id <= 80], surv[train], "y ~ time", "~ time", "id", "time",
    ...                 "~ x", "T", "event", gh_points=3)
    >>> acc = dynamic_prediction_accuracy(fit, long[long.id > 80], surv[~train], landmark=1.0,
    ...                                   horizons=[2.0], time="T", event="event")
    >>> acc.scores[["cause", "metric", "model"]].values.tolist()
    [['event', 'AUC', 'joint model'], ['event', 'Brier', 'Null model'], \
['event', 'Brier', 'joint model']]
    """
    outcomes, predictions = landmark_predictions(
        fit,
        longitudinal,
        survival,
        landmark=landmark,
        horizons=horizons,
        time=time,
        event=event,
        cause=cause,
        grid_points=grid_points,
    )
    gid = fit.spec.group
    names = list(fit.causes or ("event",)) if causes is None else list(causes)
    parts = []
    rng = np.random.default_rng(seed)
    seeds = rng.spawn(len(names)) if n_boot else [None] * len(names)
    for c, s in zip(names, seeds, strict=True):
        pred = predictions[predictions["cause"] == c]
        if pred.empty:
            raise DataValidationError(
                f"cause {c!r} is not among the model's causes {list(fit.causes or ('event',))}",
                column="causes",
            )
        sc = score_predictions(
            outcomes,
            pred.assign(model="joint model"),
            id=gid,
            cause_of_interest=c,
            metrics=metrics,
            null_model=null_model,
            level=level,
            n_boot=n_boot,
            seed=s,
        )
        parts.append(sc.assign(cause=c))
    scores = pd.concat(parts, ignore_index=True)
    scores = scores[["cause", *[k for k in scores.columns if k != "cause"]]]
    return DynamicAccuracy(
        landmark=float(landmark),
        scores=scores,
        outcomes=outcomes,
        predictions=predictions,
        group=gid,
    )

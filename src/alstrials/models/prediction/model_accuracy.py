"""Accuracy of a fitted model's predicted risks on (held-out) data: :func:`prediction_accuracy`.

The model predicts, for every subject of ``data`` and every time :math:`t` of ``times``, the
risk :math:`\\hat\\pi_i(t)` of the cause of interest by :math:`t`:

* cause-specific Cox (:class:`~alstrials.models.competing.CSCResult`): the absolute risk
  :math:`\\hat F_c(t \\mid x_i)` (product-limit all-cause survival, as riskRegression's
  ``predictRisk`` of a ``CSC`` fit);
* Cox (:class:`~alstrials.models.survival.CoxResult`): :math:`1 - \\hat S(t \\mid x_i)`;
* joint model (:class:`~alstrials.models.joint.JointResult`): the dynamic prediction
  :math:`P(T_i \\le t, c \\mid T_i > t_0, \\mathcal Y_i(t_0))` at the landmark :math:`t_0`, on the
  subjects event-free at :math:`t_0` (:func:`~alstrials.models.prediction.landmark_predictions`).

These risks are scored by :func:`~alstrials.models.prediction.score_predictions`: time-dependent
AUC (cumulative cases, controls event-free or with a competing event) and Brier score with
marginal Kaplan-Meier censoring weights, influence-function standard errors and the null model
(Aalen-Johansen risk for everybody), as R riskRegression's ``Score(..., cens.model = "km")``;
formulas in docs/prediction.md.

References
----------
Blanche P, Dartigues J-F, Jacqmin-Gadda H (2013). *Stat. Med.* 32:5381-5397.
Gerds TA, Kattan MW (2021). *Medical Risk Prediction Models*. Chapman and Hall/CRC.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.errors import DataValidationError
from alstrials.models.prediction.score import NULL_MODEL, score_predictions

__all__ = ["prediction_accuracy", "AccuracyResult"]

_COLUMNS = ["estimate", "se", "ci_low", "ci_high"]


@dataclass(frozen=True, eq=False, repr=False)
class AccuracyResult(ResultMixin):
    """Time-dependent AUC and Brier score of a model's predicted risks. Build with
    :func:`prediction_accuracy`.

    Attributes
    ----------
    auc : DataFrame
        Indexed by ``time``; columns ``estimate se ci_low ci_high`` (influence-function SE,
        Wald interval clipped to [0, 1]) and ``cases controls`` (weighted counts).
    brier : DataFrame
        Indexed by ``time``; columns ``estimate se ci_low ci_high`` of the model and
        ``null_estimate null_se null_ci_low null_ci_high`` of the null model (everybody given
        the Aalen-Johansen risk of the cause).
    scores : DataFrame
        The full table of :func:`score_predictions` (bootstrap columns when ``n_boot``).
    predictions : DataFrame
        Tidy predicted risks: ``id`` (row position in the scored data, or the subject with a
        joint model), ``time``, ``risk``.
    model : str
        What was scored: "cause-specific Cox", "Cox" or "joint model".
    cause : object
        The cause of interest.
    landmark : float or None
    n : int
        Subjects scored.
    """

    auc: pd.DataFrame
    brier: pd.DataFrame
    scores: pd.DataFrame = field(repr=False)
    predictions: pd.DataFrame = field(repr=False)
    model: str
    cause: object
    landmark: float | None
    n: int

    converged = True  # nothing is iterated; kept for the shared HTML view

    def __repr__(self) -> str:
        at = f", landmark {self.landmark:g}" if self.landmark is not None else ""
        times = ", ".join(f"{t:g}" for t in self.auc.index)
        return (
            f"AccuracyResult({self.model}, cause {self.cause!r}{at}: {self.n} subjects, "
            f"times {times})"
        )

    def summary(self) -> pd.DataFrame:
        """AUC and Brier score (model and null model) indexed by (``metric``, ``model``,
        ``time``), columns ``estimate se ci_low ci_high``."""
        s = self.scores.rename(columns={"horizon": "time", "lower": "ci_low", "upper": "ci_high"})
        return s.set_index(["metric", "model", "time"])[_COLUMNS]


def _tables(scores: pd.DataFrame, model: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = scores.rename(columns={"horizon": "time", "lower": "ci_low", "upper": "ci_high"})
    auc = s[(s["metric"] == "AUC") & (s["model"] == model)].set_index("time")
    auc = auc[[*_COLUMNS, "cases", "controls"]]
    brier = s[(s["metric"] == "Brier") & (s["model"] == model)].set_index("time")[_COLUMNS]
    null = s[(s["metric"] == "Brier") & (s["model"] == NULL_MODEL)].set_index("time")[_COLUMNS]
    if len(null):
        brier = brier.join(null.add_prefix("null_"))
    return auc, brier


def _risk_frame(risk: pd.DataFrame, ids: Sequence[Hashable]) -> pd.DataFrame:
    """Tidy ``id time risk`` from a (rows = subjects, columns = times) frame."""
    values = risk.to_numpy(dtype=float)
    times = np.asarray(risk.columns, dtype=float)
    return pd.DataFrame(
        {
            "id": np.repeat(np.asarray(ids, dtype=object), len(times)),
            "time": np.tile(times, len(ids)),
            "risk": values.ravel(),
        }
    )


def _kind(model: Any) -> str:
    from alstrials.models.competing.cause_specific import CSCResult
    from alstrials.models.joint.result import JointResult
    from alstrials.models.survival.cox import CoxResult

    if isinstance(model, CSCResult):
        return "cause-specific Cox"
    if isinstance(model, CoxResult):
        return "Cox"
    if isinstance(model, JointResult):
        return "joint model"
    raise DataValidationError(
        "prediction_accuracy scores a cause-specific Cox (fit_cause_specific_cox), Cox "
        f"(fit_cox) or joint model (fit_joint); got {type(model).__name__}. For other models "
        "score their predicted risks with score_predictions.",
        column="model",
    )


def _need(name: str, value: str | None, what: str) -> str:
    if value is None:
        raise DataValidationError(
            f"{what}: pass {name}= (the column of data holding it)", column=name
        )
    return value


def prediction_accuracy(
    model: Any,
    data: pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame] | Mapping[str, pd.DataFrame],
    times: Sequence[float],
    cause: object = None,
    landmark: float | None = None,
    *,
    duration: str | None = None,
    event: str | None = None,
    cause_column: str | None = None,
    metrics: Sequence[str] = ("auc", "brier"),
    null_model: bool = True,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | np.random.Generator | None = None,
    grid_points: int = 20,
) -> AccuracyResult:
    """Time-dependent AUC and Brier score of a fitted model's predicted risks on ``data``.

    Parameters
    ----------
    model : CSCResult, CoxResult or JointResult
        The fitted model (module docstring for the risk each predicts).
    data : DataFrame, or (longitudinal, survival) for a joint model
        The subjects to score, one row per subject (held out from the fit for an honest
        assessment), with the model's covariates and the observed time and outcome. For a
        joint model a pair ``(longitudinal, survival)`` or a mapping with those keys.
    times : sequence of float
        Times at which the risk is predicted and scored (for a joint model: times after the
        landmark, on the original time scale).
    cause : optional
        The cause of interest (a cause of a cause-specific Cox or joint model); may be left
        out when the model has one cause.
    landmark : float, optional
        Joint models only (required there): marker histories up to ``landmark`` are used and
        subjects event-free at ``landmark`` are scored.
    duration, event, cause_column : str, optional
        Outcome columns of ``data`` when the model does not record them: a Cox model needs
        ``duration`` and ``event`` (0/1); a joint model ``duration``, ``event`` and, with
        competing causes, ``cause_column``. A cause-specific Cox model uses its own columns
        (``CSCResult.duration``, ``CSCResult.cause_column`` and its censoring code).
    metrics, null_model, level, n_boot, seed
        As :func:`~alstrials.models.prediction.score_predictions`.
    grid_points : int
        Joint models: intervals of each prediction's integration grid.

    Returns
    -------
    AccuracyResult

    Raises
    ------
    DataValidationError
        An unsupported model, missing outcome columns, a cause that is not the model's, times
        outside the follow-up of ``data``, missing covariates.

    References
    ----------
    Blanche et al. (2013), *Stat. Med.* 32:5381-5397; R riskRegression ``Score``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from alstrials.models.competing import fit_cause_specific_cox
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=300)
    >>> t = rng.exponential(10 / np.exp(0.8 * x))
    >>> c = rng.uniform(2, 20, 300)
    >>> kind = np.where(rng.random(300) < 0.6, "death", "tracheostomy")
    >>> d = pd.DataFrame({"months": np.minimum(t, c), "x": x,
    ...                   "status": np.where(t <= c, kind, "censored")})
    >>> fit = fit_cause_specific_cox(d[:200], "months", "status", "x")
    >>> acc = prediction_accuracy(fit, d[200:], [3.0, 6.0], cause="death")
    >>> list(acc.auc.columns[:4]), list(acc.brier.index)
    (['estimate', 'se', 'ci_low', 'ci_high'], [3.0, 6.0])
    """
    kind = _kind(model)
    if kind == "joint model":
        return _joint(
            model, data, times, cause, landmark, duration, event, cause_column, metrics,
            null_model, level, n_boot, seed, grid_points,
        )  # fmt: skip
    if landmark is not None:
        raise DataValidationError(
            f"landmark= is for joint models; a {kind} model predicts from baseline covariates",
            column="landmark",
        )
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a DataFrame, got {type(data).__name__}", table="data"
        )
    t = np.atleast_1d(np.asarray(times, dtype=float))
    ids = list(range(len(data)))
    frame = data.reset_index(drop=True)
    if kind == "cause-specific Cox":
        if cause is None:
            if len(model.causes) > 1:
                raise DataValidationError(
                    f"the model has several causes {model.causes}; say which one is scored "
                    "with cause=",
                    column="cause",
                )
            cause = model.causes[0]
        risk = model.predict_cumulative_incidence(frame, t, cause)
        for col in (model.duration, model.cause_column):
            if col not in frame.columns:
                raise DataValidationError(f"data has no column {col!r}", column=col)
        outcomes = pd.DataFrame(
            {"id": ids, "time": frame[model.duration], "cause": frame[model.cause_column]}
        )
        score_kw: dict[str, Any] = {
            "cause": "cause",
            "censor_code": model.censored,
            "cause_of_interest": cause,
        }
    else:  # Cox
        duration = _need("duration", duration, "a Cox model does not record its time column")
        event = _need("event", event, "a Cox model does not record its event column")
        if cause is not None:
            raise DataValidationError(
                "a Cox model predicts one event (1 - S(t | x)); for competing causes fit "
                "fit_cause_specific_cox and pass cause= to prediction_accuracy",
                column="cause",
            )
        for col in (duration, event):
            if col not in frame.columns:
                raise DataValidationError(f"data has no column {col!r}", column=col)
        risk = 1.0 - model.predict_survival(frame, t)
        outcomes = pd.DataFrame({"id": ids, "time": frame[duration], "event": frame[event]})
        score_kw = {"cause": None, "event": "event"}
        cause = 1
    beyond = t[risk.isna().all(axis=0).to_numpy()] if len(frame) else t[:0]
    if beyond.size:
        raise DataValidationError(
            f"times {beyond.tolist()} lie beyond the follow-up of the data the model was "
            "fitted on; its predicted risks are not defined there",
            column="times",
        )
    preds = _risk_frame(risk, ids)
    scores = score_predictions(
        outcomes,
        preds.assign(model=kind),
        horizon="time",
        metrics=metrics,
        null_model=null_model,
        level=level,
        n_boot=n_boot,
        seed=seed,
        **score_kw,
    )
    auc, brier = _tables(scores, kind)
    return AccuracyResult(
        auc=auc,
        brier=brier,
        scores=scores,
        predictions=preds,
        model=kind,
        cause=cause,
        landmark=None,
        n=len(frame),
    )


def _joint(
    model: Any,
    data: Any,
    times: Sequence[float],
    cause: object,
    landmark: float | None,
    duration: str | None,
    event: str | None,
    cause_column: str | None,
    metrics: Sequence[str],
    null_model: bool,
    level: float,
    n_boot: int,
    seed: int | np.random.Generator | None,
    grid_points: int,
) -> AccuracyResult:
    from alstrials.models.prediction.landmark import dynamic_prediction_accuracy

    if landmark is None:
        raise DataValidationError(
            "a joint model is scored at a landmark: pass landmark= (marker histories up to it "
            "are used)",
            column="landmark",
        )
    if isinstance(data, Mapping):
        if not {"longitudinal", "survival"} <= set(data):
            raise DataValidationError(
                "for a joint model data must hold 'longitudinal' and 'survival' frames",
                table="data",
            )
        longitudinal, survival = data["longitudinal"], data["survival"]
    elif isinstance(data, tuple) and len(data) == 2:
        longitudinal, survival = data
    else:
        raise DataValidationError(
            "for a joint model data must be (longitudinal, survival) or a mapping with those "
            f"keys, got {type(data).__name__}",
            table="data",
        )
    duration = _need("duration", duration, "the survival time column of a joint model")
    event = _need("event", event, "the event column of a joint model")
    t0 = float(landmark)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if np.any(t <= t0):
        raise DataValidationError(
            f"times {t[t <= t0].tolist()} are not after the landmark {t0:g}", column="times"
        )
    names = list(model.causes or ("event",))
    if cause is None:
        if len(names) > 1:
            raise DataValidationError(
                f"the joint model has several causes {names}; say which one is scored with cause=",
                column="cause",
            )
        cause = names[0]
    acc = dynamic_prediction_accuracy(
        model,
        longitudinal,
        survival,
        landmark=t0,
        horizons=(t - t0).tolist(),
        time=duration,
        event=event,
        cause=cause_column,
        causes=[cause],
        metrics=metrics,
        null_model=null_model,
        level=level,
        n_boot=n_boot,
        seed=seed,
        grid_points=grid_points,
    )
    back = {float(h): float(x) for h, x in zip(t - t0, t, strict=True)}  # the times as given
    scores = acc.scores.drop(columns="cause")
    scores["horizon"] = scores["horizon"].map(back)
    preds = acc.predictions[acc.predictions["cause"] == cause]
    preds = pd.DataFrame(
        {
            "id": preds[model.spec.group].to_numpy(),
            "time": preds["horizon"].map(back).to_numpy(),
            "risk": preds["risk"].to_numpy(),
        }
    )
    auc, brier = _tables(scores, "joint model")
    return AccuracyResult(
        auc=auc,
        brier=brier,
        scores=scores,
        predictions=preds,
        model="joint model",
        cause=cause,
        landmark=t0,
        n=len(acc.outcomes),
    )

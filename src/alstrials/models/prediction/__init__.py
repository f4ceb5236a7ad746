"""Accuracy of predicted risks for survival and competing-risks outcomes.

* :func:`prediction_accuracy`: a fitted cause-specific Cox, Cox or joint model's predicted
  risks scored on (held-out) data (:class:`AccuracyResult`: ``auc``, ``brier``);
* :func:`score_predictions`: time-dependent AUC and Brier score with Kaplan-Meier censoring
  weights (riskRegression's ``Score(cens.model = "km")``), influence-function standard errors
  and percentile bootstrap intervals;
* :func:`calibration_table`: predicted against Aalen-Johansen observed risk by risk group;
* :func:`dynamic_prediction_accuracy`: the joint model's dynamic predictions at a landmark,
  scored on held-out subjects (:func:`landmark_predictions` builds the landmark data);
* :func:`aalen_johansen`: cumulative incidence with infinitesimal-jackknife standard errors.

See ``docs/prediction.md``.
"""

from alstrials.models.prediction.aalen_johansen import aalen_johansen
from alstrials.models.prediction.calibration import calibration_table
from alstrials.models.prediction.landmark import (
    DynamicAccuracy,
    dynamic_prediction_accuracy,
    landmark_predictions,
)
from alstrials.models.prediction.model_accuracy import AccuracyResult, prediction_accuracy
from alstrials.models.prediction.score import NULL_MODEL, score_predictions

__all__ = [
    "AccuracyResult",
    "NULL_MODEL",
    "DynamicAccuracy",
    "aalen_johansen",
    "calibration_table",
    "dynamic_prediction_accuracy",
    "landmark_predictions",
    "prediction_accuracy",
    "score_predictions",
]

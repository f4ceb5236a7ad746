"""Design matrices of the joint model, built once from the user's two data frames.

Longitudinal submodel (Laird-Ware): for subject ``i`` and measurement ``j``

    y_ij = x_i(t_ij)' beta + z_i(t_ij)' b_i + e_ij,   b_i ~ N(0, D),   e_ij ~ N(0, sigma^2).

Survival submodel (proportional hazards with a piecewise-constant baseline):

    h_i(t) = xi_{q(t)} exp(w_i' gamma + alpha m_i(t) + alpha_s m_i'(t)),
    m_i(t) = x_i(t)' beta + z_i(t)' b_i,

where ``q(t)`` is the interval ``(k_{q-1}, k_q]`` of the baseline knots holding ``t``
(``k_0 = 0``, last interval open to infinity). Knots and follow-up times that differ only by
rounding are merged first (:mod:`alstrials.models.ties`), so an event at a knot is always in the
interval that the knot closes.

The rows ``x_i(t)``, ``z_i(t)`` at an arbitrary time are obtained by evaluating the formulaic
model specs of ``long_formula`` and ``random`` (built once from the longitudinal data, so
categorical levels and stateful transforms are frozen) on a frame holding the subject's first
longitudinal row with the time column replaced by ``t``. The time derivative rows
``x_i'(t)``, ``z_i'(t)`` (for the "slope" association) are central differences of those design
rows in ``t``; they are exact for designs polynomial in time up to degree 2 and accurate to
``O(h^2)`` otherwise.

References
----------
Rizopoulos, D. (2010). JM: An R package for the joint modelling of longitudinal and
time-to-event data. *Journal of Statistical Software*, 35(9), 1-33.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import model_matrix

from alstrials.errors import DataValidationError
from alstrials.models.formula import check_formula
from alstrials.models.joint.quadrature import legendre_on_intervals
from alstrials.models.ties import merge_close_times

__all__ = ["JointDesign", "build_design", "default_knots", "design_at_times"]


@dataclass(frozen=True)
class JointDesign:
    """All arrays the likelihood needs; subjects in the order of ``subject_ids``.

    Longitudinal rows are sorted by subject; ``obs_subject[j]`` is the subject index of row ``j``.
    Hazard-integral nodes are sorted by subject; ``node_subject[g]`` is the subject of node ``g``.
    """

    subject_ids: np.ndarray
    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    obs_subject: np.ndarray
    W: np.ndarray
    T: np.ndarray
    d: np.ndarray
    breaks: np.ndarray
    event_interval: np.ndarray
    Xt: np.ndarray
    Zt: np.ndarray
    Xt_d: np.ndarray
    Zt_d: np.ndarray
    node_subject: np.ndarray
    node_interval: np.ndarray
    node_weight: np.ndarray
    node_time: np.ndarray
    Xs: np.ndarray
    Zs: np.ndarray
    Xs_d: np.ndarray
    Zs_d: np.ndarray
    long_names: tuple[str, ...]
    random_names: tuple[str, ...]
    surv_names: tuple[str, ...]
    long_spec: Any
    random_spec: Any
    surv_spec: Any
    base_rows: pd.DataFrame
    time: str
    group: str
    response: str

    @property
    def n_subjects(self) -> int:
        return int(self.T.shape[0])

    @property
    def n_intervals(self) -> int:
        return int(self.breaks.shape[0] - 1)


def default_knots(times: np.ndarray, n_knots: int = 6) -> np.ndarray:
    """Internal knots at the ``k/(n_knots+1)`` quantiles of all observed times.

    This is JM's rule for ``method="piecewise-PH-aGH"`` (quantiles of the observed follow-up
    times, events and censorings together, duplicates dropped).

    Parameters
    ----------
    times : ndarray
        Observed (event or censoring) times, one per subject.
    n_knots : int
        Number of internal knots (JM's default: 6, i.e. 7 intervals).

    Returns
    -------
    ndarray
        Sorted unique internal knots, all below ``max(times)``.

    References
    ----------
    Rizopoulos, D. (2010). JM: An R package ... *J. Stat. Softw.* 35(9).

    Examples
    --------
    >>> default_knots([1.0, 2.0, 3.0, 4.0, 5.0], n_knots=3).tolist()
    [2.0, 3.0, 4.0]
    """
    t = np.asarray(times, dtype=float)
    probs = np.arange(1, n_knots + 1) / (n_knots + 1)
    k = np.unique(np.quantile(t, probs))
    return k[k < t.max()]


def _matrix(formula: str, data: pd.DataFrame, what: str) -> Any:
    try:
        return model_matrix(formula, data, na_action="raise")
    except Exception as exc:  # formulaic raises several types; all mean bad data/formula
        raise DataValidationError(
            f"cannot build the {what} design from formula {formula!r}: {exc}. "
            "Check that every variable exists and has no missing values.",
            table=what,
        ) from exc


def design_at_times(
    long_spec: Any,
    random_spec: Any,
    base: pd.DataFrame,
    times: np.ndarray,
    time: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``x(t), z(t), x'(t), z'(t)`` for subjects' baseline rows at the given times.

    Parameters
    ----------
    long_spec, random_spec : formulaic ModelSpec
        Specs of the fixed-effects and random-effects designs (from the fitting data).
    base : DataFrame
        One row per requested time: the subject's covariates (any time value).
    times : ndarray, shape (len(base),)
        Times at which to evaluate.
    time : str
        Name of the time column.

    Returns
    -------
    X, Z, X_d, Z_d : ndarray
        Designs and their time derivatives (central differences, step ``h``).
    """
    t = np.asarray(times, dtype=float)
    h = 1e-5 * (1.0 + np.max(np.abs(t), initial=0.0))
    frame = base.reset_index(drop=True).copy()

    def at(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frame[time] = tt
        xm = np.asarray(long_spec.get_model_matrix(frame, output="numpy"), dtype=float)
        zm = np.asarray(random_spec.get_model_matrix(frame, output="numpy"), dtype=float)
        return xm, zm

    X, Z = at(t)
    Xp, Zp = at(t + h)
    Xm, Zm = at(t - h)
    return X, Z, (Xp - Xm) / (2 * h), (Zp - Zm) / (2 * h)


def _reject_rows(
    frame: pd.DataFrame,
    group: str,
    mask: np.ndarray,
    column: str,
    message: Callable[[object, int, object], str],
) -> None:
    """Raise DataValidationError at the first row of the survival table flagged by ``mask``;
    ``message(subject, row, value)`` says what is wrong."""
    if not mask.any():
        return
    row = int(np.flatnonzero(mask)[0])
    subject = frame[group].iloc[row]
    raise DataValidationError(
        message(subject, row, frame[column].iloc[row]),
        table="survival",
        column=column,
        subject=subject,
        row=row,
    )


def build_design(
    longitudinal: pd.DataFrame,
    survival: pd.DataFrame,
    long_formula: str,
    random: str,
    group: str,
    time: str,
    surv_formula: str,
    duration: str,
    event: str,
    knots: np.ndarray | None,
    n_knots: int,
    gl_points: int,
) -> JointDesign:
    """Validate the two frames and build every design array (see module docstring)."""
    # formulaic evaluates Python in formulas: only the restricted grammar gets through
    check_formula(long_formula, what="long_formula")
    check_formula(random, what="random")
    check_formula(surv_formula, what="surv_formula")
    for table, frame, cols in (
        ("longitudinal", longitudinal, (group, time)),
        ("survival", survival, (group, duration, event)),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(f"{table} must be a pandas DataFrame", table=table)
        for c in cols:
            if c not in frame.columns:
                raise DataValidationError(
                    f"{table} table has no column {c!r}; columns are {list(frame.columns)}",
                    table=table,
                    column=c,
                )
    surv = survival.reset_index(drop=True)
    _reject_rows(
        surv,
        group,
        surv[group].duplicated().to_numpy(),
        group,
        lambda subject, row, value: (
            f"survival table must have one row per subject; subject "
            f"{subject!r} repeats (row {row}, column {group!r})"
        ),
    )
    T = pd.to_numeric(surv[duration], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(T) | (T <= 0)
    _reject_rows(
        surv,
        group,
        bad,
        duration,
        lambda subject, row, value: (
            f"survival column {duration!r} must be positive and "
            f"finite; subject {subject!r} (row {row}) has {value!r}"
        ),
    )
    d_raw = surv[event]
    d = pd.to_numeric(d_raw.astype("float") if d_raw.dtype == bool else d_raw, errors="coerce")
    d = d.to_numpy(dtype=float)
    badd = ~np.isin(d, (0.0, 1.0))
    _reject_rows(
        surv,
        group,
        badd,
        event,
        lambda subject, row, value: (
            f"survival column {event!r} must be 0/1 or boolean; "
            f"subject {subject!r} (row {row}) has {value!r}"
        ),
    )
    if d.sum() == 0:
        raise DataValidationError(
            f"survival column {event!r} has no events; the survival submodel and the "
            "association cannot be estimated",
            table="survival",
            column=event,
        )
    ids = surv[group].to_numpy()
    long_ids = set(pd.unique(longitudinal[group]))
    missing = [s for s in ids if s not in long_ids]
    extra = sorted(long_ids - set(ids), key=str)
    if missing or extra:
        who = missing[:3] if missing else extra[:3]
        where = "have no longitudinal rows" if missing else "are not in the survival table"
        raise DataValidationError(
            f"subjects must match between the tables: subject(s) {who} {where} "
            f"(column {group!r}); drop them or add the missing rows",
            table="survival" if missing else "longitudinal",
            column=group,
            subject=who[0],
        )
    pos = {s: i for i, s in enumerate(ids)}
    long = longitudinal.copy()
    long["_row"] = np.arange(len(long))
    long["_subj"] = long[group].map(pos).astype(int)
    long = long.sort_values(["_subj", time], kind="stable").reset_index(drop=True)
    tvals = pd.to_numeric(long[time], errors="coerce").to_numpy(dtype=float)
    # a measurement at the event time up to rounding is at the event time (models.ties)
    tcheck, tend = merge_close_times(tvals, T)
    late = ~np.isfinite(tvals) | (tcheck > tend[long["_subj"].to_numpy()]) | (tvals < 0)
    if late.any():
        j = int(np.flatnonzero(late)[0])
        raise DataValidationError(
            f"longitudinal row {int(long['_row'].iloc[j])} (subject {long[group].iloc[j]!r}, "
            f"column {time!r} = {long[time].iloc[j]!r}) is missing, negative or after the "
            "subject's event/censoring time; remove measurements taken after follow-up ends",
            table="longitudinal",
            column=time,
            subject=long[group].iloc[j],
            row=int(long["_row"].iloc[j]),
        )
    mm = _matrix(long_formula, long, "longitudinal")
    if not hasattr(mm, "lhs"):
        raise DataValidationError(
            f"long_formula {long_formula!r} needs a response, e.g. 'y ~ time'",
            table="longitudinal",
        )
    y = np.asarray(mm.lhs, dtype=float).ravel()
    X = np.asarray(mm.rhs, dtype=float)
    zm = _matrix(random, long, "longitudinal")
    if hasattr(zm, "lhs"):
        raise DataValidationError(
            f"random {random!r} must be one-sided, e.g. '~ time'", table="longitudinal"
        )
    Z = np.asarray(zm, dtype=float)
    obs_subject = long["_subj"].to_numpy()
    base = long.drop_duplicates("_subj").sort_values("_subj").reset_index(drop=True)
    sm = _matrix(surv_formula, surv, "survival")
    if hasattr(sm, "lhs"):
        raise DataValidationError(
            f"surv_formula {surv_formula!r} must be one-sided, e.g. '~ arm'", table="survival"
        )
    keep = [c for c in sm.columns if c != "Intercept"]
    W = np.asarray(sm[keep], dtype=float).reshape(len(surv), len(keep))

    if knots is None:
        k = default_knots(T, n_knots)
    else:
        k = np.unique(np.asarray(knots, dtype=float))
        if np.any(~np.isfinite(k)) or np.any(k <= 0):
            raise DataValidationError("knots must be finite and positive", column="knots")
    # a knot equal to an observed time up to rounding is that time (alstrials.models.ties), so
    # which interval holds an event at a knot does not depend on how the knot was computed
    T, k = merge_close_times(T, k)
    k = np.unique(k)
    k = k[k < T.max()] if knots is None else k
    breaks = np.concatenate([[0.0], k, [np.inf]])
    event_interval = np.clip(np.searchsorted(breaks, T, side="left") - 1, 0, len(k))

    lower = np.broadcast_to(breaks[:-1], (len(T), len(breaks) - 1))
    upper = np.minimum(breaks[1:][None, :], T[:, None])
    si, qi = np.nonzero(upper > lower)
    nodes, weights = legendre_on_intervals(lower[si, qi], upper[si, qi], gl_points)
    node_subject = np.repeat(si, gl_points)
    node_interval = np.repeat(qi, gl_points)
    node_time = nodes.ravel()
    node_weight = weights.ravel()

    Xt, Zt, Xt_d, Zt_d = design_at_times(mm.rhs.model_spec, zm.model_spec, base, T, time)
    Xs, Zs, Xs_d, Zs_d = design_at_times(
        mm.rhs.model_spec, zm.model_spec, base.iloc[node_subject], node_time, time
    )
    return JointDesign(
        subject_ids=ids,
        y=y,
        X=X,
        Z=Z,
        obs_subject=obs_subject,
        W=W,
        T=T,
        d=d,
        breaks=breaks,
        event_interval=event_interval,
        Xt=Xt,
        Zt=Zt,
        Xt_d=Xt_d,
        Zt_d=Zt_d,
        node_subject=node_subject,
        node_interval=node_interval,
        node_weight=node_weight,
        node_time=node_time,
        Xs=Xs,
        Zs=Zs,
        Xs_d=Xs_d,
        Zs_d=Zs_d,
        long_names=tuple(mm.rhs.columns),
        random_names=tuple(zm.columns),
        surv_names=tuple(keep),
        long_spec=mm.rhs.model_spec,
        random_spec=zm.model_spec,
        surv_spec=sm.model_spec,
        base_rows=base.drop(columns=["_row", "_subj"]),
        time=time,
        group=group,
        response=str(mm.lhs.columns[0]),
    )

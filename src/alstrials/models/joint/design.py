"""Design arrays of the joint model, built once from the user's data frames.

Longitudinal submodels (one per marker ``m``, Laird-Ware):

    y_mij = x_mi(t_mij)' beta_m + z_mi(t_mij)' b_mi + e_mij,   e_mij ~ N(0, sigma_m^2),

with ``b_i = (b_1i, ..., b_Mi) ~ N(0, D)``, ``D`` unstructured across markers. The
observations of all markers are stacked, sorted by subject; ``X`` and ``Z`` are full width
(columns of the other markers are zero), so ``X @ beta`` and ``Z @ b`` need no marker logic.

Cause-specific hazards (one per cause ``c``):

    h_ic(t) = h_0c(t) exp(w_i' gamma_c + sum_{(m, f) in terms_c} alpha_cmf f_mi(t)),

where the functional form ``f`` is the current value ``m_mi(t) = x_mi(t)' beta_m + z_mi(t)'
b_mi``, its slope ``m_mi'(t)`` or its area ``int_0^t m_mi(s) ds``. Each form is linear in
``(beta, b)``, with design rows ``x^f(t), z^f(t)``: the value rows are the formula's rows at
``t``; the slope rows central differences in ``t`` (exact for designs polynomial in time up to
degree 2); the area rows a Gauss-Legendre integral over ``[0, t]`` (``area_points`` nodes,
exact for polynomial designs up to degree ``2 area_points - 1``).

The rows at an arbitrary time come from each marker's formulaic model specs (frozen on the
fitting data, so categorical levels and stateful transforms are fixed), evaluated on the
subject's first row of that marker (or, for a subject with no measurement of it, the
subject's first row of any marker) with the time column replaced.

Cumulative hazards ``int_0^T h_ic(s) ds`` use Gauss-Legendre nodes on the pieces of
``[0, T_i]`` cut at the integration breaks: the union of every cause's piecewise and spline
knots (or, with only Weibull baselines, JM's default quantile knots). With a Weibull
baseline, whose hazard ``kappa s^(kappa-1)`` is singular (or not smooth) at 0, the first piece
``[0, k_1]`` uses the graded rule ``s = k_1 u^3`` (:func:`~.quadrature.graded_legendre`).
Knots and follow-up times that differ only by rounding are merged first
(:mod:`alstrials.models.ties`).

References
----------
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*. Chapman & Hall.
Papageorgiou, G., Mauff, K., Tomer, A., Rizopoulos, D. (2019). An overview of joint modeling
of time-to-event and longitudinal outcomes. *Annu. Rev. Stat. Appl.* 6, 223-240.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from formulaic import model_matrix
from numpy.polynomial.legendre import leggauss

from alstrials.errors import DataValidationError
from alstrials.models.joint.baselines import BaselineSpec, BoundBaseline, bind_baseline
from alstrials.models.joint.data import SurvivalTable, marker_frames
from alstrials.models.joint.quadrature import graded_legendre, legendre_on_intervals
from alstrials.models.joint.spec import ModelSpec
from alstrials.models.ties import merge_close_times

__all__ = ["JointDesign", "MarkerDesign", "build_design", "form_rows"]


@dataclass(frozen=True)
class MarkerDesign:
    """What prediction needs to rebuild one marker's rows for a new subject."""

    name: str
    long_spec: Any
    random_spec: Any
    long_names: tuple[str, ...]
    random_names: tuple[str, ...]
    n_obs: int


@dataclass(frozen=True)
class JointDesign:
    """All arrays the likelihood needs; subjects in the order of ``subject_ids``."""

    spec: ModelSpec
    subject_ids: np.ndarray
    group: str
    time: str
    markers: tuple[MarkerDesign, ...]
    y: np.ndarray
    X: np.ndarray  # (N, P) full width
    Z: np.ndarray  # (N, Q) full width
    obs_subject: np.ndarray
    obs_marker: np.ndarray
    T: np.ndarray
    d: np.ndarray  # (n, C) event of each cause
    W: tuple[np.ndarray, ...]  # by cause
    surv_names: tuple[tuple[str, ...], ...]
    surv_specs: tuple[Any, ...]
    baselines: tuple[BoundBaseline, ...]
    breaks: np.ndarray  # integration breaks 0, ..., inf
    node_subject: np.ndarray
    node_time: np.ndarray
    log_node_weight: np.ndarray
    terms: tuple[tuple[int, str], ...]
    XT: tuple[np.ndarray, ...]  # by term: (n, P)
    ZT: tuple[np.ndarray, ...]  # (n, Q)
    XS: tuple[np.ndarray, ...]  # (G, P)
    ZS: tuple[np.ndarray, ...]  # (G, Q)
    base_rows: tuple[pd.DataFrame, ...]  # by marker, one row per subject
    gl_points: int
    area_points: int

    @property
    def n_subjects(self) -> int:
        return int(self.T.shape[0])

    @property
    def p_sizes(self) -> tuple[int, ...]:
        return tuple(len(m.long_names) for m in self.markers)

    @property
    def q_sizes(self) -> tuple[int, ...]:
        return tuple(len(m.random_names) for m in self.markers)

    def term_index(self, term: tuple[int, str]) -> int:
        return self.terms.index(term)


def _matrix(formula: str, data: pd.DataFrame, what: str) -> Any:
    try:
        return model_matrix(formula, data, na_action="raise")
    except Exception as exc:  # formulaic raises several types; all mean bad data/formula
        raise DataValidationError(
            f"cannot build the {what} design from formula {formula!r}: {exc}. "
            "Check that every variable exists and has no missing values.",
            table=what,
        ) from exc


def _rows(spec: Any, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(spec.get_model_matrix(frame, output="numpy"), dtype=float)


def form_rows(
    marker: MarkerDesign,
    base: pd.DataFrame,
    times: np.ndarray,
    time: str,
    form: str,
    area_points: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Design rows ``x^f(t), z^f(t)`` of one marker for the given functional form.

    Parameters
    ----------
    marker : MarkerDesign
        The marker's frozen model specs.
    base : DataFrame
        One row per requested time with the subject's covariates (any time value).
    times : ndarray
        Times ``t``.
    time : str
        Time column.
    form : {"value", "slope", "area"}
        Current value, slope (central differences) or area over ``[0, t]`` (Gauss-Legendre).
    area_points : int
        Gauss-Legendre nodes of the area integral.
    """
    t = np.asarray(times, dtype=float)
    frame = base.reset_index(drop=True).copy()

    def at(tt: np.ndarray, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        rows = rows.copy()
        rows[time] = tt
        return _rows(marker.long_spec, rows), _rows(marker.random_spec, rows)

    if form == "value":
        return at(t, frame)
    if form == "slope":
        h = 1e-5 * (1.0 + np.max(np.abs(t), initial=0.0))
        (xp, zp), (xm, zm) = at(t + h, frame), at(t - h, frame)
        return (xp - xm) / (2 * h), (zp - zm) / (2 * h)
    x, w = leggauss(area_points)
    s = 0.5 * t[:, None] * (x[None, :] + 1.0)  # (len(t), k)
    rep = frame.iloc[np.repeat(np.arange(len(frame)), area_points)]
    xs, zs = at(s.ravel(), rep)
    wt = (0.5 * t[:, None] * w[None, :]).ravel()[:, None]
    k = area_points
    return (
        (xs * wt).reshape(len(t), k, -1).sum(axis=1),
        (zs * wt).reshape(len(t), k, -1).sum(axis=1),
    )


def _widen(block: np.ndarray, offset: int, width: int) -> np.ndarray:
    out = np.zeros((block.shape[0], width))
    out[:, offset : offset + block.shape[1]] = block
    return out


def _baseline_specs(
    spec: ModelSpec,
    T: np.ndarray,
    knots: Any,
    boundary_knots: Any,
    n_knots: int,
) -> tuple[np.ndarray, list[BaselineSpec]]:
    """Each cause's baseline spec; ``T`` with times within rounding of a knot merged."""
    out = []
    for c in spec.causes:
        given = knots.get(c.name) if isinstance(knots, Mapping) else knots
        if given is None:
            k = default_internal(T, c.baseline, n_knots)
        else:
            k = np.unique(np.asarray(given, dtype=float).ravel())
            if np.any(~np.isfinite(k)) or np.any(k <= 0):
                raise DataValidationError("knots must be finite and positive", column="knots")
        T, k = merge_close_times(T, k)
        k = np.unique(k)
        if given is None:
            k = k[k < T.max()]
        bnd = boundary_knots.get(c.name) if isinstance(boundary_knots, Mapping) else boundary_knots
        lo, hi = (0.0, float(T.max())) if bnd is None else (float(bnd[0]), float(bnd[1]))
        if c.baseline == "spline" and not (
            lo < (k.min() if k.size else hi) and hi >= k.max(initial=lo)
        ):
            raise DataValidationError(
                f"spline boundary knots ({lo:g}, {hi:g}) must enclose the internal knots"
            )
        out.append(
            BaselineSpec(c.baseline, k if c.baseline != "weibull" else np.array([]), (lo, hi))
        )
    return T, out


def default_internal(T: np.ndarray, kind: str, n_knots: int) -> np.ndarray:
    """Default internal knots: piecewise ``n_knots`` (6) quantiles; spline 5 quantiles."""
    from alstrials.models.joint.baselines import default_knots

    if kind == "spline":
        return default_knots(T, 5)
    if kind == "piecewise":
        return default_knots(T, n_knots)
    return np.array([])


def build_design(
    longitudinal: Any,
    surv: SurvivalTable,
    spec: ModelSpec,
    time: str,
    knots: Any,
    boundary_knots: Any,
    n_knots: int,
    gl_points: int,
    area_points: int,
) -> JointDesign:
    """Validate the longitudinal data against the survival table and build every array."""
    frames = marker_frames(longitudinal, spec, surv, time)
    n = len(surv.ids)
    markers, ys, Xs, Zs, subj, mark = [], [], [], [], [], []
    for m, (ms, frame) in enumerate(zip(spec.markers, frames, strict=True)):
        mm = _matrix(ms.long_formula, frame, f"longitudinal ({ms.name})")
        zm = _matrix(ms.random, frame, f"longitudinal ({ms.name})")
        if hasattr(zm, "lhs"):
            raise DataValidationError(
                f"random {ms.random!r} must be one-sided, e.g. '~ time'", table="longitudinal"
            )
        markers.append(
            MarkerDesign(
                ms.name,
                mm.rhs.model_spec,
                zm.model_spec,
                tuple(mm.rhs.columns),
                tuple(zm.columns),
                len(frame),
            )
        )
        ys.append(np.asarray(mm.lhs, dtype=float).ravel())
        Xs.append(np.asarray(mm.rhs, dtype=float))
        Zs.append(np.asarray(zm, dtype=float))
        subj.append(frame["_subj"].to_numpy())
        mark.append(np.full(len(frame), m))
    p_off = np.r_[0, np.cumsum([x.shape[1] for x in Xs])]
    q_off = np.r_[0, np.cumsum([z.shape[1] for z in Zs])]
    P, Q = int(p_off[-1]), int(q_off[-1])
    obs_subject = np.concatenate(subj)
    order = np.argsort(obs_subject, kind="stable")
    X = np.vstack([_widen(x, p_off[m], P) for m, x in enumerate(Xs)])[order]
    Z = np.vstack([_widen(z, q_off[m], Q) for m, z in enumerate(Zs)])[order]
    y = np.concatenate(ys)[order]
    obs_marker = np.concatenate(mark)[order]
    obs_subject = obs_subject[order]
    present = np.bincount(obs_subject, minlength=n) > 0
    if not present.all():
        who = surv.ids[~present][:3].tolist()
        raise DataValidationError(
            f"subject(s) {who} have no longitudinal measurement of any marker "
            f"(column {surv.group!r}); drop them or add their measurements",
            table="survival",
            column=surv.group,
            subject=who[0],
        )
    base_rows = tuple(_base_rows(frames, m, n, time) for m in range(len(frames)))

    T, bspecs = _baseline_specs(spec, surv.T, knots, boundary_knots, n_knots)
    inner = [b.knots for b in bspecs if b.kind != "weibull" and b.knots.size]
    cuts = np.unique(np.concatenate(inner)) if inner else default_internal(T, "piecewise", 6)
    breaks = np.concatenate([[0.0], cuts, [np.inf]])
    lower = np.broadcast_to(breaks[:-1], (n, len(breaks) - 1))
    upper = np.minimum(breaks[1:][None, :], T[:, None])
    si, qi = np.nonzero(upper > lower)
    nodes, weights = legendre_on_intervals(lower[si, qi], upper[si, qi], gl_points)
    if any(b.kind == "weibull" for b in bspecs):  # s^(kappa-1) at 0: a graded first piece
        first = qi == 0
        nodes[first], weights[first] = graded_legendre(upper[si, qi][first], gl_points)
    node_subject = np.repeat(si, gl_points)
    node_time = nodes.ravel()
    log_node_weight = np.log(weights.ravel())

    terms = tuple(sorted({t for c in spec.causes for t in c.terms}, key=_term_key))
    XT, ZT, XS, ZS = [], [], [], []
    for m, form in terms:
        mk, base = markers[m], base_rows[m]
        xt, zt = _safe_rows(mk, base, T, time, form, area_points)
        xs, zs = _safe_rows(mk, base.iloc[node_subject], node_time, time, form, area_points)
        XT.append(_widen(xt, p_off[m], P))
        ZT.append(_widen(zt, q_off[m], Q))
        XS.append(_widen(xs, p_off[m], P))
        ZS.append(_widen(zs, q_off[m], Q))
    W, names, sspecs = [], [], []
    for c in spec.causes:
        sm = _matrix(c.surv_formula, surv.frame, "survival")
        keep = [col for col in sm.columns if col != "Intercept"]
        W.append(np.asarray(sm[keep], dtype=float).reshape(n, len(keep)))
        names.append(tuple(keep))
        sspecs.append(sm.model_spec)
    return JointDesign(
        spec=spec,
        subject_ids=surv.ids,
        group=surv.group,
        time=time,
        markers=tuple(markers),
        y=y,
        X=X,
        Z=Z,
        obs_subject=obs_subject,
        obs_marker=obs_marker,
        T=T,
        d=surv.d,
        W=tuple(W),
        surv_names=tuple(names),
        surv_specs=tuple(sspecs),
        baselines=tuple(bind_baseline(b, T, node_time) for b in bspecs),
        breaks=breaks,
        node_subject=node_subject,
        node_time=node_time,
        log_node_weight=log_node_weight,
        terms=terms,
        XT=tuple(XT),
        ZT=tuple(ZT),
        XS=tuple(XS),
        ZS=tuple(ZS),
        base_rows=base_rows,
        gl_points=gl_points,
        area_points=area_points,
    )


def _term_key(term: tuple[int, str]) -> tuple[int, int]:
    return term[0], ("value", "slope", "area").index(term[1])


def _safe_rows(mk, base, times, time, form, area_points):
    try:
        return form_rows(mk, base, times, time, form, area_points)
    except DataValidationError:
        raise
    except Exception as exc:  # formulaic: a covariate missing for a subject without visits
        raise DataValidationError(
            f"cannot evaluate the design of marker {mk.name!r} over time: {exc}. Every "
            "subject needs the covariates of the marker's formulas (for a subject without "
            "measurements of this marker they are taken from its other markers' rows)",
            table="longitudinal",
        ) from exc


def _base_rows(frames: list[pd.DataFrame], m: int, n: int, time: str) -> pd.DataFrame:
    """First row of marker ``m`` per subject; the first row of any marker where it has none."""
    own = frames[m].drop_duplicates("_subj").set_index("_subj")
    if len(own) == n:
        return own.sort_index().reset_index(drop=True)
    pooled = pd.concat(frames, ignore_index=True, sort=False)
    pooled = pooled.sort_values(["_subj", time], kind="stable").drop_duplicates("_subj")
    pooled = pooled.set_index("_subj")
    out = own.reindex(range(n))
    missing = out.index[out["_row"].isna()]
    out.loc[missing, pooled.columns.intersection(out.columns)] = pooled.loc[
        missing, pooled.columns.intersection(out.columns)
    ]
    return out.reset_index(drop=True)

r"""Statistical information for ALS endpoints at a data cut-off, and when planned looks occur.

Time-to-event endpoints (log-rank / Cox)
    With :math:`d` events and a fraction :math:`p` randomised to the active arm,
    :math:`I = d\,p(1-p)` (so :math:`SE(\log\widehat{HR}) = I^{-1/2}`) and the information
    fraction is :math:`d / d_{max}`.

Slope of ALSFRS-R under a linear mixed model
    Subject :math:`i` (arm :math:`a_i \in \{0, 1\}`) has visits at months :math:`t_{ij}` since
    baseline and

    .. math::

        y_{ij} = \beta_0 + \beta_1 t_{ij} + \beta_2 a_i t_{ij} + u_{0i} + u_{1i} t_{ij}
                 + \varepsilon_{ij},\quad
        (u_{0i}, u_{1i}) \sim N\Big(0, G = \begin{pmatrix}\sigma^2_{int} & \sigma_{01}\\
        \sigma_{01} & \sigma^2_{slope}\end{pmatrix}\Big),\quad
        \varepsilon_{ij} \sim N(0, \sigma^2_{resid}).

    (with ``common_intercept=False`` each arm has its own intercept). With
    :math:`Z_i = [1, t_{ij}]`, :math:`V_i = Z_i G Z_i^\top + \sigma^2 I` and
    :math:`X_i = Z_i A_i` (:math:`A_i` maps the fixed effects to the subject's intercept and
    slope), the GLS information is :math:`M = \sum_i A_i^\top Z_i^\top V_i^{-1} Z_i A_i` with

    .. math:: Z_i^\top V_i^{-1} Z_i = W_i (I + G W_i)^{-1},\qquad W_i = Z_i^\top Z_i / \sigma^2,

    which needs only :math:`n_i, \sum_j t_{ij}, \sum_j t_{ij}^2` of the visits seen. The
    information for the slope difference :math:`\beta_2` is :math:`1/(M^{-1})_{\beta_2\beta_2}`.
    A visit is observed by calendar cut-off :math:`c` when
    :math:`e_i + t_{ij} \le c` (:math:`e_i` the enrolment month) and :math:`t_{ij}` does not
    exceed the subject's dropout/death month. With an exponential dropout rate :math:`\lambda`,
    the expected information replaces each visit's increment of :math:`M` by
    :math:`e^{-\lambda t_{ij}}` times it (the probability that the subject is still followed).

The information is a step function of calendar time; the projection of planned looks returns
the first calendar month at which each information fraction is reached.

References
----------
Jennison, C. & Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical
Trials. Chapman & Hall/CRC, chapter 7 (information-based monitoring).

Lan, K. K. G. & DeMets, D. L. (1983). Biometrika 70, 659-663.

Laird, N. M. & Ware, J. H. (1982). Random-effects models for longitudinal data. Biometrics 38,
963-974.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alstrials._results import ResultMixin
from alstrials.errors import DesignError

__all__ = [
    "events_information",
    "slope_information",
    "slope_information_path",
    "project_looks",
    "planned_visits",
    "SlopeInformation",
]


def events_information(events: float | Sequence[float], allocation: float = 0.5) -> np.ndarray:
    """Information of the log-rank statistic, :math:`I = d\\,p(1-p)`.

    Parameters
    ----------
    events : float or sequence of float
        Number(s) of events.
    allocation : float
        Fraction randomised to the active arm.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Jennison & Turnbull (2000), section 3.7.

    Examples
    --------
    >>> events_information([100, 200]).tolist()
    [25.0, 50.0]
    """
    d = np.atleast_1d(np.asarray(events, dtype=float))
    if np.any(d < 0) or not 0 < allocation < 1:
        raise DesignError("events must be >= 0 and allocation in (0, 1).")
    return d * allocation * (1 - allocation)


def planned_visits(subjects: pd.DataFrame, schedule: Sequence[float]) -> pd.DataFrame:
    """Every subject visited at every month of ``schedule`` (columns ``subject_id months``).

    Examples
    --------
    >>> s = pd.DataFrame({"subject_id": [1, 2], "enrollment_month": [0, 3],
    ...                   "arm": ["placebo", "active"]})
    >>> len(planned_visits(s, [0, 3, 6]))
    6
    """
    sch = np.asarray(schedule, dtype=float)
    if sch.size == 0 or np.any(sch < 0):
        raise DesignError("schedule needs at least one visit month, all >= 0.")
    ids = np.repeat(subjects["subject_id"].to_numpy(), sch.size)
    return pd.DataFrame({"subject_id": ids, "months": np.tile(sch, len(subjects))})


@dataclass(frozen=True)
class _Prepared:
    arm: np.ndarray  # per visit, 0/1
    months: np.ndarray  # per visit
    calendar: np.ndarray  # per visit: enrolment + months
    delta: np.ndarray  # per visit: increment of the information matrix, (n, p, p)
    contrast: np.ndarray
    sid: np.ndarray  # per visit: subject_id


def _params(
    sig2_int: float, sig2_slope: float, cov_int_slope: float, sig2_resid: float
) -> np.ndarray:
    if sig2_int < 0 or sig2_slope < 0 or sig2_resid <= 0:
        raise DesignError("variances must be >= 0 (sig2_int, sig2_slope) and sig2_resid > 0.")
    if cov_int_slope**2 > sig2_int * sig2_slope + 1e-12:
        raise DesignError(
            "cov_int_slope^2 must not exceed sig2_int * sig2_slope "
            "(G must be positive semi-definite)."
        )
    return np.array([[sig2_int, cov_int_slope], [cov_int_slope, sig2_slope]], float)


def _prepare(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    active: str,
    G: np.ndarray,
    sig2_resid: float,
    common_intercept: bool,
    dropout_col: str | None,
    dropout_rate: float,
) -> _Prepared:
    for col in ("subject_id", "enrollment_month", "arm"):
        if col not in subjects.columns:
            raise DesignError(f"subjects table needs column {col!r}.")
    for col in ("subject_id", "months"):
        if col not in visits.columns:
            raise DesignError(f"visits table needs column {col!r}.")
    if subjects["subject_id"].duplicated().any():
        raise DesignError("subjects table has duplicated subject_id values; one row per subject.")
    arms = set(subjects["arm"].unique())
    if active not in arms or len(arms) != 2:
        raise DesignError(
            f"subjects.arm must have two arms including active={active!r}; got {sorted(arms)}."
        )
    if dropout_rate < 0:
        raise DesignError(f"dropout_rate must be >= 0, got {dropout_rate!r}.")
    sub = subjects.set_index("subject_id")
    unknown = ~visits["subject_id"].isin(sub.index)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DesignError(
            f"visits row {row}: subject_id {visits['subject_id'].iloc[row]!r} is not in subjects."
        )
    v = visits[["subject_id", "months"]].copy()
    if v["months"].isna().any() or (v["months"] < 0).any():
        raise DesignError("visits.months must be non-missing and >= 0.")
    v["enrol"] = sub.loc[v["subject_id"], "enrollment_month"].to_numpy(float)
    v["arm"] = (sub.loc[v["subject_id"], "arm"].to_numpy() == active).astype(float)
    if dropout_col is not None:
        if dropout_col not in sub.columns:
            raise DesignError(f"subjects table has no dropout column {dropout_col!r}.")
        drop = sub.loc[v["subject_id"], dropout_col].to_numpy(float)
        v = v[~(v["months"].to_numpy() > np.nan_to_num(drop, nan=np.inf))]
    v = v.sort_values(["subject_id", "months"], kind="stable")
    t = v["months"].to_numpy(float)
    grp = v["subject_id"].to_numpy()
    new = np.r_[True, grp[1:] != grp[:-1]]
    starts = np.flatnonzero(new)

    def prefix(x: np.ndarray) -> np.ndarray:  # cumulative sum within subject
        c = np.cumsum(x)
        base = np.repeat(c[starts] - x[starts], np.diff(np.r_[starts, x.size]))
        return c - base

    n, s1, s2 = prefix(np.ones_like(t)), prefix(t), prefix(t * t)
    W = np.empty((t.size, 2, 2))
    W[:, 0, 0], W[:, 0, 1], W[:, 1, 0], W[:, 1, 1] = n, s1, s1, s2
    W /= sig2_resid
    Q = W @ np.linalg.inv(np.eye(2) + G @ W)
    dQ = Q.copy()
    dQ[~new] -= Q[np.flatnonzero(~new) - 1]
    arm = v["arm"].to_numpy()
    if common_intercept:  # beta = (intercept, slope, slope:arm)
        A = np.zeros((t.size, 2, 3))
        A[:, 0, 0], A[:, 1, 1], A[:, 1, 2] = 1.0, 1.0, arm
        contrast = np.array([0.0, 0.0, 1.0])
    else:  # beta = (int_p, int_a, slope_p, slope_a)
        A = np.zeros((t.size, 2, 4))
        A[:, 0, 0], A[:, 0, 1] = 1 - arm, arm
        A[:, 1, 2], A[:, 1, 3] = 1 - arm, arm
        contrast = np.array([0.0, 0.0, -1.0, 1.0])
    delta = np.transpose(A, (0, 2, 1)) @ dQ @ A
    if dropout_rate > 0:
        delta *= np.exp(-dropout_rate * t)[:, None, None]
    return _Prepared(arm, t, v["enrol"].to_numpy(float) + t, delta, contrast, grp)


def _info_from_matrix(M: np.ndarray, c: np.ndarray) -> np.ndarray:
    """1 / (c' M^{-1} c) for a stack of information matrices (0 where not estimable)."""
    if M.ndim == 2:
        M = M[None]
    out = np.zeros(M.shape[0])
    ok = np.linalg.matrix_rank(M, tol=1e-10) == M.shape[1]
    if ok.any():
        x = np.linalg.solve(M[ok], np.broadcast_to(c, (int(ok.sum()), c.size))[..., None])[..., 0]
        out[ok] = 1.0 / (x @ c)
    return out


@dataclass(frozen=True, repr=False)
class SlopeInformation(ResultMixin):
    """Information for the slope difference (active minus placebo) at a cut-off.

    Attributes
    ----------
    cutoff : float
        Calendar month of the data cut-off (inf: complete follow-up).
    information : float
        1 / Var(slope difference), per month^2 units of the outcome.
    se : float
        Standard error of the slope difference.
    n_subjects, n_visits : dict
        Subjects with at least one visit, and visits, per arm label.
    """

    cutoff: float
    information: float
    se: float
    n_subjects: dict[str, int]
    n_visits: dict[str, int]
    converged: bool = True

    def summary(self) -> pd.DataFrame:
        """One row: cutoff, information, se and counts per arm."""
        row: dict[str, float] = {
            "cutoff": self.cutoff,
            "information": self.information,
            "se": self.se,
        }
        for k, v in self.n_subjects.items():
            row[f"subjects_{k}"] = v
        for k, v in self.n_visits.items():
            row[f"visits_{k}"] = v
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        return (
            f"SlopeInformation(cutoff={self.cutoff:g}, information={self.information:.4g}, "
            f"se={self.se:.4g}, subjects={sum(self.n_subjects.values())}, "
            f"visits={sum(self.n_visits.values())})"
        )


def slope_information(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
    cutoff: float | None = None,
    active: str = "active",
    common_intercept: bool = True,
    dropout_col: str | None = None,
    dropout_rate: float = 0.0,
) -> SlopeInformation:
    """Information for the LMM slope difference from the visits observed by a cut-off.

    Parameters
    ----------
    subjects : pandas.DataFrame
        One row per subject: ``subject_id``, ``arm``, ``enrollment_month`` (calendar months), and
        optionally a dropout/death month since baseline (``dropout_col``).
    visits : pandas.DataFrame
        ``subject_id``, ``months`` since baseline: observed or planned visits
        (see :func:`planned_visits`).
    sig2_slope, sig2_resid, sig2_int, cov_int_slope : float
        Variance components (random slope, residual, random intercept, their covariance).
    cutoff : float, optional
        Calendar month of the data cut-off; None for complete follow-up.
    active : str
        Label of the active arm in ``subjects.arm`` (the other arm is the reference).
    common_intercept : bool
        One intercept for both arms (randomised trial, model ``y ~ months + months:arm``);
        False gives arm-specific intercepts.
    dropout_col : str, optional
        Column of ``subjects`` with the month since baseline after which a subject has no more
        visits (dropout or death); NaN for none.
    dropout_rate : float
        Exponential dropout hazard per month for the expected information (0: none).

    Returns
    -------
    SlopeInformation

    References
    ----------
    Laird & Ware (1982); Jennison & Turnbull (2000), chapter 7.

    Examples
    --------
    >>> s = pd.DataFrame({"subject_id": range(40), "arm": ["placebo", "active"] * 20,
    ...                   "enrollment_month": np.arange(40) / 4})
    >>> v = planned_visits(s, [0, 3, 6, 9, 12])
    >>> info = slope_information(s, v, sig2_slope=0.3, sig2_resid=4.0, sig2_int=20.0, cutoff=12)
    >>> 0 < info.information < slope_information(s, v, sig2_slope=0.3, sig2_resid=4.0,
    ...                                         sig2_int=20.0).information
    True
    """
    G = _params(sig2_int, sig2_slope, cov_int_slope, sig2_resid)
    p = _prepare(
        subjects, visits, active, G, sig2_resid, common_intercept, dropout_col, dropout_rate
    )
    c = np.inf if cutoff is None else float(cutoff)
    seen = p.calendar <= c
    info = float(_info_from_matrix(p.delta[seen].sum(axis=0), p.contrast)[0])
    ref = next(a for a in subjects["arm"].unique() if a != active)
    n_subj, n_vis = {}, {}
    for label, flag in ((ref, 0.0), (active, 1.0)):
        sel = seen & (p.arm == flag)
        n_vis[str(label)] = int(sel.sum())
        n_subj[str(label)] = int(np.unique(p.sid[sel]).size)
    return SlopeInformation(
        c, info, float(1 / np.sqrt(info)) if info > 0 else np.inf, n_subj, n_vis
    )


def slope_information_path(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    *,
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
    active: str = "active",
    common_intercept: bool = True,
    dropout_col: str | None = None,
    dropout_rate: float = 0.0,
    max_information: float | None = None,
) -> pd.DataFrame:
    """Information for the slope difference as a function of the calendar cut-off.

    Parameters are those of :func:`slope_information`; ``max_information`` is the denominator
    of the fraction (default: the information at complete follow-up).

    Returns
    -------
    pandas.DataFrame
        One row per calendar month at which a visit happens: ``calendar_month information
        fraction`` (non-decreasing).

    Examples
    --------
    >>> s = pd.DataFrame({"subject_id": range(20), "arm": ["placebo", "active"] * 10,
    ...                   "enrollment_month": np.arange(20) / 2})
    >>> path = slope_information_path(s, planned_visits(s, [0, 6, 12]), sig2_slope=0.3,
    ...                               sig2_resid=4.0, sig2_int=20.0)
    >>> float(path["fraction"].iloc[-1])
    1.0
    """
    G = _params(sig2_int, sig2_slope, cov_int_slope, sig2_resid)
    p = _prepare(
        subjects, visits, active, G, sig2_resid, common_intercept, dropout_col, dropout_rate
    )
    order = np.argsort(p.calendar, kind="stable")
    cal = p.calendar[order]
    M = np.cumsum(p.delta[order], axis=0)
    last = np.r_[cal[1:] != cal[:-1], True]  # keep the last row of tied calendar times
    cal, M = cal[last], M[last]
    info = _info_from_matrix(M, p.contrast)
    denom = info[-1] if max_information is None else float(max_information)
    if not denom > 0:
        raise DesignError(
            "max_information must be > 0 (and the full data must estimate the slope)."
        )
    return pd.DataFrame({"calendar_month": cal, "information": info, "fraction": info / denom})


def project_looks(
    path: pd.DataFrame, info: Sequence[float], *, column: str = "fraction"
) -> pd.DataFrame:
    """Calendar month at which each planned information fraction is first reached.

    Parameters
    ----------
    path : pandas.DataFrame
        From :func:`slope_information_path` (or any table with ``calendar_month`` and
        ``column``, non-decreasing).
    info : sequence of float
        Planned information fractions of the looks (e.g. ``design.info``).
    column : str
        Column of ``path`` holding the fraction.

    Returns
    -------
    pandas.DataFrame
        Per look: ``target``, ``calendar_month`` (NaN if never reached), ``information``,
        ``fraction`` reached at that month.

    Examples
    --------
    >>> path = pd.DataFrame({"calendar_month": [1, 2, 3], "information": [1, 2, 4],
    ...                      "fraction": [0.25, 0.5, 1.0]})
    >>> project_looks(path, [0.5, 1.0])["calendar_month"].tolist()
    [2.0, 3.0]
    """
    targets = np.asarray(info, dtype=float)
    frac = path[column].to_numpy(float)
    idx = np.searchsorted(np.maximum.accumulate(frac), targets - 1e-12, side="left")
    rows = []
    for tgt, i in zip(targets, idx, strict=True):
        if i >= len(path):
            rows.append((tgt, np.nan, np.nan, np.nan))
        else:
            rows.append(
                (
                    tgt,
                    float(path["calendar_month"].iloc[i]),
                    float(path["information"].iloc[i]),
                    float(frac[i]),
                )
            )
    return pd.DataFrame(
        rows,
        columns=["target", "calendar_month", "information", "fraction"],
        index=pd.RangeIndex(1, len(rows) + 1, name="look"),
    )

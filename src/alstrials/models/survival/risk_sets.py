"""Risk sets of the Cox partial likelihood as one sparse matrix of time bins.

Rows (subjects, or (start, stop] intervals of subjects) are in stratum :math:`s_i`, at risk on
:math:`(a_i, b_i]` (:math:`a_i = -\\infty` for right-censored data), with event indicator
:math:`\\delta_i`. The event-time groups :math:`g = 0..G-1` are the distinct (stratum, event time)
pairs :math:`(s_g, t_g)`, ordered by stratum then time. For a row let

.. math::

    k_i = \\max\\{g : s_g = s_i,\\ t_g \\le b_i\\}, \\qquad
    e_i = \\max\\{g : s_g = s_i,\\ t_g \\le a_i\\}

(:math:`-1` when there is none). Row ``i`` is at risk at :math:`t_g` exactly when
:math:`s_g = s_i` and :math:`e_i < g \\le k_i`, and it is one of the deaths of group :math:`k_i`
when :math:`\\delta_i = 1`. So every risk-set sum :math:`\\sum_{i \\in R_g} v_i` is a reverse
cumulative sum over groups of the within-stratum bin totals

.. math::

    \\sum_{i \\in R_g} v_i = \\sum_{h \\ge g,\\ s_h = s_g}
      \\Big(\\sum_{k_i = h} v_i - \\sum_{e_i = h} v_i\\Big),

and the deaths' sums are the bins :math:`(k_i = g, \\delta_i = 1)`. The bins are the rows of a
sparse 0/1 matrix (stop side: bin ``2g`` the deaths of group ``g``, bin ``2g + 1`` the other rows
with :math:`k_i = g`; entry side: bin ``g`` the rows with :math:`e_i = g`), so the bin totals of
any per-row quantities are one sparse-times-dense product, O(n) per column with no sort. Rows in
no risk set (:math:`k_i \\le e_i`) are left out. The kept rows are laid out in stop-bin order
(the *layout*), so that the product reads memory in order.

The index is built once per data set (two ``searchsorted`` of the rows into the group times and
one counting sort); it depends on times, events and strata only, not on covariates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["RiskSetIndex", "build_index", "risk_sums", "death_sums"]


@dataclass(frozen=True, eq=False)
class RiskSetIndex:
    """Event-time groups and the sparse bin structure of one data set.

    Groups are ordered by (stratum, time); ``death_rows`` lists the event rows grouped by group
    (``death_group``), one Efron slot per death (``slot_group``, ``slot_frac`` = ``l / d_g``,
    0 for Breslow).
    """

    n: int
    ties: str
    stratum: np.ndarray  # (n,) stratum code of every row
    death_rows: np.ndarray  # row indices of events, grouped by event-time group
    death_group: np.ndarray  # group index of each entry of death_rows
    group_time: np.ndarray
    group_stratum: np.ndarray
    group_size: np.ndarray
    slot_group: np.ndarray  # one slot per death: its group
    slot_frac: np.ndarray  # l / d (Efron) or 0 (Breslow)
    tied_slots: bool  # some slot has l / d > 0 (Efron with tied deaths)
    stop_group: np.ndarray  # (n,) k_i: last group of the row's stratum at or before its stop
    entry_group: np.ndarray | None  # (n,) e_i: last group at or before its start (None: no start)
    next_stratum: np.ndarray | None  # (G,) first group of the next stratum; None: one stratum
    layout: np.ndarray  # rows in some risk set, in stop-bin order
    stop_indptr: np.ndarray  # CSR row pointers of the 2G stop bins over the layout
    entry_indptr: np.ndarray | None  # CSR row pointers of the G entry bins
    entry_cols: np.ndarray | None  # layout positions of the entry bins' rows

    @property
    def n_groups(self) -> int:
        return int(self.group_time.shape[0])

    def stop_matrix(self, weights: np.ndarray) -> sp.csr_matrix:
        """The (2G, n_layout) stop-bin matrix with ``weights`` (in layout order) as entries."""
        nl = self.layout.shape[0]
        cols = np.arange(nl, dtype=self.stop_indptr.dtype)
        return sp.csr_matrix((weights, cols, self.stop_indptr), shape=(2 * self.n_groups, nl))

    def entry_matrix(self, weights: np.ndarray) -> sp.csr_matrix | None:
        """The (G, n_entry) entry-bin matrix over the rows ``layout[entry_cols]`` (in that
        order), with ``weights`` (one per such row) as entries; None without start times."""
        if self.entry_indptr is None or self.entry_cols is None:
            return None
        ne = self.entry_cols.shape[0]
        cols = np.arange(ne, dtype=self.entry_indptr.dtype)
        return sp.csr_matrix((weights, cols, self.entry_indptr), shape=(self.n_groups, ne))

    def groups_from_bins(
        self, stop_bins: np.ndarray, entry_bins: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Risk-set sums and death sums per group from the bin totals.

        ``stop_bins`` is (2G, ...), ``entry_bins`` (G, ...) or None. Returns ``(risk, deaths)``,
        both (G, ...).
        """
        deaths = stop_bins[0::2]
        net = deaths + stop_bins[1::2]
        if entry_bins is not None:
            net = net - entry_bins
        risk = np.cumsum(net[::-1], axis=0)[::-1]
        if self.next_stratum is not None:
            padded = np.concatenate([risk, np.zeros((1, *risk.shape[1:]))])
            risk = risk - padded[self.next_stratum]
        return risk, deaths


def _last_group_at_or_before(
    values: np.ndarray,
    strata: np.ndarray,
    group_time: np.ndarray,
    group_stratum: np.ndarray,
    single: bool,
) -> np.ndarray:
    """Index of the last group of the row's stratum with time <= value (-1 when none)."""
    if group_time.shape[0] == 0:
        return np.full(values.shape[0], -1, dtype=np.int64)
    if single:
        return np.searchsorted(group_time, values, side="right").astype(np.int64) - 1
    uniq = np.unique(group_time)
    stride = uniq.shape[0] + 1
    group_key = group_stratum * stride + np.searchsorted(uniq, group_time) + 1
    row_key = strata * stride + np.searchsorted(uniq, values, side="right")
    k = np.searchsorted(group_key, row_key, side="right").astype(np.int64) - 1
    same = group_stratum[np.maximum(k, 0)] == strata
    return np.where((k >= 0) & same, k, -1)


def _csr_pointers(bins: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable counting sort of ``bins``: (CSR row pointers, positions in bin order)."""
    itype = np.int32 if bins.shape[0] < np.iinfo(np.int32).max else np.int64
    counts = np.bincount(bins, minlength=n_bins)
    indptr = np.zeros(n_bins + 1, dtype=itype)
    np.cumsum(counts, out=indptr[1:])
    pos = np.arange(bins.shape[0], dtype=itype)
    mat = sp.csr_matrix(
        (np.ones(bins.shape[0]), (bins, pos)), shape=(n_bins, max(bins.shape[0], 1))
    )
    return indptr, mat.indices.astype(itype, copy=False)


def build_index(
    stop: np.ndarray,
    event: np.ndarray,
    strata: np.ndarray,
    start: np.ndarray | None = None,
    ties: str = "efron",
) -> RiskSetIndex:
    """Locate every row's event-time groups and lay the rows out in stop-bin order."""
    stop = np.asarray(stop, dtype=float)
    n = stop.shape[0]
    event = np.asarray(event).astype(bool)
    s = np.asarray(strata).astype(np.int64)
    single = n == 0 or int(s.min()) == int(s.max())
    ev_rows = np.flatnonzero(event)
    if single:
        order = np.argsort(stop[ev_rows], kind="stable")
    else:
        order = np.lexsort((stop[ev_rows], s[ev_rows]))
    death_rows = ev_rows[order]
    ts, ss = stop[death_rows], s[death_rows]
    n_deaths = death_rows.shape[0]
    new = np.ones(n_deaths, dtype=bool)
    new[1:] = (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])
    first = np.flatnonzero(new)
    death_group = np.cumsum(new) - 1
    group_time, group_stratum = ts[first], ss[first]
    group_size = np.diff(np.append(first, n_deaths)).astype(np.int64)
    n_groups = first.shape[0]

    slot_group = death_group
    if ties == "efron":
        slot_frac = (np.arange(n_deaths) - first[death_group]) / group_size[death_group]
    else:
        slot_frac = np.zeros(n_deaths)

    stop_group = _last_group_at_or_before(stop, s, group_time, group_stratum, single)
    entry_group = None
    kept = stop_group >= 0
    if start is not None:
        entry_group = _last_group_at_or_before(
            np.asarray(start, dtype=float), s, group_time, group_stratum, single
        )
        kept &= stop_group > entry_group
    rows = np.flatnonzero(kept)
    stop_bin = 2 * stop_group[rows] + (~event[rows])
    stop_indptr, perm = _csr_pointers(stop_bin, 2 * n_groups)
    layout = rows[perm]

    entry_indptr = entry_cols = None
    if entry_group is not None:
        e_layout = entry_group[layout]
        entering = np.flatnonzero(e_layout >= 0)
        entry_indptr, e_perm = _csr_pointers(e_layout[entering], n_groups)
        entry_cols = entering[e_perm].astype(entry_indptr.dtype, copy=False)

    next_stratum = None
    if not single and n_groups:
        boundary = np.flatnonzero(np.diff(group_stratum)) + 1
        stratum_end = np.append(boundary, n_groups)
        next_stratum = np.repeat(stratum_end, np.diff(np.r_[0, stratum_end]))
    return RiskSetIndex(
        n=n,
        ties=ties,
        stratum=s,
        death_rows=death_rows,
        death_group=death_group,
        group_time=group_time,
        group_stratum=group_stratum,
        group_size=group_size,
        slot_group=slot_group,
        slot_frac=slot_frac,
        tied_slots=bool(np.any(slot_frac > 0)),
        stop_group=stop_group,
        entry_group=entry_group,
        next_stratum=next_stratum,
        layout=layout,
        stop_indptr=stop_indptr,
        entry_indptr=entry_indptr,
        entry_cols=entry_cols,
    )


def risk_sums(idx: RiskSetIndex, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (one per row, rows in data order) over each group's risk set."""
    flat = np.take(values.reshape(values.shape[0], -1), idx.layout, axis=0)
    stop_bins = idx.stop_matrix(np.ones(idx.layout.shape[0])) @ flat
    entry_bins = None
    if idx.entry_cols is not None:
        entry = idx.entry_matrix(np.ones(idx.entry_cols.shape[0]))
        entry_bins = entry @ np.take(flat, idx.entry_cols, axis=0)
    risk, _ = idx.groups_from_bins(stop_bins, entry_bins)
    return risk.reshape((risk.shape[0], *values.shape[1:]))


def death_sums(idx: RiskSetIndex, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (rows in data order) over each group's deaths."""
    flat = np.take(values, idx.death_rows, axis=0).reshape(idx.death_rows.shape[0], -1)
    out = np.zeros((idx.n_groups, flat.shape[1]))
    if flat.shape[0]:
        starts = np.cumsum(idx.group_size) - idx.group_size
        out = np.add.reduceat(flat, starts, axis=0)
    return out.reshape((out.shape[0], *values.shape[1:]))

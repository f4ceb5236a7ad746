"""Marginal log-likelihood of the joint model and its analytic score, subject by subject.

For subject ``i`` (markers ``m``, causes ``c``, model of :mod:`.design`)

    log L_i = log int prod_m p(y_mi | b) prod_c h_ic(T_i)^{d_ic} exp(-H_ic(T_i | b)) N(b; 0, D) db,

with ``H_ic(T) = int_0^T h_ic(s) ds`` by Gauss-Legendre nodes (:mod:`.design`) and the
integral over ``b`` by an adaptive Gauss-Hermite rule (:mod:`.quadrature`): points
``b_ik = bhat_i + L_i x_k`` centred at the subject's posterior mode with scale ``L_i L_i' =``
inverse negative Hessian there (:mod:`.modes`). :class:`QuadState` holds the points and their
products with the design rows; it is fixed while the parameters move in an optimiser step and
recomputed at the new modes after each step, so at the estimate the rule is fully adaptive.

Parameter vector ``theta`` (unconstrained), blocks in this order:
``beta`` (all markers), ``log sigma_m`` (one per marker), ``chol(D)`` (lower triangle by rows,
log of the diagonal), then for each cause ``gamma_c``, ``alpha_c`` (one per association term),
the baseline parameters (:mod:`.baselines`).

References
----------
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*, ch. 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alstrials.models.joint.design import JointDesign

__all__ = ["Layout", "Params", "QuadState", "Evaluation", "evaluate", "make_state"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Layout:
    """Sizes of the parameter blocks (see module docstring)."""

    p: int  # fixed effects, all markers
    q: int  # random effects, all markers
    n_markers: int
    r: tuple[int, ...]  # covariates by cause
    n_terms: tuple[int, ...]  # association terms by cause
    n_base: tuple[int, ...]  # baseline parameters by cause

    @staticmethod
    def of(design: JointDesign) -> Layout:
        spec = design.spec
        return Layout(
            p=design.X.shape[1],
            q=design.Z.shape[1],
            n_markers=len(design.markers),
            r=tuple(w.shape[1] for w in design.W),
            n_terms=tuple(len(c.terms) for c in spec.causes),
            n_base=tuple(b.spec.n_params for b in design.baselines),
        )

    @property
    def n_chol(self) -> int:
        return self.q * (self.q + 1) // 2

    @property
    def i_sigma(self) -> int:
        return self.p

    @property
    def i_chol(self) -> int:
        return self.p + self.n_markers

    def cause_start(self, c: int) -> int:
        i = self.i_chol + self.n_chol
        for k in range(c):
            i += self.r[k] + self.n_terms[k] + self.n_base[k]
        return i

    def cause_slices(self, c: int) -> tuple[slice, slice, slice]:
        """Slices of ``gamma_c``, ``alpha_c`` and the baseline parameters of cause ``c``."""
        a = self.cause_start(c)
        b = a + self.r[c]
        e = b + self.n_terms[c]
        return slice(a, b), slice(b, e), slice(e, e + self.n_base[c])

    @property
    def size(self) -> int:
        return self.cause_start(len(self.r))


@dataclass(frozen=True)
class Params:
    """Natural-scale parameters (baseline parameters as in :mod:`.baselines`)."""

    beta: np.ndarray
    sigma: np.ndarray
    D: np.ndarray
    gamma: tuple[np.ndarray, ...]
    alpha: tuple[np.ndarray, ...]
    base: tuple[np.ndarray, ...]

    def pack(self) -> np.ndarray:
        L = np.linalg.cholesky(self.D)
        rows, cols = np.tril_indices(L.shape[0])
        chol = L[rows, cols].copy()
        chol[rows == cols] = np.log(np.diag(L))
        parts = [self.beta, np.log(self.sigma), chol]
        for g, a, b in zip(self.gamma, self.alpha, self.base, strict=True):
            parts += [g, a, b]
        return np.concatenate([np.asarray(x, dtype=float).ravel() for x in parts])

    @staticmethod
    def unpack(theta: np.ndarray, layout: Layout) -> Params:
        theta = np.asarray(theta, dtype=float)
        L = chol_from_vec(theta[layout.i_chol : layout.i_chol + layout.n_chol], layout.q)
        slices = [layout.cause_slices(c) for c in range(len(layout.r))]
        return Params(
            beta=theta[: layout.p],
            sigma=np.exp(theta[layout.i_sigma : layout.i_chol]),
            D=L @ L.T,
            gamma=tuple(theta[s[0]] for s in slices),
            alpha=tuple(theta[s[1]] for s in slices),
            base=tuple(theta[s[2]] for s in slices),
        )


def chol_from_vec(v: np.ndarray, q: int) -> np.ndarray:
    rows, cols = np.tril_indices(q)
    L = np.zeros((q, q))
    L[rows, cols] = v
    L[np.diag_indices(q)] = np.exp(np.diag(L))
    return L


@dataclass(frozen=True)
class QuadState:
    """Fixed quadrature points ``b[i, k]`` and their products with the design rows."""

    b: np.ndarray  # (n, K, q)
    logw: np.ndarray  # (n, K): log GH weight + log|L_i|
    Zb_obs: np.ndarray  # (N, K)
    ZbT: tuple[np.ndarray, ...]  # by term (n, K)
    ZbS: tuple[np.ndarray, ...]  # by term (G, K)
    # reusable (G, K) work arrays of :func:`evaluate` (allocating them afresh on every call
    # costs more than the arithmetic); never part of a result
    scratch: dict = field(default_factory=dict, compare=False, repr=False)

    def buffer(self, key: object, shape: tuple[int, ...]) -> np.ndarray:
        buf = self.scratch.get(key)
        if buf is None or buf.shape != shape:
            buf = self.scratch[key] = np.empty(shape)
        return buf


def make_state(
    design: JointDesign, modes: np.ndarray, chols: np.ndarray, nodes: np.ndarray, logw: np.ndarray
) -> QuadState:
    """Quadrature points ``b_ik = mode_i + L_i x_k`` and their products with the designs."""
    b = modes[:, None, :] + np.swapaxes(chols @ nodes.T, 1, 2)
    logdet = np.sum(np.log(np.abs(np.diagonal(chols, axis1=1, axis2=2))), axis=1)
    rows = (modes, chols, nodes)
    return QuadState(
        b=b,
        logw=logw[None, :] + logdet[:, None],
        Zb_obs=_rowdot(design.Z, *rows, design.obs_subject),
        ZbT=tuple(np.einsum("iq,ikq->ik", z, b) for z in design.ZT),
        ZbS=tuple(_rowdot(z, *rows, design.node_subject) for z in design.ZS),
    )


def _rowdot(
    Z: np.ndarray, modes: np.ndarray, chols: np.ndarray, nodes: np.ndarray, subject: np.ndarray
) -> np.ndarray:
    """``Z[j] . b[subject[j], k]`` for all rows ``j`` and points ``k``: with ``s = subject[j]``,
    ``Z[j] . mode_s + (Z[j] L_s) . x_k``, one matrix product over the points (columns of ``Z``
    that are zero throughout are skipped)."""
    used = np.flatnonzero(np.any(Z != 0, axis=0))
    Zu = Z[:, used]
    ZL = np.einsum("ja,jab->jb", Zu, chols[subject][:, used, :])
    return ZL @ nodes.T + np.einsum("ja,ja->j", Zu, modes[subject][:, used])[:, None]


def starts(index: np.ndarray) -> np.ndarray:
    """First position of each run of equal values (subjects are contiguous)."""
    return np.flatnonzero(np.r_[True, index[1:] != index[:-1]])


@dataclass(frozen=True)
class Evaluation:
    """Per-subject log-likelihood contributions and score vectors."""

    loglik: np.ndarray  # (n,)
    scores: np.ndarray  # (n, size)

    @property
    def total(self) -> float:
        return float(np.sum(self.loglik))

    @property
    def score(self) -> np.ndarray:
        return self.scores.sum(axis=0)


def evaluate(
    theta: np.ndarray,
    design: JointDesign,
    layout: Layout,
    state: QuadState,
    *,
    score: bool | str = True,
) -> Evaluation:
    """Marginal log-likelihood (full, with constants) and scores in ``theta``.

    ``score``: ``True`` for one score vector per subject (``scores`` of shape (n, size)),
    ``"total"`` for their sum only (``scores`` of shape (1, size), cheaper: the sums over rows
    become matrix products), ``False`` for none. A non-finite contribution makes every
    contribution ``-inf`` (scores zero).
    """
    par = Params.unpack(theta, layout)
    n = design.n_subjects
    obs_st = starts(design.obs_subject)
    node_st = starts(design.node_subject)
    sig2 = (par.sigma**2)[design.obs_marker]

    e = design.y - design.X @ par.beta
    R = e[:, None] - state.Zb_obs
    R2 = R * R
    R2 /= sig2[:, None]
    ll = -0.5 * np.add.reduceat(R2, obs_st, axis=0)
    ll += np.add.reduceat(-0.5 * (_LOG2PI + np.log(sig2)), obs_st)[:, None]

    sign, logdetD = np.linalg.slogdet(par.D)
    if sign <= 0 or not np.isfinite(logdetD) or np.linalg.cond(par.D) > 1e14:
        return Evaluation(np.full(n, -np.inf), np.zeros((n, layout.size)))  # D at a boundary
    Dinv = np.linalg.inv(par.D)
    ll -= 0.5 * (layout.q * _LOG2PI + logdetD)
    ll -= 0.5 * np.sum((state.b @ Dinv) * state.b, axis=2)

    causes = []
    for c in range(len(layout.r)):
        spec_c = design.spec.causes[c]
        idx = [design.term_index(t) for t in spec_c.terms]
        eta = design.W[c] @ par.gamma[c] if layout.r[c] else np.zeros(n)
        hT, gT, hs, gs = design.baselines[c].evaluate(par.base[c])
        dc = design.d[:, c]
        lin = hs + eta[design.node_subject] + design.log_node_weight
        lpT = np.zeros((n, state.b.shape[1]))
        E = state.buffer(("E", c), (len(lin), state.b.shape[1]))  # log hazard, then hazard
        for k, (a, j) in enumerate(zip(par.alpha[c], idx, strict=True)):
            lpT += a * ((design.XT[j] @ par.beta)[:, None] + state.ZbT[j])
            lin = lin + a * (design.XS[j] @ par.beta)
            if k == 0:
                np.multiply(state.ZbS[j], a, out=E)
            else:
                E += a * state.ZbS[j]
        if idx:
            E += lin[:, None]
        else:
            E[:] = lin[:, None]
        ll += (dc * (hT + eta))[:, None] + dc[:, None] * lpT
        with np.errstate(over="ignore", invalid="ignore"):
            np.exp(E, out=E)
        ll -= np.add.reduceat(E, node_st, axis=0)
        causes.append((idx, eta, gT, gs, dc, E))

    a = ll + state.logw
    with np.errstate(invalid="ignore"):
        amax = np.max(a, axis=1, keepdims=True)
        li = np.log(np.sum(np.exp(a - amax), axis=1)) + amax[:, 0]
    if not np.all(np.isfinite(li)):
        return Evaluation(np.full(n, -np.inf), np.zeros((n, layout.size)))
    if not score:
        return Evaluation(li, np.zeros((0, layout.size)))
    pi = np.exp(a - li[:, None])  # posterior weights of the points (n, K)
    sum_ = _Sums(design, obs_st, node_st, total=score == "total")

    S = np.zeros((sum_.rows, layout.size))
    pi_obs = pi[design.obs_subject]
    u = np.einsum("jk,jk->j", pi_obs, R) / sig2
    S[:, : layout.p] = sum_.obs(design.X, u)
    v = np.einsum("jk,jk,jk->j", pi_obs, R, R) / sig2 - 1.0
    S[:, layout.i_sigma : layout.i_chol] = sum_.by_marker(v, layout.n_markers)
    Sb = sum_.subjects3(np.matmul(np.swapaxes(pi[:, :, None] * state.b, 1, 2), state.b))
    G = -0.5 * (n if sum_.total else 1) * Dinv[None] + 0.5 * (Dinv @ Sb @ Dinv)
    L = np.linalg.cholesky(par.D)
    GL = 2 * (G @ L)
    rows, cols = np.tril_indices(layout.q)
    S[:, layout.i_chol : layout.i_chol + layout.n_chol] = GL[:, rows, cols] * np.where(
        rows == cols, L[rows, cols], 1.0
    )
    pi_s = np.take(pi, design.node_subject, axis=0)  # (take with out= is slower)
    for c, (idx, _eta, gT, gs, dc, E) in enumerate(causes):
        s_gamma, s_alpha, s_base = layout.cause_slices(c)
        PE = np.multiply(E, pi_s, out=E)  # hazard times posterior weight, in place
        A = np.sum(PE, axis=1)  # expected hazard contribution per node
        if layout.r[c]:
            EH = np.add.reduceat(A, node_st)
            S[:, s_gamma] = sum_.subjects(design.W[c], dc - EH)
        for k, (a_ck, j) in enumerate(zip(par.alpha[c], idx, strict=True)):
            xT, xS = design.XT[j] @ par.beta, design.XS[j] @ par.beta
            mT = xT + np.einsum("ik,ik->i", pi, state.ZbT[j])
            node = A * xS + np.einsum("gk,gk->g", PE, state.ZbS[j])
            S[:, s_alpha.start + k] = sum_.subjects(None, dc * mT) - sum_.nodes(None, node)
            S[:, : layout.p] += a_ck * (
                sum_.subjects(design.XT[j], dc) - sum_.nodes(design.XS[j], A)
            )
        S[:, s_base] = sum_.subjects(gT, dc) - sum_.nodes(gs, A)
    return Evaluation(li, S)


class _Sums:
    """Sums of weighted design rows by subject (``reduceat``) or over all rows (products).

    ``obs(M, w)``, ``nodes(M, w)``, ``subjects(M, w)``: ``sum_rows M[row] w[row]`` (``M=None``
    for ``w`` alone) over a subject's observation rows, quadrature nodes or its one row; each
    returns shape (rows, ...) with ``rows`` = n subjects, or 1 for the total.
    """

    def __init__(self, design: JointDesign, obs_st: np.ndarray, node_st: np.ndarray, total: bool):
        self.total = total
        self.rows = 1 if total else design.n_subjects
        self._obs_st, self._node_st = obs_st, node_st
        self._obs_marker = design.obs_marker

    def _sum(self, M: np.ndarray | None, w: np.ndarray, st: np.ndarray | None) -> np.ndarray:
        if self.total:
            out = np.sum(w) if M is None else w @ M
            return np.reshape(out, (1, -1)) if M is not None else np.array([out])
        prod = w if M is None else M * w[:, None]
        return prod if st is None else np.add.reduceat(prod, st, axis=0)

    def obs(self, M: np.ndarray | None, w: np.ndarray) -> np.ndarray:
        return self._sum(M, w, self._obs_st)

    def nodes(self, M: np.ndarray | None, w: np.ndarray) -> np.ndarray:
        return self._sum(M, w, self._node_st)

    def subjects(self, M: np.ndarray | None, w: np.ndarray) -> np.ndarray:
        return self._sum(M, w, None)

    def by_marker(self, v: np.ndarray, n_markers: int) -> np.ndarray:
        if self.total:
            return np.bincount(self._obs_marker, weights=v, minlength=n_markers)[None, :]
        onehot = np.zeros((len(v), n_markers))
        onehot[np.arange(len(v)), self._obs_marker] = v
        return np.add.reduceat(onehot, self._obs_st, axis=0)

    def subjects3(self, M: np.ndarray) -> np.ndarray:
        return M.sum(axis=0, keepdims=True) if self.total else M

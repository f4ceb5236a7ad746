"""Profiled REML/ML deviance of the linear mixed model, its analytic gradient, and the optimiser.

Parameterisation (Bates, Maechler, Bolker and Walker 2015): the random-effects covariance is
``G = sigma^2 Lambda Lambda'`` with ``Lambda`` a ``q x q`` lower-triangular *relative* Cholesky
factor whose non-zero entries, taken column by column, form ``theta`` (lme4's order; the diagonal
entries are bounded below by 0, which is how a variance on the boundary is reached). With
``D = Lambda Lambda'`` the marginal covariance of subject ``i`` is ``sigma^2 V_i``,
``V_i = I + Z_i D Z_i'``. By the Woodbury identity, with ``M_i = Lambda' Z_i'Z_i Lambda + I``,

    V_i^{-1} = I - Z_i P_i Z_i',   P_i = Lambda M_i^{-1} Lambda',
    log|V_i| = log|M_i|,

so every quantity below needs only the per-subject cross-products and batched ``q x q`` algebra.
For fixed ``theta``, ``beta`` and ``sigma^2`` are profiled out:

    A = sum_i X_i'V_i^{-1}X_i,   beta(theta) = A^{-1} sum_i X_i'V_i^{-1}y_i,
    r^2(theta) = sum_i (y_i - X_i beta)'V_i^{-1}(y_i - X_i beta),
    sigma^2(theta) = r^2 / nu,   nu = n (ML) or n - p (REML),

and the profiled deviance (-2 log-likelihood, or -2 REML log-likelihood) is

    ML:   d(theta) = sum_i log|M_i| + n (1 + log(2 pi r^2 / n))
    REML: d(theta) = sum_i log|M_i| + log|A| + (n - p)(1 + log(2 pi r^2 / (n - p))).

Gradient: with ``u_i = Z_i'V_i^{-1}(y_i - X_i beta)`` and ``W_i = Z_i'V_i^{-1}X_i`` the derivative
of ``d`` with respect to the symmetric matrix ``D`` is

    dd/dD = sum_i Z_i'V_i^{-1}Z_i - (nu / r^2) sum_i u_i u_i' [- sum_i W_i A^{-1} W_i' for REML]

(``beta`` drops out by the envelope theorem), and the chain rule through ``D = Lambda Lambda'``
gives ``dd/dLambda = 2 (dd/dD) Lambda``, restricted to the lower triangle. ``theta`` is optimised
by L-BFGS-B with these analytic gradients and bounds ``theta_diag >= 0``.

References
----------
Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using lme4.
Journal of Statistical Software 67(1).
Laird NM, Ware JH (1982). Random-effects models for longitudinal data. Biometrics 38, 963-974.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from alstrials.models.lmm.design import LMMDesign

__all__ = [
    "Evaluation",
    "OptimResult",
    "theta_index",
    "theta_to_lambda",
    "evaluate",
    "deviance_full",
    "optimise",
    "prepare",
    "Stats",
]

LOG_2PI = float(np.log(2.0 * np.pi))


def theta_index(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the lower triangle of a ``q x q`` matrix, column by column."""
    rows, cols = [], []
    for j in range(q):
        for i in range(j, q):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


def theta_to_lambda(theta: np.ndarray, q: int) -> np.ndarray:
    """The lower-triangular relative factor ``Lambda`` from ``theta`` (lme4's order)."""
    lam = np.zeros((q, q))
    rows, cols = theta_index(q)
    lam[rows, cols] = theta
    return lam


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything computed at one ``theta``: deviance, gradient and the profiled estimates."""

    deviance: float
    gradient: np.ndarray
    beta: np.ndarray
    r2: float
    sigma2: float
    A: np.ndarray
    logdet_m: float
    logdet_a: float
    P: np.ndarray
    u: np.ndarray
    lam: np.ndarray


def _bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``a[m] @ b[m]`` for small inner dimension (a loop over it, broadcast over m)."""
    out = a[:, :, 0, None] * b[:, None, 0, :]
    for k in range(1, a.shape[2]):
        out += a[:, :, k, None] * b[:, None, k, :]
    return out


def _sum_abt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_m a[m] @ b[m].T`` for stacks of small matrices (one dot product per output entry)."""
    q1, q2 = a.shape[1], b.shape[1]
    out = np.empty((q1, q2))
    for i in range(q1):
        ai = np.ascontiguousarray(a[:, i, :]).ravel()
        for j in range(q2):
            out[i, j] = ai @ np.ascontiguousarray(b[:, j, :]).ravel()
    return out


def _bmv(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched ``a[m] @ v[m]`` for small matrices."""
    out = a[:, :, 0] * v[:, 0, None]
    for k in range(1, a.shape[2]):
        out += a[:, :, k] * v[:, k, None]
    return out


_MAX_PRODUCT_ELEMENTS = 20_000_000


@dataclass(frozen=True, eq=False)
class Stats:
    """Sufficient statistics of a design (optionally with rescaled random-effects columns).

    Besides the cross-products, holds the per-subject outer products used to turn sums over
    subjects into single matrix-vector products: ``T = ZtX (x) ZtX`` (``m x q^2 x p^2``, only when
    small enough), ``U = ZtX (x) Zty``, ``Wy = Zty (x) Zty`` and ``R = ZtZ (x) ZtZ``.
    """

    ZtZ: np.ndarray
    ZtX: np.ndarray
    Zty: np.ndarray
    XtX: np.ndarray
    Xty: np.ndarray
    yty: float
    n: int
    T: np.ndarray | None
    U: np.ndarray
    Wy: np.ndarray
    R: np.ndarray


def prepare(d: LMMDesign, scale: np.ndarray | None = None) -> Stats:
    """Sufficient statistics of ``d``, with random-effects column ``j`` divided by ``scale[j]``."""
    ZtZ, ZtX, Zty = d.ZtZ, d.ZtX, d.Zty
    if scale is not None:
        inv = 1.0 / scale
        ZtZ = ZtZ * inv[None, :, None] * inv[None, None, :]
        ZtX = ZtX * inv[None, :, None]
        Zty = Zty * inv[None, :]
    m, q, p = ZtX.shape
    T = None
    if m * q * q * p * p <= _MAX_PRODUCT_ELEMENTS:
        T = (ZtX[:, :, None, :, None] * ZtX[:, None, :, None, :]).reshape(m * q * q, p * p)
    U = (ZtX[:, :, None, :] * Zty[:, None, :, None]).reshape(m * q * q, p)
    Wy = (Zty[:, :, None] * Zty[:, None, :]).reshape(m * q * q)
    R = (ZtZ[:, :, :, None, None] * ZtZ[:, None, None, :, :]).transpose(0, 2, 3, 1, 4)
    # R[m, a, b, i, j] = ZtZ[m, i, a] * ZtZ[m, b, j]
    R = R.reshape(m * q * q, q * q)
    return Stats(
        ZtZ=ZtZ,
        ZtX=ZtX,
        Zty=Zty,
        XtX=d.XtX,
        Xty=d.Xty,
        yty=d.yty,
        n=int(d.y.size),
        T=T,
        U=U,
        Wy=Wy,
        R=R,
    )


def _inv_logdet(M: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverses and total log-determinant of a stack of symmetric positive definite matrices."""
    q = M.shape[1]
    if q == 1:
        return 1.0 / M, float(np.log(M[:, 0, 0]).sum())
    if q == 2:
        a, b, c = M[:, 0, 0], M[:, 0, 1], M[:, 1, 1]
        det = a * c - b * b
        inv = np.empty_like(M)
        inv[:, 0, 0] = c / det
        inv[:, 1, 1] = a / det
        inv[:, 0, 1] = inv[:, 1, 0] = -b / det
        return inv, float(np.log(det).sum())
    chol = np.linalg.cholesky(M)
    logdet = 2.0 * float(np.log(np.diagonal(chol, axis1=1, axis2=2)).sum())
    return np.linalg.inv(M), logdet


def evaluate(theta: np.ndarray, s: Stats, reml: bool, gradient: bool = True) -> Evaluation:
    """Profiled deviance (and gradient) of the LMM at ``theta``.

    Parameters
    ----------
    theta : numpy.ndarray
        Lower-triangular entries of the relative Cholesky factor, column by column.
    s : Stats
        Sufficient statistics from :func:`prepare`.
    reml : bool
        REML criterion if True, else -2 ML log-likelihood.
    gradient : bool
        Compute the analytic gradient too.

    Returns
    -------
    Evaluation
    """
    m, q, p = s.ZtX.shape
    n = s.n
    nu = n - p if reml else n
    lam = theta_to_lambda(np.asarray(theta, dtype=float), q)
    # Sums over subjects use np.einsum rather than BLAS: these are long, thin products for which
    # multi-threaded BLAS only adds thread start-up and contention.
    K = np.kron(lam, lam)  # vec_rowmajor(L' S L) = vec_rowmajor(S) @ K
    M = np.einsum("mi,ij->mj", s.ZtZ.reshape(m, q * q), K).reshape(m, q, q)
    M[:, np.arange(q), np.arange(q)] += 1.0
    Minv, logdet_m = _inv_logdet(M)
    P = np.einsum("mi,ji->mj", Minv.reshape(m, q * q), K).reshape(m, q, q)  # Lambda M^-1 Lambda'
    Pf = P.reshape(m * q * q)
    if s.T is not None:
        A = s.XtX - np.einsum("i,ij->j", Pf, s.T).reshape(p, p)
    else:
        A = s.XtX - np.tensordot(s.ZtX, _bmm(P, s.ZtX), axes=([0, 1], [0, 1]))
    A = 0.5 * (A + A.T)
    XVy = s.Xty - np.einsum("i,ij->j", Pf, s.U)
    yVy = s.yty - float(np.einsum("i,i->", Pf, s.Wy))
    a_chol = np.linalg.cholesky(A)
    beta = np.linalg.solve(A, XVy)
    r2 = float(yVy - beta @ XVy)
    logdet_a = 2.0 * float(np.log(np.diagonal(a_chol)).sum())
    dev = logdet_m + nu * (1.0 + LOG_2PI + np.log(r2 / nu))
    if reml:
        dev += logdet_a

    r0 = s.Zty - np.einsum("mqp,p->mq", s.ZtX, beta)  # Z_i'(y_i - X_i beta)
    u = r0 - _bmv(s.ZtZ, _bmv(P, r0))  # Z_i'V_i^{-1}(y_i - X_i beta)
    grad = np.empty(0)
    if gradient:
        ZPZ = np.einsum("i,ij->j", Pf, s.R).reshape(q, q)
        G = s.ZtZ.sum(axis=0) - ZPZ - (nu / r2) * np.einsum("mi,mj->ij", u, u)
        if reml:
            Ainv = np.linalg.inv(A)
            if s.T is not None:
                C = np.einsum("ij,j->i", s.T, Ainv.ravel()).reshape(m, q, q)  # ZtX A^-1 XtZ
            else:
                C = _bmm(s.ZtX @ Ainv, s.ZtX.transpose(0, 2, 1))
            J = -_bmm(s.ZtZ, P)
            J[:, np.arange(q), np.arange(q)] += 1.0  # I - ZtZ P
            G -= _sum_abt(_bmm(J, C), J)
        G = 0.5 * (G + G.T)
        rows, cols = theta_index(q)
        grad = (2.0 * G @ lam)[rows, cols]
    return Evaluation(
        deviance=float(dev),
        gradient=grad,
        beta=beta,
        r2=r2,
        sigma2=r2 / nu,
        A=A,
        logdet_m=logdet_m,
        logdet_a=logdet_a,
        P=P,
        u=u,
        lam=lam,
    )


def deviance_full(varpar: np.ndarray, s: Stats, reml: bool) -> float:
    """Deviance at ``varpar = (theta, sigma)`` with ``beta`` profiled but ``sigma`` free.

    This is lmerTest's parameterisation for the Satterthwaite approximation.
    """
    theta, sigma = varpar[:-1], float(varpar[-1])
    ev = evaluate(theta, s, reml, gradient=False)
    n, p = s.n, s.XtX.shape[0]
    nu = n - p if reml else n
    dev = ev.logdet_m + nu * (LOG_2PI + 2.0 * np.log(abs(sigma))) + ev.r2 / sigma**2
    if reml:
        dev += ev.logdet_a
    return float(dev)


@dataclass(frozen=True)
class OptimResult:
    """Outcome of the optimiser: estimate, deviance, projected gradient norm, iterations."""

    theta: np.ndarray
    deviance: float
    grad_norm: float
    n_iter: int
    n_eval: int
    success: bool
    message: str


def projected_gradient(theta: np.ndarray, grad: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Gradient with components that push against an active lower bound set to zero."""
    g = grad.copy()
    at_bound = (theta <= lower + 1e-10) & (g > 0)
    g[at_bound] = 0.0
    return g


def _scale(d: LMMDesign) -> np.ndarray:
    """Root mean square of each random-effects column (1 for an all-zero column).

    Working with ``Z S^{-1}`` and ``Lambda~ = S Lambda`` (``S`` diagonal) leaves the model unchanged
    but puts every entry of ``theta`` on a comparable scale (a quadratic time term otherwise has a
    ``theta`` a hundred times smaller than the intercept's), which the optimiser needs.
    """
    scale = np.sqrt(np.einsum("mjj->j", d.ZtZ) / d.y.shape[0])
    return np.where(scale > 0, scale, 1.0)


def _newton_polish(
    theta: np.ndarray, d: Stats, reml: bool, lower: np.ndarray, max_steps: int = 8
) -> tuple[np.ndarray, int]:
    """Projected Newton steps on the free parameters (Hessian by differences of the gradient).

    L-BFGS-B stops once the relative decrease of the deviance reaches rounding level (with
    thousands of subjects the deviance is ~1e5, so that happens early); Newton steps driven by the
    analytic gradient then pin ``theta`` down. A step is kept if it lowers the deviance or the
    gradient norm; iteration stops when the Newton decrement ``g'H^{-1}g`` is below 1e-12.
    """
    n_eval = 1
    ev = evaluate(theta, d, reml)
    for _ in range(max_steps):
        g = projected_gradient(theta, ev.gradient, lower)
        free = ~((theta <= lower + 1e-10) & (ev.gradient > 0))
        idx = np.flatnonzero(free)
        if idx.size == 0:
            break
        k = idx.size
        H = np.empty((k, k))
        for a, i in enumerate(idx):
            h = 1e-6 * max(abs(theta[i]), 1e-2)
            e = np.zeros_like(theta)
            e[i] = h
            # forward differences: an O(h) error in H only slows Newton's convergence slightly
            H[:, a] = (evaluate(theta + e, d, reml).gradient[idx] - ev.gradient[idx]) / h
            n_eval += 1
        H = 0.5 * (H + H.T)
        w, v = np.linalg.eigh(H)
        if not np.all(np.isfinite(w)) or w.min() <= 0:
            break  # not locally convex: keep L-BFGS-B's answer
        step_free = -(v @ ((v.T @ g[idx]) / w))
        decrement = float(-g[idx] @ step_free)
        step = np.zeros_like(theta)
        step[idx] = step_free
        t = 1.0
        accepted = False
        gnorm = float(np.max(np.abs(g)))
        while t > 1e-3:
            cand = np.maximum(theta + t * step, lower)
            ev_c = evaluate(cand, d, reml)
            n_eval += 1
            g_c = projected_gradient(cand, ev_c.gradient, lower)
            if ev_c.deviance < ev.deviance or float(np.max(np.abs(g_c))) < gnorm:
                theta, ev, accepted = cand, ev_c, True
                break
            t /= 2
        if not accepted or decrement < 1e-12:
            break
    return theta, n_eval


def optimise(
    d: LMMDesign,
    reml: bool,
    *,
    theta0: np.ndarray | None = None,
    maxiter: int = 1000,
    gtol: float = 1e-3,
) -> OptimResult:
    """Minimise the profiled deviance over ``theta`` with analytic gradients.

    The optimiser works on standardised random-effects columns (see :func:`_scale`), runs
    scipy's L-BFGS-B (bounds: diagonal of ``Lambda`` >= 0) to tight tolerances, then polishes
    with projected Newton steps. ``gtol`` is the acceptance threshold on the largest absolute
    projected gradient component of the deviance with respect to the standardised ``theta``;
    ``theta`` is returned on the original scale.
    """
    q = d.ZtZ.shape[1]
    rows, cols = theta_index(q)
    lower = np.where(rows == cols, 0.0, -np.inf)
    scale = _scale(d)
    ds = prepare(d, scale)
    if theta0 is None:
        theta0 = np.where(rows == cols, 1.0, 0.0)
    else:
        theta0 = np.asarray(theta0, dtype=float) * scale[rows]
    n_eval = 0

    def fun(th: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal n_eval
        n_eval += 1
        ev = evaluate(th, ds, reml)
        return ev.deviance, ev.gradient

    bounds = [(0.0, None) if r == c else (None, None) for r, c in zip(rows, cols, strict=True)]
    res = optimize.minimize(
        fun,
        np.asarray(theta0, dtype=float),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": maxiter, "ftol": 1e-9, "gtol": 1e-8, "maxcor": 6},
    )
    theta_s, n_iter, message = np.asarray(res.x, dtype=float), int(res.nit), str(res.message)
    hit_limit = n_iter >= maxiter
    if not hit_limit:
        theta_s, extra = _newton_polish(theta_s, ds, reml, lower)
        n_eval += extra
    ev = evaluate(theta_s, ds, reml)
    pg = projected_gradient(theta_s, ev.gradient, lower)
    grad_norm = float(np.max(np.abs(pg))) if pg.size else 0.0
    success = grad_norm <= gtol and not hit_limit
    return OptimResult(
        theta=theta_s / scale[rows],
        deviance=ev.deviance,
        grad_norm=grad_norm,
        n_iter=n_iter,
        n_eval=n_eval,
        success=bool(success),
        message=message,
    )

"""The log posterior of the DRR model in JAX, random effects integrated out.

For participant ``i`` the random intercept and rate ``(a_i, b_i)`` are integrated out in two
steps (no Laplace approximation at this level):

1. the ALSFRS-R part is linear-Gaussian in ``(a_i, b_i)``, so ``p(y_i)`` is a closed-form normal
   density and ``p(a_i, b_i | y_i)`` is normal (2 x 2 algebra per participant);
2. the survival part depends on ``b_i`` only, and ``p(T_i, d_i | y_i) = E[p(T_i, d_i | b_i)]``
   under ``b_i | y_i ~ N(m_i, v_i)`` is computed by Gauss-Hermite quadrature with
   :data:`N_NODES` nodes centred and scaled at ``(m_i, v_i)``.

So ``log p(y_i, T_i, d_i) = log p(y_i) + log E_{b | y_i}[p(T_i, d_i | b)]`` exactly up to the
quadrature. The function works on the unconstrained vector of :class:`~.spec.Layout` and adds the
log priors of :class:`~.spec.DRRPriors` (with the Jacobians of the log and atanh transforms), so
it is the log density that NUTS samples and whose mode the Laplace mode finds.
"""

from __future__ import annotations

import functools
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)  # Hessians and Laplace approximations need float64

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.scipy.special import logsumexp  # noqa: E402

from alstrials.models.platform.data import PlatformArrays  # noqa: E402
from alstrials.models.platform.spec import Borrowing, DRRPriors, Layout  # noqa: E402

__all__ = [
    "N_NODES",
    "data_tuple",
    "log_posterior",
    "compiled",
    "hessian",
    "unpack",
    "offset_hyper",
]

N_NODES = 20
"""Gauss-Hermite nodes for the survival part."""

_LOG_2PI = float(np.log(2 * np.pi))
_NODES, _WEIGHTS = np.polynomial.hermite.hermgauss(N_NODES)
_LOG_W = np.log(_WEIGHTS / np.sqrt(np.pi))


def data_tuple(arrays: PlatformArrays) -> tuple[jnp.ndarray, ...]:
    """The arrays the likelihood reads, as a tuple of JAX arrays."""
    return tuple(
        jnp.asarray(a)
        for a in (
            arrays.y,
            arrays.t,
            arrays.mask,
            arrays.regimen,
            arrays.active,
            arrays.x,
            arrays.time,
            arrays.event,
            arrays.row,
        )
    )


def _normal(x: Any, mean: Any, sd: float) -> Any:
    return jnp.sum(-0.5 * ((x - mean) / sd) ** 2 - jnp.log(sd) - 0.5 * _LOG_2PI)


def _half_normal_log(log_sd: Any, scale: float) -> Any:
    """Log density of ``log sd`` when ``sd ~ HalfNormal(scale)`` (Jacobian included)."""
    sd = jnp.exp(log_sd)
    return jnp.sum(
        -0.5 * (sd / scale) ** 2 + np.log(2.0) - jnp.log(scale) - 0.5 * _LOG_2PI + log_sd
    )


def offset_hyper(borrowing: Borrowing, priors: DRRPriors, log_s: float = 0.0) -> np.ndarray:
    """``(s, hierarchical)``: the multiplier of the standardised offsets and whether ``log s``
    carries the half-normal prior (hierarchical borrowing with ``s`` fixed at ``exp(log_s)``)."""
    if borrowing is Borrowing.POOLED:
        return np.array([0.0, 0.0])
    if borrowing is Borrowing.CONCURRENT:
        return np.array([priors.concurrent_offset_sd, 0.0])
    return np.array([float(np.exp(log_s)), 1.0])


def unpack(theta: Any, layout: Layout, hyper: Any) -> dict[str, Any]:
    """Named quantities from the unconstrained vector; ``hyper`` from :func:`offset_hyper`
    (ignored when ``log s`` is a free parameter)."""
    p = {name: theta[s : s + k] for name, s, k in layout.blocks}
    r = layout.n_regimens
    s = jnp.exp(p["log_s"][0]) if layout.free_log_s else hyper[0]
    p["delta"] = s * p["z_offset"]
    p["log_drr_r"] = jnp.broadcast_to(p["log_drr"], (r,))
    return p


def log_posterior(
    theta: Any, data: tuple[Any, ...], hyper: Any, layout: Layout, priors: DRRPriors
) -> Any:
    """Log posterior density (up to a constant) at the unconstrained vector ``theta``.

    ``hyper`` = ``(s, hierarchical)`` of :func:`offset_hyper`: the offsets are ``s z_r``, and
    with ``hierarchical`` = 1 the density includes the prior of ``log s`` (Laplace grid). With a
    free ``log s`` (NUTS) the layout holds it and ``hyper`` is ignored. Pooled borrowing is
    ``s = 0`` (the ``z_r`` then only carry their N(0, 1) prior).
    """
    y, t, mask, reg, active, x, time, event, row = data
    p = unpack(theta, layout, hyper)
    beta0 = p["beta0"][0]
    log_d = active * p["log_drr_r"][reg]
    d = jnp.exp(log_d)
    tau = d[:, None] * t
    m_a = p["alpha"][reg] + x @ p["gamma_intercept"]
    m_b = beta0 + p["delta"][reg] + x @ p["gamma_rate"]
    curv = p["curvature"][0] if layout.curvature else 0.0
    sa = jnp.exp(p["log_sd_intercept"][0])
    sb = jnp.exp(p["log_sd_rate"][0])
    rho = jnp.tanh(p["atanh_rho"][0])
    se2 = jnp.exp(2 * p["log_sd_residual"][0])

    # -- ALSFRS-R: y = a - b tau + c tau^2 + e, (a, b) integrated out in closed form ----------
    r = (y - m_a[:, None] + m_b[:, None] * tau - curv * tau**2) * mask
    n_i = mask.sum(axis=1)
    s_t = (tau * mask).sum(axis=1)
    s_tt = (tau**2 * mask).sum(axis=1)
    s_r = r.sum(axis=1)
    s_tr = (tau * r).sum(axis=1)
    s_rr = (r * r).sum(axis=1)
    det_g = sa**2 * sb**2 * (1 - rho**2)
    p11 = sb**2 / det_g + n_i / se2
    p12 = -rho * sa * sb / det_g - s_t / se2
    p22 = sa**2 / det_g + s_tt / se2
    det_p = p11 * p22 - p12**2
    g1 = s_r / se2
    g2 = -s_tr / se2
    quad = s_rr / se2 - (g1**2 * p22 - 2 * g1 * g2 * p12 + g2**2 * p11) / det_p
    ll_long = -0.5 * (n_i * (_LOG_2PI + jnp.log(se2)) + jnp.log(det_g) + jnp.log(det_p) + quad)
    b_mean = m_b + (-p12 * g1 + p11 * g2) / det_p
    b_var = p11 / det_p

    # -- survival: Weibull on disease time, log hazard linked to b, b | y by Gauss-Hermite ----
    b_nodes = b_mean[:, None] + jnp.sqrt(2 * b_var)[:, None] * _NODES[None, :]
    eta = (x @ p["gamma_hazard"])[:, None] + p["link"][0] * (b_nodes - beta0)
    log_lam = p["log_weibull_scale"][0]
    log_k = p["log_weibull_shape"][0]
    k = jnp.exp(log_k)
    log_tau_end = log_d + jnp.log(time) - log_lam
    log_h = log_k + log_d - log_lam + (k - 1) * log_tau_end
    ll_nodes = event[:, None] * (log_h[:, None] + eta) - jnp.exp(k * log_tau_end[:, None] + eta)
    ll_surv = logsumexp(ll_nodes + _LOG_W[None, :], axis=1)
    loglik = jnp.sum(row * (ll_long + ll_surv))

    # -- priors ---------------------------------------------------------------------------------
    pr = priors
    lp = _normal(p["alpha"], 0.0, pr.intercept_sd)
    lp += _normal(p["gamma_intercept"], 0.0, pr.coef_sd_intercept)
    lp += _normal(beta0, pr.rate_mean, pr.rate_sd)
    lp += _normal(p["gamma_rate"], 0.0, pr.coef_sd_rate)
    lp += _normal(p["z_offset"], 0.0, 1.0)
    if layout.free_log_s:
        lp += _half_normal_log(p["log_s"][0], pr.offset_scale)
    else:
        log_s = jnp.log(jnp.maximum(hyper[0], 1e-300))
        lp += hyper[1] * _half_normal_log(log_s, pr.offset_scale)
    lp += _normal(p["log_drr"], 0.0, pr.drr_log_sd)
    if layout.curvature:
        lp += _normal(p["curvature"], 0.0, pr.curvature_sd)
    lp += _half_normal_log(p["log_sd_intercept"], pr.sd_intercept_scale)
    lp += _half_normal_log(p["log_sd_rate"], pr.sd_rate_scale)
    lp += _half_normal_log(p["log_sd_residual"], pr.sd_residual_scale)
    lp += jnp.log1p(-(rho**2)) + np.log(0.5)  # rho ~ Uniform(-1, 1) (LKJ(1) for 2 x 2)
    lp += _normal(log_lam, pr.log_weibull_scale_mean, pr.log_weibull_scale_sd)
    lp += _normal(log_k, 0.0, pr.log_weibull_shape_sd)
    lp += _normal(p["link"], 0.0, pr.link_sd)
    lp += _normal(p["gamma_hazard"], 0.0, pr.coef_sd_hazard)
    return loglik + lp


@functools.lru_cache(maxsize=64)
def compiled(layout: Layout, priors: DRRPriors) -> Any:
    """Jitted ``value_and_grad`` of minus the log posterior ``(theta, data, hyper)`` (cached per
    layout and priors; JAX compiles once per array shape). The Hessian is taken by central
    differences of this exact gradient (:func:`hessian`): compiling JAX's own Hessian takes
    several times longer than the whole fit."""

    def neg(theta: Any, data: tuple[Any, ...], hyper: Any) -> Any:
        return -log_posterior(theta, data, hyper, layout, priors)

    return jax.jit(jax.value_and_grad(neg))


def hessian(value_and_grad: Any, theta: np.ndarray, data: tuple, hyper: np.ndarray) -> np.ndarray:
    """Hessian of minus the log posterior by central differences of the exact gradient (steps
    ``1e-5 max(1, |theta_j|)``; error of order 1e-9 relative), symmetrised."""
    p = len(theta)
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    out = np.empty((p, p))
    for j in range(p):
        e = np.zeros(p)
        e[j] = h[j]
        g_plus = np.asarray(value_and_grad(theta + e, data, hyper)[1])
        g_minus = np.asarray(value_and_grad(theta - e, data, hyper)[1])
        out[:, j] = (g_plus - g_minus) / (2 * h[j])
    return (out + out.T) / 2

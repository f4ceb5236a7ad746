"""Quadrature rules used by the joint model.

Two integrals have no closed form in a shared-random-effects joint model:

* the integral over the random effects ``b_i ~ N(0, D)`` (dimension ``q``), done with a product
  Gauss-Hermite rule centred and scaled per subject (adaptive Gauss-Hermite):

  .. math::

      \\int g(b)\\,db \\approx |L_i| \\sum_k w_k\\, e^{\\lVert x_k\\rVert^2/2}\\,
      g(\\hat b_i + L_i x_k),

  where ``x_k, w_k`` are the probabilists' Hermite nodes and weights (weight function
  ``exp(-x'x/2)``), ``\\hat b_i`` is the subject's posterior mode and ``L_i L_i'`` the inverse of
  the negative Hessian of the log posterior at the mode (Rizopoulos 2012, section 4.3);

* the cumulative hazard ``\\int_0^T h(s) ds``, done interval by interval with Gauss-Legendre
  nodes mapped to each interval of the piecewise-constant baseline hazard.

References
----------
Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data, with Applications
in R*. Chapman & Hall/CRC.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss

__all__ = ["graded_legendre", "hermite_grid", "legendre_on_intervals"]


def hermite_grid(n_points: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Product Gauss-Hermite rule for a standard-normal-type weight in ``dim`` dimensions.

    Parameters
    ----------
    n_points : int
        Points per dimension.
    dim : int
        Number of dimensions (random effects).

    Returns
    -------
    nodes : ndarray, shape (n_points**dim, dim)
        Nodes ``x_k``.
    log_weights : ndarray, shape (n_points**dim,)
        ``log(w_k) + x_k'x_k / 2``, so that
        ``int g(x) dx ~= sum_k exp(log_weights[k]) g(x_k)``.

    References
    ----------
    Rizopoulos, D. (2012). *Joint Models for Longitudinal and Time-to-Event Data*, section 4.3.

    Examples
    --------
    >>> import numpy as np
    >>> x, lw = hermite_grid(7, 2)
    >>> round(float(np.exp(lw) @ np.exp(-0.5 * (x**2).sum(1))), 8)  # = 2 pi
    6.28318531
    """
    x, w = hermegauss(n_points)
    nodes = np.array(list(itertools.product(x, repeat=dim)), dtype=float).reshape(-1, dim)
    logw = np.array(
        [np.sum(np.log(c)) for c in itertools.product(w, repeat=dim)], dtype=float
    ).reshape(-1)
    return nodes, logw + 0.5 * np.sum(nodes**2, axis=1)


def legendre_on_intervals(
    lower: np.ndarray, upper: np.ndarray, n_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on each interval ``[lower[j], upper[j]]``.

    Parameters
    ----------
    lower, upper : ndarray, shape (m,)
        Interval limits (``upper >= lower``).
    n_points : int
        Nodes per interval.

    Returns
    -------
    nodes, weights : ndarray, shape (m, n_points)
        ``int_lower^upper f(s) ds ~= sum_g weights[j, g] f(nodes[j, g])``.

    Examples
    --------
    >>> import numpy as np
    >>> s, w = legendre_on_intervals(np.array([0.0]), np.array([2.0]), 7)
    >>> round(float(w[0] @ np.exp(s[0])), 10) == round(float(np.exp(2) - 1), 10)
    True
    """
    x, w = leggauss(n_points)
    half = 0.5 * (np.asarray(upper, float) - np.asarray(lower, float))
    mid = 0.5 * (np.asarray(upper, float) + np.asarray(lower, float))
    return mid[:, None] + half[:, None] * x[None, :], half[:, None] * w[None, :]


#: Default Gauss-Hermite points per dimension by the number of random effects (see
#: :func:`default_gh_points`).
_DEFAULT_POINTS = {1: 11, 2: 7, 3: 5, 4: 4}


def default_gh_points(dim: int) -> int:
    """Default points per dimension of the adaptive rule for ``dim`` random effects.

    11, 7, 5 and 4 points for 1 to 4 random effects, 3 beyond: about 250 points or fewer in
    all. Fully adaptive rules (centred at each subject's posterior mode, scaled by its
    curvature) integrate a Gaussian-like posterior exactly up to degree ``2k - 1`` in each
    direction; with many measurements per subject the posterior is close to Gaussian and the
    log-likelihood changes by far less than 0.01 when the points are raised (see
    ``docs/joint.md``, "Accuracy of the quadrature", and the tests that check it).

    Examples
    --------
    >>> [default_gh_points(q) for q in (1, 2, 3, 4, 6)]
    [11, 7, 5, 4, 3]
    """
    return _DEFAULT_POINTS.get(int(dim), 3)


def graded_legendre(
    upper: np.ndarray, n_points: int, power: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes on ``[0, upper[j]]`` after the substitution ``s = upper u^power``.

    For integrands with a power singularity at 0, as a Weibull hazard's ``s^(kappa - 1)``:
    in ``u`` the integrand is ``u^(power kappa - 1)`` times a smooth function, so with
    ``power = 3`` it is bounded for every ``kappa >= 1/3`` and a polynomial at ``kappa = 1/3,
    2/3, 1``; plain Gauss-Legendre converges only algebraically on ``s^(kappa-1)``. Larger
    powers crowd the nodes towards 0 and lose accuracy near ``upper``.

    Examples
    --------
    >>> import numpy as np
    >>> s, w = graded_legendre(np.array([2.0]), 7)
    >>> exact = 2.0**0.6 / 0.6  # int_0^2 s^(-0.4) ds
    >>> bool(abs(w[0] @ s[0] ** -0.4 - exact) < 1e-4 * exact)
    True
    """
    x, w = leggauss(n_points)
    u, wu = 0.5 * (x + 1.0), 0.5 * w
    up = np.asarray(upper, float)[:, None]
    return up * u[None, :] ** power, up * power * (u ** (power - 1) * wu)[None, :]

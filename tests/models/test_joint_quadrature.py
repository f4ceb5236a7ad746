"""Properties of the quadrature rules behind the joint model."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.models.joint.quadrature import hermite_grid, legendre_on_intervals


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 8),
    mu=st.floats(-3, 3),
    s=st.floats(0.2, 3),
)
def test_hermite_integrates_gaussian_moments(n, mu, s):
    # int N(b; mu, s^2) * b^k db with b = mu + s x: exact for k <= 2n - 1
    x, lw = hermite_grid(n, 1)
    b = mu + s * x[:, 0]
    dens = np.exp(-0.5 * ((b - mu) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    w = np.exp(lw) * s
    assert np.isclose(w @ dens, 1.0, rtol=1e-10)
    assert np.isclose(w @ (dens * b), mu, rtol=1e-9, atol=1e-9)
    assert np.isclose(w @ (dens * (b - mu) ** 2), s**2, rtol=1e-9)


def test_hermite_grid_shape_and_product():
    x, lw = hermite_grid(5, 2)
    assert x.shape == (25, 2) and lw.shape == (25,)
    x1, lw1 = hermite_grid(5, 1)
    np.testing.assert_allclose(np.exp(lw).sum(), np.exp(lw1).sum() ** 2)


@settings(max_examples=30, deadline=None)
@given(
    lo=st.floats(0, 10),
    width=st.floats(1e-3, 10),
    rate=st.floats(-1, 1, allow_subnormal=False),  # expm1(r w)/r loses a subnormal r
)
def test_legendre_integrates_exponentials(lo, width, rate):
    up = lo + width
    width = up - lo  # the width the rule sees, after rounding
    s, w = legendre_on_intervals(np.array([lo]), np.array([up]), 7)
    got = float(w[0] @ np.exp(rate * s[0]))
    want = np.exp(rate * lo) * (np.expm1(rate * width) / rate if rate != 0 else width)
    # Gauss-Legendre's remainder with n points: width^(2n+1) (n!)^4 / ((2n+1) ((2n)!)^3)
    # times the 2n-th derivative somewhere in the interval; bound it by its largest value.
    n = 7
    bound = (
        width ** (2 * n + 1)
        * math.factorial(n) ** 4
        / ((2 * n + 1) * math.factorial(2 * n) ** 3)
        * abs(rate) ** (2 * n)
        * np.exp(max(rate * lo, rate * up))
    )
    assert abs(got - want) <= bound + 1e-12 * abs(want)

"""Baseline covariates, MRI sign traits and the subject-level random effects.

Model
-----
For subject ``i`` (``p`` = composite prevalence, ``f``/``s`` = FLAIR/SWI prevalences):

* age ~ N(age_mean, age_sd^2) clipped to [18, 90]; sex "M" with probability male_fraction;
  onset site "bulbar" with probability bulbar_fraction, else "spinal";
  onset-to-baseline months = exp(log(median) + sdlog Z), clipped to [2, 240] (the upper bound
  is the validator's plausible range, :data:`alstrials.data.schema.PLAUSIBLE_RANGES`).
* MRI signs from one uniform ``U_i``: composite ``S_i = U_i < p``; FLAIR ``F_i = U_i < f``;
  SWI ``W_i = S_i or f <= U_i < f + s - p``. Hence P(F) = f, P(W) = s, P(F and W) = p and
  ``S_i = F_i and W_i``. The signs are stable subject traits (every scan reads the same).
* random effects, with ``Z0, Z1`` independent standard normals,
  ``sigma_u^2 = slope_sd^2 - shift^2 p (1 - p)``::

      b0_i = baseline_mean + baseline_sd Z0
      u1_i = sigma_u (rho Z0 + sqrt(1 - rho^2) Z1)
      b1_i = -decline_mean + shift (S_i - p) + u1_i          (natural, untreated slope)

  so E[b1] = -decline_mean, SD[b1] = slope_sd and corr(b0, u1) = rho (intercept_slope_corr).
* item weights ``w_ij = omega_{site(i), domain(j)} m_j G_ij`` (``m_j`` the item
  multipliers) with ``G_ij ~ Gamma(1/cv^2, cv^2)`` (mean 1, coefficient of variation
  ``weight_cv``).

Each block uses its own random stream (see :mod:`alstrials.data.simulate.trial`).
"""

from __future__ import annotations

import numpy as np

from alstrials.data.schema import PLAUSIBLE_RANGES
from alstrials.data.simulate.scenario import Scenario

__all__ = ["Baseline", "simulate_baseline", "domain_index"]

_ONSET_MAX = PLAUSIBLE_RANGES["subjects"]["onset_to_baseline_months"][1]


def domain_index() -> np.ndarray:
    """Domain (0 bulbar, 1 fine motor, 2 gross motor, 3 respiratory) of each of the 12 items."""
    return np.repeat(np.arange(4), 3)


class Baseline:
    """Per-subject covariates, sign traits, random effects and item weights (arrays)."""

    def __init__(self, **arrays: np.ndarray) -> None:
        self.age: np.ndarray = arrays["age"]
        self.male: np.ndarray = arrays["male"]
        self.bulbar: np.ndarray = arrays["bulbar"]
        self.onset_to_baseline: np.ndarray = arrays["onset_to_baseline"]
        self.flair: np.ndarray = arrays["flair"]
        self.swi: np.ndarray = arrays["swi"]
        self.composite: np.ndarray = arrays["composite"]
        self.intercept: np.ndarray = arrays["intercept"]
        self.slope_z: np.ndarray = arrays["slope_z"]
        self.natural_slope: np.ndarray = arrays["natural_slope"]
        self.weights: np.ndarray = arrays["weights"]


def simulate_baseline(
    n: int,
    sc: Scenario,
    rng_covariates: np.random.Generator,
    rng_signs: np.random.Generator,
    rng_effects: np.random.Generator,
    rng_weights: np.random.Generator,
) -> Baseline:
    """Draw the baseline block for ``n`` subjects (see the module docstring).

    Parameters
    ----------
    n : int
        Number of subjects.
    sc : Scenario
        The scenario.
    rng_covariates, rng_signs, rng_effects, rng_weights : numpy.random.Generator
        Independent streams for covariates, MRI signs, random effects and item weights.

    Returns
    -------
    Baseline

    Examples
    --------
    >>> g = [np.random.default_rng(i) for i in range(4)]
    >>> b = simulate_baseline(1000, Scenario(), *g)
    >>> bool(np.all(b.composite == (b.flair & b.swi)))
    True
    """
    age = np.clip(sc.age_mean + sc.age_sd * rng_covariates.standard_normal(n), 18.0, 90.0)
    male = rng_covariates.uniform(size=n) < sc.male_fraction
    bulbar = rng_covariates.uniform(size=n) < sc.bulbar_fraction
    onset = np.exp(
        np.log(sc.onset_to_baseline_median_months)
        + sc.onset_to_baseline_sdlog * rng_covariates.standard_normal(n)
    )
    onset = np.clip(onset, 2.0, _ONSET_MAX)

    p, f, s = sc.composite_prevalence, sc.flair_prevalence, sc.swi_prevalence
    u = rng_signs.uniform(size=n)
    composite = u < p
    flair = u < f
    swi = composite | ((u >= f) & (u < f + s - p))

    z = rng_effects.standard_normal((n, 2))
    rho = sc.intercept_slope_corr
    sigma_u = np.sqrt(sc.slope_sd**2 - sc.sign_slope_shift**2 * p * (1 - p))
    intercept = sc.baseline_mean + sc.baseline_sd * z[:, 0]
    slope_z = rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]
    natural_slope = -sc.decline_mean + sc.sign_slope_shift * (composite - p) + sigma_u * slope_z

    site_w = (
        np.where(
            bulbar[:, None],
            np.asarray(sc.bulbar_onset_weights)[None, :],
            np.asarray(sc.spinal_onset_weights)[None, :],
        )[:, domain_index()]
        * np.asarray(sc.item_weight_multipliers)[None, :]
    )
    if sc.weight_cv > 0:
        shape = 1.0 / sc.weight_cv**2
        weights = site_w * rng_weights.gamma(shape, 1.0 / shape, size=(n, 12))
    else:
        weights = site_w.copy()
    return Baseline(
        age=age,
        male=male,
        bulbar=bulbar,
        onset_to_baseline=onset,
        flair=flair,
        swi=swi,
        composite=composite,
        intercept=intercept,
        slope_z=slope_z,
        natural_slope=natural_slope,
        weights=weights,
    )

"""MRI series: three continuous biomarkers correlated with the functional decline, two signs.

Model
-----
``zeta_i`` is the subject's standardised random slope (``u1_i / sigma_u``, positive = slower
decline); ``Z`` are independent standard normals; ``t`` is the scan time in years (months/12)::

    FA_i(t)   = fa0_i + g_i t + e,   fa0_i = mu_fa + sd_fa (r_fa zeta_i + sqrt(1 - r_fa^2) Z1)
                                     g_i   = mu_g + sd_g (r_g zeta_i + sqrt(1 - r_g^2) Z2)
    CT_i(t)   = ct0_i + mu_ct t + e, ct0_i = mu_ct0 + sd_ct0 Z3
    CSA_i(t)  = a0_i + a1_i t + e,   a0_i  = mu_a0 + sd_a0 Z4
                                     a1_i  = mu_a1 + sd_a1 (r_a zeta_i + sqrt(1 - r_a^2) Z5)

with scan-level errors ``e ~ N(0, noise_sd^2)`` of each biomarker. ``r_fa`` = cst_fa_slope_corr
(baseline FA lower in faster progressors), ``r_g`` = cst_fa_change_slope_corr, ``r_a`` =
cord_csa_slope_corr. Each biomarker is clipped to its plausible range in
:data:`alstrials.data.schema.PLAUSIBLE_RANGES` (FA [0, 1], thickness [0.5, 6] mm, area
[20, 150] mm2), so a simulated trial always validates; the defaults lie far inside.
Values are rounded (FA 4 decimals, thickness 3, area 2) so they are platform-stable and
round-trip through CSV. The FLAIR and SWI signs (and their conjunction, ``composite_sign``) are
stable subject traits drawn in :mod:`~alstrials.data.simulate.baseline`: every scan of a
subject reads the same.

Draws: the MRI stream gives the scan grid (:mod:`.schedule`), then 5 standard normals per
subject (:func:`simulate_mri_effects`), then 3 per grid cell (:func:`simulate_mri_values`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alstrials.data.schema import PLAUSIBLE_RANGES
from alstrials.data.simulate.scenario import Scenario

__all__ = ["MriEffects", "simulate_mri_effects", "simulate_mri_values"]

_RANGE = {name: PLAUSIBLE_RANGES["mri"][name][:2] for name in PLAUSIBLE_RANGES["mri"]}


@dataclass(frozen=True)
class MriEffects:
    """Each subject's latent biomarker course (arrays of shape (n,); ``t`` in years).

    Attributes
    ----------
    fa0, fa_change : ndarray
        Baseline FA and its change per year.
    ct0 : ndarray
        Baseline cortical thickness (mm); the change is the common ``mu_ct``.
    cord_intercept, cord_slope_per_year : ndarray
        ``a0_i`` (mm^2) and ``a1_i`` (mm^2/year): the latent cord area is ``a0_i + a1_i t``,
        which :mod:`~alstrials.data.simulate.causes` also uses.
    """

    fa0: np.ndarray
    fa_change: np.ndarray
    ct0: np.ndarray
    cord_intercept: np.ndarray
    cord_slope_per_year: np.ndarray


def simulate_mri_effects(slope_z: np.ndarray, sc: Scenario, rng: np.random.Generator) -> MriEffects:
    """The subject-level biomarker effects (5 standard-normal draws per subject).

    Parameters
    ----------
    slope_z : ndarray, shape (n,)
        Standardised random slopes.
    sc : Scenario
        The scenario.
    rng : numpy.random.Generator
        The MRI stream, after the scan grid has been drawn from it.

    Returns
    -------
    MriEffects

    Examples
    --------
    >>> fx = simulate_mri_effects(np.zeros(3), Scenario(), np.random.default_rng(0))
    >>> fx.cord_intercept.shape
    (3,)
    """
    z = rng.standard_normal((len(slope_z), 5))

    def mix(r: float, other: np.ndarray) -> np.ndarray:
        return r * slope_z + np.sqrt(1.0 - r**2) * other

    return MriEffects(
        fa0=sc.cst_fa_mean + sc.cst_fa_sd * mix(sc.cst_fa_slope_corr, z[:, 0]),
        fa_change=sc.cst_fa_change_per_year
        + sc.cst_fa_change_sd * mix(sc.cst_fa_change_slope_corr, z[:, 1]),
        ct0=sc.thickness_mean_mm + sc.thickness_sd_mm * z[:, 2],
        cord_intercept=sc.cord_csa_mean_mm2 + sc.cord_csa_sd_mm2 * z[:, 3],
        cord_slope_per_year=sc.cord_csa_change_per_year_mm2
        + sc.cord_csa_change_sd_mm2 * mix(sc.cord_csa_slope_corr, z[:, 4]),
    )


def simulate_mri_values(
    effects: MriEffects, months: np.ndarray, sc: Scenario, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Biomarker values on the full scan grid.

    Parameters
    ----------
    effects : MriEffects
        From :func:`simulate_mri_effects`.
    months : ndarray, shape (n, V)
        Scan times (months).
    sc : Scenario
        The scenario.
    rng : numpy.random.Generator
        The MRI stream, after the effects have been drawn from it (3 draws per grid cell,
        whatever the parameters).

    Returns
    -------
    dict of ndarray, shape (n, V)
        ``cst_fa``, ``precentral_thickness_mm``, ``cord_csa_mm2``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fx = simulate_mri_effects(np.zeros(2), Scenario(), rng)
    >>> v = simulate_mri_values(fx, np.array([[0.0, 6.0], [0.0, 6.0]]), Scenario(), rng)
    >>> sorted(v), v["cst_fa"].shape
    (['cord_csa_mm2', 'cst_fa', 'precentral_thickness_mm'], (2, 2))
    """
    e = rng.standard_normal((3,) + months.shape)
    years = months / 12.0

    def col(x: np.ndarray) -> np.ndarray:
        return x[:, None]

    fa = np.clip(
        col(effects.fa0) + col(effects.fa_change) * years + sc.cst_fa_noise_sd * e[0], 0.0, 1.0
    )
    ct = (
        col(effects.ct0) + sc.thickness_change_per_year_mm * years + sc.thickness_noise_sd_mm * e[1]
    )
    csa = (
        col(effects.cord_intercept)
        + col(effects.cord_slope_per_year) * years
        + sc.cord_csa_noise_sd_mm2 * e[2]
    )
    return {
        "cst_fa": np.round(fa, 4),
        "precentral_thickness_mm": np.round(np.clip(ct, *_RANGE["precentral_thickness_mm"]), 3),
        "cord_csa_mm2": np.round(np.clip(csa, *_RANGE["cord_csa_mm2"]), 2),
    }

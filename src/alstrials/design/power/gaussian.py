"""A trial simulator that meets the analytic slope formula's assumptions exactly.

Subject ``i`` in arm ``a`` (0 = reference, 1 = active) at fixed times ``t_j``:

    y_ij = (beta0 + b0_i) + (beta1 + delta * a + b1_i) * t_j + e_ij,
    (b0_i, b1_i) ~ N(0, [[sig2_int, cov_int_slope], [cov_int_slope, sig2_slope]]),
    e_ij ~ N(0, sig2_resid),

no dropout, no floor, no rounding. This is the model behind
:func:`alstrials.power.lmm_slope` (Diggle et al. 2002), so simulated power with
``analysis=gaussian_lmm_slope`` must agree with it within Monte Carlo error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alstrials.design.power.analyses import ReplicateOutcome, _wald

__all__ = ["gaussian_slope_trial", "gaussian_lmm_slope"]


def gaussian_slope_trial(
    *,
    n_per_arm: int,
    seed: int,
    delta: float,
    t: Sequence[float],
    sig2_slope: float,
    sig2_resid: float,
    sig2_int: float = 0.0,
    cov_int_slope: float = 0.0,
    intercept: float = 38.0,
    slope: float = -1.0,
) -> pd.DataFrame:
    """Long data (``subject_id``, ``arm``, ``months``, ``y``) from the model above."""
    rng = np.random.default_rng(seed)
    times = np.asarray(t, dtype=float)
    n = 2 * n_per_arm
    cov = np.array([[sig2_int, cov_int_slope], [cov_int_slope, sig2_slope]])
    b = rng.multivariate_normal(np.zeros(2), cov, size=n, method="eigh")
    arm = np.repeat([0.0, 1.0], n_per_arm)
    mean = (intercept + b[:, :1]) + (slope + delta * arm[:, None] + b[:, 1:]) * times[None, :]
    y = mean + rng.normal(0.0, np.sqrt(sig2_resid), size=mean.shape)
    return pd.DataFrame(
        {
            "subject_id": np.repeat(np.arange(n), len(times)).astype(str),
            "arm": np.repeat(np.where(arm == 1, "active", "placebo"), len(times)),
            "months": np.tile(times, n),
            "y": y.ravel(),
        }
    )


def gaussian_lmm_slope(data: pd.DataFrame) -> ReplicateOutcome:
    """Wald test of the slope difference from the random intercept-and-slope LMM."""
    from alstrials.models.lmm import fit_lmm

    data = data.assign(arm=pd.Categorical(data["arm"], categories=["placebo", "active"]))
    fit = fit_lmm(data, "y ~ months * arm", group="subject_id", random="~months")
    row = fit.fixed.loc["months:arm[T.active]"]
    return _wald(row["estimate"], row["se"], fit.converged)

"""Settings of the DRR model: priors, borrowing, method, and the parameter layout.

:class:`DRRPriors` holds every prior scale (all documented in ``docs/platform.md``); a user
changes one with ``DRRPriors(drr_log_sd=0.3)``. :class:`Layout` maps names to slices of the
unconstrained parameter vector that the likelihood, the optimiser and NUTS share.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields

import numpy as np

from alstrials.errors import DesignError

__all__ = ["Borrowing", "Method", "DRRPriors", "Layout", "build_layout"]


class Borrowing(enum.Enum):
    """How the placebo groups of the regimens are combined."""

    HIERARCHICAL = "hierarchical"
    CONCURRENT = "concurrent"
    POOLED = "pooled"

    @classmethod
    def parse(cls, value: object) -> Borrowing:
        try:
            return value if isinstance(value, cls) else cls(str(value).lower())
        except ValueError:
            raise DesignError(
                f"borrowing must be one of {[b.value for b in cls]}, got {value!r}"
            ) from None


class Method(enum.Enum):
    """Estimation method: full Bayes by NUTS or posterior mode + Laplace approximation."""

    NUTS = "nuts"
    LAPLACE = "laplace"

    @classmethod
    def parse(cls, value: object) -> Method:
        try:
            return value if isinstance(value, cls) else cls(str(value).lower())
        except ValueError:
            raise DesignError(
                f"method must be one of {[m.value for m in cls]}, got {value!r}"
            ) from None


@dataclass(frozen=True)
class DRRPriors:
    """Weakly informative priors of the DRR model (see ``docs/platform.md``).

    Attributes
    ----------
    drr_log_sd : float
        0.5: ``log DRR_r ~ N(0, 0.5^2)`` (95% prior range of the DRR 0.38-2.66).
    intercept_sd : float
        10.0 points: regimen mean baseline totals ``alpha_r ~ N(ybar_0, 10^2)``, ``ybar_0`` the
        mean observed baseline total (the prior is centred on the data).
    rate_mean, rate_sd : float
        1.0 and 1.0 points/month: placebo mean progression rate ``beta_0 ~ N(1, 1)``.
    offset_scale : float
        0.25 points/month: hierarchical SD of the regimen placebo offsets,
        ``s ~ HalfNormal(0.25)``.
    concurrent_offset_sd : float
        1.0 points/month: prior SD of each offset under concurrent-only borrowing (nearly flat
        against the data).
    curvature_sd : float
        0.1 points/month^2: ``c ~ N(0, 0.1^2)`` (only with ``curvature=True``).
    sd_intercept_scale, sd_rate_scale, sd_residual_scale : float
        10.0, 2.0, 5.0: half-normal scales of the random-intercept, random-rate and residual SDs.
    log_weibull_scale_mean, log_weibull_scale_sd : float
        ``log(36)`` and 2.0: ``log lambda ~ N(log 36, 2^2)`` (months of disease time).
    log_weibull_shape_sd : float
        1.0: ``log k ~ N(0, 1)``.
    link_sd : float
        1.0: association of the log hazard with the progression rate, ``phi ~ N(0, 1)`` per
        point/month.
    coef_sd_intercept, coef_sd_rate, coef_sd_hazard : float
        10.0, 1.0, 1.0: ``N(0, sd^2)`` priors of the covariate effects (covariates standardised)
        on the intercept, the rate and the log hazard.
    """

    drr_log_sd: float = 0.5
    intercept_sd: float = 10.0
    rate_mean: float = 1.0
    rate_sd: float = 1.0
    offset_scale: float = 0.25
    concurrent_offset_sd: float = 1.0
    curvature_sd: float = 0.1
    sd_intercept_scale: float = 10.0
    sd_rate_scale: float = 2.0
    sd_residual_scale: float = 5.0
    log_weibull_scale_mean: float = math.log(36.0)
    log_weibull_scale_sd: float = 2.0
    log_weibull_shape_sd: float = 1.0
    link_sd: float = 1.0
    coef_sd_intercept: float = 10.0
    coef_sd_rate: float = 1.0
    coef_sd_hazard: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DesignError(f"priors.{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise DesignError(f"priors.{f.name} must be finite, got {value!r}")
            if f.name not in ("rate_mean", "log_weibull_scale_mean") and value <= 0:
                raise DesignError(f"priors.{f.name} is a scale and must be > 0, got {value!r}")


@dataclass(frozen=True)
class Layout:
    """Names and slices of the unconstrained parameter vector."""

    blocks: tuple[tuple[str, int, int], ...]  # (name, start, size)
    n_regimens: int
    n_covariates: int
    common_drr: bool
    curvature: bool
    free_log_s: bool

    @property
    def size(self) -> int:
        return self.blocks[-1][1] + self.blocks[-1][2]

    def slice(self, name: str) -> slice:
        for block, start, size in self.blocks:
            if block == name:
                return slice(start, start + size)
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(block == name for block, _, _ in self.blocks)

    def labels(self, regimens: list[str], covariates: list[str]) -> list[str]:
        """One label per element of the vector, e.g. ``alpha[A]``, ``gamma_rate[delta_fs]``."""
        out: list[str] = []
        for name, _, size in self.blocks:
            if name in ("alpha", "z_offset") or (name == "log_drr" and size > 1):
                out += [f"{name}[{r}]" for r in regimens]
            elif name.startswith("gamma"):
                out += [f"{name}[{c}]" for c in covariates]
            else:
                out += [name] * size if size == 1 else [f"{name}[{k}]" for k in range(size)]
        return out

    def split(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.asarray(theta)[..., s : s + k] for name, s, k in self.blocks}


def build_layout(
    n_regimens: int,
    n_covariates: int,
    *,
    common_drr: bool,
    curvature: bool,
    free_log_s: bool,
) -> Layout:
    """The parameter layout of one model; ``free_log_s``: the hierarchical SD is a parameter
    (hierarchical borrowing under NUTS) rather than given (Laplace grid, or the fixed multiplier
    of concurrent and pooled borrowing)."""
    sizes: list[tuple[str, int]] = [("alpha", n_regimens), ("gamma_intercept", n_covariates)]
    sizes += [("beta0", 1), ("gamma_rate", n_covariates)]
    sizes.append(("z_offset", n_regimens))  # unused (prior only) when pooled
    if free_log_s:
        sizes.append(("log_s", 1))
    sizes.append(("log_drr", 1 if common_drr else n_regimens))
    if curvature:
        sizes.append(("curvature", 1))
    sizes += [("log_sd_intercept", 1), ("log_sd_rate", 1), ("atanh_rho", 1)]
    sizes += [("log_sd_residual", 1), ("log_weibull_scale", 1), ("log_weibull_shape", 1)]
    sizes += [("link", 1), ("gamma_hazard", n_covariates)]
    blocks, start = [], 0
    for name, size in sizes:  # zero-size blocks (no covariates) are kept: empty slices
        blocks.append((name, start, size))
        start += size
    return Layout(
        tuple(blocks),
        n_regimens,
        n_covariates,
        common_drr,
        curvature,
        free_log_s,
    )

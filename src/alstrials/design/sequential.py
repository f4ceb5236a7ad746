r"""One-sided group-sequential designs: efficacy boundaries, futility bounds, characteristics.

At analyses :math:`k = 1, \dots, K` with information fractions :math:`0 < t_1 < \dots < t_K = 1`
the standardised statistics :math:`Z_k` are jointly normal with
:math:`\operatorname{cov}(Z_j, Z_k) = \sqrt{t_j / t_k}` (:math:`j \le k`) and
:math:`E Z_k = \delta\sqrt{t_k}`, where the drift :math:`\delta = \theta\sqrt{I_{max}}`. The trial
stops for efficacy at the first :math:`k` with :math:`Z_k \ge b_k` and, when futility bounds are
used, for futility at the first :math:`k` with :math:`Z_k \le a_k`.

Efficacy boundaries
    * Wang-Tsiatis classics: :math:`b_k = C\, t_k^{\Delta - 1/2}` with :math:`\Delta = 0`
      (``"obrien-fleming"``) or :math:`\Delta = 1/2` (``"pocock"``); the constant :math:`C` is
      found by root-finding so that :math:`P_0(\text{reject}) = \alpha` exactly.
    * Error spending (Lan & DeMets 1983): :math:`b_k` solves
      :math:`P_0(\text{continue to } k,\ Z_k \ge b_k) = \alpha(t_k) - \alpha(t_{k-1})` with
      a spending function :math:`\alpha(t)` from :mod:`alstrials.design.spending`
      (``"ld-obrien-fleming"``, ``"ld-pocock"``, ``"kim-demets"``, ``"hsd"``).

Futility bounds (beta spending)
    :math:`a_k` solves :math:`P_{\delta}(\text{continue to } k,\ Z_k \le a_k) =
    \beta(t_k) - \beta(t_{k-1})` under the alternative, and :math:`a_K = b_K`. The drift
    :math:`\delta` is not known in advance: it is solved jointly with the bounds so that the
    total type II error is exactly :math:`\beta` (the design has power :math:`1 - \beta`). A bound
    :math:`a_k > b_k` is set to :math:`b_k`. Non-binding futility (the default) computes the
    efficacy boundaries ignoring the futility bounds, so type I error is controlled whether or
    not the futility bounds are respected; binding futility includes them in the
    :math:`H_0` calculation, which lowers the efficacy boundaries.

Characteristics
    Maximum information relative to the fixed-sample design (the inflation factor) is
    :math:`IF = \{\delta / (z_{1-\alpha} + z_{1-\beta})\}^2`; the expected information
    (expected sample size, ASN) as a fraction of the fixed design is
    :math:`IF \sum_k t_k\, P(\text{stop at } k)`. For designs without futility bounds,
    :math:`\delta` solves :math:`P_\delta(\text{reject}) = 1 - \beta`.

References
----------
Armitage, P., McPherson, C. K. & Rowe, B. C. (1969). Repeated significance tests on accumulating
data. JRSS A 132, 235-244.

Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials.
Biometrika 70, 659-663.

Kim, K. & DeMets, D. L. (1987). Biometrika 74, 149-154.

Hwang, I. K., Shih, W. J. & DeCani, J. S. (1990). Statistics in Medicine 9, 1439-1445.

Jennison, C. & Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical
Trials. Chapman & Hall/CRC, chapters 2, 4, 7 and 19.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from alstrials.design import integration as ig
from alstrials.design.gsdesign import GSDesign
from alstrials.design.spending import SpendingFunction, spending_function
from alstrials.errors import DesignError

__all__ = ["GSDesign", "group_sequential", "BoundaryType"]

_NO_FUTILITY = -np.inf


class BoundaryType(Enum):
    """Efficacy boundary options."""

    OBRIEN_FLEMING = "obrien-fleming"
    POCOCK = "pocock"
    LD_OBRIEN_FLEMING = "ld-obrien-fleming"
    LD_POCOCK = "ld-pocock"
    KIM_DEMETS = "kim-demets"
    HSD = "hsd"

    @property
    def is_classic(self) -> bool:
        return self in (BoundaryType.OBRIEN_FLEMING, BoundaryType.POCOCK)


_FUTILITY_OPTIONS = ("ld-obrien-fleming", "kim-demets", "hsd")


def _frozen(x: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.array(x, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class _Spec:
    """Validated settings of a design (the one place where options are checked)."""

    k: int
    alpha: float
    beta: float
    boundary: BoundaryType
    gamma: float | None
    futility: str | None
    gamma_futility: float | None
    binding: bool
    info: np.ndarray
    alpha_fn: SpendingFunction | None
    beta_fn: SpendingFunction | None


def _validate(
    k: int,
    alpha: float,
    boundary: str,
    info: Sequence[float] | None,
    gamma: float | None,
    beta: float,
    futility: str | None,
    gamma_futility: float | None,
    binding: bool,
) -> _Spec:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DesignError(f"k (number of analyses) must be a positive integer, got {k!r}.")
    if not 0.0 < alpha < 0.5:
        raise DesignError(f"alpha is one-sided and must be in (0, 0.5), got {alpha!r}.")
    if not 0.0 < beta < 1.0 - alpha:
        raise DesignError(
            f"beta must be in (0, 1 - alpha) so that power exceeds alpha, got {beta!r}."
        )
    try:
        btype = BoundaryType(boundary)
    except ValueError:
        opts = ", ".join(repr(b.value) for b in BoundaryType)
        raise DesignError(f"unknown boundary {boundary!r}; use one of {opts}.") from None
    if info is None:
        t = np.arange(1, k + 1) / k
    else:
        t = np.asarray(info, dtype=float).ravel()
        if t.size != k:
            raise DesignError(
                f"info has {t.size} fractions but k={k}; give one fraction per analysis."
            )
        if not np.all(np.isfinite(t)) or t[0] <= 0 or np.any(np.diff(t) <= 0):
            raise DesignError(f"info must be strictly increasing and positive, got {t.tolist()}.")
        if abs(t[-1] - 1.0) > 1e-12:
            raise DesignError(
                f"info must end at 1 (the final analysis), got {t[-1]!r}; divide by the "
                "planned maximum information."
            )
        t[-1] = 1.0
    if btype.is_classic:
        if gamma is not None:
            raise DesignError(
                f"boundary {boundary!r} takes no gamma; gamma is for 'kim-demets'/'hsd'."
            )
        alpha_fn = None
    else:
        alpha_fn = spending_function(btype.value, alpha, gamma, what="alpha")
    beta_fn = None
    if futility is not None:
        if futility not in _FUTILITY_OPTIONS:
            raise DesignError(
                f"unknown futility {futility!r}; use one of {_FUTILITY_OPTIONS} or None."
            )
        if k < 2:
            raise DesignError("futility bounds need at least two analyses (k >= 2).")
        if binding and btype.is_classic:
            raise DesignError(
                "binding futility is only available with spending-function efficacy boundaries; "
                "use boundary='ld-obrien-fleming' or binding=False."
            )
        beta_fn = spending_function(futility, beta, gamma_futility, what="beta")
    elif gamma_futility is not None:
        raise DesignError(
            "gamma_futility was given but futility=None; set futility='kim-demets' or 'hsd'."
        )
    return _Spec(
        int(k),
        float(alpha),
        float(beta),
        btype,
        gamma,
        futility,
        gamma_futility,
        bool(binding),
        _frozen(t),
        alpha_fn,
        beta_fn,
    )


# --------------------------------------------------------------------------- boundary solvers


def _solve_upper(state: ig.State, target: float, t: float) -> float:
    if target <= 1e-15:
        return np.inf
    hi = -float(ndtri(target)) + 0.5
    if ig.exit_upper(state, -12.0, t, 0.0) < target:  # less mass left than the target
        return -12.0
    return ig.solve_bound(state, target, t, 0.0, upper=True, lo=-12.0, hi=hi)


def _solve_lower(state: ig.State, target: float, t: float, drift: float, b: float) -> float:
    if target <= 1e-15:
        return _NO_FUTILITY
    if ig.exit_lower(state, b, t, drift) <= target:
        return b
    lo = max(drift * np.sqrt(t) + float(ndtri(target)) - 0.5, -40.0)
    hi = min(b, drift * np.sqrt(t) + 40.0)
    return ig.solve_bound(state, target, t, drift, upper=False, lo=lo, hi=hi)


def _increments(fn: SpendingFunction | None, t: np.ndarray) -> np.ndarray:
    """Error spent between consecutive analyses."""
    if fn is None:  # pragma: no cover - callers pass a function whenever they need increments
        raise DesignError("internal error: no spending function for this design.")
    return np.diff(np.concatenate(([0.0], fn(t))))


def _classic_upper(spec: _Spec, r: int) -> np.ndarray:
    power = 0.0 if spec.boundary is BoundaryType.OBRIEN_FLEMING else 0.5
    shape = spec.info ** (power - 0.5)
    lower = np.full(spec.k, -np.inf)

    def excess(c: float) -> float:
        pu, _ = ig.crossing_probabilities(c * shape, lower, spec.info, 0.0, r=r)
        return pu.sum() - spec.alpha

    lo = -float(ndtri(spec.alpha)) - 0.5  # the final boundary alone spends less than alpha
    while excess(lo) < 0:
        lo -= 1.0
    c = brentq(excess, lo, 12.0, xtol=1e-12)
    return c * shape


def _spending_upper(spec: _Spec, spend_t: np.ndarray, r: int) -> np.ndarray:
    inc = _increments(spec.alpha_fn, spend_t)
    st = ig.start_state()
    upper = np.empty(spec.k)
    for k, t in enumerate(spec.info):
        upper[k] = _solve_upper(st, inc[k], t)
        if k < spec.k - 1:
            st = ig.advance(st, -np.inf, upper[k], t, 0.0, r)
    return upper


def _with_futility(
    spec: _Spec, spend_t: np.ndarray, drift: float, upper_nb: np.ndarray | None, r: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Bounds for a given drift; returns (upper, lower, type II error shortfall at the end)."""
    beta_inc = _increments(spec.beta_fn, spend_t)
    alpha_inc = _increments(spec.alpha_fn, spend_t) if spec.binding else None
    s0, s1 = ig.start_state(), ig.start_state()
    upper, lower = np.empty(spec.k), np.empty(spec.k)
    gap = 0.0
    for k, t in enumerate(spec.info):
        if alpha_inc is not None:
            upper[k] = _solve_upper(s0, alpha_inc[k], t)
        else:
            upper[k] = upper_nb[k]  # type: ignore[index]  # given for non-binding designs
        if k == spec.k - 1:
            lower[k] = upper[k]
            gap = ig.exit_lower(s1, upper[k], t, drift) - beta_inc[k]
            break
        lower[k] = _solve_lower(s1, beta_inc[k], t, drift, upper[k])
        if lower[k] >= upper[k]:  # the design stops here whatever happens: nothing further
            upper[k + 1 :] = np.inf
            lower[k + 1 :] = np.inf
            gap = -beta_inc[k + 1 :].sum()
            break
        s1 = ig.advance(s1, lower[k], upper[k], t, drift, r)
        if spec.binding:
            s0 = ig.advance(s0, lower[k], upper[k], t, 0.0, r)
    return upper, lower, gap


def _solve_drift(fun: Callable[[float], float], start: float) -> float:
    lo, hi = 0.7 * start, 1.6 * start
    flo, fhi = fun(lo), fun(hi)
    for _ in range(20):
        if flo * fhi < 0:
            return brentq(fun, lo, hi, xtol=1e-11)
        if flo < 0 and fhi < 0:
            lo, flo = lo * 0.5, fun(lo * 0.5)
        else:
            hi, fhi = hi * 1.5, fun(hi * 1.5)
    raise DesignError("could not find the drift giving the requested power; check alpha and beta.")


# --------------------------------------------------------------------------- result


def _build(spec: _Spec, spend_t: np.ndarray, r: int, drift: float | None = None) -> GSDesign:
    """Compute a design from validated settings; ``drift`` given means hold it fixed."""
    z_fixed = float(ndtri(1 - spec.alpha) + ndtri(1 - spec.beta))
    t = spec.info
    no_fut = np.full(spec.k, -np.inf)
    if spec.boundary.is_classic:
        upper = _classic_upper(spec, r)
        cum_alpha = np.cumsum(ig.crossing_probabilities(upper, no_fut, t, 0.0, r=r)[0])
    else:
        upper = _spending_upper(spec, spend_t, r)
        cum_alpha = np.cumsum(_increments(spec.alpha_fn, spend_t))
    lower: np.ndarray | None = None
    cum_beta = None
    if spec.beta_fn is not None:
        if drift is None:
            drift = _solve_drift(lambda d: -_with_futility(spec, spend_t, d, upper, r)[2], z_fixed)
        upper, lower, _ = _with_futility(spec, spend_t, drift, upper, r)
        cum_beta = spec.beta_fn(spend_t)
    elif drift is None:
        drift = _solve_drift(
            lambda d: (
                ig.crossing_probabilities(upper, no_fut, t, d, r=r)[0].sum() - (1 - spec.beta)
            ),
            z_fixed,
        )
    lo = no_fut if lower is None else lower
    r0, f0 = ig.crossing_probabilities(upper, lo, t, 0.0, r=r)
    r1, f1 = ig.crossing_probabilities(upper, lo, t, drift, r=r)
    return GSDesign(
        k=spec.k,
        alpha=spec.alpha,
        beta=spec.beta,
        boundary=spec.boundary.value,
        gamma=spec.gamma,
        futility=spec.futility,
        gamma_futility=spec.gamma_futility,
        binding=spec.binding,
        info=_frozen(t),
        upper=_frozen(upper),
        lower=None if lower is None else _frozen(lower),
        cumulative_alpha=_frozen(cum_alpha),
        cumulative_beta=None if cum_beta is None else _frozen(cum_beta),
        drift=float(drift),
        inflation=float((drift / z_fixed) ** 2),
        reject_h0=_frozen(r0),
        futility_h0=_frozen(f0),
        reject_h1=_frozen(r1),
        futility_h1=_frozen(f1),
        spend_info=_frozen(spend_t),
    )


def group_sequential(
    k: int,
    alpha: float = 0.025,
    boundary: str = "ld-obrien-fleming",
    info: Sequence[float] | None = None,
    gamma: float | None = None,
    *,
    beta: float = 0.2,
    futility: str | None = None,
    gamma_futility: float | None = None,
    binding: bool = False,
    grid: int = ig.DEFAULT_R,
) -> GSDesign:
    """Design a one-sided group-sequential test.

    Parameters
    ----------
    k : int
        Number of analyses (interims plus final).
    alpha : float
        One-sided type I error.
    boundary : str
        "obrien-fleming" or "pocock" (classic Wang-Tsiatis, constant solved for exact alpha),
        "ld-obrien-fleming", "ld-pocock" (Lan-DeMets spending), "kim-demets" or "hsd"
        (spending families with parameter ``gamma``).
    info : sequence of float, optional
        Information fractions, strictly increasing and ending at 1; default equally spaced.
    gamma : float, optional
        Parameter of "kim-demets" (alpha t^gamma) or "hsd".
    beta : float
        Type II error: used for futility bounds and for the inflation factor and expected
        sample sizes (power ``1 - beta``).
    futility : {"ld-obrien-fleming", "kim-demets", "hsd"} or None
        Beta-spending function for futility bounds; None for none.
    gamma_futility : float, optional
        Parameter of the beta-spending function ("kim-demets", "hsd").
    binding : bool
        Whether futility bounds are binding (enter the type I error calculation).
    grid : int
        Grid parameter r of the numerical integration (about 12 r points).

    Returns
    -------
    GSDesign

    References
    ----------
    Lan & DeMets (1983); Kim & DeMets (1987); Hwang, Shih & DeCani (1990);
    Armitage, McPherson & Rowe (1969); Jennison & Turnbull (2000).

    Examples
    --------
    >>> d = group_sequential(3, alpha=0.025, boundary="ld-obrien-fleming")
    >>> [round(float(b), 4) for b in d.upper]
    [3.7103, 2.5114, 1.993]
    """
    spec = _validate(k, alpha, boundary, info, gamma, beta, futility, gamma_futility, binding)
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 4:
        raise DesignError(f"grid must be an integer >= 4, got {grid!r}.")
    return _build(spec, spec.info.copy(), grid)

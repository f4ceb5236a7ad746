"""Sample size for slowing the change of an imaging biomarker (two-sample change scores).

Each subject contributes a change score (e.g. cervical cord area change over 8 months, mean
:math:`\\mu` and SD :math:`\\sigma`). Treatment slows the mean change by a fraction :math:`s`,
so the arm difference is :math:`\\delta = s |\\mu|`, and the standardised effect is
:math:`s \\cdot \\mathrm{SRM}` with the standardised response mean
:math:`\\mathrm{SRM} = \\mu / \\sigma`. With :math:`r = n_a / n_c`:

* normal approximation (default):
  :math:`n_c = (1 + 1/r)(z_{1-\\alpha/2} + z_{1-\\beta})^2 / (s\\,\\mathrm{SRM})^2`,
  i.e. :math:`n = 2 (z_{1-\\alpha/2} + z_{1-\\beta})^2 / (s\\,\\mathrm{SRM})^2` per group;
* ``t_correction=True``: the two-sample t-test with :math:`\\nu = n_c + n_a - 2` degrees of
  freedom, power :math:`= 1 - F_{t,\\nu,\\lambda}(t_{\\nu, 1-\\alpha/2})` with noncentrality
  :math:`\\lambda = \\delta / (\\sigma \\sqrt{1/n_c + 1/n_a})`, ignoring the far tail (as R's
  ``power.t.test`` with ``strict = FALSE``); n and the slowing are found by Brent's method.

The SD is assumed the same in both arms (a slowing shifts the mean change, not its spread).

References
----------
Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 2.
Liang MH, Fossel AH, Larson MG (1990). Comparisons of five health status instruments for
orthopedic evaluation. Med Care 28:632-642 (standardised response mean).
de Albuquerque M et al. (2017). NeuroImage Clin 14:269 (cord area SRM 0.95 over 8 months).
"""

from __future__ import annotations

import math

from scipy import stats

from alstrials.design.power._solve import (
    check_positive,
    check_solve_inputs,
    find_root,
    solve_normal,
)
from alstrials.design.power.results import PowerResult
from alstrials.errors import DesignError

__all__ = ["biomarker_change"]


def _t_power(delta: float, sd: float, n_c: float, r: float, alpha: float, sided: int) -> float:
    df = n_c * (1.0 + r) - 2.0
    if df <= 0:
        return 0.0
    ncp = abs(delta) / (sd * math.sqrt(1.0 / n_c + 1.0 / (r * n_c)))
    crit = float(stats.t.isf(alpha / sided, df))
    return float(stats.nct.sf(crit, df, ncp))


def biomarker_change(
    slowing: float | None,
    mean_change: float | None = None,
    sd_change: float | None = None,
    *,
    srm: float | None = None,
    alpha: float = 0.05,
    power: float | None = None,
    n_per_group: float | None = None,
    allocation: float | None = None,
    ratio: float | None = None,
    sided: int = 2,
    t_correction: bool = False,
) -> PowerResult:
    """Power, n or detectable slowing for a biomarker's change (e.g. cord area, CST FA).

    Give ``mean_change`` and ``sd_change``, or ``srm`` alone. Leave exactly one of
    ``slowing``, ``power`` and ``n_per_group`` as None.

    Parameters
    ----------
    slowing : float or None
        Proportional slowing of the mean change, in (0, 1] (0.3 = 30% slower atrophy).
    mean_change, sd_change : float, optional
        Mean and SD of the change score in untreated patients (e.g. -1.6 mm2/year, 1.7).
    srm : float, optional
        Standardised response mean = mean change / SD of change (used when
        ``mean_change``/``sd_change`` are not given; the result's delta is then in SD units).
    alpha : float, default 0.05
    power, n_per_group : float or None
        ``n_per_group`` is the control-arm size (each arm's with equal allocation).
    allocation, ratio : float, optional
    sided : {1, 2}
    t_correction : bool, default False
        Use the noncentral t distribution instead of the normal approximation.

    Returns
    -------
    PowerResult
        ``.delta`` is the arm difference in mean change (``slowing * |mean_change|``);
        ``float(result)`` is the solved quantity; a solved slowing is reported in the inputs
        and as ``result.delta / |mean_change|``.

    References
    ----------
    Cohen J (1988); Liang MH et al. (1990) Med Care 28:632; see the module docstring.

    Examples
    --------
    >>> res = biomarker_change(0.3, srm=0.95, power=0.8)
    >>> round(res.n_per_group, 1)
    193.3
    >>> round(biomarker_change(0.3, srm=0.95, power=0.8, t_correction=True).n_per_group, 1)
    194.2
    """
    solved, power, alpha, sided, r = check_solve_inputs(
        effect_name="slowing",
        effect=slowing,
        power=power,
        n_per_group=n_per_group,
        alpha=alpha,
        sided=sided,
        allocation=allocation,
        ratio=ratio,
    )
    if mean_change is not None or sd_change is not None:
        if srm is not None or mean_change is None or sd_change is None:
            raise DesignError("give mean_change and sd_change together, or srm alone")
        sd = check_positive("sd_change", sd_change)
        if mean_change == 0:
            raise DesignError("mean_change is zero: there is no change to slow")
        scale = abs(float(mean_change))
    elif srm is not None:
        if srm == 0 or not math.isfinite(srm):
            raise DesignError(f"srm must be finite and non-zero, got {srm}")
        sd, scale = 1.0, abs(float(srm))
    else:
        raise DesignError("give mean_change and sd_change, or srm")

    delta = None if slowing is None else abs(slowing) * scale
    unit_var = sd**2 * (1.0 + 1.0 / r)
    if not t_correction:
        d, n, pw = solve_normal(
            unit_var, delta=delta, n=n_per_group, power=power, alpha=alpha, sided=sided
        )
    elif solved == "power" and delta is not None and n_per_group is not None:
        d, n = delta, float(n_per_group)
        pw = _t_power(d, sd, n, r, alpha, sided)
    elif solved == "n_per_group" and delta is not None and power is not None:
        d, pw = delta, power
        n_z = solve_normal(unit_var, delta=d, n=None, power=pw, alpha=alpha, sided=sided)[1]
        lo = max(2.0 / (1.0 + r) + 1e-9, 1e-9)
        n = find_root(
            lambda m: _t_power(d, sd, m, r, alpha, sided) - pw, lo, 2 * n_z + 10, "n_per_group"
        )
    elif n_per_group is not None and power is not None:
        n, pw = float(n_per_group), power
        if n * (1.0 + r) <= 2:
            raise DesignError("a t-test needs more than 2 subjects in total")
        d = find_root(lambda x: _t_power(x, sd, n, r, alpha, sided) - pw, 1e-12, scale, "slowing")
    else:  # pragma: no cover - exactly_one_none guarantees one of the branches
        raise DesignError("leave exactly one of slowing, power, n_per_group as None")

    inputs: list[tuple[str, object]] = [("slowing", d / scale)]
    if srm is not None:
        inputs.append(("srm", float(srm)))
    else:
        inputs += [("mean_change", float(mean_change)), ("sd_change", sd)]  # type: ignore[arg-type]
    inputs.append(("t_correction", bool(t_correction)))
    return PowerResult(
        method="t-test" if t_correction else "normal",
        solved_for="delta" if solved == "slowing" else solved,
        delta=d,
        power=pw,
        alpha=alpha,
        sided=sided,
        n_per_group=n,
        ratio=r,
        se=math.sqrt(unit_var / n),
        inputs=tuple(inputs),
    )

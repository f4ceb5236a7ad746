"""argparse builders for ``alstrials power slope|mmrm|survival|enrich|biomarker``.

:mod:`alstrials.cli.power` plugs these in::

    power_parser = subparsers.add_parser("power", help="analytic power and sample size")
    add_power_subcommands(power_parser)
    ...
    args = parser.parse_args()
    result = args.power_func(args)   # a result object; print(result); print(result.summary())

Each subcommand leaves out exactly one of ``--power``, ``--n`` and the effect, like the library
functions; nothing here does statistics. Lists of numbers (``--t 0,3,6``) are parsed by
:func:`~alstrials.cli.common.float_list`, so a malformed list is an argparse error naming the
flag. The library is imported inside the functions, so building the parser stays cheap.
"""

from __future__ import annotations

import argparse

from alstrials.cli.common import float_list

__all__ = ["add_power_subcommands"]


def _common(p: argparse.ArgumentParser, *, n: bool = True) -> None:
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=None)
    p.add_argument("--sided", type=int, default=2, choices=(1, 2))
    p.add_argument("--ratio", type=float, default=None, help="n_active / n_control")
    if n:
        p.add_argument("--n", type=float, default=None, help="control-arm size (solve otherwise)")


def _slope(a: argparse.Namespace) -> object:
    from alstrials.design.power.slope import lmm_slope

    return lmm_slope(
        a.delta,
        a.t,
        a.sig2_slope,
        a.sig2_resid,
        a.sig2_int,
        a.cov_int_slope,
        alpha=a.alpha,
        power=a.power,
        n_per_group=a.n,
        method=a.method,
        ratio=a.ratio,
        retention=a.retention,
        sided=a.sided,
    )


def _mmrm(a: argparse.Namespace) -> object:
    from alstrials.design.power.mmrm import ar1_cov, mmrm

    times = list(range(1, len(a.sd) + 1)) if a.times is None else a.times
    cov = ar1_cov(a.rho, a.sd, times)
    return mmrm(
        a.delta,
        cov,
        retention=a.retention,
        alpha=a.alpha,
        power=a.power,
        n_per_group=a.n,
        ratio=a.ratio,
        sided=a.sided,
    )


def _survival(a: argparse.Namespace) -> object:
    from alstrials.design.power.hazards import Exponential, Weibull
    from alstrials.design.power.survival import events
    from alstrials.design.power.survival_design import survival_sample_size

    alloc = 0.5 if a.ratio is None else a.ratio / (1 + a.ratio)
    if a.median is None:
        return events(
            a.hr,
            alpha=a.alpha,
            power=a.power or 0.8,
            allocation=alloc,
            sided=a.sided,
            method=a.method,
        )
    ctrl = (
        Exponential.from_median(a.median)
        if a.shape == 1
        else Weibull.from_median(a.median, a.shape)
    )
    return survival_sample_size(
        a.hr,
        ctrl,
        a.accrual,
        a.follow_up,
        dropout_rate=a.dropout,
        dropout_time=a.dropout_time,
        alpha=a.alpha,
        power=a.power or 0.8,
        allocation=alloc,
        sided=a.sided,
        method=a.method,
    )


def _enrich(a: argparse.Namespace) -> object:
    from alstrials.design.power.enrichment import enrichment_slope

    return enrichment_slope(
        a.prevalence,
        a.slope_pos,
        a.slope_neg,
        a.sd_pos,
        a.sd_neg,
        a.slowing,
        alpha=a.alpha,
        power=a.power or 0.8,
        ratio=a.ratio,
        sided=a.sided,
    )


def _biomarker(a: argparse.Namespace) -> object:
    from alstrials.design.power.biomarker import biomarker_change

    return biomarker_change(
        a.slowing,
        a.mean_change,
        a.sd_change,
        srm=a.srm,
        alpha=a.alpha,
        power=a.power,
        n_per_group=a.n,
        ratio=a.ratio,
        sided=a.sided,
        t_correction=a.t_correction,
    )


def add_power_subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """Add ``slope``, ``mmrm``, ``survival``, ``enrich`` and ``biomarker`` to ``parser``.

    Each sets ``args.power_func`` (call it with ``args`` to get the result object). Returns the
    sub-parsers action so that callers can add more subcommands (``simulate``).

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="alstrials power")
    >>> _ = add_power_subcommands(p)
    >>> a = p.parse_args(["slope", "--delta", "0.25", "--t", "0,3,6,9,12", "--sig2-slope",
    ...                   "0.36", "--sig2-resid", "2.25", "--power", "0.8"])
    >>> round(a.power_func(a).n_per_group, 1)
    96.7
    """
    sub = parser.add_subparsers(dest="power_command", required=True)

    p = sub.add_parser("slope", help="difference in mean ALSFRS-R slopes (LMM)")
    p.add_argument("--delta", type=float, default=None)
    p.add_argument(
        "--t", type=float_list, required=True, help="visit times, comma-separated (months)"
    )
    p.add_argument("--sig2-slope", dest="sig2_slope", type=float, required=True)
    p.add_argument("--sig2-resid", dest="sig2_resid", type=float, required=True)
    p.add_argument("--sig2-int", dest="sig2_int", type=float, default=0.0)
    p.add_argument("--cov-int-slope", dest="cov_int_slope", type=float, default=0.0)
    p.add_argument("--method", default="diggle", choices=("diggle", "liu-liang", "edland"))
    p.add_argument(
        "--retention", type=float_list, default=None, help="per-visit retention (edland)"
    )
    _common(p)
    p.set_defaults(power_func=_slope)

    p = sub.add_parser("mmrm", help="last-visit difference, MMRM with AR(1) covariance")
    p.add_argument("--delta", type=float, default=None)
    p.add_argument("--sd", type=float_list, required=True, help="SD per visit, comma-separated")
    p.add_argument("--rho", type=float, required=True, help="AR(1) correlation per time unit")
    p.add_argument("--times", type=float_list, default=None, help="visit times (default 1..J)")
    p.add_argument("--retention", type=float_list, default=None, help="per-visit retention")
    _common(p)
    p.set_defaults(power_func=_mmrm)

    p = sub.add_parser("survival", help="events (and subjects if --median is given)")
    p.add_argument("--hr", type=float, required=True)
    p.add_argument("--method", default="schoenfeld", choices=("schoenfeld", "freedman"))
    p.add_argument("--median", type=float, default=None, help="control median (months)")
    p.add_argument("--shape", type=float, default=1.0, help="Weibull shape (1 = exponential)")
    p.add_argument("--accrual", type=float, default=12.0, help="accrual duration (months)")
    p.add_argument("--follow-up", dest="follow_up", type=float, default=12.0)
    p.add_argument("--dropout", type=float, default=0.0, help="proportion lost by dropout-time")
    p.add_argument("--dropout-time", dest="dropout_time", type=float, default=12.0)
    _common(p, n=False)
    p.set_defaults(power_func=_survival)

    p = sub.add_parser("enrich", help="all-comers vs marker-enriched (slope endpoint)")
    p.add_argument("--prevalence", type=float, required=True)
    p.add_argument("--slope-pos", dest="slope_pos", type=float, required=True)
    p.add_argument("--slope-neg", dest="slope_neg", type=float, required=True)
    p.add_argument("--sd-pos", dest="sd_pos", type=float, required=True)
    p.add_argument("--sd-neg", dest="sd_neg", type=float, required=True)
    p.add_argument("--slowing", type=float, required=True)
    _common(p, n=False)
    p.set_defaults(power_func=_enrich)

    p = sub.add_parser("biomarker", help="slowing of an MRI biomarker's change")
    p.add_argument("--slowing", type=float, default=None)
    p.add_argument("--mean-change", dest="mean_change", type=float, default=None)
    p.add_argument("--sd-change", dest="sd_change", type=float, default=None)
    p.add_argument("--srm", type=float, default=None)
    p.add_argument("--t-correction", dest="t_correction", action="store_true")
    _common(p)
    p.set_defaults(power_func=_biomarker)
    return sub

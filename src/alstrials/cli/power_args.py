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

from alstrials.cli.common import float_list, non_negative_float, positive_float, probability
from alstrials.cli.messages import set_flag_names

__all__ = ["add_power_subcommands"]


def _common(p: argparse.ArgumentParser, *, n: bool = True, solves_power: bool = True) -> None:
    """The test and allocation options shared by the subcommands (and ``--n``)."""
    p.add_argument(
        "--alpha",
        type=probability,
        default=0.05,
        help="type I error rate, split over both tails when --sided 2 (default: %(default)s)",
    )
    if solves_power:
        power_help = "target power, e.g. 0.8; leave out to solve for the power at --n"
    else:
        power_help = "target power (default: 0.8)"
    p.add_argument("--power", type=probability, default=None, help=power_help)
    p.add_argument(
        "--sided",
        type=int,
        default=2,
        choices=(1, 2),
        help="1 for a one-sided test, 2 for a two-sided test (default: %(default)s)",
    )
    p.add_argument(
        "--ratio",
        type=positive_float,
        default=None,
        metavar="RATIO",
        help="allocation ratio: participants in the active arm per participant in the control "
        "arm (default: 1, i.e. 1:1)",
    )
    if n:
        p.add_argument(
            "--n",
            type=positive_float,
            default=None,
            metavar="N",
            help="participants in the control arm (in each arm at 1:1); leave out to solve for it",
        )


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
    from alstrials.errors import DesignError

    if a.times is not None and len(a.times) != len(a.sd):
        raise DesignError(
            f"--times gives {len(a.times)} visit time(s) but --sd gives {len(a.sd)} SD(s): "
            "give one time per SD"
        )
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
    sub = parser.add_subparsers(dest="power_command", metavar="SUBCOMMAND", required=True)
    solve_note = " Leave out exactly one of --power, --n and the effect: it is solved for."

    p = sub.add_parser(
        "slope",
        help="difference in mean ALSFRS-R slopes (LMM)",
        description="Sample size, power or detectable effect for the difference in mean "
        "slopes of a random-slope linear mixed model (Diggle, Liu-Liang or Edland formulas)."
        + solve_note,
    )
    p.add_argument(
        "--delta",
        type=float,
        default=None,
        help="difference in mean slopes, active minus control, in outcome units per time unit "
        "(e.g. 0.25 ALSFRS-R points/month); leave out to solve for it",
    )
    p.add_argument(
        "--t",
        type=float_list,
        required=True,
        metavar="T1,T2,...",
        help="visit times shared by all participants, comma-separated, in the time unit of "
        "--delta (e.g. 0,3,6,9,12 months)",
    )
    p.add_argument(
        "--sig2-slope",
        dest="sig2_slope",
        type=non_negative_float,
        required=True,
        help="variance of the participants' random slopes, (units/time unit)^2",
    )
    p.add_argument(
        "--sig2-resid",
        dest="sig2_resid",
        type=positive_float,
        required=True,
        help="residual (within-participant) variance, units^2",
    )
    p.add_argument(
        "--sig2-int",
        dest="sig2_int",
        type=non_negative_float,
        default=0.0,
        help="variance of the random intercepts, units^2 (default: %(default)s)",
    )
    p.add_argument(
        "--cov-int-slope",
        dest="cov_int_slope",
        type=float,
        default=0.0,
        help="covariance of random intercept and slope (default: %(default)s)",
    )
    p.add_argument(
        "--method",
        default="diggle",
        choices=("diggle", "liu-liang", "edland"),
        help="formula: diggle (known variances), liu-liang (GEE), edland (with --retention) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--retention",
        type=float_list,
        default=None,
        metavar="R1,R2,...",
        help="proportion of participants still observed at each visit of --t, "
        "comma-separated, non-increasing (--method edland only; default: complete data)",
    )
    _common(p)
    p.set_defaults(power_func=_slope)
    set_flag_names(p, {"n_per_group": "--n"})

    p = sub.add_parser(
        "mmrm",
        help="last-visit difference, MMRM with AR(1) covariance",
        description="Sample size, power or detectable effect for the arm difference at the "
        "last visit of a mixed model for repeated measures, with an AR(1) covariance built "
        "from --sd and --rho, and optional dropout (--retention)." + solve_note,
    )
    p.add_argument(
        "--delta",
        type=float,
        default=None,
        help="arm difference in the mean at the last visit, in outcome units (e.g. 2 ALSFRS-R "
        "points); leave out to solve for it",
    )
    p.add_argument(
        "--sd",
        type=float_list,
        required=True,
        metavar="SD1,SD2,...",
        help="standard deviation of the outcome at each post-baseline visit, comma-separated, "
        "in outcome units",
    )
    p.add_argument(
        "--rho",
        type=float,
        required=True,
        help="AR(1) correlation between visits one time unit apart, in [0, 1)",
    )
    p.add_argument(
        "--times",
        type=float_list,
        default=None,
        metavar="T1,T2,...",
        help="visit times, comma-separated, one per --sd value (default: 1, 2, ..., J)",
    )
    p.add_argument(
        "--retention",
        type=float_list,
        default=None,
        metavar="R1,R2,...",
        help="proportion still observed at each visit, comma-separated, non-increasing "
        "(default: complete data)",
    )
    _common(p)
    p.set_defaults(power_func=_mmrm)
    set_flag_names(p, {"n_per_group": "--n", "cov": "the covariance from --sd and --rho"})

    p = sub.add_parser(
        "survival",
        help="events (and participants if --median is given)",
        description="Events needed for a log-rank or Cox comparison of two arms; with "
        "--median, also the participants to enrol given accrual, follow-up and dropout.",
    )
    p.add_argument(
        "--hr",
        type=positive_float,
        required=True,
        help="hazard ratio, active / control (e.g. 0.7 for a 30%% lower hazard)",
    )
    p.add_argument(
        "--method",
        default="schoenfeld",
        choices=("schoenfeld", "freedman"),
        help="events formula (default: %(default)s)",
    )
    p.add_argument(
        "--median",
        type=positive_float,
        default=None,
        metavar="MONTHS",
        help="median event-free time in the control arm, months; give it to get the "
        "participants to enrol (default: events only)",
    )
    p.add_argument(
        "--shape",
        type=positive_float,
        default=1.0,
        help="Weibull shape of the control-arm event times, 1 = exponential (default: %(default)s)",
    )
    p.add_argument(
        "--accrual",
        type=positive_float,
        default=12.0,
        metavar="MONTHS",
        help="accrual duration, months, uniform accrual (default: %(default)s)",
    )
    p.add_argument(
        "--follow-up",
        dest="follow_up",
        type=non_negative_float,
        default=12.0,
        metavar="MONTHS",
        help="minimum follow-up after the end of accrual, months (default: %(default)s)",
    )
    p.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        metavar="PROPORTION",
        help="proportion lost to follow-up by --dropout-time, in [0, 1) (default: %(default)s)",
    )
    p.add_argument(
        "--dropout-time",
        dest="dropout_time",
        type=positive_float,
        default=12.0,
        metavar="MONTHS",
        help="time at which --dropout is reached, months (default: %(default)s)",
    )
    _common(p, n=False, solves_power=False)
    p.set_defaults(power_func=_survival)
    set_flag_names(
        p,
        {
            "accrual_time": "--accrual",
            "dropout_rate": "--dropout",
            "dropout rate": "--dropout",
            "dropout time": "--dropout-time",
            "allocation": "the allocation from --ratio",
        },
    )

    p = sub.add_parser(
        "enrich",
        help="all-comers vs marker-enriched (slope endpoint)",
        description="Participants per arm, in total and to screen, for an all-comers trial "
        "and for a trial enrolling marker-positive participants only (slope endpoint).",
    )
    p.add_argument(
        "--prevalence",
        type=float,
        required=True,
        help="proportion of screened participants who are marker-positive, in (0, 1]",
    )
    p.add_argument(
        "--slope-pos",
        dest="slope_pos",
        type=float,
        required=True,
        help="mean control-arm slope in marker-positive participants, points/month (e.g. -1.4)",
    )
    p.add_argument(
        "--slope-neg",
        dest="slope_neg",
        type=float,
        required=True,
        help="mean control-arm slope in marker-negative participants, points/month (e.g. -0.8)",
    )
    p.add_argument(
        "--sd-pos",
        dest="sd_pos",
        type=positive_float,
        required=True,
        help="between-participant SD of the slope in marker-positive participants, points/month",
    )
    p.add_argument(
        "--sd-neg",
        dest="sd_neg",
        type=positive_float,
        required=True,
        help="between-participant SD of the slope in marker-negative participants, points/month",
    )
    p.add_argument(
        "--slowing",
        type=float,
        required=True,
        help="proportional slowing by treatment, e.g. 0.25 for 25%% slower decline",
    )
    _common(p, n=False, solves_power=False)
    p.set_defaults(power_func=_enrich)
    set_flag_names(p)

    p = sub.add_parser(
        "biomarker",
        help="slowing of an MRI biomarker's change",
        description="Sample size, power or detectable slowing for the change of an MRI "
        "biomarker (e.g. cord area), from its mean and SD of change or its standardised "
        "response mean." + solve_note.replace("the effect", "--slowing"),
    )
    p.add_argument(
        "--slowing",
        type=float,
        default=None,
        help="proportional slowing of the mean change, in (0, 1] (0.3 = 30%% slower "
        "atrophy); leave out to solve for it",
    )
    p.add_argument(
        "--mean-change",
        dest="mean_change",
        type=float,
        default=None,
        help="mean change in untreated participants, biomarker units (e.g. -1.6 mm2/year); "
        "give with --sd-change",
    )
    p.add_argument(
        "--sd-change",
        dest="sd_change",
        type=positive_float,
        default=None,
        help="SD of the change in untreated participants, biomarker units; give with --mean-change",
    )
    p.add_argument(
        "--srm",
        type=float,
        default=None,
        help="standardised response mean (mean change / SD of change), instead of "
        "--mean-change and --sd-change",
    )
    p.add_argument(
        "--t-correction",
        dest="t_correction",
        action="store_true",
        help="use the noncentral t distribution instead of the normal approximation",
    )
    _common(p)
    p.set_defaults(power_func=_biomarker)
    set_flag_names(p, {"n_per_group": "--n"})
    return sub

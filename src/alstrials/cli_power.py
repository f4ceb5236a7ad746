"""``alstrials power``: analytic subcommands (built beside their formulas in
``design/power/cli_args.py``) and ``power simulate`` (simulation-based power from a TOML file).

Scenario file of ``power simulate``::

    analysis = "lmm_slope"          # lmm_slope | mmrm | cox | logrank | ...
    alpha = 0.05
    seed = 2026
    n_per_arm = 150                 # or a list in [grid]

    [scenario]                      # simulator parameters (docs/simulator.md)
    treatment_slowing = 0.3
    visit_months = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]

    [grid]                          # optional: every combination is a point of the power curve
    n_per_arm = [100, 150, 200]
"""

from __future__ import annotations

import argparse
import itertools
import tomllib
from pathlib import Path
from typing import Any, cast

from matplotlib.figure import Figure

from alstrials.errors import DesignError

__all__ = ["add_power_parser", "read_power_toml"]


def read_power_toml(path: str | Path) -> dict[str, Any]:
    """The settings of a ``power simulate`` scenario file (see the module docstring)."""
    try:
        config = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DesignError(f"cannot read scenario file {str(path)!r}: {exc}") from exc
    known = {"analysis", "alpha", "seed", "n_per_arm", "scenario", "grid"}
    unknown = set(config) - known
    if unknown:
        raise DesignError(
            f"unknown key(s) {sorted(unknown)} in {str(path)!r}; expected {sorted(known)}"
        )
    return config


def _grid_points(grid: dict[str, Any]) -> list[dict[str, Any]]:
    names = list(grid)
    values = [v if isinstance(v, list) else [v] for v in grid.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _cmd_simulate(args: argparse.Namespace) -> int:
    from alstrials.design.power import power_curve

    config = read_power_toml(args.scenario)
    grid = _grid_points(config.get("grid", {})) or [{}]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curve = power_curve(
        grid,
        scenario=config.get("scenario", {}),
        analysis=config.get("analysis", "lmm_slope"),
        n_per_arm=int(config.get("n_per_arm", 150)),
        n_sims=args.n_sims,
        seed=int(config.get("seed", 0) if args.seed is None else args.seed),
        alpha=float(config.get("alpha", 0.05)),
        scheduler=args.scheduler,
        workers=args.workers,
        results_dir=out / "replicates",
        progress=not args.quiet,
    )
    table = curve.table
    table.to_csv(out / "power.csv", index=False, lineterminator="\n", float_format="%.6g")
    figure = cast(Figure, curve.plot().figure)
    figure.savefig(out / "power_curve.png", dpi=110, bbox_inches="tight")
    print(table.to_string(index=False))
    print(
        f"written: {out / 'power.csv'}, {out / 'power_curve.png'}, replicates in "
        f"{out / 'replicates'} (a rerun resumes)"
    )
    return 0


def _cmd_analytic(args: argparse.Namespace) -> int:
    result = args.power_func(args)
    print(repr(result))
    print(result.summary().to_string())
    return 0


def add_power_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``power`` with its subcommands to the top-level sub-parsers."""
    from alstrials.design.power.cli_args import add_power_subcommands

    power = sub.add_parser(
        "power",
        help="power and sample size (analytic or by simulation)",
        description="Power and sample size: slope (LMM), mmrm, survival (events/subjects), "
        "enrich (all-comers vs marker-enriched), biomarker (MRI change), and simulate "
        "(simulation-based power from a scenario file).",
    )
    power_sub = add_power_subcommands(power)
    power.set_defaults(func=_cmd_analytic)

    sim = power_sub.add_parser(
        "simulate",
        help="simulation-based power from a scenario TOML file",
        description="Simulate trials from a scenario file, analyse each, and write a results "
        "table (power.csv), a power-curve figure and a resumable journal of replicates. "
        "Runs on local processes, or on a Dask cluster with --scheduler.",
    )
    sim.add_argument(
        "--scenario",
        required=True,
        metavar="FILE.toml",
        help="scenario file (format: alstrials.cli_power module docstring)",
    )
    sim.add_argument("--n-sims", type=int, required=True, help="trials per grid point")
    sim.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://127.0.0.1:8786",
    )
    sim.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: all cores)"
    )
    sim.add_argument("--seed", type=int, default=None, help="override the file's seed")
    sim.add_argument(
        "--out", default="power-simulation", help="output folder (default: %(default)s)"
    )
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_cmd_simulate)

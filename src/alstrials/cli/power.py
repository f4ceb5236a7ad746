"""``alstrials power``: analytic subcommands (built beside the CLI in
:mod:`alstrials.cli.power_args`) and ``power simulate`` (simulation-based power from a TOML file).

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

Every key and value is checked before the first replicate runs (:func:`read_power_toml`): an
unknown or misspelt key, a value of the wrong type, an unknown analysis or an impossible
scenario (at any grid point) is one error line naming the file, the table and the key.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any, cast

from alstrials.cli.common import existing_file, out_folder, positive_int

__all__ = ["add_power_parser", "read_power_toml", "grid_points", "POWER_FILE_KINDS"]

POWER_FILE_KINDS = {
    "analysis": "string",
    "alpha": "number",
    "seed": "integer",
    "n_per_arm": "integer",
    "scenario": "table",
    "grid": "table",
}
"""Top-level keys of a ``power simulate`` file and the kind of value each takes."""


def grid_points(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the ``[grid]`` values (a scalar is a one-value list)."""
    names = list(grid)
    values = [v if isinstance(v, list) else [v] for v in grid.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def read_power_toml(path: str | Path) -> dict[str, Any]:
    """The settings of a ``power simulate`` scenario file (see the module docstring), every key
    and value checked.

    Raises
    ------
    ConfigError
        The file is missing or not TOML; a key is unknown (with "did you mean ...?"); a value has
        the wrong type; the analysis is unknown; or the scenario is impossible at a grid point.
    """
    import dataclasses

    from alstrials._config import check_table, check_value, did_you_mean, read_toml
    from alstrials.data.simulate.scenario import Scenario
    from alstrials.design.power.analyses import ANALYSES
    from alstrials.design.power.simulate import check_scenario
    from alstrials.errors import ConfigError, DesignError

    config = read_toml(path, what="scenario file")
    check_table(config, POWER_FILE_KINDS, file=path, table=None)
    analysis = config.get("analysis", "lmm_slope")
    if analysis not in ANALYSES:
        raise ConfigError(
            f"{path}: analysis: unknown analysis {analysis!r}.{did_you_mean(analysis, ANALYSES)} "
            f"Choose one of {', '.join(sorted(ANALYSES))}"
        )
    alpha = config.get("alpha", 0.05)
    if not 0 < alpha < 1:
        raise ConfigError(f"{path}: alpha must be in (0, 1), got {alpha!r}")
    scenario = config.get("scenario", {})
    try:
        check_scenario(scenario)
    except DesignError as exc:
        raise ConfigError(f"{path}: [scenario] {exc}") from None
    grid = config.get("grid", {})
    names = ["n_per_arm", *(f.name for f in dataclasses.fields(Scenario))]
    for key, value in grid.items():
        if key not in names:
            raise ConfigError(
                f"{path}: [grid] unknown key {key!r}.{did_you_mean(key, names)} Grid keys are "
                "n_per_arm and the simulator's parameters (docs/simulator.md)"
            )
        check_value(value, "scalar_or_list", where=f"{path}: [grid] {key}")
        if key == "n_per_arm":
            for n in value if isinstance(value, list) else [value]:
                check_value(n, "integer", where=f"{path}: [grid] n_per_arm")
    for point in grid_points(grid):
        given = {k: v for k, v in point.items() if k != "n_per_arm"}
        try:
            check_scenario({**scenario, **given})
        except DesignError as exc:
            raise ConfigError(f"{path}: [grid] point {point}: {exc}") from None
    return config


def _cmd_simulate(args: argparse.Namespace) -> int:
    from matplotlib.figure import Figure

    from alstrials.design.power import power_curve

    config = read_power_toml(args.scenario)
    grid = grid_points(config.get("grid", {})) or [{}]
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
        connect_timeout=args.connect_timeout,
        workers=args.workers,
        results_dir=out / "replicates",
        progress=not args.quiet,
    )
    from alstrials.reporting.save import save_figure

    table = curve.table
    table.to_csv(out / "power.csv", index=False, lineterminator="\n", float_format="%.6g")
    figure = cast(Figure, curve.plot().figure)
    save_figure(figure, out / "power_curve", close=True)
    print(table.to_string(index=False))
    if curve.note:
        print(f"note: {curve.note}")
        for point, res in zip(curve.points, curve.results, strict=True):
            if not res.converged:
                print(f"  {point or 'design'}: {res.top_problems()}")
    print(
        f"written: {out / 'power.csv'}, {out / 'power_curve.png'}, replicates in "
        f"{out / 'replicates'} (a rerun resumes)"
    )
    return 0


def _cmd_analytic(args: argparse.Namespace) -> int:
    from alstrials.cli.power_output import describe_result

    result = args.power_func(args)
    print(describe_result(result, args.power_command, args.flag_names))
    return 0


def add_power_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``power`` with its subcommands to the top-level sub-parsers."""
    from alstrials.cli.power_args import add_power_subcommands

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
        "table (power.csv, with the failed and non-converged replicates of each row), a "
        "power-curve figure and a resumable journal of replicates. Runs on local processes, "
        "or on a Dask cluster with --scheduler. Exits 2 when no replicate could be used.",
    )
    sim.add_argument(
        "--scenario",
        type=existing_file,
        required=True,
        metavar="FILE.toml",
        help="scenario file (format: docs/power_simulation.md)",
    )
    sim.add_argument("--n-sims", type=positive_int, required=True, help="trials per grid point")
    sim.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://127.0.0.1:8786",
    )
    sim.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up on the scheduler after this long (default: %(default)s)",
    )
    sim.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="local worker processes (default: all cores)",
    )
    sim.add_argument("--seed", type=int, default=None, help="override the file's seed")
    sim.add_argument(
        "--out",
        type=out_folder,
        default="power-simulation",
        help="output folder (default: %(default)s)",
    )
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_cmd_simulate)

"""Joint model speed: alstrials.fit_joint on the issue-10 targets, against R JM when installed.

Cases (issue 10 targets in brackets):
  * aids: 467 subjects, one marker, current value, piecewise baseline  [< 0.5 s; R JM ~10.8 s]
  * pbc2: 312 subjects, value + slope, piecewise baseline               [< 1 s;   R JM ~10.4 s]
  * two markers (y1 monthly, y2 every 6 months, random intercepts and slopes: 4 random
    effects) and two competing causes, Weibull baselines, 500 subjects  [< 30 s]
  * one marker, 10,000 subjects (and 2,500 / 5,000 for the scaling)    [< 30 s, < 4 GB, linear]

R JM (CRAN package JM) is not a Debian package, so on machines without it the ratio is
printed against the R JM times measured on this kind of machine and recorded in the shared
reference (aids 10.8 s, pbc2 10.4 s; tests/reference/jm/jm_dev_reference.json has JM's own
``seconds`` for its runs). Peak memory is the process's maximum resident set size.

Run: python benchmarks/bench_joint.py [--repeat 3] [--skip-large]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
from bench_mmrm import best_of  # this folder: the shared timing helper

from alstrials.models.joint import fit_joint
from alstrials.models.joint.simulate import simulate_joint, simulate_joint_competing

REF = Path(__file__).parents[1] / "tests" / "reference"
R_JM_SECONDS = {"aids": 10.8, "pbc2": 10.4}  # issue 10, measured with JM 1.5-2 on this kind


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-large", action="store_true", help="skip the 10,000-subject case")
    args = ap.parse_args()
    warnings.simplefilter("error")  # a benchmark of a failed fit is no benchmark
    has_jm = (
        shutil.which("Rscript") is not None
        and subprocess.run(
            ["Rscript", "-e", "quit(status = !requireNamespace('JM', quietly = TRUE))"],
            capture_output=True,
        ).returncode
        == 0
    )
    rows = []

    aids = pd.read_csv(REF / "aids_long.csv")
    aids_s = aids.drop_duplicates("patient")[["patient", "Time", "death", "drug"]]
    t, fit = best_of(
        args.repeat,
        lambda: fit_joint(
            aids,
            aids_s,
            "CD4 ~ obstime + obstime:drug",
            "~ obstime",
            "patient",
            "obstime",
            "~ drug",
            "Time",
            "death",
        ),
    )
    rows.append(("aids value (467)", t, 0.5, R_JM_SECONDS["aids"], fit))

    pbc = pd.read_csv(REF / "jm" / "pbc2_long.csv")
    pbc_s = pbc.drop_duplicates("id")[["id", "years", "status2", "drug"]]
    t, fit = best_of(
        args.repeat,
        lambda: fit_joint(
            pbc,
            pbc_s,
            "log_bili ~ year",
            "~ year",
            "id",
            "year",
            "~ drug",
            "years",
            "status2",
            association="value+slope",
        ),
    )
    rows.append(("pbc2 value+slope (312)", t, 1.0, R_JM_SECONDS["pbc2"], fit))

    long, surv = simulate_joint_competing(n=500, seed=1)
    t, fit = best_of(
        1,
        lambda: fit_joint(
            long,
            surv,
            {"y1": "y1 ~ time + x", "y2": "y2 ~ time"},
            {"y1": "~ time", "y2": "~ time"},
            "id",
            "time",
            "~ x",
            "T",
            "event",
            cause="cause",
            baseline="weibull",
        ),
    )
    rows.append(("2 markers x 2 causes (500)", t, 30.0, None, fit))

    if not args.skip_large:
        for n in (2500, 5000, 10000):
            long, surv = simulate_joint(n=n, seed=1)
            t, fit = best_of(
                1,
                lambda long=long, surv=surv: fit_joint(
                    long, surv, "y ~ time", "~ time", "id", "time", "~ x", "T", "event"
                ),
            )
            rows.append((f"one marker ({n:,})", t, 30.0 if n == 10000 else None, None, fit))

    print(
        f"R JM: {'installed (not run by this script)' if has_jm else 'not installed'}; ratios use "
        "the R JM times recorded for this kind of machine"
    )
    print(
        f"{'case':28s} {'seconds':>8s} {'target':>7s} {'R JM s':>7s} {'speed-up':>8s} "
        f"{'loglik':>12s} {'quad err':>9s} converged"
    )
    for name, t, target, r_s, fit in rows:
        ratio = f"{r_s / t:7.1f}x" if r_s else "       -"
        tgt = f"{target:6.1f}" if target else "     -"
        print(
            f"{name:28s} {t:8.2f} {tgt:>7s} {r_s or '-':>7} {ratio:>8s} {fit.loglik:12.4f} "
            f"{fit.quadrature_error:9.1e} {fit.converged}"
        )
    print(f"peak resident memory: {_rss_gb():.2f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

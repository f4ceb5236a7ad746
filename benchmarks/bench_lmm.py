"""Speed of fit_lmm against statsmodels MixedLM (and R lme4 when Rscript is available).

Random intercept and slope, REML, on simulated ALS-like trials (monthly visits 0..12, ~15% of
post-baseline visits missed) of 1,000 and 5,000 subjects. Prints wall-clock times measured in this
process, the speed-up over MixedLM, and the largest relative difference of the fixed effects.
lme4's time is its own ``system.time(lmer(...))`` inside R (data reading excluded).

Run:  python benchmarks/bench_lmm.py [--sizes 1000 5000] [--repeats 3] [--no-r]
Target: >= 50x faster than MixedLM and < 0.3 s at 5,000 subjects.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import statsmodels.formula.api as smf

from alstrials.models.lmm import example_data, fit_lmm

FORMULA = "y ~ months * arm"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
tm <- system.time(f <- lmer(y ~ months * arm + (months | subject_id), d, REML = TRUE))
cat(sprintf('{"elapsed": %.6f, "fixef": [%s]}\n', tm[["elapsed"]],
            paste(sprintf("%.12g", fixef(f)), collapse = ", ")))
"""


def best_of(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), out


def time_lme4(data):
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "fit.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        run = subprocess.run(
            ["Rscript", str(script), str(csv)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-r", action="store_true", help="skip R lme4")
    args = parser.parse_args()
    have_r = shutil.which("Rscript") is not None and not args.no_r
    fit_lmm(example_data(50, seed=0), FORMULA, "subject_id", "~months")  # warm-up (imports)
    print(
        f"{'subjects':>8} {'rows':>7} {'fit_lmm best/med s':>19} {'MixedLM s':>10} "
        f"{'speed-up':>9} {'max rel diff':>13} {'lme4 s':>8}"
    )
    for n in args.sizes:
        data = example_data(n, seed=2024 + n)
        best, med, res = best_of(
            lambda data=data: fit_lmm(data, FORMULA, "subject_id", "~months"), args.repeats
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MixedLM's own optimiser warnings
            sm = smf.mixedlm(FORMULA, data, groups=data["subject_id"], re_formula="~months").fit(
                reml=True
            )
        t_sm = time.perf_counter() - t0
        ours = res.fixed.loc[list(sm.fe_params.index), "estimate"].to_numpy()
        rel = float(np.max(np.abs(ours - sm.fe_params.to_numpy()) / np.abs(sm.fe_params)))
        lme4 = "skipped"
        if have_r:
            r = time_lme4(data)
            rel_r = float(
                np.max(np.abs(res.fixed["estimate"].to_numpy() - r["fixef"]) / np.abs(r["fixef"]))
            )
            lme4 = f"{r['elapsed']:.3f} (max rel diff {rel_r:.1e})"
        print(
            f"{n:>8} {res.n_obs:>7} {best:>9.3f}/{med:<9.3f} {t_sm:>10.2f} "
            f"{t_sm / best:>8.0f}x {rel:>13.1e} {lme4:>8}"
        )
        print(
            f"         converged={res.converged} grad_norm={res.grad_norm:.1e} "
            f"MixedLM converged={sm.converged}"
        )
    if not have_r:
        print("R lme4: skipped (Rscript not found or --no-r)")


if __name__ == "__main__":
    main()

"""MMRM fit speed: alstrials.fit_mmrm against statsmodels and R nlme::gls, in the same run.

Data: ``--subjects`` subjects (two arms) at 6 visits with monotone dropout, change from baseline
with a baseline covariate (seeded). Cases:

- compound symmetry (REML) against statsmodels ``MixedLM`` with a random intercept: the same
  model when the within-subject correlation is positive (checked: largest relative coefficient
  difference printed);
- unstructured (REML) against ``nlme::gls(corSymm + varIdent)``, timed inside R (R start-up
  excluded) when ``Rscript`` is on the PATH;
- the bivariate biomarker-function LMM (cord CSA + ALSFRS-R, 4x4 random-effects covariance)
  against ``nlme::lme`` with ``varIdent`` by outcome, on ``--subjects`` subjects.

Prints each time (best of ``--repeat``) and the ratio peer / alstrials (> 1: alstrials faster).

Run: python benchmarks/bench_mmrm.py [--subjects 1000] [--repeat 3] [--seed 1]
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
import pandas as pd

from alstrials.models.bivariate import fit_bivariate_lmm
from alstrials.models.mmrm import fit_mmrm

R_SCRIPT = r"""
suppressMessages(library(nlme))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); d$visitf <- factor(d$visit); d$armf <- factor(d$arm)
d$k <- as.integer(d$visitf)
best <- Inf
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time(fit <- gls(chg ~ base + visitf * armf, data = d,
                              correlation = corSymm(form = ~ k | id),
                              weights = varIdent(form = ~ 1 | visitf), method = "REML"))
  best <- min(best, t[["elapsed"]])
}
cat(jsonlite::toJSON(list(seconds = best, loglik = as.numeric(logLik(fit)),
                          coef = unname(coef(fit))), digits = NA, auto_unbox = TRUE))
"""

R_LME = r"""
suppressMessages(library(nlme))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); d$outcome <- factor(d$outcome, levels = c("cord_csa_mm2", "alsfrs_total"))
best <- Inf
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time(fit <- lme(y ~ 0 + outcome + outcome:months, data = d,
                              random = ~ 0 + outcome + outcome:months | id,
                              weights = varIdent(form = ~ 1 | outcome), method = "REML",
                              control = lmeControl(maxIter = 500, msMaxIter = 500)))
  best <- min(best, t[["elapsed"]])
}
cat(jsonlite::toJSON(list(seconds = best, loglik = as.numeric(logLik(fit)),
                          coef = unname(fixef(fit))), digits = NA, auto_unbox = TRUE))
"""


def simulate_bivariate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Stacked cord CSA (3 scans) and ALSFRS-R (5 visits) with correlated random lines."""
    sd = np.array([6.0, 4.0, 0.25, 0.6])
    corr = np.full((4, 4), 0.2) + 0.8 * np.eye(4)
    corr[2, 3] = corr[3, 2] = 0.6
    b = rng.multivariate_normal(np.zeros(4), corr * np.outer(sd, sd), size=n)
    rows = []
    for i in range(n):
        for m in (0.0, 3.0, 6.0, 9.0, 12.0):
            y = 38 + b[i, 1] + (-0.9 + b[i, 3]) * m + rng.normal(0, 1.8)
            rows.append((i, m, "alsfrs_total", y))
        for m in (0.5, 6.5, 12.5):
            y = 75 + b[i, 0] + (-0.35 + b[i, 2]) * m + rng.normal(0, 1.2)
            rows.append((i, m, "cord_csa_mm2", y))
    return pd.DataFrame(rows, columns=["id", "months", "outcome", "y"])


def run_r(script: str, data: pd.DataFrame, repeat: int) -> dict | None:
    """Run an R timing script on ``data``; None when Rscript is not installed."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        data.to_csv(path, index=False)
        code = Path(tmp) / "fit.R"
        code.write_text(script)
        res = subprocess.run(
            [rscript, str(code), str(path), str(repeat)], capture_output=True, text=True, check=True
        )
    return json.loads(res.stdout)


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    visits = np.array([1, 2, 3, 6, 9, 12])
    t = len(visits)
    sd = np.linspace(2.0, 5.0, t)
    corr = 0.8 ** np.abs(np.subtract.outer(np.arange(t), np.arange(t))) * 0.7 + 0.3 * np.eye(t)
    errors = rng.multivariate_normal(np.zeros(t), corr * np.outer(sd, sd), size=n)
    arm = rng.integers(0, 2, n)
    base = rng.normal(38, 5, n)
    mean = -0.9 * visits[None, :] * (1 - 0.25 * arm[:, None]) + 0.05 * (base[:, None] - 38)
    y = mean + errors
    last = rng.choice(np.arange(1, t + 1), size=n, p=[0.05, 0.05, 0.05, 0.1, 0.15, 0.6])
    keep = np.arange(t)[None, :] < last[:, None]
    ids = np.repeat(np.arange(n), t).reshape(n, t)
    return pd.DataFrame(
        {
            "id": ids[keep],
            "visit": np.broadcast_to(visits, (n, t))[keep],
            "arm": np.repeat(arm, t).reshape(n, t)[keep],
            "base": np.repeat(base, t).reshape(n, t)[keep],
            "chg": y[keep],
        }
    )


def best_of(repeat: int, fn):  # noqa: ANN001, ANN201
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = simulate(args.subjects, np.random.default_rng(args.seed))
    print(f"{args.subjects} subjects, {len(data)} observations, 6 visits")

    # compound symmetry vs statsmodels MixedLM (random intercept)
    import statsmodels.formula.api as smf

    t_cs, cs = best_of(
        args.repeat,
        lambda: fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",), covariance="cs"),
    )

    def statsmodels_fit():  # noqa: ANN202
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' own convergence chatter
            model = smf.mixedlm("chg ~ base + C(visit) * C(arm)", data, groups=data["id"])
            return model.fit(reml=True)

    t_sm, sm = best_of(args.repeat, statsmodels_fit)
    sm_coef = sm.fe_params.rename(lambda n: n.replace("C(visit)", "visit").replace("C(arm)", "arm"))
    ours = cs.fixed["estimate"]
    diff = np.max(np.abs(ours.to_numpy() / sm_coef[ours.index].to_numpy() - 1))
    print(
        f"cs:           alstrials {t_cs:8.3f} s   statsmodels MixedLM {t_sm:8.3f} s   "
        f"ratio {t_sm / t_cs:6.1f}   max rel coef diff {diff:.1e}"
    )

    t_un, un = best_of(
        args.repeat, lambda: fit_mmrm(data, "chg", "visit", "id", "arm", covariates=("base",))
    )
    r = run_r(R_SCRIPT, data, args.repeat)
    if r is None:
        print(f"unstructured: alstrials {t_un:8.3f} s   (Rscript not found: no nlme timing)")
    else:
        diff = np.max(np.abs(un.fixed["estimate"].to_numpy() / np.array(r["coef"]) - 1))
        print(
            f"unstructured: alstrials {t_un:8.3f} s   R nlme::gls         {r['seconds']:8.3f} s   "
            f"ratio {r['seconds'] / t_un:6.1f}   max rel coef diff {diff:.1e}   "
            f"loglik diff {un.loglik - r['loglik']:.1e}"
        )

    stacked = simulate_bivariate(args.subjects, np.random.default_rng(args.seed))
    wide = stacked.pivot_table(index=["id", "months"], columns="outcome", values="y").reset_index()
    t_bv, bv = best_of(
        args.repeat,
        lambda: fit_bivariate_lmm(wide, ("cord_csa_mm2", "alsfrs_total"), "months", "id"),
    )
    r = run_r(R_LME, stacked, args.repeat)
    if r is None:
        print(f"bivariate:    alstrials {t_bv:8.3f} s   (Rscript not found: no nlme timing)")
    else:
        diff = np.max(np.abs(bv.fixed["estimate"].to_numpy() / np.array(r["coef"]) - 1))
        print(
            f"bivariate:    alstrials {t_bv:8.3f} s   R nlme::lme         {r['seconds']:8.3f} s   "
            f"ratio {r['seconds'] / t_bv:6.1f}   max rel coef diff {diff:.1e}   "
            f"loglik diff {bv.loglik - r['loglik']:.1e}   ({len(stacked)} measurements)"
        )


if __name__ == "__main__":
    main()

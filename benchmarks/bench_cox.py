"""Cox fit speed: alstrials.fit_cox against R survival::coxph, measured in the same run.

Cases (seeded data, 4 covariates: three normal, one binary; times rounded to 0.001 so that
events tie, as in monthly trial data; Efron ties in both fits):

- right-censored, ``--n`` subjects (default 50,000);
- right-censored, ``--n-large`` subjects (default 500,000);
- counting process (start, stop]: ``--n-counting`` subjects (default 50,000) with 4 intervals
  each (about 200,000 rows) and a time-varying covariate.

``coxph`` is timed inside R (``system.time`` of the ``coxph`` call: model frame, fit and
variance; R start-up and CSV reading excluded) when ``Rscript`` with the survival package is on
the PATH; otherwise (said in the output) the peer is lifelines (``CoxPHFitter`` /
``CoxTimeVaryingFitter``). ``fit_cox`` is timed end to end (formula, checks, fit, SEs, tests).
Prints each time (best of ``--repeat``), the ratio peer / alstrials (> 1: alstrials faster) and
the largest relative differences of the coefficients and SEs.

Run: python benchmarks/bench_cox.py [--repeat 3] [--seed 1] [--n 50000] [--n-large 500000]
     [--n-counting 50000]
"""

from __future__ import annotations

import argparse
import shutil
import warnings

import numpy as np
import pandas as pd
from bench_mmrm import best_of, run_r  # this folder: the shared timing and R runner

from alstrials.models.survival import fit_cox

COVARIATES = ["x1", "x2", "x3", "x4"]
FORMULA = " + ".join(COVARIATES)

R_RIGHT = r"""
suppressMessages(library(survival))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
best <- Inf
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time(fit <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4, data = d,
                                ties = "efron"))
  best <- min(best, t[["elapsed"]])
}
cat(jsonlite::toJSON(list(seconds = best, coef = unname(coef(fit)),
                          se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik[2],
                          iter = fit$iter), digits = NA, auto_unbox = TRUE))
"""

R_COUNTING = R_RIGHT.replace("Surv(time, event)", "Surv(start, stop, event)")


def simulate_subjects(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=(n, 4))
    x[:, 3] = rng.integers(0, 2, n)
    beta = np.array([0.3, -0.2, 0.1, 0.5])
    t = rng.exponential(1 / np.exp(x @ beta))
    c = rng.exponential(1.5, n)
    # round times so that ties occur, as in monthly trial data
    d = pd.DataFrame(x, columns=COVARIATES)
    d["time"] = np.maximum(np.round(np.minimum(t, c), 3), 0.001)
    d["event"] = (t <= c).astype(int)
    return d


def simulate_counting(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` subjects, each split at 3 random times into 4 (start, stop] rows."""
    base = simulate_subjects(n, rng)
    cuts = np.sort(rng.uniform(0, 1, (n, 3)), axis=1) * base["time"].to_numpy()[:, None]
    cuts = np.round(cuts, 3)
    starts = np.column_stack([np.zeros(n), cuts])
    stops = np.column_stack([cuts, base["time"].to_numpy()])
    rows = pd.DataFrame(
        {"id": np.repeat(np.arange(n), 4), "start": starts.ravel(), "stop": stops.ravel()}
    )
    for c in COVARIATES:
        rows[c] = np.repeat(base[c].to_numpy(), 4)
    rows["x1"] += rng.normal(scale=0.3, size=rows.shape[0])  # time-varying covariate
    last = np.tile([False, False, False, True], n)
    rows["event"] = (np.repeat(base["event"].to_numpy(), 4) * last).astype(int)
    return rows[rows["stop"] > rows["start"]].reset_index(drop=True)


def lifelines_fit(data: pd.DataFrame, counting: bool) -> tuple[np.ndarray, np.ndarray]:
    from lifelines import CoxPHFitter, CoxTimeVaryingFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' convergence chatter
        if counting:
            fit = CoxTimeVaryingFitter().fit(
                data[["id", "start", "stop", "event", *COVARIATES]],
                id_col="id",
                event_col="event",
                start_col="start",
                stop_col="stop",
            )
        else:
            fit = CoxPHFitter().fit(data[[*COVARIATES, "time", "event"]], "time", "event")
    return fit.params_[COVARIATES].to_numpy(), fit.standard_errors_[COVARIATES].to_numpy()


def run_case(label: str, data: pd.DataFrame, counting: bool, repeat: int, use_r: bool) -> None:
    n_events = int(data["event"].sum())
    print(f"{label}: {len(data):,} rows, {n_events:,} events, 4 covariates, Efron ties")
    if counting:
        t_ours, ours = best_of(
            repeat, lambda: fit_cox(data, "stop", "event", FORMULA, start="start")
        )
    else:
        t_ours, ours = best_of(repeat, lambda: fit_cox(data, "time", "event", FORMULA))
    coef, se = ours.coef["estimate"].to_numpy(), ours.coef["se"].to_numpy()
    print(f"  alstrials.fit_cox     {t_ours:8.3f} s   ({ours.iterations} Newton iterations)")
    if use_r:
        r = run_r(R_COUNTING if counting else R_RIGHT, data, repeat)
        assert r is not None
        t_peer, peer_coef, peer_se = r["seconds"], np.array(r["coef"]), np.array(r["se"])
        name = "R survival::coxph"
        extra = f"   loglik diff {ours.loglik - r['loglik']:.1e}"
    else:
        t_peer, (peer_coef, peer_se) = best_of(repeat, lambda: lifelines_fit(data, counting))
        name = "lifelines"
        extra = ""
    dc = np.max(np.abs(coef / peer_coef - 1))
    ds = np.max(np.abs(se / peer_se - 1))
    print(f"  {name:<21} {t_peer:8.3f} s")
    print(
        f"  ratio peer/alstrials  {t_peer / t_ours:8.2f}   max rel coef diff {dc:.1e}   "
        f"max rel SE diff {ds:.1e}{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--n-large", type=int, default=500_000)
    parser.add_argument("--n-counting", type=int, default=50_000)
    args = parser.parse_args()
    use_r = shutil.which("Rscript") is not None
    if not use_r:
        print("Rscript not found: timing lifelines instead of R survival::coxph")
    rng = np.random.default_rng(args.seed)
    run_case("right-censored", simulate_subjects(args.n, rng), False, args.repeat, use_r)
    run_case("right-censored", simulate_subjects(args.n_large, rng), False, args.repeat, use_r)
    cp = simulate_counting(args.n_counting, rng)
    run_case(f"counting process ({args.n_counting:,} subjects)", cp, True, args.repeat, use_r)
    t_rob, _ = best_of(
        1, lambda: fit_cox(cp, "stop", "event", FORMULA, start="start", cluster="id")
    )
    print(f"  alstrials.fit_cox with cluster-robust SE: {t_rob:.3f} s")


if __name__ == "__main__":
    main()

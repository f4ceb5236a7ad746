"""Kenward-Roger speed: alstrials against R pbkrtest, in the same run.

Data: ``--subjects`` subjects (two arms) at 7 visits (months 1, 2, 3, 6, 9, 12, 18) with
monotone dropout, change from baseline with a baseline covariate (seeded). Cases:

- unstructured MMRM (REML, 28 covariance parameters, 16 fixed effects): ``fit_mmrm`` with
  ``df_method="kenward-roger"`` end to end, the fit alone (``df_method="residual"``) and the
  Kenward-Roger step alone (adjusted covariance + df of every coefficient and per-visit
  effect). Target: under 1 s end to end for 1,000 subjects. R has no KR for ``gls``, and
  pbkrtest's dense algorithm on a 28-component block-diagonal covariance of ~5,000 rows is
  out of reach, so the R peer is the next case;
- random intercept-and-slope LMM ``chg ~ base + months * arm + (months | id)``: ``fit_lmm``
  with ``df_method="kenward-roger"`` (fit + KR) against ``lmer`` + ``pbkrtest::vcovAdj`` +
  ``get_Lb_ddf`` for every coefficient, timed inside R (R start-up excluded) when ``Rscript``
  is on the PATH; the largest relative difference of the KR df is printed.

Prints each time (best of ``--repeat``) and the ratio peer / alstrials (> 1: alstrials faster).

Run: python benchmarks/bench_kr.py [--subjects 1000] [--repeat 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from bench_mmrm import best_of, run_r  # this folder: the shared timing and R runner
from scipy import linalg

from alstrials.models.lmm import fit_lmm
from alstrials.models.mmrm import fit_mmrm
from alstrials.models.mmrm.inference import _information

VISITS = np.array([1, 2, 3, 6, 9, 12, 18])

R_SCRIPT = r"""
suppressMessages({library(lme4); library(pbkrtest)})
args <- commandArgs(TRUE)
d <- read.csv(args[1]); d$arm <- factor(d$arm); d$id <- factor(d$id)
best <- Inf
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time({
    fit <- lmer(chg ~ base + months * arm + (months | id), d, REML = TRUE)
    va <- vcovAdj(fit)
    p <- length(fixef(fit))
    df <- sapply(seq_len(p), function(j) { L <- matrix(0, 1, p); L[j] <- 1
                                           Lb_ddf(L, vcov(fit), va) })
  })
  best <- min(best, t[["elapsed"]])
}
cat(jsonlite::toJSON(list(seconds = best, df = unname(df), se = unname(sqrt(diag(as.matrix(va))))),
                     digits = NA, auto_unbox = TRUE))
"""


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    t = VISITS.size
    sd = np.linspace(2.0, 5.5, t)
    corr = 0.8 ** np.abs(np.subtract.outer(np.arange(t), np.arange(t))) * 0.7 + 0.3 * np.eye(t)
    errors = rng.multivariate_normal(np.zeros(t), corr * np.outer(sd, sd), size=n)
    arm = rng.integers(0, 2, n)
    base = rng.normal(38, 5, n)
    mean = -0.9 * VISITS[None, :] * (1 - 0.25 * arm[:, None]) + 0.05 * (base[:, None] - 38)
    y = mean + errors
    last = rng.choice(np.arange(1, t + 1), size=n, p=[0.04, 0.04, 0.04, 0.08, 0.1, 0.1, 0.6])
    keep = np.arange(t)[None, :] < last[:, None]
    ids = np.repeat(np.arange(n), t).reshape(n, t)
    return pd.DataFrame(
        {
            "id": ids[keep],
            "months": np.broadcast_to(VISITS, (n, t))[keep],
            "arm": np.where(np.repeat(arm, t).reshape(n, t)[keep] == 1, "active", "placebo"),
            "base": np.repeat(base, t).reshape(n, t)[keep],
            "chg": y[keep],
        }
    )


def kr_step(data: pd.DataFrame) -> float:
    """Seconds for the Kenward-Roger step alone on the fitted UN MMRM."""
    from alstrials.models import mmrm as m
    from alstrials.models.covstruct import CovarianceStructure, CovStruct
    from alstrials.models.mmrm.kenward_roger import _kr_mmrm

    fit = fit_mmrm(data, "chg", "months", "id", "arm", covariates=("base",))
    frame, _ = m._prepare_frame(data, "chg", "months", "id", "arm", ("base",))
    design = m._build_design(frame, "chg", "months", "id", "arm", ("base",), "placebo")
    cov = CovStruct(CovarianceStructure.UNSTRUCTURED, design.n_visits)
    obj = m._Objective(m._patterns(design), cov, True, design.y.size)
    theta = cov.start(fit.covariance.to_numpy())
    start = time.perf_counter()
    hess = _information(obj, theta)
    phi = linalg.cho_solve(obj.pieces(theta).a_factor, np.eye(obj.p))
    kr, _ = _kr_mmrm(obj, theta, phi, "observed", hess)
    assert kr is not None
    contrasts, _, _ = design.arm_contrasts()
    kr.df(np.vstack([np.eye(obj.p), contrasts]))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = simulate(args.subjects, np.random.default_rng(args.seed))
    print(f"{args.subjects} subjects, {len(data)} observations, {VISITS.size} visits")

    def un(method: str):  # noqa: ANN202
        return fit_mmrm(data, "chg", "months", "id", "arm", covariates=("base",), df_method=method)

    t_fit, _ = best_of(args.repeat, lambda: un("residual"))
    t_kr, kr = best_of(args.repeat, lambda: un("kenward-roger"))
    t_step = min(kr_step(data) for _ in range(args.repeat))
    print(
        f"UN MMRM: fit + KR {t_kr:6.3f} s (target < 1 s)   fit alone {t_fit:6.3f} s   "
        f"KR step alone {t_step:6.3f} s   converged {kr.converged}"
    )

    t_lmm, lmm = best_of(
        args.repeat,
        lambda: fit_lmm(
            data, "chg ~ base + months * arm", "id", "~months", df_method="kenward-roger"
        ),
    )
    r = run_r(R_SCRIPT, data, args.repeat)
    if r is None:
        print(f"LMM slope: alstrials {t_lmm:6.3f} s   (Rscript not found: no pbkrtest timing)")
    else:
        diff = np.max(np.abs(lmm.fixed["df"].to_numpy() / np.array(r["df"]) - 1))
        print(
            f"LMM slope: alstrials fit + KR {t_lmm:6.3f} s   "
            f"R lmer + pbkrtest {r['seconds']:7.3f} s"
            f"   ratio {r['seconds'] / t_lmm:6.1f}   max rel KR df diff {diff:.1e}"
        )


if __name__ == "__main__":
    main()

"""Fine-Gray speed: alstrials.fit_fine_gray against R cmprsk::crr, measured in the same run.

Data (seeded): ``--n`` subjects (default 10,000), 3 covariates (two normal, one binary), two
competing causes and uniform censoring; times rounded to 0.01 so that events tie. Both fits use
the same data and crr's tight convergence (``gtol = 1e-10``) so that the estimates can be
compared; the R fit is timed inside R (``system.time``, R start-up excluded) when ``Rscript``
with cmprsk is on the PATH, else "R absent" is printed. crr's robust variance is O(n^2) or
worse, so large ``--n`` can take R minutes: ``--r-timeout`` bounds the wait.

Prints each time (best of ``--repeat`` for alstrials, one R fit), the ratio crr / alstrials
(> 1: alstrials faster) and the largest absolute differences of coefficients and SEs.

Run: python benchmarks/bench_competing.py [--n 10000] [--repeat 3] [--seed 1] [--r-timeout 1800]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

R_SCRIPT = """
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv("{data}")
cov <- as.matrix(d[, c("x1", "x2", "x3")])
tm <- system.time(f <- crr(d$time, d$code, cov, failcode = 1, cencode = 0, gtol = 1e-10,
                           maxiter = 100))[["elapsed"]]
write.csv(data.frame(seconds = tm, coef = f$coef, se = sqrt(diag(f$var))), "{out}",
          row.names = FALSE)
"""


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = np.column_stack([rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n)])
    t1 = rng.exponential(1 / (0.5 * np.exp(x @ [0.4, -0.2, 0.3])))
    t2 = rng.exponential(1 / (0.3 * np.exp(x @ [-0.2, 0.3, 0.0])))
    c = rng.uniform(0.5, 3.0, n)
    t = np.minimum(np.minimum(t1, t2), c)
    code = np.where(t == c, 0, np.where(t1 < t2, 1, 2))
    d = pd.DataFrame(x, columns=["x1", "x2", "x3"])
    d["time"] = np.maximum(np.round(t, 2), 0.01)
    d["code"] = code
    return d


def run_r(data: pd.DataFrame, timeout: float) -> pd.DataFrame | str:
    """crr fit timed inside R; a string saying why when R is absent or too slow."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "R absent (Rscript not on PATH)"
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "d.csv", Path(tmp) / "out.csv"
        data.to_csv(path, index=False)
        script = Path(tmp) / "fit.R"
        script.write_text(R_SCRIPT.format(data=path, out=out))
        try:
            res = subprocess.run(
                [rscript, str(script)], capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return f"crr did not finish within {timeout:.0f} s"
        if res.returncode != 0:
            return "R failed: " + res.stderr.strip().splitlines()[-1]
        return pd.read_csv(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--r-timeout", type=float, default=1800.0)
    args = parser.parse_args()
    from alstrials.models.competing import fit_fine_gray

    d = simulate(args.n, np.random.default_rng(args.seed))
    times, fit = [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = fit_fine_gray(d, "time", "code", "x1 + x2 + x3", cause=1, censored=0)
        times.append(time.perf_counter() - t0)
    assert fit is not None
    ours = min(times)
    counts = d["code"].value_counts().sort_index().tolist()
    print(
        f"Fine-Gray, {len(d):,} subjects (censored/cause 1/cause 2: {counts}), 3 covariates, "
        f"{d['time'].nunique():,} distinct times"
    )
    print(f"  alstrials.fit_fine_gray   {ours:9.3f} s   (best of {args.repeat}, SEs included)")
    r = run_r(d, args.r_timeout)
    if isinstance(r, str):
        print(f"  R cmprsk::crr             {r}")
        return
    r_time = float(r["seconds"].iloc[0])
    dc = np.max(np.abs(fit.coef["estimate"].to_numpy() - r["coef"].to_numpy()))
    ds = np.max(np.abs(fit.coef["se"].to_numpy() - r["se"].to_numpy()))
    print(f"  R cmprsk::crr             {r_time:9.3f} s")
    print(f"  ratio crr/alstrials       {r_time / ours:9.1f}")
    print(f"  max |coef diff| {dc:.2e}   max |SE diff| {ds:.2e}")


if __name__ == "__main__":
    main()

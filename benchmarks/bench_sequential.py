"""Speed of group-sequential design computation against rpact.

Target: a K=5 design with beta-spending futility bounds in under 50 ms.

Run: ``python benchmarks/bench_sequential.py``. Prints the median time of alstrials for each case
and, when ``Rscript`` with rpact is available, rpact's median time for the same design measured
inside R in the same run (R start-up excluded), and the ratio.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np

from alstrials.design.sequential import group_sequential

CASES = {
    "K=5 asOF, bsOF non-binding": (
        {"k": 5, "futility": "ld-obrien-fleming"},
        "kMax=5, typeOfDesign='asOF', typeBetaSpending='bsOF'",
    ),
    "K=5 asOF, bsOF binding": (
        {"k": 5, "futility": "ld-obrien-fleming", "binding": True},
        "kMax=5, typeOfDesign='asOF', typeBetaSpending='bsOF', bindingFutility=TRUE",
    ),
    "K=5 asHSD(-4), bsHSD(-2) non-binding": (
        {"k": 5, "boundary": "hsd", "gamma": -4, "futility": "hsd", "gamma_futility": -2},
        "kMax=5, typeOfDesign='asHSD', gammaA=-4, typeBetaSpending='bsHSD', gammaB=-2",
    ),
    "K=5 asOF, no futility (+ characteristics)": (
        {"k": 5},
        "kMax=5, typeOfDesign='asOF'",
    ),
}


def time_python(kwargs: dict, repeats: int = 15) -> float:
    group_sequential(**kwargs)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        group_sequential(**kwargs)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_rpact(args: str, repeats: int = 15) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    # design plus characteristics (inflation, ASN), as alstrials computes both
    code = (
        "suppressPackageStartupMessages(library(rpact));"
        "f <- function() getDesignCharacteristics("
        f"getDesignGroupSequential({args}, alpha=0.025, beta=0.2));"
        "invisible(f());"
        f"t <- sapply(1:{repeats}, function(i) system.time(f())[['elapsed']]);"
        "cat(median(t))"
    )
    try:
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=300)
        return float(out.stdout.strip().split()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def main() -> None:
    print(f"{'case':45s} {'alstrials ms':>13s} {'rpact ms':>10s} {'rpact/alstrials':>16s}")
    for name, (kwargs, rargs) in CASES.items():
        py = time_python(kwargs)
        r = time_rpact(rargs)
        r_txt = "n/a" if r is None else f"{1000 * r:10.1f}"
        ratio = "n/a" if r is None or py == 0 else f"{r / py:16.1f}"
        print(f"{name:45s} {1000 * py:13.1f} {r_txt:>10s} {ratio:>16s}")
    py = time_python(CASES["K=5 asOF, bsOF non-binding"][0])
    verdict = "met" if py < 0.05 else "NOT met"
    print(f"\ntarget (K=5 with futility < 50 ms): {verdict} ({1000 * py:.1f} ms)")


if __name__ == "__main__":
    main()

# Rubin's rules from R mitools (MIcombine) on constructed completed-data results.
# Run from the repository root:  Rscript tests/reference/imputation/make_rubin.R
# Writes tests/reference/imputation/rubin.json: per case the inputs (estimates, variances,
# df_complete) and MIcombine's pooled estimate, total variance, df and missinfo.
# With df.complete = Inf, MIcombine's df is Rubin's (1987) (m - 1)(1 + 1/r)^2. With a finite
# df.complete its "observed-data" df uses vbar / (vbar + B), a variant of Barnard and Rubin
# (1999), whose (1 - gamma) is vbar / (vbar + (1 + 1/m) B); those cases are stored too, for a
# test that checks the difference is only that term.
suppressMessages({library(mitools); library(jsonlite)})
set.seed(20131352)
cases <- list()
for (spec in list(list(m = 5, dfc = Inf), list(m = 20, dfc = Inf), list(m = 3, dfc = Inf),
                  list(m = 10, dfc = 40), list(m = 50, dfc = 196))) {
  est <- rnorm(spec$m, mean = 2, sd = 0.4)
  var <- rgamma(spec$m, shape = 20, rate = 100)
  res <- MIcombine(as.list(est), as.list(var), df.complete = spec$dfc)
  cases[[length(cases) + 1]] <- list(
    m = spec$m, df_complete = if (is.finite(spec$dfc)) spec$dfc else "Inf",
    estimates = est, variances = var,
    estimate = unname(coef(res)), variance = unname(as.numeric(vcov(res))),
    df = unname(res$df), missinfo = unname(res$missinfo)
  )
}
out <- list(
  call = "mitools::MIcombine(as.list(est), as.list(var), df.complete = df_complete)",
  mitools_version = as.character(packageVersion("mitools")),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/imputation/rubin.json")

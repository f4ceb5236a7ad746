# Reference values for alstrials.design.power.biomarker (two-sample t-test on change scores)
# from R's stats::power.t.test. Run: Rscript power_t_test.R -> power_t_test.json
suppressMessages(library(jsonlite))
cases <- list(
  list(delta = 0.5, sd = 1, sig.level = 0.05, power = 0.8),
  list(delta = 0.25 * 1.6, sd = 1.6 / 0.95 * 8 / 12, sig.level = 0.05, power = 0.9),
  list(delta = 0.3 * 0.95, sd = 1, sig.level = 0.05, power = 0.8),
  list(delta = 1.2, sd = 1, sig.level = 0.01, power = 0.9)
)
res <- lapply(cases, function(a) {
  n <- do.call(power.t.test, c(a, list(type = "two.sample", alternative = "two.sided")))$n
  p <- power.t.test(n = 20, delta = a$delta, sd = a$sd, sig.level = a$sig.level)$power
  d <- power.t.test(n = 20, sd = a$sd, sig.level = a$sig.level, power = a$power)$delta
  list(delta = a$delta, sd = a$sd, alpha = a$sig.level, power = a$power, n_per_group = n,
       power_at_n20 = p, delta_at_n20 = d)
})
writeLines(toJSON(list(r_version = R.version.string, cases = res), auto_unbox = TRUE,
  digits = NA, pretty = TRUE), "power_t_test.json")

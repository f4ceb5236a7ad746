# Reference values for alstrials.design.power.survival from rpact (getSampleSizeSurvival,
# getPowerSurvival). Run from this folder: Rscript rpact_survival.R  -> rpact_survival.json
# rpact 3.3.4 (Debian r-cran-rpact). Group 1 = active (treatment), group 2 = control;
# hazardRatio = lambda1 / lambda2; allocationRatioPlanned = n1 / n2.
suppressMessages({library(rpact); library(jsonlite)})
out <- list(rpact_version = as.character(packageVersion("rpact")))

# 1. Events needed, Schoenfeld and Freedman, fixed design.
ev <- list()
for (comp in c("Schoenfeld", "Freedman")) for (hr in c(0.5, 0.7, 0.8)) for (ratio in c(1, 2)) {
  for (cfg in list(list(alpha = 0.025, sided = 1, beta = 0.2), list(alpha = 0.05, sided = 2, beta = 0.1))) {
    x <- getSampleSizeSurvival(alpha = cfg$alpha, sided = cfg$sided, beta = cfg$beta,
      hazardRatio = hr, lambda2 = log(2) / 24, allocationRatioPlanned = ratio,
      typeOfComputation = comp, accrualTime = c(0, 12), followUpTime = 12)
    ev[[length(ev) + 1]] <- list(method = tolower(comp), hr = hr, ratio = ratio,
      alpha = cfg$alpha, sided = cfg$sided, power = 1 - cfg$beta, events = x$eventsFixed)
  }
}
out$events <- ev

# 2. Sample size, exponential control (median 24 months), uniform accrual 12 months,
#    follow-up 12 months, 10% dropout by 12 months in each arm.
ss <- list()
for (ratio in c(1, 2)) {
  x <- getSampleSizeSurvival(alpha = 0.025, sided = 1, beta = 0.2, hazardRatio = 0.7,
    lambda2 = log(2) / 24, allocationRatioPlanned = ratio, accrualTime = c(0, 12),
    followUpTime = 12, dropoutRate1 = 0.1, dropoutRate2 = 0.1, dropoutTime = 12)
  ss[[length(ss) + 1]] <- list(case = "exponential", ratio = ratio, hr = 0.7,
    lambda2 = log(2) / 24, accrual_time = c(0, 12), accrual_intensity = list(1),
    follow_up = 12, dropout = 0.1, dropout_time = 12, events = x$eventsFixed,
    n_total = x$nFixed, n1 = x$nFixed1, n2 = x$nFixed2, analysis_time = x$analysisTime[1, 1])
}
# 3. Piecewise-exponential control hazard (rising), piecewise accrual (relative intensities),
#    different dropout per arm.
x <- getSampleSizeSurvival(alpha = 0.025, sided = 1, beta = 0.2, hazardRatio = 0.75,
  piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.01, 0.03, 0.06),
  accrualTime = c(0, 6, 18), accrualIntensity = c(0.2, 0.6), followUpTime = 9,
  dropoutRate1 = 0.15, dropoutRate2 = 0.10, dropoutTime = 12)
ss[[length(ss) + 1]] <- list(case = "piecewise", ratio = 1, hr = 0.75,
  piecewise_time = c(0, 6, 12), lambda2 = c(0.01, 0.03, 0.06),
  accrual_time = c(0, 6, 18), accrual_intensity = c(0.2, 0.6), follow_up = 9,
  dropout1 = 0.15, dropout2 = 0.10, dropout_time = 12, events = x$eventsFixed,
  n_total = x$nFixed, n1 = x$nFixed1, n2 = x$nFixed2, analysis_time = x$analysisTime[1, 1])
# 4. Weibull control hazard (shape kappa = 2, rising, as in ALS), S(t) = exp(-(lambda t)^kappa);
#    rpact refuses Weibull together with dropout, so none here.
#    rpact's PH alternative has lambda1 = lambda2 * hr^(1 / kappa).
lam <- log(2)^(1 / 2) / 30   # median 30 months
x <- getSampleSizeSurvival(alpha = 0.025, sided = 1, beta = 0.2, hazardRatio = 0.7,
  lambda2 = lam, kappa = 2, accrualTime = c(0, 12), followUpTime = 12)
ss[[length(ss) + 1]] <- list(case = "weibull", ratio = 1, hr = 0.7, lambda2 = lam, kappa = 2,
  accrual_time = c(0, 12), follow_up = 12, dropout = 0,
  events = x$eventsFixed, n_total = x$nFixed, analysis_time = x$analysisTime[1, 1])
out$sample_size <- ss

# 5. Calendar time to reach the events: absolute accrual 10/month for 6 months then 30/month
#    to month 18 (420 subjects); rpact solves the follow-up time.
x <- getSampleSizeSurvival(alpha = 0.025, sided = 1, beta = 0.2, hazardRatio = 0.7,
  piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.01, 0.03, 0.06),
  accrualTime = c(0, 6, 18), accrualIntensity = c(10, 30),
  dropoutRate1 = 0.1, dropoutRate2 = 0.1, dropoutTime = 12)
out$time_to_events <- list(hr = 0.7, piecewise_time = c(0, 6, 12), lambda2 = c(0.01, 0.03, 0.06),
  accrual_time = c(0, 6, 18), accrual_intensity = c(10, 30), dropout = 0.1, dropout_time = 12,
  events = x$eventsFixed, n_total = x$nFixed, follow_up = x$followUpTime,
  analysis_time = x$analysisTime[1, 1])

# 6. Power for a given number of events and subjects (exponential control).
x <- getPowerSurvival(alpha = 0.025, sided = 1, hazardRatio = 0.7, directionUpper = FALSE, lambda2 = log(2) / 24,
  maxNumberOfEvents = 200, maxNumberOfSubjects = 600, accrualTime = c(0, 12),
  dropoutRate1 = 0.1, dropoutRate2 = 0.1, dropoutTime = 12)
out$power <- list(hr = 0.7, lambda2 = log(2) / 24, events = 200, n_total = 600,
  accrual_time = c(0, 12), dropout = 0.1, dropout_time = 12,
  power = x$overallReject, analysis_time = x$analysisTime[1, 1])

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "rpact_survival.json")

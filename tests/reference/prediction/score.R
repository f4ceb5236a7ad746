# Reference values for alstrials.models.prediction: riskRegression::Score with marginal
# Kaplan-Meier censoring weights (cens.model = "km"), time-dependent AUC and Brier score with
# their default influence-function standard errors, and the null model (Aalen-Johansen /
# Kaplan-Meier marginal risk) Brier score.
#
# Rerun from the repository root (R >= 4.2, riskRegression 2022.11.28, prodlim 2019.11.13):
#   python tests/reference/prediction/make_data.py
#   Rscript tests/reference/prediction/score.R
# Writes score_competing.csv and score_survival.csv beside this script: one row per model
# (m1, m2, "Null model"), horizon (times) and metric (AUC, Brier) with estimate, se, lower,
# upper as Score reports them.
suppressMessages({
  library(riskRegression)
  library(prodlim)
  library(survival)
})
here <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "."
})
horizons <- c(3, 6, 9)

score_case <- function(name) {
  d <- read.csv(file.path(here, paste0(name, ".csv")))
  risks <- function(prefix) {
    as.matrix(d[, paste0(prefix, "_", horizons)])
  }
  sc <- Score(list(m1 = risks("m1"), m2 = risks("m2")),
              formula = Hist(time, event) ~ 1, data = d, times = horizons, cause = 1,
              metrics = c("auc", "brier"), cens.model = "km", se.fit = TRUE,
              null.model = TRUE, conf.int = 0.95)
  auc <- as.data.frame(sc$AUC$score)
  brier <- as.data.frame(sc$Brier$score)
  out <- rbind(
    data.frame(metric = "AUC", model = as.character(auc$model), horizon = auc$times,
               estimate = auc$AUC, se = auc$se, lower = auc$lower, upper = auc$upper),
    data.frame(metric = "Brier", model = as.character(brier$model), horizon = brier$times,
               estimate = brier$Brier, se = brier$se, lower = brier$lower,
               upper = brier$upper)
  )
  write.csv(out, file.path(here, paste0("score_", name, ".csv")), row.names = FALSE)
  out
}

print(score_case("competing"), digits = 10)
print(score_case("survival"), digits = 10)

# Aalen-Johansen (cause 1 of the competing case) with infinitesimal-jackknife standard errors
# and log-scale 95% intervals (survfit's defaults for a multi-state fit), for the observed
# risks of the calibration table.
d <- read.csv(file.path(here, "competing.csv"))
d$state <- factor(d$event, 0:2, c("censor", "c1", "c2"))
aj <- survfit(Surv(time, state) ~ 1, data = d)
s <- summary(aj, times = horizons)
aj_out <- data.frame(horizon = s$time, risk = s$pstate[, which(aj$states == "c1")],
                     se = s$std.err[, which(aj$states == "c1")],
                     lower = s$lower[, which(aj$states == "c1")],
                     upper = s$upper[, which(aj$states == "c1")])
write.csv(aj_out, file.path(here, "aalen_johansen.csv"), row.names = FALSE)
print(aj_out, digits = 10)
writeLines(sprintf("riskRegression %s, prodlim %s, survival %s, %s",
                   packageVersion("riskRegression"), packageVersion("prodlim"),
                   packageVersion("survival"), R.version.string),
           file.path(here, "versions.txt"))

# Reference values for alstrials.models.competing.cause_specific, produced by R (never typed in).
# Rerun from this folder (R >= 4.2, riskRegression 2022.11.28, prodlim, survival):
#   python make_data.py && Rscript csc.R
# Inputs: train.csv (model fit), test.csv (held-out subjects). Codes: 0 censored, 1 death,
# 2 tracheostomy, 3 permanent_ventilation. Outputs (CSV, 15 significant digits):
#   ref_coef.csv    riskRegression::CSC (coxph, Efron ties) coefficients and SEs per cause
#   ref_risk.csv    predictRisk(CSC, newdata = test, times, cause) (absolute risk, product-limit
#                   all-cause survival: the default product.limit = TRUE), every cause
#   ref_risk_exp.csv the same with product.limit = FALSE (exp(-sum of cumulative hazards))
#   ref_score.csv   Score(list(csc = fit), Hist(months, code) ~ 1, data = test, cause = k,
#                   metrics = c("auc", "brier"), cens.model = "km", se.fit = TRUE,
#                   null.model = TRUE): AUC and Brier with influence-function SEs, causes 1, 2
#                   (coding "three causes"), and the same risks scored with the other causes
#                   merged into one competing cause (coding "other causes merged"); and a
#                   coxph of the first event of any cause scored as a single event (coding
#                   "single event (Cox)", cause "any event")
#   versions.txt    R and package versions
suppressMessages({
  library(riskRegression)
  library(prodlim)
  library(survival)
})
causes <- c("death", "tracheostomy", "permanent_ventilation")
train <- read.csv("train.csv")
test <- read.csv("test.csv")
train$status <- NULL  # the label column is not needed in R (codes are)
test$status <- NULL
times <- c(3, 6, 12, 18, 24)

fit <- CSC(Hist(months, code) ~ active + age + fvc_z, data = train)
coef_rows <- list()
for (k in 1:3) {
  m <- fit$models[[k]]
  coef_rows[[k]] <- data.frame(cause = causes[k], term = names(coef(m)),
                               coef = unname(coef(m)), se = unname(sqrt(diag(m$var))),
                               ties = m$method)
}
write.csv(do.call(rbind, coef_rows), "ref_coef.csv", row.names = FALSE)

risk_table <- function(product.limit) {
  rows <- list()
  for (k in 1:3) {
    p <- predictRisk(fit, newdata = test, times = times, cause = k,
                     product.limit = product.limit)
    rows[[k]] <- data.frame(id = rep(test$id, length(times)), cause = causes[k],
                            time = rep(times, each = nrow(test)), risk = as.vector(p))
  }
  do.call(rbind, rows)
}
write.csv(risk_table(TRUE), "ref_risk.csv", row.names = FALSE)
write.csv(risk_table(FALSE), "ref_risk_exp.csv", row.names = FALSE)

# Score twice: on the three-cause coding (the CSC object itself is scored) and on the same
# outcomes with the causes other than k merged into one competing cause (code2: 0 censored,
# 1 cause k, 2 any other cause), scoring the same predicted risks (predictRisk of the fit).
# The AUC and Brier estimates of the two codings are identical; the AUC's standard error is
# not (riskRegression 2022.11.28), see docs/prediction.md.
score_table <- function(sc, k, coding) {
  auc <- as.data.frame(sc$AUC$score)
  brier <- as.data.frame(sc$Brier$score)
  rbind(
    data.frame(coding = coding, cause = causes[k], metric = "AUC",
               model = as.character(auc$model), time = auc$times, estimate = auc$AUC,
               se = auc$se, lower = auc$lower, upper = auc$upper),
    data.frame(coding = coding, cause = causes[k], metric = "Brier",
               model = as.character(brier$model), time = brier$times,
               estimate = brier$Brier, se = brier$se, lower = brier$lower,
               upper = brier$upper))
}
score_times <- c(3, 6, 12, 18)
score_rows <- list()
for (k in 1:2) {
  sc <- Score(list(csc = fit), formula = Hist(months, code) ~ 1, data = test,
              times = score_times, cause = k, metrics = c("auc", "brier"),
              cens.model = "km", se.fit = TRUE, null.model = TRUE, conf.int = 0.95)
  score_rows[[length(score_rows) + 1]] <- score_table(sc, k, "three causes")
  test2 <- test
  test2$code2 <- ifelse(test$code == 0, 0, ifelse(test$code == k, 1, 2))
  risk <- predictRisk(fit, newdata = test, times = score_times, cause = k)
  sc2 <- Score(list(csc = risk), formula = Hist(months, code2) ~ 1, data = test2,
               times = score_times, cause = 1, metrics = c("auc", "brier"),
               cens.model = "km", se.fit = TRUE, null.model = TRUE, conf.int = 0.95)
  score_rows[[length(score_rows) + 1]] <- score_table(sc2, k, "other causes merged")
}
# a Cox model of the first event of any cause (no competing risks): Score of 1 - S(t | x)
train$any <- as.integer(train$code > 0)
test$any <- as.integer(test$code > 0)
cox_any <- coxph(Surv(months, any) ~ active + age + fvc_z, data = train, x = TRUE)
sc3 <- Score(list(cox = cox_any), formula = Hist(months, any) ~ 1, data = test,
             times = score_times, metrics = c("auc", "brier"), cens.model = "km",
             se.fit = TRUE, null.model = TRUE, conf.int = 0.95)
causes[4] <- "any event"
score_rows[[length(score_rows) + 1]] <- score_table(sc3, 4, "single event (Cox)")
write.csv(do.call(rbind, score_rows), "ref_score.csv", row.names = FALSE)
writeLines(sprintf("riskRegression %s, prodlim %s, survival %s, %s",
                   packageVersion("riskRegression"), packageVersion("prodlim"),
                   packageVersion("survival"), R.version.string), "versions.txt")

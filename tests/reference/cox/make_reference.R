# coxph references on counting.csv (made by make_data.py): Rscript make_reference.R -> values.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})
d <- read.csv("counting.csv")
f <- Surv(start, stop, event) ~ age + active + dose
summ <- function(fit) list(
  coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik,
  score = unname(fit$score), wald = unname(fit$wald.test), iter = fit$iter,
  concordance = unname(fit$concordance["concordance"]))
efron <- coxph(f, data = d, ties = "efron")
breslow <- coxph(f, data = d, ties = "breslow")
strata <- coxph(Surv(start, stop, event) ~ age + active + dose + strata(site), data = d)
cluster <- coxph(f, data = d, cluster = id)
sf <- survfit(efron)  # at fit$means, 0 for the 0/1 column active
out <- list(
  survival_version = as.character(packageVersion("survival")),
  names = names(coef(efron)),
  efron = summ(efron), breslow = summ(breslow), strata = summ(strata),
  cluster = c(summ(cluster), list(naive_se = unname(sqrt(diag(cluster$naive.var))))),
  score_resid = unname(residuals(efron, type = "score")[c(1, 2, 3, 4, 100, 2000), ]),
  survfit = list(time = sf$time, n_risk = sf$n.risk, n_event = sf$n.event, cumhaz = sf$cumhaz))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "values.json")

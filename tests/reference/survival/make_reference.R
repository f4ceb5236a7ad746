# Reference values for alstrials' survival module, produced with R survival 3.5-3.
# Run from this folder:  Rscript make_reference.R
# Writes values.json (all numbers) and heart.csv (survival::heart, the Stanford heart
# transplant data in counting-process form, for the time-varying Cox tests).
suppressPackageStartupMessages({library(survival); library(jsonlite)})

lung <- read.csv("../lung.csv")   # complete cases of time, status, age, sex, ph.ecog
lung$grp <- (seq_len(nrow(lung)) - 1) %/% 4   # synthetic cluster id: rows 1-4, 5-8, ...
heart <- survival::heart
heart$transplant <- as.integer(as.character(heart$transplant))
write.csv(heart, "heart.csv", row.names = FALSE)

out <- list(survival_version = as.character(packageVersion("survival")))

km_tab <- function(fit) {
  s <- summary(fit, censored = TRUE)
  g <- if (is.null(s$strata)) rep("all", length(s$time)) else sub("^sex=", "", as.character(s$strata))
  list(group = g, time = s$time, n_risk = s$n.risk, n_event = s$n.event, surv = s$surv,
       lower = s$lower, upper = s$upper, std_err = s$std.err)
}
med_tab <- function(fit) {
  t <- summary(fit)$table
  if (is.null(dim(t))) t <- t(as.matrix(t))
  list(median = unname(t[, "median"]), lcl = unname(t[, "0.95LCL"]), ucl = unname(t[, "0.95UCL"]))
}
for (ct in c("log", "log-log", "plain")) {
  f <- survfit(Surv(time, status) ~ 1, data = lung, conf.type = ct)
  out[[paste0("km_", ct)]] <- c(km_tab(f), med_tab(f))
}
f <- survfit(Surv(time, status) ~ sex, data = lung, conf.type = "log")
out$km_by_sex <- c(km_tab(f), med_tab(f))
f <- survfit(Surv(time, status) ~ sex, data = lung, conf.type = "log-log")
out$km_by_sex_loglog <- c(km_tab(f), med_tab(f))

# RMST at tau = 365 and 700 by sex
for (tau in c(365, 700)) {
  t <- summary(survfit(Surv(time, status) ~ sex, data = lung), rmean = tau)$table
  out[[paste0("rmst_", tau)]] <- list(rmean = unname(t[, "rmean"]), se = unname(t[, "se(rmean)"]))
}

sd_out <- function(s) list(chisq = s$chisq, df = length(s$n) - 1, obs = as.vector(s$obs),
                          exp = as.vector(s$exp), var = as.vector(s$var),
                          p = pchisq(s$chisq, length(s$n) - 1, lower.tail = FALSE))
out$survdiff_sex <- sd_out(survdiff(Surv(time, status) ~ sex, data = lung))
out$survdiff_sex_rho1 <- sd_out(survdiff(Surv(time, status) ~ sex, data = lung, rho = 1))
out$survdiff_ecog <- sd_out(survdiff(Surv(time, status) ~ ph.ecog, data = lung[lung$ph.ecog < 3, ]))
s <- survdiff(Surv(time, status) ~ sex + strata(ph.ecog), data = lung)
out$survdiff_sex_strata_ecog <- list(chisq = s$chisq, p = pchisq(s$chisq, 1, lower.tail = FALSE),
                                     obs = as.vector(rowSums(s$obs)), exp = as.vector(rowSums(s$exp)))

cox_out <- function(fit) {
  r <- list(coef = unname(coef(fit)), names = names(coef(fit)), se = unname(sqrt(diag(fit$var))),
            loglik = fit$loglik, score = unname(fit$score), wald = unname(fit$wald.test),
            concordance = unname(fit$concordance["concordance"]), n = fit$n, nevent = fit$nevent)
  if (!is.null(fit$naive.var)) r$naive_se <- unname(sqrt(diag(fit$naive.var)))
  r
}
fe <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = "efron")
fb <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, ties = "breslow")
out$cox_efron <- cox_out(fe)
out$cox_breslow <- cox_out(fb)
out$cox_efron_robust <- cox_out(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung,
                                      robust = TRUE))
out$cox_breslow_robust <- cox_out(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung,
                                        ties = "breslow", robust = TRUE))
out$cox_efron_cluster <- cox_out(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung,
                                       cluster = grp))
fs <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)
out$cox_strata_sex <- cox_out(fs)
out$cox_factor_ecog <- cox_out(coxph(Surv(time, status) ~ age + factor(ph.ecog), data = lung))

# baseline survival / cumulative hazard (survfit.coxph defaults: at fit$means, Efron hazard)
sf <- survfit(fe)
out$cox_efron_survfit_mean <- list(time = sf$time, surv = sf$surv, cumhaz = sf$cumhaz,
                                   means = unname(fe$means))
sf0 <- survfit(fb, newdata = data.frame(age = 60, sex = 2, ph.ecog = 1))
out$cox_breslow_survfit_new <- list(time = sf0$time, surv = as.vector(sf0$surv))
sfs <- survfit(fs, newdata = data.frame(age = 65, ph.ecog = 0))
out$cox_strata_survfit_new <- list(time = sfs$time, surv = as.vector(sfs$surv),
                                   strata = rep(names(sfs$strata), sfs$strata))

# cox.zph (survival 3 score-test version)
zph_out <- function(z) list(names = rownames(z$table), chisq = unname(z$table[, "chisq"]),
                            df = unname(z$table[, "df"]), p = unname(z$table[, "p"]),
                            x = unname(z$x), y = unname(z$y), time = unname(z$time))
out$zph_efron_km <- zph_out(cox.zph(fe))
out$zph_efron_identity <- zph_out(cox.zph(fe, transform = "identity"))
out$zph_breslow_rank <- zph_out(cox.zph(fb, transform = "rank"))
out$zph_strata_km <- zph_out(cox.zph(fs))

# counting process: Stanford heart transplant (start, stop] data
fh <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart)
out$heart_efron <- cox_out(fh)
out$heart_breslow <- cox_out(coxph(Surv(start, stop, event) ~ age + year + surgery + transplant,
                                   data = heart, ties = "breslow"))
out$heart_efron_cluster <- cox_out(coxph(Surv(start, stop, event) ~ age + year + surgery +
                                         transplant, data = heart, cluster = id))
sh <- survfit(fh)
out$heart_survfit_mean <- list(time = sh$time, surv = sh$surv, cumhaz = sh$cumhaz,
                               n_event = sh$n.event, means = unname(fh$means))
out$heart_zph_km <- zph_out(cox.zph(fh))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")

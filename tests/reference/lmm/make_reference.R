# lme4 / lmerTest reference values for alstrials.fit_lmm.
# Run from this folder after `python make_data.py`:  Rscript make_reference.R
# Writes values.json. Coefficients are stored in R's order, which is the order formulaic uses for
# the same formula (factor levels alphabetical in both), together with R's names.
suppressPackageStartupMessages({library(lme4); library(lmerTest); library(jsonlite)})

ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5),
                    check.conv.singular = "ignore")

describe <- function(fit, data_file, call, contrasts = list()) {
  s <- summary(fit, ddf = "Satterthwaite")
  co <- s$coefficients
  vc <- VarCorr(fit)[[1]]
  out <- list(
    data = data_file, call = call, reml = isREML(fit),
    terms = rownames(co), estimate = unname(co[, "Estimate"]),
    se = unname(co[, "Std. Error"]), df = unname(co[, "df"]),
    random_terms = colnames(vc), random_cov = unname(matrix(vc, nrow(vc))),
    resid_var = sigma(fit)^2, loglik = as.numeric(logLik(fit)),
    aic = AIC(fit), bic = BIC(fit), singular = isSingular(fit),
    theta = unname(getME(fit, "theta")),
    n_obs = nobs(fit), n_groups = unname(ngrps(fit)),
    blups_subjects = rownames(ranef(fit)[[1]])[1:5],
    blups = unname(as.matrix(ranef(fit)[[1]][1:5, , drop = FALSE])),
    fitted_first10 = unname(fitted(fit)[1:10]),
    contrasts = lapply(contrasts, function(L) {
      ct <- contest1D(fit, L)
      list(L = L, estimate = ct$Estimate, se = ct$`Std. Error`, df = ct$df,
           t = ct$`t value`, p = ct$`Pr(>|t|)`)
    })
  )
  out
}

res <- list()

sleep <- read.csv("../sleepstudy.csv")
sleep$Subject <- factor(sleep$Subject)
for (reml in c(TRUE, FALSE)) {
  f <- lmer(Reaction ~ Days + (Days | Subject), sleep, REML = reml, control = ctrl)
  res[[paste0("sleepstudy_", ifelse(reml, "reml", "ml"))]] <- describe(
    f, "../sleepstudy.csv", "lmer(Reaction ~ Days + (Days | Subject), REML)",
    contrasts = list(day10 = c(1, 10)))
}

als <- read.csv("als_small.csv")
for (reml in c(TRUE, FALSE)) {
  f <- lmer(alsfrs ~ months * arm + onset_site + (months | subject_id), als, REML = reml,
            control = ctrl)
  res[[paste0("als_factor_", ifelse(reml, "reml", "ml"))]] <- describe(
    f, "als_small.csv", "lmer(alsfrs ~ months * arm + onset_site + (months | subject_id))",
    # arm difference (placebo - active) in mean at month 12 and in slope
    contrasts = list(month12 = c(0, 0, 1, 0, 12), slope = c(0, 0, 0, 0, 1)))
}
f <- lmer(alsfrs ~ months * arm + (1 | subject_id), als, REML = TRUE, control = ctrl)
res[["als_intercept_reml"]] <- describe(f, "als_small.csv",
  "lmer(alsfrs ~ months * arm + (1 | subject_id))")

quad <- read.csv("als_quadratic.csv")
for (reml in c(TRUE, FALSE)) {
  f <- lmer(alsfrs ~ months * arm + I(months^2) + (months + I(months^2) | subject_id), quad,
            REML = reml, control = ctrl)
  res[[paste0("als_quadratic_", ifelse(reml, "reml", "ml"))]] <- describe(
    f, "als_quadratic.csv",
    "lmer(alsfrs ~ months * arm + I(months^2) + (months + I(months^2) | subject_id))")
}

bnd <- read.csv("als_boundary.csv")
f <- lmer(alsfrs ~ months * arm + (months | subject_id), bnd, REML = TRUE, control = ctrl)
res[["als_boundary_reml"]] <- describe(f, "als_boundary.csv",
  "lmer(alsfrs ~ months * arm + (months | subject_id))")

res[["_versions"]] <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                           lmerTest = as.character(packageVersion("lmerTest")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "values.json")

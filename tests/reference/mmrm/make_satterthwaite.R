# Satterthwaite degrees of freedom for the compound-symmetry MMRM on mmrm_A.csv, from lmerTest.
# A random-intercept LMM has the compound-symmetry marginal covariance (for a positive
# within-subject correlation), so its REML fit and Satterthwaite df are those of the CS MMRM.
# Run from the repository root:  Rscript tests/reference/mmrm/make_satterthwaite.R
# Writes tests/reference/mmrm/satterthwaite.json.
suppressMessages({library(lmerTest); library(jsonlite)})
d <- read.csv("tests/reference/mmrm_A.csv")
d$visitf <- factor(d$visit)
d$armf <- factor(d$arm)
fit <- lmer(chg ~ base + visitf * armf + (1 | id), data = d, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12)))
co <- summary(fit, ddf = "Satterthwaite")$coefficients
b <- fixef(fit)
lv <- levels(d$visitf)
eff <- lapply(seq_along(lv), function(j) {
  L <- setNames(numeric(length(b)), names(b)); L["armf1"] <- 1
  if (j > 1) L[paste0("visitf", lv[j], ":armf1")] <- 1
  ct <- contest(fit, matrix(L, nrow = 1), ddf = "Satterthwaite", joint = FALSE)
  list(visit = as.numeric(lv[j]), estimate = ct$Estimate, se = ct[["Std. Error"]],
       df = ct$df, p = ct[["Pr(>|t|)"]], ci_low = ct$lower, ci_high = ct$upper)
})
out <- list(
  call = paste("lmerTest::lmer(chg ~ base + visitf * armf + (1 | id), REML = TRUE);",
               "summary(ddf = 'Satterthwaite'); contest(L, ddf = 'Satterthwaite')"),
  coef = as.list(co[, "Estimate"]), se = as.list(co[, "Std. Error"]),
  df = as.list(co[, "df"]), p = as.list(co[, "Pr(>|t|)"]),
  loglik = as.numeric(logLik(fit)), effects = eff,
  lmerTest_version = as.character(packageVersion("lmerTest"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/mmrm/satterthwaite.json")

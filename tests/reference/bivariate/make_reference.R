# Reference values for alstrials.fit_bivariate_lmm: a bivariate LMM fitted with nlme::lme on the
# stacked cord CSA + ALSFRS-R data written by make_data.py (same folder).
# Run from the repository root:  Rscript tests/reference/bivariate/make_reference.R
# Writes tests/reference/bivariate/values.json (tests read it; R is not needed at test time).
suppressMessages({library(nlme); library(jsonlite)})
dir <- "tests/reference/bivariate"
subj <- read.csv(file.path(dir, "subjects.csv"))
fun <- read.csv(file.path(dir, "alsfrs.csv"))
mri <- read.csv(file.path(dir, "mri.csv"))
lv <- c("cord_csa_mm2", "alsfrs_total")
long <- rbind(
  data.frame(id = mri$subject_id, months = mri$months, outcome = lv[1], y = mri$cord_csa_mm2),
  data.frame(id = fun$subject_id, months = fun$months, outcome = lv[2], y = fun$alsfrs_total)
)
long$outcome <- factor(long$outcome, levels = lv)
long$active <- as.numeric(subj$arm[match(long$id, subj$subject_id)] == "active")
long <- long[order(long$id, long$months), ]

ctrl <- lmeControl(maxIter = 500, msMaxIter = 500, niterEM = 100, tolerance = 1e-10,
                   msTol = 1e-12, returnObject = FALSE)
fits <- list(
  basic_reml = list(f = y ~ 0 + outcome + outcome:months, method = "REML"),
  basic_ml = list(f = y ~ 0 + outcome + outcome:months, method = "ML"),
  arm_reml = list(f = y ~ 0 + outcome + outcome:months + outcome:active + outcome:months:active,
                  method = "REML")
)
out <- list()
for (nm in names(fits)) {
  s <- fits[[nm]]
  fit <- lme(s$f, random = ~ 0 + outcome + outcome:months | id, data = long,
             weights = varIdent(form = ~ 1 | outcome), method = s$method, control = ctrl)
  D <- getVarCov(fit)
  D <- matrix(as.numeric(D), nrow(D))
  ratio <- coef(fit$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
  sig <- fit$sigma * ratio[lv]
  ci <- intervals(fit, which = "var-cov")$reStruct$id
  slope_row <- grep("^cor\\(outcomecord_csa_mm2:months,outcomealsfrs_total:months\\)$|^cor\\(outcomealsfrs_total:months,outcomecord_csa_mm2:months\\)$",
                    rownames(ci))
  ll <- logLik(fit)
  out[[nm]] <- list(
    call = paste0("lme(", deparse(s$f), ", random = ~ 0 + outcome + outcome:months | id, ",
                  "weights = varIdent(form = ~ 1 | outcome), method = '", s$method, "')"),
    fixed_names = names(fixef(fit)),
    fixed = unname(fixef(fit)), se = unname(sqrt(diag(vcov(fit)))),
    random_cov = D, residual_sd = unname(sig),
    slope_cor = D[3, 4] / sqrt(D[3, 3] * D[4, 4]),
    slope_cor_ci = if (length(slope_row)) unname(unlist(ci[slope_row, c("lower", "upper")])) else NULL,
    intervals_rownames = rownames(ci),
    loglik = as.numeric(ll), df_loglik = attr(ll, "df"), aic = AIC(fit), bic = BIC(fit),
    n_obs = nrow(long), n_subjects = length(unique(long$id)),
    n_obs_by_outcome = as.list(table(long$outcome))
  )
}
out$nlme_version <- as.character(packageVersion("nlme"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(dir, "values.json"))

# Reference values for alstrials.fit_mmrm: nlme::gls on tests/reference/mmrm_A.csv.
# Run from the repository root:  Rscript tests/reference/mmrm/make_reference.R
# Writes tests/reference/mmrm/values.json (the test suite reads it; R is not needed at test time).
suppressMessages({library(nlme); library(jsonlite)})
d <- read.csv("tests/reference/mmrm_A.csv")
d$visitf <- factor(d$visit)
d$armf <- factor(d$arm)
d$k <- as.integer(d$visitf)   # visit index 1..4 (time positions for corAR1 / corSymm)
d <- d[order(d$id, d$k), ]

form <- chg ~ base + visitf * armf
specs <- list(
  unstructured = list(cor = corSymm(form = ~ k | id), w = varIdent(form = ~ 1 | visitf)),
  ar1  = list(cor = corAR1(form = ~ k | id), w = NULL),
  ar1h = list(cor = corAR1(form = ~ k | id), w = varIdent(form = ~ 1 | visitf)),
  cs   = list(cor = corCompSymm(form = ~ k | id), w = NULL),
  csh  = list(cor = corCompSymm(form = ~ k | id), w = varIdent(form = ~ 1 | visitf))
)
ctrl <- glsControl(maxIter = 200, msMaxIter = 200, tolerance = 1e-10, msTol = 1e-12)
full_id <- names(which(table(d$id) == 4))[1]
out <- list()
for (method in c("REML", "ML")) {
  for (nm in names(specs)) {
    s <- specs[[nm]]
    fit <- if (is.null(s$w)) {
      gls(form, data = d, correlation = s$cor, method = method, control = ctrl)
    } else {
      gls(form, data = d, correlation = s$cor, weights = s$w, method = method, control = ctrl)
    }
    b <- coef(fit); V <- vcov(fit)
    tt <- summary(fit)$tTable
    dfres <- fit$dims$N - fit$dims$p
    # arm difference at each visit: armf1 + visitfV:armf1 (0 for the reference visit)
    lv <- levels(d$visitf)
    eff <- lapply(seq_along(lv), function(j) {
      L <- setNames(numeric(length(b)), names(b)); L["armf1"] <- 1
      if (j > 1) L[paste0("visitf", lv[j], ":armf1")] <- 1
      est <- sum(L * b); se <- sqrt(drop(t(L) %*% V %*% L))
      tq <- qt(0.975, dfres)
      list(visit = as.numeric(lv[j]), estimate = est, se = se,
           ci_low = est - tq * se, ci_high = est + tq * se,
           p = 2 * pt(-abs(est / se), dfres))
    })
    ll <- logLik(fit)
    out[[paste(nm, tolower(method), sep = "_")]] <- list(
      call = paste0("gls(chg ~ base + visitf * armf, correlation = ", deparse(s$cor),
                    if (is.null(s$w)) "" else paste0(", weights = ", deparse(s$w)),
                    ", method = '", method, "')"),
      coef = as.list(b), se = as.list(sqrt(diag(V))),
      t = as.list(tt[, "t-value"]), p = as.list(tt[, "p-value"]),
      df_residual = dfres,
      loglik = as.numeric(ll), df_loglik = attr(ll, "df"),
      aic = AIC(fit), bic = BIC(fit),
      cov = { G <- getVarCov(fit, individual = full_id); matrix(as.numeric(G), nrow(G)) },
      effects = eff,
      n_subjects = length(unique(d$id)), n_obs = nrow(d)
    )
  }
}
# intermittent missingness: drop visit 6 of every 7th subject (non-monotone patterns)
di <- d[!(d$id %% 7 == 0 & d$visit == 6), ]
fit <- gls(form, data = di, correlation = corSymm(form = ~ k | id),
           weights = varIdent(form = ~ 1 | visitf), method = "REML", control = ctrl)
out[["unstructured_reml_intermittent"]] <- list(
  call = "as unstructured_reml, on the rows with !(id %% 7 == 0 & visit == 6)",
  coef = as.list(coef(fit)), se = as.list(sqrt(diag(vcov(fit)))),
  loglik = as.numeric(logLik(fit)), n_obs = nrow(di),
  cov = { G <- getVarCov(fit, individual = full_id); matrix(as.numeric(G), nrow(G)) }
)
out$nlme_version <- as.character(packageVersion("nlme"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/mmrm/values.json")

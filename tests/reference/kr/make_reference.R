# Kenward-Roger and LS-means references for tests/models/test_kenward_roger.py and
# tests/models/test_lsmeans.py.
#
# Rerun from the repository root:
#   python tests/reference/kr/make_data.py        # (only if als_trial.csv must change)
#   Rscript tests/reference/kr/make_reference.R
# Writes tests/reference/kr/values.json. Needs lme4, pbkrtest, emmeans, nlme, jsonlite.
suppressMessages({
  library(lme4); library(pbkrtest); library(emmeans); library(nlme); library(jsonlite)
})
here <- "tests/reference/kr"
out <- list(versions = list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  lme4 = as.character(packageVersion("lme4")), pbkrtest = as.character(packageVersion("pbkrtest")),
  emmeans = as.character(packageVersion("emmeans")), nlme = as.character(packageVersion("nlme"))))
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 1e-2, rhoend = 1e-12, maxfun = 1e5))

# KR table per fixed coefficient: adjusted SE (vcovAdj) and KR df (get_Lb_ddf)
kr_coef <- function(fit) {
  va <- as.matrix(vcovAdj(fit))
  p <- length(fixef(fit))
  df <- sapply(seq_len(p), function(j) { L <- matrix(0, 1, p); L[j] <- 1; get_Lb_ddf(fit, L) })
  list(terms = names(fixef(fit)), estimate = unname(fixef(fit)),
       se_model = unname(sqrt(diag(as.matrix(vcov(fit))))), se_adj = unname(sqrt(diag(va))),
       vcov_adj = unname(va), df = unname(df))
}
em_list <- function(em) {
  s <- as.data.frame(summary(em))
  list(table = s)
}
kr_f <- function(fit, L) {  # multi-row KR F test of L beta = 0
  k <- KRmodcomp(fit, L)
  list(L = unname(L), F = k$test["Ftest", "stat"], ndf = k$test["Ftest", "ndf"],
       ddf = k$test["Ftest", "ddf"], scale = k$test["Ftest", "F.scaling"], p = k$test["Ftest", "p.value"])
}

## sleepstudy: random intercept and slope
ss <- read.csv("tests/reference/sleepstudy.csv")
ss$Subject <- factor(ss$Subject)
f1 <- lmer(Reaction ~ Days + (Days | Subject), ss, REML = TRUE, control = ctrl)
f0 <- lmer(Reaction ~ Days + (1 | Subject), ss, REML = TRUE, control = ctrl)
out$sleepstudy_slope <- kr_coef(f1)
out$sleepstudy_slope$F_both <- kr_f(f1, diag(2))
out$sleepstudy_intercept <- kr_coef(f0)

## simulated ALS trial
d <- read.csv(file.path(here, "als_trial.csv"))
d$arm <- factor(d$arm, levels = c("control", "treated"))
d$visitc <- factor(d$visitc); d$onset <- factor(d$onset); d$id <- factor(d$id)
d$k <- as.integer(d$visitc)

# LMM with random slope, numeric months: KR per coefficient, emmeans LS means at months 6, 12
fs <- lmer(chg ~ base + onset + months * arm + (months | id), d, REML = TRUE, control = ctrl)
out$als_slope <- kr_coef(fs)
out$als_slope$F_arm <- kr_f(fs, rbind(c(0, 0, 0, 0, 0, 1, 0), c(0, 0, 0, 0, 0, 0, 1)))
em <- emmeans(fs, ~ arm | months, at = list(months = c(6, 12)), lmer.df = "kenward-roger")
out$als_slope$emmeans <- as.data.frame(summary(em, infer = TRUE))
out$als_slope$diffs <- as.data.frame(summary(contrast(em, "trt.vs.ctrl"), infer = TRUE))

# CS MMRM = random intercept LMM with visit as factor: pbkrtest and emmeans KR
fc <- lmer(chg ~ base + onset + visitc * arm + (1 | id), d, REML = TRUE, control = ctrl)
out$als_cs <- kr_coef(fc)
em <- emmeans(fc, ~ arm | visitc, lmer.df = "kenward-roger")
out$als_cs$emmeans <- as.data.frame(summary(em, infer = TRUE))
out$als_cs$diffs <- as.data.frame(summary(contrast(em, "trt.vs.ctrl"), infer = TRUE))
out$als_cs$sigma2 <- sigma(fc)^2
out$als_cs$tau2 <- as.numeric(VarCorr(fc)$id)

# UN MMRM: gls(corSymm + varIdent); emmeans (df.error) and pbkrtest's KR algorithm on the
# block-diagonal covariance with components linear in the elements Sigma[a, b] (SAS TYPE=UN)
fu <- gls(chg ~ base + onset + visitc * arm, d, correlation = corSymm(form = ~ k | id),
          weights = varIdent(form = ~ 1 | visitc), method = "REML",
          control = glsControl(tolerance = 1e-10, msTol = 1e-10, msMaxIter = 500, maxIter = 500))
em <- emmeans(fu, ~ arm | visitc, mode = "df.error")
out$als_un <- list(terms = names(coef(fu)), estimate = unname(coef(fu)),
                   se_model = unname(sqrt(diag(vcov(fu)))),
                   emmeans = as.data.frame(summary(em, infer = TRUE)),
                   diffs = as.data.frame(summary(contrast(em, "trt.vs.ctrl"), infer = TRUE)),
                   loglik = as.numeric(logLik(fu)))
ids <- unique(d$id)
T <- nlevels(d$visitc)
S <- getVarCov(fu, individual = ids[which.max(table(d$id)[as.character(ids)])])  # a complete subject
S <- matrix(as.numeric(S), T, T)
X <- model.matrix(~ base + onset + visitc * arm, d)
n <- nrow(d)
idx <- split(seq_len(n), d$id)
Sigma <- matrix(0, n, n)
for (r in idx) Sigma[r, r] <- S[d$k[r], d$k[r]]
G <- list()
for (a in 1:T) for (b in a:T) {
  E <- matrix(0, T, T); E[a, b] <- 1; E[b, a] <- 1
  Gm <- matrix(0, n, n)
  for (r in idx) Gm[r, r] <- E[d$k[r], d$k[r]]
  G[[length(G) + 1]] <- Gm
}
SigmaG <- list(Sigma = Sigma, G = G, n.ggamma = length(G))
Phi <- chol2inv(chol(t(X) %*% solve(Sigma, X)))
PhiA <- pbkrtest:::vcovAdj_internal(Phi, SigmaG, X)
p <- ncol(X)
dfs <- sapply(seq_len(p), function(j) { L <- matrix(0, 1, p); L[j] <- 1; pbkrtest:::Lb_ddf(L, Phi, PhiA) })
out$als_un$kr <- list(sigma = S, se_adj = sqrt(diag(as.matrix(PhiA))), vcov_adj = unname(as.matrix(PhiA)),
                      df = unname(dfs))
# KR df and adjusted SE of the LS means and their differences (emmeans' linear functions)
lf <- em@linfct
dl <- contrast(em, "trt.vs.ctrl")@linfct
out$als_un$kr$lsmeans <- list(L = unname(lf),
  se = sqrt(diag(lf %*% as.matrix(PhiA) %*% t(lf))),
  df = sapply(seq_len(nrow(lf)), function(i) pbkrtest:::Lb_ddf(lf[i, , drop = FALSE], Phi, PhiA)))
out$als_un$kr$diffs <- list(L = unname(dl),
  se = sqrt(diag(dl %*% as.matrix(PhiA) %*% t(dl))),
  df = sapply(seq_len(nrow(dl)), function(i) pbkrtest:::Lb_ddf(dl[i, , drop = FALSE], Phi, PhiA)))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "values.json"))
cat("wrote", file.path(here, "values.json"), "\n")

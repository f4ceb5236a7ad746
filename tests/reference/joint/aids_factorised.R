# Reference for the joint-model likelihood at association = 0 (tests/models/test_joint.py).
# With alpha = 0 the joint likelihood factorises into
#   (1) the ML log-likelihood of the linear mixed model (nlme::lme, method = "ML"), and
#   (2) the piecewise-exponential survival log-likelihood, maximised by a Poisson GLM on
#       episode-split data: loglik_PE = loglik_Poisson - sum(d * log(exposure)).
# Knots: those JM used in r_reference.json (JM_aids).
# Run: Rscript aids_factorised.R   (writes aids_factorised.json next to this script)
library(nlme)
library(survival)
aids <- read.csv("../aids_long.csv")
aids$drug <- factor(aids$drug, levels = c("ddC", "ddI"))
lmeFit <- lme(CD4 ~ obstime + obstime:drug, random = ~ obstime | patient, data = aids,
              method = "ML", control = lmeControl(opt = "optim", msMaxIter = 500))
D <- getVarCov(lmeFit)
surv <- aids[!duplicated(aids$patient), c("patient", "Time", "death", "drug")]
knots <- c(6.2271438571, 11.0785724286, 12.530001, 13.930001, 15.970001, 17.800001)
sp <- survSplit(Surv(Time, death) ~ drug, data = surv, cut = knots, episode = "interval",
                start = "tstart", end = "tstop")
sp$exposure <- sp$tstop - sp$tstart
sp <- sp[sp$exposure > 0, ]
pg <- glm(death ~ 0 + factor(interval) + drug + offset(log(exposure)), family = poisson,
          data = sp)
ll_pe <- as.numeric(logLik(pg)) - sum(sp$death * log(sp$exposure))
co <- coef(pg)
fmt <- function(x) formatC(x, digits = 12, format = "g")
vec <- function(x) paste0("[", paste(fmt(x), collapse = ", "), "]")
json <- paste0(
  "{\n",
  '  "call_lme": "lme(CD4 ~ obstime + obstime:drug, random = ~ obstime | patient, method = \'ML\')",\n',
  '  "call_glm": "glm(death ~ 0 + factor(interval) + drug + offset(log(exposure)), poisson) on survSplit at JM knots",\n',
  '  "R_version": "', R.version.string, '",\n',
  '  "nlme_version": "', as.character(packageVersion("nlme")), '",\n',
  '  "knots": ', vec(knots), ",\n",
  '  "beta": ', vec(fixef(lmeFit)), ",\n",
  '  "sigma": ', fmt(lmeFit$sigma), ",\n",
  '  "D": [', vec(D[1, ]), ", ", vec(D[2, ]), "],\n",
  '  "loglik_lme": ', fmt(as.numeric(logLik(lmeFit))), ",\n",
  '  "xi": ', vec(exp(co[grep("interval", names(co))])), ",\n",
  '  "gamma_drugddI": ', fmt(co[["drugddI"]]), ",\n",
  '  "loglik_pe": ', fmt(ll_pe), "\n",
  "}\n")
writeLines(json, "aids_factorised.json")

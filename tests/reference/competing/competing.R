# Reference values for alstrials.models.competing, produced by R (never typed in).
# Rerun from this folder:  python make_cases.py && Rscript competing.R
# Needs R packages cmprsk (>= 2.2-11) and survival (>= 3.5). Inputs: cr_main.csv, cr_edge.csv.
# Outputs (CSV, full precision):
#   ref_cuminc.csv     cmprsk::cuminc estimates and variances at the jumps of each curve
#   ref_gray.csv       cmprsk::cuminc Gray's tests (rho 0 and 1; stratified by site)
#   ref_crr.csv        cmprsk::crr coefficients, SEs (robust, as crr), naive SEs, loglik
#   ref_finegray.csv   survival::finegray + coxph(weights = fgwt) coefficients, robust SEs
#   ref_survfit.csv    survival::survfit multi-state curves (pstate, std.err) by arm
#   ref_csc.csv        cause-specific coxph (Efron) per cause
#   ref_versions.csv   R and package versions
suppressPackageStartupMessages({library(cmprsk); library(survival)})
causes <- c("death", "tracheostomy", "permanent_ventilation")  # codes 1, 2, 3; 0 = censored
fmt <- function(d, file) write.csv(d, file, row.names = FALSE, quote = TRUE)
wr <- function(x) format(x, digits = 17)
cases <- list(main = read.csv("cr_main.csv", stringsAsFactors = FALSE),
              edge = read.csv("cr_edge.csv", stringsAsFactors = FALSE))

cum_rows <- list(); gray_rows <- list(); crr_rows <- list(); fg_rows <- list()
sf_rows <- list(); csc_rows <- list()
for (case in names(cases)) {
  d <- cases[[case]]
  ci <- cuminc(d$months, d$code, d$arm)
  for (nm in setdiff(names(ci), "Tests")) {
    z <- ci[[nm]]
    k <- length(z$time)
    if (k > 2) {
      j <- seq(3, k - 1, by = 2)
      parts <- strsplit(nm, " ")[[1]]
      cum_rows[[length(cum_rows) + 1]] <- data.frame(
        case = case, group = parts[1], cause = causes[as.integer(parts[2])],
        time = z$time[j], est = z$est[j], var = z$var[j])
    }
  }
  tests <- list(rho0 = ci$Tests,
                rho1 = cuminc(d$months, d$code, d$arm, rho = 1)$Tests,
                strata = cuminc(d$months, d$code, d$arm, strata = d$site)$Tests)
  for (tn in names(tests)) {
    tt <- tests[[tn]]
    gray_rows[[length(gray_rows) + 1]] <- data.frame(
      case = case, test = tn, cause = causes[as.integer(rownames(tt))],
      stat = tt[, "stat"], pv = tt[, "pv"], df = tt[, "df"])
  }
  cov <- as.matrix(d[, c("active", "age", "fvc_z")])
  for (k in 1:3) {
    if (!any(d$code == k)) next
    variants <- list(
      tight = crr(d$months, d$code, cov, failcode = k, cencode = 0, gtol = 1e-12, maxiter = 100),
      default = crr(d$months, d$code, cov, failcode = k, cencode = 0),
      cengroup = crr(d$months, d$code, cov, failcode = k, cencode = 0, cengroup = d$arm,
                     gtol = 1e-12, maxiter = 100))
    for (vn in names(variants)) {
      f <- variants[[vn]]
      crr_rows[[length(crr_rows) + 1]] <- data.frame(
        case = case, variant = vn, cause = causes[k], term = colnames(cov), coef = f$coef,
        se = sqrt(diag(f$var)), naive_se = sqrt(diag(solve(f$inf))), loglik = f$loglik,
        converged = f$converged)
    }
    fgd <- finegray(Surv(months, factor(code, 0:3)) ~ ., data = d, etype = k)
    fb <- coxph(Surv(fgstart, fgstop, fgstatus) ~ active + age + fvc_z, weights = fgwt,
                data = fgd, ties = "breslow", cluster = id)
    fe <- coxph(Surv(fgstart, fgstop, fgstatus) ~ active + age + fvc_z, weights = fgwt,
                data = fgd, cluster = id)
    fg_rows[[length(fg_rows) + 1]] <- data.frame(
      case = case, cause = causes[k], term = names(coef(fb)), coef_breslow = unname(coef(fb)),
      robust_se_breslow = unname(sqrt(diag(fb$var))), coef_efron = unname(coef(fe)))
    cs <- coxph(Surv(months, code == k) ~ active + age + fvc_z, data = d)
    csc_rows[[length(csc_rows) + 1]] <- data.frame(
      case = case, cause = causes[k], term = names(coef(cs)), coef = unname(coef(cs)),
      se = unname(sqrt(diag(cs$var))))
  }
  ms <- survfit(Surv(months, factor(code, 0:3)) ~ arm, data = d)
  grp <- rep(sub("^arm=", "", names(ms$strata)), ms$strata)
  for (k in 1:3) {
    if (!any(d$code == k)) next
    col <- which(ms$states == as.character(k))
    sf_rows[[length(sf_rows) + 1]] <- data.frame(
      case = case, group = grp, cause = causes[k], time = ms$time,
      pstate = ms$pstate[, col], std_err = ms$std.err[, col])
  }
}
opt <- options(digits = 17)
fmt(do.call(rbind, cum_rows), "ref_cuminc.csv")
fmt(do.call(rbind, gray_rows), "ref_gray.csv")
fmt(do.call(rbind, crr_rows), "ref_crr.csv")
fmt(do.call(rbind, fg_rows), "ref_finegray.csv")
fmt(do.call(rbind, sf_rows), "ref_survfit.csv")
fmt(do.call(rbind, csc_rows), "ref_csc.csv")
fmt(data.frame(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
               survival = as.character(packageVersion("survival"))), "ref_versions.csv")
options(opt)

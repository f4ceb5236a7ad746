# Counting-process reference for mri_counting_process(): R survival 3.5-3 tmerge + coxph.
# Run after make_mri_data.py:  Rscript make_counting_reference.R  -> counting_values.json
suppressPackageStartupMessages({library(survival); library(jsonlite)})
subj <- read.csv("mri_subjects.csv", stringsAsFactors = FALSE)
scans <- read.csv("mri_scans.csv", stringsAsFactors = FALSE)
ev <- read.csv("mri_events.csv", stringsAsFactors = FALSE)
ev$event <- as.integer(ev$event == "True" | ev$event == "TRUE")
scans$composite_sign <- as.integer(scans$composite_sign == "True" | scans$composite_sign == "TRUE")
# LOCF of a missing cord area within subject (our rule: a missing value carries the last one)
scans <- scans[order(scans$subject_id, scans$months), ]
for (s in unique(scans$subject_id)) {
  k <- which(scans$subject_id == s)
  v <- scans$cord_csa_mm2[k]
  for (j in seq_along(v)[-1]) if (is.na(v[j])) v[j] <- v[j - 1]
  scans$cord_csa_mm2[k] <- v
}
base <- merge(subj[, c("subject_id", "arm", "age")], ev[, c("subject_id", "months", "event")])
base$id <- base$subject_id
d <- tmerge(base, base, id = id, death = event(months, event))
d <- tmerge(d, transform(scans, id = subject_id), id = id,
            composite_sign = tdc(months, composite_sign), cord_csa_mm2 = tdc(months, cord_csa_mm2))
d$active <- as.integer(d$arm == "active")
fit <- coxph(Surv(tstart, tstop, death) ~ composite_sign + cord_csa_mm2 + active, data = d,
             cluster = id)
out <- list(n_rows = nrow(d), n_events = sum(d$death), coef = unname(coef(fit)),
            names = names(coef(fit)), robust_se = unname(sqrt(diag(fit$var))),
            naive_se = unname(sqrt(diag(fit$naive.var))), loglik = fit$loglik,
            tstart = d$tstart, tstop = d$tstop, death = d$death, id = d$id,
            composite_sign = d$composite_sign, cord_csa_mm2 = d$cord_csa_mm2)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "counting_values.json")

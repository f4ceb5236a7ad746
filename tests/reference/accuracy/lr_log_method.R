# Reference values for alstrials.models.accuracy: likelihood ratios with log-method CIs
# (Simel, Samsa & Matchar 1991) and Wilson intervals (prop.test without continuity correction,
# whose interval is the Wilson score interval). Run: Rscript lr_log_method.R > lr_log_method.csv
tables <- list(
  c(tp = 120, fp = 13, fn = 51, tn = 57),   # MRI composite sign, docs/simulator.md
  c(tp = 25, fp = 10, fn = 5, tn = 60),
  c(tp = 8, fp = 3, fn = 12, tn = 40),
  c(tp = 30, fp = 0, fn = 4, tn = 22)        # zero cell: 0.5 added to all four cells
)
z <- qnorm(0.975)
out <- do.call(rbind, lapply(seq_along(tables), function(k) {
  x <- tables[[k]]
  a <- x[["tp"]]; b <- x[["fp"]]; c <- x[["fn"]]; d <- x[["tn"]]
  pos <- c(a, b, c, d); neg <- c(a, b, c, d)
  if (min(a, b) == 0) pos <- pos + 0.5
  if (min(c, d) == 0) neg <- neg + 0.5
  lrp <- (pos[1] / (pos[1] + pos[3])) / (pos[2] / (pos[2] + pos[4]))
  sep <- sqrt(1 / pos[1] - 1 / (pos[1] + pos[3]) + 1 / pos[2] - 1 / (pos[2] + pos[4]))
  lrn <- (neg[3] / (neg[1] + neg[3])) / (neg[4] / (neg[2] + neg[4]))
  sen <- sqrt(1 / neg[3] - 1 / (neg[1] + neg[3]) + 1 / neg[4] - 1 / (neg[2] + neg[4]))
  sens <- prop.test(a, a + c, correct = FALSE)$conf.int
  spec <- prop.test(d, b + d, correct = FALSE)$conf.int
  data.frame(table = k, tp = a, fp = b, fn = c, tn = d,
             lr_positive = lrp, lr_positive_low = exp(log(lrp) - z * sep),
             lr_positive_high = exp(log(lrp) + z * sep),
             lr_negative = lrn, lr_negative_low = exp(log(lrn) - z * sen),
             lr_negative_high = exp(log(lrn) + z * sen),
             sensitivity_low = sens[1], sensitivity_high = sens[2],
             specificity_low = spec[1], specificity_high = spec[2])
}))
write.csv(out, stdout(), row.names = FALSE)

# Independent reference for alstrials.models.endpoints (CAFS, Finkelstein-Schoenfeld, win ratio).
# A loop-by-loop R implementation of the pairwise rule documented in endpoints.py, on data
# simulated here. Run: Rscript pairwise_reference.R   (writes the three CSV files beside it)
set.seed(20260421)
n <- 40
arm <- rep(c("placebo", "active"), each = n / 2)
death <- rexp(n, rate = ifelse(arm == "active", 0.03, 0.05))
censor <- runif(n, 6, 20)
follow <- round(pmin(death, censor), 2)
event <- death <= censor
subjects <- data.frame(subject_id = sprintf("S%02d", 1:n), arm = arm)
events <- data.frame(subject_id = subjects$subject_id, months = follow, event = event)
vis <- do.call(rbind, lapply(1:n, function(i) {
  t <- seq(0, 18, by = 3)
  t <- t[t <= follow[i]]
  slope <- ifelse(arm[i] == "active", 0.7, 1.0) + rnorm(1, 0, 0.4)
  y <- round(40 - slope * t + rnorm(length(t), 0, 1.5))
  data.frame(subject_id = subjects$subject_id[i], months = t, alsfrs_total = pmin(48, pmax(0, y)))
}))
write.csv(merge(subjects, events), "pairwise_data_subjects_events.csv", row.names = FALSE)
write.csv(vis, "pairwise_data_alsfrs.csv", row.names = FALSE)

change_at <- function(id, s, method) {
  v <- vis[vis$subject_id == id, ]
  v <- v[order(v$months), ]
  if (s < v$months[1]) return(0)
  k <- max(which(v$months <= s))
  y <- v$alsfrs_total[k]
  if (method == "interpolate" && k < nrow(v)) {
    y <- y + (v$alsfrs_total[k + 1] - y) * (s - v$months[k]) / (v$months[k + 1] - v$months[k])
  }
  y - v$alsfrs_total[1]
}

compare <- function(i, j, tau, method) {
  fi <- follow[i]; fj <- follow[j]
  di <- event[i] && fi <= tau; dj <- event[j] && fj <= tau
  s <- min(fi, fj, tau)
  ei <- di && fi <= s; ej <- dj && fj <= s
  if (ei && ej) return(sign(fi - fj))
  if (ei) return(-1)
  if (ej) return(1)
  sign(change_at(subjects$subject_id[i], s, method) - change_at(subjects$subject_id[j], s, method))
}

settings <- list(c(tau = 12, method = "locf"), c(tau = 12, method = "interpolate"),
                 c(tau = Inf, method = "locf"))
score_rows <- list(); stat_rows <- list()
for (k in seq_along(settings)) {
  tau <- as.numeric(settings[[k]][["tau"]]); method <- settings[[k]][["method"]]
  u <- matrix(0, n, n)
  for (i in 1:n) for (j in 1:n) if (i != j) u[i, j] <- compare(i, j, tau, method)
  U <- rowSums(u)
  act <- arm == "active"
  n1 <- sum(act); n2 <- sum(!act)
  Tstat <- sum(U[act]); V <- n1 * n2 / (n * (n - 1)) * sum(U^2)
  wt <- suppressWarnings(wilcox.test(U[act], U[!act], correct = TRUE, exact = FALSE))
  b <- u[act, !act]
  W <- (b > 0) * 1; L <- (b < 0) * 1
  pw <- mean(W); pl <- mean(L)
  vw <- var(rowMeans(W)) / n1 + var(colMeans(W)) / n2
  vl <- var(rowMeans(L)) / n1 + var(colMeans(L)) / n2
  cwl <- cov(rowMeans(W), rowMeans(L)) / n1 + cov(colMeans(W), colMeans(L)) / n2
  se <- sqrt(vw / pw^2 + vl / pl^2 - 2 * cwl / (pw * pl))
  wr <- pw / pl
  score_rows[[k]] <- data.frame(setting = k, subject_id = subjects$subject_id, score = U)
  stat_rows[[k]] <- data.frame(setting = k, tau = tau, method = method, T = Tstat, variance = V,
                               z = Tstat / sqrt(V), p_fs = 2 * pnorm(-abs(Tstat / sqrt(V))),
                               wilcox_W = unname(wt$statistic), p_cafs = wt$p.value,
                               wins = sum(W), losses = sum(L), win_ratio = wr,
                               wr_low = wr * exp(-qnorm(0.975) * se),
                               wr_high = wr * exp(qnorm(0.975) * se))
}
write.csv(do.call(rbind, score_rows), "pairwise_reference_scores.csv", row.names = FALSE)
write.csv(do.call(rbind, stat_rows), "pairwise_reference_stats.csv", row.names = FALSE)

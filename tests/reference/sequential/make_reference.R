# Reference values for alstrials.design.sequential / interim, produced with rpact 3.3.4.
# Run from this folder:  Rscript make_reference.R   (writes values.json)
suppressPackageStartupMessages({library(rpact); library(jsonlite)})

design_entry <- function(call_text, ...) {
  d <- getDesignGroupSequential(...)
  dc <- getDesignCharacteristics(d)
  fut <- d$futilityBounds
  list(
    call = call_text,
    kMax = d$kMax, alpha = d$alpha, beta = d$beta,
    informationRates = d$informationRates,
    typeOfDesign = d$typeOfDesign, typeBetaSpending = d$typeBetaSpending,
    gammaA = d$gammaA, gammaB = d$gammaB, bindingFutility = d$bindingFutility,
    criticalValues = d$criticalValues, stageLevels = d$stageLevels,
    alphaSpent = d$alphaSpent,
    futilityBounds = if (all(is.na(fut))) NULL else fut,
    betaSpent = if (all(is.na(d$betaSpent))) NULL else d$betaSpent,
    shift = dc$shift, inflationFactor = dc$inflationFactor, power = dc$power,
    rejectionProbabilities = dc$rejectionProbabilities,
    futilityProbabilities = dc$futilityProbabilities,
    averageSampleNumber1 = dc$averageSampleNumber1,
    averageSampleNumber01 = dc$averageSampleNumber01,
    averageSampleNumber0 = dc$averageSampleNumber0
  )
}

designs <- list()
add <- function(name, call_text) {
  designs[[name]] <<- eval(parse(text = sprintf("design_entry(%s, %s)", deparse(call_text), call_text)))
}
add("OF5", "kMax = 5, alpha = 0.025, typeOfDesign = 'OF'")
add("P4", "kMax = 4, alpha = 0.025, typeOfDesign = 'P'")
add("OF3_unequal", "kMax = 3, alpha = 0.025, typeOfDesign = 'OF', informationRates = c(0.3, 0.7, 1)")
add("P3_unequal", "kMax = 3, alpha = 0.025, typeOfDesign = 'P', informationRates = c(0.4, 0.65, 1)")
add("asOF3", "kMax = 3, alpha = 0.025, typeOfDesign = 'asOF'")
add("asOF4_unequal", "kMax = 4, alpha = 0.025, typeOfDesign = 'asOF', informationRates = c(0.2, 0.45, 0.8, 1)")
add("asP4", "kMax = 4, alpha = 0.025, typeOfDesign = 'asP'")
add("asP3_unequal", "kMax = 3, alpha = 0.025, typeOfDesign = 'asP', informationRates = c(0.35, 0.6, 1)")
add("asKD3_g2", "kMax = 3, alpha = 0.025, typeOfDesign = 'asKD', gammaA = 2")
add("asKD5_g3", "kMax = 5, alpha = 0.025, typeOfDesign = 'asKD', gammaA = 3")
add("asHSD4_m4", "kMax = 4, alpha = 0.025, typeOfDesign = 'asHSD', gammaA = -4")
add("asHSD3_1_unequal", "kMax = 3, alpha = 0.025, typeOfDesign = 'asHSD', gammaA = 1, informationRates = c(0.25, 0.5, 1)")
add("asOF3_bsOF_nb", "kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = 'asOF', typeBetaSpending = 'bsOF', bindingFutility = FALSE")
add("asOF3_bsOF_b", "kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = 'asOF', typeBetaSpending = 'bsOF', bindingFutility = TRUE")
add("asOF5_bsOF_nb", "kMax = 5, alpha = 0.025, beta = 0.2, typeOfDesign = 'asOF', typeBetaSpending = 'bsOF', bindingFutility = FALSE")
add("asKD4_bsKD_nb", "kMax = 4, alpha = 0.025, beta = 0.1, typeOfDesign = 'asKD', gammaA = 3, typeBetaSpending = 'bsKD', gammaB = 2, bindingFutility = FALSE")
add("asKD4_bsKD_b", "kMax = 4, alpha = 0.025, beta = 0.1, typeOfDesign = 'asKD', gammaA = 3, typeBetaSpending = 'bsKD', gammaB = 2, bindingFutility = TRUE")
add("asHSD3_bsHSD_b_unequal", "kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = 'asHSD', gammaA = -4, typeBetaSpending = 'bsHSD', gammaB = -2, bindingFutility = TRUE, informationRates = c(0.4, 0.7, 1)")
add("asHSD3_bsHSD_nb", "kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = 'asHSD', gammaA = -4, typeBetaSpending = 'bsHSD', gammaB = -2, bindingFutility = FALSE")

# Interim analysis of a survival trial (log-rank z statistics; events per stage).
interim <- list()
des <- getDesignGroupSequential(kMax = 3, alpha = 0.025, typeOfDesign = "asOF", informationRates = c(1/3, 2/3, 1))
dat <- getDataset(overallEvents = c(60, 120), overallLogRanks = c(1.1, 1.9), overallAllocationRatios = c(1, 1))
res <- getAnalysisResults(des, dat, stage = 2, nPlanned = 60, thetaH1 = 1.5, allocationRatioPlanned = 1)
res_trend <- getAnalysisResults(des, dat, stage = 2, nPlanned = 60, allocationRatioPlanned = 1)
interim$survival_asOF3 <- list(
  call = "getAnalysisResults(getDesignGroupSequential(kMax=3, alpha=0.025, typeOfDesign='asOF'), getDataset(overallEvents=c(60,120), overallLogRanks=c(1.1,1.9), overallAllocationRatios=c(1,1)), stage=2, nPlanned=60, thetaH1=1.5 [and thetaH1 unset = observed trend], allocationRatioPlanned=1)",
  events = c(60, 120, 180), z = c(1.1, 1.9), criticalValues = des$criticalValues,
  repeatedConfidenceIntervalLowerBounds = res$repeatedConfidenceIntervalLowerBounds[1:2],
  repeatedConfidenceIntervalUpperBounds = res$repeatedConfidenceIntervalUpperBounds[1:2],
  repeatedPValues = res$repeatedPValues[1:2],
  conditionalPower_hr1_5 = res$conditionalPower[3],
  conditionalPower_trend = res_trend$conditionalPower[3],
  thetaH1_trend = res_trend$thetaH1
)
des4 <- getDesignGroupSequential(kMax = 4, alpha = 0.025, typeOfDesign = "asP", informationRates = c(0.25, 0.5, 0.75, 1))
dat4 <- getDataset(overallEvents = c(50, 100), overallLogRanks = c(0.8, 1.5), overallAllocationRatios = c(1, 1))
res4 <- getAnalysisResults(des4, dat4, stage = 2, nPlanned = c(50, 50), thetaH1 = 1.6, allocationRatioPlanned = 1)
interim$survival_asP4 <- list(
  call = "getAnalysisResults(getDesignGroupSequential(kMax=4, alpha=0.025, typeOfDesign='asP'), getDataset(overallEvents=c(50,100), overallLogRanks=c(0.8,1.5), overallAllocationRatios=c(1,1)), stage=2, nPlanned=c(50,50), thetaH1=1.6, allocationRatioPlanned=1)",
  events = c(50, 100, 150, 200), z = c(0.8, 1.5), criticalValues = des4$criticalValues,
  repeatedConfidenceIntervalLowerBounds = res4$repeatedConfidenceIntervalLowerBounds[1:2],
  repeatedConfidenceIntervalUpperBounds = res4$repeatedConfidenceIntervalUpperBounds[1:2],
  repeatedPValues = res4$repeatedPValues[1:2],
  conditionalPower_hr1_6 = res4$conditionalPower[3:4]
)

# Boundaries on the effect scale (hazard ratio with 2:1 allocation; mean difference, sd 1).
effect <- list()
des_e <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF", typeBetaSpending = "bsOF")
ss <- getSampleSizeSurvival(des_e, hazardRatio = 0.7, lambda2 = log(2) / 24, accrualTime = c(0, 18),
                            followUpTime = 12, allocationRatioPlanned = 2)
effect$survival_hr0_7_alloc2 <- list(
  call = "getSampleSizeSurvival(getDesignGroupSequential(kMax=3, alpha=0.025, beta=0.2, typeOfDesign='asOF', typeBetaSpending='bsOF'), hazardRatio=0.7, lambda2=log(2)/24, accrualTime=c(0,18), followUpTime=12, allocationRatioPlanned=2)",
  eventsPerStage = as.vector(ss$eventsPerStage),
  criticalValuesEffectScale = as.vector(ss$criticalValuesEffectScale),
  futilityBoundsEffectScale = as.vector(ss$futilityBoundsEffectScale)
)
sm <- getSampleSizeMeans(des_e, alternative = 0.3, stDev = 1, normalApproximation = TRUE, allocationRatioPlanned = 1)
effect$means_delta0_3 <- list(
  call = "getSampleSizeMeans(<same design>, alternative=0.3, stDev=1, normalApproximation=TRUE, allocationRatioPlanned=1)",
  numberOfSubjects = as.vector(sm$numberOfSubjects),
  criticalValuesEffectScale = as.vector(sm$criticalValuesEffectScale),
  futilityBoundsEffectScale = as.vector(sm$futilityBoundsEffectScale)
)

out <- list(rpact_version = as.character(packageVersion("rpact")), designs = designs, interim = interim, effect_scale = effect)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", pretty = TRUE), "values.json")

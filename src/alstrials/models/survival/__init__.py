"""Survival analysis: Kaplan-Meier, log-rank, RMST, Cox models and proportional-hazards tests.

Public functions: :func:`kaplan_meier`, :func:`logrank`, :func:`rmst`, :func:`fit_cox`,
:func:`cox_zph`, :func:`mri_counting_process`, :func:`harrell_c`.
"""

from alstrials.models.survival.concordance import harrell_c
from alstrials.models.survival.counting import mri_counting_process
from alstrials.models.survival.cox import CoxResult, fit_cox
from alstrials.models.survival.km import KMResult, kaplan_meier
from alstrials.models.survival.logrank import LogrankResult, logrank
from alstrials.models.survival.rmst import RMSTResult, rmst
from alstrials.models.survival.zph import ZPHResult, cox_zph

__all__ = [
    "kaplan_meier",
    "KMResult",
    "logrank",
    "LogrankResult",
    "rmst",
    "RMSTResult",
    "fit_cox",
    "CoxResult",
    "cox_zph",
    "ZPHResult",
    "mri_counting_process",
    "harrell_c",
]

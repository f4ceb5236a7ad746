"""Competing risks: cumulative incidence (Aalen-Johansen) with Gray's tests, Fine-Gray
subdistribution hazards regression, and cause-specific Cox models with their absolute risks.

Public functions: :func:`cumulative_incidence`, :func:`gray_test`, :func:`fit_finegray`
(earlier spelling :func:`fit_fine_gray`), :func:`fit_cause_specific_cox`; see
docs/competing.md.
"""

from alstrials.models.competing.cause_specific import CSCResult, fit_cause_specific_cox
from alstrials.models.competing.cif import CIFResult, cumulative_incidence
from alstrials.models.competing.finegray import FineGrayResult, fit_fine_gray, fit_finegray
from alstrials.models.competing.gray import GrayTestResult, gray_test

__all__ = [
    "cumulative_incidence",
    "CIFResult",
    "gray_test",
    "GrayTestResult",
    "fit_finegray",
    "fit_fine_gray",
    "FineGrayResult",
    "fit_cause_specific_cox",
    "CSCResult",
]

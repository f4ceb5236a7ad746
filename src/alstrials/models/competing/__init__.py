"""Competing risks: cumulative incidence (Aalen-Johansen) with Gray's tests, and Fine-Gray
subdistribution hazards regression.

Public functions: :func:`cumulative_incidence`, :func:`gray_test`, :func:`fit_fine_gray`.
Cause-specific Cox models need no new code: fit :func:`alstrials.models.survival.fit_cox` with
the event indicator ``status == cause`` (other causes censored); see docs/competing.md.
"""

from alstrials.models.competing.cif import CIFResult, cumulative_incidence
from alstrials.models.competing.finegray import FineGrayResult, fit_fine_gray
from alstrials.models.competing.gray import GrayTestResult, gray_test

__all__ = [
    "cumulative_incidence",
    "CIFResult",
    "gray_test",
    "GrayTestResult",
    "fit_fine_gray",
    "FineGrayResult",
]

"""Platform-trial design: operating characteristics by simulation (:func:`simulate_platform_oc`)
and the calibration of the success threshold (:meth:`PlatformOCResult.calibrate_success`)."""

from alstrials.design.platform.result import OC_COLUMNS, PlatformOCResult
from alstrials.design.platform.simulate import simulate_platform_oc

__all__ = ["simulate_platform_oc", "PlatformOCResult", "OC_COLUMNS"]

"""alstrials: design, monitor and analyse ALS clinical trials (see shared API)."""

from alstrials.data.schema import TrialData
from alstrials.errors import (
    AlstrialsError,
    AlstrialsWarning,
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    DesignError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "TrialData",
    "AlstrialsError",
    "AlstrialsWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "DesignError",
]

"""The exception and warning tree of alstrials.

Every error the package raises on purpose derives from :class:`AlstrialsError`, so callers can
catch the package's errors in one clause. Data problems are also ``ValueError`` (the Python
convention for a bad argument value).
"""

from __future__ import annotations

__all__ = [
    "AlstrialsError",
    "DataValidationError",
    "FormulaError",
    "ConvergenceError",
    "DesignError",
    "ConfigError",
    "SimulationError",
    "JournalError",
    "AlstrialsWarning",
    "ConvergenceWarning",
    "DataWarning",
]


class AlstrialsError(Exception):
    """Base class of every error raised by alstrials."""


class DataValidationError(AlstrialsError, ValueError):
    """Trial data break the canonical schema.

    The message names the table, column, subject and row, and what would fix it. The structured
    fields are kept for programs that want them.
    """

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        subject: object = None,
        row: object = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.subject = subject
        self.row = row


class FormulaError(DataValidationError):
    """A model formula uses something outside the restricted formula grammar (Python code, an
    attribute, a function that is not an allowed transform); see
    :func:`alstrials.models.formula.check_formula`."""


class ConvergenceError(AlstrialsError, RuntimeError):
    """An optimiser failed in a way that leaves no usable estimate."""


class DesignError(AlstrialsError, ValueError):
    """Impossible design inputs (power <= alpha, non-positive variances, a zero effect, ...)."""


class ConfigError(DesignError):
    """A configuration file (TOML) is missing or malformed, or holds an unknown key or a value of
    the wrong type; the message names the file, the table and the key."""


class SimulationError(AlstrialsError, RuntimeError):
    """A simulation run could not give a result: no Dask scheduler at the address given, or
    every replicate failed (the message shows the most frequent errors)."""


class JournalError(AlstrialsError, ValueError):
    """The resume journal of a simulation run is corrupt; the message names the file and line."""


class AlstrialsWarning(UserWarning):
    """Base class of every warning issued by alstrials."""


class ConvergenceWarning(AlstrialsWarning):
    """A fit stopped without meeting its convergence criterion; the result says so too."""


class DataWarning(AlstrialsWarning):
    """Data were usable but something deserves a look (rows set aside, odd values)."""

"""read_proact on a corpus of malformed exports (tests/data/proact_corpus.py): every problem is
rejected with a DataValidationError naming the file, or logged naming the column; never
another exception, never a silent change."""

from __future__ import annotations

import warnings

import pytest
from tests.data.proact_corpus import CASES, Case, build, write_clean_export

from alstrials.data.proact import read_proact
from alstrials.errors import DataValidationError, DataWarning


def test_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 20
    assert len({c.name for c in CASES}) == len(CASES)


def test_clean_export_reads_without_exclusions(tmp_path) -> None:  # noqa: ANN001
    trial = read_proact(write_clean_export(tmp_path / "clean"))
    assert trial.n_subjects == 4
    assert trial.exclusions.empty
    assert trial.validate().valid


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_export_is_rejected_or_logged(case: Case, tmp_path) -> None:  # noqa: ANN001
    folder = build(case, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            trial = read_proact(folder)
        except DataValidationError as exc:
            assert case.raises, f"{case.name}: unexpected rejection: {exc}"
            message = str(exc)
            assert case.file in message, message
            for piece in case.names:
                assert piece in message, message
            return
        except Exception as exc:  # pragma: no cover - the failure this test exists to catch
            pytest.fail(f"{case.name}: {type(exc).__name__} instead of DataValidationError: {exc}")
    # the only warnings allowed are the package's data warnings
    assert all(issubclass(w.category, DataWarning) for w in caught), [str(w) for w in caught]
    assert not case.raises, f"{case.name}: read_proact accepted the export"
    log = trial.exclusions
    table = case.log_table or case.file
    reasons = log.loc[log["table"] == table, "reason"]
    hits = [r for r in reasons if all(piece in r for piece in case.names)]
    assert hits, f"{case.name}: no {table} log entry naming {case.names}; log:\n{log}"
    # what is kept passes strict validation: nothing out of rule slipped through
    assert trial.validate().valid
    report = trial.metadata["import_report"].set_index(["stage", "table"]).xs("read")
    assert (report["rows_kept"] + report["rows_set_aside"] == report["rows_in"]).all()

"""Data cut-offs keep exactly what was known at the calendar month."""

from __future__ import annotations

import pytest

from alstrials.data.cutoff import blind, cut_at
from alstrials.data.schema import TrialData
from alstrials.errors import DataValidationError


def test_cutoff_keeps_only_what_was_known(small_trial: TrialData) -> None:
    # enrolment: S1 at 0, S2 at 1.5, S3 at 3.25; visits at 0, 3, 6 months
    cut = cut_at(small_trial, 4.0)
    assert cut.subjects["subject_id"].tolist() == ["S1", "S2", "S3"]
    visits = cut.alsfrs.groupby("subject_id")["months"].apply(list).to_dict()
    assert visits == {"S1": [0.0, 3.0], "S2": [0.0], "S3": [0.0]}
    assert cut.mri["subject_id"].tolist() == ["S1", "S2"]
    ev = cut.events.set_index("subject_id")
    # nobody's event is known at calendar month 4: all censored at 4 - enrolment
    assert ev["event"].tolist() == [False, False, False]
    assert ev["months"].tolist() == pytest.approx([4.0, 2.5, 0.75])
    assert cut.validate().valid
    assert cut.metadata["cutoff_month"] == 4.0


def test_cutoff_keeps_events_that_happened(small_trial: TrialData) -> None:
    cut = cut_at(small_trial, 10.0)  # S2 died at 1.5 + 7.5 = 9
    ev = cut.events.set_index("subject_id")
    assert bool(ev.loc["S2", "event"]) and ev.loc["S2", "event_type"] == "death"
    assert ev.loc["S2", "months"] == 7.5
    assert not bool(ev.loc["S3", "event"])  # tracheostomy at 3.25 + 12 > 10
    assert cut.validate().valid


def test_cutoff_before_anyone_enrolled_minus_later_subjects(small_trial: TrialData) -> None:
    cut = cut_at(small_trial, 1.0)
    assert cut.subjects["subject_id"].tolist() == ["S1"]
    assert set(cut.alsfrs["subject_id"]) == {"S1"}


def test_cutoff_rejects_bad_month(small_trial: TrialData) -> None:
    with pytest.raises(DataValidationError, match="cut-off month"):
        cut_at(small_trial, -1)


def test_blind_pools_arms(small_trial: TrialData) -> None:
    blinded = blind(small_trial)
    assert set(blinded.subjects["arm"]) == {"blinded"}
    assert blinded.arms == ("blinded",)
    assert blinded.validate().valid

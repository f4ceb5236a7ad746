"""Arms: the reference arm is declared or unambiguous, never alphabetical; typos are caught."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.data.conftest import make_frames

from alstrials.data.arms import (
    PLACEBO_LABELS,
    check_declared_arms,
    infer_arms,
    is_placebo_like,
    typo_of,
)
from alstrials.data.frames import survival_frame
from alstrials.data.io import read_trial
from alstrials.data.schema import TrialData
from alstrials.data.simulate import simulate_trial
from alstrials.errors import DataValidationError
from alstrials.models.bivariate import fit_bivariate_lmm
from alstrials.models.endpoints import prepare_pairwise


def _relabel(frames: dict[str, pd.DataFrame], mapping: dict[str, str]) -> None:
    frames["subjects"]["arm"] = frames["subjects"]["arm"].replace(mapping)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["drug", "placebo"], ("placebo", "drug")),  # "drug" sorts first: not the reference
        (["Active", "Placebo"], ("Placebo", "Active")),
        (["zz-drug", "Standard-of-Care"], ("Standard-of-Care", "zz-drug")),
        (["SoC", "treatment"], ("SoC", "treatment")),
        (["a_drug", "Sham"], ("Sham", "a_drug")),
        (["Drug", "vehicle"], ("vehicle", "Drug")),
        (["A", "control"], ("control", "A")),
        (["active", "placebo"], ("placebo", "active")),
        (["placebo"], ("placebo", "active")),
        ([], ("placebo", "active")),
    ],
)
def test_inferred_reference_is_the_placebo_like_label(labels, expected) -> None:  # noqa: ANN001
    assert infer_arms(pd.Series(labels * 3, dtype=object)) == expected


@pytest.mark.parametrize(
    ("labels", "why"),
    [
        (["A", "B"], "neither label is a placebo-like"),
        (["drug", "zz"], "neither label is a placebo-like"),
        (["placebo", "control"], "both are"),
        (["placebo", "low", "high"], "3 arms"),
        (["drug"], "single arm"),
    ],
)
def test_ambiguous_arms_must_be_declared(labels, why) -> None:  # noqa: ANN001
    with pytest.raises(DataValidationError, match="reference arm") as info:
        infer_arms(pd.Series(labels, dtype=object))
    message = str(info.value)
    assert why in message
    for how in ("arms=(", "read_trial(path, arms=", "trial.json", "--arms placebo,drug"):
        assert how in message
    assert "never chosen alphabetically" in message


def test_placebo_labels_are_normalised() -> None:
    assert {"placebo", "control", "pbo", "sham", "vehicle", "standard of care", "soc"} <= set(
        PLACEBO_LABELS
    )
    for label in ("PLACEBO", " Placebo ", "Standard_of_Care", "standard-of-care", "S.O.C"):
        assert is_placebo_like(label) == (label != "S.O.C")


def test_drug_placebo_folder_without_manifest_keeps_placebo_as_reference(tmp_path) -> None:  # noqa: ANN001
    trial = simulate_trial(n_per_arm=40, seed=3)
    subjects = trial.subjects.assign(arm=trial.subjects["arm"].replace({"active": "drug"}))
    relabelled = trial.replace(subjects=subjects)
    folder = tmp_path / "t"
    TrialData(
        relabelled.subjects, relabelled.alsfrs, relabelled.mri, relabelled.events,
        arms=("placebo", "drug"),
    ).write(folder)  # fmt: skip
    (folder / "trial.json").unlink()
    read = read_trial(folder)
    assert read.arms == ("placebo", "drug")
    surv = survival_frame(read)
    assert (surv.loc[surv["arm"] == "drug", "active"] == 1.0).all()
    assert (surv.loc[surv["arm"] == "placebo", "active"] == 0.0).all()


def test_read_trial_arms_argument_overrides_the_manifest(tmp_path) -> None:  # noqa: ANN001
    frames = make_frames()
    _relabel(frames, {"placebo": "A", "active": "B"})
    TrialData.from_frames(**frames, arms=("A", "B")).write(tmp_path)
    manifest = json.loads((tmp_path / "trial.json").read_text())
    assert manifest["arms"] == ["A", "B"]
    assert read_trial(tmp_path).arms == ("A", "B")
    assert read_trial(tmp_path, arms=["B", "A"]).arms == ("B", "A")
    (tmp_path / "trial.json").unlink()
    with pytest.raises(DataValidationError, match="cannot tell the reference arm"):
        read_trial(tmp_path)
    assert read_trial(tmp_path, arms=("B", "A")).arms == ("B", "A")


def test_one_typo_among_many_is_reported_naming_subject_and_row() -> None:
    frames = make_frames()
    n = 300
    subjects = pd.concat([frames["subjects"]] * 100, ignore_index=True)
    subjects["subject_id"] = [f"P{i:03d}" for i in range(n)]
    subjects["arm"] = np.where(np.arange(n) % 2 == 0, "placebo", "active").astype(object)
    subjects.loc[137, "arm"] = "Active"
    events = pd.DataFrame(
        {"subject_id": subjects["subject_id"], "months": 12.0, "event": False,
         "event_type": "censored"}
    )  # fmt: skip
    alsfrs = frames["alsfrs"].iloc[:0]
    trial = TrialData.from_frames(subjects, alsfrs, None, events)
    assert trial.arms == ("placebo", "active")  # the typo did not become a third arm
    with pytest.raises(
        DataValidationError,
        match=r"subject 'P137', row 137: an arm label that differs from the declared arm "
        r"'active' only by case or spacing \(likely a typo of 'active'\)",
    ):
        trial.validate()
    report = trial.validate(lenient=True)
    logged = report.exclusions
    # the subject is set aside with its events row, both logged
    assert logged[["table", "row", "subject_id"]].values.tolist() == [
        ["subjects", 137, "P137"],
        ["events", 137, "P137"],
    ]
    assert logged["reason"].str.contains("likely a typo of 'active'").all()
    assert report.data.n_subjects == n - 1


@pytest.mark.parametrize("typo", [" active", "active ", "ACTIVE", "act ive", "Placebo"])
def test_typos_of_declared_arms_are_flagged(typo) -> None:  # noqa: ANN001
    frames = make_frames()
    frames["subjects"].loc[2, "arm"] = typo
    trial = TrialData.from_frames(**frames, arms=("placebo", "active"))
    with pytest.raises(DataValidationError, match="subject 'S3', row 2: .*likely a typo"):
        trial.validate()
    assert typo_of(typo, ("placebo", "active")) in ("placebo", "active")


def test_equally_frequent_spellings_are_refused() -> None:
    frames = make_frames()
    frames["subjects"].loc[2, "arm"] = "Active"  # one 'active', one 'Active'
    with pytest.raises(DataValidationError, match="'active'.*'Active'.*typo"):
        TrialData.from_frames(**frames)


def test_declared_arms_are_checked() -> None:
    for bad in ("placebo,active", [], ["placebo", ""], ["placebo", 1], ("active", "Active")):
        with pytest.raises(DataValidationError, match="arm"):
            check_declared_arms(bad)
    assert check_declared_arms(["placebo", "drug"]) == ("placebo", "drug")


def test_three_arms_need_a_two_arm_selection_for_two_arm_analyses() -> None:
    frames = make_frames()
    frames["subjects"].loc[2, "arm"] = "high"
    with pytest.raises(DataValidationError, match="3 arms"):
        TrialData.from_frames(**frames)
    trial = TrialData.from_frames(**frames, arms=("placebo", "active", "high"))
    assert trial.validate().valid
    with pytest.raises(DataValidationError, match="select_arms"):
        survival_frame(trial)
    with pytest.raises(DataValidationError, match="declares 3 arm"):
        trial.two_arms()
    pair = trial.select_arms(("placebo", "high"))
    assert pair.arms == ("placebo", "high")
    assert set(pair.subjects["subject_id"]) == {"S1", "S3"}
    assert set(pair.alsfrs["subject_id"]) == {"S1", "S3"}
    assert survival_frame(pair).set_index("subject_id")["active"].to_dict() == {
        "S1": 0.0,
        "S3": 1.0,
    }
    with pytest.raises(DataValidationError, match="not among"):
        trial.select_arms(("placebo", "low"))


def test_pairwise_endpoints_on_plain_frames_use_the_placebo_like_reference() -> None:
    frames = make_frames()
    _relabel(frames, {"active": "drug"})
    prep = prepare_pairwise(frames, None, None)
    assert prep.arms == ("placebo", "drug")
    _relabel(frames, {"placebo": "A"})
    with pytest.raises(DataValidationError, match="reference arm"):
        prepare_pairwise(frames, None, None)


def test_bivariate_reference_is_never_alphabetical() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for i in range(60):
        arm = "drug" if i % 2 else "placebo"
        b = rng.multivariate_normal([60.0, -0.1, 40.0, -1.0], np.diag([9.0, 0.01, 9.0, 0.09]))
        for m in (0.0, 3.0, 6.0, 9.0, 12.0):
            rows.append(
                (f"s{i}", m, arm, b[0] + b[1] * m + rng.normal(), b[2] + b[3] * m + rng.normal())
            )
    long = pd.DataFrame(rows, columns=["subject_id", "months", "arm", "cord_csa_mm2", "total"])
    fit = fit_bivariate_lmm(long, ("cord_csa_mm2", "total"), arm="arm")
    assert "total:months:arm[T.drug]" in fit.fixed.index
    long["arm"] = long["arm"].replace({"placebo": "a"})
    with pytest.raises(DataValidationError, match="arm_reference="):
        fit_bivariate_lmm(long, ("cord_csa_mm2", "total"), arm="arm")

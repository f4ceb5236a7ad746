"""Scripted interim analyses: what each look computes, blinding, determinism and the CLI (the
reports rendered in a real browser: test_interim_report.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.cli import main
from alstrials.data.frames import long_frame
from alstrials.errors import DesignError
from alstrials.workflows.interim import InterimPlan, read_plan, run_interim

WHEN = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)

DESIGN = """
[design]
k = 3
alpha = 0.025
beta = 0.2
boundary = "ld-obrien-fleming"
futility = "ld-obrien-fleming"

[endpoint]
type = "slope"
delta = 0.15
looks = [6.0]
"""


@pytest.fixture(scope="module")
def trial() -> at.TrialData:
    return at.load_example()


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> InterimPlan:  # noqa: ANN001
    path = tmp_path_factory.mktemp("plan") / "design.toml"
    path.write_text(DESIGN)
    return read_plan(path)


@pytest.fixture(scope="module")
def unblinded(trial, plan, tmp_path_factory):  # noqa: ANN001, ANN201
    """One unblinded run at month 9 (shared: each run fits several models and draws figures)."""
    folder = tmp_path_factory.mktemp("unblinded")
    return run_interim(trial, plan, 9.0, folder, generated=WHEN, pdf=False), folder


def test_plan_from_toml(plan: InterimPlan) -> None:
    assert plan.k == 3 and plan.endpoint == "slope" and plan.effect == 0.15
    assert plan.looks == (6.0,)
    design = plan.design()
    expected = design.inflation * ((1.959963984540054 + 0.8416212335729143) / 0.15) ** 2
    assert plan.maximum_information(design) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[design]\nalpha = 0.025\n[endpoint]\ndelta = 0.2\n", "needs k"),
        ("[design]\nk = 2\n[endpoint]\ntype = 'ranks'\n", "type must be one of"),
        ("[design]\nk = 2\n[endpoint]\ntype = 'events'\n", "needs 'hr'"),
        (
            "[design]\nk = 2\nlooks = 3\n[endpoint]\ndelta = 0.2\n",
            r"\[design\] unknown key 'looks'",
        ),
        (
            "[design]\nk = 3\nalpah = 0.05\n",
            r"\[design\] unknown key 'alpah'. Did you mean 'alpha'",
        ),
        ("[design]\nk = 3\n[endpoint]\ndelta = 0.2\nlokos = [6.0]\n", r"Did you mean 'looks'"),
        ("[desing]\nk = 3\n", r"unknown key 'desing'. Did you mean 'design'"),
        ("[design]\nk = 'three'\n", r"\[design\] k must be an integer, got 'three'"),
        ("[design]\nk = 2\ninfo = ['a', 'b']\n", r"\[design\] info must be a list of numbers"),
        ("[design]\nk = 2\n[endpoint]\ndelta = 'big'\n", r"\[endpoint\] delta must be a number"),
        ("[design]\nk = 2\ninfo = [0.25, 0.5, 0.75, 1.0]\n", r"info has 4 fraction\(s\) but k = 2"),
        (
            "[design]\nk = 2\n[endpoint]\ndelta = 0.2\nlooks = [3.0, 6.0, 9.0]\n",
            r"looks lists 3 earlier look\(s\) but k = 2 allows at most 1",
        ),
        ("[design\nk = 2\n", "is not valid TOML"),
    ],
)
def test_plan_errors(tmp_path, text: str, message: str) -> None:  # noqa: ANN001
    path = tmp_path / "design.toml"
    path.write_text(text)
    with pytest.raises(DesignError, match=message) as info:
        read_plan(path)
    assert str(path) in str(info.value)  # the message names the file


def test_run_interim_refuses_more_looks_than_planned(trial, tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=2, endpoint="slope", effect=0.15, looks=(3.0, 6.0, 9.0))
    with pytest.raises(DesignError, match="make 4 analyses, but the design plans k = 2"):
        run_interim(trial, plan, 12.0, tmp_path, pdf=False)


def test_slope_look_is_the_lmm_on_the_cut_data(trial, unblinded) -> None:  # noqa: ANN001
    report, tmp_path = unblinded
    looks = report.looks_table
    assert looks["cutoff"].tolist() == [6.0, 9.0]
    cut = at.cut_at(trial, 9.0)
    fit = at.fit_lmm(
        long_frame(cut), "alsfrs_total ~ months * arm", group="subject_id", random="~months"
    )
    row = fit.fixed.loc["months:arm[T.active]"]
    last = looks.iloc[-1]
    assert last["estimate"] == pytest.approx(row["estimate"], rel=1e-10)
    assert last["information"] == pytest.approx(row["se"] ** -2, rel=1e-10)
    assert last["n_subjects"] == cut.n_subjects
    assert np.all(np.diff(looks["fraction"]) > 0)
    res = report.result
    assert res is not None and len(res.z) == 2
    assert res.info[-1] == pytest.approx(last["fraction"])
    assert res.decision[-1] in ("continue", "efficacy", "futility")
    for name in (
        "looks.csv",
        "interim_summary.csv",
        "boundaries.csv",
        "conditional_power.csv",
        "enrolment.csv",
        "disposition.csv",
        "events_by_type.csv",
        "completeness.csv",
        "interim_open_report.html",
        "interim_closed_report.html",
    ):
        assert (tmp_path / name).exists()


def test_same_inputs_give_byte_identical_tables(trial, plan, unblinded, tmp_path) -> None:  # noqa: ANN001
    _, first = unblinded
    run_interim(trial, plan, 9.0, tmp_path, generated=WHEN, pdf=False)
    for file in sorted(first.glob("*.csv")):
        assert file.read_bytes() == (tmp_path / file.name).read_bytes()
    for name in ("interim_open_report.html", "interim_closed_report.html"):
        html_a = (first / name).read_bytes()
        assert html_a == (tmp_path / name).read_bytes()
        assert b"2026-01-15 09:30 UTC" in html_a


def test_blinded_report_shows_no_comparison(trial, plan, unblinded, tmp_path) -> None:  # noqa: ANN001
    report = run_interim(trial, plan, 9.0, tmp_path, blinded=True, generated=WHEN, pdf=False)
    assert report.result is None
    assert not (tmp_path / "interim_summary.csv").exists()
    assert not (tmp_path / "conditional_power.csv").exists()
    assert not (tmp_path / "interim_closed_report.html").exists()
    assert report.reports == (tmp_path / "interim_open_report.html",)
    enrolment = pd.read_csv(tmp_path / "enrolment.csv")
    assert enrolment["arm"].tolist() == ["blinded"]
    assert "z" not in report.looks_table.columns
    html = (tmp_path / "interim_open_report.html").read_text()
    for arm_specific in ("placebo", "observed z", "conditional power", ": continue", "repeated"):
        assert arm_specific not in html
    assert "OPEN REPORT" in html
    # blinded information is estimated without arms, close to the unblinded information
    unblinded_run, folder = unblinded
    ratio = report.looks_table["information"] / unblinded_run.looks_table["information"]
    assert np.all(np.abs(ratio - 1) < 0.25)
    # the open report of an unblinded run is the blinded run's report, byte for byte
    assert (folder / "interim_open_report.html").read_text() == html
    closed = (folder / "interim_closed_report.html").read_text()
    assert "CLOSED REPORT" in closed and "placebo" in closed and "observed z" in closed.lower()


def test_events_endpoint(trial, tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=2, endpoint="events", effect=0.6)
    report = run_interim(trial, plan, 20.0, tmp_path, pdf=False)
    look = report.looks_table.iloc[-1]
    cut = at.cut_at(trial, 20.0)
    events = int(cut.events["event"].sum())
    assert look["n_events"] == events
    assert look["information"] == pytest.approx(events * 0.25)
    assert look["z"] == pytest.approx(-look["estimate"] / look["se"])


def test_earlier_look_past_full_information_is_refused(trial, tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=3, endpoint="slope", effect=0.4, looks=(12.0,))
    with pytest.raises(DesignError, match="already reached the maximum information"):
        run_interim(trial, plan, 20.0, tmp_path, pdf=False)


def test_interim_cli(trial, tmp_path, capsys) -> None:  # noqa: ANN001
    data = trial.write(tmp_path / "trial")
    design = tmp_path / "design.toml"  # an events design: fast (no mixed models)
    design.write_text(
        "[design]\nk = 2\n[endpoint]\ntype = 'events'\nhr = 0.6\n"
        "[report]\ntrial = 'from the file'\nversion = '2.1'\n"
    )
    assert (
        main(
            [
                "interim",
                "--data",
                str(data),
                "--design",
                str(design),
                "--cutoff",
                "20",
                "--out",
                str(tmp_path / "out"),
                "--no-pdf",
                "--trial-name",
                "ALS-MRI-01",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "decision at this look" in out and "data snapshot (SHA-256" in out
    cover = (tmp_path / "out" / "interim_closed_report.html").read_text()
    assert "ALS-MRI-01: interim DMC report, closed report" in cover  # the flag wins
    assert '<th scope="row">Report version</th><td>2.1</td>' in cover
    assert not (tmp_path / "out" / "interim_closed_report.pdf").exists()
    assert (
        main(
            [
                "interim",
                "--data",
                str(data),
                "--design",
                str(design),
                "--cutoff",
                "20",
                "--out",
                str(tmp_path / "blind"),
                "--blinded",
                "--no-pdf",
            ]
        )
        == 0
    )
    assert "decision" not in capsys.readouterr().out


def test_projected_looks(trial, tmp_path, unblinded) -> None:  # noqa: ANN001
    from alstrials.workflows.interim import project_slope_looks

    cut = at.cut_at(trial, 9.0)
    plan = InterimPlan(k=3, endpoint="slope", effect=0.2)
    design = plan.design()
    max_info = plan.maximum_information(design)
    alone = project_slope_looks(cut, plan, design, max_info, blinded=False)
    more = project_slope_looks(
        cut,
        InterimPlan(k=3, endpoint="slope", effect=0.2, options={"n_total": 600}),
        design,
        max_info,
        blinded=False,
    )
    assert alone["target"].tolist() == pytest.approx(list(design.info))
    months = more["calendar_month"].to_numpy()
    assert np.all(np.isfinite(months)) and np.all(np.diff(months) > 0)
    reached = alone["calendar_month"].notna().to_numpy()
    # more subjects never delay a look, and reach at least as many looks
    assert np.all(months[reached] <= alone["calendar_month"].to_numpy()[reached] + 1e-9)
    assert np.all((more["fraction"] >= more["target"] - 1e-9)[more["calendar_month"].notna()])
    report, folder = unblinded
    observed = report.looks_table["fraction"].iloc[1]  # the look at month 9
    first = project_slope_looks(
        cut,
        InterimPlan(k=3, endpoint="slope", effect=0.15),
        design,
        report.max_information,
        blinded=False,
    )
    # the projection and the observed information agree on whether look 1 is already behind
    assert (first["calendar_month"].iloc[0] <= 9.0) == (observed >= design.info[0])
    assert (folder / "projected_looks.csv").exists()
    closed = (folder / "interim_closed_report.html").read_text()
    assert "Schedule of analyses" in closed
    assert report.result is not None
    # the text follows the inputs: no n_total means no further enrolment, and says so
    assert "no further enrolment (the design file gives no planned total n_total)" in closed
    more_plan = InterimPlan(k=2, endpoint="slope", effect=0.2, options={"n_total": 600})
    run_interim(trial, more_plan, 9.0, tmp_path / "more", pdf=False)
    more_text = (tmp_path / "more" / "interim_closed_report.html").read_text()
    assert "no further enrolment" not in more_text
    assert f"plus {600 - cut.n_subjects} more up to the planned total of 600" in more_text

"""Scripted interim analyses: what each look computes, blinding, determinism, the CLI, and the
HTML report rendered in a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import alstrials as at
from alstrials.cli import main
from alstrials.data.frames import long_frame
from alstrials.errors import DesignError
from alstrials.workflows.interim import InterimPlan, read_plan, run_interim

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
        run_interim(trial, plan, 12.0, tmp_path)


def test_slope_look_is_the_lmm_on_the_cut_data(trial, plan, tmp_path) -> None:  # noqa: ANN001
    report = run_interim(trial, plan, 9.0, tmp_path)
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
        "interim_report.html",
    ):
        assert (tmp_path / name).exists()


def test_same_inputs_give_byte_identical_tables(trial, plan, tmp_path) -> None:  # noqa: ANN001
    run_interim(trial, plan, 9.0, tmp_path / "a")
    run_interim(trial, plan, 9.0, tmp_path / "b")
    for file in sorted((tmp_path / "a").glob("*.csv")):
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes()
    html_a = (tmp_path / "a" / "interim_report.html").read_bytes()
    assert html_a == (tmp_path / "b" / "interim_report.html").read_bytes()


def test_blinded_report_shows_no_comparison(trial, plan, tmp_path) -> None:  # noqa: ANN001
    report = run_interim(trial, plan, 9.0, tmp_path, blinded=True)
    assert report.result is None
    assert not (tmp_path / "interim_summary.csv").exists()
    assert not (tmp_path / "conditional_power.csv").exists()
    enrolment = pd.read_csv(tmp_path / "enrolment.csv")
    assert enrolment["arm"].tolist() == ["blinded"]
    assert "z" not in report.looks_table.columns
    html = (tmp_path / "interim_report.html").read_text()
    assert "placebo" not in html and "Decision" not in html
    # blinded information is estimated without arms, close to the unblinded information
    unblinded = run_interim(trial, plan, 9.0, tmp_path / "u").looks_table
    ratio = report.looks_table["information"] / unblinded["information"]
    assert np.all(np.abs(ratio - 1) < 0.25)


def test_events_endpoint(trial, tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=2, endpoint="events", effect=0.6)
    report = run_interim(trial, plan, 20.0, tmp_path)
    look = report.looks_table.iloc[-1]
    cut = at.cut_at(trial, 20.0)
    events = int(cut.events["event"].sum())
    assert look["n_events"] == events
    assert look["information"] == pytest.approx(events * 0.25)
    assert look["z"] == pytest.approx(-look["estimate"] / look["se"])


def test_earlier_look_past_full_information_is_refused(trial, tmp_path) -> None:  # noqa: ANN001
    plan = InterimPlan(k=3, endpoint="slope", effect=0.4, looks=(12.0,))
    with pytest.raises(DesignError, match="already reached the maximum information"):
        run_interim(trial, plan, 20.0, tmp_path)


def test_interim_cli(trial, tmp_path, capsys) -> None:  # noqa: ANN001
    data = trial.write(tmp_path / "trial")
    design = tmp_path / "design.toml"
    design.write_text(DESIGN)
    assert (
        main(
            [
                "interim",
                "--data",
                str(data),
                "--design",
                str(design),
                "--cutoff",
                "9",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert "decision at this look" in capsys.readouterr().out
    assert (
        main(
            [
                "interim",
                "--data",
                str(data),
                "--design",
                str(design),
                "--cutoff",
                "9",
                "--out",
                str(tmp_path / "blind"),
                "--blinded",
            ]
        )
        == 0
    )
    assert "decision" not in capsys.readouterr().out


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium, installed from Debian's packages when missing (as root)."""
    found = _chromium()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "update", "-qq"], check=False, env=env, capture_output=True, timeout=300
        )
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            env=env,
            capture_output=True,
            timeout=600,
        )
        found = _chromium()
    if found is None:
        pytest.skip(
            "Chromium is not installed and could not be installed with apt-get "
            "(needs root and Debian's package 'chromium'); the HTML report was not "
            "rendered in a browser"
        )
    return found


def test_report_renders_in_headless_chromium(trial, plan, tmp_path, chromium) -> None:  # noqa: ANN001
    run_interim(trial, plan, 9.0, tmp_path)
    report = (tmp_path / "interim_report.html").read_text()
    n_figures = report.count("<img ")
    assert n_figures == 4  # enrolment, boundaries, ALSFRS-R trajectories, Kaplan-Meier
    # Record, after the page's load event, how many images decoded with a real size.
    probe = report.replace(
        "</body>",
        (
            "<script>window.addEventListener('load', () => { document.body.setAttribute("
            "'data-decoded', [...document.images].filter(i => i.complete && i.naturalWidth > 0)"
            ".length); });</script></body>"
        ),
    )
    page = tmp_path / "probe.html"
    page.write_text(probe)
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    decoded = re.search(r'data-decoded="(\d+)"', result.stdout)
    assert decoded is not None, result.stdout[:500]
    assert int(decoded.group(1)) == n_figures
    assert "Interim analysis at calendar month 9" in result.stdout


def test_projected_looks(trial, tmp_path) -> None:  # noqa: ANN001
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
    report = run_interim(trial, plan, 9.0, tmp_path)
    observed = report.looks_table["fraction"].iloc[-1]
    # the projection and the observed information agree on whether look 1 is already behind
    assert (alone["calendar_month"].iloc[0] <= 9.0) == (observed >= design.info[0])
    assert (tmp_path / "projected_looks.csv").exists()
    assert "Projected calendar month" in (tmp_path / "interim_report.html").read_text()
    assert report.result is not None

"""The argparse builders of ``alstrials power slope|mmrm|survival|enrich|biomarker``
(``alstrials.cli.power_args``): each returns the library's result."""

from __future__ import annotations

import argparse

import pytest

from alstrials.cli.power_args import add_power_subcommands
from alstrials.design.power import (
    EnrichmentResult,
    EventsResult,
    PowerResult,
    SurvivalDesignResult,
    lmm_slope,
)
from alstrials.errors import DesignError


def _run(argv: list[str]) -> object:
    parser = argparse.ArgumentParser(prog="alstrials power")
    add_power_subcommands(parser)
    args = parser.parse_args(argv)
    return args.power_func(args)


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (
            [
                "slope",
                "--delta",
                "0.25",
                "--t",
                "0,3,6",
                "--sig2-slope",
                ".36",
                "--sig2-resid",
                "2.25",
                "--power",
                ".8",
                "--method",
                "edland",
                "--retention",
                "1,.9,.8",
            ],
            PowerResult,
        ),
        (["mmrm", "--delta", "1", "--sd", "2,3,4", "--rho", ".6", "--power", ".9"], PowerResult),
        (["survival", "--hr", "0.7"], EventsResult),
        (
            ["survival", "--hr", "0.7", "--median", "30", "--shape", "2", "--dropout", ".1"],
            SurvivalDesignResult,
        ),
        (
            [
                "enrich",
                "--prevalence",
                ".6",
                "--slope-pos",
                "-1.4",
                "--slope-neg",
                "-.8",
                "--sd-pos",
                ".9",
                "--sd-neg",
                ".7",
                "--slowing",
                ".25",
            ],
            EnrichmentResult,
        ),
        (
            ["biomarker", "--srm", ".95", "--slowing", ".3", "--power", ".8", "--t-correction"],
            PowerResult,
        ),
    ],
)
def test_subcommands_return_results(argv, kind):
    res = _run(argv)
    assert isinstance(res, kind)
    assert not res.summary().empty


def test_cli_slope_equals_library_call():
    res = _run(
        [
            "slope",
            "--delta",
            "0.25",
            "--t",
            "0,3,6,9,12",
            "--sig2-slope",
            "0.36",
            "--sig2-resid",
            "2.25",
            "--power",
            "0.8",
        ]
    )
    direct = lmm_slope(0.25, [0, 3, 6, 9, 12], 0.36, 2.25, power=0.8)
    assert res.n_per_group == pytest.approx(direct.n_per_group, rel=1e-15)


def test_cli_bad_input_raises_design_error():
    with pytest.raises(DesignError, match="leave exactly one"):
        _run(["slope", "--t", "0,3,6", "--sig2-slope", ".36", "--sig2-resid", "2.25"])

"""The figure style: a context that leaves no global state, fixed arm colours, words for
column names."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest

from alstrials.reporting.style import (
    ARM_COLOURS,
    OKABE_ITO,
    arm_colours,
    arm_order,
    axis_label,
    cause_colour,
    figure_style,
    lower_first,
    time_ticks,
)


def test_style_applies_inside_and_restores_everything_after() -> None:
    before = dict(matplotlib.rcParams)
    with figure_style():
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["axes.spines.top"] is False
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert set(cycle) <= {c.upper() for c in OKABE_ITO.values()}
    assert dict(matplotlib.rcParams) == before


def test_style_is_restored_when_the_block_raises() -> None:
    before = dict(matplotlib.rcParams)
    with pytest.raises(RuntimeError, match="boom"), figure_style(**{"font.size": 20}):
        assert matplotlib.rcParams["font.size"] == 20
        raise RuntimeError("boom")
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize(
    "arms", [["placebo", "active"], ["active", "placebo"], ["active", "placebo", "high dose"]]
)
def test_arms_keep_their_colours_in_any_order(arms: list[str]) -> None:
    colours = arm_colours(arms)
    assert colours["placebo"] == ARM_COLOURS["placebo"]
    assert colours["active"] == ARM_COLOURS["active"]
    assert len(set(colours.values())) == len(arms)
    assert arm_order(arms)[:2] == ["placebo", "active"]


def test_other_arms_and_causes_get_distinct_palette_colours() -> None:
    colours = arm_colours(["low", "high"])
    assert colours["low"] != colours["high"]
    assert set(colours.values()) <= set(OKABE_ITO.values())
    assert cause_colour("permanent ventilation") == cause_colour("permanent_ventilation")
    assert cause_colour("death") != cause_colour("tracheostomy")


def test_axis_labels_are_words_with_units() -> None:
    assert axis_label("alsfrs_total") == "ALSFRS-R total (points)"
    assert axis_label("months") == "Time since randomisation (months)"
    assert axis_label("months", {"months": "Months"}) == "Months"
    assert axis_label("slow_vital_capacity") == "Slow vital capacity"
    assert lower_first("ALSFRS-R total") == "ALSFRS-R total"
    assert lower_first("Time since") == "time since"


def test_time_ticks_fall_on_visit_months() -> None:
    fig, ax = plt.subplots()
    try:
        ax.set_xlim(0, 18)
        time_ticks(ax, 18)
        assert list(ax.get_xticks()[(ax.get_xticks() >= 0) & (ax.get_xticks() <= 18)]) == [
            0, 3, 6, 9, 12, 15, 18,
        ]  # fmt: skip
    finally:
        plt.close(fig)

"""Group-sequential designs against rpact 3.3.4 (tests/reference/sequential/make_reference.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from alstrials.design.integration import crossing_probabilities
from alstrials.design.sequential import GSDesign, group_sequential
from alstrials.errors import DesignError

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "sequential" / "values.json").read_text()
)
DESIGNS = REF["designs"]

_TYPE = {
    "OF": "obrien-fleming",
    "P": "pocock",
    "asOF": "ld-obrien-fleming",
    "asP": "ld-pocock",
    "asKD": "kim-demets",
    "asHSD": "hsd",
}
_BETA = {"bsOF": "ld-obrien-fleming", "bsKD": "kim-demets", "bsHSD": "hsd"}


def _from_rpact(ref: dict) -> GSDesign:
    typ = ref["typeOfDesign"]
    futility = _BETA.get(ref["typeBetaSpending"])
    return group_sequential(
        ref["kMax"],
        alpha=ref["alpha"],
        boundary=_TYPE[typ],
        info=ref["informationRates"],
        gamma=ref["gammaA"] if typ in ("asKD", "asHSD") else None,
        beta=ref["beta"],
        futility=futility,
        gamma_futility=ref["gammaB"] if ref["typeBetaSpending"] in ("bsKD", "bsHSD") else None,
        binding=bool(ref["bindingFutility"]) if futility else False,
    )


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def pair(request: pytest.FixtureRequest) -> tuple[dict, GSDesign]:
    ref = DESIGNS[request.param]
    return ref, _from_rpact(ref)


def test_boundaries_match_rpact(pair: tuple[dict, GSDesign]) -> None:
    ref, d = pair
    np.testing.assert_allclose(d.upper, ref["criticalValues"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(d.table["p_upper"], ref["stageLevels"], atol=1e-6, rtol=1e-4)


def test_alpha_spent_matches_rpact(pair: tuple[dict, GSDesign]) -> None:
    ref, d = pair
    # rpact stops its search at 0.02499999 at the last stage (its tolerance 1e-8).
    np.testing.assert_allclose(d.cumulative_alpha, ref["alphaSpent"], atol=1e-7, rtol=1e-4)


def test_futility_matches_rpact(pair: tuple[dict, GSDesign]) -> None:
    ref, d = pair
    if ref["futilityBounds"] is None or ref["typeBetaSpending"] == "none":
        assert d.lower is None  # rpact reports -6 (its "no bound" value) for every stage
        return
    assert d.lower is not None
    np.testing.assert_allclose(d.lower[:-1], ref["futilityBounds"], atol=1e-4, rtol=0)
    np.testing.assert_allclose(d.cumulative_beta, ref["betaSpent"], atol=1e-7)


def test_characteristics_match_rpact(pair: tuple[dict, GSDesign]) -> None:
    ref, d = pair
    np.testing.assert_allclose(d.drift, ref["shift"] ** 0.5, rtol=1e-5)
    np.testing.assert_allclose(d.inflation, ref["inflationFactor"], rtol=1e-5)
    np.testing.assert_allclose(d.power, 1 - ref["beta"], atol=1e-6)
    np.testing.assert_allclose(d.reject_h1, ref["rejectionProbabilities"], atol=1e-6)
    if ref["futilityBounds"] is not None and ref["typeBetaSpending"] != "none":
        np.testing.assert_allclose(d.futility_h1[:-1], ref["futilityProbabilities"], atol=1e-6)
    np.testing.assert_allclose(d.asn_h1, ref["averageSampleNumber1"], rtol=1e-5)
    np.testing.assert_allclose(d.asn(0.5), ref["averageSampleNumber01"], rtol=1e-5)
    np.testing.assert_allclose(d.asn_h0, ref["averageSampleNumber0"], rtol=1e-5)


def test_original_reference(r_reference: dict) -> None:
    names = {"OF": "obrien-fleming", "P": "pocock", "asOF": "ld-obrien-fleming"}
    for ref in r_reference["rpact_group_sequential"].values():
        d = group_sequential(
            ref["k"], alpha=ref["alpha"], boundary=names[ref["type"]], info=ref["info"]
        )
        np.testing.assert_allclose(d.upper, ref["upper"], atol=1e-4, rtol=0)
        np.testing.assert_allclose(
            d.cumulative_alpha, ref["cumulative_alpha"], atol=1e-7, rtol=1e-4
        )


def test_table_columns_and_repr() -> None:
    d = group_sequential(4, futility="hsd", gamma_futility=-2, boundary="hsd", gamma=-4)
    t = d.table
    assert list(t.columns[:7]) == [
        "info",
        "upper",
        "lower",
        "p_upper",
        "p_lower",
        "cumulative_alpha",
        "cumulative_beta",
    ]
    assert t.index.name == "stage" and len(t) == 4
    assert "hsd" in repr(d) and "non-binding" in repr(d)
    assert "<table" in d._repr_html_()
    assert d.to_markdown().startswith("| stage")


def test_hr_effect_boundaries() -> None:
    d = group_sequential(3, boundary="ld-obrien-fleming", futility="ld-obrien-fleming")
    events = np.array([100.0, 200.0, 300.0])
    eb = d.effect_boundaries(events=events)
    np.testing.assert_allclose(eb["efficacy"], np.exp(-d.upper * 2 / np.sqrt(events)), rtol=1e-12)
    np.testing.assert_allclose(eb["futility"], np.exp(-d.lower * 2 / np.sqrt(events)), rtol=1e-12)
    # 2:1 allocation: SE = 1/sqrt(d p (1-p)) with p = 2/3
    eb2 = d.effect_boundaries(events=events, allocation=2 / 3)
    np.testing.assert_allclose(eb2["se"], 1 / np.sqrt(events * 2 / 9), rtol=1e-12)
    slope = d.effect_boundaries(se=[0.3, 0.2, 0.15])
    np.testing.assert_allclose(slope["efficacy"], d.upper * [0.3, 0.2, 0.15], rtol=1e-12)
    info = d.effect_boundaries(information=[4.0, 9.0, 16.0])
    np.testing.assert_allclose(info["se"], [0.5, 1 / 3, 0.25], rtol=1e-12)
    with pytest.raises(DesignError, match="exactly one of"):
        d.effect_boundaries(events=events, se=[1, 1, 1])
    with pytest.raises(DesignError, match="need 3 positive"):
        d.effect_boundaries(se=[1, 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "positive integer"),
        ({"k": 3, "alpha": 0.6}, "alpha is one-sided"),
        ({"k": 3, "boundary": "haybittle"}, "unknown boundary"),
        ({"k": 3, "boundary": "kim-demets"}, "needs a shape parameter gamma"),
        ({"k": 3, "boundary": "kim-demets", "gamma": -1}, "gamma > 0"),
        ({"k": 3, "boundary": "pocock", "gamma": 1}, "takes no gamma"),
        ({"k": 3, "gamma": 2}, "takes no gamma"),
        ({"k": 3, "info": [0.5, 0.4, 1]}, "strictly increasing"),
        ({"k": 3, "info": [0.2, 0.4, 0.9]}, "must end at 1"),
        ({"k": 3, "info": [0.5, 1]}, "one fraction per analysis"),
        ({"k": 3, "futility": "pocock"}, "unknown futility"),
        ({"k": 1, "futility": "hsd", "gamma_futility": 1}, "at least two analyses"),
        ({"k": 3, "gamma_futility": 1}, "futility=None"),
        ({"k": 3, "beta": 0.99}, "beta must be"),
        (
            {
                "k": 3,
                "boundary": "pocock",
                "futility": "kim-demets",
                "gamma_futility": 2,
                "binding": True,
            },
            "binding futility",
        ),
        ({"k": 3, "grid": 2}, "grid must be"),
    ],
)
def test_invalid_inputs(kwargs: dict, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        group_sequential(**kwargs)


def test_single_stage_is_fixed_design() -> None:
    d = group_sequential(1)
    np.testing.assert_allclose(d.upper, [1.959964], atol=1e-6)
    np.testing.assert_allclose(d.inflation, 1.0, atol=1e-8)


def test_binding_lowers_efficacy_boundaries() -> None:
    kw = {"futility": "ld-obrien-fleming", "boundary": "ld-obrien-fleming"}
    nb, b = group_sequential(4, binding=False, **kw), group_sequential(4, binding=True, **kw)
    assert np.all(b.upper[1:] < nb.upper[1:])
    # binding design: type I error (futility respected) equals alpha
    np.testing.assert_allclose(b.reject_h0.sum(), 0.025, atol=1e-7)
    # non-binding: respecting the futility bounds leaves type I error below alpha
    assert nb.reject_h0.sum() < 0.025


fractions = (
    st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4, unique=True)
    .map(lambda xs: [*sorted(xs), 1.0])
    .filter(lambda t: min(np.diff([0.0, *t])) > 0.02)
)


@settings(max_examples=25, deadline=None)
@given(
    info=fractions,
    boundary=st.sampled_from(
        ["ld-obrien-fleming", "ld-pocock", "kim-demets", "hsd", "obrien-fleming"]
    ),
    gamma=st.floats(0.5, 4.0),
)
def test_invariants(info: list[float], boundary: str, gamma: float) -> None:
    g = gamma if boundary in ("kim-demets", "hsd") else None
    d = group_sequential(len(info), boundary=boundary, info=info, gamma=g)
    ca = d.cumulative_alpha
    assert np.all(np.diff(ca) >= -1e-12) and ca[-1] <= 0.025 + 1e-8
    # the computed boundaries reproduce the spent alpha
    pu, _ = crossing_probabilities(d.upper, np.full(d.k, -np.inf), d.info, 0.0)
    np.testing.assert_allclose(np.cumsum(pu), ca, atol=1e-7)
    assert d.inflation >= 1 - 1e-6  # integration error is about 1e-7
    if boundary == "obrien-fleming":
        # C / sqrt(t) decreases. (Not asserted for the Lan-DeMets version: with two close
        # looks late in the trial, e.g. t = (0.95, 1), its last boundary can be the larger.)
        assert np.all(np.diff(d.upper) < 0)


@settings(max_examples=10, deadline=None)
@given(info=fractions.filter(lambda t: len(t) >= 2), beta=st.floats(0.05, 0.3))
def test_futility_invariants(info: list[float], beta: float) -> None:
    d = group_sequential(len(info), info=info, futility="ld-obrien-fleming", beta=beta)
    assert d.lower is not None
    assert np.all(d.lower <= d.upper + 1e-12)
    np.testing.assert_allclose(d.lower[-1], d.upper[-1])
    np.testing.assert_allclose(d.power, 1 - beta, atol=1e-6)
    assert np.all(np.diff(d.cumulative_beta) >= 0)


def test_effect_scale_matches_rpact() -> None:
    """rpact getSampleSizeSurvival (2:1, HR 0.7) and getSampleSizeMeans (sd 1, normal approx.)."""
    d = group_sequential(3, futility="ld-obrien-fleming")
    surv = REF["effect_scale"]["survival_hr0_7_alloc2"]
    events = np.asarray(surv["eventsPerStage"])
    # maximum events = inflation x Schoenfeld's fixed-design events
    fixed = (norm.isf(0.025) + norm.isf(0.2)) ** 2 / ((2 / 9) * np.log(0.7) ** 2)
    assert d.inflation * fixed == pytest.approx(events[-1], rel=1e-6)
    eb = d.effect_boundaries(events=events, allocation=2 / 3)
    np.testing.assert_allclose(eb["efficacy"], surv["criticalValuesEffectScale"], rtol=1e-5)
    # rpact prints futility bounds on the effect scale rounded to 8 digits
    np.testing.assert_allclose(eb["futility"][:2], surv["futilityBoundsEffectScale"], rtol=1e-5)
    means = REF["effect_scale"]["means_delta0_3"]
    se = 2 / np.sqrt(np.asarray(means["numberOfSubjects"]))  # sd 1, 1:1: sqrt(4 / N)
    eb = d.effect_boundaries(se=se)
    np.testing.assert_allclose(eb["efficacy"], means["criticalValuesEffectScale"], rtol=1e-5)
    np.testing.assert_allclose(eb["futility"][:2], means["futilityBoundsEffectScale"], atol=1e-6)


def test_design_is_frozen() -> None:
    d = group_sequential(3, futility="ld-obrien-fleming")
    with pytest.raises(AttributeError, match="cannot assign"):
        d.alpha = 0.05  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        d.upper[0] = 0.0

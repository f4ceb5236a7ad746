"""Spending functions: closed forms, rpact's spent alpha, validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from alstrials.design.spending import SpendingFamily, spending_function
from alstrials.errors import DesignError

REF = json.loads(
    (Path(__file__).parents[1] / "reference" / "sequential" / "values.json").read_text()
)

_FAMILY = {"asOF": "ld-obrien-fleming", "asP": "ld-pocock", "asKD": "kim-demets", "asHSD": "hsd"}


@pytest.mark.parametrize(
    "name", [n for n, r in REF["designs"].items() if r["typeOfDesign"] in _FAMILY]
)
def test_alpha_spent_equals_rpact(name: str) -> None:
    ref = REF["designs"][name]
    gamma = ref["gammaA"] if ref["typeOfDesign"] in ("asKD", "asHSD") else None
    f = spending_function(_FAMILY[ref["typeOfDesign"]], ref["alpha"], gamma)
    t = np.asarray(ref["informationRates"])
    # rpact stops at 0.02499999 (tolerance 1e-8) at the last stage
    np.testing.assert_allclose(f(t), ref["alphaSpent"], rtol=1e-9, atol=2e-8)


@pytest.mark.parametrize(
    "name", [n for n, r in REF["designs"].items() if r["betaSpent"] is not None]
)
def test_beta_spent_equals_rpact(name: str) -> None:
    ref = REF["designs"][name]
    fam = {"bsOF": "ld-obrien-fleming", "bsKD": "kim-demets", "bsHSD": "hsd"}[
        ref["typeBetaSpending"]
    ]
    gamma = None if fam == "ld-obrien-fleming" else ref["gammaB"]
    f = spending_function(fam, ref["beta"], gamma, what="beta")
    # rpact reports beta spent as reached by its own root-finding (tolerance 1e-8)
    np.testing.assert_allclose(f(np.asarray(ref["informationRates"])), ref["betaSpent"], atol=1e-8)


def test_closed_forms() -> None:
    t = np.array([0.0, 0.3, 1.0])
    a = 0.025
    of = spending_function("ld-obrien-fleming", a)(t)
    np.testing.assert_allclose(of, [0.0, 2 * norm.sf(norm.isf(a / 2) / np.sqrt(0.3)), a])
    np.testing.assert_allclose(spending_function("ld-pocock", a)(t), a * np.log(1 + (np.e - 1) * t))
    np.testing.assert_allclose(spending_function("kim-demets", a, 2.5)(t), a * t**2.5)
    hsd = spending_function("hsd", a, -4)(t)
    np.testing.assert_allclose(hsd, a * (1 - np.exp(4 * t)) / (1 - np.exp(4)))
    np.testing.assert_allclose(spending_function("hsd", a, 0.0)(t), a * t)
    # fractions above 1 spend everything
    assert spending_function("kim-demets", a, 3)(1.4) == pytest.approx(a)


@settings(max_examples=50, deadline=None)
@given(
    family=st.sampled_from([f.value for f in SpendingFamily]),
    total=st.floats(1e-4, 0.5),
    gamma=st.floats(-8, 8).filter(lambda g: abs(g) > 1e-3),
    t=st.lists(st.floats(0, 1), min_size=2, max_size=8),
)
def test_spending_is_monotone_and_bounded(family: str, total: float, gamma: float, t: list) -> None:
    g = abs(gamma) if family == "kim-demets" else gamma if family == "hsd" else None
    f = spending_function(family, total, g)
    v = f(np.sort(t))
    assert np.all(np.diff(v) >= -1e-15)
    assert np.all(v >= 0) and np.all(v <= total * (1 + 1e-12))
    assert f(1.0) == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("pocock", 0.025), "unknown alpha-spending function"),
        (("ld-pocock", 0.0), "strictly between 0 and 1"),
        (("hsd", 0.025), "needs a shape parameter gamma"),
        (("kim-demets", 0.025, 0.0), "kim-demets needs gamma > 0"),
        (("hsd", 0.025, float("nan")), "finite number"),
        (("ld-obrien-fleming", 0.025, 1.0), "takes no gamma"),
    ],
)
def test_validation(args: tuple, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        spending_function(*args)


def test_repr() -> None:
    assert (
        repr(spending_function("hsd", 0.025, -4))
        == "SpendingFunction('hsd', total=0.025, gamma=-4)"
    )

"""Competing risks against R cmprsk 2.2-11 and survival 3.5-3 (tests/reference/competing:
make_cases.py writes the data, competing.R the references; R is not needed here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alstrials.errors import ConvergenceWarning, DataValidationError, DataWarning
from alstrials.models.competing import (
    cumulative_incidence,
    fit_fine_gray,
    fit_finegray,
    gray_test,
)
from alstrials.models.survival import fit_cox

REF = Path(__file__).parents[1] / "reference" / "competing"
CAUSES = ["death", "tracheostomy", "permanent_ventilation"]
FORMULA = "active + age + fvc_z"


@pytest.fixture(scope="module", params=["main", "edge"])
def case(request):
    return request.param, pd.read_csv(REF / f"cr_{request.param}.csv")


def _ref(name: str, case: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / f"ref_{name}.csv")
    return ref[ref["case"] == case]


def test_cif_and_variance_match_cuminc(case):
    name, d = case
    res = cumulative_incidence(d, "months", "status", by="arm")
    ref = _ref("cuminc", name)
    merged = ref.merge(res.table, on=["group", "cause", "time"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()  # the same jump times
    np.testing.assert_allclose(merged["cif"], merged["est"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(merged["var_y"], merged["var_x"], rtol=0, atol=1e-12)


def test_cif_matches_multistate_survfit(case):
    name, d = case
    res = cumulative_incidence(d, "months", "status", by="arm")
    ref = _ref("survfit", name)
    for (g, c), part in ref.groupby(["group", "cause"]):
        ours = res.at(part["time"].to_numpy())
        ours = ours[(ours["group"] == g) & (ours["cause"] == c)]
        np.testing.assert_allclose(ours["cif"], part["pstate"], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("test", "kwargs"), [("rho0", {}), ("rho1", {"rho": 1.0}), ("strata", {"strata": "site"})]
)
def test_gray_tests_match_cuminc(case, test, kwargs):
    name, d = case
    ours = gray_test(d, "months", "status", "arm", **kwargs).tests
    ref = _ref("gray", name)
    ref = ref[ref["test"] == test].set_index("cause")
    np.testing.assert_allclose(
        ours.loc[ref.index, "statistic"], ref["stat"], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(ours.loc[ref.index, "p"], ref["pv"], rtol=1e-8, atol=1e-14)
    assert (ours.loc[ref.index, "df"] == ref["df"]).all()


# every case and cause but the edge case's tracheostomy, whose likelihood is monotone
# (test_monotone_likelihood_is_flagged)
USABLE = [(n, c) for n in ("main", "edge") for c in CAUSES if (n, c) != ("edge", "tracheostomy")]


@pytest.fixture(scope="module")
def cases():
    return {n: pd.read_csv(REF / f"cr_{n}.csv") for n in ("main", "edge")}


@pytest.mark.parametrize(("name", "cause"), USABLE)
def test_fine_gray_matches_crr(cases, name, cause):
    d = cases[name]
    fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest=cause)
    ref = _ref("crr", name)
    ref = ref[(ref["cause"] == cause) & (ref["variant"] == "tight")].set_index("term")
    assert fit.converged and not fit.problems
    np.testing.assert_allclose(fit.coef["estimate"], ref["coef"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fit.coef["se"], ref["se"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.coef["naive_se"], ref["naive_se"], rtol=1e-9, atol=1e-12)
    assert fit.loglik == pytest.approx(ref["loglik"].iloc[0], abs=1e-8)
    # crr's defaults (gtol 1e-6, 10 iterations) stop short of the maximum; within 1e-4
    default = _ref("crr", name)
    default = default[(default["cause"] == cause) & (default["variant"] == "default")]
    np.testing.assert_allclose(fit.coef["estimate"], default["coef"], atol=1e-4)


@pytest.mark.parametrize(("name", "cause"), USABLE)
def test_fine_gray_with_censoring_groups(cases, name, cause):
    d = cases[name]
    fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest=cause, cengroup="arm")
    ref = _ref("crr", name)
    ref = ref[(ref["cause"] == cause) & (ref["variant"] == "cengroup")].set_index("term")
    np.testing.assert_allclose(fit.coef["estimate"], ref["coef"], rtol=0, atol=1e-9)
    # the robust SE with censoring groups differs slightly from crr's (docs/competing.md)
    np.testing.assert_allclose(fit.coef["se"], ref["se"], rtol=0.03)


def test_fine_gray_agrees_with_finegray_coxph_up_to_censoring_ties():
    # survival::finegray puts censorings tied with events differently; the estimates of
    # finegray + coxph(ties = "breslow") agree with crr's to about 1e-3 on these data
    d = pd.read_csv(REF / "cr_main.csv")
    ref = _ref("finegray", "main")
    for cause in CAUSES:
        fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest=cause)
        r = ref[ref["cause"] == cause].set_index("term")
        np.testing.assert_allclose(fit.coef["estimate"], r["coef_breslow"], atol=2e-3)


def test_cause_specific_cox_is_fit_cox_on_the_cause():
    d = pd.read_csv(REF / "cr_main.csv")
    ref = _ref("csc", "main")
    for cause in CAUSES:
        fit = fit_cox(d.assign(event=d["status"] == cause), "months", "event", FORMULA)
        r = ref[ref["cause"] == cause].set_index("term")
        # coxph stops at its own criterion (relative loglik change 1e-9): agreement ~1e-9
        np.testing.assert_allclose(fit.coef["estimate"], r["coef"], rtol=0, atol=1e-7)
        np.testing.assert_allclose(fit.coef["se"], r["se"], rtol=1e-6)


def test_monotone_likelihood_is_flagged():
    d = pd.read_csv(REF / "cr_edge.csv")  # tracheostomy only in the active arm
    with pytest.warns(ConvergenceWarning, match="did not converge to a usable estimate"):
        fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest="tracheostomy")
    assert not fit.converged
    assert any("active" in p for p in fit.problems)
    assert fit.summary()["note"].eq("not converged").all()
    assert "NOT CONVERGED" in repr(fit) and "Warning" in fit._repr_html_()


def test_no_events_of_the_cause_is_flagged_not_silent():
    d = pd.read_csv(REF / "cr_main.csv")
    d["status"] = pd.Categorical(
        d["status"].replace("tracheostomy", "death"), categories=["censored", *CAUSES]
    )
    with pytest.warns(ConvergenceWarning, match="no events of cause 'tracheostomy'"):
        fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest="tracheostomy")
    assert not fit.converged and fit.coef["estimate"].isna().all()


def test_bad_inputs_raise_with_a_message():
    d = pd.read_csv(REF / "cr_main.csv")
    with pytest.raises(DataValidationError, match="is not a cause"):
        fit_finegray(d, "months", "status", FORMULA, cause_of_interest="dead")
    with pytest.raises(DataValidationError, match="no column"):
        cumulative_incidence(d, "time", "status")
    bad = d.assign(months=d["months"].where(d.index != 3, -1.0))
    with pytest.raises(DataValidationError, match="negative"):
        gray_test(bad, "months", "status", "arm")
    with pytest.raises(DataValidationError, match="linearly dependent"):
        fit_finegray(
            d.assign(a2=2 * d["active"]),
            "months",
            "status",
            "active + a2",
            cause_of_interest="death",
        )
    with pytest.warns(DataWarning, match="no row equal to the censoring code"):
        cumulative_incidence(d, "months", "code", by="arm")


def test_numeric_codes_as_cmprsk_give_the_same_fit():
    d = pd.read_csv(REF / "cr_main.csv")
    a = fit_finegray(d, "months", "status", FORMULA, cause_of_interest="death")
    b = fit_finegray(d, "months", "code", FORMULA, cause_of_interest=1, censored=0)
    np.testing.assert_array_equal(a.coef.to_numpy(), b.coef.to_numpy())


def test_cif_invariants_and_prediction():
    d = pd.read_csv(REF / "cr_main.csv")
    res = cumulative_incidence(d, "months", "status", by="arm")
    for _, part in res.table.groupby(["group", "cause"]):
        assert (np.diff(part["cif"]) >= 0).all()
        assert ((part["ci_low"] <= part["cif"]) & (part["cif"] <= part["ci_high"])).all()
    # the causes' incidences and the all-cause KM add to one at the last event time
    total = res.at([17.9]).groupby("group")["cif"].sum()
    km = d.groupby("arm").apply(lambda g: _km_last(g), include_groups=False)
    np.testing.assert_allclose(total.sort_index(), 1 - km.sort_index(), atol=1e-12)
    assert res.summary().shape[0] > 0 and "Gray" not in repr(res)
    fit = fit_finegray(d, "months", "status", FORMULA, cause_of_interest="death")
    new = pd.DataFrame({"active": [0, 1], "age": [60.0, 60.0], "fvc_z": [0.0, 0.0]})
    pred = fit.predict_cif(new, [6.0, 12.0])
    assert (pred.iloc[1] < pred.iloc[0]).all()  # the active arm has a lower incidence of death
    assert (pred.diff(axis=1).iloc[:, 1] > 0).all()


def _km_last(g: pd.DataFrame) -> float:
    t, e = g["months"].to_numpy(), (g["status"] != "censored").to_numpy()
    s = 1.0
    for u in np.unique(t[e]):
        s *= 1 - e[t == u].sum() / (t >= u).sum()
    return s


def test_fine_gray_is_fast_on_10000_subjects():
    import time

    rng = np.random.default_rng(3)
    n = 10_000
    x = rng.normal(size=(n, 3))
    t = np.round(rng.exponential(1 / np.exp(x @ [0.3, -0.2, 0.1])), 2) + 0.01
    c = rng.uniform(0, 3, n)
    status = np.where(t <= c, rng.choice(["a", "b"], n), "censored")
    d = pd.DataFrame(
        {"t": np.minimum(t, c), "s": status, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]}
    )
    t0 = time.perf_counter()
    fit = fit_finegray(d, "t", "s", "x1 + x2 + x3", cause_of_interest="a")
    assert time.perf_counter() - t0 < 2.0
    assert fit.converged


def test_api_names_and_the_earlier_spelling():
    d = pd.read_csv(REF / "cr_main.csv")
    # shared/API.md: fit_finegray(data, duration, cause, formula, cause_of_interest, censored)
    new = fit_finegray(d, "months", "code", FORMULA, 1, 0)
    old = fit_fine_gray(d, "months", "code", FORMULA, cause=1, censored=0)
    np.testing.assert_array_equal(new.coef.to_numpy(), old.coef.to_numpy())
    pd.testing.assert_frame_equal(new.vcov, old.vcov)
    # cumulative_incidence(data, duration, cause, by=None, censored="censored")
    res = cumulative_incidence(d, "months", cause="code", by="arm", censored=0)
    assert {"group", "cause", "time", "cif", "se", "ci_low", "ci_high"} <= set(res.table.columns)
    assert list(res.gray_test.columns) == ["statistic", "df", "p"]
    assert res.gray_test.index.name == "cause" and list(res.gray_test.index) == [1, 2, 3]
    pd.testing.assert_frame_equal(res.gray_test, res.tests)
    one = cumulative_incidence(d, "months", "status")
    assert one.gray_test is None and set(one.table["group"]) == {"all"}

"""events / survival designs against rpact 3.3.4 (tests/reference/power/rpact_survival.R)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from alstrials.design.power import (
    Exponential,
    PiecewiseExponential,
    Weibull,
    events,
    events_power,
    expected_events,
    survival_power,
    survival_sample_size,
    time_to_events,
)
from alstrials.errors import DesignError

REL = 1e-6  # rpact's closed-form / numerically integrated values


def _alloc(ratio: float) -> float:
    return ratio / (1 + ratio)


def test_events_schoenfeld_and_freedman_match_rpact(rpact_survival):
    for case in rpact_survival["events"]:
        res = events(
            case["hr"],
            alpha=case["alpha"],
            power=case["power"],
            allocation=_alloc(case["ratio"]),
            sided=case["sided"],
            method=case["method"],
        )
        assert res.events == pytest.approx(case["events"], rel=REL), case
        back = events_power(
            res.events,
            case["hr"],
            alpha=case["alpha"],
            allocation=_alloc(case["ratio"]),
            sided=case["sided"],
            method=case["method"],
        )
        assert back == pytest.approx(case["power"], abs=1e-10)
        hr = events(
            None,
            alpha=case["alpha"],
            power=case["power"],
            events=res.events,
            allocation=_alloc(case["ratio"]),
            sided=case["sided"],
            method=case["method"],
        )
        assert hr.hr == pytest.approx(case["hr"], rel=1e-10)


def _control(case):
    if case["case"] == "piecewise":
        return PiecewiseExponential(tuple(case["piecewise_time"]), tuple(case["lambda2"]))
    if case["case"] == "weibull":  # rpact: S(t) = exp(-(lambda t)^kappa)
        return Weibull(shape=case["kappa"], scale=1 / case["lambda2"])
    return Exponential(case["lambda2"])


def test_sample_size_matches_rpact(rpact_survival):
    for case in rpact_survival["sample_size"]:
        if case["case"] == "piecewise":
            dropout = (case["dropout1"], case["dropout2"])
        else:
            dropout = case["dropout"]
        res = survival_sample_size(
            case["hr"],
            _control(case),
            case["accrual_time"],
            case["follow_up"],
            accrual_intensity=case.get("accrual_intensity")
            if case["case"] == "piecewise"
            else None,
            dropout_rate=dropout,
            dropout_time=case.get("dropout_time", 12.0),
            alpha=0.025,
            sided=1,
            power=0.8,
            allocation=_alloc(case["ratio"]),
        )
        assert res.events == pytest.approx(case["events"], rel=REL), case["case"]
        assert res.n_total == pytest.approx(case["n_total"], rel=REL), case["case"]
        assert res.analysis_time == pytest.approx(case["analysis_time"], rel=REL)
        if "n1" in case:
            assert res.n_active == pytest.approx(case["n1"], rel=REL)
            assert res.n_control == pytest.approx(case["n2"], rel=REL)


def test_time_to_events_matches_rpact(rpact_survival):
    case = rpact_survival["time_to_events"]
    t = time_to_events(
        case["events"],
        case["n_total"],
        case["hr"],
        PiecewiseExponential(tuple(case["piecewise_time"]), tuple(case["lambda2"])),
        case["accrual_time"],
        accrual_intensity=case["accrual_intensity"],
        dropout_rate=case["dropout"],
        dropout_time=case["dropout_time"],
    )
    assert t == pytest.approx(case["analysis_time"], rel=REL)


def test_power_and_analysis_time_match_rpact(rpact_survival):
    case = rpact_survival["power"]
    control = Exponential(case["lambda2"])
    t = time_to_events(
        case["events"],
        case["n_total"],
        case["hr"],
        control,
        12,
        dropout_rate=case["dropout"],
        dropout_time=case["dropout_time"],
    )
    assert t == pytest.approx(case["analysis_time"], rel=REL)
    res = survival_power(
        case["n_total"],
        case["hr"],
        control,
        12,
        t - 12,
        dropout_rate=case["dropout"],
        alpha=0.025,
        sided=1,
    )
    assert res.events == pytest.approx(case["events"], rel=1e-8)
    assert res.power == pytest.approx(case["power"], rel=REL)


@pytest.mark.parametrize("shape", [2.03, 0.8])
def test_weibull_with_dropout_equals_fine_piecewise_approximation(shape):
    """rpact refuses Weibull + dropout; cross-check our Weibull path against a 0.05-month
    piecewise-exponential approximation of the same Weibull (mean hazard per piece)."""
    w = Weibull.from_median(30, shape=shape)
    starts = np.arange(0, 40, 0.05)
    cum = np.array([w.cumhaz(s) for s in np.append(starts, 40)])
    pw = PiecewiseExponential(tuple(starts), tuple(np.diff(cum) / 0.05))
    kw = dict(dropout_rate=0.15, dropout_time=12)
    a = survival_sample_size(0.7, w, 18, 12, **kw)
    b = survival_sample_size(0.7, pw, 18, 12, **kw)
    # the discretisation error shrinks as h^2 (about 1e-6 at h = 0.05 months)
    assert a.n_total == pytest.approx(b.n_total, rel=1e-5)


def test_weibull_event_cdf_by_parts_equals_density_integral():
    w = Weibull.from_median(30, shape=2.03)
    theta, eta = 0.7, 0.01

    def density(x):
        h = w.shape / w.scale * (x / w.scale) ** (w.shape - 1)
        return theta * h * math.exp(-theta * w.cumhaz(x) - eta * x)

    direct = integrate.quad(density, 0, 20, epsabs=1e-14, epsrel=1e-12)[0]
    assert w.event_cdf(20, theta, eta)[0] == pytest.approx(direct, rel=1e-10)
    # without dropout the Weibull event probability is closed form: 1 - S(t)^theta
    assert w.event_cdf(20, theta)[0] == pytest.approx(1 - w.survival(20) ** theta, rel=1e-12)


def test_exponential_expected_events_closed_form():
    lam, hr, acc, f = 0.03, 0.7, 12.0, 6.0

    def p(rate):  # uniform entry on [0, acc], analysis at acc + f, no dropout
        return 1 - (math.exp(-rate * f) - math.exp(-rate * (acc + f))) / (rate * acc)

    e = expected_events(500, acc + f, hr, Exponential(lam), acc)
    assert e == pytest.approx(500 * (p(lam) + p(hr * lam)) / 2, rel=1e-10)


def test_invariants():
    ev = [events(h).events for h in (0.6, 0.7, 0.8)]
    assert ev[0] < ev[1] < ev[2]
    pw = [events(0.7, power=None, events=d).power for d in (100, 200, 300)]
    assert pw[0] < pw[1] < pw[2]
    unequal = events(0.7, allocation=2 / 3).events
    assert unequal > events(0.7).events
    ctrl = Weibull.from_median(30, 2.0)
    n = [survival_sample_size(0.7, ctrl, 12, f).n_total for f in (6, 12, 24)]
    assert n[0] > n[1] > n[2]
    t = [time_to_events(d, 800, 0.7, ctrl, 12) for d in (100, 200, 300)]
    assert t[0] < t[1] < t[2]
    res = survival_sample_size(0.7, ctrl, 12, 12, dropout_rate=0.2)
    again = survival_power(res.n_total, 0.7, ctrl, 12, 12, dropout_rate=0.2)
    assert again.power == pytest.approx(0.8, abs=1e-9)
    assert float(res) == res.n_total
    assert "n_total" in res.summary().index and res.follow_up == pytest.approx(12)


def test_result_reprs():
    res = events(0.7)
    assert float(res) == res.events and res.events_ceil == 247
    assert "EventsResult(method='schoenfeld', solved events" in repr(res)
    assert res.summary().loc["events", "solved"]
    des = survival_sample_size(0.7, 0.03, 12, 12)
    assert "SurvivalDesignResult" in repr(des) and "<table" in des._repr_html_()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: events(1.0), "no effect"),
        (lambda: events(-0.5), "positive hazard ratio"),
        (lambda: events(0.7, power=0.01), "must exceed alpha"),
        (lambda: events(0.7, allocation=0.0), "allocation must lie"),
        (lambda: events(0.7, power=None), "leave exactly one"),
        (lambda: events(0.7, method="lachin"), "method must be one of"),
        (lambda: events(None, power=0.99, events=4, method="freedman"), "no hazard ratio"),
        (lambda: Exponential(0.0), "rate must be positive"),
        (lambda: Weibull(shape=0.0, scale=1.0), "shape and scale must be positive"),
        (lambda: PiecewiseExponential((1.0, 2.0), (0.1, 0.1)), "starts must begin at 0"),
        (lambda: PiecewiseExponential((0.0, 2.0), (0.1, -0.1)), "non-negative"),
        (lambda: survival_sample_size(0.7, 0.03, [0, 12, 6], 12), "accrual_time"),
        (lambda: survival_sample_size(0.7, 0.03, 12, 12, accrual_intensity=[1, 2]), "one per"),
        (lambda: survival_sample_size(0.7, 0.03, 12, 12, dropout_rate=1.0), "dropout rate"),
        (lambda: survival_sample_size(0.7, "weibull", 12, 12), "control must be"),
        (lambda: time_to_events(500, 400, 0.7, 0.03, 12), "never expected"),
        (lambda: expected_events(-5, 12, 0.7, 0.03, 12), "n_total must be"),
    ],
)
def test_impossible_inputs_raise(call, match):
    with pytest.raises(DesignError, match=match):
        call()

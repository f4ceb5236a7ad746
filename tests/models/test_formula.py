"""The restricted formula grammar: every formula the package uses passes, code does not run."""

from __future__ import annotations

import keyword

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrials.errors import DataValidationError, FormulaError
from alstrials.models.formula import check_formula
from alstrials.models.joint import fit_joint
from alstrials.models.joint.simulate import simulate_joint
from alstrials.models.lmm import example_data, fit_lmm
from alstrials.models.primary import SLOPE_FORMULA
from alstrials.models.survival import fit_cox
from alstrials.workflows.survival import COX_FORMULA, TV_FORMULA

ACCEPTED = [
    SLOPE_FORMULA,
    COX_FORMULA,
    TV_FORMULA,
    "age + sex + `ph.ecog`",
    "~ age + C(`ph.ecog`)",
    "y ~ months + I(2 * months)",
    "y ~ time + I(time**2)",
    "CD4 ~ obstime + obstime:drug",
    "~ 0 + months",
    "~1",
    "y ~ bs(months, df=3) + np.log(age) + numpy.exp(z) + scale(x) + poly(x, 2)",
    "y ~ bs(x, knots=[6, 12.5])",
    'C(arm, contr.treatment("placebo"))',
    "C(arm, Treatment('placebo')) + C(site, levels=['a', 'b'])",
    "y ~ . - x",
    "y ~ (a + b)**2 - 1",
    "~ x | g",
]

REJECTED = [
    '{__import__("os").system("echo pwned")}',
    "y ~ {x + 1}",
    "x.__class__",
    "__import__('os')",
    "np.load('file.npy')",
    "np.linalg.inv(x)",
    "numpy",
    "lambda x: x",
    "eval('1')",
    "open('f')",
    "getattr(x, 'y')",
    "f'{x}'",
    "x.real",
    "(x).real",
    "'a'.join(x)",
    "I(x)(1)",
    "[open][0]('f')",
    "C(x)[0]",
    "`a__b`",
    "x; y",
    "a @ b",
    "x if y else z",
    "'\\x41'",
]


@pytest.mark.parametrize("formula", ACCEPTED)
def test_package_and_documented_formulas_pass(formula):
    assert check_formula(formula) == formula


@pytest.mark.parametrize("formula", REJECTED)
def test_code_is_rejected(formula):
    with pytest.raises(FormulaError, match="is not allowed"):
        check_formula(formula)


def test_formula_error_is_a_data_validation_error():
    assert issubclass(FormulaError, DataValidationError)
    assert issubclass(FormulaError, ValueError)


_NAME = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and n not in ("np", "numpy", "contr")
)
_TERM = st.one_of(_NAME, st.integers(0, 99).map(str), _NAME.map(lambda n: f"C({n})"))


@settings(max_examples=200, deadline=None)
@given(st.lists(_TERM, min_size=1, max_size=6), st.lists(st.sampled_from("+-*:/|"), min_size=5))
def test_terms_joined_by_operators_pass(terms, ops):
    pairs = zip(terms[:-1], ops[: len(terms) - 1], strict=True)
    text = "y ~ " + "".join(f"{t} {o} " for t, o in pairs) + terms[-1]
    assert check_formula(text) == text


@pytest.fixture
def marker(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path / "PWNED"


def _payload(marker):
    return "{__import__('pathlib').Path(" + repr(str(marker)) + ").touch()}"


def test_malicious_cox_formula_does_not_run(marker):
    d = pd.DataFrame({"time": [1.0, 2, 3, 4], "status": [1, 0, 1, 1], "x": [0.1, 0.5, 0.2, 0.9]})
    with pytest.raises(FormulaError, match="not allowed"):
        fit_cox(d, "time", "status", _payload(marker))
    with pytest.raises(FormulaError, match="not allowed"):
        fit_cox(d, "time", "status", '{__import__("os").system("touch ' + str(marker) + '")}')
    assert not marker.exists()


def test_malicious_lmm_and_joint_formulas_do_not_run(marker):
    data = example_data(10, seed=1)
    with pytest.raises(FormulaError, match="formula .* is not allowed"):
        fit_lmm(data, "y ~ " + _payload(marker), "subject_id")
    with pytest.raises(FormulaError, match="random .* is not allowed"):
        fit_lmm(data, "y ~ months", "subject_id", "~ " + _payload(marker))
    long, surv = simulate_joint(n=20, seed=1)
    with pytest.raises(FormulaError, match="surv_formula .* is not allowed"):
        fit_joint(
            long, surv, "y ~ time", "~ time", "id", "time", "~ " + _payload(marker), "T", "event"
        )
    assert not marker.exists()
    assert np.isfinite(fit_lmm(data, "y ~ np.log(months + 1)", "subject_id").loglik)

"""The fitted joint model: a frozen result with tables, fit statistics and dynamic prediction.

Parameterisation reported: ``long_fixed`` holds ``beta`` (by marker); ``surv_coef`` holds
``gamma`` (log hazard ratios of the baseline covariates) and the association coefficients
``alpha`` (log hazard ratio per unit of the marker's current value, per unit/time of its slope,
per unit x time of its area), by cause with competing risks; ``random_cov`` is ``D``;
``residual_var`` is ``sigma^2`` (by marker); ``baseline_coef`` the baseline parameters of
:mod:`.baselines`; ``baseline_hazard`` the piecewise-constant ``xi`` per interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from alstrials._results import ResultMixin, convergence_note
from alstrials.models.diagnostics import annotate_summary
from alstrials.models.joint.baselines import BaselineSpec
from alstrials.models.joint.design import JointDesign, MarkerDesign
from alstrials.models.joint.likelihood import Layout, Params
from alstrials.models.joint.spec import ModelSpec

if TYPE_CHECKING:
    from alstrials.models.joint.optimise import Optimum

__all__ = ["JointResult", "JointModelSpec", "coef_table", "build_result"]


def coef_table(names: Any, estimate: np.ndarray, se: np.ndarray) -> pd.DataFrame:
    """Wald table: columns ``estimate se z p ci_low ci_high`` (95%), indexed by ``term``."""
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    crit = stats.norm.ppf(0.975)
    index = names if isinstance(names, pd.Index) else pd.Index(list(names), name="term")
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
        },
        index=index,
    )


@dataclass(frozen=True)
class JointModelSpec:
    """What prediction needs to rebuild designs for a new subject."""

    model: ModelSpec
    layout: Layout
    markers: tuple[MarkerDesign, ...]
    baselines: tuple[BaselineSpec, ...]
    surv_specs: tuple[Any, ...]
    surv_names: tuple[tuple[str, ...], ...]
    terms: tuple[tuple[int, str], ...]
    breaks: np.ndarray
    time: str
    group: str
    gl_points: int
    area_points: int

    @property
    def responses(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.markers)


def _index(several: bool, outer: str, pairs: list[tuple[str, str]]) -> pd.Index:
    if several:
        return pd.MultiIndex.from_tuples(pairs, names=[outer, "term"])
    return pd.Index([t for _, t in pairs], name="term")


def _random_names(design: JointDesign) -> list[str]:
    if not design.spec.several_markers:
        return list(design.markers[0].random_names)
    return [f"{m.name}:{r}" for m in design.markers for r in m.random_names]


def build_result(
    design: JointDesign,
    layout: Layout,
    opt: Optimum,
    vcov: np.ndarray,
    problems: tuple[str, ...],
    gh_points: int,
    quadrature_check: tuple[int, float],
) -> JointResult:
    """Assemble the tables of a fit (see module docstring)."""
    theta = opt.theta
    par = Params.unpack(theta, layout)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    spec = design.spec
    pairs = [(m.name, t) for m in design.markers for t in m.long_names]
    long_fixed = coef_table(_index(spec.several_markers, "marker", pairs), par.beta, se[: layout.p])
    s_pairs, s_idx, b_pairs, b_idx, ph_rows = [], [], [], [], []
    for c, cs in enumerate(spec.causes):
        sg, sa, sb = layout.cause_slices(c)
        labels = [*design.surv_names[c], *(spec.term_label(t) for t in cs.terms)]
        s_pairs += [(cs.name, lab) for lab in labels]
        s_idx += list(range(sg.start, sa.stop))
        bspec = design.baselines[c].spec
        b_pairs += [(cs.name, lab) for lab in bspec.names()]
        b_idx += list(range(sb.start, sb.stop))
        if bspec.kind == "piecewise":
            xi = np.exp(theta[sb])
            ev = np.bincount(
                bspec.interval(design.T), weights=design.d[:, c], minlength=bspec.n_params
            )
            frame = pd.DataFrame(
                {
                    "lower": bspec.breaks[:-1],
                    "upper": bspec.breaks[1:],
                    "xi": xi,
                    "se": xi * se[sb],
                    "events": ev,
                },
                index=pd.RangeIndex(1, bspec.n_params + 1, name="interval"),
            )
            ph_rows.append(frame.assign(cause=cs.name))
    surv_coef = coef_table(_index(spec.competing, "cause", s_pairs), theta[s_idx], se[s_idx])
    baseline_coef = coef_table(_index(spec.competing, "cause", b_pairs), theta[b_idx], se[b_idx])
    if ph_rows:
        bh = pd.concat(ph_rows)
        bh = (bh.reset_index().set_index(["cause", "interval"]) if spec.competing else bh).drop(
            columns=[] if spec.competing else ["cause"]
        )
    else:
        bh = pd.DataFrame(columns=["lower", "upper", "xi", "se", "events"])
    names = _random_names(design)
    sig2 = par.sigma**2
    residual: float | pd.Series = (
        pd.Series(sig2, index=pd.Index([m.name for m in design.markers], name="marker"))
        if spec.several_markers
        else float(sig2[0])
    )
    k = layout.size
    loglik = opt.evaluation.total
    assoc = {cs.name: {spec.markers[m].name: f for m, f in cs.terms} for cs in spec.causes}
    model = JointModelSpec(
        model=spec,
        layout=layout,
        markers=design.markers,
        baselines=tuple(b.spec for b in design.baselines),
        surv_specs=design.surv_specs,
        surv_names=design.surv_names,
        terms=design.terms,
        breaks=design.breaks,
        time=design.time,
        group=design.group,
        gl_points=design.gl_points,
        area_points=design.area_points,
    )
    knots: Any = (
        {cs.name: b.spec.knots.copy() for cs, b in zip(spec.causes, design.baselines, strict=True)}
        if spec.competing
        else design.baselines[0].spec.knots.copy()
    )
    return JointResult(
        long_fixed=long_fixed,
        surv_coef=surv_coef,
        random_cov=pd.DataFrame(par.D, index=names, columns=names),
        residual_var=residual,
        baseline_hazard=bh,
        baseline_coef=baseline_coef,
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + np.log(design.n_subjects) * k,
        converged=bool(opt.converged and not problems),
        message=opt.message,
        problems=problems,
        n_subjects=design.n_subjects,
        n_obs=len(design.y),
        n_events=int(design.d.sum()),
        association=_assoc_text(spec),
        baseline=", ".join(sorted({cs.baseline for cs in spec.causes})),
        knots=knots,
        causes=tuple(cs.name for cs in spec.causes) if spec.competing else (),
        markers=tuple(m.name for m in design.markers),
        theta=theta.copy(),
        vcov=vcov,
        iterations=opt.iterations,
        gh_points=gh_points,
        quadrature_error=quadrature_check[1],
        quadrature_check_points=quadrature_check[0],
        random_effects=pd.DataFrame(
            opt.modes, index=pd.Index(design.subject_ids, name=design.group), columns=names
        ),
        spec=model,
        associations=assoc,
    )


def _assoc_text(spec: ModelSpec) -> str:
    def one(terms) -> str:
        by: dict[int, list[str]] = {}
        for m, f in terms:
            by.setdefault(m, []).append(f)
        if not spec.several_markers:
            return "+".join(by.get(0, [])) or "none"
        return ", ".join(f"{spec.markers[m].name}: {'+'.join(f)}" for m, f in by.items()) or "none"

    texts = {cs.name: one(cs.terms) for cs in spec.causes}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "; ".join(f"{c}: {t}" for c, t in texts.items())


@dataclass(frozen=True, repr=False, eq=False)
class JointResult(ResultMixin):
    """Result of :func:`fit_joint`.

    Attributes
    ----------
    long_fixed : DataFrame
        Fixed effects ``beta`` (``estimate se z p ci_low ci_high``), index ``term``, or
        (``marker``, ``term``) with several markers.
    surv_coef : DataFrame
        Baseline covariate log hazard ratios and the association rows ("value", "slope",
        "area"; "value(<marker>)" with several markers); index (``cause``, ``term``) with
        competing risks.
    random_cov : DataFrame
        Random-effects covariance ``D`` (names ``<marker>:<term>`` with several markers).
    residual_var : float or Series
        ``sigma^2`` (a Series by marker with several markers).
    baseline_hazard : DataFrame
        Piecewise baselines: intervals ``lower upper`` with ``xi``, its ``se`` and ``events``.
    baseline_coef : DataFrame
        Every baseline parameter on its estimation scale (:mod:`.baselines`).
    loglik, aic, bic : float
        Full marginal log-likelihood (with constants, as R JM's ``logLik``); AIC; BIC with
        ``log(n_subjects)``.
    converged : bool
        Whether the optimisation met its criteria and no problem was found.
    problems : tuple of str
        Why the estimate is not usable (monotone likelihood in a survival coefficient, a
        non-positive-definite observed information, a baseline interval without events,
        variance components not identified). Empty for a good fit.
    theta, vcov : ndarray
        Unconstrained parameter vector and its estimated covariance.
    random_effects : DataFrame
        Posterior modes of ``b_i`` (empirical Bayes), one row per subject.
    gh_points, quadrature_error, quadrature_check_points : int, float, int
        Gauss-Hermite points per dimension of the fit; the log-likelihood at the estimate with
        ``quadrature_check_points`` per dimension minus ``loglik`` (an estimate of the
        integration error; see ``docs/joint.md``, "Accuracy of the quadrature").
    """

    long_fixed: pd.DataFrame
    surv_coef: pd.DataFrame
    random_cov: pd.DataFrame
    residual_var: Any
    baseline_hazard: pd.DataFrame
    baseline_coef: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    converged: bool
    message: str
    problems: tuple[str, ...]
    n_subjects: int
    n_obs: int
    n_events: int
    association: str
    baseline: str
    knots: Any
    causes: tuple[str, ...]
    markers: tuple[str, ...]
    theta: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    iterations: int
    gh_points: int
    quadrature_error: float
    quadrature_check_points: int
    random_effects: pd.DataFrame = field(repr=False)
    spec: JointModelSpec = field(repr=False)
    associations: dict = field(repr=False, default_factory=dict)

    @property
    def sigma(self) -> Any:
        """Residual standard deviation (a Series by marker with several markers)."""
        return np.sqrt(self.residual_var)

    def __repr__(self) -> str:
        markers = ", ".join(self.markers)
        causes = f", causes {', '.join(self.causes)}" if self.causes else ""
        base = self.baseline
        if base == "piecewise" and not self.causes:
            base = f"piecewise baseline with {len(self.knots) + 1} intervals"
        else:
            base = f"{base} baseline"
        return (
            f"JointResult(markers {markers}{causes}; association={self.association!r}, {base}: "
            f"{self.n_subjects} subjects, {self.n_obs} observations, {self.n_events} events; "
            f"loglik={self.loglik:.4f}; "
            f"{convergence_note(self.converged, self.message, self.problems)})"
        )

    def summary(self) -> pd.DataFrame:
        """All estimates in one table indexed by (``part``, ``term``).

        Parts: "longitudinal" (``beta``), "survival" (``gamma`` and associations), "variance"
        (``sigma`` and the entries of ``D``, estimates only), "baseline" (baseline parameters).
        With several markers or causes the term is prefixed by ``<marker>:`` or ``<cause>:``.
        """

        def flat(frame: pd.DataFrame) -> pd.DataFrame:
            if isinstance(frame.index, pd.MultiIndex):
                frame = frame.copy()
                frame.index = pd.Index([f"{a}: {b}" for a, b in frame.index], name="term")
            return frame

        parts = [
            flat(self.long_fixed).assign(part="longitudinal"),
            flat(self.surv_coef).assign(part="survival"),
        ]
        sig = self.sigma
        var_rows = (
            {f"sigma({k})": float(v) for k, v in sig.items()}
            if isinstance(sig, pd.Series)
            else {"sigma": float(sig)}
        )
        names = list(self.random_cov.index)
        for i, a in enumerate(names):
            for b in names[: i + 1]:
                var_rows[f"D[{a},{b}]"] = float(self.random_cov.loc[a, b])
        parts.append(
            pd.DataFrame(
                {"estimate": list(var_rows.values())}, index=pd.Index(list(var_rows), name="term")
            ).assign(part="variance")
        )
        parts.append(flat(self.baseline_coef).assign(part="baseline"))
        out = pd.concat(parts)
        out = out.reset_index().set_index(["part", "term"])[
            ["estimate", "se", "z", "p", "ci_low", "ci_high"]
        ]
        return annotate_summary(out, self.converged, self.problems, self.message)

    def predict_survival(self, history: Any, times: Any, **kwargs: Any) -> pd.DataFrame:
        """Dynamic prediction for one subject (Rizopoulos 2011): event-free probability
        ``P(T > u | T > t0, history)``, and with competing causes each cause's cumulative
        incidence. See :func:`alstrials.models.joint.predict.predict_survival`."""
        from alstrials.models.joint.predict import predict_survival

        return predict_survival(self, history, times, **kwargs)

    def predict_cumulative_incidence(self, history: Any, times: Any, **kwargs: Any) -> pd.DataFrame:
        """Each cause's cumulative incidence ``P(t0 < T <= u, cause c | T > t0, history)``
        for one subject, tidy: ``time cause incidence`` (and Monte Carlo columns). See
        :func:`alstrials.models.joint.predict.predict_cumulative_incidence`."""
        from alstrials.models.joint.predict import predict_cumulative_incidence

        return predict_cumulative_incidence(self, history, times, **kwargs)

"""The command line helps: a help text on every option, messages in flag names, sample sizes
rounded up with the exact value beside, --lenient where a message suggests it, a lazy
``import alstrials`` and a one-line registration of subcommand modules."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import types

import pytest

import alstrials
from alstrials.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # noqa: ANN202
    yield path, parser
    for name, sub in _subparsers(parser).items():
        yield from _walk(sub, (*path, name))


PARSERS = list(_walk(build_parser()))


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[" ".join(p) or "-" for p, _ in PARSERS])
def test_every_option_has_a_help_text(path, parser) -> None:  # noqa: ANN001
    missing = [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        and (not action.help or action.help == argparse.SUPPRESS or not action.help.strip())
    ]
    assert missing == [], f"alstrials {' '.join(path)}: options without help: {missing}"


def test_every_subcommand_has_a_one_line_help() -> None:
    for path, parser in PARSERS:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                assert set(helps) == set(action.choices), path
                assert all(h and h.strip() for h in helps.values()), (path, helps)


def test_the_walk_sees_every_power_subcommand() -> None:
    paths = {p for p, _ in PARSERS}
    for name in ("slope", "mmrm", "survival", "enrich", "biomarker", "simulate"):
        assert ("power", name) in paths


def test_import_alstrials_loads_no_heavy_module() -> None:
    code = (
        "import sys, alstrials; "
        "print(' '.join(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'dask', "
        "'statsmodels', 'lifelines') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
    assert done.stderr == ""


def test_building_the_parser_loads_no_heavy_module() -> None:
    code = (
        "import sys; from alstrials.cli import build_parser; build_parser(); "
        "print(' '.join(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'dask') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_lazy_exports_resolve_and_are_listed() -> None:
    for name in alstrials.__all__:
        assert getattr(alstrials, name) is not None, name
        assert name in dir(alstrials)
    assert alstrials.power.lmm_slope is not None  # a module export
    from alstrials.models.lmm import fit_lmm

    assert alstrials.fit_lmm is fit_lmm
    with pytest.raises(AttributeError, match="no attribute 'fit_lnm'"):
        _ = alstrials.fit_lnm  # type: ignore[attr-defined]


SLOPE = ["power", "slope", "--t", "0,3,6,9,12", "--sig2-slope", "0.36", "--sig2-resid", "2.25"]


def test_sample_size_is_rounded_up_with_the_exact_value_beside(capsys) -> None:  # noqa: ANN001
    from alstrials.design.power import lmm_slope

    assert main([*SLOPE, "--delta", "0.25", "--power", "0.8"]) == 0
    text = capsys.readouterr().out
    exact = lmm_slope(0.25, [0, 3, 6, 9, 12], 0.36, 2.25, power=0.8).n_per_group
    assert exact != math.ceil(exact)  # the case shows the rounding
    assert f"n per arm: {math.ceil(exact)} (exact {exact:.2f})" in text
    assert f"n in total: {2 * math.ceil(exact)}" in text
    assert "PowerResult(" not in text and "n_per_group" not in text
    assert "--sig2-slope" in text


def test_unequal_allocation_rounds_each_arm_up(capsys) -> None:  # noqa: ANN001
    from alstrials.design.power import lmm_slope

    assert main([*SLOPE, "--delta", "0.25", "--power", "0.8", "--ratio", "1.5"]) == 0
    text = capsys.readouterr().out
    res = lmm_slope(0.25, [0, 3, 6, 9, 12], 0.36, 2.25, power=0.8, ratio=1.5)
    assert f"n in the control arm: {math.ceil(res.n_per_group)} " in text
    assert f"n in the active arm: {math.ceil(res.n_active)} " in text
    total = math.ceil(res.n_per_group) + math.ceil(res.n_active)
    assert f"n in total: {total} (exact {res.n_total:.2f})" in text


def test_events_are_rounded_up(capsys) -> None:  # noqa: ANN001
    from alstrials.design.power import events

    assert main(["power", "survival", "--hr", "0.7"]) == 0
    exact = events(0.7, power=0.8).events
    assert f"events needed: {math.ceil(exact)} (exact {exact:.2f})" in capsys.readouterr().out


def _error(argv: list[str], capsys) -> str:  # noqa: ANN001
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "expected", "absent"),
    [
        (SLOPE, "leave exactly one of --delta, --power, --n out", "n_per_group"),
        (
            [*SLOPE, "--delta", "1", "--power", ".8", "--retention", "1,.9,.8,.7,.6"],
            "--retention (attrition) is supported by --method edland only",
            "method=",
        ),
        (
            [*SLOPE, "--delta", "1", "--power", ".8", "--method", "edland", "--retention", "1,.9"],
            "--retention must have one value per visit",
            ": retention must",
        ),
        (
            ["power", "mmrm", "--delta", "2", "--sd", "5,6,7", "--rho", "1.2", "--power", ".9"],
            "--rho must lie in [0, 1)",
            ": rho must",
        ),
        (
            ["power", "survival", "--hr", ".7", "--median", "30", "--dropout", "1.5"],
            "--dropout must lie in [0, 1)",
            "dropout rate",
        ),
        (
            ["power", "mmrm", "--delta", "2", "--sd", "5,6,7", "--rho", ".8", "--times", "1,2"],
            "--times gives 2 visit time(s) but --sd gives 3",
            "broadcast",
        ),
    ],
    ids=["solve-for", "method", "retention", "rho", "dropout", "times"],
)
def test_messages_name_the_flags(argv, expected, absent, capsys) -> None:  # noqa: ANN001
    err = _error(argv, capsys)
    assert expected in err and absent not in err, err


def test_library_names_in_messages_become_flags() -> None:
    from alstrials.cli.messages import to_flags

    names = {"t": "--t", "n_per_group": "--n", "sig2_int": "--sig2-int"}
    assert to_flags("t must be finite", names) == "--t must be finite"
    assert to_flags("don't touch t_correction", names) == "don't touch t_correction"
    assert to_flags("with sig2_int=0.2", names) == "with --sig2-int=0.2"


def test_bad_rows_say_rerun_with_lenient(tmp_path, capsys) -> None:  # noqa: ANN001
    import pandas as pd

    from alstrials.data.simulate import simulate_trial

    folder = simulate_trial(n_per_arm=10, seed=5, follow_up_months=6).write(tmp_path / "t")
    alsfrs = pd.read_csv(folder / "alsfrs.csv", dtype=str, keep_default_na=False)
    alsfrs.loc[1, "q2_salivation"] = "7"
    alsfrs.to_csv(folder / "alsfrs.csv", index=False)
    argv = ["run", "analyses", "--data", str(folder), "--out", str(tmp_path / "o")]
    err = _error(argv, capsys)
    assert "rerun with --lenient" in err and "lenient=True" not in err
    assert f"alstrials validate {folder} --exclusions log.csv" in err


def test_every_message_suggesting_lenient_has_the_flag() -> None:
    """Each subcommand that reads a trial folder and may print the library's lenient advice
    offers --lenient (validate is always lenient and lists the rows itself)."""
    readers = {"run", "interim"}
    for path, parser in PARSERS:
        flags = {s for a in parser._actions for s in a.option_strings}
        if path and path[0] in readers and len(path) == 1:
            assert "--lenient" in flags, path


def test_a_subcommand_module_plugs_in_with_one_line(monkeypatch, capsys) -> None:  # noqa: ANN001
    import alstrials.cli as cli

    module = types.ModuleType("alstrials_test_plugin")

    def add_hello_parser(sub) -> None:  # noqa: ANN001
        p = sub.add_parser("hello", help="say hello")
        p.add_argument("--name", default="world", help="who to greet (default: %(default)s)")
        p.set_defaults(func=lambda a: print(f"hello {a.name}") or 0)

    module.add_hello_parser = add_hello_parser  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alstrials_test_plugin", module)
    monkeypatch.setattr(
        cli, "SUBCOMMANDS", (*cli.SUBCOMMANDS, ("alstrials_test_plugin", "add_hello_parser"))
    )
    assert main(["hello", "--name", "ALS"]) == 0
    assert capsys.readouterr().out == "hello ALS\n"

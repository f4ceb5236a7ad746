"""A generated corpus of malformed trial folders.

Every case starts from a small valid trial (``simulate_trial(n_per_arm=10, seed=1)``) written as
CSV or Parquet by :func:`make_base`, then applies one named corruption: a function that takes the
folder and breaks it in place. Each case carries the substrings (regular expressions) that the
error message of ``read_trial`` and of ``alstrials validate`` must contain, naming what is wrong
(file, table, column). Nothing here is hand-edited data: the folders are rebuilt from the
simulator for every test run.

``kind`` is "file" for problems of the files themselves (the reader must refuse them) and
"value" for readable files holding a value that breaks the schema (coercion or validation).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
from tests.data.corpus_tools import (
    DUPLICATED,
    NUMERIC,
    REQUIRED,
    TIME,
    Case,
    Corruption,
    base_trial,
    edit_lines,
    edit_manifest,
    exclusions_csv,
    make_base,
    parquet_bytes,
    read_rows,
    replace_file,
    rewrite_parquet,
    set_cell,
    set_column,
    write_rows,
)

from alstrials.data.schema import TABLES

__all__ = ["CASES", "Case", "all_cases", "make_base"]


# ------------------------------------------------------------------------------------------
# CSV table files: every problem for every table


def _csv_cases(table: str) -> list[Case]:
    name = f"{table}.csv"

    def empty(folder: Path) -> None:
        (folder / name).write_bytes(b"")

    def blank(folder: Path) -> None:
        (folder / name).write_text("\n\n\n")

    def latin1(folder: Path) -> None:
        data = (folder / name).read_bytes().split(b"\n")
        data[2] = data[2].replace(b",", "\u00e9,".encode("latin-1"), 1)  # S..\xe9 in line 3
        (folder / name).write_bytes(b"\n".join(data))

    def nul(folder: Path) -> None:  # a Parquet file saved under the .csv name
        (folder / name).write_bytes(parquet_bytes(base_trial().table(table)))

    def unbalanced_quote(folder: Path) -> None:
        edit_lines(folder / name, lambda lines: lines.__setitem__(3, '"' + lines[3]))

    def too_many(folder: Path) -> None:
        edit_lines(folder / name, lambda lines: lines.__setitem__(2, lines[2] + ",extra"))

    def short_row(folder: Path) -> None:
        edit_lines(folder / name, lambda lines: lines.__setitem__(2, lines[2].rsplit(",", 1)[0]))

    def duplicated_header(folder: Path) -> None:
        column = DUPLICATED[table]
        rows = read_rows(folder / name)
        j = rows[0].index(column)
        write_rows(folder / name, [[*r, r[j]] for r in rows])

    def unnamed_column(folder: Path) -> None:  # a trailing comma on every line
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_text(text.replace("\n", ",\n"), encoding="utf-8")

    def missing_column(folder: Path) -> None:
        rows = read_rows(folder / name)
        j = rows[0].index(REQUIRED[table])
        write_rows(folder / name, [r[:j] + r[j + 1 :] for r in rows])

    def directory(folder: Path) -> None:
        replace_file(folder / name)
        (folder / name).mkdir()

    def fifo(folder: Path) -> None:
        replace_file(folder / name)
        os.mkfifo(folder / name)

    def passwd_link(folder: Path) -> None:
        target = folder.parent / f"{folder.name}-passwd"
        target.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n")
        replace_file(folder / name)
        os.symlink(target, folder / name)

    def broken_link(folder: Path) -> None:
        replace_file(folder / name)
        os.symlink(folder / "no-such-file.csv", folder / name)

    def missing(folder: Path) -> None:
        (folder / name).unlink()

    def both_formats(folder: Path) -> None:  # a stale table of another trial
        (folder / f"{table}.parquet").write_bytes(parquet_bytes(base_trial(2).table(table)))

    def text_in_number(folder: Path) -> None:
        set_cell(folder, table, NUMERIC[table], 1, "3 months")

    file = rf"{table}\.csv"
    col = NUMERIC[table]
    return [
        Case(f"csv-{table}-empty-file", "csv", empty, (file, "empty")),
        Case(f"csv-{table}-blank-lines-only", "csv", blank, (file, "blank lines")),
        Case(f"csv-{table}-latin1", "csv", latin1, (file, "line 3", "not UTF-8")),
        Case(f"csv-{table}-binary-nul", "csv", nul, (file, "NUL")),
        Case(f"csv-{table}-unbalanced-quote", "csv", unbalanced_quote, (file, "line 4", "quote")),
        Case(f"csv-{table}-too-many-fields", "csv", too_many, (file, "line 3", "row 1", "header")),
        Case(f"csv-{table}-short-row", "csv", short_row, (file, "line 3", "row 1", "missing")),
        Case(
            f"csv-{table}-duplicated-header",
            "csv",
            duplicated_header,
            (file, f"'{DUPLICATED[table]}'", "2 times"),
        ),
        Case(f"csv-{table}-unnamed-column", "csv", unnamed_column, (file, "no name")),
        Case(
            f"csv-{table}-missing-column",
            "csv",
            missing_column,
            (file, "missing required column", REQUIRED[table]),
        ),
        Case(f"csv-{table}-is-directory", "csv", directory, (file, "is a folder")),
        Case(f"csv-{table}-is-fifo", "csv", fifo, (file, "named pipe"), needs_fifo=True),
        Case(
            f"csv-{table}-symlink-to-passwd",
            "csv",
            passwd_link,
            (file, "a link to", "missing required column"),
        ),
        Case(f"csv-{table}-broken-symlink", "csv", broken_link, (file, "broken link")),
        Case(f"csv-{table}-missing-file", "csv", missing, (f"table '{table}' is missing", file)),
        Case(
            f"csv-{table}-both-formats",
            "csv",
            both_formats,
            (file, rf"{table}\.parquet", "both"),
        ),
        Case(
            f"csv-{table}-text-in-number",
            "csv",
            text_in_number,
            (file, "line 3", f"column '{col}'", "3 months"),
        ),
    ]


# ------------------------------------------------------------------------------------------
# Parquet table files


def _parquet_cases(table: str) -> list[Case]:
    name = f"{table}.parquet"
    file = rf"{table}\.parquet"

    def truncated(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    def garbage(folder: Path) -> None:
        (folder / name).write_bytes(b"PAR1" + bytes(range(256)) * 8)

    def empty(folder: Path) -> None:
        (folder / name).write_bytes(b"")

    def csv_text(folder: Path) -> None:
        (folder / name).write_text(base_trial().table(table).to_csv(index=False))

    def nested(folder: Path) -> None:
        column = NUMERIC[table]

        def edit(t: pa.Table) -> pa.Table:
            values = t.column(column).to_pylist()
            return set_column(t, column, pa.array([[v, v] for v in values]))

        rewrite_parquet(folder / name, edit)

    def duration(folder: Path) -> None:
        frame = pd.read_parquet(folder / name)
        frame[TIME[table]] = pd.to_timedelta(frame[TIME[table]] * 30.4375, unit="D")
        frame.to_parquet(folder / name, index=False)

    def duplicated(folder: Path) -> None:
        column = DUPLICATED[table]

        def edit(t: pa.Table) -> pa.Table:
            return t.append_column(column, t.column(column))

        rewrite_parquet(folder / name, edit)

    def stale_csv(folder: Path) -> None:
        (folder / f"{table}.csv").write_text(base_trial(2).table(table).to_csv(index=False))

    def string_number(folder: Path) -> None:
        column = NUMERIC[table]

        def edit(t: pa.Table) -> pa.Table:
            values = [str(v) for v in t.column(column).to_pylist()]
            return set_column(t, column, pa.array(values))

        rewrite_parquet(folder / name, edit)

    col = NUMERIC[table]
    return [
        Case(f"parquet-{table}-truncated", "parquet", truncated, (file, "not a readable Parquet")),
        Case(f"parquet-{table}-garbage", "parquet", garbage, (file, "not a readable Parquet")),
        Case(f"parquet-{table}-empty-file", "parquet", empty, (file, "empty")),
        Case(f"parquet-{table}-csv-text", "parquet", csv_text, (file, "not a readable Parquet")),
        Case(f"parquet-{table}-list-column", "parquet", nested, (file, f"'{col}'", "list")),
        Case(
            f"parquet-{table}-timedelta-months",
            "parquet",
            duration,
            (file, f"'{TIME[table]}'", "duration"),
        ),
        Case(
            f"parquet-{table}-duplicated-column",
            "parquet",
            duplicated,
            (file, f"'{DUPLICATED[table]}'", "2 times"),
        ),
        Case(f"parquet-{table}-stale-csv", "parquet", stale_csv, (file, rf"{table}\.csv", "both")),
        Case(
            f"parquet-{table}-text-typed-number",
            "parquet",
            string_number,
            (file, f"'{col}'", "string"),
        ),
    ]


def _parquet_misc_cases() -> list[Case]:
    def directory(folder: Path) -> None:
        replace_file(folder / "mri.parquet")
        (folder / "mri.parquet").mkdir()

    def fifo(folder: Path) -> None:
        replace_file(folder / "events.parquet")
        os.mkfifo(folder / "events.parquet")

    def timestamp(folder: Path) -> None:
        frame = pd.read_parquet(folder / "subjects.parquet")
        frame["enrollment_month"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
            frame["enrollment_month"] * 30.4375, unit="D"
        )
        frame.to_parquet(folder / "subjects.parquet", index=False)

    def mixed_no_manifest(folder: Path) -> None:
        (folder / "trial.json").unlink()
        (folder / "subjects.parquet").unlink()
        (folder / "subjects.csv").write_text(base_trial().subjects.to_csv(index=False))

    def declared_csv(folder: Path) -> None:
        edit_manifest(folder, format="csv")

    def list_subject_id(folder: Path) -> None:
        def edit(t: pa.Table) -> pa.Table:
            ids = t.column("subject_id").to_pylist()
            return set_column(t, "subject_id", pa.array([[i] for i in ids]))

        rewrite_parquet(folder / "alsfrs.parquet", edit)

    def binary_arm(folder: Path) -> None:
        def edit(t: pa.Table) -> pa.Table:
            arms = [a.encode() for a in t.column("arm").to_pylist()]
            return set_column(t, "arm", pa.array(arms, type=pa.binary()))

        rewrite_parquet(folder / "subjects.parquet", edit)

    return [
        Case("parquet-mri-is-directory", "parquet", directory, (r"mri\.parquet", "is a folder")),
        Case(
            "parquet-events-is-fifo",
            "parquet",
            fifo,
            (r"events\.parquet", "named pipe"),
            needs_fifo=True,
        ),
        Case(
            "parquet-subjects-timestamp-enrollment",
            "parquet",
            timestamp,
            (r"subjects\.parquet", "'enrollment_month'", "timestamp"),
        ),
        Case(
            "parquet-mixed-formats-no-manifest",
            "parquet",
            mixed_no_manifest,
            ("mixes formats", r"subjects\.csv", r"alsfrs\.parquet"),
        ),
        Case(
            "parquet-manifest-declares-csv",
            "parquet",
            declared_csv,
            (r"trial\.json", "declares format 'csv'", r"\.parquet"),
        ),
        Case(
            "parquet-alsfrs-list-subject-id",
            "parquet",
            list_subject_id,
            (r"alsfrs\.parquet", "'subject_id'", "list"),
        ),
        Case(
            "parquet-subjects-binary-arm",
            "parquet",
            binary_arm,
            (r"subjects\.parquet", "'arm'", "binary"),
        ),
    ]


# ------------------------------------------------------------------------------------------
# trial.json


def _manifest_cases() -> list[Case]:
    def text(content: str | bytes) -> Corruption:
        def corrupt(folder: Path) -> None:
            data = content.encode() if isinstance(content, str) else content
            (folder / "trial.json").write_bytes(data)

        return corrupt

    def keys(**changes: object) -> Corruption:
        return lambda folder: edit_manifest(folder, **changes)

    def directory(folder: Path) -> None:
        (folder / "trial.json").unlink()
        (folder / "trial.json").mkdir()

    def fifo(folder: Path) -> None:
        (folder / "trial.json").unlink()
        os.mkfifo(folder / "trial.json")

    j = r"trial\.json"
    return [
        Case("json-invalid", "csv", text('{"format": "csv",'), (j, "not valid JSON", "line 1")),
        Case("json-empty-file", "csv", text(""), (j, "not valid JSON")),
        Case("json-latin1", "csv", text(b'{"metadata": {"site": "Cr\xe9teil"}}'), (j, "UTF-8")),
        Case("json-list", "csv", text('["csv", "placebo", "active"]'), (j, "JSON object", "list")),
        Case("json-string", "csv", text('"csv"'), (j, "JSON object", "str")),
        Case("json-deeply-nested", "csv", text("[" * 100_000 + "]" * 100_000), (j, "JSON")),
        Case("json-arms-integer", "csv", keys(arms=2), (j, "'arms' is 2")),
        Case("json-arms-not-strings", "csv", keys(arms=[0, 1]), (j, "'arms'", "list of arm")),
        Case("json-arms-string", "csv", keys(arms="placebo,active"), (j, "'arms'")),
        Case("json-arms-empty-list", "csv", keys(arms=[]), (j, "'arms'", "non-empty")),
        Case(
            "json-arms-duplicated",
            "csv",
            keys(arms=["placebo", "placebo"]),
            (j, "'arms'", "more than once"),
        ),
        Case("json-format-unknown", "csv", keys(format="xlsx"), (j, "'format'", "xlsx")),
        Case("json-format-integer", "csv", keys(format=1), (j, "'format'")),
        Case("json-format-parquet-for-csv", "csv", keys(format="parquet"), (j, "declares format")),
        Case("json-metadata-list", "csv", keys(metadata=[1, 2]), (j, "'metadata'", "list")),
        Case("json-metadata-string", "csv", keys(metadata="seed=1"), (j, "'metadata'", "str")),
        Case("json-is-directory", "csv", directory, (j, "is a folder")),
        Case("json-is-fifo", "csv", fifo, (j, "named pipe"), needs_fifo=True),
    ]


# ------------------------------------------------------------------------------------------
# exclusions, folder


_EXCL_HEADER = "table,row,subject_id,reason\n"


def _exclusion_cases() -> list[Case]:
    def parquet_exclusions(frame: pd.DataFrame) -> Corruption:
        def corrupt(folder: Path) -> None:
            frame.to_parquet(folder / "exclusions.parquet", index=False)

        return corrupt

    def both(folder: Path) -> None:
        exclusions_csv(_EXCL_HEADER + "alsfrs,3,S00001,an ALSFRS-R item outside 0-4\n")(folder)
        pd.DataFrame(
            {"table": ["mri"], "row": [1], "subject_id": ["S00002"], "reason": ["x"]}
        ).to_parquet(folder / "exclusions.parquet", index=False)

    e = r"exclusions\.csv"
    p = r"exclusions\.parquet"
    return [
        Case(
            "exclusions-no-row-column",
            "csv",
            exclusions_csv("table,subject_id,reason\nalsfrs,S00001,bad item\n"),
            (e, "'row'"),
        ),
        Case(
            "exclusions-no-reason-column",
            "csv",
            exclusions_csv("table,row,subject_id\nalsfrs,3,S00001\n"),
            (e, "'reason'"),
        ),
        Case(
            "exclusions-row-not-integer",
            "csv",
            exclusions_csv(_EXCL_HEADER + "alsfrs,three,S00001,bad item\n"),
            (e, "line 2", "'row'", "'three'"),
        ),
        Case(
            "exclusions-row-fractional",
            "csv",
            exclusions_csv(_EXCL_HEADER + "alsfrs,1,S00001,x\nmri,2.5,S00002,y\n"),
            (e, "line 3", "'row'", "'2.5'"),
        ),
        Case(
            "exclusions-row-negative",
            "csv",
            exclusions_csv(_EXCL_HEADER + "alsfrs,-1,S00001,bad item\n"),
            (e, "'row'", "'-1'"),
        ),
        Case(
            "exclusions-row-missing",
            "csv",
            exclusions_csv(_EXCL_HEADER + "alsfrs,,S00001,bad item\n"),
            (e, "'row'", "nan"),
        ),
        Case(
            "exclusions-short-row",
            "csv",
            exclusions_csv(_EXCL_HEADER + "alsfrs,3,S00001\n"),
            (e, "line 2", "field"),
        ),
        Case("exclusions-empty-file", "csv", exclusions_csv(""), (e, "empty")),
        Case(
            "exclusions-csv-in-parquet-folder",
            "parquet",
            exclusions_csv(_EXCL_HEADER + "alsfrs,3,S00001,bad item\n"),
            (r"trial\.json", "declares format 'parquet'", e),
        ),
        Case("exclusions-both-formats", "csv", both, (e, p, "both")),
        Case(
            "exclusions-parquet-row-text",
            "parquet",
            parquet_exclusions(
                pd.DataFrame(
                    {"table": ["mri"], "row": ["one"], "subject_id": ["S1"], "reason": ["x"]}
                )
            ),
            (p, "'row'", "'one'"),
        ),
        Case(
            "exclusions-parquet-no-row",
            "parquet",
            parquet_exclusions(pd.DataFrame({"table": ["mri"], "subject_id": ["S1"]})),
            (p, "'row'"),
        ),
    ]


def _folder_cases() -> list[Case]:
    def replace_by_file(folder: Path) -> None:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        folder.write_text("subject_id,arm\n")

    def empty_folder(folder: Path) -> None:
        for child in folder.iterdir():
            child.unlink()

    def symlink_loop(folder: Path) -> None:
        (folder / "subjects.csv").unlink()
        os.symlink(folder / "subjects.csv", folder / "subjects.csv")

    return [
        Case("folder-is-a-file", "csv", replace_by_file, ("is not a folder",)),
        Case("folder-empty", "csv", empty_folder, ("table 'subjects' is missing",)),
        Case("csv-subjects-symlink-loop", "csv", symlink_loop, (r"subjects\.csv", "cannot be")),
    ]


# ------------------------------------------------------------------------------------------
# Values (readable files, a value breaking the schema)


def _value(
    table: str, column: str, text: str, row: int = 1, *, expect: tuple[str, ...] = ()
) -> Case:
    def corrupt(folder: Path) -> None:
        set_cell(folder, table, column, row, text)

    slug = text.replace(" ", "_").replace(".", "p") or "blank"
    where = rf"(column '{column}'|{table}\.{column})"
    return Case(f"value-{table}-{column}-{slug}", "csv", corrupt, (where, *expect), kind="value")


def _value_cases() -> list[Case]:
    def duplicate_subject(folder: Path) -> None:
        edit_lines(folder / "subjects.csv", lambda lines: lines.insert(2, lines[1]))

    def unknown_subject(folder: Path) -> None:
        set_cell(folder, "alsfrs", "subject_id", 3, "S99999")

    def visit_after_event(folder: Path) -> None:
        set_cell(folder, "events", "months", 0, "0.5")

    return [
        _value("subjects", "age", "inf"),
        _value("subjects", "age", "-inf"),
        _value("subjects", "age", "1e308"),
        _value("subjects", "age", "-5"),
        _value("subjects", "age", "150"),
        _value("subjects", "age", "nan"),
        _value("subjects", "age", "1e400"),
        _value("subjects", "arm", "plaebo"),
        _value("subjects", "arm", ""),
        _value("subjects", "sex", "X"),
        _value("subjects", "onset_site", "leg"),
        _value("subjects", "delta_fs", "inf"),
        _value("subjects", "onset_to_baseline_months", "-3"),
        _value("subjects", "enrollment_month", "1e308"),
        _value("alsfrs", "q1_speech", "9"),
        _value("alsfrs", "q1_speech", "2.5"),
        _value("alsfrs", "q1_speech", "1e300"),
        _value("alsfrs", "alsfrs_total", "60"),
        _value("alsfrs", "months", "-1"),
        _value("alsfrs", "months", "inf"),
        _value("alsfrs", "gastrostomy", "maybe"),
        _value("mri", "cst_fa", "1.5"),
        _value("mri", "precentral_thickness_mm", "0"),
        _value("mri", "cord_csa_mm2", "1e308"),
        _value("mri", "composite_sign", "False", row=0),
        _value("events", "event_type", "alive"),
        _value("events", "event", "yes please"),
        _value("events", "months", "1e308"),
        Case(
            "value-subjects-duplicate-subject",
            "csv",
            duplicate_subject,
            (r"subjects\.subject_id|column 'subject_id'",),
            kind="value",
        ),
        Case(
            "value-alsfrs-unknown-subject",
            "csv",
            unknown_subject,
            (r"alsfrs\.subject_id|column 'subject_id'",),
            kind="value",
        ),
        Case(
            "value-alsfrs-visit-after-event",
            "csv",
            visit_after_event,
            (r"alsfrs\.months|column 'months'",),
            kind="value",
        ),
    ]


def all_cases() -> list[Case]:
    """Every case, names unique."""
    cases = [
        *(c for table in TABLES for c in _csv_cases(table)),
        *(c for table in TABLES for c in _parquet_cases(table)),
        *_parquet_misc_cases(),
        *_manifest_cases(),
        *_exclusion_cases(),
        *_folder_cases(),
        *_value_cases(),
    ]
    names = [c.name for c in cases]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise RuntimeError(f"corpus case names are not unique: {sorted(duplicated)}")
    return cases


CASES: list[Case] = all_cases()

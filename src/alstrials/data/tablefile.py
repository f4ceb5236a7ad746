"""One table file of a trial folder: opened safely, parsed strictly, written exactly.

Opening. A file is opened without blocking and checked with ``fstat`` before a byte is read: only
a regular file is read, so a named pipe, a socket, a device or a folder in a table's place is an
error, never a hang. Symbolic links are followed (data folders often link to a shared store);
messages name the link and its target, and the target's content is checked like any other file.

CSV. UTF-8 text (a byte-order mark is accepted), comma-separated, RFC 4180 quoting, a header line
first. Every row must have exactly as many fields as the header; blank lines are skipped; an empty
field is a missing value and nothing else is (``NA`` stays the text "NA"). Column names must be
non-empty and unique. Floats are written with ``repr`` (the shortest text that reads back to the
same double) and parsed with Python's correctly rounded :func:`float`, so CSV round trips are bit
for bit; pandas' own float parsers are not (``pd.to_numeric("0.30000000000000004")`` is off by one
unit in the last place).

Parquet. The file must be readable by pyarrow, its column names unique, and every canonical
column stored with an Arrow type that can hold the canonical values: numbers for numeric columns
(a duration or timestamp for ``months`` is rejected: store a number of months), text or integers
for text columns, booleans, numbers or text for true/false columns; nested (list, struct, map)
and binary types are rejected in canonical columns. Extra columns are read as pyarrow gives them.

Every problem raises :class:`~alstrials.errors.DataValidationError` naming the file, and the
table, column, line and row (0-based position among the data rows, as in the schema's messages)
where they apply, and what to do.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from alstrials.data.schema import SCHEMA
from alstrials.errors import DataValidationError

__all__ = ["describe", "read_bytes", "parse_csv", "parse_parquet", "write_table", "ParsedTable"]

_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # absent on Windows, where FIFOs do not appear
_DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def describe(file: Path) -> str:
    """``file`` quoted for a message; a symbolic link also names its target."""
    text = f"file {str(file)!r}"
    if os.path.islink(file):
        text += f" (a link to {os.readlink(file)!r})"
    return text


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(file: Path, table: str | None = None) -> bytes:
    """The content of the regular file ``file`` (links followed); anything else is an error."""
    try:
        fd = os.open(file, os.O_RDONLY | _O_NONBLOCK)
    except FileNotFoundError:
        if os.path.islink(file):
            raise DataValidationError(
                f"{describe(file)} is a broken link: its target does not exist; point the "
                "link at the table file or replace it by the file itself",
                table=table,
            ) from None
        raise DataValidationError(f"{describe(file)} does not exist", table=table) from None
    except OSError as exc:
        raise DataValidationError(
            f"{describe(file)} cannot be opened ({exc.strerror or exc}); check that it is a "
            "readable file (permissions, a link pointing to itself)",
            table=table,
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataValidationError(
                f"{describe(file)} is {_kind(mode)}, not a regular file; replace it by a plain "
                "file holding the data",
                table=table,
            )
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            return handle.read()
    except OSError as exc:
        raise DataValidationError(
            f"{describe(file)} cannot be read ({exc.strerror or exc})", table=table
        ) from None
    finally:
        if fd >= 0:
            os.close(fd)


class ParsedTable:
    """A table as read from a file: the frame, and for CSV the file line of every data row."""

    def __init__(self, frame: pd.DataFrame, lines: list[int] | None = None) -> None:
        self.frame = frame
        self.lines = lines

    def where(self, row: object) -> str:
        """The text ', line N' for data row ``row`` of a CSV file ('' when unknown)."""
        if self.lines is not None and isinstance(row, int | np.integer):
            if 0 <= int(row) < len(self.lines):
                return f", line {self.lines[int(row)]}"
        return ""


def _decode(data: bytes, where: str, table: str | None) -> str:
    if not data:
        raise DataValidationError(
            f"{where} is empty (0 bytes): a CSV table needs at least a header line naming its "
            "columns; re-export the table",
            table=table,
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataValidationError(
            f"{where}, line {line}: holds NUL bytes, so it is binary data, not CSV text (a "
            "Parquet or spreadsheet file saved under a .csv name?); export the table as CSV",
            table=table,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            f"{where}, line {line}: is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be "
            "decoded; Latin-1 or Windows-1252?); re-save the file as UTF-8, e.g. "
            "`iconv -f latin1 -t utf-8` or Excel's 'CSV UTF-8'",
            table=table,
        ) from None


def _check_header(header: list[str], where: str, table: str | None) -> None:
    for i, name in enumerate(header):
        if not name.strip():
            raise DataValidationError(
                f"{where}, line 1: header column {i + 1} has no name; name the column or "
                "remove it (an index written with pandas' to_csv(index=True)?)",
                table=table,
            )
    for name, count in Counter(header).items():
        if count > 1:
            positions = [i + 1 for i, n in enumerate(header) if n == name]
            raise DataValidationError(
                f"{where}, line 1: column '{name}' appears {count} times in the header "
                f"(positions {positions}); rename or remove the duplicate",
                table=table,
                column=name,
            )


def parse_csv(data: bytes, file: Path, table: str | None = None) -> ParsedTable:
    """Parse CSV bytes strictly (see the module docstring); every value is text or NaN."""
    where = describe(file)
    text = _decode(data, where, table)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for fields in reader:
            if not fields:  # a blank line
                start = reader.line_num + 1
                continue
            if header is None:
                header = fields
                _check_header(header, where, table)
            elif len(fields) != len(header):
                _wrong_length(fields, header, start, reader.line_num, len(rows), where, table)
            else:
                rows.append(fields)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataValidationError(
            f"{where}, line {start} (row {len(rows)}): malformed CSV ({exc}); usually an "
            'unbalanced double quote (") in this row: close the quoted value or remove the quote',
            table=table,
            row=len(rows),
        ) from None
    if header is None:
        raise DataValidationError(
            f"{where} holds only blank lines: a CSV table needs a header line naming its "
            "columns; re-export the table",
            table=table,
        )
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else None
    if frame is None:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in header})
    frame = frame.mask(frame == "")  # an empty field is a missing value
    if table in SCHEMA:
        for column, dtype in SCHEMA[table].items():
            if dtype == "float64" and column in frame.columns:
                frame[column] = frame[column].map(_exact_float).astype(object)
    return ParsedTable(frame, lines)


def _wrong_length(
    fields: list[str],
    header: list[str],
    start: int,
    end: int,
    row: int,
    where: str,
    table: str | None,
) -> None:
    n, m = len(fields), len(header)
    hint = (
        "a value is missing: add the empty field(s) (one comma per missing value) or fix the row"
        if n < m
        else "an unquoted comma inside a value? quote the value or remove the extra field(s)"
    )
    if end > start:
        hint += f"; the row spans lines {start}-{end}, so a double quote may be unbalanced"
    raise DataValidationError(
        f"{where}, line {start} (row {row}): {n} field(s) but the header has {m} "
        f"({', '.join(header)}); {hint}",
        table=table,
        row=row,
    )


def _exact_float(value: object) -> object:
    """Decimal text as the nearest double (Python's float is correctly rounded); other text
    (including 'inf', 'nan' and overflowing numbers) is left for the schema to judge."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    return value


def _arrow_ok(dtype: str, kind: object) -> bool:
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(kind):
        kind = kind.value_type  # type: ignore[attr-defined]
    if t.is_null(kind):
        return True
    if dtype in ("float64", "Int64"):
        return bool(t.is_integer(kind) or t.is_floating(kind) or t.is_decimal(kind))
    if dtype in ("boolean", "bool"):
        return bool(
            t.is_boolean(kind)
            or t.is_integer(kind)
            or t.is_floating(kind)
            or t.is_string(kind)
            or t.is_large_string(kind)
        )
    return bool(
        t.is_string(kind) or t.is_large_string(kind) or t.is_integer(kind) or t.is_floating(kind)
    )


def _arrow_hint(dtype: str, kind: object) -> str:
    import pyarrow as pa

    if pa.types.is_duration(kind) or pa.types.is_temporal(kind):
        return "store times as a float number of months (days / 30.4375), not as a duration/date"
    if pa.types.is_nested(kind):
        return "store one value per row, not a list or record"
    wanted = {
        "float64": "numbers (float)",
        "Int64": "whole numbers",
        "boolean": "true/false values",
        "bool": "true/false values",
        "string": "text",
    }[dtype]
    return f"convert the column to {wanted} before writing the Parquet file"


def parse_parquet(data: bytes, file: Path, table: str | None = None) -> ParsedTable:
    """Read Parquet bytes, checking the Arrow schema of the canonical columns first."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = describe(file)
    if not data:
        raise DataValidationError(
            f"{where} is empty (0 bytes), not a Parquet file; re-export the table", table=table
        )

    def unreadable(exc: Exception) -> DataValidationError:
        return DataValidationError(
            f"{where} is not a readable Parquet file ({type(exc).__name__}: {exc}); it is "
            "truncated, damaged or not Parquet at all: re-export the table",
            table=table,
        )

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        schema = parquet.schema_arrow
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... on damaged files
        raise unreadable(exc) from None
    names = schema.names
    for name, count in Counter(names).items():
        if count > 1:
            raise DataValidationError(
                f"{where}: column '{name}' appears {count} times; rename or remove the duplicate",
                table=table,
                column=name,
            )
    for column, dtype in SCHEMA.get(table or "", {}).items():
        if column in names:
            kind = schema.field(column).type
            if not _arrow_ok(dtype, kind):
                raise DataValidationError(
                    f"{where}: table '{table}', column '{column}' is stored as Parquet type "
                    f"{kind}, which cannot hold its values; {_arrow_hint(dtype, kind)}",
                    table=table,
                    column=column,
                )
    try:
        arrow = parquet.read()
    except Exception as exc:  # a damaged data page shows only now
        raise unreadable(exc) from None
    try:
        frame = arrow.to_pandas()
    except Exception as exc:  # e.g. timestamps out of pandas' range in an extra column
        raise DataValidationError(
            f"{where} cannot be converted to a table ({type(exc).__name__}: {exc}); re-export "
            "it with plain number, text and true/false columns",
            table=table,
        ) from None
    return ParsedTable(frame)


def _float_text(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def write_table(frame: pd.DataFrame, file: Path, format: str) -> None:
    """Write ``frame`` to ``file``; CSV floats as ``repr`` so they read back bit for bit."""
    if format == "csv":
        floats = {c: frame[c].map(_float_text) for c in frame.columns if frame[c].dtype == float}
        frame.assign(**floats).to_csv(file, index=False, lineterminator="\n", encoding="utf-8")
    else:
        frame.to_parquet(file, index=False)

"""Tables ↔ numpy arrays without a Python object per row.

Reading: on PostgreSQL a query runs as ``COPY (…) TO STDOUT (FORMAT binary)`` with every
column cast to ``bigint``; the stream has a fixed row size and is decoded with one
``numpy.frombuffer``. On SQLite (the demo) rows are fetched and stacked. Dates travel as day
numbers since 2000-01-01 (`day_number`), NULLs as a sentinel chosen by the query.

Writing: `copy_binary` sends int64/int32/int16/date columns with ``COPY … FROM STDIN
(FORMAT binary)`` built by numpy — no text formatting of ten million rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

I64 = npt.NDArray[np.int64]

EPOCH = date(2000, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()
FAR_FUTURE = 10**6
"""Day number standing for "no end" (an open validity)."""
_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"


def day_number(day: date) -> int:
    return day.toordinal() - EPOCH_ORDINAL


def from_day_number(n: int) -> date:
    return date.fromordinal(int(n) + EPOCH_ORDINAL)


def timestamp_micros(moment: datetime) -> int:
    """An aware timestamp as PostgreSQL's binary ``timestamptz``: µs since 2000-01-01 UTC."""
    delta = moment - datetime(2000, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def days_sql(column: str, *, null: int | None = None) -> str:
    """SQL giving the day number of a date column (``null`` for NULL, when given)."""
    if connection.vendor == "postgresql":
        expr = f"({column} - DATE '2000-01-01')"
    else:
        expr = f"CAST(julianday({column}) - 2451544.5 AS INTEGER)"
    if null is not None:
        expr = f"COALESCE({expr}, {int(null)})"
    return expr


def scaled_sql(column: str, scale: int, *, null: int | None = 0) -> str:
    """SQL giving ``round(column × scale)`` as an integer (decimals travel exact)."""
    # PostgreSQL multiplies NUMERIC exactly; SQLite's product is exact for the scales used
    # here (≤ 6 decimal places, values far below 2**53).
    expr = f"ROUND({column} * {int(scale)})"
    if null is not None:
        expr = f"COALESCE({expr}, {int(null)})"
    return expr


def read(sql: str, params: Sequence[Any], names: Sequence[str]) -> dict[str, I64]:
    """Run ``sql`` (every selected column an integer expression) into int64 arrays."""
    if connection.vendor == "postgresql":
        return _read_pg(sql, params, names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return {n: np.zeros(0, dtype=np.int64) for n in names}
    table = np.asarray(rows, dtype=np.int64).reshape(len(rows), len(names))
    return {n: np.ascontiguousarray(table[:, k]) for k, n in enumerate(names)}


def _read_pg(sql: str, params: Sequence[Any], names: Sequence[str]) -> dict[str, I64]:
    """One row back: ``string_agg`` of the rows' big-endian int8 bytes, decoded by numpy.

    Measured on 200,000 rows: 0.41 s against 0.57 s for a binary ``COPY … TO`` read message
    by message (psycopg returns one message per row)."""
    cols = ", ".join(f"c{k}" for k in range(len(names)))
    packed = " || ".join(f"int8send(CAST(c{k} AS bigint))" for k in range(len(names)))
    query = f"SELECT string_agg({packed}, ''::bytea) FROM ({sql}) AS q({cols})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    blob = row[0] if row else None
    if not blob:
        return {f: np.zeros(0, dtype=np.int64) for f in names}
    table = np.frombuffer(bytes(blob), dtype=">i8").reshape(-1, len(names))
    return {f: table[:, k].astype(np.int64) for k, f in enumerate(names)}


def in_list(column: str, values: Sequence[int]) -> tuple[str, list[Any]]:
    """``column IN (…)`` for a list of ids: one array parameter on PostgreSQL."""
    if not values:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        # an array literal: one short string to quote instead of thousands of adapted ints
        literal = "{" + ",".join(str(int(v)) for v in values) + "}"
        return f"{column} = ANY(CAST(%s AS bigint[]))", [literal]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def copy_binary(table: str, columns: Sequence[tuple[str, str, Any]]) -> None:
    """``COPY table FROM STDIN (FORMAT binary)`` of equal-length arrays.

    ``columns`` are ``(name, kind, values)`` with kind ``int8``/``int4``/``int2``/``date``
    (values: day numbers), ``bool`` (values: 0/1), ``timestamptz`` (values: microseconds
    since 2000-01-01 UTC, see `timestamp_micros`) or ``text`` (values: one ``str`` for every
    row). Every value is non-NULL; send rows with NULLs by another way.
    """
    quote = connection.ops.quote_name
    n_rows = next(len(values) for _, kind, values in columns if kind != "text")
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for k, (_, kind, values) in enumerate(columns):
        fields.append((f"len{k}", ">i4"))
        if kind in ("int8", "timestamptz"):
            fields.append((f"v{k}", ">i8"))
        elif kind == "bool":
            fields.append((f"v{k}", "u1"))
        elif kind in ("int4", "date"):
            fields.append((f"v{k}", ">i4"))
        elif kind == "int2":
            fields.append((f"v{k}", ">i2"))
        elif kind == "text":
            size = len(values.encode())
            if size:
                fields.append((f"v{k}", f"S{size}"))
        else:
            raise ValueError(f"unknown column kind {kind}")
    rows = np.zeros(n_rows, dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for k, (_, kind, values) in enumerate(columns):
        if kind == "text":
            encoded = values.encode()
            rows[f"len{k}"] = len(encoded)
            if encoded:
                rows[f"v{k}"] = encoded
            continue
        rows[f"len{k}"] = {"int8": 8, "timestamptz": 8, "int4": 4, "date": 4, "int2": 2, "bool": 1}[
            kind
        ]
        rows[f"v{k}"] = values
    names = ", ".join(quote(name) for name, _, _ in columns)
    connection.ensure_connection()
    raw = connection.connection
    step = 200_000
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(_HEADER)
        for k in range(0, n_rows, step):
            copy.write(rows[k : k + step].tobytes())
        copy.write(b"\xff\xff")

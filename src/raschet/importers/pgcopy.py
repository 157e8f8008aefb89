"""Text-format `COPY … FROM STDIN` for the bulk importers (PostgreSQL only).

psycopg's ``copy.write_row`` adapts every value through its Python dumpers, which costs
more than the server's work for narrow rows. The importers format the text lines
themselves, a chunk at a time, and hand the chunks to `QueuedLibpqWriter`: a background
thread sends one chunk while the caller formats the next, so client and server overlap.

Text format (PostgreSQL docs, "COPY — Text Format"): columns separated by a tab, rows by
a newline, ``\\N`` for NULL, backslash, tab, newline and carriage return escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection
from psycopg.copy import QueuedLibpqWriter

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape(text: str) -> str:
    """A string as a text-`COPY` field (an enum member of ``TextChoices`` gives its value)."""
    return text.translate(_ESCAPES)


def field(value: object) -> str:
    """Any value the importers write → its text-`COPY` field.

    Dates ISO, Decimals and ints ``str()``, booleans ``t``/``f``, ``None`` → ``\\N``; the
    rest (UUIDs, strings, str-based choices) through ``str`` and escaping.
    """
    if value is None:
        return NULL
    kind = value.__class__
    if kind is str:
        return value.translate(_ESCAPES)  # type: ignore[attr-defined]
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is Decimal:
        return str(value)
    if kind is dt.date or kind is dt.datetime:
        return value.isoformat()  # type: ignore[attr-defined]
    if isinstance(value, str):  # TextChoices members: their str content is the value
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    return escape(str(value))


def copy_sql(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return "COPY {} ({}) FROM STDIN".format(  # names come from model metadata or code
        quote(table), ", ".join(quote(c) for c in columns)
    )


def copy_chunks(table: str, columns: Sequence[str], chunks: Iterable[str]) -> None:
    """Stream ``chunks`` (whole text lines, each ending in a newline) into ``table``.

    Runs on the connection of the current Django transaction. The queued writer sends from
    a thread, so the generator behind ``chunks`` formats the next chunk meanwhile; keep
    chunks in the tens of thousands of rows so memory stays flat.
    """
    connection.ensure_connection()
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(copy_sql(table, columns), writer=QueuedLibpqWriter(cursor)) as copy,
    ):
        for chunk in chunks:
            if chunk:
                copy.write(chunk)

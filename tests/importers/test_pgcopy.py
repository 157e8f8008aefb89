"""Text-COPY fields: every awkward value survives the trip to PostgreSQL unchanged."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from raschet.importers.pgcopy import NULL, copy_chunks, field
from raschet.tariffs.models import Method


def test_fields_of_each_kind():
    assert field(None) == NULL
    assert field(True) == "t" and field(False) == "f"
    assert field(Decimal("54.30")) == "54.30" and field(7) == "7"
    assert field(dt.date(2025, 2, 28)) == "2025-02-28"
    assert field("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert field(Method.METER) == "meter"
    assert field(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"


@given(st.text())
def test_a_field_never_contains_a_raw_separator(text):
    out = field(text)
    assert "\t" not in out and "\n" not in out and "\r" not in out


@pytest.mark.django_db(transaction=True)
def test_round_trip_through_postgresql(on_postgres):
    if not on_postgres:
        pytest.skip("COPY is the PostgreSQL write path; SQLite uses bulk_create")
    values = ["plain", "tab\there", "new\nline", "back\\slash", "\\N", "", "Ёжик «в тумане»"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE pgcopy_probe (n int, t text, d numeric, day date)")
        lines = "".join(
            f"{field(i)}\t{field(v)}\t{field(Decimal('1E+2'))}\t{field(dt.date(2025, 1, i + 1))}\n"
            for i, v in enumerate(values)
        )
        copy_chunks("pgcopy_probe", ["n", "t", "d", "day"], [lines])
        cursor.execute("SELECT t, d, day FROM pgcopy_probe ORDER BY n")
        rows = cursor.fetchall()
    assert [r[0] for r in rows] == values
    assert all(r[1] == Decimal(100) for r in rows)
    assert rows[-1][2] == dt.date(2025, 1, len(values))

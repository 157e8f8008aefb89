"""Builders of small housing templates (CSV text, openpyxl workbooks) for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from raschet.housing.models import Account, Building, Premises
from raschet.importers.housing.columns import COLUMNS
from raschet.registry.models import Ownership, Person, Registration
from raschet.tariffs.models import AccountService
from tests.factories import OrganizationFactory

HEADERS = {c.key: c.header for c in COLUMNS}
ADDRESS = "г. Тверь, ул. Советская, д. 10"

BUILDING = {
    "address": ADDRESS,
    "year_built": "1975",
    "floors": "9",
    "building_area_total": "5400,50",
    "building_area_residential": "5100,50",
    "building_area_non_residential": "300",
    "building_area_common": "820",
    "heating_mode": "в отопительный период",
    "common_property_mode": "по нормативу",
}


def good_rows() -> list[dict[str, str]]:
    """Two flats: flat 1 with an owner and a child, flat 2 with one owner; three accounts'
    worth of services."""
    flat1 = {
        **BUILDING,
        "premises_number": "1",
        "premises_kind": "жилое",
        "premises_area_total": "54,3",
        "premises_area_living": "38,1",
        "rooms": "2",
        "communal_flat": "нет",
        "account_number": "1000001",
        "opened_on": "01.01.2020",
        "payer_name": "Иванов Иван Иванович",
        "tenure": "собственник",
        "services": "cold_water:meter; hot_water:meter; electricity:meter:2; heating; "
        "maintenance; capital_repair",
    }
    flat2 = {
        **BUILDING,
        "premises_number": "2",
        "premises_area_total": "33.5",
        "account_number": "1000002",
        "opened_on": "2021-03-01",
        "payer_name": "Петрова Анна Сергеевна",
        "services": "cold_water:norm; maintenance",
    }
    return [
        {
            **flat1,
            "full_name": "Иванов Иван Иванович",
            "birth_date": "15.03.1970",
            "snils": "112-233-445 95",
            "share": "1",
            "registration": "постоянная",
            "registered_from": "01.02.2020",
            "relation": "собственник",
        },
        {
            **flat1,
            "full_name": "Иванова Мария Ивановна",
            "birth_date": "2010-06-01",
            "registration": "постоянная",
            "registered_from": "01.02.2020",
            "relation": "дочь",
        },
        {
            **flat2,
            "full_name": "Петрова Анна Сергеевна",
            "birth_date": "02.02.1985",
            "share": "1/1",
            "registration": "временная",
            "registered_from": "01.03.2021",
            "registered_to": "01.03.2026",
        },
    ]


def table(rows: list[dict[str, object]], keys: list[str] | None = None) -> list[list[object]]:
    keys = [c.key for c in COLUMNS] if keys is None else keys
    return [[HEADERS.get(k, k) for k in keys], *[[r.get(k, "") for k in keys] for r in rows]]


def csv_bytes(
    rows: list[dict[str, object]],
    *,
    keys: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ";",
) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(table(rows, keys))
    text = buf.getvalue()
    if encoding == "cp1251":
        text = text.replace("м²", "м2")  # cp1251 has no '²'; headers match either way
    return text.encode(encoding)


def xlsx_bytes(
    rows: list[dict[str, object]],
    *,
    keys: list[str] | None = None,
    sheet: str = "Жилфонд",
    extra_sheets: tuple[str, ...] = (),
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in table(rows, keys):
        ws.append([None if v == "" else v for v in line])
    for name in extra_sheets:
        wb.create_sheet(name).append(["Инструкция"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


MODELS = (Building, Premises, Account, Person, Ownership, Registration, AccountService)


def db_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


NOTHING = dict.fromkeys((m.__name__ for m in MODELS), 0)
